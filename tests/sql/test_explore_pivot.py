"""explore__pivot, explore__cell_members and the record queries on a hand-made company.

The window is Q1 2026 ([1 Jan, 1 Apr)). The latest timestamp in the data is L6's creation, 1 Apr 00:10:
that is "now" for the SLA (what is still inside its window then is pending).

  lead  created      channel       src  segment     score  mql_at          first sales touch   deals
  L1    10 Jan       webinar (C1)  mkt  smb         85     10 Jan 10:00    10 Jan 10:30 (0.5h) D1 created 20 Jan, won 10 Feb, $1,000
  L2    15 Jan       webinar (C1)  mkt  smb         50     16 Jan 09:00    17 Jan 12:00 (27h)  D2 created  1 Feb, lost 1 Mar, $500
  L3     5 Feb       outbound_sdr  sales enterprise  –     –  (SAL 6 Feb)  –                   D3 created 20 Feb, open, $3,000
  L4    20 Dec 2025  events        mkt  smb         90      5 Jan 08:00    none                D4 created 28 Dec, won 25 Jan, $2,000
  L5    30 Mar 22:00 paid_search   mkt  mid_market  82     31 Mar 23:30    none                –
  L6     1 Apr 00:10 paid_search   mkt  smb         40      –              –                   –   (after the window)

Follow-up SLA (a wall-clock policy given to the query): score ≥ 80 → 1 h, else 24 h. L1 met (0.5 h ≤ 1 h); L2
breached (27 h > 24 h); L4 breached (no touch, due 5 Jan 09:00, long past); L5 pending (due 1 Apr 00:30,
after "now").
"""

import datetime as dt

import pandas as pd
import pytest

from handoff import db, query_files
from handoff import pivot as explore  # also registers the computed query explore__pivot_sla
from handoff.filters import Filters
from tests.fixtures import ts

