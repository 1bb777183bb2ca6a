"""Markdown injection in a real Chromium: hostile names in the data (links, images, HTML, Streamlit's colour
and icon directives) render as text on every page; nothing links to or loads from the hostile host."""

from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app
from tests.fixtures import HOSTILE, build_hostile_db
from tests.support import PAGES, Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hostile_server(demo_db, tmp_path_factory):
    path = build_hostile_db(demo_db, tmp_path_factory.mktemp("hostile-e2e") / "hostile.duckdb")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    running = Server(path, OUTPUT / "streamlit-hostile.log")
    yield running
    running.stop()


@pytest.mark.parametrize("name", PAGES)
def test_hostile_names_render_as_text(hostile_server, page, name):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    segment = HOSTILE["segment"].replace(" ", "+")
    url = f"{hostile_server.url}/{'' if name == 'overview' else name}?period=Last+year&segment=smb&segment={segment}"
    open_app(page, url)
    assert_no_exception(page)
    assert page.locator("img[src*='evil']").count() == 0
    assert page.locator("a[href*='evil']").count() == 0
    assert page.locator(".stMarkdownColoredText", has_text="EVIL").count() == 0
    assert not [url for url in requested if urlparse(url).hostname == "evil.example"]
    if name != "definitions":
        assert page.get_by_text("EVIL").count() > 0, "the hostile names are on the page, as text"
    page.screenshot(path=str(OUTPUT / f"hostile-{name}.png"), full_page=True)
