"""Overview queries on a hand-made company whose answers are worked out in the comments."""

import datetime as dt

import pandas as pd
import pytest

from handoff import db, overview
from handoff.filters import Filters
from tests.fixtures import ts

D = dt.date
PEOPLE = [
    {"person_id": "S1", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "A1", "name": "Ava", "team": "sales", "role": "ae", "region": "NA"},
]
CAMPAIGNS = [
    # 90 days at $10 a day.
    {
        "campaign_id": "C1",
        "name": "Q1 webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": D(2026, 1, 1),
        "end_date": D(2026, 3, 31),
        "cost": 900,
    },
    # 28 days at $10 a day, owned by sales.
    {
        "campaign_id": "C2",
        "name": "Feb sequence",
        "channel": "outbound_sdr",
        "owner_team": "sales",
        "start_date": D(2026, 2, 1),
        "end_date": D(2026, 2, 28),
        "cost": 280,
    },
]


def lead(lead_id, created, channel, campaign, sourced_by, segment, region, **stages):
    return {
        "lead_id": lead_id,
        "created_at": ts(created),
        "channel": channel,
        "source_campaign_id": campaign,
        "sourced_by": sourced_by,
        "segment": segment,
        "region": region,
        "owner_id": "S1",
        **{k: ts(v) for k, v in stages.items()},
    }


LEADS = [
    lead("L0", "2025-05-01 09:00", "webinar", None, "marketing", "smb", "NA"),
    lead(
        "L1",
        "2026-01-10 09:00",
        "webinar",
        "C1",
        "marketing",
        "smb",
        "NA",
        mql_at="2026-01-11 09:00",
        sal_at="2026-01-11 12:00",
        sql_at="2026-01-20 09:00",
    ),
    lead(
        "L2",
        "2026-02-05 09:00",
        "webinar",
        "C1",
        "marketing",
        "enterprise",
        "EMEA",
        mql_at="2026-02-06 10:00",
    ),
    lead(
        "L3",
        "2026-02-10 09:00",
        "outbound_sdr",
        "C2",
        "sales",
        "smb",
        "NA",
        sal_at="2026-02-10 15:00",
        sql_at="2026-02-15 09:00",
    ),
    lead(
        "L4",
        "2026-03-20 09:00",
        "webinar",
        "C1",
        "marketing",
        "smb",
        "NA",
        mql_at="2026-03-31 23:00",
        sal_at="2026-04-01 08:00",
    ),
]
TOUCHES = [
    {
        "touch_id": "T1",
        "lead_id": "L1",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts("2026-01-11 10:30"),
    },  # 1.5 h after the MQL
    {
        "touch_id": "T2",
        "lead_id": "L4",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts("2026-04-01 07:00"),
    },  # 8 h after the MQL
]
DEALS = [
    {
        "deal_id": "D0",
        "lead_id": "L0",
        "created_at": ts("2025-06-01 09:00"),
        "closed_at": ts("2025-09-01 09:00"),
        "stage": "won",
        "amount": 800,
    },
    {
        "deal_id": "D4",
        "lead_id": "L0",
        "created_at": ts("2025-07-01 09:00"),
        "closed_at": ts("2025-10-01 09:00"),
        "stage": "lost",
        "amount": 300,
    },
    {
        "deal_id": "D1",
        "lead_id": "L1",
        "created_at": ts("2026-01-25 09:00"),
        "closed_at": ts("2026-02-20 09:00"),
        "stage": "won",
        "amount": 1000,
    },
    {
        "deal_id": "D2",
        "lead_id": "L3",
        "created_at": ts("2026-02-20 09:00"),
        "closed_at": ts("2026-03-10 09:00"),
        "stage": "lost",
        "amount": 500,
    },
    {"deal_id": "D3", "lead_id": "L4", "created_at": ts("2026-04-05 09:00"), "stage": "open", "amount": 2000},
]
TARGETS = [
    {"period_start": D(2026, 2, 1), "team": "marketing", "metric": "mqls", "value": 28},
    {"period_start": D(2026, 2, 1), "team": "marketing", "metric": "mqls", "segment": "smb", "value": 10},
    {
        "period_start": D(2026, 2, 1),
        "team": "marketing",
        "metric": "mqls",
        "segment": "enterprise",
        "value": 20,
    },
    {"period_start": D(2026, 2, 1), "team": "sales", "metric": "bookings", "value": 1200},
    {"period_start": D(2026, 1, 1), "team": "sales", "metric": "bookings", "segment": "smb", "value": 1500},
    {"period_start": D(2026, 2, 1), "team": "sales", "metric": "bookings", "segment": "smb", "value": 1500},
    {"period_start": D(2026, 3, 1), "team": "sales", "metric": "bookings", "segment": "smb", "value": 1000},
]
FEBRUARY = Filters(start=D(2026, 2, 1), end=D(2026, 3, 1))
Q1 = Filters(start=D(2026, 1, 1), end=D(2026, 4, 1))


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from tests.fixtures import write_db

    return write_db(
        tmp_path_factory.mktemp("overview") / "company.duckdb",
        {
            "people": PEOPLE,
            "campaigns": CAMPAIGNS,
            "leads": LEADS,
            "touches": TOUCHES,
            "deals": DEALS,
            "targets": TARGETS,
        },
    )


