"""The shared filter set and the meeting periods."""

import datetime as dt

import pytest

from handoff.filters import Filters, add_months, period_window

D = dt.date


def test_all_is_none_and_an_empty_selection_means_all():
    params = Filters(segments=[], regions=["NA"]).params()
    assert params == {
        "start": None,
        "end": None,
        "segments": None,
        "regions": ["NA"],
        "channels": None,
        "teams": None,
        "owners": None,
        "campaigns": None,
    }


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        Filters(start=D(2026, 3, 1), end=D(2026, 2, 1))


@pytest.mark.parametrize(
    ("start", "end", "previous"),
    [
        # A calendar month compares with the month before, whatever their lengths.
        (D(2026, 3, 1), D(2026, 4, 1), (D(2026, 2, 1), D(2026, 3, 1))),
        (D(2026, 2, 1), D(2026, 3, 1), (D(2026, 1, 1), D(2026, 2, 1))),
        # A quarter compares with the quarter before, across a year boundary.
        (D(2026, 1, 1), D(2026, 4, 1), (D(2025, 10, 1), D(2026, 1, 1))),
        # Month to date compares with the same days of the month before.
        (D(2026, 3, 1), D(2026, 3, 16), (D(2026, 2, 1), D(2026, 2, 16))),
        # Any other window moves back by its length in days.
        (D(2026, 3, 10), D(2026, 3, 20), (D(2026, 2, 28), D(2026, 3, 10))),
    ],
)
def test_previous_period(start, end, previous):
    prior = Filters(start=start, end=end, regions=["NA"]).previous()
    assert (prior.start, prior.end) == previous
    assert prior.regions == ("NA",)


def test_periods_are_seen_from_the_data_as_of_date():
    as_of = D(2026, 11, 26)
    assert period_window("this_month", as_of) == (D(2026, 11, 1), D(2026, 11, 27))
    assert period_window("last_month", as_of) == (D(2026, 10, 1), D(2026, 11, 1))
    assert period_window("this_quarter", as_of) == (D(2026, 10, 1), D(2026, 11, 27))
    assert period_window("last_quarter", as_of) == (D(2026, 7, 1), D(2026, 10, 1))
    assert period_window("this_year", as_of) == (D(2026, 1, 1), D(2026, 11, 27))
    assert period_window("last_year", as_of) == (D(2025, 1, 1), D(2026, 1, 1))
    assert period_window("last_12_months", as_of) == (D(2025, 11, 1), D(2026, 11, 1))
    assert period_window("all_time", as_of) == (None, None)
    with pytest.raises(ValueError, match="unknown period"):
        period_window("fortnight", as_of)


def test_add_months_clamps_to_short_months():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)


def test_describe_names_the_window_and_each_filter():
    chosen = Filters(start=D(2026, 1, 1), end=D(2026, 4, 1), segments=["smb", "enterprise"])
    assert chosen.describe() == "1 Jan 2026 – 31 Mar 2026 · segment: smb, enterprise"
    # With the labels layer's names, as the pages and the meeting pack show it.
    named = chosen.describe(lambda dimension, value: f"{dimension}={value.upper()}")
    assert named == "1 Jan 2026 – 31 Mar 2026 · segment: segment=SMB, segment=ENTERPRISE"
    assert chosen.window_label() == "1 Jan 2026 – 31 Mar 2026"
    assert Filters().window_label() == "all time"
