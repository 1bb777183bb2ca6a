"""What a user does in Chromium: change a filter and see a number move, send the link to a colleague
who sees the same view, download a table, and never meet an exception, on every page.

Screenshots of every page go to tests/e2e/output/journey-*.png (CI artefacts, ignored by git).
"""

from __future__ import annotations

import csv
import time

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle
from tests.support import PAGES

pytestmark = pytest.mark.e2e

LINK = "period=This+year&segment=smb"


def tiles(page) -> dict[str, str]:
    """Every metric tile on the page: label -> value shown."""
    found = {}
    for tile in page.locator('[data-testid="stMetric"]').all():
        label = tile.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        found[label] = tile.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return found


def mqls(shown: dict[str, str]) -> int | None:
    value = next((value for label, value in shown.items() if label.endswith("MQLs in the period")), None)
    return None if value is None else int(value.replace(",", ""))


def settled_tiles(page, until=lambda shown: True, timeout_s: float = 90) -> dict[str, str]:
    """The tiles once the app has finished drawing them (two reads alike) and they satisfy `until`;
    a busy server can be idle a moment before the tiles arrive."""
    deadline = time.monotonic() + timeout_s
    previous = None
    while True:
        wait_until_idle(page)
        shown = tiles(page)
        if (shown == previous and until(shown)) or time.monotonic() > deadline:
            return shown
        previous = shown
        page.wait_for_timeout(700)


def filters_caption(page) -> str:
    return page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Filters:").first.inner_text()


@pytest.fixture
def colleague(browser):
    """A second browser with its own cookies and session: someone the link was sent to."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    yield context.new_page()
    context.close()


def test_a_filter_moves_a_number_the_link_shows_it_again_and_a_table_downloads(server, page, colleague):
    open_app(page, f"{server.url}/?period=Last+quarter")
    assert_no_exception(page)
    before = settled_tiles(page, until=lambda shown: mqls(shown) is not None)

    # Pick a segment in the sidebar, as a user would.
    segment = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Segment"
    )
    segment.locator("input").first.click()
    page.get_by_role("option", name="Enterprise").first.click()
    page.keyboard.press("Escape")
    page.wait_for_url("**segment=enterprise**")
    after = settled_tiles(page, until=lambda shown: mqls(shown) not in (None, mqls(before)))
    page.screenshot(path=str(OUTPUT / "journey-filtered.png"), full_page=True)
    assert_no_exception(page)
    assert mqls(after) < mqls(before), "the MQL tile follows the segment filter"

    # The link in the address bar opens the same view for a colleague.
    open_app(colleague, page.url)
    assert_no_exception(colleague)
    assert settled_tiles(colleague, until=lambda shown: shown == after) == after
    assert filters_caption(colleague) == filters_caption(page)

    # The Funnel's table downloads as CSV, with the filtered numbers in it.
    open_app(colleague, f"{server.url}/funnel?period=Last+quarter&segment=enterprise")
    with colleague.expect_download() as download_info:
        colleague.locator('[data-testid="stDownloadButton"]').first.get_by_role("button").click()
    download = download_info.value
    saved = OUTPUT / f"journey-{download.suggested_filename}"
    download.save_as(saved)
    assert saved.suffix == ".csv"
    rows = list(csv.reader(saved.read_text().splitlines()))
    assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
    assert_no_exception(colleague)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_shows_the_same_view_to_whoever_follows_its_link(server, page, colleague, name):
    url = f"{server.url}/{'' if name == 'overview' else name}?{LINK}"
    open_app(page, url)
    assert_no_exception(page)
    assert "segment: SMB" in filters_caption(page)
    shown = settled_tiles(page)
    page.screenshot(path=str(OUTPUT / f"journey-{name}.png"), full_page=True)
    open_app(colleague, url)
    assert_no_exception(colleague)
    assert settled_tiles(colleague, until=lambda theirs: theirs == shown) == shown
    assert filters_caption(colleague) == filters_caption(page)
    assert colleague.locator("h1").first.inner_text() == page.locator("h1").first.inner_text()
