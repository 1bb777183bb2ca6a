"""Notes on the numbers on every page's time charts (AppTest, the demo company as of 30 June 2026): a note
in a chart's months and on one of its subjects is a dotted line at its x with the note under the chart;
one outside the months, or on another subject, is not; a note's words are escaped everywhere."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from handoff import report
from handoff.filters import Filters
from handoff.workspace import Store, Workspace
from tests.app.conftest import no_exception, said

Q2 = {"period": "Custom", "start": "2026-04-01", "end": "2026-06-30"}
HOSTILE = "<b>x</b> & <script>"


@pytest.fixture
def notes(tmp_path, monkeypatch) -> dict[str, int]:
    """A workspace of its own with one note for each case, by what it is for: the note ids."""
    path = tmp_path / "workspace.sqlite3"
    monkeypatch.setenv("HANDOFF_WORKSPACE", str(path))
    workspace = Workspace(Store(path))
    written = {
        "bookings_may": ("metric", "bookings_usd", dt.date(2026, 5, 14), "paid programs paused", False),
        "bookings_long_ago": ("metric", "bookings_usd", dt.date(2025, 1, 10), "long ago", False),
        "win_rate": ("metric", "win_rate", dt.date(2026, 5, 2), "not on these charts", False),
        "follow_up_march": ("policy", "follow_up", dt.date(2026, 3, 1), "SDR hiring freeze", True),
        "handoff_step": ("metric", "mql_to_sal_rate", dt.date(2026, 2, 14), "handoff rules changed", False),
        "paid_search_april": ("channel", "paid_search", dt.date(2026, 4, 20), HOSTILE, False),
        "paid_search_january": ("channel", "paid_search", dt.date(2026, 1, 5), "before the window", False),
    }
    ids = {}
    for key, (kind, subject, day, body, month) in written.items():
        ids[key] = workspace.add_note("local", kind, subject, day, body, is_month=month).note_id
    return ids


def marks(at) -> set[tuple[str, str, str]]:
    """(note, x axis, x) of every note marker on the page's charts."""
    found = set()
    for chart in at.get("plotly_chart"):
        for shape in json.loads(chart.proto.spec)["layout"].get("shapes", []):
            if str(shape.get("name", "")).startswith("note-"):
                found.add((shape["name"], shape["xref"], shape["x0"]))
    return found


def labels(at) -> list[tuple[str, str]]:
    """(label, hover text) of every note marker on the page's charts."""
    return [
        (annotation["text"], annotation["hovertext"])
        for chart in at.get("plotly_chart")
        for annotation in json.loads(chart.proto.spec)["layout"].get("annotations", [])
        if str(annotation.get("name", "")).startswith("note-")
    ]


def test_the_overview_marks_its_money_chart(app, notes):
    at = app("overview", **Q2)
    no_exception(at)
    assert marks(at) == {(f"note-{notes['bookings_may']}", "x", "May 2026")}
    assert "Notes: 14 May 2026 — paid programs paused (Bookings)" in said(at, "caption")
    assert labels(at) == [("paid programs paused", "Note · 14 May 2026: paid programs paused")]
    assert "long ago" not in said(at, "caption")


def test_the_funnel_marks_the_steps_panel_of_its_conversion_trend(app, notes):
    at = app("funnel", **Q2)
    no_exception(at)
    assert marks(at) == {(f"note-{notes['handoff_step']}", "x2", "2026-02-14")}  # MQL → SAL: the 2nd panel
    assert "Notes: 14 Feb 2026 — handoff rules changed (MQL → SAL (the handoff))" in said(at, "caption")


def test_the_sla_trend_marks_the_policys_own_panel(app, notes):
    at = app("sla", **Q2)
    no_exception(at)
    # follow_up is the first policy of the file: the first panel, at the month's first day.
    assert marks(at) == {(f"note-{notes['follow_up_march']}", "x", "2026-03-01")}
    assert "Notes: Mar 2026 — SDR hiring freeze (Follow up every MQL fast)" in said(at, "caption")


def test_the_campaigns_spend_chart_marks_a_channels_note_escaped(app, notes):
    at = app("campaigns", **Q2)
    no_exception(at)
    assert marks(at) == {(f"note-{notes['paid_search_april']}", "x", "Apr 2026")}
    escaped = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;"
    assert labels(at) == [(escaped, f"Note · 20 Apr 2026: {escaped}")]
    captions = [c.value for c in at.caption if "20 Apr 2026" in c.value]
    assert captions == [r"Notes: 20 Apr 2026 — \<b\>x\</b\> \& \<script\> (Paid search)"]
    assert "before the window" not in said(at, "caption")


def test_without_a_workspace_no_chart_has_a_marker_and_none_is_made(app, tmp_path, monkeypatch):
    path = tmp_path / "none" / "workspace.sqlite3"
    monkeypatch.setenv("HANDOFF_WORKSPACE", str(path))
    for page in ("overview", "sla"):
        at = app(page, **Q2)
        no_exception(at)
        assert not marks(at) and "Notes:" not in said(at, "caption")
    assert not path.exists()


def test_the_meeting_pack_reads_the_workspace_and_marks_and_lists_its_notes(demo_db, notes):
    document = report.build_report(
        Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
        db_path=demo_db,
        generated_at=dt.datetime(2026, 7, 1, 8, 30),
    )
    listed = document[document.index('<h2 id="notes">') : document.index('<h2 id="definitions">')]
    assert "<b>14 May 2026</b> — paid programs paused" in listed  # on the money chart
    assert "<b>Mar 2026</b> — SDR hiring freeze" in listed  # on the SLA trend, before the window
    assert "<b>2 May 2026</b> — not on these charts" in listed  # in the window
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in listed and HOSTILE not in document
    assert "long ago" not in listed and "before the window" not in listed
    for key in ("bookings_may", "follow_up_march"):
        assert f'"name":"note-{notes[key]}"' in document
    assert f'"name":"note-{notes["paid_search_april"]}"' not in document  # the pack has no spend chart
