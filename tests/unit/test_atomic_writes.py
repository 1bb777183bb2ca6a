"""The meeting pack, exports and rejects files are written whole or not at all.

Parallel writers to the same target all succeed and the target is always a complete file; a full
disk midway (simulated: the write puts half its bytes down, then fails with ENOSPC) leaves no
partial file and the previous target byte-identical, with a one-line error and exit 1.
"""

from __future__ import annotations

import errno
import pathlib
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from handoff import connection, ingest, report
from handoff.cli import main
from handoff.filters import Filters
from tests.fixtures import ROOT

Q2 = ["--start", "2026-04-01", "--end", "2026-07-01"]


def _complete(text: str) -> bool:
    return text.startswith("<!DOCTYPE html>") and text.endswith("</html>")


def _watch(path: pathlib.Path, stop: threading.Event, seen: list[str]) -> None:
    """Read `path` over and over while writers run; note anything that is not a whole meeting pack."""
    while not stop.is_set():
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            seen.append("missing")
            continue
        if not _complete(text):
            seen.append(f"{len(text)} characters, incomplete")


def test_parallel_reports_to_one_file_all_succeed_and_it_is_always_complete(monkeypatch, tmp_path):
    body = "<p>" + "x" * 2_000_000 + "</p>"
    monkeypatch.setattr(report, "build_report", lambda filters, **kwargs: f"<!DOCTYPE html>{body}</html>")
    target = tmp_path / "same.html"
    target.write_text("<!DOCTYPE html><p>last week</p></html>", encoding="utf-8")
    stop, seen, failures = threading.Event(), [], []
    watcher = threading.Thread(target=_watch, args=(target, stop, seen))
    watcher.start()
    try:
        for _ in range(5):
            start = threading.Barrier(6)

            def write(start=start):
                start.wait()
                try:
                    report.write_report(target, Filters())
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    failures.append(repr(exc))

            writers = [threading.Thread(target=write) for _ in range(6)]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join()
    finally:
        stop.set()
        watcher.join()
    assert failures == []
    assert seen == [], f"the target was not a whole file {len(seen)} times: {seen[:3]}"
    assert _complete(target.read_text(encoding="utf-8")) and body in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.html"], "no partial files left"


def test_six_report_commands_to_one_file_all_succeed(demo_db, tmp_path):
    target = tmp_path / "same.html"
    target.write_text("<!DOCTYPE html><p>last week</p></html>", encoding="utf-8")
    stop, seen = threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(target, stop, seen))
    watcher.start()
    try:
        command = [sys.executable, "-m", "handoff", "report", "--db", str(demo_db), *Q2, "--out", str(target)]
        runs = [
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(6)
        ]
        results = [(run.wait(timeout=180), run.stderr.read()) for run in runs]
    finally:
        stop.set()
        watcher.join()
    assert [code for code, _ in results] == [0] * 6, [err for _, err in results]
    assert seen == [], f"the target was not a whole file {len(seen)} times: {seen[:3]}"
    assert "Handoff meeting pack" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.html"]


def _half_then_no_space(path: pathlib.Path) -> None:
    """What a full disk does to a write: part of the bytes land, then ENOSPC."""
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(monkeypatch):
    """full_disk(name): writing a file whose name contains `name` puts half its bytes down, then fails."""

    def fill_up(name: str) -> None:
        write_text, to_csv = pathlib.Path.write_text, pd.DataFrame.to_csv
        copy_to_file = connection.copy_to_file

        def failing_write_text(self, *args, **kwargs):
            written = write_text(self, *args, **kwargs)
            if name in self.name:
                _half_then_no_space(self)
            return written

        def failing_to_csv(self, path_or_buf=None, *args, **kwargs):
            written = to_csv(self, path_or_buf, *args, **kwargs)
            if isinstance(path_or_buf, (str, pathlib.Path)) and name in pathlib.Path(path_or_buf).name:
                _half_then_no_space(pathlib.Path(path_or_buf))
            return written

        def failing_copy_to_file(con, query, target, *args, **kwargs):  # what DuckDB writes itself (export)
            copy_to_file(con, query, target, *args, **kwargs)
            if name in pathlib.Path(target).name:
                _half_then_no_space(pathlib.Path(target))

        monkeypatch.setattr(pathlib.Path, "write_text", failing_write_text)
        monkeypatch.setattr(pd.DataFrame, "to_csv", failing_to_csv)
        monkeypatch.setattr(connection, "copy_to_file", failing_copy_to_file)

    return fill_up