PEOPLE = [
    {"person_id": "P1", "name": "Ada Okafor", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "P2", "name": "Ben Moreau", "team": "sales", "role": "sdr", "region": "EMEA"},
    {"person_id": "A1", "name": "Cleo Ruiz", "team": "sales", "role": "ae", "region": "NA"},
]
CAMPAIGNS = [
    {
        "campaign_id": "C1",
        "name": "Spring webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": dt.date(2026, 1, 1),
        "cost": 1000,
    },
]
LEADS = [
    {
        "lead_id": "L1",
        "created_at": ts("2026-01-10 08:00"),
        "channel": "webinar",
        "source_campaign_id": "C1",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "industry": "software",
        "company_size": "11-50",
        "score": 85,
        "mql_at": ts("2026-01-10 10:00"),
        "sal_at": ts("2026-01-11 09:00"),
        "sql_at": ts("2026-01-15 09:00"),
        "owner_id": "P1",
    },
    {
        "lead_id": "L2",
        "created_at": ts("2026-01-15 08:00"),
        "channel": "webinar",
        "source_campaign_id": "C1",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "EMEA",
        "industry": "retail",
        "company_size": "201-1000",
        "score": 50,
        "mql_at": ts("2026-01-16 09:00"),
        "sal_at": ts("2026-01-18 09:00"),
        "owner_id": "P2",
    },
    {
        "lead_id": "L3",
        "created_at": ts("2026-02-05 08:00"),
        "channel": "outbound_sdr",
        "sourced_by": "sales",
        "segment": "enterprise",
        "region": "NA",
        "company_size": "5000+",
        "sal_at": ts("2026-02-06 09:00"),
        "sql_at": ts("2026-02-10 09:00"),
        "owner_id": "P1",
    },
    {
        "lead_id": "L4",
        "created_at": ts("2025-12-20 08:00"),
        "channel": "events",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "score": 90,
        "mql_at": ts("2026-01-05 08:00"),
        "owner_id": "P2",
    },
    {
        "lead_id": "L5",
        "created_at": ts("2026-03-30 22:00"),
        "channel": "paid_search",
        "sourced_by": "marketing",
        "segment": "mid_market",
        "region": "APAC",
        "score": 82,
        "mql_at": ts("2026-03-31 23:30"),
    },
    {
        "lead_id": "L6",
        "created_at": ts("2026-04-01 00:10"),
        "channel": "paid_search",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "score": 40,
    },
]
TOUCHES = [
    {
        "touch_id": "T1",
        "lead_id": "L1",
        "campaign_id": "C1",
        "channel": "webinar",
        "team": "marketing",
        "kind": "webinar",
        "touched_at": ts("2026-01-10 08:00"),
    },
    {
        "touch_id": "T2",
        "lead_id": "L1",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts("2026-01-10 10:30"),
        "person_id": "P1",
    },
    {
        "touch_id": "T3",
        "lead_id": "L2",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts("2026-01-17 12:00"),
        "person_id": "P2",
    },
    {
        "touch_id": "T4",
        "lead_id": "L3",
        "channel": "outbound_sdr",
        "team": "sales",
        "kind": "email",
        "touched_at": ts("2026-02-05 08:00"),
        "person_id": "P1",
    },
]
DEALS = [
    {
        "deal_id": "D1",
        "lead_id": "L1",
        "created_at": ts("2026-01-20 10:00"),
        "closed_at": ts("2026-02-10 10:00"),
        "stage": "won",
        "amount": 1000,
        "owner_id": "A1",
        "product": "Starter",
    },
    {
        "deal_id": "D2",
        "lead_id": "L2",
        "created_at": ts("2026-02-01 10:00"),
        "closed_at": ts("2026-03-01 10:00"),
        "stage": "lost",
        "amount": 500,
        "owner_id": "A1",
        "lost_reason": "price",
    },
    {
        "deal_id": "D3",
        "lead_id": "L3",
        "created_at": ts("2026-02-20 10:00"),
        "stage": "open",
        "amount": 3000,
        "owner_id": "A1",
    },
    {
        "deal_id": "D4",
        "lead_id": "L4",
        "created_at": ts("2025-12-28 10:00"),
        "closed_at": ts("2026-01-25 10:00"),
        "stage": "won",
        "amount": 2000,
        "owner_id": "A1",
    },
]
Q1 = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 1))
WALL_CLOCK_POLICY = """
[[policies]]
id = "follow_up"
name = "Follow up every MQL fast"
owner_team = "sales"
kind = "follow_up"
clock = "wall"
tiers = [{ min_score = 80, hours = 1 }, { min_score = 0, hours = 24 }]
goal_pct = 90
"""


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from tests.fixtures import write_db

    path = write_db(
        tmp_path_factory.mktemp("explore") / "explore.duckdb",
        {"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "touches": TOUCHES, "deals": DEALS},
        meta={"as_of": "2026-03-31"},
    )
    yield path
    db.close_connections()


def pivot(path, filters=Q1, **params):
    return db.run_query("explore__pivot", filters, db=path, **params)


def row(frame, **where):
    chosen = frame
    for column, value in where.items():
        chosen = chosen[chosen[column] == value]
    assert len(chosen) == 1, chosen
    return chosen.iloc[0]


def test_one_group_holds_every_measure(company):
    total = row(pivot(company, dim1="none"), dim1_value="")
    # Cohort: L1, L2, L3, L5 were created in Q1 (L4 in December, L6 in April).
    assert total["lead_count"] == 4
    # Reached MQL: L1, L2, L5 by their MQL date; never L3, an SDR lead (sales-sourced: it joins at SAL).
    assert total["mql_count"] == 3
    # Reached SAL: L1, L2 from MQL, L3 joining. SQL: L1 and L3 by sql_at, L2 by its later deal.
    # Opportunity: all three.
    assert (total["sal_count"], total["sql_count"], total["opportunity_count"]) == (3, 3, 3)
    assert total["won_count"] == 1  # only L1's deal was won (L4's too, but L4 is not in the cohort)
    # Lead → MQL over the 3 marketing-sourced leads; MQL → SAL: (3 SALs − L3 joining) ÷ 3 MQLs.
    assert total["lead_to_mql_rate"] == 1.0 and total["mql_to_sal_rate"] == pytest.approx(2 / 3)
    assert total["opportunity_to_won_rate"] == pytest.approx(1 / 3)
    # Pipeline: D1 + D2 + D3 were created in Q1 (D4 in December) = 4,500.
    assert (total["pipeline_usd"], total["deals_created_count"]) == (4500, 3)
    # Bookings: D1 (won 10 Feb) + D4 (won 25 Jan) = 3,000; D2 was lost on 1 Mar: win rate 2 / 3.
    assert (total["bookings_usd"], total["deals_won_count"], total["deals_lost_count"]) == (3000, 2, 1)
    assert total["win_rate"] == pytest.approx(2 / 3)
    # MQLs of Q1 by mql_at: L1, L2, L4, L5; responded: L1 (0.5 h), L2 (27 h): median 13.75 h.
    assert total["window_mql_count"] == 4
    assert total["median_speed_to_lead_hours"] == pytest.approx(13.75)


TOTALS = [
    "lead_count",
    "mql_count",
    "sal_count",
    "sql_count",
    "opportunity_count",
    "won_count",
    "pipeline_usd",
    "deals_created_count",
    "bookings_usd",
    "deals_won_count",
    "deals_lost_count",
    "win_rate",
    "window_mql_count",
    "median_speed_to_lead_hours",
]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # smb: L1, L2, L4, L6. Cohort L1, L2, both through MQL, SAL, SQL (L2 by its deal) and opportunity; L1
        # won. Pipeline D1 + D2; bookings D1 + D4 (won in Q1), D2 lost. MQLs of Q1: L1, L2, L4; answered L1
        # (0.5 h) and L2 (27 h).
        (
            Filters(start=Q1.start, end=Q1.end, segments=("smb",)),
            (2, 2, 2, 2, 2, 1, 1500, 2, 3000, 2, 1, 2 / 3, 3, 13.75),
        ),
        # NA: L1, L3, L4, L6. Cohort L1, L3 (L3 joins at SAL, never an MQL). Pipeline D1 + D3; bookings D1 +
        # D4, nothing lost. MQLs of Q1: L1 (0.5 h), L4 (unanswered).
        (
            Filters(start=Q1.start, end=Q1.end, regions=("NA",)),
            (2, 1, 2, 2, 2, 1, 4000, 2, 3000, 2, 0, 1.0, 2, 0.5),
        ),
        # Sales-sourced: L3 alone; its open deal D3 is pipeline, nothing closed, no MQL.
        (
            Filters(start=Q1.start, end=Q1.end, teams=("sales",)),
            (1, 0, 1, 1, 1, 0, 3000, 1, 0, 0, 0, None, 0, None),
        ),
        # Webinar and events: L1, L2, L4, as smb without L6.
        (
            Filters(start=Q1.start, end=Q1.end, channels=("webinar", "events")),
            (2, 2, 2, 2, 2, 1, 1500, 2, 3000, 2, 1, 2 / 3, 3, 13.75),
        ),
        # Owner P2: L2, L4. Cohort L2; pipeline D2; bookings D4, D2 lost; MQLs L2 (27 h) and L4.
        (
            Filters(start=Q1.start, end=Q1.end, owners=("P2",)),
            (1, 1, 1, 1, 1, 0, 500, 1, 2000, 1, 1, 0.5, 2, 27.0),
        ),
        # Campaign C1: L1, L2. Bookings D1 only, D2 lost.
        (
            Filters(start=Q1.start, end=Q1.end, campaigns=("C1",)),
            (2, 2, 2, 2, 2, 1, 1500, 2, 1000, 1, 1, 0.5, 2, 13.75),
        ),
        # All time: every lead. MQL: L1, L2, L4, L5; SAL, SQL and opportunity: L1, L2, L3 and L4 (by its won
        # deal); won L1, L4. Every deal's 6,500 of pipeline; bookings D1 + D4, D2 lost.
        (Filters(), (6, 4, 4, 4, 4, 2, 6500, 4, 3000, 2, 1, 2 / 3, 4, 13.75)),
    ],
    ids=["smb", "NA", "sales-sourced", "webinar and events", "owner P2", "campaign C1", "all time"],
)
def test_the_totals_under_the_shared_filters(company, filters, expected):
    total = row(pivot(company, filters, dim1="none"), dim1_value="")
    got = [None if pd.isna(total[m]) else total[m] for m in TOTALS]
    assert got == pytest.approx(list(expected)), dict(zip(TOTALS, got, strict=True))


