"""AppTest helpers: run the real app.py against a chosen database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from handoff import db
from handoff.text import unescape
from tests.fixtures import ROOT


@pytest.fixture
def app(monkeypatch, demo_db):
    """A function that opens app.py on the demo database at a page, with URL parameters."""
    monkeypatch.setenv("HANDOFF_DB", str(demo_db))

    def open_page(page: str = "overview", **query_params) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for key, value in query_params.items():
            at.query_params[key] = value
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py")
            at.run()
        return at

    yield open_page
    db.close_connections()


def read(markdown: str) -> str:
    """What a person reads of a page's markdown (escaped values read as their characters)."""
    return unescape(markdown)


def said(at: AppTest, *kinds: str) -> str:
    """Everything the page says in these kinds of element (caption, warning, …), as people read it."""
    return " ".join(read(element.value) for kind in kinds for element in getattr(at, kind))


def tiles(at: AppTest) -> dict:
    """Each metric tile by its label as people read it, without the owner's colour mark."""
    return {read(m.label.split("] ", 1)[-1]): m for m in at.metric}


def tile(at: AppTest, label: str) -> str:
    """The value of the tile labelled `label` (the registry's label, basis included), as people read it."""
    return read(tiles(at)[label].value)


def no_exception(at: AppTest) -> None:
    """Fail with the app's own message if the page raised."""
    assert not at.exception, [e.value for e in at.exception]
