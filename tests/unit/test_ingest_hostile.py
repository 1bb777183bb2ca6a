"""Hostile files: an import refuses them with one clear line and exit 1, every time, in bounded memory.

A CSV with a million columns used to print the right message and then abort (exit 134) in half the
runs: a pyarrow reader reading through a Python file object, or transcoding with a Python codec,
was still at work when the interpreter shut down. The reader now reads pyarrow's own file, closed
deterministically, and other encodings are turned into a UTF-8 copy before pyarrow sees them.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fixtures import ROOT

RUNS = 16
LEADS_HEADER = "lead_id,created_at,channel,sourced_by,segment,region"


def _run_cli_many_times(args: list[str], runs: int = RUNS, prelude: str = "") -> list[tuple[int, str]]:
    """Run `python -m handoff ARGS` `runs` times (two at a time); each run's exit code and stderr."""
    script = f"import sys; {prelude}from handoff.cli import main; sys.exit(main(sys.argv[1:]))"

    def once(_):
        done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        return done.returncode, done.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(once, range(runs)))


def _assert_one_line_exit_1(results: list[tuple[int, str]], needle: str) -> None:
    codes = [code for code, _ in results]
    assert codes == [1] * len(results), f"exit codes over {len(results)} runs: {codes}"
    for _, err in results:
        lines = [line for line in err.splitlines() if not line.startswith("[")]  # progress lines
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err[-600:]


@pytest.fixture(scope="module")
def million_column_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wide") / "leads.csv"
    columns = 1_000_000
    path.write_text(",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("x" * columns) + "\n")
    return path


def test_a_million_column_csv_exits_1_every_time(million_column_csv):
    results = _run_cli_many_times(["import", "--check", "--mapping", "canonical", str(million_column_csv)])
    _assert_one_line_exit_1(results, "leads.csv: its header row is longer than 64 KB")


# A 53 KB header (it fits in the sniffed 64 KB) read by pyarrow in 40 KB blocks: pyarrow refuses it
# while opening the reader, with its read-ahead still going through the 20 MB after it: the moment
# that used to leave its thread in a Python file object (or a Python codec) at interpreter exit.
SMALL_BLOCKS = ("import pyarrow.csv as pacsv; options = pacsv.ReadOptions; "
                "pacsv.ReadOptions = lambda *a, **k: options(*a, **{**k, 'block_size': 40_000}); ")


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_csv_pyarrow_refuses_while_reading_ahead_exits_1_every_time(tmp_path, encoding):
    path = tmp_path / "leads.csv"
    header = LEADS_HEADER + "," + ",".join(f"extra_column_{i}" for i in range(3000))
    rows = "".join(f"L{i},2026-01-01,email,marketing,smb,Zürich\n" for i in range(500_000))
    path.write_bytes(f"{header}\n{rows}".encode(encoding))
    results = _run_cli_many_times(["import", "--check", "--mapping", "canonical", str(path)], runs=RUNS // 2,
                                  prelude=SMALL_BLOCKS)
    _assert_one_line_exit_1(results, "leads.csv cannot be read as CSV")
