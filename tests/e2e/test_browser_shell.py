"""Every page in a real Chromium: it opens, shows its title, and raises nothing."""

import re

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app
from tests.support import PAGES

pytestmark = pytest.mark.e2e

TITLES = {
    "overview": "Overview",
    "campaigns": "Campaigns",
    "funnel": "Funnel",
    "sla": "SLA",
    "attribution": "Attribution",
    "explore": "Explore",
    "review": "Review",
    "data": "Data",
    "definitions": "Definitions",
}


@pytest.mark.parametrize("name", PAGES)
def test_page_opens_without_exception(server, page, name):
    url = server.url if name == "overview" else f"{server.url}/{name}"
    open_app(page, url)
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == TITLES[name]
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def test_a_shared_link_opens_the_same_view(server, page):
    open_app(page, f"{server.url}/funnel?period=Last+year&segment=smb")
    assert_no_exception(page)
    caption = page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    assert "1 Jan 2025 – 31 Dec 2025" in caption and "segment: SMB" in caption


def test_navigation_keeps_the_filters(server, page):
    open_app(page, f"{server.url}/?segment=enterprise")
    page.get_by_role("link", name="SLA").click()
    page.wait_for_url("**/sla**")
    open_caption = page.locator('[data-testid="stCaptionContainer"]').first
    open_caption.wait_for()
    assert "segment: Enterprise" in open_caption.inner_text()
    assert "segment=enterprise" in page.url


def _luminance(css_color: str) -> float:
    """The relative luminance (0 black – 1 white) of an rgb()/rgba() colour."""
    red, green, blue = (float(part) / 255 for part in re.findall(r"[\d.]+", css_color)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_theme_follows_the_operating_systems_setting(server, browser, scheme):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    open_app(page, f"{server.url}/funnel")
    assert_no_exception(page)
    app = page.locator('[data-testid="stApp"]')
    background = _luminance(app.evaluate("e => getComputedStyle(e).backgroundColor"))
    heading = page.locator(".handoff-nav-section").first
    text = _luminance(heading.evaluate("e => getComputedStyle(e).color"))
    # Dark on light, or light on dark: the sidebar's own section headings too.
    assert (background > 0.9 and text < 0.3) if scheme == "light" else (background < 0.1 and text > 0.7)
    page.screenshot(path=str(OUTPUT / f"funnel-{scheme}.png"))
    context.close()
