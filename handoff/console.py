"""The SQL console's guarded read-only path, shared by the Explore page and `python -m handoff sql`.

Safe by construction, in three layers, each judged by DuckDB itself rather than by string matching:

1. The parser (`db.statement_types`) over the whole text: exactly one statement, and a read:
   SELECT-type (SELECT, WITH, FROM-first, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE) or EXPLAIN
   [ANALYZE] of one. DuckDB's own tokenizer (`db.statement_tokens`) finds where an EXPLAIN's
   statement starts, so nested block comments end where the parser ends them; that statement gets
   every check of any other, and the console runs `explain [analyze]` + exactly the checked text.
2. The syntax tree (DuckDB's `json_serialize_sql`): table functions only from an allow-list (range,
   unnest, catalog metadata…), so no read_csv/read_parquet/glob/query(); tables named by names,
   not by file paths or URLs; no function that changes session state (setseed, nextval…) or sleeps;
   nothing that shows the server's paths (duckdb_databases, pragma_database_list, duckdb_settings,
   current_setting and SHOW of any but READABLE_SETTINGS).
3. The process (`db.execute_limited`, `handoff.console_worker`): the statement runs in a worker
   process of its own, on the database file opened read-only with external access (files,
   network, extensions) off, autoload off and the configuration locked, under hard caps the
   kernel holds: memory (HANDOFF_CONSOLE_MEMORY_MB), spill files (HANDOFF_CONSOLE_TEMP_MB); the
   worker is killed at the time limit (HANDOFF_CONSOLE_TIMEOUT_S), at most `max_rows` rows come
   back and at most HANDOFF_CONSOLE_RESULT_MB of them.

Anything refused raises `ConsoleRefused` with a one-line reason; a failing or runaway statement
raises the runner's `QueryError`, `QueryTimeout` or `QueryStopped` (which cap it hit), also one line.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from handoff import db
from handoff.console_worker import Caps
from handoff.errors import QueryError

MAX_SQL_CHARS = 20_000
DEFAULT_TIMEOUT_S = float(os.environ.get("HANDOFF_CONSOLE_TIMEOUT_S", "15"))
DEFAULT_MAX_ROWS = int(os.environ.get("HANDOFF_CONSOLE_MAX_ROWS", "10000"))
# The worker process's hard caps: its memory, its spill files, and the answer the server reads.
DEFAULT_MEMORY_MB = int(os.environ.get("HANDOFF_CONSOLE_MEMORY_MB", "1024"))
DEFAULT_TEMP_MB = int(os.environ.get("HANDOFF_CONSOLE_TEMP_MB", "1024"))
DEFAULT_RESULT_MB = int(os.environ.get("HANDOFF_CONSOLE_RESULT_MB", "64"))
# A result the app keeps in the session between reruns may be at most this big; a larger one is
# shown once, and Run shows it again.
MAX_KEPT_BYTES = 8_000_000
READS = "SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN"

# What each refused statement type would do, in the words of the refusal.
REFUSED_TYPES = {
    "INSERT": "changes data",
    "UPDATE": "changes data",
    "DELETE": "changes data",
    "MERGE_INTO": "changes data",
    "CREATE": "changes the schema",
    "DROP": "changes the schema",
    "ALTER": "changes the schema",
    "CREATE_FUNC": "changes the schema",
    "COPY": "reads or writes files",
    "EXPORT": "writes files",
    "COPY_DATABASE": "copies a database",
    "ATTACH": "opens another database",
    "DETACH": "closes a database",
    "LOAD": "installs or loads an extension",
    "EXTENSION": "installs or loads an extension",
    "UPDATE_EXTENSIONS": "updates extensions",
    "SET": "changes a setting",
    "VARIABLE_SET": "sets a variable",
    "PRAGMA": "runs a pragma (settings and maintenance)",
    "CALL": "calls a procedure",
    "TRANSACTION": "controls transactions",
    "PREPARE": "prepares a statement",
    "EXECUTE": "executes a prepared statement",
    "VACUUM": "maintains the database file",
    "ANALYZE": "maintains the database file",
    "MULTI": "runs several statements behind the scenes (PIVOT/UNPIVOT: use GROUP BY with FILTER instead)",
    "RELATION": "is not a plain SQL statement",
    "LOGICAL_PLAN": "is not a plain SQL statement",
}

# Table functions that read nothing but this database or their own arguments.
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "repeat_row",
        "json_each",
        "json_tree",
        "histogram",
        "histogram_values",
        "duckdb_columns",
        "duckdb_constraints",
        "duckdb_dependencies",
        "duckdb_functions",
        "duckdb_indexes",
        "duckdb_keywords",
        "duckdb_schemas",
        "duckdb_sequences",
        "duckdb_tables",
        "duckdb_types",
        "duckdb_views",
        "duckdb_optimizers",
        "duckdb_memory",
        "pragma_table_info",
        "pragma_show",
        "pragma_version",
        "pragma_database_size",
        "pragma_storage_info",
        "pragma_collations",
        "pragma_platform",
        "pg_timezone_names",
        "icu_calendar_names",
    }
)

# Catalog functions and views that show where the server keeps things (the database file, the
# secrets, extension and temp folders): a viewer has no business with the server's paths.
PATH_REVEALING = {
    "duckdb_databases": "shows the database file's path",
    "pragma_database_list": "shows the database file's path",
    "duckdb_settings": "shows settings that are server paths",
    "pg_settings": "shows settings that are server paths",
    "duckdb_extensions": "shows where extensions are installed",
}

# Settings current_setting() and SHOW may read: none of them a path, a password or a user name.
READABLE_SETTINGS = frozenset(
    {
        "memory_limit",
        "max_memory",
        "threads",
        "worker_threads",
        "max_temp_directory_size",
        "enable_external_access",
        "lock_configuration",
        "autoload_known_extensions",
        "autoinstall_known_extensions",
        "access_mode",
        "max_execution_time",
        "preserve_insertion_order",
        "timezone",
        "calendar",
        "default_order",
        "default_null_order",
        "null_order",
        "integer_division",
        "storage_compatibility_version",
    }
)

# Scalar functions that change session state, write, sleep or run SQL text of their own.
REFUSED_FUNCTIONS = {
    "setseed": "changes the session's random seed",
    "nextval": "advances a sequence",
    "setval": "changes a sequence",
    "currval": "reads a sequence's session state",
    "write_log": "writes to the log",
    "sleep_ms": "sleeps",
    "pg_sleep": "sleeps",
    "json_execute_serialized_sql": "runs SQL of its own",
}

# Starting points for analysts, each a read over the canonical tables.
EXAMPLES = {
    "Leads by channel": (
        "select channel, count(*) as lead_count,\n"
        "       count(mql_at) / count(*) as lead_to_mql_rate\n"
        "from leads\ngroup by channel\norder by lead_count desc"
    ),
    "Speed to lead by rep": (
        "select p.name as owner, count(*) as mql_count,\n"
        "       median(m.speed_to_lead_hours) as median_speed_to_lead_hours\n"
        "from lead_milestones as m\njoin leads as l using (lead_id)\n"
        "join people as p on p.person_id = l.owner_id\nwhere m.mql_at is not null\n"
        "group by p.name\norder by median_speed_to_lead_hours"
    ),
    "Bookings by month": (
        "select date_trunc('month', closed_at) as month, sum(amount) as bookings_usd,\n"
        "       count(*) as won_deal_count\n"
        "from deals\nwhere stage = 'won'\ngroup by month\norder by month"
    ),
    "Touches before a deal": (
        "select t.channel, t.team, count(*) as touch_count\n"
        "from touches as t\njoin lead_milestones as m using (lead_id)\n"
        "where m.opportunity_at is not null and t.touched_at < m.opportunity_at\n"
        "group by all\norder by touch_count desc"
    ),
    "Describe a table": "describe deals",
}

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_EXPLAIN_FORM = "EXPLAIN takes a plain SELECT: EXPLAIN SELECT … or EXPLAIN ANALYZE SELECT …"


class ConsoleRefused(QueryError):
    """A console statement that is not a single read; the message says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")


