"""The demo company: sound data, deterministic, and a story worth looking at."""

import datetime as dt
import hashlib

import duckdb
import pandas as pd
import pytest

from handoff import db
from handoff.demo import build_demo, demo_start, generate
from handoff.demo.build import DEMO_QUERIES_DIR
from tests.fixtures import AS_OF, DEMO_LEADS


@pytest.fixture(scope="module")
def con(demo_db):
    # Through the library's pool: DuckDB refuses a second connection with other settings.
    with db.read_cursor(demo_db) as cursor:
        yield cursor


def one(con, sql):
    return con.execute(sql).fetchone()[0]


def test_shape_of_the_company(con):
    assert one(con, "select count(*) from leads") == DEMO_LEADS
    assert 30 <= one(con, "select count(*) from campaigns") <= 60
    assert one(con, "select count(distinct channel) from campaigns") >= 10
    assert one(con, "select count(distinct region) from people where region is not null") >= 3
    roles = {r[0] for r in con.execute("select distinct role from people").fetchall()}
    assert {"marketer", "sdr", "ae", "manager", "account_manager"} <= roles
    segments = {r[0] for r in con.execute("select distinct segment from leads").fetchall()}
    assert {"smb", "mid_market", "enterprise", "consumer"} == segments
    stages = {r[0] for r in con.execute("select distinct stage from deals").fetchall()}
    assert stages == {"open", "won", "lost"}
    assert one(con, "select count(*) from deals where stage = 'lost' and lost_reason is null") == 0
    assert one(con, "select count(*) from campaigns where cost <= 0 or budget <= 0") == 0
    teams = {r[0] for r in con.execute("select distinct team from targets").fetchall()}
    assert teams == {"marketing", "sales"}


def test_the_data_covers_eight_quarters_before_the_as_of_date(con):
    assert demo_start(AS_OF) == dt.date(2024, 4, 1)
    first, last = con.execute("select min(created_at), max(created_at) from leads").fetchone()
    assert first.date() >= dt.date(2024, 4, 1) and first.date() < dt.date(2024, 4, 8)
    assert last.date() <= AS_OF
    latest = one(
        con,
        """select greatest(max(touched_at), (select max(coalesce(closed_at, created_at)) from deals))
                         from touches""",
    )
    assert latest < dt.datetime(2026, 7, 1)


def test_every_foreign_key_resolves(con):
    assert (
        one(
            con,
            "select count(*) from people where manager_id is not null "
            "and manager_id not in (select person_id from people)",
        )
        == 0
    )
    assert one(con, "select count(*) from leads where owner_id not in (select person_id from people)") == 0
    assert (
        one(con, "select count(*) from touches where campaign_id not in (select campaign_id from campaigns)")
        == 0
    )


def test_stage_timestamps_are_in_order(con):
    assert (
        one(
            con,
            """select count(*) from leads
        where mql_at < created_at or sal_at < coalesce(mql_at, created_at) or sql_at < sal_at
           or (sql_at is not null and sal_at is null) or disqualified_at < created_at""",
        )
        == 0
    )
    assert (
        one(
            con,
            """select count(*) from deals d join leads l using (lead_id)
        where l.sql_at is null or d.created_at < l.sql_at or d.closed_at < d.created_at
           or (d.stage = 'open') <> (d.closed_at is null)""",
        )
        == 0
    )
    assert (
        one(con, "select count(*) from leads where (disqualified_at is null) <> (disqualify_reason is null)")
        == 0
    )


def test_the_funnel_is_monotonic(con):
    reached = con.execute("""
        with staged as (
            select l.*, d.created_at as opportunity_at,
                   case when d.stage = 'won' then d.closed_at end as won_at
            from leads l left join deals d using (lead_id))
        select count(*),
               count(coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at)),
               count(coalesce(sal_at, sql_at, opportunity_at, won_at)),
               count(coalesce(sql_at, opportunity_at, won_at)),
               count(coalesce(opportunity_at, won_at)),
               count(won_at)
        from staged""").fetchone()
    assert list(reached) == sorted(reached, reverse=True)
    assert reached[-1] > 0


def test_same_seed_same_data_and_another_seed_differs(tmp_path):
    def fingerprint(seed):
        tables = generate(leads=500, seed=seed, as_of=AS_OF)
        return {
            name: hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
            for name, frame in tables.items()
        }

    assert fingerprint(3) == fingerprint(3)
    assert fingerprint(3)["leads"] != fingerprint(4)["leads"]
    a = build_demo(tmp_path / "a.duckdb", leads=500, seed=3, as_of=AS_OF)
    b = build_demo(tmp_path / "b.duckdb", leads=500, seed=3, as_of=AS_OF)
    dump = "select * from leads order by lead_id"
    assert (
        duckdb.connect(str(a), read_only=True).execute(dump).fetchall()
        == duckdb.connect(str(b), read_only=True).execute(dump).fetchall()
    )


