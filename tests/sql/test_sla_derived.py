"""The SLA tables built at import (handoff/derived/30_sla_*.sql) give the SLA queries exactly what
they computed from the canonical tables before: the previous SQL of sla__mqls,
sla__target_attainment and sla__latest_timestamp (kept below) against the queries now, on the demo
company across filter sets; the lean sla__mql_clock and sla__mql_labels are sla__mqls' rows; and a
window cut out of a wider evaluation answers as a fresh one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from handoff import db, sla
from handoff.sla import window as sla_window

PREVIOUS_MQLS = """
with
leads as (
    select * from leads
),

milestones as (
    select lead_id, first_sales_touch_at, reached_sql, reached_won from lead_milestones
),

people as (
    select person_id, name from people
),

campaigns as (
    select campaign_id, name from campaigns
),

mqls as (
    select l.*
    from leads as l
    where l.mql_at is not null
        and ($start is null or l.mql_at >= $start)
        and ($end is null or l.mql_at < $end)
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

decisions as (
    select
        lead_id,
        sal_at is not null as is_accepted,
        sal_at is null and disqualify_reason is not null and disqualified_at is not null as is_rejected,
        -- least() skips NULLs: the first of acceptance and a rejection that gave its reason.
        least(sal_at, case when disqualify_reason is not null then disqualified_at end) as decided_at
    from mqls
),

final as (
    select
        m.lead_id,
        m.mql_at,
        m.score,
        m.region,
        m.segment,
        m.channel,
        m.source_campaign_id,
        c.name as campaign_name,
        m.sourced_by,
        m.owner_id,
        p.name as owner_name,
        s.first_sales_touch_at,
        d.decided_at,
        d.is_accepted,
        d.is_rejected,
        coalesce(s.reached_sql, false) as reached_sql,
        coalesce(s.reached_won, false) as reached_won
    from mqls as m
    join decisions as d using (lead_id)
    left join milestones as s using (lead_id)
    left join people as p on p.person_id = m.owner_id
    left join campaigns as c on c.campaign_id = m.source_campaign_id
    where not $unanswered_only or s.first_sales_touch_at is null
)

select * from final
order by mql_at, lead_id
"""

PREVIOUS_TARGET_ATTAINMENT = """
with
targets as (
    select
        row_number() over () as target_row, period_start, team, metric, segment, value::double as target_value
    from targets
    where ($start is null or period_start >= $start)
        and ($end is null or period_start < $end)
        and ($segments is null or list_contains($segments, segment))
),

leads as (
    select lead_id, segment, sourced_by, mql_at, sal_at, sql_at from leads
),

deals as (
    select d.created_at, d.closed_at, d.stage, d.amount::double as amount, l.segment, l.sourced_by
    from deals as d
    join leads as l using (lead_id)
),

facts as (
    select 'mqls' as metric, date_trunc('month', mql_at)::date as period_start, segment, sourced_by,
           count(*)::double as value
    from leads where mql_at is not null group by all
    union all
    select 'sals', date_trunc('month', sal_at)::date, segment, sourced_by, count(*)::double
    from leads where sal_at is not null group by all
    union all
    select 'sqls', date_trunc('month', sql_at)::date, segment, sourced_by, count(*)::double
    from leads where sql_at is not null group by all
    union all
    select 'pipeline', date_trunc('month', created_at)::date, segment, sourced_by, sum(amount)
    from deals group by all
    union all
    select 'bookings', date_trunc('month', closed_at)::date, segment, sourced_by, sum(amount)
    from deals where stage = 'won' group by all
),

final as (
    select
        t.period_start,
        t.team,
        t.metric,
        t.segment,
        t.target_value,
        case when t.metric in ('mqls', 'sals', 'sqls', 'pipeline', 'bookings')
             then coalesce(sum(f.value), 0) end as actual_value
    from targets as t
    left join facts as f
        on f.metric = t.metric
        and f.period_start = t.period_start
        and (t.segment is null or f.segment = t.segment)
        -- A team's money targets count its own sourced deals for marketing, every deal for sales.
        and (t.metric not in ('pipeline', 'bookings') or t.team = 'sales' or f.sourced_by = t.team)
    group by t.target_row, t.period_start, t.team, t.metric, t.segment, t.target_value
)

select * from final
order by period_start, team, metric, segment nulls first
"""

PREVIOUS_LATEST_TIMESTAMP = """
with
lead_times as (
    select greatest(max(created_at), max(mql_at), max(sal_at), max(sql_at), max(disqualified_at)) as latest_at
    from leads
),

touch_times as (
    select max(touched_at) as latest_at from touches
),

deal_times as (
    select greatest(max(created_at), max(closed_at)) as latest_at from deals
),

final as (
    select greatest(
        (select latest_at from lead_times),
        (select latest_at from touch_times),
        (select latest_at from deal_times)
    ) as as_of_at
)

select * from final
"""

FILTER_SETS = [
    {},
    {"start": dt.date(2026, 4, 1), "end": dt.date(2026, 7, 1)},
    {"start": dt.date(2025, 11, 15), "end": dt.date(2026, 2, 10), "segments": ["enterprise", "smb"]},
    {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 4, 1), "regions": ["NA"], "channels": ["webinar", "paid_search"]},
    {"teams": ["sales"], "unanswered_only": True},
]


def previous(sql: str, name: str, params: dict, path) -> pd.DataFrame:
    return db.execute(sql, db.bind_params(db.load_query(name), params), db=path)


@pytest.mark.parametrize("params", FILTER_SETS)
def test_mqls_as_before(demo_db, params):
    now = db.run_query("sla__mqls", params, db=demo_db)
    assert len(now) > 0 or params.get("teams")
    pd.testing.assert_frame_equal(now, previous(PREVIOUS_MQLS, "sla__mqls", params, demo_db))


@pytest.mark.parametrize("params", [p for p in FILTER_SETS if "unanswered_only" not in p])
def test_target_attainment_as_before(demo_db, params):
    now = db.run_query("sla__target_attainment", params, db=demo_db)
    assert len(now) > 0
    pd.testing.assert_frame_equal(now, previous(PREVIOUS_TARGET_ATTAINMENT, "sla__target_attainment", params,
                                                demo_db))


def test_latest_timestamp_as_before(demo_db):
    pd.testing.assert_frame_equal(db.run_query("sla__latest_timestamp", db=demo_db),
                                  previous(PREVIOUS_LATEST_TIMESTAMP, "sla__latest_timestamp", {}, demo_db))


@pytest.mark.parametrize("params", [p for p in FILTER_SETS if "unanswered_only" not in p])
def test_clock_and_labels_are_the_rows_of_mqls(demo_db, params):
    mqls = db.run_query("sla__mqls", params, db=demo_db)
    clock = db.run_query("sla__mql_clock", params, db=demo_db)
    pd.testing.assert_frame_equal(clock.drop(columns="mql_number"), mqls[clock.columns.drop("mql_number")])
    pairs = {"owner": ("owner_id", "owner_name"), "lead": ("lead_id", "segment"), "channel": ("channel", "channel"),
             "campaign": ("source_campaign_id", "campaign_name")}
    for label, (key, text) in pairs.items():
        labels = db.run_query("sla__mql_labels", params, db=demo_db, label=label)
        assert labels["mql_number"].tolist() == clock["mql_number"].tolist()
        assert labels["key_text"].tolist() == mqls[key].tolist()
        assert labels["label_text"].tolist() == mqls[text].tolist()


WINDOW_QUERIES = ["sla__compliance", "sla__scorecard", "sla__compliance_by_rep", "sla__compliance_by_source",
                  "sla__breaches", "sla__response_bands", "sla__response_time"]


@pytest.mark.parametrize("wider", [{}, {"start": dt.date(2025, 7, 1), "end": dt.date(2026, 7, 1)}])
def test_a_window_cut_out_of_a_wider_one_answers_as_a_fresh_one(demo_db, wider, monkeypatch):
    window = {"start": dt.date(2026, 1, 15), "end": dt.date(2026, 4, 1), "segments": ["enterprise", "smb"]}
    fresh = {}
    for name in WINDOW_QUERIES:
        db.RESULTS.clear()
        sla.clear_caches()
        fresh[name] = db.run_query(name, window, db=demo_db)
    db.RESULTS.clear()
    sla.clear_caches()
    sla.evaluate_window({**wider, "segments": ["enterprise", "smb"]}, str(demo_db))
    fresh_evaluations = []
    monkeypatch.setattr(sla_window, "_evaluate", lambda *args: fresh_evaluations.append(args))
    for name in WINDOW_QUERIES:
        pd.testing.assert_frame_equal(db.run_query(name, window, db=demo_db), fresh[name])
    assert not fresh_evaluations  # every window (and the scorecard's previous one) was cut out
    sla.clear_caches()


@pytest.mark.parametrize("params", [p for p in FILTER_SETS if "unanswered_only" not in p])
def test_groups_name_every_mql_once(demo_db, params):
    mqls = db.run_query("sla__mqls", params, db=demo_db)
    clock = db.run_query("sla__mql_clock", params, db=demo_db)
    place = {number: row for row, number in enumerate(clock["mql_number"])}
    pairs = {"owner": ("owner_id", "owner_name"), "channel": ("channel", "channel"),
             "campaign": ("source_campaign_id", "campaign_name"), "segment": ("segment", "segment")}
    for group, (key, text) in pairs.items():
        groups = db.run_query("sla__mql_groups", params, db=demo_db, group=group)
        keys, texts = [None] * len(clock), [None] * len(clock)
        for key_text, label_text, members in groups.itertuples(index=False):
            for number in members:
                assert keys[place[number]] is None  # once
                keys[place[number]], texts[place[number]] = (key_text, label_text)
        missing = lambda values: [None if pd.isna(v) else v for v in values]  # noqa: E731
        assert missing(keys) == missing(mqls[key]) and missing(texts) == missing(mqls[text])
        firsts = [min(members) for members in groups["mql_numbers"]]
        assert firsts == sorted(firsts)  # in order of first appearance