@dataclass(frozen=True)
class Checked:
    """A statement the console accepted: its kind, and the exact text it runs, which is the text it
    checked (for EXPLAIN, `explain [analyze]` and the checked statement, whatever preceded them)."""

    kind: str  # SELECT or EXPLAIN
    sql: str


@dataclass(frozen=True)
class ConsoleResult:
    """What one console run produced: the rows shown, whether more were left, how long it took
    (its worker process from start to end) and the worker's peak memory."""

    frame: pd.DataFrame
    truncated: bool
    elapsed_s: float
    max_rows: int
    kind: str  # SELECT or EXPLAIN
    peak_memory_mb: float = 0.0

    def summary(self) -> str:
        """One line for people: '1,234 rows in 0.12 s', with the row cap when it cut the result."""
        rows = len(self.frame)
        text = f"{rows:,} row{'' if rows == 1 else 's'} in {self.elapsed_s:.2f} s"
        if self.truncated:
            text += f"; showing the first {self.max_rows:,} (row cap), the result has more"
        return text


def check(sql: str, *, db_path: db.DbPath = None) -> Checked:
    """Judge `sql` without running it, by DuckDB's own parser and syntax tree of the whole text:
    return what the console will run, or raise ConsoleRefused."""
    if len(sql) > MAX_SQL_CHARS:
        raise ConsoleRefused(
            f"the statement is {len(sql):,} characters long; the console takes at most {MAX_SQL_CHARS:,}"
        )
    kinds = _statement_types(sql)
    if not kinds:
        raise ConsoleRefused("there is no statement to run (only whitespace or comments)")
    if len(kinds) > 1:
        raise ConsoleRefused(f"one statement at a time; this is {len(kinds)} ({', '.join(kinds)})")
    kind = kinds[0]
    if kind == "EXPLAIN":
        analyze, inner = _explained(sql)
        _check_tree(inner, db_path)
        # Run what was checked: EXPLAIN of exactly the inner text, whatever came before it.
        return Checked(kind, f"explain {'analyze ' if analyze else ''}{inner}")
    if kind != "SELECT":
        what = REFUSED_TYPES.get(kind, "is not a read")
        raise ConsoleRefused(f"{kind} {what}; the console runs only reads ({READS})")
    _check_tree(sql, db_path)
    return Checked(kind, sql)