def kpis(company, filters):
    return db.run_query("overview__kpis", filters, db=company).iloc[0].to_dict()


def test_february(company):
    row = kpis(company, FEBRUARY)
    # MQL entries in Feb: L2 (6 Feb). SAL and SQL entries: L3 (10 and 15 Feb).
    assert (row["mql_count"], row["sal_count"], row["sql_count"]) == (1, 1, 1)
    # L2 never got a response, so there is no speed to lead to take a median of.
    assert pd.isna(row["median_speed_to_lead_hours"]) and row["responded_mql_count"] == 0
    # Deals created in Feb: D2 ($500, sales-sourced). Won in Feb: D1 ($1,000); D2 closed in March.
    assert row["pipeline_created_usd"] == 500 and row["marketing_sourced_share_rate"] == 0
    assert (row["bookings_usd"], row["won_count"], row["lost_count"], row["win_rate"]) == (1000, 1, 0, 1.0)
    # Cost: C1 runs all 28 days of Feb at $10 ($280) + C2 entirely ($280); one new customer.
    assert row["campaign_cost_usd"] == pytest.approx(560) and row["cac_usd"] == pytest.approx(560)


def test_the_first_quarter(company):
    row = kpis(company, Q1)
    # MQLs L1, L2 and L4 (31 Mar 23:00 is inside); L4's SAL on 1 Apr is not.
    assert (row["mql_count"], row["sal_count"], row["sql_count"]) == (3, 2, 2)
    # Responses: L1 after 1.5 h, L4 after 8 h, L2 none: median of (1.5, 8) = 4.75 h.
    assert row["median_speed_to_lead_hours"] == pytest.approx(4.75) and row["responded_mql_count"] == 2
    # D1 $1,000 (marketing-sourced) + D2 $500 (sales-sourced).
    assert row["pipeline_created_usd"] == 1500
    assert row["marketing_sourced_share_rate"] == pytest.approx(2 / 3)
    # D1 won, D2 lost: 1 / (1 + 1).
    assert row["win_rate"] == 0.5
    # The whole of both campaigns: $900 + $280 over one new customer.
    assert row["cac_usd"] == pytest.approx(1180)


def test_lead_filters_apply_to_leads_and_deals_but_cost_follows_channel_only(company):
    smb = kpis(company, Filters(start=Q1.start, end=Q1.end, segments=["smb"]))
    # SMB leads L1, L3, L4: MQLs L1 and L4; their deals D1 and D2; cost cannot be split by segment.
    assert smb["mql_count"] == 2 and smb["pipeline_created_usd"] == 1500 and smb["campaign_cost_usd"] == 1180
    webinar = kpis(company, Filters(start=Q1.start, end=Q1.end, channels=["webinar"]))
    # Webinar leads L1, L2, L4 and only C1's $900, over D1.
    assert webinar["mql_count"] == 3 and webinar["campaign_cost_usd"] == 900 and webinar["cac_usd"] == 900


