"""Where things live: the project root, the query files, the default database."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
QUERIES_DIR = ROOT / "queries"
DATA_DIR = ROOT / "data"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema.sql"
# Derived tables, one file each, run in name order (a later file may read an earlier table).
DERIVED_DIR = Path(__file__).resolve().parent / "derived"


def derived_files() -> list[Path]:
    """The derived-table files every writer runs after loading the canonical tables."""
    return sorted(DERIVED_DIR.glob("*.sql"))


def default_db_path() -> Path:
    """The database the app and CLI use: `HANDOFF_DB` if set, else `data/handoff.duckdb`."""
    configured = os.environ.get("HANDOFF_DB")
    return Path(configured).expanduser() if configured else DATA_DIR / "handoff.duckdb"
