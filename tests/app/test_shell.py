"""The app frame: every page opens, the filters come from the URL, start-up copes with any file."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import no_exception, said
from tests.fixtures import ROOT
from tests.support import PAGES


def url_values(at, key: str) -> list[str]:
    """A URL parameter's values, however AppTest holds them (one value or a list)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


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
    assert "1 Jan 2025 – 31 Dec 2025" in caption and "segment: SMB, Enterprise" in caption
    assert not at.warning


def test_list_filters_show_labels_and_keep_codes_in_the_url(app):
    at = app("overview", segment=["mid_market"])
    segment, owner = at.multiselect(key="segment"), at.multiselect(key="owner")
    assert "Mid-market" in segment.options and "mid_market" not in segment.options
    # Owners by name and role, never by person id.
    assert owner.options and all(" (" in name and not name.startswith("P-") for name in owner.options)
    segment.select("enterprise").run()
    assert url_values(at, "segment") == ["mid_market", "enterprise"]
    assert "segment: Mid-market, Enterprise" in said(at, "caption")
    at.multiselect(key="segment").unselect("mid_market").unselect("enterprise").run()
    assert "segment" not in at.query_params


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
    assert "segment: SMB" in said(at, "caption")
    assert url_values(at, "segment") == ["smb"]  # the URL keeps the code on the new page


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
