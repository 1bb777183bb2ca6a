"""Every sla__* query on one hand-made database whose answers are worked out below.

The data's as-of time is Friday 20 March 2026, 12:00 UTC (the latest timestamp: a marketing touch).
Business hours are 09:00–17:00 on weekdays, local: NA = New York (EST = UTC-5 until Sunday 8
March, EDT = UTC-4 after; Friday 6 March is an NA holiday here), APAC = Singapore (UTC+8), any other
region UTC. Policies (TEST_POLICIES): follow-up on the business clock, 1 h for score ≥ 80 else
24 h; a decision within 2 clock days (48 h); monthly MQLs ≥ target (per segment); acceptance ≥ 75 %
judged 7 days after the month; marketing-sourced pipeline ≥ target.

Each MQL (UTC times; business hours in its region's local time):

L11  NA, score 10, enterprise, webinar, Ada. MQL Mon 2 Feb 15:00 (10:00 EST).
     First sales touch Thu 5 Feb 16:00: 7 + 8 + 8 + 2 = 25 business h > 24: breached by 1.
     Rejected with a reason after 24 h: decided in time.
L1   NA, 90, smb, webinar, Ada. MQL Fri 6 Feb 22:55 (17:55 EST, after closing).
     Touch Mon 9 Feb 14:50 (09:50 EST): 50 min ≤ 1 h: met. Accepted after 64 h 05: breached by 16.083 h.
L3   APAC, 85, enterprise, webinar, Ben. MQL Tue 10 Feb 02:00 (10:00 SGT).
     Touch 04:00 the same day: 2 business h > 1: breached by 1. Accepted after 3 h: met.
L2   NA, 50, smb, paid_search, Ada. MQL Wed 11 Feb 15:00 (10:00 EST).
     Touch Fri 13 Feb 20:00: 7 + 8 + 6 = 21 business h: met. Rejected after 53.5 h: breached by 5.5.
L4   APAC, 40, smb, paid_search, Ben. MQL Fri 20 Feb 08:00 (16:00 SGT). Its only sales touch came
     before mql_at, so none counts: 1 + 19 × 8 + 8 = 161 business h so far: breached by 137, open.
     Disqualified without a reason, so never decided: 676 clock h so far, breached by 628.
L9   EMEA (no calendar: UTC), no score, consumer, referral, Cleo. MQL Mon 2 Mar 10:00.
     Touch 10:03: 0.05 h: met. Accepted after 24 h: met.
L5   NA, 80, smb, webinar, Ada. MQL Thu 5 Mar 21:00 (16:00 EST). Touch Mon 9 Mar 13:00 (09:00
     EDT): 1 h on Thursday, Friday is a holiday, summer time began on Sunday: exactly 1 h, met.
     Accepted after 13 h: met.
L6   NA, 30, smb, paid_search, Ada. MQL Thu 19 Mar 14:00 (10:00 EDT), no touch: 7 business h so
     far ≤ 24, pending, due Tue 24 Mar 14:00 UTC. Undecided after 22 h: pending.
L7   APAC, 95, enterprise, webinar, Ben. MQL Fri 20 Mar 03:00 (11:00 SGT), no touch: 6 business h
     so far > 1: breached by 5, open. Undecided after 9 h: pending.
L8   NA, 85, mid_market, paid_search, Ada. MQL Fri 20 Mar 11:30 (07:30 EDT), no touch: 0 business
     h so far, pending, due 10:00 EDT = 14:00 UTC. Undecided after 0.5 h: pending.
L10 is sales-sourced and never an MQL; its deal D2 (Feb, $5,000) counts only for sales.
"""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from handoff import db
from handoff.cli import main
from handoff.errors import ParameterError
from tests.fixtures import ts

TEST_POLICIES = """
[scorecard]
amber_points = 10
[business_hours]
time_zone = "UTC"
[regions.NA]
time_zone = "America/New_York"
holidays = [2026-03-06]
[regions.APAC]
time_zone = "Asia/Singapore"
[[policies]]
id = "follow_up"
name = "Follow up fast"
owner_team = "sales"
kind = "follow_up"
clock = "business"
tiers = [{ min_score = 80, hours = 1 }, { min_score = 0, hours = 24 }]
goal_pct = 90
[[policies]]
id = "decide"
name = "Decide in two days"
owner_team = "sales"
kind = "acceptance_decision"
days = 2
goal_pct = 90
[[policies]]
id = "volume"
name = "MQL volume"
owner_team = "marketing"
kind = "volume"
goal_pct = 80
[[policies]]
id = "quality"
name = "MQL quality"
owner_team = "marketing"
kind = "quality"
min_acceptance_pct = 75
settle_days = 7
goal_pct = 80
[[policies]]
id = "pipeline"
name = "Sourced pipeline"
owner_team = "marketing"
kind = "pipeline"
goal_pct = 80
"""
AS_OF = ts("2026-03-20 12:00")

