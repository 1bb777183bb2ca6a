"""Notes on the numbers, on the charts: a dotted line at each note's day or month, in the pages and the pack.

A note (`handoff.workspace.Note`) is about a subject: a registry metric, an SLA policy, a campaign or a
channel, as `(kind, id)` pairs (`about(metrics=[...], channels=[...])`). A chart says which subjects
each of its panels shows; `mark` draws on a panel the notes about one of them whose day or month is
among the months the panel shows, and `applying` is the same rule for a list (the meeting pack's).
Every string of a note is the user's: escaped for Plotly's labels (`text.plot`) and for markdown
(`text.md`) before it is shown.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from handoff import text
from handoff.charts import NOTE_COLOR
from handoff.filters import add_months
from handoff.labels import fmt_label
from handoff.metrics import registry as metric_registry
from handoff.text import Markdown, md
from handoff.workspace import Note, Store, Workspace, default_workspace_path

Subjects = frozenset[tuple[str, str]]
# A marker's label on the chart: the note's first characters; the whole note is its hover text.
LABEL_CHARS = 22
HOVER_WIDTH = 60
# Labels of notes on one panel step down from its top by this share of its height, so they do not overlap.
LABEL_STEP = 0.08
_NAME = "note-"  # a marker's shape and label are named after the note's id (see `drawn`)
_MONTH_CATEGORY = "%b %Y"  # a categorical month axis ("Mar 2026"), as the charts write it


def about(
    *,
    metrics: Iterable[str] = (),
    policies: Iterable[str] = (),
    campaigns: Iterable[str] = (),
    channels: Iterable[str] = (),
) -> Subjects:
    """The subjects a chart (or one panel of it) shows, as the (kind, id) pairs notes are about."""
    kinds = {"metric": metrics, "policy": policies, "campaign": campaigns, "channel": channels}
    return frozenset((kind, str(value)) for kind, values in kinds.items() for value in values)


def stored_notes(path: str | Path | None = None) -> list[Note]:
    """The active notes of the workspace (`HANDOFF_WORKSPACE`), oldest first; none when it has no file
    yet (reading never creates one)."""
    target = Path(path) if path else default_workspace_path()
    if not target.exists():
        return []
    return Workspace(Store(target)).notes()


# ---------------------------------------------------------------------------------------------
# Which notes apply


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def note_span(note: Note) -> tuple[dt.date, dt.date]:
    """The days a note covers, half-open: its day, or its whole month."""
    if note.is_month:
        return _month(note.day), add_months(_month(note.day), 1)
    return note.day, note.day + dt.timedelta(days=1)


def applying(
    notes: Iterable[Note],
    subjects: Subjects | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Note]:
    """The notes about one of `subjects` (None: any) whose day or month meets [start, end) (None: open),
    by day, then in the order they were written."""
    found = []
    for note in notes:
        first, after = note_span(note)
        if subjects is not None and (note.subject_kind, note.subject_id) not in subjects:
            continue
        if (start is None or after > start) and (end is None or first < end):
            found.append(note)
    return sorted(found, key=lambda n: (n.on_date, n.note_id))


# ---------------------------------------------------------------------------------------------
# Drawing


@dataclass(frozen=True)
class Panel:
    """The months one x axis of a figure shows: a date axis, or month categories ('Mar 2026')."""

    axis: str  # the traces' name for it: 'x', 'x2', …
    months: tuple[dt.date, ...]
    categories: Mapping[dt.date, str]  # a categorical axis: each month's category; empty for dates

    @property
    def is_categorical(self) -> bool:
        return bool(self.categories)

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        """[first month, the month after the last) of a date axis; None when it shows no month."""
        if not self.months:
            return None
        return self.months[0], add_months(self.months[-1], 1)

    def position(self, note: Note) -> str | None:
        """Where the note's line goes: its day (a month note: the month's first) on a date axis, its
        month's category on a categorical one; None when the panel does not show it."""
        if self.is_categorical:
            return self.categories.get(_month(note.day))
        window = self.window
        if window is None or not applying([note], None, *window):
            return None
        return (_month(note.day) if note.is_month else note.day).isoformat()


