"""The Data page in Chromium: health, a check changing the records shown, an upload checked, what it
replaces confirmed and imported, an upload over the size limit refused, and the stale-data banner
(this server counts data older than 30 days as stale; the demo's newest record is from 30 Jun 2026)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from handoff import db
from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle
from tests.fixtures import ROOT
from tests.support import PAGES, Server, page_path

pytestmark = pytest.mark.e2e

DATA = ROOT / "tests" / "data" / "import"


@pytest.fixture(scope="module")
def data_server(demo_db, tmp_path_factory):
    """A server of its own on a copy of the demo (imports replace it), with a 0.01 MB upload limit."""
    path = tmp_path_factory.mktemp("data-e2e") / "handoff.duckdb"
    shutil.copy(demo_db, path)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDOFF_MAX_UPLOAD_MB", "0.01")
        patch.setenv("HANDOFF_STALE_AFTER_DAYS", "30")
        running = Server(path, OUTPUT / "streamlit-data.log")
    running.db = path
    yield running
    running.stop()
    db.close_connections()


def choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox by typing it (sturdier than hunting the list on a busy machine)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    for _ in range(3):
        box.locator("input").first.click()
        box.locator("input").first.fill(option)
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_until_idle(page)
            continue
        choice.click()
        break
    wait_until_idle(page)


def test_the_page_shows_health_and_a_check_changes_the_records(data_server, page):
    open_app(page, f"{data_server.url}/data")
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == "Data"
    tiles = page.locator('[data-testid="stMetricValue"]')
    assert tiles.first.inner_text().strip() == "100.0 %"
    page.screenshot(path=str(OUTPUT / "data-health.png"), full_page=True)
    assert page.get_by_text("Every record passes this check.").count() == 0  # MQLs without a response listed
    choose(page, "Show the records failing a check", "Deals with a lead")
    assert page.get_by_text("Every record passes this check.").count() == 1
    assert "data_check=Deals+with+a+lead" in page.url
    assert_no_exception(page)


def test_an_upload_is_checked_then_imported(data_server, page):
    open_app(page, f"{data_server.url}/data")
    choose(page, "Mapping", "hubspot")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        [str(p) for p in sorted(DATA.glob("hubspot-*.csv"))]
    )
    wait_until_idle(page)
    page.get_by_role("button", name="Check the files").click()
    wait_until_idle(page)
    page.get_by_text("rows mapped").first.wait_for()
    assert page.get_by_text("Nothing has been written yet").count() == 1
    page.get_by_text("Importing replaces everything in handoff.duckdb:").wait_for()
    assert page.get_by_text("The as-of day moves from 30 Jun 2026 to 31 Mar 2026.").count() == 1
    page.screenshot(path=str(OUTPUT / "data-upload-checked.png"), full_page=True)
    button = page.get_by_role("button", name="Import into handoff.duckdb")
    assert button.is_disabled()  # until the replacement is confirmed
    page.get_by_text("Replace everything in handoff.duckdb with these files").click()
    wait_until_idle(page)
    button.click()
    page.get_by_text("Imported 6 people, 22 leads, 21 touches, 8 deals").wait_for(timeout=60_000)
    assert page.get_by_text("It replaced ").count() == 1
    wait_until_idle(page)
    assert_no_exception(page)
    assert db.run_query("data__table_counts", db=data_server.db).iloc[2]["row_count"] == 22
    assert page.get_by_text("With the mapping “hubspot”").count() == 1
    page.screenshot(path=str(OUTPUT / "data-imported.png"), full_page=True)


def test_an_upload_over_the_limit_is_refused_with_the_limit(data_server, page, tmp_path):
    big = tmp_path / "leads.csv"
    big.write_text("lead_id\n" + "L1\n" * 6_000)  # 18 kB, over the 0.01 MB limit of this server
    open_app(page, f"{data_server.url}/data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(big))
    wait_until_idle(page)
    page.get_by_text("over the 0.01 MB upload limit").wait_for()
    assert page.get_by_role("button", name="Check the files").count() == 0
    assert_no_exception(page)


def test_every_page_shows_the_stale_data_banner(data_server, page):
    for slug in PAGES:
        open_app(page, f"{data_server.url}/{page_path(slug)}")
        banner = page.get_by_text("The data may be out of date: its newest record is from")
        banner.first.wait_for()
        assert banner.count() == 1, slug
        assert_no_exception(page)
    page.screenshot(path=str(OUTPUT / "stale-banner.png"))
