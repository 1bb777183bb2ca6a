"""The HubSpot and Salesforce presets read the sales activities that speed to lead and the
follow-up SLA rest on. Every figure here was worked out by hand from the sample exports in
tests/data/import/ (dates in UTC, the preset's time zone) and the policy file's clock: tier
1 business hour at score 80 and up, else 24; business hours 09:00–17:00 Monday to Friday in the
region's zone (NA New York, EMEA London, APAC Singapore, any other region UTC), public holidays off.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from handoff import db, ingest
from tests.fixtures import ROOT

DATA = ROOT / "tests" / "data" / "import"


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory):
    path = tmp_path_factory.mktemp("hubspot") / "h.duckdb"
    ingest.import_files(sorted(DATA.glob("hubspot-*.csv")), "hubspot", path, as_of=dt.date(2026, 4, 1))
    yield path
    db.close_connections()


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory):
    path = tmp_path_factory.mktemp("salesforce") / "s.duckdb"
    files = sorted(DATA.glob("salesforce-*.csv"))
    ingest.import_files(files, "salesforce", path, as_of=dt.date(2026, 3, 31))
    yield path
    db.close_connections()


Q1 = {"start": "2026-01-01", "end": "2026-04-01"}


def first_touches(path, window) -> dict[str, str | None]:
    mqls = db.run_query("sla__mqls", window, db=path)
    return {
        row.lead_id: None if pd.isna(row.first_sales_touch_at) else f"{row.first_sales_touch_at:%m-%d %H:%M}"
        for row in mqls.itertuples()
    }


def follow_up(path, window) -> list[tuple[str, int, int]]:
    compliance = db.run_query("sla__compliance", window, db=path)
    rows = compliance[compliance["policy_id"] == "follow_up"]
    return [(f"{r.period_start:%m}", r.met_count, r.breached_count) for r in rows.itertuples() if r.due_count]


def response(path, window, clock: str) -> tuple[int, int, float, float]:
    [row] = db.run_query("sla__response_time", window, db=path, clock=clock).itertuples()
    return row.responded_count, row.never_count, row.median_response_hours, row.p90_response_hours


def test_hubspot_first_sales_touches_come_from_calls_emails_meetings_and_tasks(hubspot):
    assert first_touches(hubspot, Q1) == {
        "5101": "01-06 15:10",  # call 30001 (the form submission at 14:20 is marketing's)
        "5102": "01-08 09:45",  # e-mail 40002; the lead's own e-mail at 01-07 18:00 is no touch
        "5103": "01-20 16:00",  # task 60001 completed; call 30002 on 01-12 came before the MQL
        "5105": "01-19 04:10",  # meeting at 12:10 +08:00
        "5106": "01-21 13:40",
        "5107": "01-27 10:00",  # call 30004, associated with 5102 and 5107
        "5108": "02-03 08:50",
        "5111": None,
        "5112": "02-19 01:30",
        "5114": None,
        "5116": "03-06 10:00",  # by Rita Gomez, who owns no contact
        "5117": "03-16 12:00",  # the canceled meeting on 03-10 is no touch
        "5119": "03-17 09:20",
        "5120": "03-20 07:00",
        "5122": "03-30 09:30",
    }


def test_hubspot_follow_up_sla_and_speed_to_lead_by_hand(hubspot):
    # Breached: 5103 (44 business hours, tier 24), 5106 (2.5 > 1, score 91), 5111 and 5114 (never),
    # 5117 (35). Met: the other ten, among them 5112 (Chinese New Year in Singapore on 02-17 and
    # 02-18, so the clock starts 02-19 09:00 +08:00: 0.5 h) and 5108 (answered before opening).
    assert follow_up(hubspot, Q1) == [("01", 4, 2), ("02", 2, 2), ("03", 4, 1)]  # 10 of 15: 66.7 %
    # Business hours, answered MQLs sorted: 0, 0.33, 0.5 ×4, 0.67, 0.75 ×2, 2.5, 5, 35, 44: median
    # 0.67 (40 min, 5101); p90 at position 10.8 of 0–12: 5 + 0.8 × (35 − 5) = 29.
    responded, never, median, p90 = response(hubspot, Q1, "policy")
    assert (responded, never) == (13, 2)
    assert median == pytest.approx(2 / 3) and p90 == pytest.approx(29.0)
    # Wall clock: 0.33, 0.5 ×3, 0.67, 0.75, 2.5, 16.72, 21, 43.5, 46.5, 148.83, 172: median 2.5 h.
    assert response(hubspot, Q1, "wall")[2] == pytest.approx(2.5)


def test_hubspot_touches_are_the_sales_teams_and_forms_are_marketings(hubspot):
    touches = db.execute("select * from touches order by touch_id", db=hubspot)
    counts = touches.groupby(["team", "kind"]).size().to_dict()
    # 9 calls, one without a contact ("--") and one with two: 9 touches; 4 sent e-mails of 5; 2
    # meetings of 3 (one canceled); 2 completed call tasks of 4 (one not started, one a to-do); 2 forms;
    # 2 clicks in a marketing e-mail of 3 (one by an address no contact has; sends and opens are none).
    assert counts == {
        ("marketing", "email_click"): 2,
        ("marketing", "form"): 2,
        ("sales", "call"): 11,
        ("sales", "email"): 4,
        ("sales", "meeting"): 2,
    }
    forms = touches[touches["kind"] == "form"].set_index("lead_id")
    # Jonas.Berg@… matches jonas.berg@… (e-mail addresses in any case); channels from the contact.
    assert forms["channel"].to_dict() == {"5101": "organic_search", "5116": "referral"}
    clicks = touches[touches["kind"] == "email_click"]
    assert dict(zip(clicks["lead_id"], clicks["channel"], strict=True)) == {"5101": "email", "5103": "email"}


def test_salesforce_activities_on_leads_and_on_converted_contacts(salesforce):
    window = {"start": "2026-02-01", "end": "2026-04-01"}
    assert first_touches(salesforce, window) == {
        "00Q5g00000Ab1AAA": "02-03 11:05",  # call completed
        "00Q5g00000Ab2AAA": "02-09 16:00",  # e-mail task completed (logged 02-05)
        "00Q5g00000Ab4AAA": None,  # only an open call-back task
        "00Q5g00000Ab6AAA": "02-13 14:45",  # an event: its start
        "00Q5g00000Ab7AAA": "02-19 03:00",
        "00Q5g00000Ab8AAA": "02-19 10:15",  # logged on contact 0035g00000Ct8AAA after conversion
        "00Q5g00000AbAAAA": "03-03 10:00",
    }
    # Ab2: Thursday 09:00 London to Monday 16:00 is 8 + 8 + 7 = 23 business hours: met (tier 24),
    # though 103 wall-clock hours. Ab7: Chinese New Year, so 02-19 09:00 to 11:00 Singapore: 2 h.
    # Ab6 (score 88, tier 1): 06:00 in New York, so 09:00–09:45: 0.75 h. AbA: 39.67 h, breached.
    assert follow_up(salesforce, window) == [("02", 5, 2)]  # 5 of 7: 71.4 %
    # Business: 0.5, 0.75, 1.08, 2, 23, 39.67: median (1.08 + 2) / 2 = 1.54.
    assert response(salesforce, window, "policy")[:3] == (6, 1, pytest.approx(37 / 24))
    # Wall: 0.5, 1.08, 3.75, 43, 103, 167.67: median (3.75 + 43) / 2 = 23.375.
    assert response(salesforce, window, "wall")[2] == pytest.approx(23.375)
    touches = db.execute("select touch_id, team, person_id from touches", db=salesforce).set_index("touch_id")
    assert "00T5g00000Tk8AAA" not in touches.index  # a support call on a contact that never was a lead
    assert "00T5g00000Tk3AAA" not in touches.index  # not started
    assert touches.loc["7015g000001WebAAA-0035g00000Ct1AAA", "team"] == "marketing"  # member by Contact ID


def test_without_activity_exports_the_follow_up_cannot_be_judged(tmp_path):
    contacts = DATA / "hubspot-crm-exports-all-contacts-2026-04-01.csv"
    deals = DATA / "hubspot-crm-exports-all-deals-2026-04-01.csv"
    path = tmp_path / "h.duckdb"
    ingest.import_files([contacts, deals], "hubspot", path)
    rules = db.run_query("data__readiness", db=path).set_index("rule_id")
    assert rules.loc["sales_touches_recorded", "status"] == "missing"
    db.close_connections()
