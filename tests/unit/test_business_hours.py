"""The business-hours clock on hand-made cases (worked out below) and its invariants."""

import datetime as dt
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.sla.clock import (
    Calendar,
    RegionalClock,
    add_business_hours,
    add_wall_hours,
    business_hours_between,
    wall_hours_between,
)

NEW_YORK = Calendar("America/New_York")  # 09:00–17:00, Monday to Friday
# Good Friday and Easter Monday 2026 are bank holidays.
LONDON = Calendar("Europe/London", holidays=(dt.date(2026, 4, 3), dt.date(2026, 4, 6)))
SINGAPORE = Calendar("Asia/Singapore")


def utc(*texts: str) -> np.ndarray:
    return np.array([np.datetime64(t) if t else np.datetime64("NaT") for t in texts], dtype="datetime64[us]")


def between(start: str, end: str, calendar: Calendar) -> float:
    return float(business_hours_between(utc(start), utc(end), calendar)[0])


def deadline(start: str, hours: float, calendar: Calendar) -> np.datetime64:
    return add_business_hours(utc(start), hours, calendar)[0]


# --- Friday 17:55 -------------------------------------------------------------------------------


def test_friday_1755_after_closing_starts_counting_on_monday_morning():
    # 2026-01-09 is a Friday; 17:55 EST = 22:55 UTC, after the 17:00 close. A 1 h deadline runs
    # from Monday's 09:00 opening: Monday 12 January 10:00 EST = 15:00 UTC.
    assert deadline("2026-01-09T22:55", 1.0, NEW_YORK) == np.datetime64("2026-01-12T15:00")
    # Answered Monday 09:30 EST (14:30 UTC): 30 working minutes, though 63.6 clock hours passed.
    assert between("2026-01-09T22:55", "2026-01-12T14:30", NEW_YORK) == pytest.approx(0.5)
    clock_hours = wall_hours_between(utc("2026-01-09T22:55"), utc("2026-01-12T14:30"))[0]
    assert clock_hours == pytest.approx(63 + 35 / 60)


def test_friday_1755_inside_longer_hours_uses_the_last_five_minutes():
    # Open until 18:00: 5 minutes on Friday, 55 on Monday → Monday 09:55 EST = 14:55 UTC.
    late = Calendar("America/New_York", closes=dt.time(18, 0))
    assert deadline("2026-01-09T22:55", 1.0, late) == np.datetime64("2026-01-12T14:55")


def test_a_deadline_that_ends_at_closing_time_runs_to_the_next_opening():
    # Zero hours left at Friday 17:55 means "by Monday's opening": a weekend reply is still on time.
    assert deadline("2026-01-09T22:55", 0.0, NEW_YORK) == np.datetime64("2026-01-12T14:00")


def test_a_weekend_arrival_waits_for_monday():
    # Saturday 2026-01-10 12:00 EST (17:00 UTC): the clock starts Monday 09:00 EST. 7 h later is
    # Monday 16:00 EST = 21:00 UTC. A full 8 h uses up Monday; a reply that evening still counts as
    # 8 h, so the breach comes only when Tuesday opens: 09:00 EST = 14:00 UTC.
    assert deadline("2026-01-10T17:00", 7.0, NEW_YORK) == np.datetime64("2026-01-12T21:00")
    assert deadline("2026-01-10T17:00", 8.0, NEW_YORK) == np.datetime64("2026-01-13T14:00")
    assert between("2026-01-10T17:00", "2026-01-11T23:00", NEW_YORK) == 0.0


# --- Holidays -----------------------------------------------------------------------------------


def test_a_deadline_skips_a_long_holiday_weekend():
    # Thursday 2 April 2026, 16:30 BST (15:30 UTC): 30 min left that day, then Good Friday, the
    # weekend and Easter Monday are closed. The remaining 30 min end Tuesday 7 April 09:30 BST = 08:30 UTC.
    assert deadline("2026-04-02T15:30", 1.0, LONDON) == np.datetime64("2026-04-07T08:30")
    # Without the holidays the same hour would end on Friday 09:30 BST.
    assert deadline("2026-04-02T15:30", 1.0, Calendar("Europe/London")) == np.datetime64("2026-04-03T08:30")


