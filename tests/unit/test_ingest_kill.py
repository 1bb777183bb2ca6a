"""An import killed midway (SIGKILL, no chance to clean up) leaves the database byte-identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from handoff import db, ingest
from handoff.demo import build_demo
from tests.fixtures import ROOT


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> Path:
    """Canonical CSVs of a 10,000-lead company: big enough that reading and writing take a while."""
    folder = tmp_path_factory.mktemp("kill")
    source = build_demo(folder / "source.duckdb", leads=10_000, seed=11, as_of=dt.date(2026, 6, 30))
    ingest.export(source, folder / "csv")
    db.close_connections()
    return folder / "csv"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kill_at", ["reading touches", "writing touches"])
def test_an_import_killed_midway_leaves_the_database_byte_identical(kill_at, export_dir, demo_db, tmp_path):
    target = tmp_path / "handoff.duckdb"
    shutil.copy(demo_db, target)
    before = sha256(target)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "handoff",
            "import",
            "--db",
            str(target),
            "--mapping",
            "canonical",
            *map(str, sorted(export_dir.glob("*.csv"))),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in process.stderr:  # progress lines, as the import goes
        seen.append(line.strip())
        if kill_at in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL, seen
    assert sha256(target) == before
    staging = [p.name for p in tmp_path.iterdir() if p.name.startswith(".handoff.duckdb.building-")]
    # Killed while writing, the half-built file is left beside the target, never in its place.
    assert bool(staging) == (kill_at == "writing touches")
    assert (
        db.run_query("data__table_counts", db=target).iloc[2]["row_count"] == 4000
    )  # still the demo, readable
    db.close_connections()