PEOPLE = [
    {"person_id": "P1", "name": "Ada Okafor", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "P2", "name": "Ben Moreau", "team": "sales", "role": "sdr", "region": "APAC"},
    {"person_id": "P3", "name": "Cleo Park", "team": "sales", "role": "sdr", "region": "EMEA"},
    {"person_id": "A1", "name": "Abe Stone", "team": "sales", "role": "ae", "region": "NA"},
]
CAMPAIGNS = [
    {
        "campaign_id": "C1",
        "name": "Spring webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": dt.date(2026, 1, 1),
        "cost": 0,
    },
    {
        "campaign_id": "C2",
        "name": "Search ads",
        "channel": "paid_search",
        "owner_team": "marketing",
        "start_date": dt.date(2026, 1, 1),
        "cost": 0,
    },
]


def lead(lead_id, created, region, score, segment, channel, owner, mql_at=None, **extra):
    campaign = {"webinar": "C1", "paid_search": "C2"}.get(channel)
    return {
        "lead_id": lead_id,
        "created_at": ts(created),
        "channel": channel,
        "source_campaign_id": campaign,
        "sourced_by": extra.pop("sourced_by", "marketing"),
        "segment": segment,
        "region": region,
        "score": score,
        "owner_id": owner,
        "mql_at": ts(mql_at) if mql_at else None,
        **{k: ts(v) if k.endswith("_at") else v for k, v in extra.items()},
    }


LEADS = [
    lead(
        "L11",
        "2026-02-02 09:00",
        "NA",
        10,
        "enterprise",
        "webinar",
        "P1",
        "2026-02-02 15:00",
        disqualified_at="2026-02-03 15:00",
        disqualify_reason="not_a_fit",
    ),
    lead(
        "L1",
        "2026-02-06 20:00",
        "NA",
        90,
        "smb",
        "webinar",
        "P1",
        "2026-02-06 22:55",
        sal_at="2026-02-09 15:00",
        sql_at="2026-02-10 12:00",
    ),
    lead(
        "L3",
        "2026-02-09 20:00",
        "APAC",
        85,
        "enterprise",
        "webinar",
        "P2",
        "2026-02-10 02:00",
        sal_at="2026-02-10 05:00",
        sql_at="2026-02-12 05:00",
    ),
    lead(
        "L2",
        "2026-02-11 10:00",
        "NA",
        50,
        "smb",
        "paid_search",
        "P1",
        "2026-02-11 15:00",
        disqualified_at="2026-02-13 20:30",
        disqualify_reason="no_budget",
    ),
    lead("L10", "2026-02-14 10:00", "NA", 60, "smb", "outbound_sdr", "P1", sourced_by="sales"),
    lead(
        "L4",
        "2026-02-19 08:00",
        "APAC",
        40,
        "smb",
        "paid_search",
        "P2",
        "2026-02-20 08:00",
        disqualified_at="2026-02-21 08:00",
    ),
    lead(
        "L9",
        "2026-03-02 09:00",
        "EMEA",
        None,
        "consumer",
        "referral",
        "P3",
        "2026-03-02 10:00",
        sal_at="2026-03-03 10:00",
        sql_at="2026-03-04 10:00",
    ),
    lead(
        "L5",
        "2026-03-05 12:00",
        "NA",
        80,
        "smb",
        "webinar",
        "P1",
        "2026-03-05 21:00",
        sal_at="2026-03-06 10:00",
    ),
    lead("L6", "2026-03-19 10:00", "NA", 30, "smb", "paid_search", "P1", "2026-03-19 14:00"),
    lead("L7", "2026-03-20 01:00", "APAC", 95, "enterprise", "webinar", "P2", "2026-03-20 03:00"),
    lead("L8", "2026-03-20 11:00", "NA", 85, "mid_market", "paid_search", "P1", "2026-03-20 11:30"),
]


