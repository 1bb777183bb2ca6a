"""The business-hours clock: working time between two instants, in each region's own calendar.

Timestamps are stored in UTC; a region's working day (09:00–17:00 on weekdays, say) is local. The
clock converts to local wall time, then counts working time with a cumulative function

    F(t) = (business days before t's day) × day length + working time of t's own day up to t

so elapsed business time is F(end) − F(start) and a deadline is F⁻¹(F(start) + N hours). Both
are whole-array numpy (`np.busday_count`, `np.busday_offset`, pandas' vectorised time-zone
conversion): one pass per region, never a Python loop per lead. Working hours are local, so a
daylight-saving change moves them in UTC and never adds or loses a working hour.

A calendar's days off are the public holidays of its country (and subdivision), from the `holidays`
package for 2000–2080 with its observed-day rules, less those the company works anyway, plus any
days typed in; a calendar with no country has only the days typed in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from handoff import cache

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600 * US_PER_SECOND
NAT = np.datetime64("NaT", "us")
# Day 0 of the cumulative clock; each calendar rolls it forward to its first working day.
_EPOCH = np.datetime64("1970-01-01", "D")
# The years whose public holidays a calendar with a country observes (a few milliseconds a year to
# work out, once per process).
HOLIDAY_YEARS = range(2000, 2081)


@dataclass(frozen=True)
class Calendar:
    """A working week in one time zone: which days, which hours, which days off (see `days_off`)."""

    time_zone: str = "UTC"
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    days: tuple[str, ...] = WEEKDAYS[:5]
    holidays: tuple[dt.date, ...] = ()  # days off typed in (besides the country's public holidays)
    country: str | None = None  # whose public holidays are days off (ISO 3166 code, as `holidays` knows it)
    subdivision: str | None = None  # the country's state, province or nation, for its own holidays
    removed: tuple[dt.date | str, ...] = ()  # public holidays worked anyway: days, or names (every year)

    def __post_init__(self) -> None:
        if not self.days or set(self.days) - set(WEEKDAYS):
            raise ValueError(f"working days must be some of {', '.join(WEEKDAYS)}, got {list(self.days)}")
        if _time_us(self.closes) <= _time_us(self.opens):
            raise ValueError(f"closing time {self.closes:%H:%M} is not after opening time {self.opens:%H:%M}")

    @property
    def day_hours(self) -> float:
        """Working hours in one working day."""
        return self.day_us / US_PER_HOUR

    @property
    def day_us(self) -> int:
        return _time_us(self.closes) - _time_us(self.opens)

    @property
    def weekmask(self) -> str:
        """numpy's week mask: '1111100' for Monday to Friday."""
        return "".join("1" if day in self.days else "0" for day in WEEKDAYS)

    @property
    def days_off(self) -> tuple[dt.date, ...]:
        """Every day off, in order: the country's public holidays not worked, and the days typed in."""
        if self.country is None:
            return tuple(sorted(set(self.holidays)))
        worked = set(self.removed)
        public = {
            day
            for day, names in public_holidays(self.country, self.subdivision).items()
            if day not in worked and not worked.issuperset(names)
        }
        return tuple(sorted(public | set(self.holidays)))

    def busdaycalendar(self) -> np.busdaycalendar:
        return _BUSDAY_CALENDARS.get(self) or _BUSDAY_CALENDARS.put(
            self, np.busdaycalendar(weekmask=self.weekmask, holidays=list(self.days_off))
        )

    def epoch(self) -> np.datetime64:
        """The first working day on or after 1970-01-01: business day number 0."""
        return np.busday_offset(_EPOCH, 0, roll="forward", busdaycal=self.busdaycalendar())


_BUSDAY_CALENDARS = cache.Cache(
    "sla.busday_calendars", max_items=64, sizer=lambda calendar: calendar.holidays.nbytes + 200
)


def countries() -> dict[str, list[str]]:
    """The countries the `holidays` package knows (codes and aliases), each with its subdivisions."""
    import holidays  # when first needed: importing it takes 0.16 s

    return holidays.list_supported_countries()


def public_holidays(country: str, subdivision: str | None = None) -> dict[dt.date, frozenset[str]]:
    """The public holidays of a country (and subdivision) in HOLIDAY_YEARS, observed days included:
    each day with the names of its holidays ("Christmas Day" for "Christmas Day (observed)" too)."""
    key = (country, subdivision)
    found = _PUBLIC_HOLIDAYS.get(key)
    if found is None:
        import holidays  # when first needed: importing it takes 0.16 s

        days = holidays.country_holidays(country, subdiv=subdivision, years=HOLIDAY_YEARS)
        names = {
            day: frozenset(_QUALIFIER.sub("", name) for name in days.get_list(day)) for day in sorted(days)
        }
        found = _PUBLIC_HOLIDAYS.put(key, names)
    return found


_PUBLIC_HOLIDAYS = cache.Cache("sla.public_holidays", max_items=32)
# What `holidays` adds to a holiday's name on a day in lieu or a date worked out ahead.
_QUALIFIER = re.compile(r" \((?:observed|estimated|observed, estimated)\)$")