def test_a_lead_that_skipped_mql_is_in_the_funnel_but_not_among_the_windows_mqls(make_db):
    # K: marketing-sourced, created 2 Jan, accepted 3 Jan without an mql_at. The cohort funnel counts it at
    # MQL (a later stage implies it); the window's MQLs, whose speed to lead is judged, are the leads
    # with an mql_at in the window: none.
    path = make_db(
        {
            "leads": [
                {
                    "lead_id": "K",
                    "created_at": ts("2026-01-02 09:00"),
                    "channel": "webinar",
                    "sourced_by": "marketing",
                    "segment": "smb",
                    "region": "NA",
                    "sal_at": ts("2026-01-03 09:00"),
                }
            ]
        }
    )
    for window in (Q1, Filters()):
        total = row(pivot(path, window, dim1="none"), dim1_value="")
        assert (total["lead_count"], total["mql_count"], total["sal_count"], total["window_mql_count"]) == (
            1,
            1,
            1,
            0,
        )


def test_period_mode_counts_stage_entries_in_the_window(company):
    total = row(pivot(company, dim1="none", mode="period"), dim1_value="")
    # Entered Lead: L1, L2, L3, L5. MQL (own date or first later one): L1, L2, L4 (5 Jan), L5; never the
    # sales-sourced L3. SAL: L1, L2, L3 joining (L4 "entered" SAL with its December deal). SQL: L1, L2
    # (deal 1 Feb), L3. Opportunity: D1, D2, D3's leads. Won: L1 (10 Feb) and L4 (25 Jan).
    got = total[
        ["lead_count", "mql_count", "sal_count", "sql_count", "opportunity_count", "won_count"]
    ].tolist()
    assert got == [4, 4, 3, 3, 3, 2]
    assert total["pipeline_usd"] == 4500  # money does not depend on the mode


