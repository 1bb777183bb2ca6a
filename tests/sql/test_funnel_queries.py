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
| L11 | 02-20 | marketing | smb | skips MQL: SAL 02-21, nothing after | yes |
| L12 | 03-10 | sales | smb | a CRM stamped mql_at 03-11 (never an MQL: sales-sourced); SQL 03-12, skips SAL | yes |

The two paths of DESIGN.md: marketing-sourced leads go Lead → MQL → SAL …; sales-sourced leads (L3,
L9, L12) are never MQLs and join the path at their first sales stage: L3 at SAL, L12 at SQL, L9 at
Opportunity. A marketing lead that skipped MQL (L11) still counts at MQL.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from contextlib import redirect_stdout

import pandas as pd
import pytest

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
    {
        "campaign_id": "C1",
        "name": "Winter webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": dt.date(2025, 12, 1),
        "cost": 500,
    },
]


def _lead(
    lead_id,
    created,
    *,
    sourced_by="marketing",
    channel="webinar",
    segment="smb",
    region="NA",
    owner="S1",
    campaign="C1",
    company_size="1-10",
    **stages,
):
    row = {
        "lead_id": lead_id,
        "created_at": ts(created),
        "sourced_by": sourced_by,
        "channel": channel,
        "segment": segment,
        "region": region,
        "owner_id": owner,
        "company_size": company_size,
        "source_campaign_id": campaign if sourced_by == "marketing" else None,
    }
    for name, value in stages.items():
        row[name] = ts(value) if name.endswith("_at") else value
    return row


LEADS = [
    _lead(
        "L1",
        "2026-01-05 09:00",
        mql_at="2026-01-06 09:00",
        sal_at="2026-01-07 09:00",
        sql_at="2026-01-10 09:00",
    ),
    _lead(
        "L2",
        "2026-01-10 09:00",
        region="EMEA",
        owner="S2",
        mql_at="2026-01-13 09:00",
        sal_at="2026-01-14 09:00",
        sql_at="2026-01-20 09:00",
    ),
    _lead(
        "L3",
        "2026-02-01 09:00",
        sourced_by="sales",
        channel="outbound_sdr",
        segment="enterprise",
        company_size="1001-5000",
        sal_at="2026-02-02 09:00",
        sql_at="2026-02-05 09:00",
    ),
    _lead(
        "L4",
        "2026-02-15 09:00",
        mql_at="2026-02-17 09:00",
        disqualified_at="2026-02-18 09:00",
        disqualify_reason="not_a_fit",
    ),
    _lead("L5", "2026-03-01 09:00", channel="email", campaign=None, segment="mid_market", company_size=None),
    _lead("L6", "2026-03-31 23:00", channel="email", campaign=None, mql_at="2026-04-02 11:00"),
    _lead(
        "L7",
        "2025-12-20 09:00",
        mql_at="2026-01-03 09:00",
        sal_at="2026-01-04 09:00",
        disqualified_at="2026-01-20 09:00",
        disqualify_reason="no_budget",
    ),
    _lead("L8", "2026-04-01 00:00", mql_at="2026-04-01 09:00"),
    _lead("L9", "2026-01-20 09:00", sourced_by="sales", channel="outbound_sdr", owner="S2"),
    _lead(
        "L10",
        "2026-01-25 09:00",
        mql_at="2026-01-26 09:00",
        sal_at="2026-01-28 09:00",
        sql_at="2026-02-01 09:00",
        disqualified_at="2026-02-20 09:00",
        disqualify_reason="no_project",
    ),
    _lead("L11", "2026-02-20 09:00", sal_at="2026-02-21 09:00"),
    _lead(
        "L12",
        "2026-03-10 09:00",
        sourced_by="sales",
        channel="outbound_sdr",
        owner="S2",
        mql_at="2026-03-11 09:00",
        sql_at="2026-03-12 09:00",
    ),
]

