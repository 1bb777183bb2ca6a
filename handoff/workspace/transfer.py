"""Back the workspace up to one JSON file and restore it (`python -m handoff workspace export|import`).

The file holds every row of every table, the changes' history included, and a closed review's pack
(base64). A restore replaces the workspace's rows in one transaction: it succeeds whole or leaves the
workspace as it was; a row the schema refuses is named (table, row, why).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

from handoff.files import replacing_file
from handoff.workspace.store import Store, WorkspaceError, now_text, schema_version

FORMAT = "handoff-workspace"
TABLES = ("reviews", "notes", "actions", "changes")  # in the order their references allow


def export_workspace(store: Store, out: str | Path) -> dict[str, int]:
    """Write every row to `out` (JSON); return the rows written per table."""
    with store.connection() as con:
        tables = {t: [dict(r) for r in con.execute(f"select * from {t} order by 1")] for t in TABLES}  # noqa: S608 - fixed names
    for row in tables["reviews"]:
        if row.get("pack_html") is not None:
            row["pack_html"] = base64.b64encode(row["pack_html"]).decode("ascii")
    document = {
        "format": FORMAT,
        "schema_version": schema_version(),
        "exported_at": now_text(),
        "tables": tables,
    }
    with replacing_file(Path(out)) as partial:
        partial.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    return {t: len(rows) for t, rows in tables.items()}


def import_workspace(store: Store, source: str | Path) -> dict[str, int]:
    """Replace the workspace's rows with those of an export; refuse a file that is not one."""
    tables = _read_export(Path(source))
    with store.writing() as con:
        columns = {t: [r[1] for r in con.execute(f"pragma table_info({t})")] for t in TABLES}
        for table in reversed(TABLES):
            con.execute(f"delete from {table}")  # noqa: S608 - fixed names
        for table in TABLES:
            for number, row in enumerate(tables[table], start=1):
                unknown = set(row) - set(columns[table])
                if unknown:
                    raise WorkspaceError(
                        f"{Path(source).name}: {table} row {number} has unknown columns {', '.join(sorted(unknown))}"
                    )
                if table == "reviews" and row.get("pack_html") is not None:
                    row = {**row, "pack_html": base64.b64decode(row["pack_html"])}
                names = list(row)
                try:
                    con.execute(
                        f"insert into {table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",  # noqa: S608
                        [row[n] for n in names],
                    )
                except sqlite3.Error as exc:
                    raise WorkspaceError(f"{Path(source).name}: {table} row {number}: {exc}") from None
    return {t: len(rows) for t, rows in tables.items()}


def _read_export(path: Path) -> dict[str, list[dict]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkspaceError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkspaceError(f"{path.name} is not a workspace export (not JSON: {exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise WorkspaceError(f'{path.name} is not a workspace export (no "format": "{FORMAT}")')
    version = document.get("schema_version")
    if not isinstance(version, int) or version > schema_version():
        raise WorkspaceError(
            f"{path.name} is a workspace of schema version {version!r}; this Handoff reads up to {schema_version()}"
        )
    tables = document.get("tables")
    if not isinstance(tables, dict) or any(not isinstance(tables.get(t, []), list) for t in TABLES):
        raise WorkspaceError(
            f'{path.name}: "tables" must hold a list of rows for each of {", ".join(TABLES)}'
        )
    for table in TABLES:
        for number, row in enumerate(tables.get(table, []), start=1):
            if not isinstance(row, dict):
                raise WorkspaceError(f"{path.name}: {table} row {number} is not an object")
    return {t: tables.get(t, []) for t in TABLES}
