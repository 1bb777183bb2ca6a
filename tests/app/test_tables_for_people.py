"""Every table on every page reads as people read it: codes in words, names for ids, every number formatted.

Streamlit draws a table's cells on a canvas, so what the browser test can read of a table is its
values, not their format; this test reads each table's data and its column formats as the page sent
them: every numeric column has a format, no text cell is a stored code or a person's id, and no
cell reads None, NaN, <NA>, True or False.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from tests.app.conftest import no_exception
from tests.support import PAGES

VIEWS = {
    "default": {},
    "filtered": {"period": "This year", "segment": ["mid_market", "enterprise"], "channel": ["paid_search"]},
    "empty": {"period": "Custom", "start": "2030-01-01", "end": "2030-01-31"},
}
RAW_WORDS = {"None", "NaN", "nan", "<NA>", "NaT", "True", "False"}


@pytest.fixture(scope="module")
def codes(demo_db) -> set[str]:
    """What the data stores that people should never read: codes that have words, and people's ids."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        stored = con.execute(
            "select value from filter_options where dimension in ('segment', 'channel', 'team') "
            "and value like '%\\_%' escape '\\' or value in ('smb', 'marketing', 'sales') "
            "union select person_id from people"
        ).fetchall()
    return {value for (value,) in stored}


def _column_formats(element) -> dict[str, str | None]:
    config = json.loads(element.proto.columns or "{}")
    return {name: (spec.get("type_config") or {}).get("format") for name, spec in config.items()}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("page", PAGES)
def test_every_table_is_for_people(app, codes, page, view):
    at = app(page, **VIEWS[view])
    no_exception(at)
    for element in at.dataframe:
        frame, formats = element.value, _column_formats(element)
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                assert formats.get(str(column)), f"{page}: column {column!r} has no number format"
            elif values.dtype == object or pd.api.types.is_string_dtype(values):
                text = {str(v) for v in values if not isinstance(v, bool)}
                assert not (text & codes), f"{page}: column {column!r} shows codes {sorted(text & codes)[:3]}"
                assert not (text & RAW_WORDS), f"{page}: column {column!r} shows {sorted(text & RAW_WORDS)}"
                assert values.notna().all(), f"{page}: column {column!r} has empty cells that read None"
            assert not pd.api.types.is_bool_dtype(values), f"{page}: column {column!r} shows True/False"
