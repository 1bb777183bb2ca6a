"""The bad-input corpus: every broken file or mapping gets a clear one-line message, a non-zero
exit, and leaves the database byte-identical. Out-of-order stages load with a warning."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from handoff import db
from handoff.cli import main
from tests.fixtures import ROOT

DATA = ROOT / "tests" / "data" / "import"
BAD = DATA / "bad"
VALID = ["leads-valid.csv", "people-valid.csv"]

# (files in tests/data/import/bad, mapping, a fragment the one-line message must contain)
CORPUS = [
    (["leads-empty.csv"], "canonical", "leads-empty.csv is empty (0 bytes)"),
    (["leads-header-only.csv"], "canonical", "leads-header-only.csv has a header but no data rows"),
    (["leads-binary-garbage.csv"], "canonical", "leads-binary-garbage.csv is not a text file"),
    (["leads-excel-workbook.csv"], "canonical", "is a zip or Excel workbook, not a CSV file"),
    (["leads-utf16-no-bom-garbage.csv"], "canonical", "is not a text file"),
    (["leads-corrupt.parquet"], "canonical", "leads-corrupt.parquet is not a readable Parquet file"),
    (
        ["leads-row-cut-off.csv"],
        "canonical",
        "row does not have the header's fields in leads-row-cut-off.csv",
    ),
    (["leads-cut-inside-quotes.csv"], "canonical", "has a quoted value that never closes"),
    (
        ["leads-extra-field.csv"],
        "canonical",
        "row does not have the header's fields in leads-extra-field.csv",
    ),
    (
        ["leads-colon-delimited.csv"],
        "canonical",
        "It has one column only: is the delimiter one of , ; tab |?",
    ),
    (["leads-latin1.csv"], "mapping-declares-utf8.toml", "leads-latin1.csv is not valid utf-8: byte 0xE9"),
    (["leads-missing-column.csv"], "canonical", "leads-missing-column.csv has no column 'created_at'"),
    (["leads-bad-dates.csv"], "canonical", "timestamp does not parse in leads.created_at"),
    (["leads-duplicate-ids.csv"], "canonical", "duplicate key in leads.lead_id"),
    (["leads-sourced-by-outside-set.csv"], "canonical", "value outside the allowed set in leads.sourced_by"),
    (["leads-score-out-of-range.csv"], "canonical", "value out of range in leads.score"),
    (["leads-score-not-a-number.csv"], "canonical", "number does not parse in leads.score"),
    (["leads-missing-required-value.csv"], "canonical", "required value missing in leads.lead_id"),
    (["leads-unknown-owner.csv"], "canonical", "reference does not resolve in leads.owner_id"),
    ([*VALID, "deals-orphan.csv"], "canonical", "reference does not resolve in deals.lead_id"),
    ([*VALID, "deals-negative-amount.csv"], "canonical", "value out of range in deals.amount"),
    ([*VALID, "deals-decimal-comma.csv"], "canonical", "number does not parse in deals.amount"),
    ([*VALID, "deals-stage-outside-set.csv"], "canonical", "value outside the allowed set in deals.stage"),
    (
        [*VALID, "contacts-unrecognised.csv"],
        "canonical",
        "contacts-unrecognised.csv is none of mapping canonical's",
    ),
    (["deals-orphan.csv"], "canonical", "no file for the leads export"),
    (
        ["leads-valid.csv"],
        "mapping-names-missing-column.toml",
        "leads-valid.csv has no column 'Lead Created'",
    ),
    (["leads-valid.csv"], "mapping-not-toml.toml", "mapping-not-toml.toml is not valid TOML"),
    (["leads-valid.csv"], "mapping-unknown-table.toml", "no canonical table 'lead' (did you mean 'leads'?)"),
    (["leads-valid.csv"], "mapping-typo-setting.toml", "unknown setting 'colum' (did you mean 'column'?)"),
    (
        ["leads-valid.csv"],
        "mapping-leaves-out-required.toml",
        "leads needs created_at, but the mapping does not say",
    ),
    (["leads-valid.csv"], "mapping-unknown-source.toml", "no source named 'contacts'"),
    (["leads-valid.csv"], "mapping-not-utf8.toml", "mapping-not-utf8.toml is not a UTF-8 text file"),
    (["leads-valid.csv"], "hubspott", "unknown mapping 'hubspott'"),
    (["no-such-file.csv"], "canonical", "no-such-file.csv: no such file"),
]


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    """A real database (the canonical sample) that every bad import must leave alone."""
    path = tmp_path_factory.mktemp("corpus") / "base.duckdb"
    assert (
        main(
            [
                "import",
                "--db",
                str(path),
                "--mapping",
                "canonical",
                *map(str, (DATA / "canonical").glob("*.csv")),
            ]
        )
        == 0
    )
    db.close_connections()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_corpus_has_at_least_25_bad_inputs():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize(("files", "mapping", "message"), CORPUS, ids=[f"{c[0][-1]}|{c[1]}" for c in CORPUS])
def test_a_bad_input_is_refused_with_one_clear_line_and_the_database_unchanged(
    files, mapping, message, base_db, tmp_path, capsys
):
    target = tmp_path / "handoff.duckdb"
    shutil.copy(base_db, target)
    before = sha256(target)
    mapping_arg = str(BAD / mapping) if mapping.endswith(".toml") else mapping
    code = main(["import", "--db", str(target), "--mapping", mapping_arg, *(str(BAD / f) for f in files)])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if not line.startswith("[")]  # progress lines start with [
    assert code != 0
    assert len(errors) == 1 and errors[0].startswith("error: "), err
    assert message in errors[0]
    assert "Traceback" not in err and "unexpected" not in err
    assert sha256(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handoff.duckdb"]  # no staging file left behind


def test_a_refused_import_reports_file_row_column_value_and_what_was_expected(base_db, tmp_path, capsys):
    target = tmp_path / "handoff.duckdb"
    shutil.copy(base_db, target)
    main(["import", "--db", str(target), "--mapping", "canonical", str(BAD / "leads-bad-dates.csv")])
    out = capsys.readouterr().out
    # Row 3 of the file (the header is row 1) holds "03/31/2026 9am" for L2.
    assert "timestamp does not parse: 2 in leads.created_at; expected a timestamp as ISO 8601" in out
    assert "leads-bad-dates.csv row 3, column created_at: '03/31/2026 9am'" in out
    assert "leads-bad-dates.csv row 4, column created_at: '2026-02-30 10:00:00'" in out


@pytest.mark.parametrize(
    ("files", "warning"),
    [
        (["leads-stages-out-of-order.csv"], "stage timestamps out of order: 1 in leads.mql_at"),
        (["leads-stages-out-of-order.csv"], "'sal_at 2026-03-03 12:00 is before mql_at 2026-03-04 09:00'"),
        ([*VALID, "deals-closed-before-created.csv"], "negative cycle time: 1 in deals.closed_at"),
    ],
)
def test_out_of_order_stages_load_with_a_warning(files, warning, tmp_path, capsys):
    target = tmp_path / "handoff.duckdb"
    code = main(["import", "--db", str(target), "--mapping", "canonical", *(str(BAD / f) for f in files)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert warning in captured.out
    meta = db.read_meta(target)
    assert warning.split(":")[0].strip("'") in meta["import_problems"] or "sal_at" in warning
    db.close_connections()
