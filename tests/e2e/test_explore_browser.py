"""The Explore page in Chromium: a pivot from a link, a control that changes a number, a row
selected in the table that lists its records, and the SQL console."""

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle

pytestmark = pytest.mark.e2e


def metric(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_a_shared_pivot_link_opens_and_a_control_changes_a_number(server, page):
    open_app(
        page,
        f"{server.url}/explore?period=Last+year&explore_dim1=(nothing)&explore_measures=Leads+created"
        "&explore_measures=SALs",
    )
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == "Explore"
    leads, sals = metric(page, "Leads created in the period"), metric(page, "SALs from the period's leads")
    assert int(leads.replace(",", "")) > 0
    page.locator('[data-testid="stButtonGroup"]').get_by_text("Period", exact=True).click()
    wait_until_idle(page)
    assert_no_exception(page)
    assert metric(page, "Leads created in the period") == leads
    # SAL entries in the window, not the cohort's SALs: another number, and its label says so.
    assert metric(page, "SALs in the period") != sals
    assert "explore_mode=Period" in page.url


def test_selecting_a_row_lists_the_records_behind_it(server, page):
    open_app(page, f"{server.url}/explore?period=Last+year&explore_dim1=Segment")
    assert_no_exception(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 1
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The first body row sits under the 35 px header; its selection checkbox is in the leftmost column.
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    wait_until_idle(page)
    assert_no_exception(page)
    caption = page.get_by_text("behind 1 selected row(s)")
    caption.wait_for(timeout=30_000)
    assert caption.inner_text().split()[0].replace(",", "").isdigit()
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=30_000)  # the records
    page.screenshot(path=str(OUTPUT / "explore-pivot.png"), full_page=True)


def test_the_sql_console_runs_a_read_and_refuses_a_write(server, page):
    open_app(page, f"{server.url}/explore?explore_view=SQL+console")
    assert_no_exception(page)
    editor = page.get_by_label("SQL")
    editor.fill("select segment, count(*) as lead_count from leads group by segment order by segment")
    editor.press("Control+Enter")
    wait_until_idle(page)
    page.get_by_text("4 rows in").wait_for(timeout=30_000)
    assert_no_exception(page)
    page.screenshot(path=str(OUTPUT / "explore-console.png"), full_page=True)
    editor.fill("copy leads to '/tmp/handoff-e2e.csv'")
    editor.press("Control+Enter")
    wait_until_idle(page)
    refusal = page.locator('[data-testid="stAlertContentError"]').first
    refusal.wait_for(timeout=30_000)
    assert "refused: COPY reads or writes files" in refusal.inner_text()


def test_a_statement_in_a_link_waits_for_run(server, page):
    open_app(
        page, f"{server.url}/explore?explore_view=SQL+console&explore_sql=select+count(*)+as+n+from+leads"
    )
    assert_no_exception(page)
    assert page.get_by_label("SQL").input_value() == "select count(*) as n from leads"
    page.get_by_text("Press Run (or Ctrl+Enter) to run this statement").wait_for(timeout=30_000)
    assert page.get_by_text("1 row in").count() == 0, "the statement from the link ran on opening"
    page.get_by_role("button", name="Run").click()
    wait_until_idle(page)
    page.get_by_text("1 row in").wait_for(timeout=30_000)
    assert_no_exception(page)
