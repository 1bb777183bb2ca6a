"""Notes on the charts (handoff.note_marks) on hand-made figures and notes: which notes a chart shows, the
x of each dotted line, its label and hover text, and every string of a note escaped."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from handoff import funnel_charts, note_marks, report, sla
from handoff.charts import NOTE_COLOR, TEAM_COLORS
from handoff.filters import Filters
from handoff.sla import view as sla_view
from handoff.workspace import Note, Store, Workspace

HOSTILE = "<b>x</b> & <script>"
MONEY = note_marks.about(metrics=["bookings_usd", "pipeline_created_usd"])


def note(note_id, kind, subject, day, body="paid programs paused", *, month=False) -> Note:
    return Note(note_id, kind, subject, day, int(month), body, "active", None, "local", "2026-07-01T00:00:00")


def month_bars(months=("Jan 2026", "Feb 2026", "Mar 2026")) -> go.Figure:
    figure = go.Figure()
    figure.add_bar(x=list(months), y=[1, 2, 3])
    return figure


def date_lines() -> go.Figure:
    """Two panels of months as dates: Jan–Mar 2026 on the first, Apr–Jun 2026 on the second."""
    figure = make_subplots(rows=1, cols=2)
    for col, first in ((1, "2026-01-01"), (2, "2026-04-01")):
        figure.add_scatter(x=pd.date_range(first, periods=3, freq="MS"), y=[1, 2, 3], row=1, col=col)
    return figure


def lines(figure) -> list[tuple[str, str, str]]:
    """(name, xref, x) of each marker line."""
    return [(s.name, s.xref, s.x0) for s in figure.layout.shapes if s.x0 == s.x1]


def test_a_day_note_on_a_month_category_goes_at_its_bar_with_its_label_and_hover():
    figure = note_marks.mark(month_bars(), [note(1, "metric", "bookings_usd", "2026-03-14")], MONEY)
    assert lines(figure) == [("note-1", "x", "Mar 2026")]
    (shape,) = figure.layout.shapes
    assert (shape.yref, shape.y0, shape.y1, shape.line.dash) == ("y domain", 0, 1, "dot")
    assert shape.line.color == NOTE_COLOR and NOTE_COLOR not in TEAM_COLORS.values()
    (label,) = figure.layout.annotations
    assert (label.x, label.text) == ("Mar 2026", "paid programs paused")
    assert label.hovertext == "Note · 14 Mar 2026: paid programs paused"


def test_notes_outside_the_months_or_on_other_subjects_are_not_drawn():
    notes = [
        note(1, "metric", "bookings_usd", "2025-12-31"),  # the day before the first month
        note(2, "metric", "bookings_usd", "2026-04-01"),  # the day after the last
        note(3, "metric", "win_rate", "2026-02-10"),  # another metric
        note(4, "channel", "bookings_usd", "2026-02-10"),  # the same id, another kind
        note(5, "metric", "pipeline_created_usd", "2026-02-10"),
    ]
    assert lines(note_marks.mark(month_bars(), notes, MONEY)) == [("note-5", "x", "Feb 2026")]


def test_a_month_note_goes_at_the_months_start_on_a_date_axis_and_a_day_note_at_its_day():
    notes = [
        note(1, "policy", "follow_up", "2026-02-01", "SDR hiring freeze", month=True),
        note(2, "policy", "follow_up", "2026-03-31"),  # the last day of the last month shown
        note(3, "policy", "follow_up", "2026-04-02"),  # the second panel's months
    ]
    figure = note_marks.mark(date_lines(), notes, note_marks.about(policies=["follow_up"]))
    assert lines(figure) == [("note-1", "x", "2026-02-01"), ("note-2", "x", "2026-03-31")]
    assert figure.layout.annotations[0].hovertext == "Note · Feb 2026: SDR hiring freeze"
    # A second label on the same panel steps down, so the two do not overlap.
    assert [a.y for a in figure.layout.annotations] == [1.0, 1 - note_marks.LABEL_STEP]


def test_each_panel_marks_only_its_own_subjects_on_its_own_axes():
    notes = [note(1, "policy", "follow_up", "2026-05-14"), note(2, "policy", "mql_volume", "2026-05-20")]
    figure = date_lines()
    note_marks.mark(figure, notes, note_marks.about(policies=["mql_volume"]), axis="x")
    note_marks.mark(figure, notes, note_marks.about(policies=["follow_up"]), axis="x2")
    assert lines(figure) == [("note-1", "x2", "2026-05-14")]  # May is on the second panel only
    assert figure.layout.shapes[0].yref == "y2 domain"
    assert note_marks.drawn(figure, notes) == [notes[0]]


def test_a_month_note_on_a_categorical_axis_goes_at_its_bar_and_the_chart_without_notes_is_unchanged():
    notes = [note(1, "channel", "paid_search", "2026-01-01", month=True)]
    assert lines(note_marks.mark(month_bars(), notes, note_marks.about(channels=["paid_search"]))) == [
        ("note-1", "x", "Jan 2026")
    ]
    assert note_marks.mark(month_bars(), [], MONEY).to_json() == month_bars().to_json()


def test_a_notes_words_are_escaped_on_the_chart_and_in_the_caption():
    notes = [note(7, "metric", "bookings_usd", "2026-02-03", HOSTILE)]
    figure = note_marks.mark(month_bars(), notes, MONEY)
    (label,) = figure.layout.annotations
    assert label.text == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;"
    assert label.hovertext == "Note · 3 Feb 2026: &lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;"
    spec = figure.to_json()
    assert "<b>x" not in spec and "<script" not in spec
    caption = note_marks.caption(notes)
    assert caption == r"Notes: 3 Feb 2026 — \<b\>x\</b\> \& \<script\> (Bookings)"


def test_a_long_note_is_cut_on_the_chart_and_whole_on_hover():
    body = "SDR hiring freeze across every region until the new budget is agreed in the board meeting"
    figure = note_marks.mark(month_bars(), [note(1, "metric", "bookings_usd", "2026-01-05", body)], MONEY)
    (label,) = figure.layout.annotations
    assert label.text == "SDR hiring freeze acr…" and len(label.text) == note_marks.LABEL_CHARS
    assert label.hovertext.replace("<br>", " ") == f"Note · 5 Jan 2026: {body}"


def test_which_notes_apply_by_subject_and_window():
    notes = [
        note(1, "metric", "win_rate", "2026-03-01", month=True),  # March: meets a window from 15 March
        note(2, "metric", "win_rate", "2026-03-14"),
        note(3, "metric", "win_rate", "2026-04-01"),  # the window's end: outside
        note(4, "channel", "paid_search", "2026-03-20"),
    ]
    start, end = dt.date(2026, 3, 15), dt.date(2026, 4, 1)
    assert note_marks.applying(notes, None, start, end) == [notes[0], notes[3]]
    assert note_marks.applying(notes, note_marks.about(metrics=["win_rate"]), None, end) == notes[:2]
    assert note_marks.applying(reversed(notes)) == [notes[0], notes[1], notes[3], notes[2]]  # by day


def test_what_a_note_is_about_in_words():
    words = [
        note_marks.subject_label(note(1, "metric", "win_rate", "2026-03-14")),
        note_marks.subject_label(note(2, "channel", "paid_search", "2026-03-14")),
        note_marks.subject_label(
            note(3, "policy", "follow_up", "2026-03-14"), policy_names={"follow_up": "Fast"}
        ),
        note_marks.subject_label(
            note(4, "campaign", "cmp_1", "2026-03-14"), campaign_names={"cmp_1": "Spring"}
        ),
    ]
    assert words == ["Win rate", "Paid search", "Fast", "Spring"]
    assert note_marks.caption([note(1, "metric", "win_rate", "2026-03-14")]) == (
        "Notes: 14 Mar 2026 — paid programs paused (Win rate)"
    )


def test_the_sla_panels_and_the_funnel_steps_name_their_subjects():
    follow_up = next(p for p in sla.load_policies_or_last_good().policies.policies if p.id == "follow_up")
    assert note_marks.about(policies=["follow_up"], metrics=["follow_up_sla_compliance_rate"]) <= (
        sla_view.policy_subjects(follow_up)
    )
    assert ("metric", "sla_sales_compliance_rate") in sla_view.policy_subjects(follow_up)
    steps = [funnel_charts.step_subjects(i) for i in range(5)]
    assert ("metric", "lead_to_mql_rate") in steps[0] and ("metric", "cohort_mql_to_sal_rate") in steps[1]
    assert all(("metric", "monthly_conversion_rate") in step for step in steps)
    assert ("metric", "lead_to_mql_rate") not in steps[1]


def test_stored_notes_reads_the_workspace_without_creating_one(tmp_path):
    path = tmp_path / "workspace.sqlite3"
    assert note_marks.stored_notes(path) == [] and not path.exists()
    workspace = Workspace(Store(path))
    kept = workspace.add_note("local", "metric", "win_rate", dt.date(2026, 3, 14), "paid programs paused")
    dropped = workspace.add_note("local", "metric", "win_rate", dt.date(2026, 3, 15), "a mistake")
    workspace.set_note_status("local", dropped.note_id, "dropped")
    assert [n.note_id for n in note_marks.stored_notes(path)] == [kept.note_id]


def test_the_meeting_pack_marks_and_lists_the_notes_it_is_given(demo_db):
    q2 = Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1))
    notes = [
        note(1, "metric", "bookings_usd", "2026-05-14", HOSTILE),  # on the money chart
        note(
            2, "policy", "follow_up", "2026-01-01", "SDR hiring freeze", month=True
        ),  # on the SLA trend only
        note(3, "channel", "paid_search", "2026-06-02", "paid programs paused"),  # in the window, on no chart
        note(4, "metric", "win_rate", "2025-01-10", "long ago"),  # neither
    ]
    fixed = dt.datetime(2026, 7, 1, 8, 30)
    document = report.build_report(q2, db_path=demo_db, generated_at=fixed, notes=notes)
    section = document[document.index('<h2 id="notes">') : document.index('<h2 id="definitions">')]
    assert '<a href="#notes">Notes on the numbers</a>' in document
    items = section[section.index("<ul") :]
    assert (
        '<b>14 May 2026</b> — &lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt; <span class="meta">(Bookings)</span>'
        in items
    )
    assert "<b>Jan 2026</b> — SDR hiring freeze" in items and "(Follow up every MQL fast)" in items
    assert "<b>2 Jun 2026</b> — paid programs paused" in items and "(Paid search)" in items
    assert "long ago" not in document
    assert items.index("Jan 2026") < items.index("14 May 2026") < items.index("2 Jun 2026")
    shapes = [s for spec in _specs(document) for s in spec["layout"].get("shapes", []) if s.get("name")]
    assert {(s["name"], s["x0"]) for s in shapes} == {("note-1", "May 2026"), ("note-2", "2026-01-01")}
    assert HOSTILE not in document
    without = report.build_report(q2, db_path=demo_db, generated_at=fixed, notes=[])
    assert 'id="notes"' not in without and "note-" not in without


def _specs(document: str) -> list[dict]:
    """The figures of the pack, from the Plotly.newPlot calls that draw them (div id, data, layout)."""
    decoder, specs = json.JSONDecoder(), []
    for call in document.split("Plotly.newPlot(")[1:]:
        parts, rest = [], call
        for _ in range(3):
            value, end = decoder.raw_decode(rest.lstrip(" \n,"))
            parts.append(value)
            rest = rest.lstrip(" \n,")[end:]
        specs.append({"data": parts[1], "layout": parts[2]})
    return specs
