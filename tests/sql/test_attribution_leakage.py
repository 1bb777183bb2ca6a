"""Leakage without blame: shift-share, the quality × speed grid and MQL→SQL loss, on hand-made MQLs.

As of 30 June 2026. Previous period March 2026, window April 2026, loss window May–June 2026.
  March:  A (score 90, won 15 Apr), B (85, won 15 Jun: after the equal-age cut-off), C (20), D (10).
  April:  E (90, followed up in 30 min, won 20 May), F (95, followed up in 5 h, rejected not_a_fit),
          G (88, never followed up), H (30, followed up in 2 h, won 1 Jun).
  May–June: I rejected duplicate, J accepted then disqualified no_authority, K first touch 30 h after
          the MQL with no decision, L touched in 2 h and waiting, M rejected as spam, N an MQL of
          30 Jun 10:00 not yet touched (its 24 h SLA runs to 1 Jul), O reached SQL, P (82) rejected no_budget.
"""

import datetime as dt

import pytest

from handoff import db
from handoff.filters import Filters
from tests.fixtures import ts, write_db

D = dt.date
APRIL = Filters(start=D(2026, 4, 1), end=D(2026, 5, 1))
MAY_JUNE = Filters(start=D(2026, 5, 1), end=D(2026, 7, 1))
PEOPLE = [{"person_id": "P-SDR", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA"}]


def mql(lead_id, mql_at, score, **stages):
    return {
        "lead_id": lead_id,
        "created_at": ts(mql_at) - dt.timedelta(days=1),
        "channel": "webinar",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "owner_id": "P-SDR",
        "score": score,
        "mql_at": ts(mql_at),
        **{k: ts(v) if k.endswith("_at") else v for k, v in stages.items()},
    }


LEADS = [
    mql("A", "2026-03-05 09:00", 90),
    mql("B", "2026-03-06 09:00", 85),
    mql("C", "2026-03-07 09:00", 20),
    mql("D", "2026-03-08 09:00", 10),
    mql("E", "2026-04-05 09:00", 90),
    mql("F", "2026-04-06 09:00", 95, disqualified_at="2026-04-07 09:00", disqualify_reason="not_a_fit"),
    mql("G", "2026-04-07 09:00", 88),
    mql("H", "2026-04-08 09:00", 30),
    mql("I", "2026-05-02 09:00", 50, disqualified_at="2026-05-03 09:00", disqualify_reason="duplicate"),
    mql(
        "J",
        "2026-05-03 09:00",
        50,
        sal_at="2026-05-04 09:00",
        disqualified_at="2026-05-20 09:00",
        disqualify_reason="no_authority",
    ),
    mql("K", "2026-05-04 09:00", 50),
    mql("L", "2026-05-05 09:00", 50),
    mql("M", "2026-05-06 09:00", 50, disqualified_at="2026-05-06 12:00", disqualify_reason="spam"),
    mql("N", "2026-06-30 10:00", 50),
    mql("O", "2026-05-07 09:00", 50, sal_at="2026-05-08 09:00", sql_at="2026-05-10 09:00"),
    mql("P", "2026-05-08 09:00", 82, disqualified_at="2026-05-09 09:00", disqualify_reason="no_budget"),
]


def call(lead_id, at):
    return {
        "touch_id": f"T-{lead_id}",
        "lead_id": lead_id,
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts(at),
        "person_id": "P-SDR",
    }


TOUCHES = [
    call("E", "2026-04-05 09:30"),
    call("F", "2026-04-06 14:00"),
    call("H", "2026-04-08 11:00"),
    call("J", "2026-05-03 11:00"),
    call("K", "2026-05-05 15:00"),
    call("L", "2026-05-05 11:00"),
]


def won(lead_id, closed):
    return {
        "deal_id": f"D-{lead_id}",
        "lead_id": lead_id,
        "created_at": ts(closed) - dt.timedelta(days=10),
        "closed_at": ts(closed),
        "stage": "won",
        "amount": 100,
    }


DEALS = [
    won("A", "2026-04-15 09:00"),
    won("B", "2026-06-15 09:00"),
    won("E", "2026-05-20 09:00"),
    won("H", "2026-06-01 09:00"),
]


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    path = write_db(
        tmp_path_factory.mktemp("leakage") / "hand.duckdb",
        {"people": PEOPLE, "leads": LEADS, "touches": TOUCHES, "deals": DEALS},
        meta={"as_of": "2026-06-30"},
    )
    yield path
    db.close_connections()


def test_shift_share_parts_add_up_to_the_change_in_conversion(company):
    # The window is watched 61 days after its end (to 1 Jul), so March's wins count until 1 Jun:
    # B's win on 15 Jun does not. March: 80–100 A won, B not (share 1/2, rate 1/2); 0–39 C, D
    # (share 1/2, rate 0): overall 1/4. April: 80–100 E won, F and G not (share 3/4, rate 1/3);
    # 0–39 H won (share 1/4, rate 1): overall 1/2. Change +1/4.
    # Mix = Δs·r₀: (3/4−1/2)·1/2 + (1/4−1/2)·0 = 1/8.  Rate = s₀·Δr: 1/2·(1/3−1/2) + 1/2·1 = 5/12.
    # Interaction = Δs·Δr: 1/4·(−1/6) + (−1/4)·1 = −7/24. 1/8 + 5/12 − 7/24 = 1/4.
    frame = db.run_query(
        "attribution__conversion_shift_share",
        APRIL,
        db=company,
        previous_start=D(2026, 3, 1),
        previous_end=D(2026, 4, 1),
    ).set_index("band")
    assert frame["previous_mql_count"].tolist() == [2, 0, 0, 2, 0]
    assert frame["previous_won_count"].tolist() == [1, 0, 0, 0, 0]
    assert frame["current_won_count"].tolist() == [1, 0, 0, 1, 0]
    assert frame["mix_effect_rate"].sum() == pytest.approx(1 / 8)
    assert frame["rate_effect_rate"].sum() == pytest.approx(5 / 12)
    assert frame["interaction_effect_rate"].sum() == pytest.approx(-7 / 24)
    total = (frame["current_share_rate"] * frame["current_won_rate"]).sum() - (
        frame["previous_share_rate"] * frame["previous_won_rate"]
    ).sum()
    assert total == pytest.approx(1 / 4)
    # Without an explicit previous period it is the same length just before the window (March 1–31 here:
    # 30 days back from 1 April is 2 March, so A, B, C, D are still in it).
    default = db.run_query("attribution__conversion_shift_share", APRIL, db=company)
    assert default["previous_mql_count"].sum() == 4


def test_shift_share_without_a_window_is_all_zero(company):
    frame = db.run_query("attribution__conversion_shift_share", Filters(), db=company)
    assert len(frame) == 5 and frame[["previous_mql_count", "current_mql_count"]].sum().sum() == 0


def test_quality_speed_grid_counts_each_mql_in_its_cell(company):
    # April: E 80–100 in 30 min (won); F 80–100 in 5 h; G 80–100 never; H 0–39 in 2 h (won).
    frame = db.run_query("attribution__quality_speed_grid", APRIL, db=company)
    assert len(frame) == 5 * 6  # every cell, empty ones too
    cells = {(r.band, r.speed): (r.mql_count, r.won_count) for r in frame.itertuples() if r.mql_count}
    assert cells == {
        ("80–100", "< 1 h"): (1, 1),
        ("80–100", "4–24 h"): (1, 0),
        ("80–100", "no follow-up"): (1, 0),
        ("0–39", "1–4 h"): (1, 1),
    }
    assert frame["is_thin"].all()  # every cell is under 30 MQLs
    row = frame[(frame["band"] == "80–100") & (frame["speed"] == "< 1 h")].iloc[0]
    assert row["won_rate"] == 1.0 and row["sql_rate"] == 1.0


def test_mql_to_sql_loss_splits_into_exclusive_reasons(company):
    frame = db.run_query("attribution__mql_sql_loss", MAY_JUNE, db=company).set_index("loss_reason")
    # P (no_budget, at the handoff) is not a fit; I duplicate is data/routing; M spam another
    # rejection; K was first touched 30 h after its MQL (SLA 24 h); J was disqualified after
    # acceptance; L (touched in time) and N (SLA not run out by the as-of date) are still open; O reached SQL.
    assert frame["lead_count"].to_dict() == {
        "not_a_fit": 1,
        "data_or_routing": 1,
        "other_rejection": 1,
        "not_worked_in_sla": 1,
        "disqualified_after_contact": 1,
        "still_open": 2,
    }
    assert frame.loc["not_a_fit", "lost_share_rate"] == pytest.approx(1 / 7)
    assert frame.loc["not_a_fit", "mql_rate"] == pytest.approx(1 / 8)
    assert (
        frame.loc["not_worked_in_sla", "lever"] == "sales" and frame.loc["not_a_fit", "lever"] == "marketing"
    )
    # A 48 h SLA covers K's 30 h: it is still open instead.
    relaxed = db.run_query("attribution__mql_sql_loss", MAY_JUNE, db=company, sla_hours=48).set_index(
        "loss_reason"
    )
    assert (
        relaxed.loc["not_worked_in_sla", "lead_count"] == 0 and relaxed.loc["still_open", "lead_count"] == 3
    )


def test_priority_leads_get_the_short_sla(company):
    # April: G (score 88) was never touched and its 1 h SLA ran out; F (95) was rejected not a fit.
    frame = db.run_query("attribution__mql_sql_loss", APRIL, db=company).set_index("loss_reason")
    assert frame.loc["not_worked_in_sla", "lead_count"] == 1 and frame.loc["not_a_fit", "lead_count"] == 1
    assert frame["lead_count"].sum() == 2  # E and H reached SQL (they were won)
