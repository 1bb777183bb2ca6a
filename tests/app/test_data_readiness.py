"""Numbers the data cannot support say so (AppTest on a hand-made company): with no sales touch logged the
follow-up SLA and speed to lead are "no data: no sales touches recorded", not 0 % red; with no lost deal the
win rate is marked; open deals without an amount mark the pipeline coverage."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from handoff import db, metrics, report
from handoff.filters import Filters
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
    assert rules.loc["mql_decisions_recorded", ["status", "detail"]].tolist() == [
        "ready",
        "5 of 5 MQLs accepted (SAL) or rejected",
    ]
    db.close_connections()


# The same five MQLs, each followed up by sales within the hour, none ever accepted or rejected (a
# HubSpot portal has no SAL stage by default).
UNDECIDED = [{k: v for k, v in lead.items() if k != "sal_at"} for lead in LEADS]
FOLLOW_UPS = [
    {
        "touch_id": f"S{n}",
        "lead_id": f"L{n}",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts(f"2026-02-{n + 1:02d} 12:30"),
        "person_id": "S1",
    }
    for n in range(5)
]


@pytest.fixture
def undecided(app, make_db, monkeypatch):
    path = make_db({"people": PEOPLE, "leads": UNDECIDED, "deals": DEALS, "touches": TOUCHES + FOLLOW_UPS})
    monkeypatch.setenv("HANDOFF_DB", str(path))
    yield app, path
    db.close_connections()


def test_without_decisions_the_acceptance_sla_cannot_be_judged(undecided):
    app, path = undecided
    rules = db.run_query("data__readiness", db=path).set_index("rule_id")
    assert rules.loc["mql_decisions_recorded", ["status", "found_count", "checked_count"]].tolist() == [
        "missing",
        0,
        5,
    ]
    at = app("sla", **FEBRUARY)
    no_exception(at)
    cards = {
        m.label.split("] ", 1)[-1].split(" · ")[0]: m.value for m in at.metric if " · compliance" in m.label
    }
    # Every MQL was called within 30 minutes: 5 of 5 met. Nobody decided on any: not 0 % red.
    assert cards["Follow up every MQL fast"] == "100.0 %"
    assert cards["Accept or reject every MQL"] == "no data"
    assert "no data: no MQL has an accepted (SAL) or rejected date" in said(at, "caption")
    assert "**5 MQLs, none judged**" in " ".join(m.value for m in at.markdown)  # not "5 breached"
    overview = app("overview", **FEBRUARY)
    assert tiles(overview)[metrics.label("sla_sales_compliance_rate")].value == "no data"


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


def test_the_data_page_says_per_page_which_figures_the_data_supports(unready):
    at = unready("data")
    no_exception(at)
    table = next(frame.value for frame in at.dataframe if "Cannot be judged" in frame.value.columns)
    pages = table.set_index("Page")
    sla_row = pages.loc["SLA", "Cannot be judged"]
    assert sla_row.startswith("No sales touches recorded: ")
    assert "Follow up every MQL fast" in sla_row and "Accept or reject every MQL" not in sla_row
    assert (
        "No lost deals in the data: " + metrics.label("win_rate") in pages.loc["Overview", "Cannot be judged"]
    )
    assert pages.loc["Funnel", "Cannot be judged"] == "–"
    assert pages.loc["Funnel", "Supported"] == pages.loc["Funnel", "Figures"]
    # Above the table, one line per page the data falls short on (the Funnel has none).
    lines = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert [line.split("**")[1] for line in lines] == [
        p for p in pages.index if pages.loc[p, "Cannot be judged"] != "–"
    ]
    sla_count = f"{pages.loc['SLA', 'Supported']} of {pages.loc['SLA', 'Figures']} figures supported"
    assert any(line.startswith("- **SLA**: " + sla_count) for line in lines)


def test_the_meeting_pack_says_what_the_data_cannot_support(unready, make_db):
    path = make_db({"people": PEOPLE, "leads": LEADS, "deals": DEALS, "touches": TOUCHES})
    html = report.build_report(Filters(start=D(2026, 2, 1), end=D(2026, 3, 1)), db_path=path)
    shown = re.sub(
        r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S)))
    )
    assert "Follow up every MQL fast Sales – Can't be judged: no sales touches recorded" in shown
    speed = metrics.label("median_speed_to_lead_hours")
    assert f"{speed} no data no sales touches recorded" in shown
    assert f"{metrics.label('win_rate')} no data no lost deals in the data" in shown
    assert (
        "Sales' share across multi-touch models in the period : no data: no sales touches recorded" in shown
    )
    db.close_connections()