def test_by_channel(company):
    frame = pivot(company, dim1="channel")
    webinar = row(frame, dim1_value="webinar")
    # L1 and L2: both MQL'd, accepted, with a deal; D1 won, D2 lost.
    assert webinar[["lead_count", "mql_count", "sal_count", "opportunity_count", "won_count"]].tolist() == [
        2,
        2,
        2,
        2,
        1,
    ]
    assert (webinar["pipeline_usd"], webinar["bookings_usd"], webinar["win_rate"]) == (1500, 1000, 0.5)
    events = row(frame, dim1_value="events")
    # L4 is not in the cohort, but its deal was won in Q1 and it became an MQL in Q1.
    assert (events["lead_count"], events["bookings_usd"], events["win_rate"], events["window_mql_count"]) == (
        0,
        2000,
        1.0,
        1,
    )
    paid = row(frame, dim1_value="paid_search")
    # L5 only (L6 is April): an MQL nobody has answered yet.
    assert (paid["lead_count"], paid["window_mql_count"]) == (1, 1) and pd.isna(
        paid["median_speed_to_lead_hours"]
    )
    assert pd.isna(row(frame, dim1_value="outbound_sdr")["win_rate"])  # D3 is still open
    assert sorted(frame["dim1_value"]) == ["events", "outbound_sdr", "paid_search", "webinar"]


