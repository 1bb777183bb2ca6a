"""The Data page's limits in AppTest: a row cap per upload, stated on the page, and nothing large kept
in session state between reruns (a checked upload is a summary and paths; the rows are read again
on import), so a second tab or an abandoned check holds no data."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest

from handoff import db, ingest
from tests.app.conftest import no_exception, read

HEADER = "lead_id,created_at,channel,sourced_by,segment,region\n"


@pytest.fixture
def writable(monkeypatch, demo_db, tmp_path):
    """A copy of the demo database for the page to replace, and uploads kept in tmp_path."""
    path = tmp_path / "handoff.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("HANDOFF_DB", str(path))
    monkeypatch.setattr(ingest.view, "UPLOADS_DIR", tmp_path / "uploads")
    return path


def _leads_csv(rows: int) -> bytes:
    return (
        HEADER + "".join(f"L{i},2026-01-0{1 + i % 9} 09:00:00,email,marketing,smb,NA\n" for i in range(rows))
    ).encode()


def _check(at, content: bytes):
    at.file_uploader(key="data_uploads").set_value(("leads.csv", content, "text/csv"))
    at.run()
    at.button(key="data_check_files").click().run()
    no_exception(at)
    return at


def _rows_held(value, seen=None) -> int:
    """Rows of every DataFrame reachable from a session-state value."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, pd.DataFrame):
        return len(value)
    if isinstance(value, dict):
        return sum(_rows_held(v, seen) for v in value.values())
    if isinstance(value, (list, tuple, set)):
        return sum(_rows_held(v, seen) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_rows_held(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    return 0


def test_the_page_states_the_row_limit(app, writable, monkeypatch):
    monkeypatch.setenv("HANDOFF_IMPORT_MAX_ROWS", "1234")
    at = app("data")
    no_exception(at)
    assert any(
        "1,234 rows an upload" in read(c.value) and "HANDOFF_IMPORT_MAX_ROWS" in read(c.value)
        for c in at.caption
    )


def test_an_upload_over_the_row_limit_is_refused_naming_file_rows_and_limit(app, writable, monkeypatch):
    monkeypatch.setenv("HANDOFF_IMPORT_MAX_ROWS", "100")
    before = writable.read_bytes()
    at = _check(app("data"), _leads_csv(150))
    assert any(
        "leads.csv has at least 150 rows" in e.value
        and "limit of 100 rows" in e.value
        and "HANDOFF\\_IMPORT\\_MAX\\_ROWS" in e.value
        for e in at.error
    ), [e.value for e in at.error]
    assert "data_confirm" not in [b.key for b in at.button]
    assert writable.read_bytes() == before


def test_a_checked_upload_keeps_no_rows_in_session_state_and_still_imports(app, writable):
    at = _check(app("data"), _leads_csv(3000))
    assert "rows mapped" in at.success[0].value
    state = at._session_state.filtered_state
    held = {key: _rows_held(value) for key, value in state.items()}
    assert sum(held.values()) < 100, f"rows kept in session state between reruns: {held}"
    assert not any(isinstance(v, ingest.Plan) for v in state.values())
    at.checkbox(key="data_import_sure").check().run()
    at.button(key="data_confirm").click().run()
    no_exception(at)
    counts = db.run_query("data__table_counts", db=writable).set_index("table_name")
    assert counts.loc["leads", "row_count"] == 3000


def test_an_import_after_a_newer_upload_cleared_the_files_says_so_and_writes_nothing(app, writable):
    at = _check(app("data"), _leads_csv(30))
    checked = at._session_state.filtered_state["data_checked"]
    ingest.clear_old_uploads()  # what another session's upload does
    before = writable.read_bytes()
    at.checkbox(key="data_import_sure").check().run()
    at.button(key="data_confirm").click().run()
    no_exception(at)
    assert any("the checked files are gone" in e.value for e in at.error)
    assert writable.read_bytes() == before and not checked.folder.exists()
