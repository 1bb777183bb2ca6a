"""The workspace store: notes, agreed actions and reviews, in SQLite beside the analytics database.

The analytics database is replaced whole by every import and demo rebuild; the users' own work is
not, so it lives here. SQLite in WAL mode takes the small concurrent writes of a Streamlit server
(every write is one `BEGIN IMMEDIATE` transaction, synchronous FULL, so a write that returned is on
disk and a killed process leaves the file whole). The schema is versioned (`PRAGMA user_version`)
and migrated on open from `queries/workspace/migrations/`. Every change is a row of `changes`
(who, when, before, after); nothing is deleted, a dropped note or action keeps its row and history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from handoff.errors import HandoffError
from handoff.paths import DATA_DIR, QUERIES_DIR

WORKSPACE_SQL = QUERIES_DIR / "workspace"
MIGRATIONS = WORKSPACE_SQL / "migrations"
DEFAULT_PATH = DATA_DIR / "workspace.sqlite3"
BUSY_TIMEOUT_S = 30.0
_migrate_lock = threading.Lock()


class WorkspaceError(HandoffError):
    """The workspace file cannot be used, or a change to it is not allowed."""


def default_workspace_path() -> Path:
    """`HANDOFF_WORKSPACE` if set, else `data/workspace.sqlite3`."""
    configured = os.environ.get("HANDOFF_WORKSPACE")
    return Path(configured).expanduser() if configured else DEFAULT_PATH


@functools.cache
def schema_version() -> int:
    """The version the migrations bring a workspace to: the number of the last one."""
    return max((int(p.name.split("_", 1)[0]) for p in MIGRATIONS.glob("*.sql")), default=0)


def statement(name: str) -> str:
    """The SQL of one workspace statement (`queries/workspace/<name>.sql`)."""
    return (WORKSPACE_SQL / f"{name}.sql").read_text()


def now_text() -> str:
    """Now in UTC, as the workspace writes times: ISO 8601 to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def pack_bytes(html: str) -> bytes:
    return zlib.compress(html.encode("utf-8"), 6)


def pack_text(stored: bytes) -> str:
    return zlib.decompress(stored).decode("utf-8")


class Store:
    """One workspace file. Each call opens its own connection, so threads never share one."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_workspace_path()

    # -- connections and migrations ------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            con.row_factory = sqlite3.Row
            con.execute("pragma journal_mode = wal")
            con.execute("pragma synchronous = full")
            con.execute("pragma foreign_keys = on")
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"workspace {self.path} cannot be opened: {exc}") from None
        return con

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            self._migrate(con)
            yield con
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        if con.execute("pragma user_version").fetchone()[0] == schema_version():
            return
        with _migrate_lock:
            # Another process may be migrating too: the version is read inside the write lock.
            con.execute("begin immediate")
            try:
                version = con.execute("pragma user_version").fetchone()[0]
                target = schema_version()
                if version > target:
                    raise WorkspaceError(
                        f"workspace {self.path} is at schema version {version}, newer than this "
                        f"Handoff ({target}): upgrade Handoff, or point HANDOFF_WORKSPACE at another file"
                    )
                for path in sorted(MIGRATIONS.glob("*.sql")):
                    number = int(path.name.split("_", 1)[0])
                    if number > version:
                        for sql in _statements(path.read_text()):
                            con.execute(sql)
                        con.execute(f"pragma user_version = {number}")
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self.connection() as con:
            con.execute("begin immediate")
            try:
                yield con
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")

    def read(self, name: str, **params: Any) -> list[dict]:
        with self.connection() as con:
            return [dict(row) for row in con.execute(statement(name), params)]

    # -- changes -------------------------------------------------------------------------------

    def change(
        self,
        con: sqlite3.Connection,
        entity: str,
        entity_id: int,
        change: str,
        before: Mapping | None,
        after: Mapping | None,
        who: str,
    ) -> None:
        """Record one change (its row before and after, without a stored pack's bytes)."""
        con.execute(
            statement("change_insert"),
            {
                "entity": entity,
                "entity_id": entity_id,
                "change": change,
                "before_json": _json(before),
                "after_json": _json(after),
                "who": who,
                "at": now_text(),
            },
        )


def _json(row: Mapping | None) -> str | None:
    if row is None:
        return None
    return json.dumps({k: v for k, v in dict(row).items() if not isinstance(v, bytes)}, sort_keys=True)


def _statements(script: str) -> list[str]:
    """A migration's statements, split at the semicolons that end them (comments dropped)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
