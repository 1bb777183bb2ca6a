"""Where things live: the project root, the query files, the default database."""

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = ROOT / "data"
# All SQL: the public named queries in queries/, the fragments they share in queries/shared/, the
# feeders of computed queries in queries/internal/, the canonical schema and the derived tables.
QUERIES_DIR = ROOT / "queries"
SCHEMA_FILE = QUERIES_DIR / "schema.sql"
DERIVED_DIR = QUERIES_DIR / "derived"


def derived_files() -> list[Path]:
    """The derived-table files every writer runs after loading the canonical tables, in the order
    queries/derived/build_order.toml states (a table may read the ones before it)."""
    order = tomllib.loads((DERIVED_DIR / "build_order.toml").read_text())["order"]
    return [DERIVED_DIR / f"{name}.sql" for name in order]


def default_db_path() -> Path:
    """The database the app and CLI use: `HANDOFF_DB` if set, else `data/handoff.duckdb`."""
    configured = os.environ.get("HANDOFF_DB")
    return Path(configured).expanduser() if configured else DATA_DIR / "handoff.duckdb"