def test_an_empty_window_gives_zeros_and_no_rates(company):
    row = kpis(company, Filters(start=D(2030, 1, 1), end=D(2030, 2, 1)))
    assert (row["mql_count"], row["pipeline_created_usd"], row["bookings_usd"], row["campaign_cost_usd"]) == (
        0,
        0,
        0,
        0,
    )
    assert (
        pd.isna(row["win_rate"]) and pd.isna(row["cac_usd"]) and pd.isna(row["marketing_sourced_share_rate"])
    )


def test_targets_are_prorated_by_day_and_follow_segments(company):
    targets = db.run_query("overview__targets_by_month", FEBRUARY, db=company)
    assert overview.window_target(targets, "marketing", "mqls", D(2026, 2, 1), D(2026, 3, 1)) == 28
    # Half of February (14 of 28 days) carries half the target.
    assert overview.window_target(targets, "marketing", "mqls", D(2026, 2, 1), D(2026, 2, 15)) == 14
    # Two segments with targets sum; a segment without one means no target at all.
    both = db.run_query("overview__targets_by_month", Filters(segments=["smb", "enterprise"]), db=company)
    assert overview.window_target(both, "marketing", "mqls", D(2026, 2, 1), D(2026, 3, 1)) == 30
    partial = db.run_query("overview__targets_by_month", Filters(segments=["smb", "consumer"]), db=company)
    assert overview.window_target(partial, "marketing", "mqls", D(2026, 2, 1), D(2026, 3, 1)) is None
    # Regions have no targets.
    regional = db.run_query("overview__targets_by_month", Filters(regions=["NA"]), db=company)
    assert regional.empty
    # A window without any target month, and an open-ended window, have none either.
    assert overview.window_target(targets, "marketing", "mqls", D(2026, 5, 1), D(2026, 6, 1)) is None
    assert overview.window_target(targets, "marketing", "mqls", None, None) is None


def test_tiles_compare_with_the_previous_period_across_a_month_boundary(company):
    march = Filters(start=D(2026, 3, 1), end=D(2026, 4, 1))
    assert (march.previous().start, march.previous().end) == (FEBRUARY.start, FEBRUARY.end)
    current, previous = kpis(company, march), kpis(company, march.previous())
    targets = db.run_query("overview__targets_by_month", march, db=company)
    by_key = {t.kpi.key: t for t in overview.tiles(current, previous, targets, march.start, march.end)}
    # MQLs: March has L4, February had L2: +0 %; March has no MQL target.
    assert by_key["mqls"].value == 1 and by_key["mqls"].delta_text == "+0.0 % vs previous period"
    assert by_key["mqls"].target_text == "no target for these filters"
    # Win rate: March D2 lost (0 %) against February's D1 won (100 %).
    assert by_key["win_rate"].delta_text == "-100.0 pp vs previous period"
    feb = {t.kpi.key: t for t in overview.tiles(previous, current, targets, FEBRUARY.start, FEBRUARY.end)}
    # February bookings $1,000 against a $1,200 target.
    assert feb["bookings"].target_text == "83 % of target $1.2k"


def test_money_by_month_covers_the_whole_quarter(company):
    months = db.run_query("overview__money_by_month", FEBRUARY, db=company)
    assert months["month_start"].dt.date.tolist() == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    # Jan: D1 created. Feb: D2 created, D1 won. March: nothing.
    assert months["pipeline_created_usd"].tolist() == [1000, 500, 0]
    assert months["bookings_usd"].tolist() == [0, 1000, 0]


def test_pipeline_coverage_holds_each_segment_to_its_own_win_rate(company):
    raw = db.run_query("overview__pipeline_coverage", db=company)
    # This quarter = the quarter of the latest lead (L4, March): Q1 2026. Only SMB has deals.
    # Open: D3 $2,000. Won this quarter: D1 $1,000. The four quarters before: D0 won, D4 lost.
    row = raw.set_index("segment").loc["smb"]
    assert (row["open_pipeline_usd"], row["quarter_bookings_usd"], row["trailing_win_rate"]) == (
        2000,
        1000,
        0.5,
    )
    segment_targets = db.run_query("overview__targets_by_month", db=company, by_segment=True)
    coverage = overview.pipeline_coverage(raw, segment_targets).set_index("segment")
    # Target $4,000 for the quarter, $1,000 booked: $3,000 to go, covered 2,000 / 3,000 = 0.67×,
    # while a 50 % win rate needs 2×: short.
    assert coverage.loc["smb", "remaining_target_usd"] == 3000
    assert coverage.loc["smb", "coverage_ratio"] == pytest.approx(2 / 3)
    assert coverage.loc["smb", "needed_ratio"] == 2
    assert coverage.loc["smb", "status"] == "short"
    assert coverage.loc["total", "needed_ratio"] == 2


