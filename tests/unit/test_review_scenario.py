"""Two joint reviews a month apart, on a hand-made company: in March sales follows up two of four
MQLs in time (50 %, a breach on the agenda), the review agrees an action on the follow-up SLA; the
action is done, April's four MQLs are all answered within the hour (100 %), and the April review
lists the action first with its figure then and now. The March review's pack is byte for byte the
same after an import of different data, through the CLI too."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from handoff import db, report
from handoff.cli import main
from handoff.filters import Filters
from handoff.review import closing
from handoff.workspace import Store, Workspace
from tests.fixtures import ts

D = dt.date
PEOPLE = [{"person_id": "S1", "name": "Sam Reed", "team": "sales", "role": "sdr", "region": "NA"}]


def _lead(number: int, mql: str) -> dict:
    return {
        "lead_id": f"L{number}",
        "created_at": ts(mql),
        "mql_at": ts(mql),
        "channel": "webinar",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "owner_id": "S1",
        "score": 50,
    }


def _call(number: int, at: str) -> dict:
    return {
        "touch_id": f"T{number}",
        "lead_id": f"L{number}",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts(at),
        "person_id": "S1",
    }


# MQLs on Tuesdays at 15:00 UTC (10:00 in New York, in business hours); score 50: 24 business hours.
# March: L1, L2 called 30 minutes later (met); L3, L4 called 10 days later (breached). April: all met.
MARCH = ["2026-03-03 15:00", "2026-03-10 15:00", "2026-03-17 15:00", "2026-03-24 15:00"]
APRIL = ["2026-04-07 15:00", "2026-04-14 15:00", "2026-04-21 15:00", "2026-04-28 15:00"]
LEADS = [_lead(n, at) for n, at in enumerate(MARCH + APRIL, start=1)]
CALLS = [
    _call(1, "2026-03-03 15:30"),
    _call(2, "2026-03-10 15:30"),
    _call(3, "2026-03-27 15:00"),
    _call(4, "2026-04-03 15:00"),
    *(_call(n, at.replace(":00", ":20", 1)) for n, at in enumerate(APRIL, start=5)),
]


def pack(path):
    return lambda filters, notes: report.build_report(
        filters, db_path=path, generated_at=dt.datetime(2026, 5, 1, 9, 0)
    )


@pytest.fixture
def company(make_db, tmp_path):
    path = tmp_path / "handoff.duckdb"
    shutil.copy(make_db({"people": PEOPLE, "leads": LEADS, "touches": CALLS}), path)
    yield path
    db.close_connections()


def test_two_reviews_a_month_apart_carry_the_action_and_keep_the_first_pack(
    company, make_db, tmp_path, capsys
):
    space = Workspace(Store(tmp_path / "workspace.sqlite3"))
    march = space.open_review("ana@example.com", "March review", D(2026, 4, 1), D(2026, 3, 1), D(2026, 4, 1))
    agenda = closing.agenda_now(space, march, company, D(2026, 4, 1))
    follow_up = next(i for i in agenda if i.section == "sla" and i.title == "Follow up every MQL fast")
    assert follow_up.detail.startswith("50.0 % against a goal of 90 % (off track): 2 breached, 2 met")
    assert follow_up.link == "/sla?period=Custom&start=2026-03-01&end=2026-03-31"

    # The breach becomes an action on the follow-up policy, its figure then: 50 %.
    scope = closing.review_filters(march)
    then = closing.baseline(company, scope, policy_id="follow_up")
    assert then == 0.5
    action = space.add_action(
        "ana@example.com", "Call every MQL within the hour", "sales", "Sam Reed", D(2026, 4, 30),
        policy_id="follow_up", baseline_value=then, baseline_as_of=D(2026, 4, 1), review_id=march.review_id,
    )  # fmt: skip
    closed = closing.close_review(space, "ana@example.com", march, company, pack(company), D(2026, 4, 1))
    assert closed.status == "closed" and closed.as_of == "2026-04-28"  # the data's latest day
    assert closed.figures["policies"]["follow_up"] == 0.5
    assert [i["title"] for i in closed.agenda if i["section"] == "actions"] == [
        "Call every MQL within the hour"
    ]
    first_pack = space.review_pack(march.review_id)
    assert first_pack == pack(company)(scope, [])  # what the pack showed then

    # April: the action is done, and every MQL was answered within 20 minutes.
    space.close_action(None, action.action_id, "done", "the SDRs call within the hour")
    april = space.open_review("ana@example.com", "April review", D(2026, 5, 1), D(2026, 4, 1), D(2026, 5, 1))
    [first, *_] = closing.agenda_now(space, april, company, D(2026, 5, 1))
    assert (first.section, first.title) == ("actions", "Call every MQL within the hour")
    assert first.detail == (
        "Sam Reed, done since the last review: the SDRs call within the hour · "
        "Follow up every MQL fast: moved the right way: 50.0 % → 100.0 %"
    )
    now = closing.figures(closing.runner(company), closing.review_filters(april), None)
    since = {
        r["label"]: (r["then"], r["now"])
        for r in closing.since_last(closing.previous_review(space, april), now)
    }
    assert since["follow_up"] == (0.5, 1.0)

    # A re-import of different data: the March review's pack is unchanged, byte for byte.
    shutil.copy(make_db({"people": PEOPLE, "leads": LEADS[:2]}), company)
    db.close_connections()
    assert closing.fingerprint(company) != closed.db_fingerprint
    assert space.review_pack(march.review_id) == first_pack
    out = tmp_path / "march.html"
    assert (
        main(
            ["review", "pack", str(march.review_id), "--out", str(out), "--workspace", str(space.store.path)]
        )
        == 0
    )
    assert out.read_bytes() == first_pack.encode("utf-8")
    assert (
        main(
            ["review", "show", str(march.review_id), "--format", "json", "--workspace", str(space.store.path)]
        )
        == 0
    )
    shown = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert shown["review"]["db_fingerprint"] == closed.db_fingerprint
    assert [a["title"] for a in shown["actions"]] == ["Call every MQL within the hour"]
    # An open review has no pack yet: one line, exit 1.
    assert (
        main(
            ["review", "pack", str(april.review_id), "--out", str(out), "--workspace", str(space.store.path)]
        )
        == 1
    )
    assert "review 2 is still open: close it first" in capsys.readouterr().err


def test_a_review_link_carries_the_review_filters():
    from handoff.review.agenda import page_link

    scope = Filters(
        D(2026, 1, 1), D(2026, 4, 1), segments=("mid_market",), owners=("P-1",), campaigns=("C9",)
    )
    assert page_link("funnel", scope) == (
        "/funnel?period=Custom&start=2026-01-01&end=2026-03-31&segment=mid_market&owner=P-1"
    )
    assert page_link("overview", Filters()) == "/"
