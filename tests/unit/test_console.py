"""The SQL console's guarded path: hostile statements are refused or interrupted, reads work.

Every hostile statement runs against a real database file whose bytes are hashed before and after:
whatever the console says, the file must not change.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import console, db
from handoff.cli import main
from handoff.errors import HandoffError, QueryStopped, QueryTimeout
from tests.fixtures import ROOT, ts

PEOPLE = [{"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"}]
LEADS = [
    {
        "lead_id": "L1",
        "created_at": ts("2026-01-05 10:00"),
        "channel": "webinar",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "owner_id": "P1",
        "score": 70,
    },
    {
        "lead_id": "L2",
        "created_at": ts("2026-02-05 10:00"),
        "channel": "events",
        "sourced_by": "marketing",
        "segment": "enterprise",
        "region": "EMEA",
        "score": 90,
    },
]
FOREVER = "select count(*) from range(1000000) as a, range(1000000) as b"

# (statement, what the refusal must mention). None: a runaway the time limit must interrupt.
HOSTILE = [
    # writes
    ("insert into people values ('P9', 'Eve', 'sales', 'sdr', 'NA', null)", "INSERT changes data"),
    ("update leads set score = 100", "UPDATE changes data"),
    ("delete from leads", "DELETE changes data"),
    ("truncate leads", "DELETE changes data"),
    (
        "merge into leads using leads as s on (s.lead_id = leads.lead_id) when matched then delete",
        "changes data",
    ),
    # DDL
    ("create table stolen as select * from leads", "CREATE changes the schema"),
    ("create view v as select 1", "CREATE changes the schema"),
    ("create temp table t (a int)", "CREATE changes the schema"),
    ("create macro m(a) as a + 1", "CREATE changes the schema"),
    ("create secret (type s3, key_id 'x', secret 'y')", "CREATE changes the schema"),
    ("drop table leads", "DROP changes the schema"),
    ("alter table leads add column stolen int", "ALTER changes the schema"),
    # files, other databases, extensions
    ("copy leads to '/tmp/handoff-stolen.csv'", "COPY reads or writes files"),
    ("copy leads from '/etc/passwd'", "COPY reads or writes files"),
    ("export database '/tmp/handoff-export'", "EXPORT writes files"),
    ("attach '/tmp/other.duckdb' as other", "ATTACH opens another database"),
    ("detach other", "DETACH closes a database"),
    ("install httpfs", "installs or loads an extension"),
    ("load httpfs", "installs or loads an extension"),
    ("load '/tmp/evil.duckdb_extension'", "installs or loads an extension"),
    ("update extensions", "statement type the console does not know"),
    # settings and session state
    ("set enable_external_access = true", "SET changes a setting"),
    ("set memory_limit = '100GB'", "SET changes a setting"),
    ("reset lock_configuration", "SET changes a setting"),
    ("set variable secret = 42", "SET changes a setting"),
    ("pragma enable_profiling", "PRAGMA runs a pragma"),
    ("call pragma_version()", "CALL calls a procedure"),
    ("checkpoint", "CALL calls a procedure"),
    ("vacuum leads", "VACUUM maintains the database file"),
    ("begin transaction", "TRANSACTION controls transactions"),
    ("use other", "SET changes a setting"),
    ("prepare p as select 1", "PREPARE prepares a statement"),
    ("execute p", "EXECUTE executes a prepared statement"),
    ("pivot leads on segment using count(*)", "runs several statements"),
    # more than one statement, some hidden behind comments
    ("select 1; drop table leads", "one statement at a time; this is 2 (SELECT, DROP)"),
    ("select 1 -- harmless?\n; drop table leads", "one statement at a time; this is 2 (SELECT, DROP)"),
    ("select 1 /* ; */ ; delete from leads", "one statement at a time; this is 2 (SELECT, DELETE)"),
    ("/* select 1 */ select 2; /**/ copy leads to '/tmp/x.csv'", "one statement at a time; this is 2"),
    (
        "select 1;\n\n-- and then\nattach '/tmp/x.duckdb'",
        "one statement at a time; this is 2 (SELECT, ATTACH)",
    ),
    # reads that reach outside the database
    ("select * from read_csv('/etc/passwd')", "table function read_csv()"),
    ("select * from read_csv_auto('/etc/passwd', header = false)", "table function read_csv_auto()"),
    ("select * from read_parquet('http://example.com/leads.parquet')", "table function read_parquet()"),
    ("select * from read_json('s3://bucket/leads.json')", "table function read_json()"),
    ("select * from read_text('/etc/hostname')", "table function read_text()"),
    ("select 1 where exists (select * from read_blob('/etc/shadow'))", "table function read_blob()"),
    ("select * from glob('/etc/*')", "table function glob()"),
    ("with files as (select * from glob('/home/*')) select count(*) from files", "table function glob()"),
    ("select * from sniff_csv('/etc/passwd')", "table function sniff_csv()"),
    ("select * from parquet_metadata('/tmp/x.parquet')", "table function parquet_metadata()"),
    ("select * from read_duckdb('/tmp/other.duckdb')", "table function read_duckdb()"),
    ("select * from query('select * from leads')", "table function query()"),
    ("select * from query_table('leads')", "table function query_table()"),
    ("select * from '/etc/passwd'", "'/etc/passwd' looks like a file path or URL"),
    ("select * from 'https://example.com/leads.csv'", "looks like a file path or URL"),
    ('select * from "leads.csv"', "'leads.csv' looks like a file path or URL"),
    ("describe '/etc/passwd'", "looks like a file path or URL"),
    ("summarize select * from read_text('/etc/passwd')", "table function read_text()"),
    ("explain copy leads to '/tmp/x.csv'", "EXPLAIN of a COPY statement"),
    ("explain analyze select * from read_csv('/etc/passwd')", "table function read_csv()"),
    # functions with side effects
    ("select setseed(0.42)", "setseed() changes the session's random seed"),
    ("select nextval('seq')", "nextval() advances a sequence"),
    ("select pg_sleep(60)", "pg_sleep() sleeps"),
    # nothing, or too much
    ("", "there is no statement to run"),
    ("-- just a comment\n/* and another */", "there is no statement to run"),
    ("select 1 " + " + 1" * 10_000, "characters long"),
    ("selec 1", "does not parse"),
    # runaways the time limit must stop
    (FOREVER, None),
    ("with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r", None),
    ("select count(*) from leads, range(100000000000)", None),
]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory):
    from tests.fixtures import write_db

    path = write_db(tmp_path_factory.mktemp("console") / "console.duckdb", {"people": PEOPLE, "leads": LEADS})
    yield path
    db.close_connections()


def test_there_are_at_least_thirty_hostile_statements():
    assert len(HOSTILE) >= 30
    assert len({statement for statement, _ in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize(("statement", "reason"), HOSTILE, ids=[s[:40] for s, _ in HOSTILE])
def test_a_hostile_statement_is_refused_or_interrupted_and_the_file_is_unchanged(hand_db, statement, reason):
    before = sha256(hand_db)
    with pytest.raises(HandoffError) as raised:
        console.run(statement, db_path=hand_db, timeout_s=0.5)
    message = str(raised.value)
    assert "\n" not in message, "a reason is one line"
    if reason is None:
        assert isinstance(raised.value, QueryTimeout)
        assert message == "stopped after 0.5 s (HANDOFF_CONSOLE_TIMEOUT_S)"
    else:
        assert message.startswith("refused: ")
        assert reason in message
    assert sha256(hand_db) == before
    # The connection is still usable afterwards, with its guards in place.
    settings_now = (
        console.run(
            "select current_setting('enable_external_access') as external, current_setting('lock_configuration') as locked",
            db_path=hand_db,
        )
        .frame.iloc[0]
        .tolist()
    )
    assert settings_now == [False, True]


def test_the_guards_hold_even_when_the_statement_checks_are_bypassed(hand_db, monkeypatch):
    # Layer 3 alone: with the parser and tree checks switched off, the connection still refuses.
    monkeypatch.setattr(console, "check", lambda sql, db_path=None: console.Checked("SELECT", sql))
    before = sha256(hand_db)
    for statement, error in [
        ("select * from read_csv('/etc/passwd')", "disabled by configuration"),
        ("select * from '/tmp/handoff-nothing.csv'", "disabled by configuration"),
        ("copy leads to '/tmp/handoff-stolen.csv'", "disabled by configuration"),
        ("delete from leads", "read-only"),
        ("set enable_external_access = true", "locked"),
        ("attach '/tmp/handoff-other.duckdb' as other", "disabled by configuration"),
    ]:
        with pytest.raises(HandoffError, match=error):
            console.run(statement, db_path=hand_db)
    assert sha256(hand_db) == before


@pytest.mark.parametrize(
    "statement",
    [
        "select count(*) as lead_count from leads",
        "with smb as (select * from leads where segment = 'smb') select lead_id from smb",
        "from leads select lead_id order by lead_id",
        "values (1, 'a'), (2, 'b')",
        "describe leads",
        "show tables",
        "summarize leads",
        "select * from information_schema.columns where table_name = 'leads'",
        "select * from duckdb_tables()",
        "select * from range(3)",
        "select ';drop table leads' as looks_hostile_but_is_a_string",
        "select 1 -- ; drop table leads",
        "/* a comment first */ select 42 as answer",
        "explain select * from leads",
        "explain analyze select count(*) from leads",
    ],
)
def test_reads_run(hand_db, statement):
    before = sha256(hand_db)
    result = console.run(statement, db_path=hand_db)
    assert len(result.frame.columns) > 0
    assert result.kind == ("EXPLAIN" if statement.startswith("explain") else "SELECT")
    assert sha256(hand_db) == before


def test_a_read_returns_its_rows_and_time(hand_db):
    result = console.run("select lead_id, score from leads order by lead_id", db_path=hand_db)
    assert result.frame.to_dict("records") == [{"lead_id": "L1", "score": 70}, {"lead_id": "L2", "score": 90}]
    assert not result.truncated and result.elapsed_s >= 0
    assert result.summary().startswith("2 rows in ")


def test_the_row_cap_limits_what_is_shown_and_says_so(hand_db):
    result = console.run("select * from range(100000)", db_path=hand_db, max_rows=250)
    assert len(result.frame) == 250 and result.truncated
    assert "showing the first 250 (row cap), the result has more" in result.summary()
    exact = console.run("select * from range(250)", db_path=hand_db, max_rows=250)
    assert len(exact.frame) == 250 and not exact.truncated


def test_a_failing_read_gives_the_database_reason_in_one_line(hand_db):
    with pytest.raises(
        HandoffError, match="^the query failed: Catalog Error: Table with name nope does not exist"
    ):
        console.run("select * from nope", db_path=hand_db)


def test_the_memory_cap_stops_a_query_that_needs_too_much(hand_db):
    before = sha256(hand_db)
    # DuckDB's own limit is under half the worker's cap, so sorts and joins spill before they reach it.
    limit = console.run("select current_setting('memory_limit') as m", db_path=hand_db, memory_mb=256)
    assert limit.frame["m"].iloc[0] == "64.0 MiB"
    with pytest.raises(QueryStopped) as stopped:
        console.run(
            "select list(i) from range(50000000) as t(i)", db_path=hand_db, memory_mb=256, timeout_s=20
        )
    assert (
        str(stopped.value)
        == "stopped: the statement needed more than 256 MB of memory (HANDOFF_CONSOLE_MEMORY_MB)"
    )
    assert stopped.value.peak_memory_mb <= 256
    assert sha256(hand_db) == before


def test_the_examples_run_on_the_demo(demo_db):
    for name, statement in console.EXAMPLES.items():
        result = console.run(statement, db_path=demo_db)
        assert len(result.frame) > 0, name


def test_limits_are_described_for_people():
    limits = console.limits()
    assert set(limits) == {"time limit", "row cap", "memory limit"}
    assert limits["row cap"].endswith("rows")


def test_parquet_download_copes_with_mixed_columns(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "mixed": [1, "two"], "nested": [[1, 2], None]})
    path = tmp_path / "out.parquet"
    path.write_bytes(console.parquet_bytes(frame))
    back = pd.read_parquet(path)
    assert back["mixed"].tolist() == ["1", "two"] and back["a"].tolist() == [1, 2]


# ---------------------------------------------------------------------------------------------
# Any text at all: the console answers with a result or a one-line HandoffError, never changes the file.

FRAGMENTS = [
    "select",
    "*",
    "from",
    "leads",
    "people",
    ";",
    "--",
    "/*",
    "*/",
    "drop",
    "table",
    "copy",
    "to",
    "'/etc/passwd'",
    "read_csv(",
    ")",
    "(",
    "attach",
    "install",
    "httpfs",
    "set",
    "pragma",
    "with",
    "as",
    "x",
    ",",
    "1",
    "where",
    "union",
    "all",
    "insert",
    "into",
    "values",
    "explain",
    "describe",
    "glob('*')",
    "\n",
    "'",
    '"',
    "limit",
    "range(10)",
    "count(*)",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map(" ".join))
def test_any_text_gets_rows_or_a_one_line_reason_and_never_changes_the_file(hand_db, text):
    before = sha256(hand_db)
    try:
        result = console.run(text, db_path=hand_db, timeout_s=2)
    except HandoffError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.kind in ("SELECT", "EXPLAIN")
    assert sha256(hand_db) == before


# ---------------------------------------------------------------------------------------------
# python -m handoff sql


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_a_read_as_csv_json_or_table(hand_db, capsys):
    statement = "select lead_id, score from leads order by lead_id"
    code, out, err = run_cli(["sql", statement, "--db", str(hand_db), "--format", "csv"], capsys)
    assert (code, out, err) == (0, "lead_id,score\nL1,70\nL2,90\n", "")
    code, out, _ = run_cli(["sql", statement, "--db", str(hand_db), "--format", "json"], capsys)
    assert json.loads(out) == [{"lead_id": "L1", "score": 70}, {"lead_id": "L2", "score": 90}]
    code, out, _ = run_cli(["sql", statement, "--db", str(hand_db)], capsys)
    assert out.split() == ["lead_id", "score", "L1", "70", "L2", "90"]


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("drop table leads", "error: refused: DROP changes the schema"),
        ("select * from read_csv('/etc/passwd')", "error: refused: the table function read_csv()"),
        ("select 1; select 2", "error: refused: one statement at a time"),
        ("select * from nope", "error: the query failed: Catalog Error"),
    ],
)
def test_cli_exits_2_with_the_reason_on_one_line(hand_db, capsys, statement, reason):
    before = sha256(hand_db)
    code, out, err = run_cli(["sql", statement, "--db", str(hand_db)], capsys)
    assert code == 2 and out == ""
    assert err.startswith(reason) and len(err.strip().splitlines()) == 1
    assert sha256(hand_db) == before


def test_cli_notes_the_row_cap_on_stderr(hand_db, capsys, monkeypatch):
    monkeypatch.setattr(console, "DEFAULT_MAX_ROWS", 5)
    code, out, err = run_cli(
        ["sql", "select * from range(10)", "--db", str(hand_db), "--format", "csv"], capsys
    )
    assert code == 0 and out.splitlines() == ["range", "0", "1", "2", "3", "4"]
    assert err == "note: showing the first 5 rows (row cap); the result has more\n"


def test_cli_from_a_real_process_with_a_runaway_and_stdin(hand_db):
    env = {"HANDOFF_CONSOLE_TIMEOUT_S": "0.5", "PATH": "/usr/bin:/bin"}
    before = sha256(hand_db)
    runaway = subprocess.run(
        [sys.executable, "-m", "handoff", "sql", FOREVER, "--db", str(hand_db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env=env,
    )
    assert runaway.returncode == 2
    assert runaway.stderr == "error: stopped after 0.5 s (HANDOFF_CONSOLE_TIMEOUT_S)\n"
    piped = subprocess.run(
        [sys.executable, "-m", "handoff", "sql", "-", "--db", str(hand_db), "--format", "csv"],
        input="select count(*) as n from leads",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env=env,
    )
    assert (piped.returncode, piped.stdout) == (0, "n\n2\n")
    assert sha256(hand_db) == before


# ---------------------------------------------------------------------------------------------
# The server's paths (the database file, the secrets, extension and temp folders) stay hidden


def server_paths(hand_db) -> list[str]:
    from handoff import connection

    return [str(hand_db), str(hand_db.parent), str(ROOT), str(connection.TEMP_DIR), str(Path.home())]


@pytest.mark.parametrize(
    "statement",
    [
        "select * from duckdb_settings()",
        "select name, value from duckdb_settings() where value like '%/%'",
        "select path from duckdb_databases()",
        "select * from duckdb_databases",
        "select * from pragma_database_list",
        'select file from main."pragma_database_list"',
        "summarize pragma_database_list",
        "describe select * from duckdb_databases()",
        "select current_setting('temp_directory')",
        "select current_setting('secret_directory')",
        "select current_setting('home_directory')",
        "select current_setting('extension_directory')",
        "select current_setting(name) from (values ('secret_directory')) as t(name)",
        "select current_setting('secret_' || 'directory')",
        "show secret_directory",
        "show temp_directory",
        "select * from pg_catalog.pg_settings",
        "select install_path from duckdb_extensions()",
        "explain analyze select path from duckdb_databases()",
    ],
)
def test_a_statement_that_would_show_a_server_path_is_refused(hand_db, statement):
    with pytest.raises(console.ConsoleRefused) as refused:
        console.run(statement, db_path=hand_db)
    assert not [path for path in server_paths(hand_db) if path in str(refused.value)]


def test_no_catalog_function_view_or_setting_the_console_allows_shows_a_server_path(hand_db):
    import duckdb

    with duckdb.connect() as con:
        views = con.execute("select schema_name, view_name from duckdb_views() where internal").fetchall()
    arguments = {
        "range": "3",
        "generate_series": "1, 3",
        "unnest": "[1]",
        "repeat": "1, 2",
        "repeat_row": "1, num_rows = 2",
        "json_each": "'{\"a\": 1}'",
        "json_tree": "'{\"a\": 1}'",
        "histogram": "people, name",
        "histogram_values": "people, name",
        "pragma_table_info": "'people'",
        "pragma_show": "'people'",
        "pragma_storage_info": "'people'",
    }
    statements = [
        f"select * from {name}({arguments.get(name, '')})" for name in sorted(console.ALLOWED_TABLE_FUNCTIONS)
    ]
    statements += [f'select * from {schema}."{view}"' for schema, view in views]
    statements += [
        "select " + ", ".join(f"current_setting('{name}')" for name in sorted(console.READABLE_SETTINGS)),
        "show databases",
        "show all tables",
        "describe people",
        "summarize people",
    ]
    shown = 0
    for statement in statements:
        try:
            result = console.run(statement, db_path=hand_db)
        except HandoffError as exc:
            text = str(exc)
        else:
            text = result.frame.to_csv(index=False)
            shown += 1
        leaked = [path for path in server_paths(hand_db) if path in text]
        assert not leaked, f"{statement} shows {leaked}"
    assert shown >= len(statements) - len(console.PATH_REVEALING) - 5  # nearly all of them run
