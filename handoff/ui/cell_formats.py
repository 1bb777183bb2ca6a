"""How a table cell reads: the formats of registry units, of header units and of column types.

Pure formatting, no Streamlit: `handoff.ui.dataframe` and `metric_table` draw with these.
"""

from __future__ import annotations

import re

import pandas as pd

# How a registry unit reads in a table cell (rates and points are shown ×100; the CSV keeps 0–1).
CELL_FORMATS = {
    "count": "localized",
    "usd": "$%,.0f",
    "rate": "%,.1f %%",
    "points": "%+.1f pp",
    "hours": "%.1f h",
    "business_hours": "%.1f business h",
    "days": "%.1f d",
    "ratio": "%.1f×",
}


# The unit a query column's name gives it, for a column that is not a registry metric.
NAME_UNITS = {"_rate": "rate", "_usd": "usd", "_days": "days", "_hours": "hours", "_pp": "points"}


def unit_of(column: str) -> str | None:
    return next((unit for suffix, unit in NAME_UNITS.items() if str(column).endswith(suffix)), None)


# A column's format from the unit its header names; otherwise from its type.
HEADER_FORMATS = {
    "(%)": "%,.1f %%",
    " %": "%,.1f %%",
    "($)": "$%,.0f",
    " $": "$%,.0f",
    "(USD)": "$%,.0f",
    "(h)": "%.1f h",
    "(days)": "%.1f d",
    "(pp)": "%+.1f pp",
}


def cell_format(values: pd.Series):
    """How a column's cells read: '38.4 %', '$12,345', '1,234', '1 Apr 2024, 09:30' (None: as they are)."""
    name = str(values.name)
    if pd.api.types.is_bool_dtype(values):
        return None
    unit = next((f for suffix, f in HEADER_FORMATS.items() if name.endswith(suffix)), None)
    if unit and pd.api.types.is_numeric_dtype(values):
        return python_format(unit)
    if pd.api.types.is_integer_dtype(values):
        return "{:,.0f}"
    if pd.api.types.is_float_dtype(values):
        return "{:,.1f}"
    if pd.api.types.is_datetime64_any_dtype(values):
        return lambda t: f"{t:%-d %b %Y, %H:%M}"
    return None


def python_format(printf: str) -> str:
    """A column_config printf format as a Python one: '$%,.0f' → '${:,.0f}', '%.1f %%' → '{:.1f} %'."""
    if printf == "localized":  # Streamlit's preset for counts: thousands separated
        return "{:,.0f}"
    match = re.fullmatch(r"(.*?)%([+,]*)(?:\.(\d+))?([df])(.*)", printf)
    if not match:
        return "{}"
    prefix, flags, places, kind, suffix = match.groups()
    places = 0 if kind == "d" else int(places or 6)
    spec = "{:" + ("+" if "+" in flags else "") + ("," if "," in flags else "") + f".{places}f}}"
    return (prefix + spec + suffix).replace("%%", "%")
