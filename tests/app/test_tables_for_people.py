"""Every table on every page reads as people read it: codes in words, names for ids, every number formatted.

Streamlit draws a table's cells on a canvas, so what the browser test can read of a table is its
values, not their format; this test reads each table's data and its column formats as the page sent
them: every numeric column has a format, no text cell is a stored code or a person's id, and no
cell reads None, NaN, <NA>, True or False.
"""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pyarrow as pa
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


def _display_values(element) -> pd.DataFrame | None:
    """What the page draws in each cell when a pandas Styler formats the table (None without one)."""
    data = (
        element.proto.arrow_data if element.proto.arrow_data.data else element.proto.lazy_data.initial_chunk
    )
    shown = data.styler.display_values
    return pa.ipc.open_stream(shown).read_pandas() if shown else None


# A number as people read it: '1,234', '38.4 %', '$12,345', '+2.5 pp', '12.5 d', '1.8×', or '–'.
FORMATTED = re.compile(r"^(–|[-+]?\$?-?\d{1,3}(,\d{3})*(\.\d)?( %| pp| h| business h| d|×)?)$")


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("page", PAGES)
def test_every_table_is_for_people(app, codes, page, view):
    at = app(page, **VIEWS[view])
    no_exception(at)
    for element in at.dataframe:
        frame, formats, shown = element.value, _column_formats(element), _display_values(element)
        if frame.empty:
            continue  # nothing drawn
        # The browser draws a missing number as the placeholder (Streamlit's default: "None").
        assert element.proto.placeholder == "–", f"{page}: a table without the '–' placeholder"
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                drawn = shown[column].astype(str).tolist() if shown is not None and column in shown else None
                assert drawn or formats.get(str(column)), f"{page}: column {column!r} has no number format"
                # Streamlit prints a missing number as None unless the table draws it ('–').
                assert drawn or values.notna().all(), f"{page}: column {column!r} would read None"
                raw = [cell for cell in drawn or [] if not FORMATTED.match(cell)]
                assert not raw, f"{page}: column {column!r} draws {raw[:3]}"
            elif values.dtype == object or pd.api.types.is_string_dtype(values):
                text = {str(v) for v in values if not isinstance(v, bool)}
                assert not (text & codes), f"{page}: column {column!r} shows codes {sorted(text & codes)[:3]}"
                assert not (text & RAW_WORDS), f"{page}: column {column!r} shows {sorted(text & RAW_WORDS)}"
                assert values.notna().all(), f"{page}: column {column!r} has empty cells that read None"
            assert not pd.api.types.is_bool_dtype(values), f"{page}: column {column!r} shows True/False"


def test_a_progress_bar_keeps_its_own_label_format(app):
    # The bar draws its label from the column's format, not the Styler's text: without it, Streamlit
    # reads 95.5 (already a percentage, max 100) as a fraction and labels it "9,545.45%".
    at = app("data")
    no_exception(at)
    health = next(e for e in at.dataframe if "Passing (%)" in e.value.columns)
    config = json.loads(health.proto.columns)["Passing (%)"]["type_config"]
    assert (config["type"], config["format"], config["max_value"]) == ("progress", "%.1f %%", 100)
