"""Spill files: every DuckDB instance Handoff opens (readers, writers, the console's worker) spills
to the ignored temp folder under data/, capped, never to `./.tmp` in the working directory; what a
killed process left is cleaned up."""

import os
import subprocess
import sys
import textwrap

import pytest

from handoff import connection, console_worker, db
from handoff.errors import QueryError
from tests.fixtures import ROOT, write_db

PEOPLE = [{"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"}]


def test_the_temp_folder_is_under_data_and_ignored_by_git():
    assert connection.TEMP_DIR == ROOT / "data" / ".tmp" or os.environ.get("HANDOFF_TEMP_DIR")
    ignored = subprocess.run(["git", "check-ignore", "-q", "data/.tmp/duckdb_temp_1_0_owner"], cwd=ROOT)
    assert ignored.returncode == 0, "data/.tmp/ must be in .gitignore"


def test_readers_and_writers_spill_to_the_temp_folder_with_a_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(connection, "TEMP_DIR", tmp_path / "spill")
    seen_by_the_builder = {}

    def fill(con):
        seen_by_the_builder.update(
            zip(
                ("folder", "cap"),
                con.execute(
                    "select current_setting('temp_directory'), current_setting('max_temp_directory_size')"
                ).fetchone(),
            )
        )

    path = db.build_database(tmp_path / "built.duckdb", fill)
    assert seen_by_the_builder == {"folder": str(tmp_path / "spill"), "cap": "4.0 GiB"}
    try:
        reader = db.execute(
            "select current_setting('temp_directory') as folder, "
            "current_setting('max_temp_directory_size') as cap",
            db=path,
        )
        assert reader.to_dict("records") == [{"folder": str(tmp_path / "spill"), "cap": "4.0 GiB"}]
    finally:
        db.close_connections()
    # The console's worker (its own process) spills to the same folder, with the console's own cap.
    worker = console_worker.run(
        "select current_setting('temp_directory') as folder, "
        "current_setting('max_temp_directory_size') as cap",
        str(path),
        console_worker.Caps(),
    )
    assert worker.rows == [(str(tmp_path / "spill"), "1.0 GiB")]
    # Set before the configuration is locked: no statement can move it or lift the cap.
    for statement in ("set temp_directory = '/tmp/elsewhere'", "set max_temp_directory_size = '100GB'"):
        with pytest.raises(QueryError, match="the configuration has been locked"):
            console_worker.run(statement, str(path), console_worker.Caps())
    assert (tmp_path / "spill" / ".gitignore").read_text().endswith("*\n")


# A process that spills (a sort over a 64 MB memory limit) and is killed mid-query.
KILLED_MID_SPILL = textwrap.dedent("""
    import os, signal, sys, threading, time
    from pathlib import Path
    from handoff import db
    spill, cwd_tmp = Path(sys.argv[2]), Path.cwd() / ".tmp"
    sort = "select i, row_number() over (order by hash(i)) as r from range(30000000) t(i) order by r"
    threading.Thread(target=lambda: db.execute(sort, db=sys.argv[1], timeout_s=120), daemon=True).start()
    for _ in range(1200):
        if any(folder.is_dir() and any(folder.glob("duckdb_temp*")) for folder in (spill, cwd_tmp)):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.05)
    sys.exit("the sort never spilled")
""")


def test_a_killed_process_spills_outside_the_working_directory_and_the_next_one_cleans_up(tmp_path):
    path = write_db(tmp_path / "spill.duckdb", {"people": PEOPLE})
    spill, workdir = tmp_path / "spill", tmp_path / "workdir"
    workdir.mkdir()
    env = {
        **os.environ,
        "HANDOFF_TEMP_DIR": str(spill),
        "HANDOFF_MEMORY_LIMIT": "64MB",
        "PYTHONPATH": str(ROOT),
    }
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_SPILL, str(path), str(spill)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    assert not (workdir / ".tmp").exists(), "DuckDB spilled into the working directory"
    left = [p.name for p in spill.glob("duckdb_temp_*")]
    assert left and all(name.startswith(f"duckdb_temp_{killed_pid(left)}_") for name in left)
    # The next process to open a connection deletes what the dead one left.
    subprocess.run(
        [sys.executable, "-c", f"from handoff import db; db.check_database({str(path)!r})"],
        cwd=workdir,
        env=env,
        check=True,
        timeout=60,
    )
    assert not list(spill.glob("duckdb_temp_*"))


def killed_pid(names: list[str]) -> str:
    return names[0].removeprefix("duckdb_temp_").split("_")[0]
