"""Numbers the data cannot support say so (AppTest on a hand-made company): with no sales touch logged the
follow-up SLA and speed to lead are "no data: no sales touches recorded", not 0 % red; with no lost deal the
win rate is marked; open deals without an amount mark the pipeline coverage."""

from __future__ import annotations

import datetime as dt

import pytest

from handoff import db, metrics
from tests.app.conftest import no_exception, said, tiles
from tests.fixtures import ts

D = dt.date
PEOPLE = [{"person_id": "S1", "name": "Sam Reed", "team": "sales", "role": "sdr", "region": "NA"}]


def _lead(number: int, **stages) -> dict:
    return {
        "lead_id": f"L{number}",
        "created_at": ts(f"2026-02-{number + 1:02d} 09:00"),
        "channel": "webinar",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "owner_id": "S1",
        "score": 50,
        **{name: ts(value) for name, value in stages.items()},
    }


# Five MQLs in February, none ever touched by sales; one won deal, one open deal of amount 0, no lost deal.
LEADS = [_lead(n, mql_at=f"2026-02-{n + 1:02d} 12:00", sal_at=f"2026-02-{n + 2:02d} 12:00") for n in range(5)]
DEALS = [
    {
        "deal_id": "D1",
        "lead_id": "L0",
        "created_at": ts("2026-02-10 09:00"),
        "closed_at": ts("2026-02-20 09:00"),
        "stage": "won",
        "amount": 1000,
    },
    {"deal_id": "D2", "lead_id": "L1", "created_at": ts("2026-02-11 09:00"), "stage": "open", "amount": 0},
]
TOUCHES = [
    {
        "touch_id": "T1",
        "lead_id": "L0",
        "channel": "webinar",
        "team": "marketing",
        "kind": "webinar",
        "touched_at": ts("2026-02-01 09:00"),
    }
]
FEBRUARY = {"period": "Custom", "start": "2026-02-01", "end": "2026-02-28"}


@pytest.fixture
def unready(app, make_db, monkeypatch):
    """The app on the company above instead of the demo."""
    path = make_db({"people": PEOPLE, "leads": LEADS, "deals": DEALS, "touches": TOUCHES})
    monkeypatch.setenv("HANDOFF_DB", str(path))
    yield app
    db.close_connections()


def test_the_readiness_rules_read_the_data(make_db):
    path = make_db({"people": PEOPLE, "leads": LEADS, "deals": DEALS, "touches": TOUCHES})
    rules = db.run_query("data__readiness", db=path).set_index("rule_id")
    assert rules.loc["sales_touches_recorded", ["status", "detail"]].tolist() == [
        "missing",
        "no sales touches recorded",
    ]
    assert rules.loc["lost_deals_recorded", ["status", "detail"]].tolist() == [
        "missing",
        "no lost deals in the data",
    ]
    assert rules.loc["open_deal_amounts", ["status", "detail"]].tolist() == [
        "missing",
        "no amounts on open deals",
    ]
    db.close_connections()


def test_the_sla_page_says_the_follow_up_cannot_be_judged(unready):
    at = unready("sla", **FEBRUARY)
    no_exception(at)
    follow_up = next(
        m for m in at.metric if m.label.endswith("Follow up every MQL fast · compliance in the period")
    )
    assert follow_up.value == "no data"  # not 0 % red: nothing was ever logged
    captions = said(at, "caption")
    assert "no data: no sales touches recorded" in captions
    assert ":gray-badge[Can't be judged]" in " ".join(m.value for m in at.markdown)
    # The acceptance decision does not rest on touches: it is judged as usual.
    accept = next(
        m for m in at.metric if m.label.endswith("Accept or reject every MQL · compliance in the period")
    )
    assert accept.value.endswith(" %")


def test_the_overview_marks_what_the_data_lacks(unready):
    at = unready("overview", **FEBRUARY)
    no_exception(at)
    shown = tiles(at)
    assert shown[metrics.label("median_speed_to_lead_hours")].value == "no data"
    assert shown[metrics.label("sla_sales_compliance_rate")].value == "no data"
    captions = said(at, "caption")
    assert "no data: no sales touches recorded" in captions
    # One won deal and no lost one: the win rate would read 100 % by construction.
    assert shown[metrics.label("win_rate")].value == "no data"
    assert "no data: no lost deals in the data" in captions
    # The open deal has no amount: the pipeline and its coverage are marked.
    assert "no data: no amounts on open deals" in captions
    # Marketing's volume is judged as usual.
    assert shown[metrics.label("mql_count")].value == "5"


def test_the_data_page_lists_what_the_data_supports(unready):
    at = unready("data")
    no_exception(at)
    table = next(frame.value for frame in at.dataframe if "What the data needs" in frame.value.columns)
    rows = table.set_index("What the data needs")
    assert rows.loc["Sales touches recorded", "Status"] == "Missing"
    assert (
        metrics.label("median_speed_to_lead_hours")
        in rows.loc["Sales touches recorded", "Figures that rest on it"]
    )
    assert rows.loc["Amounts on open deals", "In the data"] == "no amounts on open deals"
