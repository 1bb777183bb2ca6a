"""The Funnel page in Chromium: both modes, a breakdown table, the empty case; screenshots of each."""

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle

pytestmark = pytest.mark.e2e


def metric_value(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_switching_cohort_and_period_changes_the_numbers(server, page):
    open_app(page, f"{server.url}/funnel")
    assert_no_exception(page)
    assert page.get_by_text("Cohort funnel").first.is_visible()
    assert page.locator(".js-plotly-plot").count() >= 4
    cohort = metric_value(page, "MQL → SAL"), metric_value(page, "Won from the period's leads")
    page.screenshot(path=str(OUTPUT / "funnel-cohort.png"), full_page=True)

    page.locator('[data-testid="stButtonGroup"]').first.get_by_role("radio", name="Period").click()
    wait_until_idle(page)
    page.get_by_text("Period funnel").first.wait_for()
    assert_no_exception(page)
    assert (metric_value(page, "MQL → SAL"), metric_value(page, "Won leads in the period")) != cohort
    assert "funnel_mode=Period" in page.url  # a shared link keeps the mode
    page.screenshot(path=str(OUTPUT / "funnel-period.png"), full_page=True)


def test_a_breakdown_table_and_the_drill_down(server, page):
    open_app(page, f"{server.url}/funnel?funnel_group_by=Segment&funnel_view=Table&funnel_stage=Won")
    assert_no_exception(page)
    tables = page.locator('[data-testid="stDataFrame"]')
    assert tables.count() >= 6  # stages, breakdown, velocity, trend, exits, leads
    won = metric_value(page, "Won from the period's leads")
    page.get_by_role("tab", name="The leads behind a number").click()
    assert page.get_by_text(f"{won} leads counted at Won").first.is_visible()
    page.screenshot(path=str(OUTPUT / "funnel-breakdown.png"), full_page=True)


def test_an_empty_window_says_so(server, page):
    open_app(page, f"{server.url}/funnel?period=Custom&start=2030-01-01&end=2030-01-31")
    assert_no_exception(page)
    assert page.get_by_text("No leads match these filters").first.is_visible()
    assert page.locator(".js-plotly-plot").count() == 0
