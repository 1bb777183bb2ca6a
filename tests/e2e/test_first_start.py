"""A server's very first run: no flash of the pages/ file names, and a deep link gets the whole app.

Streamlit treats the first run of a process with a pages/ folder beside app.py as an old-style app
(it lists the folder's file names and may run a page file alone); these tests start a fresh server
for each case so that first run is the one under test.
"""

from __future__ import annotations

import pytest

from handoff import site
from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app
from tests.support import Server

pytestmark = pytest.mark.e2e

# Every text the sidebar ever shows, recorded from the first paint on (a flash is over in a blink).
RECORD_SIDEBAR = """
window.__sidebarTexts = new Set();
new MutationObserver(() => {
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  if (!sidebar) return;
  for (const line of sidebar.innerText.split('\\n')) window.__sidebarTexts.add(line.trim());
  if (document.querySelector('[data-testid="stSidebarNav"]')) window.__sidebarTexts.add('<streamlit nav>');
}).observe(document, {childList: true, subtree: true, characterData: true});
"""
FILE_NAMES = {"app", *(page.slug for page in site.PAGES)}


def sidebar_texts(page) -> set[str]:
    return set(page.evaluate("[...window.__sidebarTexts]"))


def test_the_first_start_builds_the_demo_without_listing_file_names(page, tmp_path):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    server = Server(tmp_path / "handoff.duckdb", OUTPUT / "streamlit-first-start.log")
    try:
        page.add_init_script(RECORD_SIDEBAR)
        page.goto(server.url)
        page.get_by_text("building the demo company").wait_for(timeout=60_000)
        page.locator('[data-testid="stMainBlockContainer"] h1', has_text="Overview").wait_for(timeout=180_000)
        open_app(page, server.url)  # settle
        seen = sidebar_texts(page)
    finally:
        server.stop()
    assert_no_exception(page)
    assert not seen & FILE_NAMES and "<streamlit nav>" not in seen, sorted(seen)
    assert {p.title for p in site.PAGES} <= seen and {p.section for p in site.PAGES} <= seen


def test_a_deep_link_on_the_first_run_gets_the_frame_and_its_page(page, demo_db):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    server = Server(demo_db, OUTPUT / "streamlit-deep-link.log")
    try:
        page.add_init_script(RECORD_SIDEBAR)
        open_app(page, f"{server.url}/sla?segment=smb")
        titles = page.locator('[data-testid="stMainBlockContainer"] h1').all_inner_texts()
        caption = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        seen = sidebar_texts(page)
        page.get_by_role("link", name="Funnel").click()
        page.wait_for_url("**/funnel**")
        page.locator('[data-testid="stMainBlockContainer"] h1', has_text="Funnel").wait_for(timeout=60_000)
        funnel_caption = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    finally:
        server.stop()
    assert_no_exception(page)
    assert titles == ["SLA"]
    assert "segment: SMB" in caption and "segment: SMB" in funnel_caption
    assert "Filters" in seen and not seen & FILE_NAMES and "<streamlit nav>" not in seen, sorted(seen)
