"""The Attribution page in Chromium: the basis switch changes the numbers, every tab opens, the
empty case; screenshots of each."""

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle

pytestmark = pytest.mark.e2e


def metric_value(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_switching_revenue_to_pipeline_changes_the_numbers(server, page):
    open_app(page, f"{server.url}/attribution?period=Last+year")
    assert_no_exception(page)
    assert page.get_by_text("What holds under every model").first.is_visible()
    revenue = (
        metric_value(page, "Bookings in the period"),
        metric_value(page, "Marketing's share across multi-touch models"),
    )
    page.screenshot(path=str(OUTPUT / "attribution-revenue.png"), full_page=True)

    page.locator('[data-testid="stButtonGroup"]').first.get_by_role("radio", name="Pipeline").click()
    wait_until_idle(page)
    page.get_by_text("Pipeline created in the period").first.wait_for()
    assert_no_exception(page)
    assert (
        metric_value(page, "Pipeline created in the period"),
        metric_value(page, "Marketing's share across multi-touch models"),
    ) != revenue
    assert "attribution_basis=Pipeline" in page.url  # a shared link keeps the basis


def test_every_tab_opens(server, page):
    open_app(page, f"{server.url}/attribution?period=Last+year")
    for tab in ("Deal receipt", "Sourced vs influenced", "Leakage without blame"):
        page.get_by_role("tab", name=tab).click()
        wait_until_idle(page)
        assert_no_exception(page)
        assert page.locator('[role="tabpanel"]:visible .js-plotly-plot').count() >= 1, tab
        page.screenshot(path=str(OUTPUT / f"attribution-{tab.split()[0].lower()}.png"), full_page=True)


def test_an_empty_window_says_so(server, page):
    open_app(page, f"{server.url}/attribution?period=Custom&start=2030-01-01&end=2030-01-31")
    assert_no_exception(page)
    assert page.get_by_text("No deals match these filters").first.is_visible()