def test_a_lead_arriving_on_a_holiday_counts_nothing_that_day():
    # Good Friday 10:00 BST to Tuesday 10:00 BST: only Tuesday's first hour counts.
    assert between("2026-04-03T09:00", "2026-04-07T09:00", LONDON) == 1.0


# --- Daylight saving ----------------------------------------------------------------------------


def test_spring_forward_moves_working_hours_in_utc_but_loses_no_working_hour():
    # New York switched to summer time on Sunday 8 March 2026. Friday 6 March 16:30 EST = 21:30
    # UTC; Monday 9 March 09:30 EDT = 13:30 UTC. Working time: 30 min Friday + 30 min Monday = 1 h,
    # while the clock ran 64 h (it would be 65 h without the change).
    assert between("2026-03-06T21:30", "2026-03-09T13:30", NEW_YORK) == pytest.approx(1.0)
    assert wall_hours_between(utc("2026-03-06T21:30"), utc("2026-03-09T13:30"))[0] == 64.0
    # The 1 h deadline is Monday 09:30 EDT: 13:30 UTC, an hour earlier in UTC than in winter.
    assert deadline("2026-03-06T21:30", 1.0, NEW_YORK) == np.datetime64("2026-03-09T13:30")


def test_fall_back_in_london():
    # Britain returns to GMT on Sunday 25 October 2026. Friday 23 October 16:00 BST = 15:00 UTC
    # (1 h left that day); the second hour ends Monday 26 October 10:00 GMT = 10:00 UTC.
    assert deadline("2026-10-23T15:00", 2.0, LONDON) == np.datetime64("2026-10-26T10:00")
    assert between("2026-10-23T15:00", "2026-10-26T10:00", LONDON) == pytest.approx(2.0)


# --- Two time zones -----------------------------------------------------------------------------


def test_the_same_instants_in_two_time_zones():
    # Wednesday 14 January 2026, 02:00 → 14:00 UTC is 10:00 → 22:00 in Singapore (7 working hours,
    # 10:00–17:00) and Tuesday 21:00 → Wednesday 09:00 in New York (none: the office opens at 09:00).
    clock = RegionalClock({"APAC": SINGAPORE, "NA": NEW_YORK})
    start, end = utc("2026-01-14T02:00", "2026-01-14T02:00"), utc("2026-01-14T14:00", "2026-01-14T14:00")
    assert clock.hours_between(start, end, ["APAC", "NA"]).tolist() == [7.0, 0.0]
    # One hour after each start: 11:00 SGT = 03:00 UTC, and Wednesday 10:00 EST = 15:00 UTC.
    due = clock.add_hours(start, 1.0, ["APAC", "NA"])
    assert due.tolist() == utc("2026-01-14T03:00", "2026-01-14T15:00").tolist()


def test_a_region_without_a_calendar_uses_the_default():
    clock = RegionalClock({"NA": NEW_YORK}, default=Calendar("UTC"))
    # Monday 12 January 2026, 08:00 → 12:00 UTC: 3 working hours in UTC (09:00–12:00), none in New York.
    start, end = utc(*["2026-01-12T08:00"] * 3), utc(*["2026-01-12T12:00"] * 3)
    hours = clock.hours_between(start, end, ["LATAM", None, "NA"])
    assert hours.tolist() == [3.0, 3.0, 0.0]


# --- Edges --------------------------------------------------------------------------------------


def test_missing_times_give_nan_and_nat():
    hours = business_hours_between(utc("2026-01-12T10:00", ""), utc("", "2026-01-12T10:00"), NEW_YORK)
    assert np.isnan(hours).all()
    assert np.isnat(add_business_hours(utc(""), 1.0, NEW_YORK)).all()
    assert np.isnat(add_wall_hours(utc("2026-01-12T10:00"), np.array([np.nan])))[0]


def test_an_end_before_the_start_is_negative():
    assert between("2026-01-12T16:00", "2026-01-12T15:00", NEW_YORK) == -1.0


def test_a_calendar_refuses_closing_before_opening_and_no_working_days():
    with pytest.raises(ValueError, match="not after opening"):
        Calendar(opens=dt.time(17), closes=dt.time(9))
    with pytest.raises(ValueError, match="working days"):
        Calendar(days=())