DEALS = [
    {
        "deal_id": "D1",
        "lead_id": "L1",
        "created_at": ts("2026-01-20 09:00"),
        "closed_at": ts("2026-02-19 09:00"),
        "stage": "won",
        "amount": 1000,
        "owner_id": "S1",
    },
    {
        "deal_id": "D2",
        "lead_id": "L2",
        "created_at": ts("2026-02-01 09:00"),
        "closed_at": ts("2026-03-01 09:00"),
        "stage": "lost",
        "amount": 2000,
        "owner_id": "S2",
        "lost_reason": "price",
    },
    {
        "deal_id": "D3",
        "lead_id": "L3",
        "created_at": ts("2026-04-10 09:00"),
        "stage": "open",
        "amount": 3000,
        "owner_id": "S1",
    },
    {
        "deal_id": "D4",
        "lead_id": "L9",
        "created_at": ts("2026-02-10 09:00"),
        "closed_at": ts("2026-03-20 09:00"),
        "stage": "won",
        "amount": 4000,
        "owner_id": "S2",
    },
]

TABLES = {"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "deals": DEALS}
META = {"as_of": AS_OF}


# ---------------------------------------------------------------------------------------------
# The tests

WINDOW = Filters(start=START, end=END)
CONTRACT = [
    "stage_order",
    "stage",
    "owner_team",
    "reached_count",
    "from_previous_rate",
    "from_first_rate",
    "marketing_sourced_count",
    "sales_sourced_count",
    "joined_count",
]


@pytest.fixture
def company(make_db):
    path = make_db(TABLES, META)
    yield path
    db.close_connections()


def counts(frame: pd.DataFrame) -> list[int]:
    return frame.sort_values("stage_order")["reached_count"].tolist()


def column(frame: pd.DataFrame, name: str) -> list:
    return frame.sort_values("stage_order")[name].tolist()


def test_cohort_counts_each_lead_at_every_stage_it_reached(company):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, mode="cohort")
    assert list(frame.columns) == CONTRACT
    assert frame["stage"].tolist() == ["Lead", "MQL", "SAL", "SQL", "Opportunity", "Won"]
    assert frame["owner_team"].tolist() == ["marketing"] * 2 + ["sales"] * 4
    # Created in the window: L1-L6, L9-L12 (L7 before it, L8 on the end day) = 10, of which sales
    # sourced L3, L9, L12 and marketing the other 7.
    # MQL: the marketing leads but L5: L1, L2, L4, L6 (its MQL came after the window: "by now"), L10 and
    #   L11 (skipped it) = 6. Never L3, L9 or L12, whatever L12's mql_at says.
    # SAL: L1, L2, L10, L11 from MQL, and L3 joining = 5. SQL: L1, L2, L10 from SAL, and L3 (carried on)
    #   and L12 (joining there) = 5. Opportunity: L1, L2, L3 from SQL, L9 joining = 4. Won: L1, L9 = 2.
    assert counts(frame) == [10, 6, 5, 5, 4, 2]
    assert column(frame, "marketing_sourced_count") == [7, 6, 4, 3, 2, 1]
    assert column(frame, "sales_sourced_count") == [3, 0, 1, 2, 2, 1]
    assert column(frame, "joined_count") == [0, 0, 1, 1, 1, 0]
    # Lead → MQL over the 7 marketing leads; then (reached − joined) ÷ the previous stage.
    assert frame["from_previous_rate"].tolist()[1:] == pytest.approx([6 / 7, 4 / 6, 4 / 5, 3 / 5, 2 / 4])
    assert pd.isna(frame["from_previous_rate"].iloc[0])
    assert frame["from_first_rate"].tolist() == pytest.approx([1, 6 / 10, 5 / 10, 5 / 10, 4 / 10, 2 / 10])