def run(
    sql: str,
    *,
    db_path: db.DbPath = None,
    timeout_s: float | None = None,
    max_rows: int | None = None,
    memory_mb: int | None = None,
) -> ConsoleResult:
    """Check `sql`, then run exactly what was checked in a worker process of its own, read-only,
    under the caps (time, memory, spill, result size, rows): the defaults, or those given here."""
    checked = check(sql, db_path=db_path)
    caps = caps_in_force(timeout_s=timeout_s, max_rows=max_rows, memory_mb=memory_mb)
    result = db.execute_limited(checked.sql, db=db_path, caps=caps, label="the query")
    return ConsoleResult(
        result.frame, result.truncated, result.elapsed_s, caps.max_rows, checked.kind, result.peak_memory_mb
    )


def caps_in_force(
    *, timeout_s: float | None = None, max_rows: int | None = None, memory_mb: int | None = None
) -> Caps:
    """The console's caps: the HANDOFF_CONSOLE_* settings, with any of them overridden."""
    return Caps(
        timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
        memory_mb=DEFAULT_MEMORY_MB if memory_mb is None else memory_mb,
        temp_mb=DEFAULT_TEMP_MB,
        result_mb=DEFAULT_RESULT_MB,
        max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows,
    )


def worth_keeping(result: ConsoleResult) -> bool:
    """Whether a result is small enough to keep in the app's session between reruns (8 MB)."""
    return db.frame_bytes(result.frame) <= MAX_KEPT_BYTES


def introduction() -> str:
    """What the console is and its guards, in one caption."""
    guards = ", ".join(f"{name} {value}" for name, value in limits().items())
    return (
        f"Read-only SQL over the whole database: the sidebar filters don't apply here. One statement "
        f"at a time ({READS}); {guards}."
    )


def limits() -> dict[str, str]:
    """The guards in force, for people: time limit, row cap and memory limit."""
    return {
        "time limit": f"{DEFAULT_TIMEOUT_S:g} s",
        "row cap": f"{DEFAULT_MAX_ROWS:,} rows",
        "memory limit": f"{DEFAULT_MEMORY_MB:,} MB",
    }


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as a Parquet file; columns of mixed Python objects are written as text."""
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except (TypeError, ValueError, NotImplementedError):  # pyarrow refuses columns of mixed objects
        buffer = io.BytesIO()
        safe = frame.copy()
        for column in safe.columns[safe.dtypes == object]:  # noqa: E721 - a column mask, not a type test
            safe[column] = safe[column].map(lambda v: None if v is None else str(v))
        safe.to_parquet(buffer, index=False)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The checks


def _statement_types(sql: str) -> list[str]:
    try:
        kinds = db.statement_types(sql)
    except QueryError as exc:
        raise ConsoleRefused(str(exc)) from None
    if "UNKNOWN" in kinds:
        # The parser returned a statement type this DuckDB binding cannot name (UPDATE EXTENSIONS…).
        raise ConsoleRefused(
            f"DuckDB parses this as a statement type the console does not know; it runs only reads ({READS})"
        )
    return kinds


def _explained(sql: str) -> tuple[bool, str]:
    """Whether `sql` (an EXPLAIN) is EXPLAIN ANALYZE, and the statement it explains, which must itself
    be one read. Split by DuckDB's own tokenizer, so comments of any shape end where the parser ends them."""
    try:
        words = [(start, text.lower()) for start, kind, text in db.statement_tokens(sql) if kind != "comment"]
    except QueryError as exc:
        raise ConsoleRefused(str(exc)) from None
    # Empty statements before it (`; explain …`): the parser found only the EXPLAIN, so they are nothing.
    while words and words[0][1] == ";":
        words.pop(0)
    analyze = len(words) > 1 and words[1][1] in ("analyze", "analyse")
    rest = words[2:] if analyze else words[1:]
    if not words or words[0][1] != "explain" or not rest:
        raise ConsoleRefused(_EXPLAIN_FORM)
    inner = sql[rest[0][0] :]
    try:
        kinds = db.statement_types(inner)
    except QueryError:
        raise ConsoleRefused(_EXPLAIN_FORM) from None
    if kinds != ["SELECT"]:
        what = ", ".join(kinds) or "missing"
        raise ConsoleRefused(f"EXPLAIN of a {what} statement; the console explains only reads")
    return analyze, inner


