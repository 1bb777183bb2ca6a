"""The workspace's notes for the pages: read again only when the workspace file has changed.

A note added on the Review page is on the next run of every page: the cache is keyed by the workspace
file's and its write-ahead log's size and modification time, and kept a minute at most.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import streamlit as st

from handoff import note_marks, text
from handoff.workspace import Note, WorkspaceError, default_workspace_path


def _stamp(path: Path) -> tuple | None:
    """What changes when a write reaches the workspace: each file's size and time (None: no workspace)."""
    stamps = []
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            info = part.stat()
        except FileNotFoundError:
            if part == path:
                return None
            stamps.append(None)
            continue
        stamps.append((info.st_size, info.st_mtime_ns))
    return tuple(stamps)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def _read(path: str, stamp: tuple) -> list[Note]:
    return note_marks.stored_notes(path)


def notes(start: dt.date | None = None, end: dt.date | None = None) -> list[Note]:
    """The active notes whose day or month meets [start, end) (None: open), by day; none without a
    workspace. A workspace that cannot be read is said on the page, and shows none."""
    path = default_workspace_path()
    stamp = _stamp(path)
    if stamp is None:
        return []
    try:
        found = _read(str(path), stamp)
    except (WorkspaceError, sqlite3.Error, OSError) as exc:
        st.warning(
            text.escape(f"The notes on the charts can't be shown: {exc}"), icon=":material/sticky_note_2:"
        )
        return []
    return note_marks.applying(found, None, start, end)
