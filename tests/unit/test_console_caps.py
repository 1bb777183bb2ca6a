"""The console's hard caps: a statement of any shape runs in a worker process that cannot exceed its
memory cap (the kernel's RLIMIT_DATA) or its wall-clock cap (killed at the timeout), whatever it
allocates; DuckDB's own memory_limit and interrupt do not hold for string and list expressions.

Each hostile statement runs against a database file hashed before and after; the worker's peak
memory is measured from the kernel (its VmHWM), and once more independently, as the largest
resident size of any waited-for descendant (RUSAGE_CHILDREN) of a fresh process running the CLI.
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from handoff import connection, console, console_worker
from handoff.errors import QueryError, QueryStopped, QueryTimeout
from tests.fixtures import ROOT, write_db

PEOPLE = [{"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"}]
TIMEOUT_S = 5
MEMORY = "stopped: the statement needed more than 1,024 MB of memory (HANDOFF_CONSOLE_MEMORY_MB)"
TIME = f"stopped after {TIMEOUT_S} s (HANDOFF_CONSOLE_TIMEOUT_S)"

# Statements that allocate past any memory limit DuckDB itself keeps, or never end.
HUNGRY = [
    "select list_value(repeat('x', 1000000000), repeat('x', 1000000000), repeat('x', 1000000000)) as l",
    "select list_value(" + ", ".join(["repeat('x', 100000000)"] * 30) + ") as l",
    "select length(repeat(repeat('x', 100000000), 30)) as n",
    "select length(string_agg(repeat('x', 1000000), '')) as n from range(3000)",
    "select len(list(repeat('y', 1000000))) as n from range(3000)",
    "select sum(length(s)) as n from (select repeat('x', 10000000) || i as s from range(300) as t(i))",
    "select list(i) as l from range(300000000) as t(i)",
    "select count(*) from range(1000000) as a, range(1000000) as b",
    "with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r",
    "select max(length(s)) from (select string_agg(repeat('ab', 50000000), '') over (order by i) as s "
    "from range(50) as t(i))",
]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory):
    return write_db(tmp_path_factory.mktemp("caps") / "caps.duckdb", {"people": PEOPLE})


def spill_files_of_dead_processes() -> list[str]:
    return [
        p.name
        for p in connection.TEMP_DIR.glob("duckdb_temp_*")
        if not connection.process_alive(int(p.name.split("_")[2]))
    ]


@pytest.mark.parametrize("statement", HUNGRY, ids=[s[:40] for s in HUNGRY])
def test_a_hungry_statement_stays_under_the_memory_and_time_caps(hand_db, statement):
    before = sha256(hand_db)
    with pytest.raises(QueryError) as stopped:
        console.run(statement, db_path=hand_db, timeout_s=TIMEOUT_S)
    assert str(stopped.value) in (MEMORY, TIME)
    assert isinstance(stopped.value, QueryStopped if str(stopped.value) == MEMORY else QueryTimeout)
    assert 0 < stopped.value.peak_memory_mb <= console.DEFAULT_MEMORY_MB
    assert stopped.value.elapsed_s < TIMEOUT_S + 1.5, "killed at the timeout, not later"
    assert sha256(hand_db) == before
    assert not spill_files_of_dead_processes()


# A stand-in for the server: a fresh process runs the CLI on a hungry statement; its waited-for
# descendants (the CLI, and the CLI's worker) are measured by the kernel, and so is the caller.
MEASURED = textwrap.dedent("""
    import json, resource, subprocess, sys
    cli = subprocess.run([sys.executable, "-m", "handoff", "sql", sys.argv[1], "--db", sys.argv[2]],
                         capture_output=True, text=True, timeout=120)
    print(json.dumps({"code": cli.returncode, "out": cli.stdout, "err": cli.stderr,
                      "descendants_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
""")


@pytest.mark.parametrize(
    "statement", [HUNGRY[0], HUNGRY[3], HUNGRY[7]], ids=["list_value", "string_agg", "forever"]
)
def test_the_cli_stays_under_the_caps_measured_from_outside(hand_db, statement):
    before = sha256(hand_db)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HANDOFF_CONSOLE_MEMORY_MB": "512",
        "HANDOFF_CONSOLE_TIMEOUT_S": "4",
    }
    ran = subprocess.run(
        [sys.executable, "-c", MEASURED, statement, str(hand_db)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )
    measured = json.loads(ran.stdout)
    assert measured["code"] == 2 and measured["out"] == ""
    assert measured["err"] in (
        "error: stopped: the statement needed more than 512 MB of memory (HANDOFF_CONSOLE_MEMORY_MB)\n",
        "error: stopped after 4 s (HANDOFF_CONSOLE_TIMEOUT_S)\n",
    )
    assert measured["descendants_kib"] <= 512 * 1024
    assert sha256(hand_db) == before


def test_the_server_process_holds_only_the_result(hand_db):
    # What the Streamlit server does, in a fresh process: its own peak memory barely moves.
    script = textwrap.dedent(f"""
        import json, resource
        from handoff import console
        console.run("select 1", db_path={str(hand_db)!r})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            console.run({HUNGRY[1]!r}, db_path={str(hand_db)!r}, timeout_s=20)
        except Exception as exc:
            message = str(exc)
        print(json.dumps({{"grew_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, "message": message}}))
    """)
    ran = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    measured = json.loads(ran.stdout)
    assert measured["message"] == MEMORY
    assert measured["grew_kib"] < 20 * 1024


def test_ordinary_statements_work_under_the_cap_and_a_big_sort_spills_and_cleans_up(hand_db):
    import threading
    import time

    sort = "select i, row_number() over (order by hash(i)) as r from range(10000000) as t(i) order by r"
    seen, done = set(), threading.Event()

    def watch():  # the spill files appear in the temp folder while the sort runs
        while not done.is_set():
            seen.update(p.name for p in connection.TEMP_DIR.glob("duckdb_temp_*"))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = console.run(sort, db_path=hand_db, memory_mb=512, max_rows=5)
    finally:
        done.set()
        watcher.join()
    assert result.frame["r"].tolist() == [1, 2, 3, 4, 5] and result.truncated
    assert result.peak_memory_mb <= 512
    assert [name for name in seen if name.endswith(".tmp")], "the sort spilled to the temp folder"
    assert not spill_files_of_dead_processes()
    assert console.run("select 1 as one", db_path=hand_db).frame["one"].tolist() == [1]


def test_the_spill_cap_stops_a_sort_that_would_fill_the_disk(hand_db):
    sort = "select i, row_number() over (order by hash(i)) as r from range(20000000) as t(i) order by r"
    with pytest.raises(
        QueryStopped,
        match=r"^stopped: the statement spilled more than 32 MB to disk \(HANDOFF_CONSOLE_TEMP_MB\)$",
    ):
        console_worker.run(sort, str(hand_db), console_worker.Caps(memory_mb=512, temp_mb=32, timeout_s=30))
    assert not spill_files_of_dead_processes()


def test_the_result_cap_keeps_a_large_answer_out_of_the_server(hand_db):
    wide = "select repeat('x', 1000000) as s from range(20)"
    with pytest.raises(
        QueryStopped, match=r"^stopped: the result is larger than 8 MB \(HANDOFF_CONSOLE_RESULT_MB\)"
    ):
        console_worker.run(wide, str(hand_db), console_worker.Caps(result_mb=8))


def test_values_of_every_kind_come_back_from_the_worker_as_duckdb_gives_them(hand_db):
    import duckdb

    statement = (
        "select 1::hugeint as h, 1.5::decimal(10, 2) as d, date '2020-01-01' as dt, "
        "timestamp '2020-01-01 10:00' as ts, timestamptz '2020-01-01 10:00+02' as tz, time '10:00' as t, "
        "'10:00:00+02'::timetz as ttz, interval 3 day as iv, 'ab'::blob as b, [1, 2] as l, [1, 2]::int[2] as a, "
        "{'x': 1, 'y': [date '2020-01-02']} as s, map {1: 'a'} as m, 'nan'::double as nn, 'inf'::float as inf, "
        "true as bo, null as nu, '101'::bit as bi, 'é\\u0000' as text, "
        "'00000000-0000-0000-0000-000000000001'::uuid as u"
    )
    expected = duckdb.connect().execute(statement).fetchall()[0]
    got = console_worker.run(statement, str(hand_db), console_worker.Caps()).rows[0]
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert type(mine) is type(theirs) and (mine == theirs or mine != mine), (mine, theirs)  # nan != nan


def test_a_worker_that_answers_nonsense_is_a_one_line_error(hand_db, monkeypatch):
    monkeypatch.setattr(
        console_worker, "_environment", lambda: {"PATH": os.environ["PATH"], "PYTHONPATH": "/nowhere"}
    )
    with pytest.raises(
        QueryError, match=r"^the console's worker stopped unexpectedly \(exit code 1\): "
    ) as failed:
        console_worker.run("select 1", str(hand_db), console_worker.Caps())
    assert "No module named 'handoff'" in str(failed.value) and sys.prefix not in str(failed.value)