def _time_us(value: dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * US_PER_SECOND + value.microsecond


# ---------------------------------------------------------------------------------------------
# Time zones


def as_utc_array(values) -> np.ndarray:
    """Any sequence of naive UTC timestamps (Series, list, array) as datetime64[us], NaT for missing."""
    return pd.to_datetime(pd.Series(values, dtype=object) if isinstance(values, list) else values).to_numpy(
        dtype="datetime64[us]"
    )


def to_local(utc: np.ndarray, time_zone: str) -> np.ndarray:
    """Naive UTC instants → naive local wall-clock times in `time_zone` (NaT stays NaT)."""
    index = pd.DatetimeIndex(utc.astype("datetime64[us]")).tz_localize("UTC").tz_convert(time_zone)
    return index.tz_localize(None).to_numpy(dtype="datetime64[us]")


def to_utc(local: np.ndarray, time_zone: str) -> np.ndarray:
    """Naive local wall-clock times → naive UTC instants.

    A wall time that happens twice (autumn) is read as the first, summer-time one; one that does
    not exist (spring) moves forward to the first instant that does.
    """
    local = local.astype("datetime64[us]")
    first = np.ones(len(local), dtype=bool)
    index = pd.DatetimeIndex(local).tz_localize(time_zone, ambiguous=first, nonexistent="shift_forward")
    return index.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[us]")


# ---------------------------------------------------------------------------------------------
# The cumulative clock, on local wall time


def _clock_us(local: np.ndarray, calendar: Calendar) -> np.ndarray:
    """F(t): business microseconds from the calendar's epoch to each local time (valid times only)."""
    cal = calendar.busdaycalendar()
    day = local.astype("datetime64[D]")
    since_midnight = (local - day.astype("datetime64[us]")).astype(np.int64)
    opens = _time_us(calendar.opens)
    worked_today = np.clip(since_midnight - opens, 0, calendar.day_us)
    worked_today = np.where(np.is_busday(day, busdaycal=cal), worked_today, 0)
    days_before = np.busday_count(calendar.epoch(), day, busdaycal=cal).astype(np.int64)
    return days_before * calendar.day_us + worked_today


def _from_clock_us(clock: np.ndarray, calendar: Calendar) -> np.ndarray:
    """F⁻¹: the latest local time whose clock reading is `clock` (the last moment still on time).

    A reading that falls exactly on a day boundary maps to the next working day's opening, not the
    previous day's close: the deadline of a lead that arrives on Friday at 17:00 with 0 h left is
    Monday 09:00, and anything answered over the weekend still counts as on time.
    """
    day_number, into_day = np.divmod(clock, calendar.day_us)
    day = _business_days(day_number, calendar)
    return (
        day.astype("datetime64[us]")
        + np.timedelta64(_time_us(calendar.opens), "us")
        + into_day.astype("timedelta64[us]")
    )


def _business_days(day_number: np.ndarray, calendar: Calendar) -> np.ndarray:
    """The date of each business day number (0 = the calendar's epoch).

    A quarter's deadlines fall on a few hundred distinct days: numpy offsets each day of that span
    once and the rows look theirs up, instead of one calendar search per row.
    """
    cal, epoch = calendar.busdaycalendar(), calendar.epoch()
    if not len(day_number):
        return np.busday_offset(epoch, day_number, roll="forward", busdaycal=cal)
    first, last = int(day_number.min()), int(day_number.max())
    if last - first > len(day_number):  # a sparse spread: offsetting each row is cheaper
        return np.busday_offset(epoch, day_number, roll="forward", busdaycal=cal)
    days = np.busday_offset(epoch, np.arange(first, last + 1), roll="forward", busdaycal=cal)
    return days[day_number - first]


def business_hours_between(start: np.ndarray, end: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Working hours from each UTC `start` to its UTC `end` (negative if end is earlier; NaN for NaT)."""
    start, end = start.astype("datetime64[us]"), end.astype("datetime64[us]")
    valid = ~(np.isnat(start) | np.isnat(end))
    hours = np.full(len(start), np.nan)
    if valid.any():
        begin = _clock_us(to_local(start[valid], calendar.time_zone), calendar)
        finish = _clock_us(to_local(end[valid], calendar.time_zone), calendar)
        hours[valid] = (finish - begin) / US_PER_HOUR
    return hours


def add_business_hours(start: np.ndarray, hours: np.ndarray | float, calendar: Calendar) -> np.ndarray:
    """The UTC instant `hours` working hours after each UTC `start`: the last moment still within them."""
    start = start.astype("datetime64[us]")
    hours = np.broadcast_to(np.asarray(hours, dtype=float), start.shape)
    valid = ~np.isnat(start) & np.isfinite(hours)
    result = np.full(len(start), NAT)
    if valid.any():
        begin = _clock_us(to_local(start[valid], calendar.time_zone), calendar)
        target = begin + np.round(hours[valid] * US_PER_HOUR).astype(np.int64)
        result[valid] = to_utc(_from_clock_us(target, calendar), calendar.time_zone)
    return result


def wall_hours_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Clock hours from each `start` to its `end` (NaN if either is NaT)."""
    delta = end.astype("datetime64[us]") - start.astype("datetime64[us]")
    hours = delta.astype(np.int64) / US_PER_HOUR
    return np.where(np.isnat(delta), np.nan, hours)


def add_wall_hours(start: np.ndarray, hours: np.ndarray | float) -> np.ndarray:
    """Each `start` plus `hours` clock hours."""
    hours = np.broadcast_to(np.asarray(hours, dtype=float), start.shape)
    offset = np.round(np.nan_to_num(hours) * US_PER_HOUR).astype(np.int64).astype("timedelta64[us]")
    result = start.astype("datetime64[us]") + offset
    return np.where(np.isfinite(hours), result, NAT)


# ---------------------------------------------------------------------------------------------
# Several regions at once


@dataclass(frozen=True)
class RegionalClock:
    """Business hours per region: each region's calendar, and a default for any other region."""

    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    default: Calendar = Calendar()

    def calendar(self, region: str | None) -> Calendar:
        """The calendar of a region (the default for one the policies do not name)."""
        return self.calendars.get(region or "", self.default)

    def _groups(self, regions):
        """(calendar, row indices) per distinct calendar: one vectorised pass each."""
        if not isinstance(regions, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
            regions = np.asarray(regions, dtype=object)  # a list, or an array of Python strings
        codes, names = pd.factorize(regions)  # a missing region is code -1
        known = [code for code, name in enumerate(names) if name in self.calendars]
        for code in known:
            yield self.calendars[names[code]], np.flatnonzero(codes == code)
        rest = np.flatnonzero(~np.isin(codes, known))
        if len(rest):
            yield self.default, rest

    def hours_between(self, start, end, regions) -> np.ndarray:
        """Working hours from `start` to `end`, each row in its region's calendar."""
        start, end = as_utc_array(start), as_utc_array(end)
        hours = np.full(len(start), np.nan)
        for calendar, rows in self._groups(regions):
            hours[rows] = business_hours_between(start[rows], end[rows], calendar)
        return hours

    def add_hours(self, start, hours, regions) -> np.ndarray:
        """The UTC deadline `hours` working hours after `start`, each row in its region's calendar."""
        start = as_utc_array(start)
        hours = np.broadcast_to(np.asarray(hours, dtype=float), start.shape)
        result = np.full(len(start), NAT)
        for calendar, rows in self._groups(regions):
            result[rows] = add_business_hours(start[rows], hours[rows], calendar)
        return result

    def measure(self, start, end, now, regions) -> tuple[np.ndarray, np.ndarray]:
        """Two readings of one clock in one pass per region, each row in its region's calendar:
        working hours from `start` to `end` (as `hours_between`) and from `start` to the one
        instant `now`. Each start is converted to local time and read on the clock once.
        """
        start, end = as_utc_array(start), as_utc_array(end)
        now = np.datetime64(now, "us")
        elapsed, so_far = np.full(len(start), np.nan), np.full(len(start), np.nan)
        for calendar, rows in self._groups(regions):
            first, last = start[rows], end[rows]
            has_start = ~np.isnat(first)
            begin = np.zeros(len(rows), dtype=np.int64)
            begin[has_start] = _clock_us(to_local(first[has_start], calendar.time_zone), calendar)
            ended = has_start & ~np.isnat(last)
            finish = _clock_us(to_local(last[ended], calendar.time_zone), calendar)
            elapsed[rows[ended]] = (finish - begin[ended]) / US_PER_HOUR
            if not np.isnat(now):
                reading = _clock_us(to_local(np.array([now]), calendar.time_zone), calendar)[0]
                so_far[rows[has_start]] = (reading - begin[has_start]) / US_PER_HOUR
        return elapsed, so_far

    def earliest_start(self, now, hours: float) -> np.datetime64:
        """A UTC day on or before every start from which at most `hours` working hours pass by
        `now`, in any region's calendar: whatever started earlier is past such a deadline.

        On each calendar's clock the start must read at least F(now) − hours; the earliest instant
        that does lies on or after the local day of F⁻¹ just below that reading (a closed night or
        weekend before it reads the same), taken a UTC day earlier for safety.
        """
        now = np.array([np.datetime64(now, "us")])
        budget = int(np.ceil((hours + 1e-6) * US_PER_HOUR))
        days = []
        for calendar in (*self.calendars.values(), self.default):
            reading = _clock_us(to_local(now, calendar.time_zone), calendar)
            local = _from_clock_us(reading - budget - 1, calendar)
            midnight = local.astype("datetime64[D]").astype("datetime64[us]")
            days.append(
                to_utc(midnight, calendar.time_zone)[0].astype("datetime64[D]") - np.timedelta64(1, "D")
            )
        return min(days)

    def day_hours(self, regions) -> np.ndarray:
        """Working hours in one working day of each row's region (to turn days into hours)."""
        hours = np.full(len(regions), np.nan)
        for calendar, rows in self._groups(regions):
            hours[rows] = calendar.day_hours
        return hours
