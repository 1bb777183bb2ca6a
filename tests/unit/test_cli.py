"""The command line: output formats, one-line errors, exit codes."""

import json
import subprocess
import sys

import pytest

from handoff.cli import main
from tests.fixtures import AS_OF, ROOT


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_query_prints_csv_json_and_table(demo_db, capsys):
    code, out, err = run(["query", "data__table_counts", "--db", str(demo_db), "--format", "csv"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "table_name,row_count,earliest_at,latest_at"
    assert lines[3].startswith("leads,4000,")
    code, out, _ = run(["query", "data__as_of", "--db", str(demo_db), "--format", "json"], capsys)
    assert json.loads(out)[0]["as_of_date"].startswith(AS_OF.isoformat())
    code, out, _ = run(["query", "data__table_counts", "--db", str(demo_db)], capsys)
    assert out.split()[:4] == ["table_name", "row_count", "earliest_at", "latest_at"]


def test_query_list_names_every_query(capsys):
    code, out, _ = run(["query", "--list"], capsys)
    assert code == 0
    assert "data__table_counts()" in out and "filters__options()" in out


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        (["query", "nope"], "error: unknown query 'nope'", 2),
        (["query", "data__table_counts", "--param", "colour=red"], "has no parameter colour", 2),
        (["query", "data__table_counts", "--param", "oops"], "'oops' is not key=value", 2),
        (["frobnicate"], "invalid choice: 'frobnicate'", 2),
        (["demo", "--as-of", "yesterday"], "'yesterday' is not a date", 2),
        (["demo", "--leads", "5"], "at least 100", 1),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(args, message, exit_code, demo_db, capsys, tmp_path):
    if args[0] == "query":
        args = [*args, "--db", str(demo_db)]
    if args[0] == "demo":
        args = [*args, "--db", str(tmp_path / "d.duckdb")]
    code, out, err = run(args, capsys)
    assert code == exit_code
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_database_is_one_line_from_a_real_process(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "handoff",
            "query",
            "data__table_counts",
            "--db",
            str(tmp_path / "none.duckdb"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no database at ")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_demo_builds_a_database_with_progress(tmp_path, capsys):
    path = tmp_path / "small.duckdb"
    code, out, err = run(
        ["demo", "--db", str(path), "--leads", "300", "--seed", "1", "--as-of", "2026-01-31"], capsys
    )
    assert code == 0
    assert "[100%] demo database ready" in err
    assert out.startswith(f"built {path} (300 leads")
    code, out, _ = run(["query", "data__as_of", "--db", str(path), "--format", "csv"], capsys)
    assert out.splitlines()[1] == "2026-01-31"