def test_two_builds_of_the_same_data_store_bitwise_the_same_tables(tmp_path):
    # Enough leads for DuckDB to aggregate in parallel: a sum over unordered rows (the attribution
    # time decay's was) then changes its last bit from one build to the next.
    a = build_demo(tmp_path / "a.duckdb", leads=40_000, seed=3, as_of=AS_OF)
    b = build_demo(tmp_path / "b.duckdb", leads=40_000, seed=3, as_of=AS_OF)
    with duckdb.connect(str(a), read_only=True) as first, duckdb.connect(str(b), read_only=True) as second:
        tables = [
            row[0]
            for row in first.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "and table_name <> 'handoff_meta' order by 1"
            ).fetchall()
        ]
        assert "attribution_journeys" in tables and "sla_mql_facts" in tables
        for table in tables:
            dump = f"select * from {table} order by all"
            assert first.execute(dump).fetchall() == second.execute(dump).fetchall(), table


def test_too_few_leads_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 100"):
        build_demo(tmp_path / "x.duckdb", leads=5, as_of=AS_OF)


SPEED = """
    with first_response as (
        select l.lead_id, l.mql_at, l.score, l.sql_at,
               min(t.touched_at) filter (where t.team = 'sales' and t.touched_at >= l.mql_at) as responded_at
        from leads l join touches t using (lead_id)
        where l.mql_at is not null
        group by all)
    select *, date_diff('minute', mql_at, responded_at) / 60.0 as response_hours from first_response
"""


def test_the_quarter_marketing_missed_its_mql_target(con):
    # As of 30 June 2026 the demo starts in Q2 2024; the fourth quarter is Q1 2025.
    attainment = dict(
        con.execute("""
        with actual as (select date_trunc('quarter', mql_at) as q, count(*) as mqls from leads
                        where mql_at is not null group by 1),
             planned as (select date_trunc('quarter', period_start) as q, sum(value) as target from targets
                         where metric = 'mqls' and segment is null group by 1)
        select strftime(q, '%Y-%m'), mqls / target from actual join planned using (q)""").fetchall()
    )
    missed = attainment.pop("2025-01")
    attainment.pop("2024-04")  # the first quarter ramps up
    attainment.pop("2026-04", None)
    assert missed < 0.8
    assert min(attainment.values()) > 0.85


def test_the_quarter_sales_follow_up_slipped(con):
    by_quarter = dict(
        con.execute(f"""
        select strftime(date_trunc('quarter', mql_at), '%Y-%m'), median(response_hours)
        from ({SPEED}) group by 1""").fetchall()
    )
    slipped = by_quarter.pop("2025-10")  # the seventh quarter
    assert slipped > 3 * max(by_quarter.values())


def test_reps_differ_in_follow_up_speed(con):
    medians = [
        row[0]
        for row in con.execute(f"""
        select median(s.response_hours) from ({SPEED}) s join leads l using (lead_id)
        group by l.owner_id""").fetchall()
    ]
    assert max(medians) > 20 * min(medians)


def test_conversion_depends_on_both_score_and_speed(con):
    rates = dict(
        ((row[0], row[1]), row[2])
        for row in con.execute(f"""
        select score >= 60 as is_high_score, response_hours <= 1 as is_fast, avg((sql_at is not null)::int)
        from ({SPEED}) where responded_at is not null and mql_at < '2026-04-01' group by all""").fetchall()
    )
    assert rates[(True, True)] > rates[(True, False)] + 0.08
    assert rates[(True, True)] > rates[(False, True)] + 0.08
    assert rates[(False, False)] < rates[(True, False)]


def test_some_mqls_are_still_waiting_at_the_as_of_date(con):
    waiting = one(
        con,
        f"""select count(*) from ({SPEED}) s join leads l using (lead_id)
        where s.responded_at is null and l.sal_at is null and l.disqualified_at is null
          and l.mql_at >= timestamp '{AS_OF}' - interval 2 day""",
    )
    assert waiting > 0


def test_channels_differ_in_quality_and_cost(con):
    scores = dict(con.execute("select channel, avg(score) from leads group by 1").fetchall())
    assert scores["referral"] - scores["social"] > 20
    cost_per_lead = dict(
        con.execute("""select c.channel, sum(c.cost) / count(distinct l.lead_id)
        from campaigns c join leads l on l.source_campaign_id = c.campaign_id group by 1""").fetchall()
    )
    assert cost_per_lead["events"] > 5 * cost_per_lead["email"]


def test_touches_come_from_both_teams_before_and_after_the_handoff(con):
    counts = dict(
        con.execute("""select t.team || case when t.touched_at < l.mql_at then '-before' else '-after' end,
        count(*) from touches t join leads l using (lead_id) where l.mql_at is not null group by 1""").fetchall()
    )
    assert min(counts.values()) > 50
    assert set(counts) == {"marketing-before", "marketing-after", "sales-after"} | (
        {"sales-before"} & set(counts)
    )


def test_ids_keep_every_digit_past_the_padding():
    """Lead 12,345,678 is L12345678, not L1234567 (lpad cuts a longer string short)."""
    frame = pd.DataFrame(
        {
            "touch_number": [7, 123_456_789],
            "lead_number": [5, 12_345_678],
            "campaign_id": ["C1", None],
            "channel": ["email", "email"],
            "team": ["sales", "sales"],
            "kind": ["call", "call"],
            "touched_at": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "person_id": ["P1", "P1"],
        }
    )
    con = duckdb.connect()
    con.register("frame", frame)
    ids = con.execute((DEMO_QUERIES_DIR / "touches.sql").read_text()).fetchall()
    assert [row[:2] for row in ids] == [("T00000007", "L0000005"), ("T123456789", "L12345678")]
