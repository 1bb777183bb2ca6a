"""The meeting pack opens in Chromium with no network and shows every section and chart."""

import datetime as dt

import pytest

from handoff.filters import Filters
from handoff.report import write_report
from tests.e2e.conftest import OUTPUT

pytestmark = pytest.mark.e2e


def test_the_pack_opens_offline_with_every_section(browser, demo_db, tmp_path):
    path = write_report(
        tmp_path / "review.html", Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)), db_path=demo_db
    )
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith("file:") else None,
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector(".plot-container", timeout=30_000)
    assert page.locator("h2").all_inner_texts() == [
        "Overview",
        "Funnel",
        "SLA scorecard",
        "Attribution by team",
        "Leakage without blame",
        "Definitions",
    ]
    assert page.locator(".plot-container").count() >= 3  # the charts drew, from the embedded plotly.js
    assert page.locator(".tile").count() == 11
    assert outside == [] and errors == []
    page.screenshot(path=str(OUTPUT / "report.png"), full_page=True)
    context.close()