def test_period_counts_stage_entries_in_the_window(company):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, mode="period")
    # Lead: created in the window = the 10 of the cohort, 7 marketing-sourced.
    # MQL entered: L1, L2, L4, L7 (created before, MQL 01-03), L10, L11 (at its SAL, 02-21); L6 (04-02) and
    #   L8 (04-01) after; never the sales-sourced L3, L9, L12 = 6.
    # SAL: L1, L2, L7, L10, L11, and L3 joining (02-02) = 6. SQL: L1, L2, L10, L3, and L12 joining (03-12)
    #   = 5. Opportunity: L1 (01-20), L2 (02-01), L9 joining (02-10); L3's deal came 04-10 = 3.
    #   Won: L1 02-19, L9 03-20 = 2.
    assert counts(frame) == [10, 6, 6, 5, 3, 2]
    assert column(frame, "marketing_sourced_count") == [7, 6, 5, 3, 2, 1]
    assert column(frame, "joined_count") == [0, 0, 1, 1, 1, 0]
    assert frame["from_previous_rate"].tolist()[1:] == pytest.approx([6 / 7, 5 / 6, 4 / 6, 2 / 5, 2 / 3])


def test_grouped_counts_put_group_value_first(company):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, mode="cohort", group_by="segment")
    assert list(frame.columns) == ["group_value", *CONTRACT]
    by_group = {g: counts(part) for g, part in frame.groupby("group_value")}
    # smb: L1, L2, L4, L6, L9, L10, L11, L12; MQL the six marketing ones (L11 by skipping); SAL L1, L2,
    # L10, L11; SQL L1, L2, L10 and L12 joining; Opportunity L1, L2 and L9 joining; Won L1, L9.
    # enterprise: L3, sales-sourced, joined at SAL and reached its open deal. mid_market: L5 stayed a Lead.
    assert by_group == {
        "smb": [8, 6, 4, 4, 3, 2],
        "enterprise": [1, 0, 1, 1, 1, 0],
        "mid_market": [1, 0, 0, 0, 0, 0],
    }
    smb = frame[frame["group_value"] == "smb"]
    assert column(smb, "joined_count") == [0, 0, 0, 1, 1, 0]
    assert column(smb, "from_previous_rate")[1:] == pytest.approx([6 / 6, 4 / 6, 3 / 4, 2 / 4, 2 / 3])
    enterprise = frame[frame["group_value"] == "enterprise"]
    # No marketing lead and no MQL to divide by; SAL → SQL 1 of 1.
    assert pd.isna(column(enterprise, "from_previous_rate")[1:3]).all()
    assert column(enterprise, "from_previous_rate")[3] == 1
    mid = frame[frame["group_value"] == "mid_market"].sort_values("stage_order")
    # 0 of 1 Lead reached MQL; from MQL on there is nothing to divide by.
    assert mid["from_previous_rate"].iloc[1] == 0 and mid["from_previous_rate"].iloc[2:].isna().all()


@pytest.mark.parametrize(
    "group_by, expected",
    [
        # Owner: S1 has L1, L3, L4, L5, L6, L10, L11 (7 created), S2 has L2, L9, L12.
        ("owner", {"S1": 7, "S2": 3}),
        # Company size: L5 has none, shown as (none); L3 is 1001-5000; the rest 1-10.
        ("company_size", {"1-10": 8, "1001-5000": 1, "(none)": 1}),
        ("channel", {"webinar": 5, "outbound_sdr": 3, "email": 2}),
        ("region", {"NA": 9, "EMEA": 1}),
    ],
)
def test_every_breakdown_dimension(company, group_by, expected):
    frame = db.run_query("funnel__stage_counts", WINDOW, db=company, group_by=group_by)
    leads = frame[frame["stage_order"] == 1]
    assert dict(zip(leads["group_value"], leads["reached_count"])) == expected


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)),  # an empty window
        Filters(start=START, end=END, segments=("consumer",)),  # a filter that matches nothing
        Filters(start=START, end=END, owners=("S1",), segments=("mid_market",), channels=("webinar",)),
    ],
)
@pytest.mark.parametrize("mode", ["cohort", "period"])
def test_nothing_to_count_gives_six_zero_rows_or_no_groups(company, filters, mode):
    frame = db.run_query("funnel__stage_counts", filters, db=company, mode=mode)
    assert counts(frame) == [0] * 6
    assert frame["from_previous_rate"].isna().all() and frame["from_first_rate"].isna().all()
    assert db.run_query("funnel__stage_counts", filters, db=company, mode=mode, group_by="channel").empty


