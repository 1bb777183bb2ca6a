"""`mapping check`: what each canonical column is made from and receives, worked out by hand."""

from __future__ import annotations

import textwrap

import pytest

from handoff.cli import main
from handoff.ingest.preview import preview_mapping
from tests.fixtures import ROOT

LEADS = """\
id,created,source,employees
L1,2026-01-05 09:30,Webinar,12
L2,2026-01-06,,250
L3,yesterday,Paid,1500
L4,2026-01-08,Webinar,
"""
MAPPING = """\
[sources.crm]
files = ["leads*"]

[tables.leads]
from = "crm"
[tables.leads.columns]
lead_id = "id"
created_at = "created"
channel = { column = "source", map = { "Webinar" = "webinar", "Paid" = "paid_search" }, default = "unknown" }
sourced_by = { value = "marketing" }
segment = { column = "employees", bins = [[0, "smb"], [200, "mid_market"], [1000, "enterprise"]] }
region = { value = "EMEA" }
industry = { column = "industry", optional = true }
"""


@pytest.fixture
def files(tmp_path):
    leads, mapping = tmp_path / "leads.csv", tmp_path / "crm.toml"
    leads.write_text(LEADS)
    mapping.write_text(textwrap.dedent(MAPPING))
    return leads, mapping


def row_of(text: str, column: str) -> str:
    """The preview's line for `column`, its runs of spaces as one."""
    return " ".join(next(line for line in text.splitlines() if line.startswith(f"  {column} ")).split())


def test_each_column_says_what_it_is_made_from_and_what_it_received(files):
    leads, mapping = files
    preview = preview_mapping([leads], mapping)
    text = preview.as_text()
    assert text.splitlines()[:4] == [
        "Mapping crm (crm.toml): what each canonical column is made from; nothing is written",
        "",
        "leads from crm: 4 rows",
        "  column               made from                           values   empty  errors  first values",
    ]
    # column, made from, values, empty, errors, first values
    assert row_of(text, "lead_id") == "lead_id id 4 0 0 'L1', 'L2', 'L3'"
    # L3's date does not parse: an error, not a value; the others are typed timestamps
    assert (
        row_of(text, "created_at")
        == "created_at created 3 0 1 '2026-01-05 09:30', '2026-01-06', '2026-01-08'"
    )
    # L2's empty source takes the default: a value (the report warns about it)
    assert row_of(text, "channel") == "channel source 4 0 0 'webinar', 'unknown', 'paid_search'"
    assert row_of(text, "sourced_by") == "sourced_by (constant 'marketing') 4 0 0 'marketing'"
    # L4 has no employees, and a segment is required: an error
    assert row_of(text, "segment") == "segment employees 3 0 1 'smb', 'mid_market', 'enterprise'"
    # an optional column the file does not have: every row empty
    assert row_of(text, "industry") == "industry industry 0 4 0"
    assert row_of(text, "score") == "score (not in the mapping)"
    assert "Import with mapping crm" in text and "timestamp does not parse: 1 in leads.created_at" in text
    assert preview.refusal() == (
        "the import would be refused: 2 errors of 2 kinds (first: timestamp does not parse in "
        "leads.created_at); fix the files or the mapping, or set the rows aside with import --rejects FILE"
    )


def test_mapping_check_exits_1_with_one_line_when_the_import_would_be_refused_and_0_when_not(files, capsys):
    leads, mapping = files
    assert main(["mapping", "check", "--mapping", str(mapping), str(leads)]) == 1
    out, err = capsys.readouterr()
    assert row_of(out, "lead_id") == "lead_id id 4 0 0 'L1', 'L2', 'L3'"
    assert (
        err.startswith("error: the import would be refused: 2 errors of 2 kinds")
        and len(err.splitlines()) == 1
    )
    leads.write_text(LEADS.replace("yesterday", "2026-01-07"))
    mapping.write_text(
        mapping.read_text().replace('1000, "enterprise"]] }', '1000, "enterprise"]], default = "unknown" }')
    )
    assert main(["mapping", "check", "--mapping", str(mapping), str(leads)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert row_of(out, "created_at").startswith("created_at created 4 0 0 ")
    assert row_of(out, "segment") == "segment employees 4 0 0 'smb', 'mid_market', 'enterprise'"
    assert "4 mapped, 4 to load" in out


def test_a_column_missing_from_the_file_stops_the_check_before_any_row(files, capsys):
    leads, mapping = files
    mapping.write_text(mapping.read_text().replace('lead_id = "id"', 'lead_id = "Lead ID"'))
    assert main(["mapping", "check", "--mapping", str(mapping), str(leads)]) == 1
    out, err = capsys.readouterr()
    assert "leads from crm: no rows: the files could not be mapped (see below)" in out
    assert row_of(out, "lead_id") == "lead_id Lead ID"
    assert err.startswith("error: the import would be refused: leads.csv has no column 'Lead ID'")
    assert len(err.splitlines()) == 1


def test_mapping_check_refuses_a_missing_file_or_mapping_in_one_line(files, tmp_path, capsys):
    leads, mapping = files
    assert main(["mapping", "check", "--mapping", str(mapping), str(leads), str(tmp_path / "nope.csv")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {tmp_path / 'nope.csv'}: no such file\n"
    assert main(["mapping", "check", "--mapping", "no-such-preset", str(leads)]) == 1
    assert capsys.readouterr().err.startswith("error: unknown mapping 'no-such-preset'")
    assert main(["mapping", "check", str(leads)]) == 2
    assert "the following arguments are required: --mapping" in capsys.readouterr().err


def test_a_preset_checks_by_name(capsys):
    folder = ROOT / "tests" / "data" / "import" / "canonical"
    assert main(["mapping", "check", "--mapping", "canonical", *map(str, sorted(folder.glob("*.csv")))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Mapping canonical (canonical.toml)")
    assert "\nleads from leads: " in out


def test_a_drafted_mapping_checks_clean(tmp_path, capsys):
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS.replace("yesterday", "2026-01-07"))
    draft = tmp_path / "draft.toml"
    assert main(["mapping", "init", str(leads), "--out", str(draft)]) == 0
    capsys.readouterr()
    assert main(["mapping", "check", "--mapping", str(draft), str(leads)]) == 0
    out = capsys.readouterr().out
    assert row_of(out, "lead_id") == "lead_id id 4 0 0 'L1', 'L2', 'L3'"
    assert row_of(out, "segment") == "segment employees 4 0 0 'smb', 'mid_market', 'enterprise'"
