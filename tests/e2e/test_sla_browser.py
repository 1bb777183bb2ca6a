"""The SLA page in Chromium: the scorecard renders, a what-if threshold changes it, no exception."""

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle

pytestmark = pytest.mark.e2e


def tile_value(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def test_sla_scorecard_and_what_if(server, page):
    open_app(page, f"{server.url}/sla?period=Last+quarter")
    assert_no_exception(page)
    agreed = tile_value(page, "Follow up every MQL fast")
    assert agreed.endswith("%")
    assert page.get_by_text("Sales → marketing").first.is_visible()
    assert page.get_by_text("Marketing → sales").first.is_visible()
    page.screenshot(path=str(OUTPUT / "sla-scorecard.png"), full_page=True)

    page.get_by_text("What if?").click()
    hours = page.get_by_role("spinbutton", name="Follow up every MQL fast: hours (other leads)")
    hours.fill("2")
    hours.press("Enter")
    wait_until_idle(page)
    assert_no_exception(page)
    assert "sla_follow_up_tier_1_hours=2" in page.url
    what_if = tile_value(page, "Follow up every MQL fast")
    assert float(what_if.rstrip(" %")) < float(agreed.rstrip(" %"))
    page.screenshot(path=str(OUTPUT / "sla-what-if.png"), full_page=True)

    page.get_by_role("tab", name="Live queue").click()
    wait_until_idle(page)
    waiting = page.locator('[data-testid="stMetric"]').filter(has_text="MQLs waiting for a first touch now")
    assert waiting.count() == 3  # all of them, due within 1 h, due within 24 h
    assert_no_exception(page)
