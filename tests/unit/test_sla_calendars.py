"""Regional calendars from the `holidays` package: a region names its country and subdivision, and
may still add days off (`holidays`) or work a public holiday (`remove_holidays`). Hand-typed
calendars (no country) stay exactly as typed."""

import datetime as dt

import numpy as np
import pytest

from handoff import sla
from handoff.sla.clock import Calendar, business_hours_between
from tests.fixtures import ROOT

D = dt.date
COMMITTED = sla.POLICY_FILE.read_text()
HAND_TYPED = (ROOT / "tests" / "data" / "sla_policies_hand_typed.toml").read_text()


def hours(start: str, end: str, calendar: Calendar) -> float:
    utc = np.array([np.datetime64(start), np.datetime64(end)], dtype="datetime64[us]")
    return float(business_hours_between(utc[:1], utc[1:], calendar)[0])


def test_singapore_gets_its_moving_holidays():
    singapore = Calendar("Asia/Singapore", country="SG")
    # Hari Raya Puasa 2025, Deepavali 2025, Chinese New Year 2027 (the Monday in lieu): none typed in.
    assert {D(2025, 3, 31), D(2025, 10, 20), D(2027, 2, 8)} <= set(singapore.days_off)
    # Friday 17 October 2025 16:00 SGT (08:00 UTC) to Tuesday 21 October 10:00 SGT (02:00 UTC): an hour
    # on Friday, none on Deepavali (Monday 20th), an hour on Tuesday.
    assert hours("2025-10-17T08:00", "2025-10-21T02:00", singapore) == pytest.approx(2.0)
    assert hours("2025-10-17T08:00", "2025-10-21T02:00", Calendar("Asia/Singapore")) == pytest.approx(10.0)


def test_calendars_no_longer_end_in_2027():
    london = Calendar("Europe/London", country="GB", subdivision="ENG")
    # Good Friday and Easter Monday 2030, Christmas 2040.
    assert {D(2030, 4, 19), D(2030, 4, 22), D(2040, 12, 25)} <= set(london.days_off)


def test_a_file_adds_days_off_and_works_a_public_holiday():
    text = COMMITTED.replace(
        'country = "GB"\nsubdivision = "ENG"\n',
        'country = "GB"\nsubdivision = "ENG"\nholidays = [2026-12-24]\nremove_holidays = [2026-12-28]\n',
    )
    emea = sla.parse_policies(text).clock.calendar("EMEA")
    assert D(2026, 12, 24) in emea.days_off and D(2026, 12, 28) not in emea.days_off
    assert D(2026, 12, 25) in emea.days_off
    assert sla.parse_policies(sla.parse_policies(text).to_text()) == sla.parse_policies(text)


def test_the_committed_regions_name_their_country():
    clock = sla.load_policies().clock
    regions = ("NA", "EMEA", "APAC", "LATAM")
    assert [(clock.calendar(r).country, clock.calendar(r).subdivision) for r in regions] == [
        ("US", "NY"),
        ("GB", "ENG"),
        ("SG", None),
        (None, None),
    ]
    na = clock.calendar("NA").days_off
    assert D(2030, 11, 28) in na and D(2030, 7, 4) in na  # Thanksgiving and Independence Day, never typed in
    assert D(2026, 11, 27) in na  # the day after Thanksgiving, typed in
    # Worked by name, every year (observed days too): Martin Luther King Jr. Day, Juneteenth (observed).
    assert D(2026, 1, 19) not in na and D(2031, 1, 20) not in na and D(2027, 6, 18) not in na
    assert clock.calendar("LATAM").days_off == ()


def test_a_hand_typed_file_gives_its_calendars_exactly_as_typed():
    clock = sla.parse_policies(HAND_TYPED).clock
    emea = clock.calendar("EMEA")
    assert emea.country is None and emea.days_off == emea.holidays
    assert len(emea.holidays) == 32
    assert (emea.holidays[0], emea.holidays[-1]) == (D(2024, 1, 1), D(2027, 12, 28))
    assert D(2025, 3, 31) not in clock.calendar("APAC").days_off  # not typed, so not a day off


MISTAKES = [
    (
        ('country = "SG"', 'country = "Singapore"'),
        (
            'regions.APAC.country: is not a country the holidays package knows (an ISO 3166 code like "US" or '
            "\"GB\"), got 'Singapore'"
        ),
    ),
    (
        ('subdivision = "ENG"', 'subdivision = "LON"'),
        (
            "regions.EMEA.subdivision: is not a subdivision of GB the holidays package knows (one of: ENG, NIR, "
            "SCT, WLS), got 'LON'"
        ),
    ),
    (
        ('country = "GB"\n', ""),
        'regions.EMEA.subdivision: needs a country in the same table (like country = "US")',
    ),
    (
        ('country = "SG"', 'country = "SG"\nremove_holidays = [2026-12-24]'),
        "regions.APAC.remove_holidays[0]: 2026-12-24 is not a public holiday of SG",
    ),
    (
        ('"Columbus Day"', '"Columbus day"'),
        (
            "regions.NA.remove_holidays[5]: 'Columbus day' is not the name of a public holiday of US (NY) (did "
            "you mean 'Columbus Day'?)"
        ),
    ),
    (
        ('"Columbus Day"', "5"),
        (
            "regions.NA.remove_holidays[5]: must be a date like 2026-12-25 or a holiday's name like "
            '"Columbus Day", got int 5'
        ),
    ),
    (
        ('country = "SG"', 'country = "SG"\nremove_holiday = [2026-12-25]'),
        (
            "regions.APAC: unknown key 'remove_holiday' (expected one of: closes, country, days, holidays, opens, "
            "remove_holidays, subdivision, time_zone; did you mean 'remove_holidays'?)"
        ),
    ),
]


@pytest.mark.parametrize(("edit", "message"), MISTAKES)
def test_a_calendar_mistake_names_the_key(edit, message):
    old, new = edit
    assert old in COMMITTED
    with pytest.raises(sla.PolicyError) as raised:
        sla.parse_policies(COMMITTED.replace(old, new, 1), "data/sla_policies.toml")
    assert str(raised.value) == f"data/sla_policies.toml: {message}"
