"""The database file, opened: read-only with its guards for a reader, or a new file for a writer.

The lean half of the one door. It imports duckdb and nothing heavier (no pandas, no pyarrow), so
the SQL console's worker (`handoff.console_worker`), a fresh process for every statement, starts
in about 0.2 s; `handoff.db` builds the rest of the door on top of it. These two are the only
modules that import duckdb.

Every DuckDB instance Handoff opens spills what does not fit in memory to one folder,
`data/.tmp/` (`HANDOFF_TEMP_DIR`), with a cap on its size (`HANDOFF_TEMP_MB`), never to DuckDB's
default `.tmp` in whatever the working directory happens to be. DuckDB names each instance's
files after its process (`duckdb_temp_<pid>_<n>_…`) and deletes them on close; the files of a
process that was killed are deleted by the next process that opens a connection.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb

from handoff.errors import DatabaseUnreadable, ForeignDatabase, QueryError, SchemaMismatch
from handoff.paths import DATA_DIR

SCHEMA_VERSION = 5

# The database file is attached under this name to a private in-memory DuckDB.
CATALOG = "handoff"

# Where every connection spills, and how much it may write there. The project's own data/ folder,
# whichever database is opened: a file given with --db may sit in a folder this server must not
# write to (a read-only share, a backup folder), and one folder is one place to cap and to clean.
TEMP_DIR = Path(os.environ.get("HANDOFF_TEMP_DIR") or DATA_DIR / ".tmp").expanduser()
TEMP_MB = int(os.environ.get("HANDOFF_TEMP_MB", "4096"))
_SPILL_PREFIX = "duckdb_temp_"

# The guards of every read-only connection. External access goes off and the configuration is locked
# right after the file is attached, so no statement can switch them back on.
READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "memory_limit": os.environ.get("HANDOFF_MEMORY_LIMIT", "4GB"),
    "lock_configuration": True,
}
_LOCKED_AT_ATTACH = ("enable_external_access", "lock_configuration")

# A DuckDB file is three 4 KiB headers, then its blocks.
_FILE_HEADER_BYTES = 3 * 4096


# ---------------------------------------------------------------------------------------------
# Spill files


_swept: set[Path] = set()
_sweep_lock = threading.Lock()


def spill_settings(max_mb: int | None = None) -> dict[str, str]:
    """DuckDB's temp settings for a new instance: the temp folder, and at most `max_mb` (default
    `TEMP_MB`) of spill files in it. The first call in a process removes what dead processes left."""
    folder = TEMP_DIR
    with _sweep_lock:
        if folder not in _swept:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                ignore = folder / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# DuckDB's spill files: scratch space of running processes.\n*\n")
            except OSError:  # a read-only data folder: queries still run, a spill fails with its reason
                pass
            remove_spill_files(dead_only=True)
            _swept.add(folder)
    return {"temp_directory": str(folder), "max_temp_directory_size": f"{max_mb or TEMP_MB}MiB"}


def remove_spill_files(pid: int | None = None, *, dead_only: bool = False) -> int:
    """Delete spill files in the temp folder: those of process `pid`, or (`dead_only`) those of every
    process that no longer runs. Returns how many were deleted."""
    removed = 0
    try:
        entries = list(TEMP_DIR.iterdir())
    except OSError:
        return 0
    for entry in entries:
        owner = entry.name.removeprefix(_SPILL_PREFIX).split("_", 1)[0]
        if not entry.name.startswith(_SPILL_PREFIX) or not owner.isdigit():
            continue
        if (pid is not None and int(owner) == pid) or (dead_only and not process_alive(int(owner))):
            try:
                entry.unlink()
                removed += 1
            except OSError:  # another process swept it first
                pass
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------------------------
# Opening the file


def open_read_only(
    path: str,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_mb: int | None = None,
    write_folder: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A private DuckDB instance with `path` attached read-only, then external access off and locked.

    Not `duckdb.connect(path)`: DuckDB keeps one instance per path, so after a new file is renamed
    over the path, a connection opened while a query still ran on the old one would get the old file.
    `memory_limit`, `threads` and `temp_mb` override the defaults (the console's worker runs tighter).
    `write_folder` is the one folder its statements may reach besides the database (the export's
    staging folder, for `copy_to_file`); the lock keeps every other file out of reach.
    """
    startup = {k: v for k, v in READ_ONLY_CONFIG.items() if k not in _LOCKED_AT_ATTACH}
    startup.update(spill_settings(temp_mb))  # before the lock: afterwards nothing can move it
    if memory_limit:
        startup["memory_limit"] = memory_limit
    if threads:
        startup["threads"] = threads
    con = duckdb.connect(":memory:", config=startup)
    try:
        con.execute(f"attach '{_quoted(path)}' as {CATALOG} (read_only)")
        con.execute(f"use {CATALOG}")
        if write_folder:
            con.execute(f"set allowed_directories = ['{_quoted(write_folder.rstrip('/') + '/')}']")
        for key in _LOCKED_AT_ATTACH:
            con.execute(f"set {key} = {str(bool(READ_ONLY_CONFIG[key])).lower()}")
    except duckdb.Error as exc:
        con.close()
        raise DatabaseUnreadable(f"{path} is not a readable DuckDB database ({_first_line(exc)})") from None
    try:
        check_complete(con, path)
        check_schema(con, path)
    except duckdb.Error as exc:
        con.close()
        raise DatabaseUnreadable(f"{path} is damaged and cannot be read ({_first_line(exc)})") from None
    except Exception:
        con.close()
        raise
    return con


