"""The one door to the database.

Readers go through `run_query(name, filters, **params)`: a named SQL file from `queries/`, bound
parameters only, a read-only connection with external access off, a cursor per call, a time limit
and a cache keyed on the database file's identity. Writers (the demo builder, the importer) go
through `build_database`, which writes a new file beside the old one and swaps it in atomically.

This and `handoff.connection` (the lean half that opens the file, which the SQL console's worker
process imports without pandas) are the only modules that import duckdb.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from handoff import cache, connection, console_worker
from handoff.connection import SCHEMA_VERSION
from handoff.errors import DatabaseMissing, DatabaseUnreadable, QueryError, QueryTimeout
from handoff.filters import Filters
from handoff.paths import SCHEMA_FILE, default_db_path, derived_files
from handoff.query_files import (  # noqa: F401  (the runner's names for what query files declare)
    PARAM_TYPES,
    QUERY_NAME,
    QueryParam,
    QuerySpec,
    bind_params,
    computed_query,
    list_queries,
    load_query,
    query_file,
    used_params,
)

TABLES = ("people", "campaigns", "leads", "touches", "deals", "targets")
DEFAULT_TIMEOUT_S = float(os.environ.get("HANDOFF_QUERY_TIMEOUT_S", "30"))

ParamValue = Any
DbPath = str | os.PathLike[str] | None


# ---------------------------------------------------------------------------------------------
# Opening and checking a database file


@dataclass(frozen=True)
class DbIdentity:
    """Which file, exactly: a rebuilt or swapped-in database gets a new identity."""

    path: str
    inode: int
    mtime_ns: int
    size: int


def resolve_db(db: DbPath = None) -> Path:
    """The database path to use: the argument, else `HANDOFF_DB`, else `data/handoff.duckdb`."""
    return Path(db).expanduser() if db else default_db_path()


def db_identity(db: DbPath = None) -> DbIdentity:
    """Stat the database file; raise `DatabaseMissing` if there is none."""
    path = resolve_db(db).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DatabaseMissing(
            f"no database at {path}: build one with `python -m handoff demo --db {path}`"
        ) from None
    if not path.is_file():
        raise DatabaseUnreadable(f"{path} is not a file")
    return DbIdentity(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


class _ConnectionPool:
    """One read-only connection per database file, reopened when the file is swapped.

    The connection to a swapped-out file is closed once no query runs on it; until then it keeps
    reading the old file whole, so a query in flight finishes on the data it started with.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_path: dict[str, tuple[DbIdentity, duckdb.DuckDBPyConnection]] = {}
        self._retired: list[duckdb.DuckDBPyConnection] = []

    def get(self, identity: DbIdentity) -> duckdb.DuckDBPyConnection:
        with self._lock:
            self._retired = [con for con in self._retired if not _closed(con)]
            current = self._by_path.get(identity.path)
            if current and current[0] == identity:
                return current[1]
            con = connection.open_read_only(identity.path)
            if current:
                self._retired += [] if _closed(current[1]) else [current[1]]
            self._by_path[identity.path] = (identity, con)
            return con

    def close_all(self) -> None:
        with self._lock:
            for con in [c for _, c in self._by_path.values()] + self._retired:
                _closed(con)
            self._by_path.clear()
            self._retired.clear()


def _closed(con: duckdb.DuckDBPyConnection) -> bool:
    """Close `con` unless a query is running on it; whether it is closed."""
    try:
        con.close()
        return True
    except duckdb.Error:  # "connection is busy": a cursor is mid-query
        return False


_pool = _ConnectionPool()


def close_connections() -> None:
    """Close every pooled connection (tests and the importer call this before swapping files)."""
    _pool.close_all()
    RESULTS.clear()


