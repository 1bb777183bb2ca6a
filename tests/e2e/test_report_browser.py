"""The meeting pack opens in Chromium with no network and shows every section and its five charts, and
prints to A4 and Letter with no chart cut across pages."""

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
    # Funnel, pipeline and bookings against target, SLA trend, attribution range, leakage waterfall:
    # drawn from the embedded plotly.js.
    assert page.locator("figure.chart .plot-container").count() == 5
    assert page.locator(".tile").count() == 11
    assert outside == [] and errors == []
    page.screenshot(path=str(OUTPUT / "report.png"), full_page=True)
    context.close()


# The printable area of each paper at 96 px an inch, less the template's 12 mm margins.
PAPERS = {"A4": (210, 297), "Letter": (215.9, 279.4)}


def px(mm: float) -> float:
    return (mm - 24) / 25.4 * 96


@pytest.mark.parametrize("paper", PAPERS)
def test_the_pack_prints_with_every_chart_whole_on_a_page(browser, demo_db, tmp_path, paper):
    path = write_report(
        tmp_path / "review.html", Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)), db_path=demo_db
    )
    width, height = PAPERS[paper]
    context = browser.new_context(offline=True, viewport={"width": round(px(width)), "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector(".plot-container", timeout=30_000)
    page.emulate_media(media="print")
    charts = page.eval_on_selector_all(
        "figure.chart",
        """figures => figures.map(f => ({width: f.querySelector('.main-svg').getBoundingClientRect().width,
                                      height: f.getBoundingClientRect().height,
                                      avoid: getComputedStyle(f).breakInside}))""",
    )
    assert len(charts) == 5
    for chart in charts:
        # Whole on one page: no wider than the paper's printable width, shorter than its height, and
        # kept from breaking (Chromium moves a block that may not break to the next page).
        assert chart["width"] <= px(width) and chart["height"] < px(height), chart
        assert chart["avoid"] == "avoid"
    assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    pdf = page.pdf(format=paper, print_background=False)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and 3 <= pages <= 40, pages
    (OUTPUT / f"report-{paper}.pdf").write_bytes(pdf)
    context.close()
