"""Where things live: the project root, the query files, the default database."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = ROOT / "queries"
DATA_DIR = ROOT / "data"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema.sql"
DERIVED_FILE = Path(__file__).resolve().parent / "derived.sql"


def default_db_path() -> Path:
    """The database the app and CLI use: `HANDOFF_DB` if set, else `data/handoff.duckdb`."""
    configured = os.environ.get("HANDOFF_DB")
    return Path(configured).expanduser() if configured else DATA_DIR / "handoff.duckdb"