def test_shared_filters_narrow_the_leads(company):
    # Sourced by sales: L3 (joined at SAL, up to its open deal), L9 (joined at Opportunity, won) and L12
    # (joined at SQL): none of them at MQL.
    frame = db.run_query("funnel__stage_counts", WINDOW.with_window(START, END), db=company, teams=["sales"])
    assert counts(frame) == [3, 0, 1, 2, 2, 1]
    assert column(frame, "joined_count") == [0, 0, 1, 1, 1, 0]
    # Campaign C1 is the source of the webinar leads: L1, L2, L4, L10, L11 in the window; L4 left at MQL,
    # L11 at SAL, L10 after SQL, L2 lost its deal.
    frame = db.run_query("funnel__stage_counts", Filters(start=START, end=END, campaigns=("C1",)), db=company)
    assert counts(frame) == [5, 5, 4, 3, 2, 1]


def test_all_time_period_funnel_equals_all_time_cohort(company):
    cohort = db.run_query("funnel__stage_counts", Filters(), db=company, mode="cohort")
    period = db.run_query("funnel__stage_counts", Filters(), db=company, mode="period")
    # All twelve leads: MQL the marketing ones but L5 (L1, L2, L4, L6, L7, L8, L10, L11) = 8; SAL L1, L2,
    # L7, L10, L11 and L3 = 6; SQL L1, L2, L10, L3, L12 = 5; Opportunity L1, L2, L3, L9 = 4; Won 2.
    assert counts(cohort) == counts(period) == [12, 8, 6, 5, 4, 2]
    assert column(cohort, "joined_count") == column(period, "joined_count") == [0, 0, 1, 1, 1, 0]


def _cli(args: list[str]) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(args) == 0
    return out.getvalue()


def test_the_command_line_contract(company):
    base = [
        "query",
        "funnel__stage_counts",
        "--db",
        str(company),
        "--param",
        "start=2026-01-01",
        "--param",
        "end=2026-04-01",
        "--param",
        "mode=cohort",
        "--format",
        "csv",
    ]
    lines = _cli(base).splitlines()
    assert lines[0] == ",".join(CONTRACT)
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["1", "Lead", "marketing", "10"],
        ["2", "MQL", "marketing", "6"],
        ["3", "SAL", "sales", "5"],
        ["4", "SQL", "sales", "5"],
        ["5", "Opportunity", "sales", "4"],
        ["6", "Won", "sales", "2"],
    ]
    grouped = _cli([*base, "--param", "group_by=channel", "--param", "segments=smb"]).splitlines()
    assert grouped[0] == ",".join(["group_value", *CONTRACT])
    # smb leads by channel: webinar L1, L2, L4, L10, L11; outbound_sdr L9, L12; email L6.
    firsts = {line.split(",")[0]: line.split(",")[4] for line in grouped[1:] if line.split(",")[1] == "1"}
    assert firsts == {"webinar": "5", "outbound_sdr": "2", "email": "1"}
    assert "group_value" not in _cli(["query", "funnel__stage_counts", "--db", str(company)])


def test_the_contract_command_in_a_fresh_process(company):
    # A new interpreter finds the computed query through the CLI's catalog, as users' scripts do.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "handoff",
            "query",
            "funnel__stage_counts",
            "--db",
            str(company),
            "--param",
            "start=2026-01-01",
            "--param",
            "end=2026-04-01",
            "--param",
            "mode=cohort",
            "--param",
            "segments=smb",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == CONTRACT
    # smb cohort: L1, L2, L4, L6, L9, L10, L11, L12 (see the grouped test).
    assert [int(line.split()[3]) for line in lines[1:]] == [8, 6, 4, 4, 3, 2]