def open_for_writing(path: str) -> duckdb.DuckDBPyConnection:
    """A new database file at `path` for a writer, spilling to the temp folder like every reader."""
    return duckdb.connect(path, config=spill_settings())


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor reading the attached database file (a cursor starts in the in-memory catalog)."""
    cur = con.cursor()
    cur.execute(f"use {CATALOG}")
    return cur


def check_complete(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Refuse a file cut short (an interrupted copy, a full disk) before a query reads past its end."""
    cur = cursor(con)
    try:
        block_size, total_blocks = cur.execute(
            "select block_size, total_blocks from pragma_database_size() where database_name = ?", [CATALOG]
        ).fetchone()
    finally:
        cur.close()
    expected, actual = _FILE_HEADER_BYTES + block_size * total_blocks, os.path.getsize(path)
    if actual < expected:
        raise DatabaseUnreadable(
            f"{path} is truncated: {actual:,} of the {expected:,} bytes its header promises "
            "(an interrupted copy or a full disk?)"
        )


def check_schema(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Refuse a database that Handoff did not write, or wrote with another schema version."""
    cur = cursor(con)
    try:
        has_meta = cur.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_name = 'handoff_meta'"
        ).fetchone()[0]
        if not has_meta:
            raise ForeignDatabase(
                f"{path} is a DuckDB file but not a Handoff database (no handoff_meta table)"
            )
        row = cur.execute("select value from handoff_meta where key = 'schema_version'").fetchone()
    finally:
        cur.close()
    found = row[0] if row else "none"
    if found != str(SCHEMA_VERSION):
        raise SchemaMismatch(
            f"{path} has schema version {found}; this Handoff reads version {SCHEMA_VERSION}: "
            "rebuild it with `python -m handoff demo` or re-import your data"
        )


# ---------------------------------------------------------------------------------------------
# Running one statement (the console's worker)


def fetch_rows(
    con: duckdb.DuckDBPyConnection, sql: str, max_rows: int
) -> tuple[list[str], list[tuple], bool]:
    """Run `sql` on a new cursor and fetch at most `max_rows` rows: (column names, rows, whether
    more were left). A failure raises the DuckDB error; `failure` says what it means."""
    cur = cursor(con)
    try:
        result = cur.execute(sql)
        columns = [column[0] for column in (result.description or [])]
        rows = result.fetchmany(max_rows + 1)
    finally:
        cur.close()
    return columns, rows[:max_rows], len(rows) > max_rows


def copy_to_file(
    con: duckdb.DuckDBPyConnection,
    query: str,
    target: str,
    options: str,
    params: Sequence[object] = (),
    *,
    label: str = "copy",
) -> None:
    """Write the rows of `query` to the file `target` with DuckDB's `COPY … TO` (`options` as COPY
    takes them: `format csv, header true`), on a new cursor. A failure to write the file is an
    OSError with the system's reason and errno (a full disk is ENOSPC), as a Python write's would be;
    any other failure a QueryError naming `label`."""
    cur = cursor(con)
    try:
        cur.execute(f"copy ({query}) to '{_quoted(target)}' ({options})", list(params))
    except duckdb.IOException as exc:
        found = re.search(r'"errno":"(\d+)"', str(exc))
        if found:
            raise OSError(int(found[1]), os.strerror(int(found[1])), target) from None
        raise OSError(f"{target}: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        raise QueryError(f"{label} failed: {_first_line(exc)}") from None
    finally:
        cur.close()


def failure(exc: BaseException) -> tuple[str, str]:
    """What a failed statement ran into, as (cap, first line of the error): cap is "memory" (out of
    memory under the cap), "disk" (the spill cap) or "" (any other failure)."""
    message = _first_line(exc)
    if isinstance(exc, MemoryError):
        return "memory", "out of memory"
    if isinstance(exc, duckdb.OutOfMemoryException):
        spill_cap = "max_temp_directory_size" in str(exc) or "temp_directory" in str(exc)
        return ("disk" if spill_cap else "memory"), message
    if isinstance(exc, duckdb.IOException) and "File too large" in str(exc):  # RLIMIT_FSIZE
        return "disk", message
    return "", message


def _quoted(text: str) -> str:
    """`text` inside a SQL string literal (a path: it cannot be a bound parameter)."""
    return text.replace("'", "''")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