def _check_tree(sql: str, db_path: db.DbPath) -> None:
    """Walk DuckDB's own syntax tree of a SELECT for table functions, table names and functions."""
    try:
        frame = db.execute(
            "select json_serialize_sql($sql::varchar) as tree",
            {"sql": sql},
            db=db_path,
            label="checking the statement",
        )
    except QueryError as exc:
        raise ConsoleRefused(f"the statement could not be checked ({exc})") from None
    tree = json.loads(frame["tree"].iloc[0])
    if tree.get("error"):
        message = str(tree.get("error_message", "unknown error")).strip().splitlines()[0]
        raise ConsoleRefused(
            f"the statement could not be checked ({message}); the console runs only reads it can check"
        )
    for node in _nodes(tree):
        node_type = node.get("type")
        if node_type == "TABLE_FUNCTION":
            name = _function_name(node.get("function") or {})
            if name in PATH_REVEALING:
                raise ConsoleRefused(
                    f"{name}() {PATH_REVEALING[name]}; the console does not show the server's paths"
                )
            if name not in ALLOWED_TABLE_FUNCTIONS:
                raise ConsoleRefused(
                    f"the table function {name}() can read files, the network or run SQL of its own; "
                    "the console reads only this database (range, unnest and the duckdb_* catalog "
                    "functions are allowed)"
                )
        elif node_type in ("BASE_TABLE", "SHOW_REF"):
            _check_table_names(node)
        elif node.get("class") == "FUNCTION":
            name = _function_name(node)
            if name in REFUSED_FUNCTIONS:
                raise ConsoleRefused(f"{name}() {REFUSED_FUNCTIONS[name]}; the console runs only reads")
            if name == "current_setting":
                _check_setting(_constant_text(_arguments(node)[:1]), "current_setting(…)")


def _check_table_names(node: dict[str, Any]) -> None:
    """A table (or what DESCRIBE, SUMMARIZE and SHOW name) must be a name of this database, not a
    file path or URL, nor a catalog view of server paths; `SHOW name` reads a setting."""
    for key in ("catalog_name", "schema_name", "table_name"):
        name = str(node.get(key) or "")
        bare = name[1:-1] if len(name) > 1 and name[0] == name[-1] == '"' else name
        if bare and not _NAME.match(bare):
            raise ConsoleRefused(
                f"{name!r} looks like a file path or URL, not a table; "
                "the console reads only this database's tables"
            )
        if key == "table_name" and bare.lower() in PATH_REVEALING:
            raise ConsoleRefused(
                f"{bare} {PATH_REVEALING[bare.lower()]}; the console does not show the server's paths"
            )
    if node.get("type") == "SHOW_REF" and node.get("show_type") == "SHOW":
        _check_setting(str(node.get("table_name") or ""), "SHOW")


def _check_setting(name: str | None, how: str) -> None:
    """Refuse reading a setting that may be a server path or a secret (only READABLE_SETTINGS)."""
    if name is None or name.strip('"').lower() not in READABLE_SETTINGS:
        shown = "a computed setting name" if name is None else repr(name.strip('"'))
        raise ConsoleRefused(
            f"{how} of {shown}: the console reads only settings that are neither server paths nor secrets "
            "(memory_limit, threads, TimeZone, enable_external_access, …); for a table's columns, use DESCRIBE"
        )


def _arguments(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A function node's argument expressions (DuckDB 2 wraps each in {name, expression})."""
    return [item.get("expression", item) for item in node.get("arguments") or node.get("children") or []]


def _constant_text(arguments: list[dict[str, Any]]) -> str | None:
    """The text of a single constant string argument, else None."""
    if len(arguments) != 1 or arguments[0].get("class") != "CONSTANT":
        return None
    literal = arguments[0].get("literal") or arguments[0].get("value") or {}
    return literal.get("text") if isinstance(literal, dict) and isinstance(literal.get("text"), str) else None


def _function_name(node: dict[str, Any]) -> str:
    return str(node.get("function_name", "")).lower()


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON tree, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