def test_velocity_medians_and_p90_per_step(company):
    frame = db.run_query("funnel__velocity", WINDOW, db=company, mode="cohort").set_index("from_stage")
    # Cohort leads with both timestamps (a skipped stage has none; L12's mql_at does not count, it is
    # sales-sourced; L11 skipped MQL):
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
    # MQL reached in the window: L1 1, L2 3, L4 2, L7 14 (created in December), L10 1 → median 2 (not
    # L12, sales-sourced, whose CRM says MQL on 03-11).
    assert frame.loc["Lead", "pair_count"] == 5 and frame.loc["Lead", "median_days"] == pytest.approx(2)
    # Deals opened in the window after an SQL: L1 10, L2 12 (L3's deal came in April) → median 11.
    assert frame.loc["SQL", "pair_count"] == 2 and frame.loc["SQL", "median_days"] == pytest.approx(11)


def test_velocity_of_an_empty_window_lists_every_step_without_numbers(company):
    frame = db.run_query(
        "funnel__velocity", Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)), db=company
    )
    assert frame["pair_count"].tolist() == [0] * 5 and frame["median_days"].isna().all()


def test_conversion_by_month_with_the_too_young_marker(company):
    frame = db.run_query("funnel__conversion_by_month", WINDOW, db=company)
    frame["month"] = frame["created_month"].dt.strftime("%Y-%m")
    got = {(r.month, r.from_stage_order): (r.from_count, r.to_count) for r in frame.itertuples()}
    # January: L1, L2, L10 (marketing) and L9 (sales, joined at Opportunity). Lead → MQL over the 3
    # marketing leads, all MQL, SAL and SQL; two went on to a deal (L9 joined there, so not "from SQL"):
    # 3 opportunities, L1 and L9 won.
    # February: L4, L11 (marketing), L3 (sales, joined at SAL). Both MQL (L11 by skipping); SAL from MQL:
    # L11; SAL: L3 and L11, SQL from SAL: L3; L3 went on to an open deal.
    # March: L5, L6 (marketing), L12 (sales, joined at SQL): only L6 reached MQL (in April: "by now");
    # L12 is at SQL without having come from SAL.
    assert got == {
        ("2026-01", 1): (3, 3),
        ("2026-01", 2): (3, 3),
        ("2026-01", 3): (3, 3),
        ("2026-01", 4): (3, 2),
        ("2026-01", 5): (3, 2),
        ("2026-02", 1): (2, 2),
        ("2026-02", 2): (2, 1),
        ("2026-02", 3): (2, 1),
        ("2026-02", 4): (1, 1),
        ("2026-02", 5): (1, 0),
        ("2026-03", 1): (2, 1),
        ("2026-03", 2): (1, 0),
        ("2026-03", 3): (0, 0),
        ("2026-03", 4): (1, 0),
        ("2026-03", 5): (0, 0),
    }
    march = frame[frame["month"] == "2026-03"].set_index("from_stage_order")
    # The median March lead (L12, 10 Mar 09:00, between L5 and L6) is 36.625 days old at the end of the
    # as-of day (16 Apr 00:00).
    assert march["month_age_days"].iloc[0] == pytest.approx(36 + 15 / 24)
    # Days from creation to Won: L1 45, L9 59 → median 52 > 36.6, so March is too young for Opp→Won.
    # To Opportunity: L1 15, L9 21, L2 22, L3 68 → 21.5 < 36.6: old enough. February's median lead
    # (L4, 15 Feb 09:00) is 59.6 days old: older than every median.
    assert frame.loc[frame["is_too_young"], ["month", "from_stage_order"]].values.tolist() == [["2026-03", 5]]
    assert march.loc[5, "median_days_to_stage"] == pytest.approx(52)
    assert march.loc[4, "median_days_to_stage"] == pytest.approx(21.5)
    assert pd.isna(march.loc[3, "conversion_rate"])


