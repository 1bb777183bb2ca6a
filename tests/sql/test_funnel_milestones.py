"""lead_milestones carries the lead attributes and stage entries the funnel queries read without a
join back to leads; those queries give what the join gave, on the demo company across filter sets."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import handoff.funnel  # noqa: F401  (registers funnel__stage_counts)
from handoff import db
from handoff.filters import Filters

ATTRIBUTES = ("segment", "region", "channel", "sourced_by", "owner_id", "source_campaign_id", "industry",
              "company_size", "score", "disqualified_at", "disqualify_reason")
FILTER_SETS = {
    "last quarter": Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
    "all time": Filters(),
    "since January": Filters(start=dt.date(2026, 1, 1)),
    "smb this year": Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1), segments=("smb",)),
    "webinar and events in NA": Filters(start=dt.date(2025, 7, 1), end=dt.date(2026, 7, 1),
                                        channels=("webinar", "events"), regions=("NA",)),
    "sales-sourced": Filters(start=dt.date(2025, 10, 1), end=dt.date(2026, 4, 1), teams=("sales",)),
}


def test_milestones_carry_each_leads_own_attributes(demo_db):
    mismatched = db.execute(
        "select count(*) as n from leads as l join lead_milestones as m using (lead_id) where "
        + " or ".join(f"l.{c} is distinct from m.{c}" for c in ATTRIBUTES), db=demo_db)
    counts = db.execute("select (select count(*) from leads) as leads, (select count(*) from lead_milestones) as m",
                        db=demo_db)
    assert mismatched["n"].iloc[0] == 0
    assert counts["leads"].iloc[0] == counts["m"].iloc[0] > 0


def test_stage_entries_and_days_are_the_first_later_timestamp(demo_db):
    frame = db.execute("""
        select
            count(*) filter (where mql_entered_at is distinct from coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at)
                or sal_entered_at is distinct from coalesce(sal_at, sql_at, opportunity_at, won_at)
                or sql_entered_at is distinct from coalesce(sql_at, opportunity_at, won_at)) as wrong_entries,
            count(*) filter (where created_to_mql_days is distinct from date_diff('second', created_at, mql_entered_at) / 86400.0
                or created_to_sal_days is distinct from date_diff('second', created_at, sal_entered_at) / 86400.0
                or created_to_sql_days is distinct from date_diff('second', created_at, sql_entered_at) / 86400.0
                or created_to_opportunity_days is distinct from date_diff('second', created_at, opportunity_at) / 86400.0
                or created_to_won_days is distinct from date_diff('second', created_at, won_at) / 86400.0) as wrong_days,
            count(*) filter (where reached_mql <> (mql_entered_at is not null)) as wrong_reached
        from lead_milestones
    """, db=demo_db)
    assert frame.iloc[0].tolist() == [0, 0, 0]


def test_milestones_are_stored_in_created_order(demo_db):
    frame = db.execute("select created_at, lead_id from lead_milestones", db=demo_db)
    assert frame.equals(frame.sort_values(["created_at", "lead_id"]).reset_index(drop=True))


# The cohort and period funnels written with the join back to leads (as the queries were before the
# attributes moved into lead_milestones): each stage's count per group.
JOINED_SQL = """
with scoped as (
    select
        case $group_by when 'channel' then l.channel when 'company_size' then coalesce(l.company_size, '(none)')
            when 'owner' then coalesce(l.owner_id, '(none)') end as group_value,
        m.*
    from leads as l join lead_milestones as m using (lead_id)
    where ($segments is null or list_contains($segments, l.segment))
      and ($regions is null or list_contains($regions, l.region))
      and ($channels is null or list_contains($channels, l.channel))
      and ($teams is null or list_contains($teams, l.sourced_by))
      and ($owners is null or list_contains($owners, l.owner_id))
      and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),
entries as (
    select group_value, created_at, unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest([created_at, coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at),
                coalesce(sal_at, sql_at, opportunity_at, won_at), coalesce(sql_at, opportunity_at, won_at),
                opportunity_at, won_at]) as entered_at
    from scoped
)
select group_value, stage_order, count(*) as reached_count
from entries
where entered_at is not null
  and case when $mode = 'period' then ($start is null or entered_at >= $start) and ($end is null or entered_at < $end)
      else ($start is null or created_at >= $start) and ($end is null or created_at < $end) end
group by all
"""


@pytest.mark.parametrize("name", FILTER_SETS)
@pytest.mark.parametrize("mode", ["cohort", "period"])
@pytest.mark.parametrize("group_by", [None, "channel", "company_size", "owner"])
def test_stage_counts_match_the_join_back_to_leads(demo_db, name, mode, group_by):
    filters = FILTER_SETS[name]
    expected = db.execute(JOINED_SQL, {**filters.params(), "mode": mode, "group_by": group_by}, db=demo_db)
    got = db.run_query("funnel__stage_counts_by_group", filters, db=demo_db, mode=mode, group_by=group_by)
    got = got[got["reached_count"] > 0][["group_value", "stage_order", "reached_count"]]
    key = ["group_value", "stage_order"]
    expected = expected.sort_values(key).reset_index(drop=True)
    got = got.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@pytest.mark.parametrize("name", FILTER_SETS)
def test_drill_down_lists_the_leads_the_funnel_counts(demo_db, name):
    filters = FILTER_SETS[name]
    for mode in ("cohort", "period"):
        counts = db.run_query("funnel__stage_counts", filters, db=demo_db, mode=mode)
        for stage_order, reached in zip(counts["stage_order"], counts["reached_count"]):
            leads = db.run_query("funnel__leads", filters, db=demo_db, mode=mode, stage_order=int(stage_order))
            assert len(leads) == min(int(reached), 10_000)
            assert leads["lead_id"].is_unique