def test_a_report_on_a_full_disk_leaves_the_previous_file_and_no_partial(
    demo_db, tmp_path, capsys, full_disk
):
    target = tmp_path / "review.html"
    target.write_text("<!DOCTYPE html><p>last week</p></html>", encoding="utf-8")
    before = target.read_bytes()
    full_disk("review.html")
    code = main(["report", "--db", str(demo_db), *Q2, "--out", str(target)])
    err = capsys.readouterr().err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.html"], "no partial file left"
    assert code == 1 and err.count("\n") == 1
    assert "No space left on device" in err and "review.html" in err and "previous file is unchanged" in err


def test_an_export_on_a_full_disk_leaves_the_previous_export_and_no_partial(
    demo_db, tmp_path, capsys, full_disk
):
    backup = tmp_path / "backup"
    ingest.export(demo_db, backup)
    (backup / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in backup.iterdir()}
    full_disk("leads.csv")  # people.csv and campaigns.csv are written by then
    code = main(["export", "--db", str(demo_db), str(backup)])
    err = capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in backup.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup"], "no temporary folder left beside it"
    assert code == 1 and err.count("\n") == 1 and "No space left on device" in err and "backup" in err


def test_a_first_export_on_a_full_disk_creates_nothing(demo_db, tmp_path, capsys, full_disk):
    full_disk("people.csv")
    code = main(["export", "--db", str(demo_db), str(tmp_path / "new")])
    assert code == 1 and "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [], "not even an empty people.csv"


def test_a_full_disk_under_duckdb_is_an_os_error_with_its_reason(demo_db):
    # A real ENOSPC: /dev/full takes no byte. DuckDB's IO error becomes the OSError a Python write gives.
    con = connection.open_read_only(str(demo_db), write_folder="/dev")
    try:
        with pytest.raises(OSError) as raised:
            connection.copy_to_file(con, "select * from leads", "/dev/full", "format csv, header true")
    finally:
        con.close()
    assert raised.value.errno == errno.ENOSPC and raised.value.strerror == "No space left on device"


def test_an_export_can_reach_only_its_own_folder(demo_db, tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "other.txt").write_text("not for the export")
    con = connection.open_read_only(str(demo_db), write_folder=str(tmp_path / "staging"))
    try:
        connection.copy_to_file(con, "select 1 as one", str(tmp_path / "staging" / "one.csv"), "format csv")
        for statement in (
            f"copy (select 1) to '{tmp_path / 'elsewhere.csv'}'",
            f"copy (select 1) to '{tmp_path / 'staging' / '..' / 'elsewhere.csv'}'",
            f"select * from read_text('{tmp_path / 'other.txt'}')",
            "set allowed_directories = ['/']",
        ):
            with pytest.raises(Exception, match="disabled by configuration|configuration has been locked"):
                con.execute(statement)
    finally:
        con.close()
    assert (tmp_path / "staging" / "one.csv").read_text() == "one\n1\n"
    assert not (tmp_path / "elsewhere.csv").exists()


def test_an_export_replaces_its_files_and_keeps_others(demo_db, tmp_path):
    out = tmp_path / "backup"
    out.mkdir()
    (out / "leads.csv").write_text("stale")
    (out / "notes.txt").write_text("mine")
    started = time.perf_counter()
    paths = ingest.export(demo_db, out)
    assert time.perf_counter() - started < 60
    assert [p.name for p in paths][-1] == "handoff_meta.csv" and all(p.is_file() for p in paths)
    assert (out / "leads.csv").read_text().startswith("lead_id,")
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup"]