def test_exits_follow_every_lead_to_where_it_ended(company):
    frame = db.run_query("funnel__exits", WINDOW, db=company)
    moves = {(r.from_stage, r.to_stage): r.lead_count for r in frame.itertuples() if pd.notna(r.to_stage)}
    # Stage to stage: the cohort's reached counts (10, 6, 5, 5, 4, 2), the sales-sourced leads going from
    # Lead straight to where they joined (L3 SAL, L12 SQL, L9 Opportunity), never through MQL.
    assert moves == {
        ("Lead", "MQL"): 6,
        ("Lead", "SAL"): 1,
        ("Lead", "SQL"): 1,
        ("Lead", "Opportunity"): 1,
        ("MQL", "SAL"): 4,
        ("SAL", "SQL"): 4,
        ("SQL", "Opportunity"): 3,
        ("Opportunity", "Won"): 2,
    }
    exits = {
        (r.from_stage, r.exit_kind, None if pd.isna(r.exit_reason) else r.exit_reason): r.lead_count
        for r in frame.itertuples()
        if pd.isna(r.to_stage)
    }
    # L5 never moved (open); L4 disqualified at MQL, L6 still open there; L11 open at SAL; L10
    # disqualified after SQL, L12 open there; L2's deal was lost on price, L3's deal is still open. L1
    # and L9 won.
    assert exits == {
        ("Lead", "open", None): 1,
        ("MQL", "disqualified", "not_a_fit"): 1,
        ("MQL", "open", None): 1,
        ("SAL", "open", None): 1,
        ("SQL", "disqualified", "no_project"): 1,
        ("SQL", "open", None): 1,
        ("Opportunity", "lost", "price"): 1,
        ("Opportunity", "open", None): 1,
    }


def test_exits_of_an_empty_selection_are_no_rows(company):
    nothing = Filters(start=START, end=END, segments=("consumer",))
    assert db.run_query("funnel__exits", nothing, db=company).empty


@pytest.mark.parametrize(
    "mode, stage_order, group, expected",
    [
        # Cohort SAL: L1, L2, L10, L11 from MQL, L3 joining (L9 joined later, at Opportunity).
        ("cohort", 3, None, {"L1", "L2", "L3", "L10", "L11"}),
        # Period Opportunity: deals opened in the window: L1, L2, L9.
        ("period", 5, None, {"L1", "L2", "L9"}),
        # Period MQL adds L7 (created in December), drops L6 (MQL in April), and never has a sales-sourced lead.
        ("period", 2, None, {"L1", "L2", "L4", "L7", "L10", "L11"}),
        ("period", 4, None, {"L1", "L2", "L3", "L10", "L12"}),
        ("cohort", 1, ("segment", "mid_market"), {"L5"}),
        ("cohort", 6, ("owner", "S2"), {"L9"}),
        ("cohort", 1, ("company_size", "(none)"), {"L5"}),
    ],
)
def test_drill_down_lists_the_leads_behind_a_count(company, mode, stage_order, group, expected):
    group_by, group_value = group or (None, None)
    frame = db.run_query(
        "funnel__leads",
        WINDOW,
        db=company,
        mode=mode,
        stage_order=stage_order,
        group_by=group_by,
        group_value=group_value,
    )
    assert set(frame["lead_id"]) == expected


def test_drill_down_says_where_each_lead_stands(company):
    frame = db.run_query("funnel__leads", WINDOW, db=company).set_index("lead_id")
    assert frame["status"].to_dict() == {
        "L1": "won",
        "L2": "lost",
        "L3": "open",
        "L4": "disqualified",
        "L5": "open",
        "L6": "open",
        "L9": "won",
        "L10": "disqualified",
        "L11": "open",
        "L12": "open",
    }
    assert frame.loc["L2", "exit_reason"] == "price" and frame.loc["L10", "exit_reason"] == "no_project"
    assert frame.loc["L9", "furthest_stage"] == "Won" and frame.loc["L6", "furthest_stage"] == "MQL"
    assert frame.loc["L11", "furthest_stage"] == "SAL" and frame.loc["L12", "furthest_stage"] == "SQL"
    assert frame.loc["L2", "owner_name"] == "Ada Moss"
    # Newest entry first, and the row limit holds.
    assert frame.index[0] == "L6"
    assert len(db.run_query("funnel__leads", WINDOW, db=company, row_limit=3)) == 3
