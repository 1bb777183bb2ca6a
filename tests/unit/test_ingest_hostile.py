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
        done = subprocess.run(
            [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
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
SMALL_BLOCKS = (
    "import pyarrow.csv as pacsv; options = pacsv.ReadOptions; "
    "pacsv.ReadOptions = lambda *a, **k: options(*a, **{**k, 'block_size': 40_000}); "
)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_csv_pyarrow_refuses_while_reading_ahead_exits_1_every_time(tmp_path, encoding):
    path = tmp_path / "leads.csv"
    header = LEADS_HEADER + "," + ",".join(f"extra_column_{i}" for i in range(3000))
    rows = "".join(f"L{i},2026-01-01,email,marketing,smb,Zürich\n" for i in range(500_000))
    path.write_bytes(f"{header}\n{rows}".encode(encoding))
    results = _run_cli_many_times(
        ["import", "--check", "--mapping", "canonical", str(path)], runs=RUNS // 2, prelude=SMALL_BLOCKS
    )
    _assert_one_line_exit_1(results, "leads.csv cannot be read as CSV")


# ---------------------------------------------------------------------------------------------
# Bounded memory: what a Parquet file may expand to is checked from its metadata before reading


def _parquet(path: Path, rows: int, region: str = "NA", unique_ids: bool = False) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = pa.array([f"L{i}" for i in range(rows)]) if unique_ids else pa.array(["L1"] * rows)
    constant = {
        "created_at": "2026-01-01T00:00:00Z",
        "channel": "email",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": region,
    }
    table = pa.table({"lead_id": ids, **{k: pa.array([v] * rows) for k, v in constant.items()}})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return path


# The process's own high-water mark (ru_maxrss would carry over the forking test process's).
def _leads_csv(rows: int) -> str:
    return LEADS_HEADER + "\n" + "".join(f"L{i},2026-01-01,email,marketing,smb,NA\n" for i in range(rows))


PEAK_RSS = (
    "import sys; from handoff.cli import main; code = main(sys.argv[1:]); "
    "peak = next(line.split()[1] for line in open('/proc/self/status') "
    "if line.startswith('VmHWM:')); "
    "print(f'peak_rss_kb={peak}', file=sys.stderr); sys.exit(code)"
)


def _check_with_peak_memory(path: Path) -> tuple[int, str, float]:
    """`import --check` of `path` in a fresh process: exit code, the error line, peak memory in MB."""
    command = [sys.executable, "-c", PEAK_RSS, "import", "--check", "--mapping", "canonical", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stderr.splitlines() if not line.startswith("[")]
    peak = next(float(line.split("=")[1]) / 1024 for line in lines if line.startswith("peak_rss_kb="))
    return done.returncode, "\n".join(line for line in lines if not line.startswith("peak_rss_kb=")), peak


def test_a_43_kb_parquet_of_two_million_rows_is_refused_from_its_metadata(tmp_path):
    path = _parquet(tmp_path / "leads.parquet", 2_000_000)
    assert path.stat().st_size < 60_000
    code, error, peak_mb = _check_with_peak_memory(path)
    assert code == 1 and error.count("\n") == 0
    assert error.startswith("error: leads.parquet holds 2,000,000 rows × 6 columns in ")
    assert "nothing was read" in error
    assert peak_mb < 400, f"import --check peaked at {peak_mb:.0f} MB (2.5 GB before reading was bounded)"


def test_repeated_text_is_measured_before_it_is_decoded(tmp_path):
    # 50,000 rows of a 4,000-character region: 160 KB on disk, 200 MB of text once decoded.
    path = _parquet(tmp_path / "leads.parquet", 50_000, region="x" * 4000, unique_ids=True)
    code, error, peak_mb = _check_with_peak_memory(path)
    assert code == 1 and error.count("\n") == 0
    assert error.startswith("error: leads.parquet decodes to more than 67.1 MB of text from ")
    assert peak_mb < 400, f"import --check peaked at {peak_mb:.0f} MB"


def test_a_parquet_file_of_real_proportions_still_imports(tmp_path):
    from handoff import ingest

    path = _parquet(tmp_path / "leads.parquet", 100_000, unique_ids=True)
    plan = ingest.check([path], "canonical")
    assert not plan.report.errors and len(plan.tables["leads"]) == 100_000


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_an_import_over_its_row_limit_is_refused_naming_file_rows_and_limit(tmp_path, kind):
    from handoff import ingest

    if kind == "parquet":
        path = _parquet(tmp_path / "leads.parquet", 150, unique_ids=True)
        counted = "has 150 rows"
    else:
        path = tmp_path / "leads.csv"
        path.write_text(_leads_csv(150))
        counted = "has at least 150 rows"  # counted as it streams: the reading stops at the first block over
    with pytest.raises(ingest.ImportFileError) as refused:
        ingest.check([path], "canonical", max_rows=100)
    message = str(refused.value)
    assert message.startswith(f"{path.name} {counted}") and "limit of 100 rows" in message
    assert "--max-rows" in str(refused.value)
    assert ingest.check([path], "canonical", max_rows=150).report.tables["leads"]["mapped"] == 150


def test_the_row_limit_counts_every_file_of_an_import(tmp_path):
    from handoff import ingest

    leads = tmp_path / "leads.csv"
    leads.write_text(_leads_csv(60))
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "deal_id,lead_id,created_at,stage,amount\n"
        + "".join(f"D{i},L{i},2026-02-01,open,10\n" for i in range(60))
    )
    with pytest.raises(ingest.ImportFileError, match=r"deals.csv has at least 60 rows \(120 with the files"):
        ingest.check([leads, deals], "canonical", max_rows=100)


def test_the_cli_takes_a_row_limit(tmp_path, capsys):
    from handoff.cli import main

    path = _parquet(tmp_path / "leads.parquet", 150, unique_ids=True)
    assert main(["import", "--check", "--mapping", "canonical", "--max-rows", "100", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "leads.parquet has 150 rows: over the limit of 100 rows" in err
