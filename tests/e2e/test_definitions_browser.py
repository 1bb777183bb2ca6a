"""The Definitions page in Chromium: every metric with its basis and formula, searchable, at desktop
and phone widths."""

import pytest

from handoff import metrics
from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle

pytestmark = pytest.mark.e2e


def test_every_metric_is_defined_and_the_search_narrows_the_list(server, page):
    open_app(page, f"{server.url}/definitions")
    assert_no_exception(page)
    caption = page.get_by_text(f"{len(metrics.registry())} of {len(metrics.registry())} metrics.")
    assert caption.is_visible()
    assert page.get_by_text("Activity (in the period)").first.is_visible()
    page.screenshot(path=str(OUTPUT / "definitions.png"), full_page=True)

    search = page.get_by_role("textbox", name="Search")
    search.fill("win rate")
    search.press("Enter")
    wait_until_idle(page)
    assert_no_exception(page)
    shown = len(metrics.matching(text="win rate"))
    assert 0 < shown < len(metrics.registry())
    assert page.get_by_text(f"{shown} of {len(metrics.registry())} metrics.").is_visible()

    page.set_viewport_size({"width": 390, "height": 900})
    wait_until_idle(page)
    page.screenshot(path=str(OUTPUT / "definitions-390.png"), full_page=True)
    assert_no_exception(page)