def touch(touch_id, lead_id, at, team="sales", person="P1"):
    channel = "direct_sales" if team == "sales" else "email"
    return {
        "touch_id": touch_id,
        "lead_id": lead_id,
        "channel": channel,
        "team": team,
        "kind": "call" if team == "sales" else "email",
        "touched_at": ts(at),
        "person_id": person if team == "sales" else None,
    }


TOUCHES = [
    touch("T1", "L1", "2026-02-09 14:50"),
    touch("T2", "L2", "2026-02-13 20:00"),
    touch("T3", "L3", "2026-02-10 04:00", person="P2"),
    touch("T4", "L4", "2026-02-19 12:00", person="P2"),  # before mql_at: not a follow-up
    touch("T5", "L5", "2026-03-09 13:00"),
    touch("T6", "L9", "2026-03-02 10:03", person="P3"),
    touch("T7", "L11", "2026-02-05 16:00"),
    touch("T8", "L7", "2026-03-20 04:00", team="marketing"),  # marketing nurture is not follow-up
    touch("T9", "L8", "2026-03-20 12:00", team="marketing"),  # the latest timestamp: the as-of time
]
DEALS = [
    {
        "deal_id": "D1",
        "lead_id": "L1",
        "created_at": ts("2026-02-20 10:00"),
        "closed_at": ts("2026-03-10 10:00"),
        "stage": "won",
        "amount": 10000,
        "owner_id": "A1",
    },
    {
        "deal_id": "D2",
        "lead_id": "L10",
        "created_at": ts("2026-02-15 10:00"),
        "stage": "open",
        "amount": 5000,
        "owner_id": "A1",
    },
    {
        "deal_id": "D3",
        "lead_id": "L9",
        "created_at": ts("2026-03-10 10:00"),
        "stage": "open",
        "amount": 3000,
        "owner_id": "A1",
    },
]


def target(month, team, metric, value, segment=None):
    return {
        "period_start": dt.date(2026, month, 1),
        "team": team,
        "metric": metric,
        "segment": segment,
        "value": value,
    }


TARGETS = [
    target(1, "marketing", "pipeline", 1000),
    target(2, "marketing", "mqls", 5),
    target(2, "marketing", "mqls", 4, "smb"),
    target(2, "marketing", "pipeline", 8000),
    target(2, "marketing", "nps", 50),
    target(2, "sales", "pipeline", 20000),
    target(2, "sales", "sals", 1),
    target(3, "marketing", "mqls", 10),
    target(3, "marketing", "mqls", 2, "smb"),
    target(3, "marketing", "pipeline", 20000),
    target(4, "marketing", "mqls", 9),
]
FEB, MAR = {"start": "2026-02-01", "end": "2026-03-01"}, {"start": "2026-03-01", "end": "2026-04-01"}
FEB_MAR = {"start": "2026-02-01", "end": "2026-04-01"}


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory):
    from tests.fixtures import write_db

    tables = {
        "people": PEOPLE,
        "campaigns": CAMPAIGNS,
        "leads": LEADS,
        "touches": TOUCHES,
        "deals": DEALS,
        "targets": TARGETS,
    }
    yield write_db(tmp_path_factory.mktemp("sla") / "sla.duckdb", tables)
    db.close_connections()


def run(name, hand_db, **params):
    return db.run_query(name, db=hand_db, policies=TEST_POLICIES, **params)


