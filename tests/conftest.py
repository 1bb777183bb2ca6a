"""Shared fixtures: a small demo database, and hand-made databases built from rows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from handoff import catalog  # noqa: F401  (every computed query is known, as in the app and the CLI)
from handoff.demo import build_demo
from tests.fixtures import AS_OF, DEMO_LEADS, DEMO_SEED, Rows, write_db

# The test companies describe 30 June 2026, months before today: no stale-data banner on their pages
# (AppTest and the servers the browser tests start inherit this); the banner's own tests set it low.
os.environ.setdefault("HANDOFF_STALE_AFTER_DAYS", "36500")
# Notes, actions and reviews go to a workspace of the test run's own, never the checkout's data/
# (a test that writes to one uses a tmp_path of its own).
os.environ.setdefault(
    "HANDOFF_WORKSPACE", str(Path(tempfile.mkdtemp(prefix="handoff-workspace-")) / "workspace.sqlite3")
)


@pytest.fixture
def make_db(tmp_path: Path) -> Callable[..., Path]:
    """Factory: make_db({'leads': [...], ...}) → the path of a fresh hand-made database."""
    counter = iter(range(1_000_000))

    def make(tables: Mapping[str, Rows], meta: Mapping[str, str] | None = None) -> Path:
        return write_db(tmp_path / f"hand-{next(counter)}.duckdb", tables, meta)

    return make


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A small demo company (4,000 leads, as of 30 June 2026), built once per test run."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return build_demo(path, leads=DEMO_LEADS, seed=DEMO_SEED, as_of=AS_OF)