def test_by_created_month_each_measure_takes_its_own_event_month(company):
    frame = pivot(company, dim1="created_month")
    assert frame["dim1_value"].tolist() == ["2026-01", "2026-02", "2026-03"]  # in time order
    jan, feb, mar = (row(frame, dim1_value=m) for m in ("2026-01", "2026-02", "2026-03"))
    # January: cohort L1, L2; D1 created (1,000); D4 won (2,000); MQLs L4 (5th), L1, L2.
    assert (jan["lead_count"], jan["pipeline_usd"], jan["bookings_usd"], jan["window_mql_count"]) == (
        2,
        1000,
        2000,
        3,
    )
    # February: cohort L3; D2 + D3 created (3,500); D1 won (1,000).
    assert (feb["lead_count"], feb["pipeline_usd"], feb["bookings_usd"], feb["window_mql_count"]) == (
        1,
        3500,
        1000,
        0,
    )
    # March: cohort L5; D2 lost (win rate 0); L5's MQL.
    assert (mar["lead_count"], mar["deals_lost_count"], mar["win_rate"], mar["window_mql_count"]) == (
        1,
        1,
        0.0,
        1,
    )


def test_labels_and_bands(company):
    owner = pivot(company, dim1="owner")
    # Lead owners: P1 (L1, L3), P2 (L2, L4); L5 has none.
    assert dict(zip(owner["dim1_label"], owner["lead_count"])) == {
        "Ada Okafor": 2,
        "Ben Moreau": 1,
        "(unassigned)": 1,
    }
    campaign = pivot(company, dim1="campaign")
    assert dict(zip(campaign["dim1_label"], campaign["lead_count"])) == {
        "Spring webinar": 2,
        "(no campaign)": 2,
    }
    score = pivot(company, dim1="score_band")
    # L1 85, L5 82 (and L4 90, not in the cohort) → 80–100; L2 50 → 40–59; L3 has no score. Ordered by band.
    assert score["dim1_label"].tolist() == ["40–59", "80–100", "(no score)"]
    assert score["lead_count"].tolist() == [1, 2, 1]
    response = pivot(company, dim1="response_time_band")
    # L1 0.5 h; L2 27 h; L4 and L5 never touched; L3 never an MQL. Ordered fastest first.
    assert response["dim1_label"].tolist() == ["< 1 h", "1–3 d", "no response yet", "(not an MQL)"]
    assert response["window_mql_count"].tolist() == [1, 1, 2, 0]
    size = pivot(company, dim1="company_size")
    # Ordered by the size's first number, unknown last.
    assert size["dim1_label"].tolist() == ["11-50", "201-1000", "5000+", "(none)"]


def test_two_dimensions_and_the_none_dimension(company):
    frame = pivot(company, dim1="segment", dim2="region")
    smb_na = row(frame, dim1_value="smb", dim2_value="NA")
    # smb in NA: L1 (cohort; D1 won 1,000) and L4 (D4 won 2,000). L2 is smb in EMEA.
    assert (smb_na["lead_count"], smb_na["bookings_usd"]) == (1, 3000)
    assert row(frame, dim1_value="smb", dim2_value="EMEA")["lead_count"] == 1
    assert set(pivot(company, dim1="none", dim2="none")["dim1_label"]) == {"All"}


def test_shared_filters_apply_to_the_lead(company):
    smb = row(
        pivot(company, Filters(start=Q1.start, end=Q1.end, segments=("smb",)), dim1="none"), dim1_value=""
    )
    # L1, L2 (cohort); deals D1, D2 created; D1, D4 won; D2 lost.
    assert (smb["lead_count"], smb["pipeline_usd"], smb["bookings_usd"], smb["deals_lost_count"]) == (
        2,
        1500,
        3000,
        1,
    )
    by_team = pivot(company, Filters(start=Q1.start, end=Q1.end, teams=("sales",)), dim1="team")
    assert by_team["dim1_value"].tolist() == ["sales"] and by_team["lead_count"].tolist() == [1]


def test_an_empty_window_gives_no_rows(company):
    assert pivot(company, Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)), dim1="channel").empty
    assert pivot(company, Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)), dim1="none").empty