# --- Invariants ---------------------------------------------------------------------------------

INSTANTS = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31))
CALENDARS = st.sampled_from([NEW_YORK, LONDON, SINGAPORE, Calendar("UTC", days=("mon", "wed", "sat"))])


@settings(max_examples=50, deadline=None)
@given(start=INSTANTS, hours=st.floats(min_value=0.01, max_value=300), calendar=CALENDARS)
def test_the_deadline_is_exactly_that_many_working_hours_away(start, hours, calendar):
    begin = np.array([start], dtype="datetime64[us]")
    end = add_business_hours(begin, hours, calendar)
    assert business_hours_between(begin, end, calendar)[0] == pytest.approx(hours, abs=1e-6)
    # ...and one microsecond later it is past the deadline.
    assert business_hours_between(begin, end + np.timedelta64(1, "s"), calendar)[0] > hours


@settings(max_examples=50, deadline=None)
@given(times=st.lists(INSTANTS, min_size=3, max_size=3), calendar=CALENDARS)
def test_working_time_adds_up_and_never_exceeds_clock_time(times, calendar):
    a, b, c = (np.array([t], dtype="datetime64[us]") for t in sorted(times))
    ab, bc, ac = (business_hours_between(x, y, calendar)[0] for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == pytest.approx(ac, abs=1e-6)
    assert 0 <= ac <= wall_hours_between(a, c)[0] + 1e-9


def test_a_million_leads_in_one_vectorised_pass():
    rng = np.random.default_rng(3)
    offsets = (rng.random(1_000_000) * 700 * 86_400e6).astype("timedelta64[us]")
    start = np.datetime64("2025-01-01", "us") + offsets
    end = start + (rng.random(1_000_000) * 96 * 3_600e6).astype("timedelta64[us]")
    regions = rng.choice(np.array(["NA", "EMEA", "APAC"], dtype=object), 1_000_000)
    clock = RegionalClock({"NA": NEW_YORK, "EMEA": LONDON, "APAC": SINGAPORE})
    started = time.perf_counter()
    hours = clock.hours_between(start, end, regions)
    due = clock.add_hours(start, 24.0, regions)
    elapsed = time.perf_counter() - started
    assert not np.isnan(hours).any() and not np.isnat(due).any()
    # The same answer as a row at a time, on a sample.
    for row in rng.integers(0, 1_000_000, 20):
        calendar = clock.calendar(regions[row])
        assert hours[row] == business_hours_between(start[row : row + 1], end[row : row + 1], calendar)[0]
    assert elapsed < 30, f"1M leads took {elapsed:.1f} s"


@settings(max_examples=60, deadline=None)
@given(
    now=INSTANTS,
    hours=st.floats(min_value=0.01, max_value=300),
    back=st.floats(min_value=0, max_value=2000),
    calendars=st.lists(CALENDARS, min_size=1, max_size=3),
)
def test_nothing_that_started_before_the_earliest_start_is_still_inside_its_window(
    now, hours, back, calendars
):
    # A start within `hours` working hours of now, in any region's calendar, is on or after the bound.
    clock = RegionalClock(
        {f"R{i}": calendar for i, calendar in enumerate(calendars[1:])}, default=calendars[0]
    )
    bound = clock.earliest_start(np.datetime64(now, "us"), hours).astype("datetime64[us]")
    start = np.array([np.datetime64(now, "us") - np.timedelta64(int(back * 3_600e6), "us")])
    for calendar in (*clock.calendars.values(), clock.default):
        if business_hours_between(start, np.array([np.datetime64(now, "us")]), calendar)[0] <= hours + 1e-9:
            assert start[0] >= bound


def test_the_earliest_start_reaches_back_over_a_long_holiday():
    # Good Friday and Easter Monday closed: 8 working hours before Tuesday 7 April 2026 10:00 BST
    # reach back to Thursday 2 April; a lead from Thursday morning is still within them.
    clock = RegionalClock({}, default=LONDON)
    bound = clock.earliest_start(np.datetime64("2026-04-07T09:00"), 8.0)
    assert bound <= np.datetime64("2026-04-02")
