"""The funnel queries on a hand-made company whose path through the funnel is written out below.

Window used by the tests: [2026-01-01, 2026-04-01). All times 09:00 unless noted.

| lead | created | sourced | segment | path | in the cohort window? |
|---|---|---|---|---|---|
| L1 | 01-05 | marketing | smb | MQL 01-06, SAL 01-07, SQL 01-10, deal 01-20 won 02-19 | yes |
| L2 | 01-10 | marketing | smb | MQL 01-13, SAL 01-14, SQL 01-20, deal 02-01 lost 03-01 (price) | yes |
| L3 | 02-01 | sales | enterprise | skips MQL: SAL 02-02, SQL 02-05, deal 04-10 still open | yes |
| L4 | 02-15 | marketing | smb | MQL 02-17, disqualified 02-18 (not_a_fit) | yes |
| L5 | 03-01 | marketing | mid_market | no later stage at all (email, no campaign) | yes |
| L6 | 03-31 23:00 | marketing | smb | MQL 04-02 11:00, after the window (email, no campaign) | yes |
| L7 | 2025-12-20 | marketing | smb | MQL 01-03, SAL 01-04, disqualified 01-20 (no_budget) | no: before |
| L8 | 04-01 00:00 | marketing | smb | MQL 04-01 | no: created on the end day |
| L9 | 01-20 | sales | smb | skips MQL, SAL and SQL: deal 02-10 won 03-20 | yes |
| L10 | 01-25 | marketing | smb | MQL 01-26, SAL 01-28, SQL 02-01, disqualified 02-20 (no_project) | yes |
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from contextlib import redirect_stdout

import pandas as pd
import pytest

import handoff.funnel  # noqa: F401  (registers the computed query funnel__stage_counts)
from handoff import cli, db
from handoff.filters import Filters
from tests.fixtures import ROOT, ts

START, END = dt.date(2026, 1, 1), dt.date(2026, 4, 1)
AS_OF = "2026-04-15"

PEOPLE = [
    {"person_id": "S1", "name": "Sam Reed", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "S2", "name": "Ada Moss", "team": "sales", "role": "sdr", "region": "EMEA"},
]
CAMPAIGNS = [
    {"campaign_id": "C1", "name": "Winter webinar", "channel": "webinar", "owner_team": "marketing",
     "start_date": dt.date(2025, 12, 1), "cost": 500},
]


def _lead(lead_id, created, *, sourced_by="marketing", channel="webinar", segment="smb", region="NA",
          owner="S1", campaign="C1", company_size="1-10", **stages):
    row = {"lead_id": lead_id, "created_at": ts(created), "sourced_by": sourced_by, "channel": channel,
           "segment": segment, "region": region, "owner_id": owner, "company_size": company_size,
           "source_campaign_id": campaign if sourced_by == "marketing" else None}
    for name, value in stages.items():
        row[name] = ts(value) if name.endswith("_at") else value
    return row


LEADS = [
    _lead("L1", "2026-01-05 09:00", mql_at="2026-01-06 09:00", sal_at="2026-01-07 09:00",
          sql_at="2026-01-10 09:00"),
    _lead("L2", "2026-01-10 09:00", region="EMEA", owner="S2", mql_at="2026-01-13 09:00",
          sal_at="2026-01-14 09:00", sql_at="2026-01-20 09:00"),
    _lead("L3", "2026-02-01 09:00", sourced_by="sales", channel="outbound_sdr", segment="enterprise",
          company_size="1001-5000", sal_at="2026-02-02 09:00", sql_at="2026-02-05 09:00"),
    _lead("L4", "2026-02-15 09:00", mql_at="2026-02-17 09:00", disqualified_at="2026-02-18 09:00",
          disqualify_reason="not_a_fit"),
    _lead("L5", "2026-03-01 09:00", channel="email", campaign=None, segment="mid_market", company_size=None),
    _lead("L6", "2026-03-31 23:00", channel="email", campaign=None, mql_at="2026-04-02 11:00"),
    _lead("L7", "2025-12-20 09:00", mql_at="2026-01-03 09:00", sal_at="2026-01-04 09:00",
          disqualified_at="2026-01-20 09:00", disqualify_reason="no_budget"),
    _lead("L8", "2026-04-01 00:00", mql_at="2026-04-01 09:00"),
    _lead("L9", "2026-01-20 09:00", sourced_by="sales", channel="outbound_sdr", owner="S2"),
    _lead("L10", "2026-01-25 09:00", mql_at="2026-01-26 09:00", sal_at="2026-01-28 09:00",
          sql_at="2026-02-01 09:00", disqualified_at="2026-02-20 09:00", disqualify_reason="no_project"),
]

DEALS = [
    {"deal_id": "D1", "lead_id": "L1", "created_at": ts("2026-01-20 09:00"),
     "closed_at": ts("2026-02-19 09:00"), "stage": "won", "amount": 1000, "owner_id": "S1"},
    {"deal_id": "D2", "lead_id": "L2", "created_at": ts("2026-02-01 09:00"),
     "closed_at": ts("2026-03-01 09:00"), "stage": "lost", "amount": 2000, "owner_id": "S2",
     "lost_reason": "price"},
    {"deal_id": "D3", "lead_id": "L3", "created_at": ts("2026-04-10 09:00"), "stage": "open", "amount": 3000,
     "owner_id": "S1"},
    {"deal_id": "D4", "lead_id": "L9", "created_at": ts("2026-02-10 09:00"),
     "closed_at": ts("2026-03-20 09:00"), "stage": "won", "amount": 4000, "owner_id": "S2"},
]

TABLES = {"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "deals": DEALS}
META = {"as_of": AS_OF}


# ---------------------------------------------------------------------------------------------
# The tests

WINDOW = Filters(start=START, end=END)
CONTRACT = ["stage_order", "stage", "owner_team", "reached_count", "from_previous_rate", "from_first_rate"]


@pytest.fixture
def company(make_db):
    path = make_db(TABLES, META)
    yield path
    db.close_connections()


def counts(frame: pd.DataFrame) -> list[int]:
    return frame.sort_values("stage_order")["reached_count"].tolist()


def test_cohort_counts_each_lead_at_every_stage_it_reached(company):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, mode="cohort")
    assert list(frame.columns) == CONTRACT
    assert frame["stage"].tolist() == ["Lead", "MQL", "SAL", "SQL", "Opportunity", "Won"]
    assert frame["owner_team"].tolist() == ["marketing"] * 2 + ["sales"] * 4
    # Created in the window: L1-L6, L9, L10 (L7 before it, L8 on the end day) = 8.
    # MQL: all but L5 (L3 and L9 skipped it but reached later stages; L6's MQL came after the window) = 7.
    # SAL: L1, L2, L3, L9 (skipped to a deal), L10 = 5. SQL: the same 5. Opportunity: L1, L2, L3, L9 = 4.
    # Won: L1, L9 = 2.
    assert counts(frame) == [8, 7, 5, 5, 4, 2]
    assert frame["from_previous_rate"].tolist()[1:] == pytest.approx([7 / 8, 5 / 7, 1, 4 / 5, 2 / 4])
    assert pd.isna(frame["from_previous_rate"].iloc[0])
    assert frame["from_first_rate"].tolist() == pytest.approx([1, 7 / 8, 5 / 8, 5 / 8, 4 / 8, 2 / 8])


def test_period_counts_stage_entries_in_the_window(company):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, mode="period")
    # Lead: created in the window = the 8 of the cohort.
    # MQL entered: L1, L2, L4, L7 (created before, MQL 01-03), L10, plus L3 (at its SAL, 02-02) and L9 (at its
    #   deal, 02-10); L6 (04-02) and L8 (04-01) after = 7.
    # SAL: L1, L2, L3, L7, L10 and L9 (at its deal) = 6. SQL: L1, L2, L3, L10, L9 (at its deal) = 5.
    # Opportunity: L1 (01-20), L2 (02-01), L9 (02-10); L3's deal came 04-10 = 3. Won: L1 02-19, L9 03-20 = 2.
    assert counts(frame) == [8, 7, 6, 5, 3, 2]
    assert frame["from_previous_rate"].tolist()[1:] == pytest.approx([7 / 8, 6 / 7, 5 / 6, 3 / 5, 2 / 3])


def test_grouped_counts_put_group_value_first(company):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, mode="cohort", group_by="segment")
    assert list(frame.columns) == ["group_value", *CONTRACT]
    by_group = {g: counts(part) for g, part in frame.groupby("group_value")}
    # smb: L1, L2, L4, L6, L9, L10; MQL all six (L9 by skipping); SAL L1, L2, L9, L10; SQL the same;
    # Opportunity L1, L2, L9; Won L1, L9. enterprise: L3 reached everything up to its open deal.
    # mid_market: L5 never got past Lead.
    assert by_group == {"smb": [6, 6, 4, 4, 3, 2], "enterprise": [1, 1, 1, 1, 1, 0],
                        "mid_market": [1, 0, 0, 0, 0, 0]}
    mid = frame[frame["group_value"] == "mid_market"].sort_values("stage_order")
    # 0 of 1 Lead reached MQL; from MQL on there is nothing to divide by.
    assert mid["from_previous_rate"].iloc[1] == 0 and mid["from_previous_rate"].iloc[2:].isna().all()


@pytest.mark.parametrize("group_by, expected", [
    # Owner: S1 has L1, L3, L4, L5, L6, L10 (6 created), S2 has L2, L9.
    ("owner", {"S1": 6, "S2": 2}),
    # Company size: L5 has none, shown as (none); L3 is 1001-5000; the rest 1-10.
    ("company_size", {"1-10": 6, "1001-5000": 1, "(none)": 1}),
    ("channel", {"webinar": 4, "outbound_sdr": 2, "email": 2}),
    ("region", {"NA": 7, "EMEA": 1}),
])
def test_every_breakdown_dimension(company, group_by, expected):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, group_by=group_by)
    leads = frame[frame["stage_order"] == 1]
    assert dict(zip(leads["group_value"], leads["reached_count"])) == expected


@pytest.mark.parametrize("filters", [
    Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)),  # an empty window
    Filters(start=START, end=END, segments=("consumer",)),  # a filter that matches nothing
    Filters(start=START, end=END, owners=("S1",), segments=("mid_market",), channels=("webinar",)),
])
@pytest.mark.parametrize("mode", ["cohort", "period"])
def test_nothing_to_count_gives_six_zero_rows_or_no_groups(company, filters, mode):
    frame = db.run_query("funnel__stage_counts", filters, db=company, mode=mode)
    assert counts(frame) == [0] * 6
    assert frame["from_previous_rate"].isna().all() and frame["from_first_rate"].isna().all()
    assert db.run_query("funnel__stage_counts", filters, db=company, mode=mode, group_by="channel").empty


def test_shared_filters_narrow_the_leads(company):
    # Sourced by sales: L3 (up to its open deal) and L9 (won).
    frame = db.run_query("funnel__stage_counts", WINDOW.with_window(START, END), db=company,
                         teams=["sales"])
    assert counts(frame) == [2, 2, 2, 2, 2, 1]
    # Campaign C1 is the source of the webinar leads: L1, L2, L4, L10 in the window; L4 left at MQL,
    # L10 after SQL, L2 lost its deal.
    frame = db.run_query("funnel__stage_counts", Filters(start=START, end=END, campaigns=("C1",)), db=company)
    assert counts(frame) == [4, 4, 3, 3, 2, 1]


def test_all_time_period_funnel_equals_all_time_cohort(company):
    cohort = db.run_query("funnel__stage_counts", Filters(), db=company, mode="cohort")
    period = db.run_query("funnel__stage_counts", Filters(), db=company, mode="period")
    # All ten leads: MQL all but L5 = 9; SAL L1, L2, L3, L7, L9, L10 = 6; SQL L1, L2, L3, L9, L10 = 5;
    # Opportunity L1, L2, L3, L9 = 4; Won 2.
    assert counts(cohort) == counts(period) == [10, 9, 6, 5, 4, 2]


def _cli(args: list[str]) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(args) == 0
    return out.getvalue()


def test_the_command_line_contract(company):
    base = ["query", "funnel__stage_counts", "--db", str(company), "--param", "start=2026-01-01",
            "--param", "end=2026-04-01", "--param", "mode=cohort", "--format", "csv"]
    lines = _cli(base).splitlines()
    assert lines[0] == ",".join(CONTRACT)
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["1", "Lead", "marketing", "8"], ["2", "MQL", "marketing", "7"], ["3", "SAL", "sales", "5"],
        ["4", "SQL", "sales", "5"], ["5", "Opportunity", "sales", "4"], ["6", "Won", "sales", "2"]]
    grouped = _cli([*base, "--param", "group_by=channel", "--param", "segments=smb"]).splitlines()
    assert grouped[0] == ",".join(["group_value", *CONTRACT])
    # smb leads by channel: webinar L1, L2, L4, L10; outbound_sdr L9; email L6.
    firsts = {line.split(",")[0]: line.split(",")[4] for line in grouped[1:] if line.split(",")[1] == "1"}
    assert firsts == {"webinar": "4", "outbound_sdr": "1", "email": "1"}
    assert "group_value" not in _cli(["query", "funnel__stage_counts", "--db", str(company)])


def test_the_contract_command_in_a_fresh_process(company):
    # A new interpreter finds the computed query through db.COMPUTED_QUERY_MODULES, as users' scripts do.
    done = subprocess.run(
        [sys.executable, "-m", "handoff", "query", "funnel__stage_counts", "--db", str(company),
         "--param", "start=2026-01-01", "--param", "end=2026-04-01", "--param", "mode=cohort",
         "--param", "segments=smb"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == CONTRACT
    # smb cohort: L1, L2, L4, L6, L9, L10 (see the grouped test).
    assert [int(line.split()[3]) for line in lines[1:]] == [6, 6, 4, 4, 3, 2]


def test_velocity_medians_and_p90_per_step(company):
    frame = db.run_query("funnel__velocity", WINDOW, db=company, mode="cohort").set_index("from_stage")
    # Cohort leads with both timestamps (a skipped stage has none):
    # Lead→MQL: L1 1, L2 3, L4 2, L6 1.5, L10 1 days → median 1.5; p90 = 2 + 0.6 × (3 − 2) = 2.6.
    # MQL→SAL: L1 1, L2 1, L10 2 → median 1; p90 = 1 + 0.8 × (2 − 1) = 1.8.
    # SAL→SQL: L1 3, L2 6, L3 3, L10 4 → median 3.5; p90 = 4 + 0.7 × (6 − 4) = 5.4.
    # SQL→Opportunity: L1 10, L2 12, L3 64 → median 12; p90 = 12 + 0.8 × 52 = 53.6.
    # Opportunity→Won: L1 30, L9 38 → median 34; p90 = 30 + 0.9 × 8 = 37.2.
    assert frame["pair_count"].tolist() == [5, 3, 4, 3, 2]
    assert frame["median_days"].tolist() == pytest.approx([1.5, 1, 3.5, 12, 34])
    assert frame["p90_days"].tolist() == pytest.approx([2.6, 1.8, 5.4, 53.6, 37.2])
    assert frame["owner_team"].tolist() == ["marketing", "sales", "sales", "sales", "sales"]


def test_velocity_in_period_mode_counts_steps_completed_in_the_window(company):
    frame = db.run_query("funnel__velocity", WINDOW, db=company, mode="period").set_index("from_stage")
    # MQL reached in the window: L1 1, L2 3, L4 2, L7 14 (created in December), L10 1 → median 2.
    assert frame.loc["Lead", "pair_count"] == 5 and frame.loc["Lead", "median_days"] == pytest.approx(2)
    # Deals opened in the window after an SQL: L1 10, L2 12 (L3's deal came in April) → median 11.
    assert frame.loc["SQL", "pair_count"] == 2 and frame.loc["SQL", "median_days"] == pytest.approx(11)


def test_velocity_of_an_empty_window_lists_every_step_without_numbers(company):
    frame = db.run_query("funnel__velocity", Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)),
                         db=company)
    assert frame["pair_count"].tolist() == [0] * 5 and frame["median_days"].isna().all()


def test_conversion_by_month_with_the_too_young_marker(company):
    frame = db.run_query("funnel__conversion_by_month", WINDOW, db=company)
    frame["month"] = frame["created_month"].dt.strftime("%Y-%m")
    got = {(r.month, r.from_stage_order): (r.from_count, r.to_count) for r in frame.itertuples()}
    # January: L1, L2, L9, L10. All four reach MQL, SAL and SQL (L9 by skipping); L1, L2, L9 opened a
    # deal; L1 and L9 won. February: L3, L4 → MQL both; SAL L3 only; L3 went on to an open deal.
    # March: L5, L6 → only L6 reached MQL (in April: "by now" counts it).
    assert got == {
        ("2026-01", 1): (4, 4), ("2026-01", 2): (4, 4), ("2026-01", 3): (4, 4), ("2026-01", 4): (4, 3),
        ("2026-01", 5): (3, 2),
        ("2026-02", 1): (2, 2), ("2026-02", 2): (2, 1), ("2026-02", 3): (1, 1), ("2026-02", 4): (1, 1),
        ("2026-02", 5): (1, 0),
        ("2026-03", 1): (2, 1), ("2026-03", 2): (1, 0), ("2026-03", 3): (0, 0), ("2026-03", 4): (0, 0),
        ("2026-03", 5): (0, 0),
    }
    march = frame[frame["month"] == "2026-03"].set_index("from_stage_order")
    # The median March lead (between 1 Mar 09:00 and 31 Mar 23:00 = 16 Mar 16:00) is 30.33 days old at
    # the end of the as-of day (16 Apr 00:00).
    assert march["month_age_days"].iloc[0] == pytest.approx(30 + 8 / 24)
    # Days from creation to Won: L1 45, L9 59 → median 52 > 30.33, so March is too young for Opp→Won.
    # To Opportunity: L1 15, L9 21, L2 22, L3 68 → 21.5 < 30.33: old enough. February's median lead
    # (8 Feb 09:00) is 66.6 days old: older than every median.
    assert frame.loc[frame["is_too_young"], ["month", "from_stage_order"]].values.tolist() == [["2026-03", 5]]
    assert march.loc[5, "median_days_to_stage"] == pytest.approx(52)
    assert march.loc[4, "median_days_to_stage"] == pytest.approx(21.5)
    assert pd.isna(march.loc[3, "conversion_rate"])


def test_exits_follow_every_lead_to_where_it_ended(company):
    frame = db.run_query("funnel__exits", WINDOW, db=company)
    moves = {(r.from_stage, r.to_stage): r.lead_count for r in frame.itertuples() if pd.notna(r.to_stage)}
    # Stage to stage: the cohort's reached counts (8, 7, 5, 5, 4, 2).
    assert moves == {("Lead", "MQL"): 7, ("MQL", "SAL"): 5, ("SAL", "SQL"): 5, ("SQL", "Opportunity"): 4,
                     ("Opportunity", "Won"): 2}
    exits = {(r.from_stage, r.exit_kind, None if pd.isna(r.exit_reason) else r.exit_reason): r.lead_count
             for r in frame.itertuples() if pd.isna(r.to_stage)}
    # L5 never moved (open); L4 disqualified at MQL, L6 still open there; L10 disqualified after SQL;
    # L2's deal was lost on price, L3's deal is still open. L1 and L9 won.
    assert exits == {("Lead", "open", None): 1, ("MQL", "disqualified", "not_a_fit"): 1,
                     ("MQL", "open", None): 1, ("SQL", "disqualified", "no_project"): 1,
                     ("Opportunity", "lost", "price"): 1,
                     ("Opportunity", "open", None): 1}


def test_exits_of_an_empty_selection_are_no_rows(company):
    nothing = Filters(start=START, end=END, segments=("consumer",))
    assert db.run_query("funnel__exits", nothing, db=company).empty


@pytest.mark.parametrize("mode, stage_order, group, expected", [
    # Cohort SAL: L1, L2, L3, L9 (skipped to a deal), L10.
    ("cohort", 3, None, {"L1", "L2", "L3", "L9", "L10"}),
    # Period Opportunity: deals opened in the window: L1, L2, L9.
    ("period", 5, None, {"L1", "L2", "L9"}),
    # Period MQL adds L7 (created in December) and drops L6 (MQL in April).
    ("period", 2, None, {"L1", "L2", "L3", "L4", "L7", "L9", "L10"}),
    ("cohort", 1, ("segment", "mid_market"), {"L5"}),
    ("cohort", 6, ("owner", "S2"), {"L9"}),
    ("cohort", 1, ("company_size", "(none)"), {"L5"}),
])
def test_drill_down_lists_the_leads_behind_a_count(company, mode, stage_order, group, expected):
    group_by, group_value = group or (None, None)
    frame = db.run_query("funnel__leads", WINDOW, db=company, mode=mode, stage_order=stage_order,
                         group_by=group_by, group_value=group_value)
    assert set(frame["lead_id"]) == expected


def test_drill_down_says_where_each_lead_stands(company):
    frame = db.run_query("funnel__leads", WINDOW, db=company).set_index("lead_id")
    assert frame["status"].to_dict() == {"L1": "won", "L2": "lost", "L3": "open", "L4": "disqualified",
                                         "L5": "open", "L6": "open", "L9": "won", "L10": "disqualified"}
    assert frame.loc["L2", "exit_reason"] == "price" and frame.loc["L10", "exit_reason"] == "no_project"
    assert frame.loc["L9", "furthest_stage"] == "Won" and frame.loc["L6", "furthest_stage"] == "MQL"
    assert frame.loc["L2", "owner_name"] == "Ada Moss"
    # Newest entry first, and the row limit holds.
    assert frame.index[0] == "L6"
    assert len(db.run_query("funnel__leads", WINDOW, db=company, row_limit=3)) == 3