def test_a_dimension_outside_the_allow_list_is_refused(company):
    from handoff.errors import ParameterError

    with pytest.raises(ParameterError, match="dim1='lead_id; drop table leads' is not one of"):
        pivot(company, dim1="lead_id; drop table leads")


# ---------------------------------------------------------------------------------------------
# Drill-down


def members(path, **params):
    frame = db.run_query("explore__cell_members", Q1, db=path, **params)
    return {kind: sorted(set(group["record_id"])) for kind, group in frame.groupby("record_kind")}


def test_cell_members_are_the_records_a_cell_counts(company):
    # The webinar cell counts leads L1, L2 and deals D1, D2.
    assert members(company, dim1="channel", dim1_values=["webinar"], dim2_values=[""]) == {
        "lead": ["L1", "L2"],
        "deal": ["D1", "D2"],
    }
    # The events cell: L4 through its Q1 MQL (not the cohort), D4 through its Q1 win.
    assert members(company, dim1="channel", dim1_values=["events"], dim2_values=[""]) == {
        "lead": ["L4"],
        "deal": ["D4"],
    }
    # Two cells of a two-dimension pivot, matched as pairs: (smb, EMEA) and (enterprise, NA).
    assert members(
        company, dim1="segment", dim2="region", dim1_values=["smb", "enterprise"], dim2_values=["EMEA", "NA"]
    ) == {"lead": ["L2", "L3"], "deal": ["D2", "D3"]}
    # No cells given: everything the pivot counts (not L6, created in April).
    assert members(company, dim1="channel") == {
        "lead": ["L1", "L2", "L3", "L4", "L5"],
        "deal": ["D1", "D2", "D3", "D4"],
    }


def test_cell_members_say_what_each_record_is_counted_for_and_where(company):
    frame = db.run_query("explore__cell_members", Q1, db=company, dim1="created_month")
    got = {(r.record_id, r.counted_for, r.dim1_value) for r in frame.itertuples()}
    # L4: an MQL of January (created in December, so not in the funnel); D4: closed in January only;
    # D1: created in January (pipeline), closed in February; L1: funnel and MQL, both January.
    assert {g for g in got if g[0] in ("L4", "D4", "D1", "L1")} == {
        ("L4", "mql", "2026-01"),
        ("D4", "closed", "2026-01"),
        ("D1", "pipeline", "2026-01"),
        ("D1", "closed", "2026-02"),
        ("L1", "funnel", "2026-01"),
        ("L1", "mql", "2026-01"),
    }


def pivot_sla(path, filters=Q1, **params):
    return db.run_query("explore__pivot_sla", filters, db=path, policies=WALL_CLOCK_POLICY, **params)


def test_follow_up_sla_per_cell(company):
    total = row(pivot_sla(company, dim1="none"), dim1_value="")
    # L1 met, L2 and L4 breached, L5 pending (not counted): 1 / (1 + 2).
    assert (total["sla_met_count"], total["sla_breached_count"], total["sla_pending_count"]) == (1, 2, 1)
    assert total["sla_compliance_rate"] == pytest.approx(1 / 3)
    assert total["sla_rule"] == "First sales touch within 1 h (score ≥ 80), 24 h (others) (wall clock)"
    frame = pivot_sla(company, dim1="channel").set_index("dim1_value")
    assert frame.loc["webinar", ["sla_met_count", "sla_breached_count"]].tolist() == [1, 1]
    assert frame.loc["events", "sla_compliance_rate"] == 0.0  # L4, never followed up
    # L5 is still inside its window: compliance is undefined, not 0 or 1. L3 was never an MQL: no row.
    assert frame.loc["paid_search", "sla_pending_count"] == 1 and pd.isna(
        frame.loc["paid_search", "sla_compliance_rate"]
    )
    assert "outbound_sdr" not in frame.index
    months = pivot_sla(company, dim1="created_month").set_index("dim1_value")
    # By mql_at month: January L4, L1, L2 (1 met, 2 breached); March L5 (pending).
    assert months[["sla_met_count", "sla_breached_count", "sla_pending_count"]].to_dict("index") == {
        "2026-01": {"sla_met_count": 1, "sla_breached_count": 2, "sla_pending_count": 0},
        "2026-03": {"sla_met_count": 0, "sla_breached_count": 0, "sla_pending_count": 1},
    }


