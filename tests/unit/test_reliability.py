"""A database or policy file Handoff cannot use gets a clear message, in the CLI and in the app.

Each bad file is made from a good one: cut short, overwritten with noise, emptied, written by an
older schema, or a DuckDB file of someone else's. The CLI exits 1 with one line naming the problem;
the app shows the same reason with the ways out, raises nothing, and leaves the file as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from handoff import cli, db, sla
from handoff.sla import policy_file
from handoff.text import unescape
from tests.fixtures import ROOT, write_db


def _truncated(fraction: float):
    def make(good: Path, path: Path) -> None:
        data = good.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])

    return make


def _noise(good: Path, path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _empty(good: Path, path: Path) -> None:
    path.write_bytes(b"")


def _older_schema(good: Path, path: Path) -> None:
    write_db(path, {}, {"schema_version": "0"})


def _foreign(good: Path, path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create table orders as select 1 as id")
    con.close()


def _a_folder(good: Path, path: Path) -> None:
    path.mkdir()


# (how the bad file is made, words the message must contain)
BAD_FILES = {
    "truncated to half": (_truncated(0.5), "is truncated"),
    "missing its last bytes": (_truncated(0.995), "is truncated"),
    "cut inside the header": (_truncated(0.0002), "not a readable DuckDB database"),
    "random bytes": (_noise, "not a readable DuckDB database"),
    "empty": (_empty, "not a readable DuckDB database"),
    "older schema": (_older_schema, f"has schema version 0; this Handoff reads version {db.SCHEMA_VERSION}"),
    "someone else's DuckDB file": (_foreign, "not a Handoff database"),
    "a folder": (_a_folder, "is not a file"),
}


@pytest.fixture
def bad_db(request, demo_db, tmp_path):
    make, words = BAD_FILES[request.param]
    path = tmp_path / "handoff.duckdb"
    make(demo_db, path)
    yield path, words
    db.close_connections()


def _fingerprint(path: Path) -> str:
    return "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("bad_db", list(BAD_FILES), indirect=True)
@pytest.mark.parametrize("query", ["data__table_counts", "funnel__stage_counts", "attribution__credit"])
def test_the_cli_names_the_problem_in_one_line(bad_db, query, capsys):
    path, words = bad_db
    before = _fingerprint(path)
    assert cli.main(["query", query, "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err and "unexpected" not in err
    assert _fingerprint(path) == before


def test_the_cli_in_a_fresh_process_prints_no_traceback(demo_db, tmp_path):
    path = tmp_path / "cut.duckdb"
    _truncated(0.5)(demo_db, path)
    done = subprocess.run(
        [sys.executable, "-m", "handoff", "query", "overview__kpis", "--db", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"error: {path} is truncated") and done.stderr.count("\n") == 1


def test_a_missing_database_says_how_to_build_one(tmp_path, capsys):
    assert cli.main(["query", "data__table_counts", "--db", str(tmp_path / "nowhere.duckdb")]) == 1
    assert "python -m handoff demo --db" in capsys.readouterr().err


@pytest.mark.parametrize("bad_db", list(BAD_FILES), indirect=True)
def test_the_app_explains_the_problem_and_the_ways_out(bad_db, monkeypatch):
    path, words = bad_db
    before = _fingerprint(path)
    monkeypatch.setenv("HANDOFF_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Handoff can't read its database"
    assert words in at.error[0].value
    assert "Re-import your data" in at.markdown[0].value
    assert any(b.label.startswith("Move the file aside") for b in at.button)
    assert not at.metric and not at.sidebar.multiselect, "no page runs on a file it cannot read"
    assert _fingerprint(path) == before, "explaining changes nothing"


def test_moving_a_damaged_file_aside_keeps_it_and_builds_the_demo(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "handoff.duckdb"
    _truncated(0.5)(demo_db, path)
    damaged = path.read_bytes()
    monkeypatch.setenv("HANDOFF_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    kept = list(tmp_path.glob("handoff.duckdb.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    db.close_connections()
    assert db.check_database(path).size > 0, "a readable Handoff database now stands in its place"


# ---------------------------------------------------------------------------------------------
# The SLA policy file


@pytest.fixture
def no_policy_file(monkeypatch, tmp_path, demo_db):
    missing = tmp_path / "sla_policies.toml"
    monkeypatch.setattr(policy_file, "POLICY_FILE", missing)
    monkeypatch.setenv("HANDOFF_DB", str(demo_db))
    yield missing
    db.close_connections()


def test_the_cli_says_the_policy_file_is_missing(no_policy_file, demo_db, capsys):
    assert cli.main(["query", "sla__compliance", "--db", str(demo_db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "sla_policies.toml: no such policy file" in err


@pytest.mark.parametrize("page", ["sla", "overview"])
def test_the_app_says_the_policy_file_is_missing_and_still_shows_the_rest(no_policy_file, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = [unescape(w.value) for w in at.warning] + [unescape(e.value) for e in at.error]
    assert any("sla_policies.toml: no such policy file" in text for text in said), said
    if page == "sla":
        assert at.metric, "the scorecard still shows, on the built-in policies"


def test_a_policy_file_put_back_is_used_again(no_policy_file, demo_db):
    with pytest.raises(sla.PolicyError, match="no such policy file"):
        db.run_query("sla__compliance", db=demo_db)
    shutil.copy(ROOT / "data" / "sla_policies.toml", no_policy_file)
    assert len(db.run_query("sla__compliance", db=demo_db)) > 0
