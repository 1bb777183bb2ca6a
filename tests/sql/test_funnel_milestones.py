"""lead_milestones carries the lead attributes and stage entries the funnel queries read without a
join back to leads, by the rules of DESIGN.md, on the demo company across filter sets."""

from __future__ import annotations

import datetime as dt

import pytest

from handoff import db
from handoff.filters import Filters

ATTRIBUTES = (
    "segment",
    "region",
    "channel",
    "sourced_by",
    "owner_id",
    "source_campaign_id",
    "industry",
    "company_size",
    "score",
    "disqualified_at",
    "disqualify_reason",
)
FILTER_SETS = {
    "last quarter": Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
    "all time": Filters(),
    "since January": Filters(start=dt.date(2026, 1, 1)),
    "smb this year": Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1), segments=("smb",)),
    "webinar and events in NA": Filters(
        start=dt.date(2025, 7, 1), end=dt.date(2026, 7, 1), channels=("webinar", "events"), regions=("NA",)
    ),
    "sales-sourced": Filters(start=dt.date(2025, 10, 1), end=dt.date(2026, 4, 1), teams=("sales",)),
}


def test_milestones_carry_each_leads_own_attributes(demo_db):
    mismatched = db.execute(
        "select count(*) as n from leads as l join lead_milestones as m using (lead_id) where "
        + " or ".join(f"l.{c} is distinct from m.{c}" for c in ATTRIBUTES),
        db=demo_db,
    )
    counts = db.execute(
        "select (select count(*) from leads) as leads, (select count(*) from lead_milestones) as m",
        db=demo_db,
    )
    assert mismatched["n"].iloc[0] == 0
    assert counts["leads"].iloc[0] == counts["m"].iloc[0] > 0


def test_stage_entries_follow_each_leads_path(demo_db):
    # DESIGN.md's two paths, checked on every demo lead against its own timestamps: a sales-sourced lead
    # never reaches MQL and joins at its first sales stage; a stage is entered at its own timestamp,
    # else the first later one; days are exact to the microsecond.
    frame = db.execute(
        """
        select
            count(*) filter (where not is_marketing_sourced and (reached_mql or mql_at is not null
                or mql_entered_at is not null)) as sales_sourced_mqls,
            count(*) filter (where is_marketing_sourced and (mql_entered_at is distinct from
                coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at))) as wrong_mql_entries,
            count(*) filter (where sal_entered_at is distinct from
                case when reached_sal then coalesce(sal_at, sql_at, opportunity_at, won_at) end
                or sql_entered_at is distinct from
                case when reached_sql then coalesce(sql_at, opportunity_at, won_at) end) as wrong_entries,
            count(*) filter (where not is_marketing_sourced and joined_stage_order is distinct from
                case when sal_at is not null then 3 when sql_at is not null then 4
                     when opportunity_at is not null then 5 when won_at is not null then 6 end) as wrong_joins,
            count(*) filter (where created_to_mql_days is distinct from
                    (epoch_us(mql_entered_at) - epoch_us(created_at)) / 86400e6
                or created_to_won_days is distinct from (epoch_us(won_at) - epoch_us(created_at)) / 86400e6)
                as wrong_days,
            count(*) filter (where reached_mql <> (mql_entered_at is not null)) as wrong_reached
        from lead_milestones
    """,
        db=demo_db,
    )
    assert frame.iloc[0].tolist() == [0, 0, 0, 0, 0, 0]


def test_milestones_are_stored_in_created_order(demo_db):
    frame = db.execute("select created_at, lead_id from lead_milestones", db=demo_db)
    assert frame.equals(frame.sort_values(["created_at", "lead_id"]).reset_index(drop=True))


@pytest.mark.parametrize("name", FILTER_SETS)
def test_drill_down_lists_the_leads_the_funnel_counts(demo_db, name):
    filters = FILTER_SETS[name]
    for mode in ("cohort", "period"):
        counts = db.run_query("funnel__stage_counts", filters, db=demo_db, mode=mode)
        for stage_order, reached in zip(counts["stage_order"], counts["reached_count"]):
            leads = db.run_query(
                "funnel__leads", filters, db=demo_db, mode=mode, stage_order=int(stage_order)
            )
            assert len(leads) == min(int(reached), 10_000)
            assert leads["lead_id"].is_unique
