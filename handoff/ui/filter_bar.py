"""The shared filter bar in the sidebar: the period and the list filters, their values in the URL.

The list filters show labels ("Mid-market", "Ivan Romano (SDR)") and keep codes in the URL
(`?segment=mid_market&owner=P-NA-SDR-3`), the values the CLI's `--param` takes. The period is in the
URL as the picker names it (`period=This+year`), with `start` and `end` for a custom period.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from handoff.filters import (
    DEFAULT_PERIOD,
    LIST_FIELD_DIMENSIONS,
    LIST_FIELD_LABELS,
    PERIODS,
    Filters,
    period_window,
)
from handoff.labels import Names
from handoff.ui.url_state import coded_multiselect

# URL key of each list filter in the sidebar (its dimension in filters__options), and the Filters
# field it feeds. Campaigns are filtered from the command line and Python only.
LIST_FILTER_KEYS = {key: field for field, key in LIST_FIELD_DIMENSIONS.items() if field != "campaigns"}


def draw(options: pd.DataFrame, names: Names, today: dt.date) -> tuple[Filters, list[str]]:
    """Draw the filters (inside the sidebar) and return the Filters they set, with notices about the URL."""
    # Each list filter's options, code → label, in filters__options' order (most leads first).
    choices = {
        key: {value: names.option(key, value) for value in options.loc[options["dimension"] == key, "value"]}
        for key in LIST_FILTER_KEYS
    }
    notices = unknown_url_values(choices)
    st.subheader("Filters")
    window = _period(today, notices)
    selected = {
        field: coded_multiselect(LIST_FIELD_LABELS[field], choices[key], key=key, placeholder="All")
        for key, field in LIST_FILTER_KEYS.items()
    }
    return Filters(start=window[0], end=window[1], **selected), notices


def _period(today: dt.date, notices: list[str]) -> tuple[dt.date | None, dt.date | None]:
    period = st.selectbox(
        "Period",
        list(PERIODS),
        index=list(PERIODS).index(DEFAULT_PERIOD),
        format_func=PERIODS.get,
        key="period",
        bind="query-params",
        help=f"Periods count back from {today:%d %b %Y}, the latest day in the data.",
    )
    if period != "custom":
        return period_window(period, today)
    default_start, default_end = period_window(DEFAULT_PERIOD, today)
    # Stacked, not side by side: a sidebar column is too narrow for "2035/01/01".
    start = st.date_input("From", value=default_start, key="start", bind="query-params", format="YYYY-MM-DD")
    last_day = st.date_input(
        "To (inclusive)",
        value=default_end - dt.timedelta(days=1),
        key="end",
        bind="query-params",
        format="YYYY-MM-DD",
    )
    if last_day < start:
        notices.append("The custom period ends before it starts; showing its first day only.")
        last_day = start
    return start, last_day + dt.timedelta(days=1)


def unknown_url_values(choices: dict[str, dict[str, str]]) -> list[str]:
    """Values in the URL that no filter option matches: they are dropped, and we say so."""
    notices = []
    params = st.query_params
    if "period" in params and params["period"] not in PERIODS.values():
        notices.append(
            f"The link's period “{params['period']}” isn't one we know; showing "
            f"{PERIODS[DEFAULT_PERIOD].lower()} instead."
        )
    for key in ("start", "end"):
        if key in params:
            try:
                dt.date.fromisoformat(params[key])
            except ValueError:
                notices.append(
                    f"The link's {key} date “{params[key]}” isn't a date (YYYY-MM-DD); using the default."
                )
    for key, valid in choices.items():
        unknown = [value for value in params.get_all(key) if value and value not in valid]
        if unknown:
            what = LIST_FIELD_LABELS[LIST_FILTER_KEYS[key]].lower()
            notices.append(
                f"The link asks for {what} {', '.join(map(repr, unknown))}, which the data "
                f"doesn't have; ignored."
            )
    return notices