def test_what_changed_ranks_by_how_surprising_a_move_is():
    small_base = overview.Movement("conversion", "SAL → SQL conversion", 0.5, 0.8, 10, 10)
    big_base = overview.Movement("conversion", "MQL → SAL conversion", 0.90, 0.85, 4000, 4000)
    volume = overview.Movement("volume", "Paid search leads", 400, 250, 400, 250)
    top = overview.biggest_movements([small_base, big_base, volume], count=2)
    # 5 pp on 4,000 records (z ≈ 6.9) beats 30 pp on 10 records (z ≈ 1.4); the volume drop z ≈ 5.9.
    assert [m.subject for m in top] == ["MQL → SAL conversion", "Paid search leads"]
    assert top[0].sentence() == "MQL → SAL conversion fell from 90.0 % to 85.0 % (-5.0 pp, on 4,000 records)."
    assert top[1].sentence() == "Paid search leads fell from 400 to 250 (-38 %)."


def test_sla_tiles_pool_each_teams_policies():
    rows = pd.DataFrame(
        {
            "policy_id": ["follow_up", "follow_up", "acceptance", "mql_volume"],
            "owner_team": ["sales", "sales", "sales", "marketing"],
            "met_count": [8, 1, 5, 0],
            "breached_count": [2, 1, 3, 0],
            "pending_count": [4, 0, 0, 1],
        }
    )
    # Sales: (8 + 1 + 5) met of (10 + 2 + 8) judged; pending never counts. Marketing: nothing judged yet.
    assert overview.sla_by_team(rows) == {"sla_sales": 14 / 20, "sla_marketing": None}
    assert overview.sla_by_team(rows.iloc[:0]) == {"sla_marketing": None, "sla_sales": None}


def test_what_changed_compares_each_steps_own_conversion(company):
    # Period funnels. Q1: leads L1–L4 (marketing-sourced L1, L2, L4); MQL entries L1, L2, L4 (never the
    # sales-sourced L3); SAL entries L1 and L3, which joined there: MQL → SAL = (2 − 1) ÷ 3 MQLs.
    # February: lead L2 (marketing) and L3; MQL L2; SAL L3 joining: MQL → SAL = (1 − 1) ÷ 1 = 0.
    # SQL entries Q1: L1, L3 of 2 SALs; February L3 of 1. Opportunities Q1: L1, L3 (L4's deal is in April)
    # of 2 SQLs; February L3 of 1. Won Q1: L1 of 2 opportunities; February L1 (won 20 Feb) of 1.
    q1 = db.run_query("funnel__stage_counts", Q1, db=company, mode="period")
    february = db.run_query("funnel__stage_counts", FEBRUARY, db=company, mode="period")
    # Q1 as "now", February as "before": (before, after, records before, records now, owner).
    moves = {
        m.subject: (m.before, m.after, m.before_base, m.after_base, m.owner_team)
        for m in overview.funnel_movements(q1, february)
    }
    # Each named by the registry: the step's conversion in the period.
    assert moves == {
        "Lead → MQL in the period": (1.0, 1.0, 1, 3, "marketing"),
        "MQL → SAL (the handoff) in the period": (0.0, pytest.approx(1 / 3), 1, 3, "sales"),
        "SAL → SQL in the period": (1.0, 1.0, 1, 2, "sales"),
        "SQL → Opportunity in the period": (1.0, 1.0, 1, 2, "sales"),
        "Opportunity → Won in the period": (1.0, 0.5, 1, 2, "sales"),
    }
