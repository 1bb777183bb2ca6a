"""The Campaigns page in Chromium: the model picker changes credited revenue, no exception."""

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app

pytestmark = pytest.mark.e2e


def credited(page) -> str:
    tile = (
        page.locator('[data-testid="stMetric"]').filter(has_text="Won revenue credited in the period").first
    )
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def test_campaigns_model_changes_revenue(server, page):
    open_app(page, f"{server.url}/campaigns?period=Last+quarter&campaigns_model=first_touch")
    assert_no_exception(page)
    first_touch = credited(page)
    page.screenshot(path=str(OUTPUT / "campaigns.png"), full_page=True)
    open_app(page, f"{server.url}/campaigns?period=Last+quarter&campaigns_model=last_touch")
    assert_no_exception(page)
    assert credited(page) != first_touch