def _clean(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return round(float(value), 9) if isinstance(value, float | np.floating) else value


def rows(frame, *columns):
    """The frame's rows as tuples: NaN/NaT as None, floats rounded to 9 places (compare with `approx`)."""
    return [tuple(_clean(v) for v in row) for row in frame[list(columns)].itertuples(index=False)]


def approx(expected):
    """Expected rows with floats rounded the same way as `rows`."""
    return [tuple(_clean(v) for v in row) for row in expected]


# --- SQL inputs ---------------------------------------------------------------------------------


def test_latest_timestamp_is_the_as_of_time(hand_db):
    assert db.run_query("sla__latest_timestamp", db=hand_db)["as_of_at"].tolist() == [pd.Timestamp(AS_OF)]


def test_mqls_with_first_sales_touch_and_decision(hand_db):
    mqls = db.run_query("sla__mqls", db=hand_db).set_index("lead_id")
    # Ten MQLs in mql_at order; L10 never became one.
    assert list(mqls.index) == ["L11", "L1", "L3", "L2", "L4", "L9", "L5", "L6", "L7", "L8"]
    # L4's only sales touch came before mql_at, L7's touch is marketing's: neither is a follow-up.
    assert mqls["first_sales_touch_at"].isna().to_dict() == {
        "L11": False,
        "L1": False,
        "L3": False,
        "L2": False,
        "L4": True,
        "L9": False,
        "L5": False,
        "L6": True,
        "L7": True,
        "L8": True,
    }
    # Accepted = has sal_at; rejected = disqualified with a reason; L4 was disqualified without one.
    assert mqls.loc["L1", ["is_accepted", "is_rejected"]].tolist() == [True, False]
    assert mqls.loc["L2", ["is_accepted", "is_rejected", "decided_at"]].tolist() == [
        False,
        True,
        ts("2026-02-13 20:30"),
    ]
    assert mqls.loc["L4", ["is_accepted", "is_rejected"]].tolist() == [False, False]
    assert pd.isna(mqls.loc["L4", "decided_at"])
    assert mqls.loc["L1", ["owner_name", "campaign_name", "reached_sql", "reached_won"]].tolist() == [
        "Ada Okafor",
        "Spring webinar",
        True,
        True,
    ]


def test_mqls_filters_and_unanswered_only(hand_db):
    na = db.run_query("sla__mqls", db=hand_db, regions=["NA"], **FEB)
    assert na["lead_id"].tolist() == ["L11", "L1", "L2"]
    unanswered = db.run_query("sla__mqls", db=hand_db, unanswered_only=True)
    assert unanswered["lead_id"].tolist() == ["L4", "L6", "L7", "L8"]


def test_target_attainment(hand_db):
    got = db.run_query("sla__target_attainment", db=hand_db)
    assert rows(got, "period_start", "team", "metric", "segment", "target_value", "actual_value") == [
        (pd.Timestamp("2026-01-01"), "marketing", "pipeline", None, 1000.0, 0.0),  # no deal in January
        (pd.Timestamp("2026-02-01"), "marketing", "mqls", None, 5.0, 5.0),  # L11, L1, L3, L2, L4
        (pd.Timestamp("2026-02-01"), "marketing", "mqls", "smb", 4.0, 3.0),  # L1, L2, L4
        (pd.Timestamp("2026-02-01"), "marketing", "nps", None, 50.0, None),  # a metric Handoff doesn't know
        # D1 only: D2's lead was sourced by sales.
        (pd.Timestamp("2026-02-01"), "marketing", "pipeline", None, 8000.0, 10000.0),
        (pd.Timestamp("2026-02-01"), "sales", "pipeline", None, 20000.0, 15000.0),  # D1 + D2
        (pd.Timestamp("2026-02-01"), "sales", "sals", None, 1.0, 2.0),  # L1 (9 Feb), L3 (10 Feb)
        (pd.Timestamp("2026-03-01"), "marketing", "mqls", None, 10.0, 5.0),  # L9, L5, L6, L7, L8
        (pd.Timestamp("2026-03-01"), "marketing", "mqls", "smb", 2.0, 2.0),  # L5, L6
        (pd.Timestamp("2026-03-01"), "marketing", "pipeline", None, 20000.0, 3000.0),  # D3
        (pd.Timestamp("2026-04-01"), "marketing", "mqls", None, 9.0, 0.0),
    ]
    smb = db.run_query("sla__target_attainment", db=hand_db, segments=["smb"], **FEB_MAR)
    assert rows(smb, "period_start", "actual_value") == [
        (pd.Timestamp("2026-02-01"), 3.0),
        (pd.Timestamp("2026-03-01"), 2.0),
    ]


# --- The contract -------------------------------------------------------------------------------

CONTRACT = [
    "policy_id",
    "policy_name",
    "owner_team",
    "period_start",
    "due_count",
    "met_count",
    "breached_count",
    "pending_count",
    "compliance_rate",
]
JAN, FEB_TS, MAR_TS = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")
EXPECTED_COMPLIANCE = [
    # follow-up: Feb L11 ✗, L1 ✓, L3 ✗, L2 ✓, L4 ✗ → 2 of 5. Mar L9 ✓, L5 ✓, L7 ✗, L6 L8 pending.
    ("follow_up", "Follow up fast", "sales", JAN, 0, 0, 0, 0, None),
    ("follow_up", "Follow up fast", "sales", FEB_TS, 5, 2, 3, 0, 0.4),
    ("follow_up", "Follow up fast", "sales", MAR_TS, 5, 2, 1, 2, 2 / 3),
    # decision: Feb L11 ✓, L1 ✗, L3 ✓, L2 ✗, L4 ✗. Mar L9 ✓, L5 ✓, L6 L7 L8 pending (< 48 h).
    ("decide", "Decide in two days", "sales", JAN, 0, 0, 0, 0, None),
    ("decide", "Decide in two days", "sales", FEB_TS, 5, 2, 3, 0, 0.4),
    ("decide", "Decide in two days", "sales", MAR_TS, 5, 2, 0, 3, 1.0),
    # volume: Feb total 5 ≥ 5 ✓, smb 3 < 4 ✗. Mar total 5 < 10 but the month is open: pending;
    # smb 2 ≥ 2 already met. April has not started: no item.
    ("volume", "MQL volume", "marketing", JAN, 0, 0, 0, 0, None),
    ("volume", "MQL volume", "marketing", FEB_TS, 2, 1, 1, 0, 0.5),
    ("volume", "MQL volume", "marketing", MAR_TS, 2, 1, 0, 1, 1.0),
    # quality: Feb accepted L1, L3; rejected L11, L2 (L4 undecided) → 50 % < 75 % ✗ (settled 8 Mar).
    # March settles on 8 April: pending.
    ("quality", "MQL quality", "marketing", JAN, 0, 0, 0, 0, None),
    ("quality", "MQL quality", "marketing", FEB_TS, 1, 0, 1, 0, 0.0),
    ("quality", "MQL quality", "marketing", MAR_TS, 1, 0, 0, 1, None),
    # pipeline: Jan $0 < $1,000 ✗; Feb $10,000 ≥ $8,000 ✓; Mar $3,000 < $20,000, month open: pending.
    ("pipeline", "Sourced pipeline", "marketing", JAN, 1, 0, 1, 0, 0.0),
    ("pipeline", "Sourced pipeline", "marketing", FEB_TS, 1, 1, 0, 0, 1.0),
    ("pipeline", "Sourced pipeline", "marketing", MAR_TS, 1, 0, 0, 1, None),
]


def test_compliance_contract(hand_db):
    got = run("sla__compliance", hand_db, start="2026-01-01", end="2026-04-01")
    assert list(got.columns) == CONTRACT
    assert rows(got, *CONTRACT) == approx(EXPECTED_COMPLIANCE)


def test_compliance_without_a_window_spans_the_months_that_have_items(hand_db):
    # January (the pipeline target) to March; April's target has not started.
    assert rows(run("sla__compliance", hand_db), *CONTRACT) == approx(EXPECTED_COMPLIANCE)


def test_compliance_with_a_filter(hand_db):
    got = run("sla__compliance", hand_db, regions=["APAC"], **FEB).set_index("policy_id")
    # APAC in February: L3 and L4, both late for follow-up; L3 decided in 3 h, L4 never.
    assert got.loc["follow_up", ["due_count", "met_count", "breached_count"]].tolist() == [2, 0, 2]
    assert got.loc["decide", ["due_count", "met_count", "breached_count"]].tolist() == [2, 1, 1]
    # Targets have no region: the company targets still apply, unchanged.
    assert got.loc["volume", ["due_count", "met_count", "breached_count"]].tolist() == [2, 1, 1]


def test_compliance_through_the_cli_reads_the_committed_policy_file(hand_db, capsys):
    assert (
        main(
            [
                "query",
                "sla__compliance",
                "--db",
                str(hand_db),
                "--param",
                "start=2026-02-01",
                "--param",
                "end=2026-03-01",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(CONTRACT)
    assert all(line.split(",")[3] == "2026-02-01" for line in lines[1:]) and len(lines) > 1


def test_a_malformed_policies_parameter_is_one_line_naming_the_key(hand_db, capsys):
    bad = TEST_POLICIES.replace("days = 2", "days = -2")
    assert main(["query", "sla__compliance", "--db", str(hand_db), "--param", f"policies={bad}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: the policies parameter: policies[1] (decide).days: must be more than 0, got -2"


# --- Scorecard, per rep, per source -------------------------------------------------------------


def test_scorecard_this_and_previous_period(hand_db):
    card = run("sla__scorecard", hand_db, **MAR).set_index("policy_id")
    got = card[["compliance_rate", "status", "previous_compliance_rate", "previous_status"]]
    assert rows(got.reset_index(), "policy_id", *got.columns) == approx(
        [
            # March 2/3 = 66.7 % is more than 10 points under the 90 % goal: red. February 40 %: red.
            ("follow_up", 2 / 3, "red", 0.4, "red"),
            ("decide", 1.0, "green", 0.4, "red"),
            ("volume", 1.0, "green", 0.5, "red"),
            # Nothing judged in March yet (pending), February 0 %.
            ("quality", None, "no data", 0.0, "red"),
            ("pipeline", None, "no data", 1.0, "green"),
        ]
    )
    counts = ["due_count", "met_count", "breached_count", "pending_count"]
    assert card.loc["follow_up", counts].tolist() == [5, 2, 1, 2]
    # Median of March's two follow-ups, 1 h (L5) and 0.05 h (L9).
    assert card.loc["follow_up", "measure_value"] == pytest.approx(0.525)
    # Volume measure: the all-segment target, 5 of 10 MQLs.
    assert card.loc["volume", "measure_value"] == pytest.approx(0.5)
    assert card.loc["volume", "measure_text"] == "5 of 10 (50 %)"
    assert card.loc["follow_up", "owner_team"] == "sales"
    assert card.loc["volume", "direction"] == "marketing → sales"


def test_amber_is_within_amber_points_of_the_goal(hand_db):
    # With a 60 % goal, March's 66.7 % is green; with 70 % it is within 10 points: amber.
    for goal, status in ((60, "green"), (70, "amber"), (80, "red")):
        policies = TEST_POLICIES.replace(
            'goal_pct = 90\n[[policies]]\nid = "decide"', f'goal_pct = {goal}\n[[policies]]\nid = "decide"'
        )
        card = db.run_query("sla__scorecard", db=hand_db, policies=policies, **MAR).set_index("policy_id")
        assert card.loc["follow_up", "status"] == status


def test_compliance_by_rep(hand_db):
    got = run("sla__compliance_by_rep", hand_db, **FEB_MAR)
    assert rows(
        got,
        "policy_id",
        "owner_name",
        "due_count",
        "met_count",
        "breached_count",
        "pending_count",
        "compliance_rate",
        "median_hours",
    ) == approx(
        [
            # Ben: L3 ✗, L4 ✗, L7 ✗; median of the one follow-up he made (L3, 2 h).
            ("follow_up", "Ben Moreau", 3, 0, 3, 0, 0.0, 2.0),
            # Ada: L11 ✗, L1 ✓, L2 ✓, L5 ✓, L6 and L8 pending; follow-ups 25, 0.833, 21, 1 → median 11.
            ("follow_up", "Ada Okafor", 6, 3, 1, 2, 0.75, 11.0),
            ("follow_up", "Cleo Park", 1, 1, 0, 0, 1.0, 0.05),
            # Decisions (clock hours): Ada L11 ✓ 24, L1 ✗ 64.08, L2 ✗ 53.5, L5 ✓ 13 → median 38.75;
            # L6 and L8 pending.
            ("decide", "Ada Okafor", 6, 2, 2, 2, 0.5, 38.75),
            # Ben: L3 ✓ 3 h, L4 ✗ (never), L7 pending.
            ("decide", "Ben Moreau", 3, 1, 1, 1, 0.5, 3.0),
            ("decide", "Cleo Park", 1, 1, 0, 0, 1.0, 24.0),
        ]
    )


def test_compliance_by_channel_and_campaign(hand_db):
    got = run("sla__compliance_by_source", hand_db, **FEB_MAR)
    assert rows(
        got,
        "group_value",
        "mql_count",
        "mql_share_rate",
        "accepted_count",
        "rejected_count",
        "acceptance_rate",
        "due_count",
        "met_count",
        "breached_count",
        "pending_count",
        "compliance_rate",
    ) == approx(
        [
            # paid_search: L2 rejected, L4/L6/L8 undecided. Feb 0/1 ✗; March pending.
            ("paid_search", 4, 0.4, 0, 1, 0.0, 2, 0, 1, 1, 0.0),
            # webinar: Feb L1 ✓ L3 ✓ L11 ✗ = 66.7 % < 75 % ✗; March (L5 ✓, L7 undecided) pending.
            ("webinar", 5, 0.5, 3, 1, 0.75, 2, 0, 1, 1, 0.0),
            # referral: L9 accepted in March, still pending.
            ("referral", 1, 0.1, 1, 0, 1.0, 1, 0, 0, 1, None),
        ]
    )
    campaigns = run("sla__compliance_by_source", hand_db, group_by="campaign", **FEB_MAR)
    assert rows(campaigns, "group_value", "group_label", "mql_count") == [
        ("C2", "Search ads", 4),
        ("C1", "Spring webinar", 5),
        ("(none)", "(none)", 1),
    ]


# --- Breaches and the live queue ----------------------------------------------------------------


def test_breach_list_with_owner_and_miss(hand_db):
    got = run("sla__breaches", hand_db, **FEB_MAR)
    assert rows(got, "policy_id", "item", "owner_name", "missed_by", "missed_by_unit") == approx(
        [
            ("follow_up", "L4", "Ben Moreau", 137.0, "business hours"),  # 161 business h so far − 24
            ("follow_up", "L7", "Ben Moreau", 5.0, "business hours"),  # 6 so far − 1
            ("follow_up", "L11", "Ada Okafor", 1.0, "business hours"),  # 25 − 24
            ("follow_up", "L3", "Ben Moreau", 1.0, "business hours"),  # 2 − 1
            ("decide", "L4", "Ben Moreau", 628.0, "hours"),  # 676 clock h so far − 48
            ("decide", "L1", "Ada Okafor", 16 + 5 / 60, "hours"),  # 64 h 05 − 48
            ("decide", "L2", "Ada Okafor", 5.5, "hours"),  # 53.5 − 48
            ("volume", "2026-02 · smb", "Marketing team", 1.0, "MQLs"),  # 3 of 4
            ("quality", "2026-02", "Marketing team", 25.0, "points"),  # 50 % vs 75 %
        ]
    )
    texts = dict(zip(got["item"] + "/" + got["policy_id"], got["missed_by_text"], strict=True))
    assert texts["L4/follow_up"] == "137.0 business h late, still open"
    assert texts["L1/decide"] == "16.1 h late"
    assert texts["2026-02 · smb/volume"] == "1 MQLs short"
    assert got.loc[got["item"] == "L3", "due_at"].tolist() == [ts("2026-02-10 03:00")]
    only = run("sla__breaches", hand_db, policy_id="quality", **FEB_MAR)
    assert only["item"].tolist() == ["2026-02"]


def test_breaches_reject_an_unknown_policy(hand_db):
    with pytest.raises(ParameterError, match="no SLA policy 'nope'"):
        run("sla__breaches", hand_db, policy_id="nope")


def test_live_queue_most_urgent_first(hand_db):
    # Any window: the queue is as of now. L7 already breached; L8 and L6 are still inside theirs.
    got = run("sla__live_queue", hand_db, **FEB)
    assert rows(got, "lead_id", "owner_name", "due_at", "hours_left", "business_hours_left") == approx(
        [
            # L8: 1 h from the 09:00 EDT opening → 10:00 EDT = 14:00 UTC, 2 clock hours from 12:00 UTC.
            ("L8", "Ada Okafor", ts("2026-03-20 14:00"), 2.0, 1.0),
            # L6: 7 h Thursday + 8 Friday + 8 Monday + 1 → Tuesday 24 March 10:00 EDT = 14:00 UTC (98 h away).
            ("L6", "Ada Okafor", ts("2026-03-24 14:00"), 98.0, 17.0),
        ]
    )


def test_breaches_and_the_queue_name_each_lead_and_its_company(make_db):
    # The same company, with L4 (breached) and L8 (waiting) named as a CRM names them.
    names = {"L4": ("Ines Laurent", "Harbor Foods"), "L8": ("Omar Haddad", None)}
    leads = [
        {
            **lead,
            "lead_name": names.get(lead["lead_id"], (None,))[0],
            "company_name": names.get(lead["lead_id"], (None, None))[1],
        }
        for lead in LEADS
    ]
    path = make_db(
        {
            "people": PEOPLE,
            "campaigns": CAMPAIGNS,
            "leads": leads,
            "touches": TOUCHES,
            "deals": DEALS,
            "targets": TARGETS,
        }
    )
    breaches = run("sla__breaches", path, **FEB_MAR).set_index(["policy_id", "item"])
    assert breaches.loc[("follow_up", "L4"), ["lead_name", "company_name"]].tolist() == [
        "Ines Laurent",
        "Harbor Foods",
    ]
    assert (
        breaches.loc[("follow_up", "L7"), ["lead_name", "company_name"]].isna().all()
    )  # no name in the data
    assert pd.isna(breaches.loc[("volume", "2026-02 · smb"), "lead_name"])  # a month, not a lead
    queue = run("sla__live_queue", path, **FEB).set_index("lead_id")
    assert queue.loc["L8", "lead_name"] == "Omar Haddad" and pd.isna(queue.loc["L8", "company_name"])
    named = db.run_query("sla__lead_names", db=path, lead_ids=["L4", "L99"])
    assert named.values.tolist() == [["L4", "Ines Laurent", "Harbor Foods"]]


# --- The effect of speed ------------------------------------------------------------------------


def test_response_bands_with_conversion(hand_db):
    got = run("sla__response_bands", hand_db, **FEB_MAR)
    columns = ("band", "mql_count", "share_rate", "sql_count", "won_count", "mql_to_sql_rate")
    assert rows(got, *columns) == approx(
        [
            ("< 5 min", 1, 1 / 8, 1, 0, 1.0),  # L9 (3 min), reached SQL
            ("5–60 min", 1, 1 / 8, 1, 1, 1.0),  # L1 (50 min), won D1
            ("1–24 h", 3, 3 / 8, 1, 0, 1 / 3),  # L5 (exactly 1 h), L3 (2 h, SQL), L2 (21 h)
            ("> 24 h", 1, 1 / 8, 0, 0, 0.0),  # L11 (25 h)
            ("never", 2, 2 / 8, 0, 0, 0.0),  # L4 and L7; L6 and L8 are still waiting and left out
        ]
    )


def test_response_bands_on_the_wall_clock(hand_db):
    got = run("sla__response_bands", hand_db, clock="wall", **FEB_MAR).set_index("band")
    # Clock hours: L9 0.05, L3 2, L5 88, L1 63.9, L2 53, L11 73 → four over 24 h. L7 is 9 h into a
    # 1 h wall-clock window: never; L6 (22 h of 24) and L8 (0.5 of 1) still wait.
    assert got["mql_count"].to_dict() == {"< 5 min": 1, "5–60 min": 0, "1–24 h": 1, "> 24 h": 4, "never": 2}


def test_response_time_median_and_p90(hand_db):
    got = run("sla__response_time", hand_db, **FEB_MAR).iloc[0]
    # Business hours of the six follow-ups: 0.05, 0.833, 1, 2, 21, 25 → median (1 + 2) / 2 = 1.5;
    # p90 at rank 0.9 × 5 = 4.5: 21 + 0.5 × (25 − 21) = 23.
    assert got[["mql_count", "responded_count", "never_count", "waiting_count"]].tolist() == [10, 6, 2, 2]
    assert got["median_response_hours"] == pytest.approx(1.5)
    assert got["p90_response_hours"] == pytest.approx(23.0)


# --- What-if and the empty cases ----------------------------------------------------------------


def test_a_what_if_threshold_recomputes_compliance(hand_db):
    from handoff import sla

    policies = sla.parse_policies(TEST_POLICIES)
    # Two hours for hot leads: L3 (2 h) becomes met; L7 (6 h so far) is still late.
    relaxed = sla.apply_thresholds(policies, {"sla_follow_up_tier_0_hours": 2.0})
    got = db.run_query("sla__compliance", db=hand_db, policies=relaxed.to_text(), **FEB_MAR)
    follow_up = got[got["policy_id"] == "follow_up"]
    assert follow_up["met_count"].tolist() == [3, 2] and follow_up["breached_count"].tolist() == [2, 1]
    json.loads(relaxed.to_text())  # what pages hand over is plain JSON


def test_every_sla_query_on_an_empty_database(make_db):
    path = make_db({})
    for name in [n for n in db.list_queries() if n.startswith("sla__")]:
        params = (
            {}
            if name in ("sla__mqls", "sla__latest_timestamp", "sla__target_attainment", "sla__lead_names")
            else {"policies": TEST_POLICIES}
        )
        frame = db.run_query(name, db=path, **params)
        if name in ("sla__response_bands", "sla__response_time"):  # every band (or the summary), at zero
            assert frame["mql_count"].sum() == 0, name
        elif name == "sla__scorecard":  # every policy, nothing to judge
            assert frame["status"].tolist() == ["no data"] * 5
        else:
            assert name == "sla__latest_timestamp" or frame.empty, name
    assert db.run_query("sla__latest_timestamp", db=path)["as_of_at"].isna().all()