def test_follow_up_sla_joins_the_pivot(company):
    by_channel = pivot(company, dim1="channel")
    joined = explore.with_sla(by_channel, pivot_sla(company, dim1="channel"))
    assert len(joined) == len(by_channel)
    outbound = row(joined, dim1_value="outbound_sdr")
    assert outbound["sla_met_count"] == 0 and pd.isna(outbound["sla_compliance_rate"])
    assert row(joined, dim1_value="webinar")["sla_compliance_rate"] == 0.5


def test_lead_records(company):
    frame = db.run_query("explore__lead_records", db=company, lead_ids=["L3", "L1", "L1"])
    assert frame["lead_id"].tolist() == ["L1", "L3"]  # oldest first, each once
    l1, l3 = frame.iloc[0], frame.iloc[1]
    assert (l1["campaign"], l1["owner"], l1["furthest_stage"], l1["status"]) == (
        "Spring webinar",
        "Ada Okafor",
        "Won",
        "won",
    )
    assert l1["speed_to_lead_hours"] == pytest.approx(0.5)
    assert (l3["furthest_stage"], l3["status"]) == ("Opportunity", "open")
    assert db.run_query("explore__lead_records", db=company, lead_ids=["L1", "L2", "L3"], row_limit=2)[
        "lead_id"
    ].tolist() == ["L1", "L2"]
    assert db.run_query("explore__lead_records", db=company).empty  # no ids: nothing


def test_deal_records_say_what_the_window_counts_them_for(company):
    frame = db.run_query("explore__deal_records", Q1, db=company, deal_ids=["D4", "D2"]).set_index("deal_id")
    # D4: created in December (not pipeline), won in January (bookings). D2: both in Q1.
    assert frame.loc["D4", ["is_created_in_window", "is_closed_in_window"]].tolist() == [False, True]
    assert frame.loc[
        "D2", ["is_created_in_window", "is_closed_in_window", "lost_reason", "owner"]
    ].tolist() == [True, True, "price", "Cleo Ruiz"]
    assert frame.loc["D2", "amount_usd"] == 500.0


def test_touch_records_are_the_whole_journey_in_order(company):
    frame = db.run_query("explore__touch_records", db=company, lead_ids=["L1"])
    assert frame["touch_id"].tolist() == ["T1", "T2"]
    assert frame[["team", "campaign", "person"]].astype(object).where(
        frame[["team", "campaign", "person"]].notna(), None
    ).values.tolist() == [["marketing", "Spring webinar", None], ["sales", None, "Ada Okafor"]]


def test_schema_columns_list_every_table_the_console_reads(company):
    frame = db.run_query("explore__schema_columns", db=company)
    tables = list(dict.fromkeys(frame["table_name"]))
    assert tables[:6] == ["people", "campaigns", "leads", "touches", "deals", "targets"]
    assert "lead_milestones" in tables and tables[-1] == "handoff_meta"
    leads = frame[frame["table_name"] == "leads"]
    assert leads["column_name"].iloc[0] == "lead_id" and leads["table_kind"].iloc[0] == "canonical"
    assert dict(zip(leads["column_name"], leads["data_type"]))["score"] == "INTEGER"


def test_pivot_and_cell_members_share_their_scope_and_dimensions_word_for_word():
    shared = query_files._expand_includes("-- @include explore_scope\n-- @include explore_dimensions", "test")
    assert "-- [shared scope and events]" in shared and "-- [shared dimensions]" in shared
    for name in ("explore__pivot", "explore__cell_members"):
        assert shared in db.load_query(name).sql, name  # the SQL the runner runs, includes expanded
