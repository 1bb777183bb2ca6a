"""The shared filter set every query accepts the same way: a date window and a few lists.

"All" is None, which reaches SQL as NULL: `($segments is null or list_contains($segments, segment))`.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

LIST_FIELDS = ("segments", "regions", "channels", "teams", "owners", "campaigns")
FILTER_PARAMS = frozenset(("start", "end", *LIST_FIELDS))

# What each list filter selects, in the words shown to users.
LIST_FIELD_LABELS = {
    "segments": "Segment",
    "regions": "Region",
    "channels": "Channel",
    "teams": "Sourced by",
    "owners": "Owner",
    "campaigns": "Campaign",
}

# The dimension of filters__options (and the URL key) each list filter draws its values from.
LIST_FIELD_DIMENSIONS = {
    "segments": "segment",
    "regions": "region",
    "channels": "channel",
    "teams": "team",
    "owners": "owner",
    "campaigns": "campaign",
}

PERIODS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This year",
    "last_year": "Last year",
    "last_12_months": "Last 12 months",
    "all_time": "All time",
    "custom": "Custom",
}
DEFAULT_PERIOD = "last_quarter"


@dataclass(frozen=True)
class Filters:
    """A half-open date window [start, end) plus optional lists; None everywhere means all."""

    start: dt.date | None = None
    end: dt.date | None = None
    segments: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    owners: tuple[str, ...] | None = None
    campaigns: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in LIST_FIELDS:
            value = getattr(self, name)
            # An empty selection means "no filter", never "match nothing".
            object.__setattr__(self, name, tuple(value) if value else None)
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"the window ends ({self.end}) on or before it starts ({self.start})")

    def params(self) -> dict[str, object]:
        """The filter set as query parameters (lists as lists, all as None)."""
        values: dict[str, object] = {"start": self.start, "end": self.end}
        for name in LIST_FIELDS:
            value = getattr(self, name)
            values[name] = list(value) if value else None
        return values

    def with_window(self, start: dt.date | None, end: dt.date | None) -> Filters:
        """The same filters over another window."""
        return dataclasses.replace(self, start=start, end=end)

    def replace(self, **changes) -> Filters:
        """The same filters with some fields changed, e.g. `f.replace(campaigns=["C-01"])`."""
        return dataclasses.replace(self, **changes)

    def previous(self) -> Filters:
        """The window of the same length just before this one.

        A window starting on the 1st of a month moves back by whole months (so "this quarter to
        date" compares with the same days of last quarter); any other window moves back by days.
        """
        if self.start is None or self.end is None:
            return self
        if self.start.day == 1:
            months = _months_spanned(self.start, self.end)
            return self.with_window(add_months(self.start, -months), add_months(self.end, -months))
        length = self.end - self.start
        return self.with_window(self.start - length, self.start)

    def window_label(self) -> str:
        """The window in words: '1 Jul 2026 – 30 Sep 2026', 'from 1 Jan 2026', 'all time'."""
        if self.start and self.end:
            return f"{_day(self.start)} – {_day(self.end - dt.timedelta(days=1))}"
        if self.start:
            return f"from {_day(self.start)}"
        if self.end:
            return f"before {_day(self.end)}"
        return "all time"

    def describe(self, label: Callable[[str, str], str] | None = None) -> str:
        """A one-line description: the window and every active filter.

        `label(dimension, value)` names each value ('mid_market' → 'Mid-market'); without it the
        stored values are shown.
        """
        parts = [self.window_label()]
        for name in LIST_FIELDS:
            value = getattr(self, name)
            if value:
                dimension = LIST_FIELD_DIMENSIONS[name]
                shown = [label(dimension, v) if label else v for v in value]
                parts.append(f"{LIST_FIELD_LABELS[name].lower()}: {', '.join(shown)}")
        return " · ".join(parts)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_spanned(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return max(1, months + (1 if end.day > 1 else 0))


def quarter_start(day: dt.date) -> dt.date:
    """The first day of `day`'s calendar quarter."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_window(period: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The half-open window a named period covers, seen from `as_of` (the data's latest day).

    Periods that contain `as_of` run to the end of that day ("to date").
    """
    tomorrow = as_of + dt.timedelta(days=1)
    month = as_of.replace(day=1)
    quarter = quarter_start(as_of)
    year = as_of.replace(month=1, day=1)
    windows = {
        "this_month": (month, tomorrow),
        "last_month": (add_months(month, -1), month),
        "this_quarter": (quarter, tomorrow),
        "last_quarter": (add_months(quarter, -3), quarter),
        "this_year": (year, tomorrow),
        "last_year": (add_months(year, -12), year),
        "last_12_months": (add_months(month, -12), month),
        "all_time": (None, None),
    }
    if period not in windows:
        raise ValueError(f"unknown period {period!r}; choose one of: {', '.join(windows)}")
    return windows[period]