def _x_month(value) -> tuple[dt.date, str | None] | None:
    """A trace's x value as (its month, its category if it is one), or None (a gap, a legend key)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        try:
            return dt.datetime.strptime(value, _MONTH_CATEGORY).date(), value
        except ValueError:
            pass
    stamp = pd.to_datetime(value, errors="coerce")
    return None if pd.isna(stamp) else (_month(stamp.date()), None)


def panel(figure, axis: str = "x") -> Panel:
    """The months the traces on x axis `axis` show, and whether the axis is categorical."""
    months: dict[dt.date, str | None] = {}
    for trace in figure.data:
        if (trace.xaxis or "x") != axis or trace.x is None:
            continue
        for value in trace.x:
            found = _x_month(value)
            if found is not None:
                months.setdefault(found[0], found[1])
    categories = {month: label for month, label in months.items() if label is not None}
    return Panel(axis, tuple(sorted(months)), categories if len(categories) == len(months) else {})


def short_label(note: Note) -> str:
    """The marker's label: the note's first words, escaped for Plotly."""
    body = " ".join(note.body.split())
    if len(body) > LABEL_CHARS:
        body = body[: LABEL_CHARS - 1].rstrip() + "…"
    return text.plot(body)


def hover_text(note: Note) -> str:
    """'Note · 14 Mar 2026: paid programs paused', escaped for Plotly, broken into lines."""
    whole = f"Note · {note.when_text}: {' '.join(note.body.split())}"
    return "<br>".join(text.plot(line) for line in textwrap.wrap(whole, HOVER_WIDTH))


def _y_of(figure, axis: str) -> str:
    """The y axis paired with x axis `axis` (the one it is anchored to)."""
    number = axis.removeprefix("x")
    try:
        anchor = figure.layout[f"xaxis{number}"].anchor
    except (KeyError, AttributeError):
        anchor = None
    return anchor if anchor and anchor != "free" else f"y{number}"


def mark(figure, notes: Iterable[Note], subjects: Subjects, *, axis: str = "x"):
    """Draw on x axis `axis` of `figure` one dotted line per note about one of `subjects` that the
    axis shows, labelled with its first words (the whole note on hover). Returns the figure."""
    shown = panel(figure, axis)
    yref = f"{_y_of(figure, axis)} domain"
    placed = [(note, x) for note in applying(notes, subjects) if (x := shown.position(note)) is not None]
    for index, (note, x) in enumerate(placed):
        name = f"{_NAME}{note.note_id}"
        figure.add_shape(
            type="line",
            name=name,
            xref=axis,
            yref=yref,
            x0=x,
            x1=x,
            y0=0,
            y1=1,
            layer="above",
            line={"color": NOTE_COLOR, "width": 1.5, "dash": "dot"},
        )
        figure.add_annotation(
            name=name,
            xref=axis,
            yref=yref,
            x=x,
            y=1 - LABEL_STEP * index,
            xanchor="left",
            yanchor="top",
            xshift=3,
            showarrow=False,
            text=short_label(note),
            hovertext=hover_text(note),
            font={"size": 10, "color": NOTE_COLOR},
            bgcolor="rgba(255, 255, 255, 0.8)",
        )
    return figure


def drawn(figure, notes: Iterable[Note]) -> list[Note]:
    """The notes `figure` carries a marker of (on any panel), each once, by day."""
    names = {shape.name for shape in figure.layout.shapes if shape.name}
    return applying([note for note in notes if f"{_NAME}{note.note_id}" in names])


# ---------------------------------------------------------------------------------------------
# In words


def subject_label(
    note: Note,
    campaign_names: Mapping[str, str] | None = None,
    policy_names: Mapping[str, str] | None = None,
) -> str:
    """What the note is about, as people say it: a metric's registry label, a policy's or a campaign's
    name (its id when none is given), a channel in words."""
    kind, subject = note.subject_kind, note.subject_id
    if kind == "metric":
        known = metric_registry()
        return known[subject].label if subject in known else fmt_label(subject)
    if kind == "policy":
        return (policy_names or {}).get(subject, fmt_label(subject))
    if kind == "campaign":
        return (campaign_names or {}).get(subject, subject)
    return fmt_label(subject)


def caption(
    notes: Sequence[Note],
    campaign_names: Mapping[str, str] | None = None,
    policy_names: Mapping[str, str] | None = None,
) -> Markdown:
    """Under a chart: 'Notes: 14 Mar 2026 — paid programs paused (Win rate) · …', every value escaped."""
    items = [
        md("{} — {} ({})", note.when_text, note.body, subject_label(note, campaign_names, policy_names))
        for note in notes
    ]
    return md("Notes: {}", Markdown(" · ").join(items))


def listed(
    notes: Sequence[Note],
    campaign_names: Mapping[str, str] | None = None,
    policy_names: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """The notes as the meeting pack lists them: when, what it says and what it is about (plain text,
    for a template that escapes)."""
    return [
        {
            "when": note.when_text,
            "body": " ".join(note.body.split()),
            "subject": subject_label(note, campaign_names, policy_names),
        }
        for note in notes
    ]