@contextlib.contextmanager
def read_cursor(db: DbPath = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the read-only connection of `db`, closed afterwards."""
    cur = connection.cursor(_pool.get(db_identity(db)))
    try:
        yield cur
    finally:
        cur.close()


def check_database(db: DbPath = None) -> DbIdentity:
    """Open `db` read-only and check its schema; return its identity or raise a `HandoffError`."""
    identity = db_identity(db)
    _pool.get(identity)
    return identity


def read_meta(db: DbPath = None) -> dict[str, str]:
    """The key/value facts recorded with the data (schema version, as-of date, source)."""
    with read_cursor(db) as cur:
        return dict(cur.execute("select key, value from handoff_meta order by key").fetchall())


# ---------------------------------------------------------------------------------------------
# Writing a database: always a new file, swapped in whole


def build_database(
    db: DbPath,
    fill: Callable[[duckdb.DuckDBPyConnection], Mapping[str, str] | None],
) -> Path:
    """Create a new database at `db` by running `fill` on a fresh schema, atomically.

    The file is built beside the target and renamed over it only when `fill` succeeded, so a
    failed or killed build leaves the previous database byte-identical. The derived tables of
    `queries/derived/` are built after `fill`. `fill` may return extra meta entries (as_of,
    source…) to record.
    """
    target = resolve_db(db).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(target)
    staging = target.with_name(f".{target.name}.building-{os.getpid()}-{threading.get_ident()}")
    staging.unlink(missing_ok=True)
    try:
        con = connection.open_for_writing(str(staging))
        try:
            con.execute(SCHEMA_FILE.read_text())
            extra_meta = fill(con) or {}
            build_derived_tables(con)
            check_touch_references(con)
            meta = {"schema_version": str(SCHEMA_VERSION), **{k: str(v) for k, v in extra_meta.items()}}
            con.executemany("insert into handoff_meta values (?, ?)", list(meta.items()))
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return target


def check_touch_references(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse touches whose lead, campaign or person does not exist. The schema leaves these foreign
    keys to the data-health check of references, run in bulk with the derived tables (row-by-row
    checks made writing 5 million touches 4× slower)."""
    broken = con.execute(
        "select record_id, detail from data_health_failures "
        "where check_name = 'references_resolve' and table_name = 'touches' order by record_id, detail limit 2"
    ).fetchall()
    if broken:
        touch_id, detail = broken[0]
        raise duckdb.ConstraintException(
            f"touch {touch_id!r}: {detail}"
            + (" (the first of several broken references)" if len(broken) > 1 else "")
        )


def build_derived_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build every derived table on a writable connection, in the order build_order.toml states."""
    for path in derived_files():
        con.execute(path.read_text())


def _remove_abandoned_builds(target: Path) -> None:
    """Delete staging files left beside `target` by builds whose process was killed."""
    for stale in target.parent.glob(f".{target.name}.building-*"):
        pid = stale.name.split("building-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not connection.process_alive(int(pid)):
            stale.unlink(missing_ok=True)


# Query results by (query, parameters, database identity): all-time results can be hundreds of MB,
# so they live in the one byte-bounded store (handoff.cache) with every other cache.
RESULTS = cache.Cache("query results", max_items=256, sizer=cache.frame_bytes)
frame_bytes = cache.frame_bytes


def _freeze(value: ParamValue) -> Any:
    return tuple(value) if isinstance(value, list) else value


def run_query(
    name: str,
    filters: Any = None,
    *,
    db: DbPath = None,
    timeout_s: float | None = None,
    **params: ParamValue,
) -> pd.DataFrame:
    """Run the named query from `queries/` and return its rows as a DataFrame.

    `filters` is a `Filters` value or a mapping (the shared filter set); `params` are the query's
    own parameters (mode, group_by…). Results are cached until the database file changes.
    """
    given: dict[str, ParamValue] = {}
    if isinstance(filters, Filters):
        given.update(filters.params())
    elif filters:
        given.update(filters)
    given.update(params)
    spec = load_query(name)
    bound = bind_params(spec, given)
    identity = db_identity(db)
    key = (
        name,
        spec.sql,
        tuple(sorted((k, _freeze(v)) for k, v in bound.items())),
        identity,
        spec.cache_key() if spec.cache_key else None,
    )
    cached = RESULTS.get(key)
    if cached is not None:
        return cached.copy(deep=False)  # copy-on-write (pandas 3): callers may change theirs freely
    if spec.compute is not None:
        frame = spec.compute(bound, identity.path)
    else:
        frame = execute(spec.sql, bound, identity=identity, timeout_s=timeout_s, label=name)
    RESULTS.put(key, frame)
    return frame.copy(deep=False)


def execute(
    sql: str,
    params: Mapping[str, ParamValue] | None = None,
    *,
    identity: DbIdentity | None = None,
    db: DbPath = None,
    timeout_s: float | None = None,
    label: str = "query",
) -> pd.DataFrame:
    """Run one statement on a fresh read-only cursor, interrupting it after `timeout_s` seconds."""
    identity = identity or db_identity(db)
    limit = DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s
    for attempt in (1, 2):
        try:
            cur = connection.cursor(_pool.get(identity))
        except duckdb.ConnectionException:  # closed as it was handed out: the file was swapped
            if attempt == 2:
                raise
            continue
        timer = threading.Timer(limit, cur.interrupt)
        timer.start()
        try:
            return _fetch_frame(cur, cur.sql(sql, params=dict(params or {})))
        except duckdb.InterruptException:
            raise QueryTimeout(f"{label} ran past its {limit:g} s time limit and was stopped") from None
        except duckdb.ConnectionException:
            # The pool swapped this file's connection mid-query; the retry uses the new one.
            if attempt == 2:
                raise
        except duckdb.IOException as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise DatabaseUnreadable(
                f"{identity.path} is damaged and cannot be read ({first_line})"
            ) from None
        except duckdb.Error as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise QueryError(f"{label} failed: {first_line}") from None
        finally:
            timer.cancel()
            cur.close()
    raise AssertionError("unreachable")


def _fetch_frame(cur: duckdb.DuckDBPyConnection, result: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The result exactly as DuckDB's own `.df()` gives it, dtypes included, but faster: the result
    comes as Arrow, and the common kinds of column (text, integers, floats, booleans, plain
    timestamps, dates) are handed to pandas from its buffers, where `.df()` builds a Python string
    per text value (about 1 s per million) and copies the rest. Other kinds (decimals, lists…) go
    back through DuckDB's own conversion."""
    table = result.to_arrow_table()
    columns = {
        name: _from_arrow(column) for name, column in zip(table.column_names, table.columns, strict=True)
    }
    others = [name for name, column in columns.items() if column is None]
    if others:
        rest = cur.from_arrow(table.select(others)).df()
        columns.update({name: rest[name] for name in others})
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def _from_arrow(column: pa.ChunkedArray) -> pd.Series | None:
    """One Arrow column as `.df()` converts it, or None for a kind left to DuckDB's conversion."""
    kind, has_nulls = column.type, column.null_count > 0
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        if column.null_count == len(column):  # .df() gives an empty or all-NULL text column as objects
            return pd.Series([None] * len(column), dtype=object)
        return column.to_pandas()
    if pa.types.is_floating(kind) or (
        not has_nulls and (pa.types.is_integer(kind) or pa.types.is_boolean(kind))
    ):
        return pd.Series(column.to_numpy())  # NULL floats are NaN, as .df() gives them
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        # With NULLs .df() gives pandas' masked arrays (Int64, boolean…).
        values, mask = (
            column.fill_null(False if pa.types.is_boolean(kind) else 0).to_numpy(),
            column.is_null().to_numpy(),
        )
        masked = pd.arrays.BooleanArray if pa.types.is_boolean(kind) else pd.arrays.IntegerArray
        return pd.Series(masked(values, mask))
    if pa.types.is_timestamp(kind) and kind.unit == "us" and kind.tz is None:
        return pd.Series(column.to_numpy())  # datetime64[us], NULL as NaT
    if pa.types.is_date32(kind):  # .df() gives dates as midnight timestamps
        return pd.Series(column.cast(pa.timestamp("us")).to_numpy())
    return None


@dataclass(frozen=True)
class LimitedResult:
    """One console statement's rows, whether more were left, and what it cost."""

    frame: pd.DataFrame
    truncated: bool
    elapsed_s: float
    peak_memory_mb: float


def execute_limited(
    sql: str, *, db: DbPath = None, caps: console_worker.Caps | None = None, label: str = "query"
) -> LimitedResult:
    """Run one statement read-only in a worker process of its own, under hard caps (a
    `console_worker.Caps`: wall-clock time, memory, spill size, result size, rows), for the SQL console.

    Unlike `execute`, nothing the statement allocates or how long it runs can touch this process:
    the worker is killed at the time limit, and its memory is capped by the kernel.
    """
    identity = db_identity(db)
    outcome = console_worker.run(sql, identity.path, caps or console_worker.Caps(), label=label)
    frame = pd.DataFrame(outcome.rows, columns=outcome.columns)
    return LimitedResult(frame, outcome.truncated, outcome.elapsed_s, outcome.peak_memory_mb)


def statement_types(sql: str) -> list[str]:
    """DuckDB's own parse of `sql`: the type of each statement (SELECT, INSERT, PRAGMA…).

    Raises QueryError if it does not parse. Lets the console judge statements by what the
    parser sees, not by string matching.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise QueryError(f"the statement does not parse: {first_line}") from None
    names = []
    for statement in statements:
        try:
            names.append(statement.type.name)
        except ValueError:  # a type the binding's enum cannot name (UPDATE EXTENSIONS)
            names.append("UNKNOWN")
    return names


def statement_tokens(sql: str) -> list[tuple[int, str, str]]:
    """DuckDB's own tokenizer over `sql`: (offset, kind, text) of each token, comments included
    (kind: keyword, identifier, operator, numeric_const, string_const or comment). The scanner is the
    parser's, so nested block comments, dollar quotes and quoted names split exactly as it sees them."""
    try:
        tokens = duckdb.tokenize(sql)
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise QueryError(f"the statement does not parse: {first_line}") from None
    ends = [start for start, _ in tokens[1:]] + [len(sql)]
    return [
        (start, kind.name, sql[start:end].strip()) for (start, kind), end in zip(tokens, ends, strict=True)
    ]
