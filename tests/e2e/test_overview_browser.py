"""The Overview page in Chromium: tiles render, a filter changes them, no exception."""

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app

pytestmark = pytest.mark.e2e


def mql_tile(page) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="MQLs in the period").first
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def test_overview_tiles_follow_the_filters(server, page):
    open_app(page, f"{server.url}/?period=Last+quarter")
    assert_no_exception(page)
    everyone = mql_tile(page)
    page.screenshot(path=str(OUTPUT / "overview-last-quarter.png"), full_page=True)
    open_app(page, f"{server.url}/?period=Last+quarter&segment=enterprise")
    assert_no_exception(page)
    assert int(mql_tile(page).replace(",", "")) < int(everyone.replace(",", ""))
