"""Downloads in AppTest: what the Explore page hands over (CSV and Parquet) cannot run as a formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from streamlit.delta_generator import DeltaGenerator

from tests.app.conftest import no_exception

HYPERLINK = '=HYPERLINK("http://evil.example/","click me")'


@pytest.fixture
def offered(monkeypatch):
    """file name → the bytes each download button of the run offers."""
    seen: dict[str, bytes] = {}
    original = DeltaGenerator.download_button

    def recording(self, label, data, file_name=None, *args, **kwargs):
        seen[file_name] = data() if callable(data) else data
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    return seen


def test_the_console_s_downloads_neutralise_formulas_and_keep_numbers(app, offered):
    sql = (
        f"select '{HYPERLINK.replace(chr(39), chr(39) * 2)}' as campaign_name, '@SUM(A1)' as note, "
        "-5 as change_usd, '-5' as change_text"
    )
    at = app("explore", explore_view="SQL console", explore_sql=sql)
    at.button(key="explore_run").click().run()  # a statement from a link waits for Run
    no_exception(at)
    rows = list(csv.reader(io.StringIO(offered["console_result.csv"].decode(), newline="")))
    assert rows == [
        ["campaign_name", "note", "change_usd", "change_text"],
        ["'" + HYPERLINK, "'@SUM(A1)", "-5", "-5"],
    ]
    parquet = pd.read_parquet(io.BytesIO(offered["console_result.parquet"]))
    assert parquet["campaign_name"].tolist() == ["'" + HYPERLINK]
    assert parquet["change_usd"].tolist() == [-5], "numbers stay numbers"
