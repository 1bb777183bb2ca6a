"""The app frame: every page opens, the filters come from the URL, start-up copes with any file."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import no_exception, said
from tests.fixtures import ROOT
from tests.support import PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    at = app(page)
    no_exception(at)
    assert at.title[0].value.lower().startswith(page[:3]) or page == "sla" and at.title[0].value == "SLA"


def test_filters_come_from_the_url_and_are_described_on_the_page(app):
    at = app("overview", period="Last year", segment=["smb", "enterprise"])
    no_exception(at)
    assert at.selectbox(key="period").value == "last_year"
    assert at.multiselect(key="segment").value == ["smb", "enterprise"]
    caption = said(at, "caption")
    assert "1 Jan 2025 – 31 Dec 2025" in caption and "segment: smb, enterprise" in caption
    assert not at.warning


def test_a_bad_url_value_falls_back_with_a_visible_notice(app):
    at = app("overview", period="Fortnight", segment=["smb", "platinum"])
    no_exception(at)
    warnings = said(at, "warning")
    assert "period “Fortnight” isn't one we know" in warnings
    assert "'platinum'" in warnings
    assert at.selectbox(key="period").value == "last_quarter"


def test_filters_survive_switching_pages(app):
    at = app("overview", segment=["smb"])
    at.switch_page("pages/funnel.py").run()
    assert at.multiselect(key="segment").value == ["smb"]
    assert "segment: smb" in said(at, "caption")


def test_first_start_builds_the_demo_database(monkeypatch, tmp_path):
    path = tmp_path / "fresh" / "handoff.duckdb"
    monkeypatch.setenv("HANDOFF_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    no_exception(at)
    assert path.exists()
    assert at.title[0].value == "Overview"


def test_an_unreadable_file_is_explained_and_kept(monkeypatch, tmp_path):
    path = tmp_path / "handoff.duckdb"
    path.write_bytes(b"this is not a database" * 50)
    monkeypatch.setenv("HANDOFF_DB", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    no_exception(at)
    assert at.title[0].value == "Handoff can't read its database"
    assert "is not a readable DuckDB database" in at.error[0].value
    assert path.read_bytes() == b"this is not a database" * 50  # never a silent overwrite
    at.button[0].click().run(timeout=120)
    assert [p.name.split("-")[0] for p in tmp_path.iterdir() if p.name != "handoff.duckdb"] == [
        "handoff.duckdb.unreadable"
    ]
    assert path.read_bytes()[:4] != b"this"
