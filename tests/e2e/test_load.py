"""The short load test: 20 browser-like sessions open the pages while an import swaps the database.

The full version with figures is `python bench/load.py` (docs/security.md: Swapping the database); this one
keeps the suite quick: each session opens three pages once (together every page, with two sets of
filters), and the canonical export of another demo company is imported over the served file after
a third of the page runs. No page may fail, and every tile must show what the database before or
after the swap gives, never anything else (bench/load.py's `check`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil

import pytest

from bench.load import PAGES, canonical_export, run_load
from handoff.demo import build_demo
from tests.e2e.conftest import OUTPUT
from tests.fixtures import AS_OF
from tests.support import Server

pytestmark = pytest.mark.e2e

SESSIONS = 20
PAGES_PER_SESSION = 3
LINKS = [{}, {"period": "This year", "segment": "smb"}]


@pytest.fixture
def served(demo_db, tmp_path):
    """A copy of the demo database behind its own server (the import replaces it), and the files of
    another, smaller demo company to import."""
    db = tmp_path / "served.duckdb"
    shutil.copy(demo_db, db)
    other = build_demo(tmp_path / "other.duckdb", leads=1_000, seed=8, as_of=AS_OF)
    files = canonical_export(other)
    server = Server(db, OUTPUT / "load-streamlit.log")
    yield server, db, files
    server.stop()


def test_twenty_sessions_see_whole_databases_while_an_import_swaps_them(served):
    server, db, files = served
    load = run_load(
        server.url,
        db,
        files,
        SESSIONS,
        seconds=0,
        queries=LINKS,
        pages_per_session=PAGES_PER_SESSION,
        swap_after_runs=SESSIONS * PAGES_PER_SESSION // 3,
    )
    # Its own thread: Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        result = thread.submit(asyncio.run, load).result()
    assert not result.swap.error
    assert len(result.runs) == SESSIONS * PAGES_PER_SESSION
    assert {run.page for run in result.runs} == set(PAGES), "together the sessions open every page"
    assert any(run.started > result.swap.finished for run in result.runs), "some pages opened after the swap"
    assert not result.problems, "\n".join(result.problems[:20])
