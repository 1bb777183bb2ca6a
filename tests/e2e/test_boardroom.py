"""Every page and the meeting pack read as a finished product in Chromium (issue 17's done-when).

Each page opens with the default filters, a filtered view and an empty one; the visible text (code
blocks, the SQL editor and icon ligatures aside) holds no stored code that has words (`mid_market`,
`paid_search`, `u_shaped`, `champion_left`), no person's id, no None, NaN, <NA>, True or False, and no
number printed raw (`0.1076923`, `2276370`). A table's cells are drawn on a canvas and its
accessible copy holds the raw values, so tables are held to the codes and words only; their formats
are checked in tests/app/test_tables_for_people.py. Screenshots at 1440 px, 390 px and in dark mode
land in tests/e2e/output/boardroom/.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from handoff.filters import Filters
from handoff.report import write_report
from tests.e2e.conftest import OUTPUT, assert_no_exception, open_app, wait_until_idle
from tests.support import PAGES, page_path

pytestmark = pytest.mark.e2e

VIEWS = {
    "default": "",
    "filtered": "?period=This+year&segment=mid_market&segment=enterprise&channel=paid_search",
    "empty": "?period=Custom&start=2030-01-01&end=2030-01-31",
}
SHOTS = OUTPUT / "boardroom"

# Visible text as [text, inside a table?], leaving out what is code by design and icon ligatures.
VISIBLE_TEXT = """() => {
  const out = [];
  const root = document.querySelector('[data-testid="stApp"]') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const skip = 'code, pre, textarea, script, style, .ace_editor, [data-testid="stCode"], '
    + '[data-testid="stIconMaterial"], [data-testid="stExpanderIcon"], .material-icons, .material-symbols-rounded';
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const text = node.textContent.trim();
    if (text) out.push([text, !!el.closest('[data-testid="stDataFrame"], [data-testid="stTable"]')]);
  }
  return out;
}"""
RAW_WORDS = re.compile(r"(?<![\w-])(None|NaN|nan|<NA>|NaT|True|False)(?![\w-])")
# A decimal with three or more places, or five or more digits without a thousands separator.
RAW_NUMBER = re.compile(r"(?<![\w.,:/-])(\d+\.\d{3,}|\d{5,})(?![\w.,])")


@pytest.fixture(scope="module")
def codes(demo_db) -> set[str]:
    """What the data stores that has words or a name: people should never read it as stored."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        stored = con.execute(
            """
            select value from filter_options
            where dimension in ('segment', 'channel') and (value like '%\\_%' escape '\\' or value = 'smb')
            union select person_id from people
            union select disqualify_reason from leads where disqualify_reason like '%\\_%' escape '\\'
            union select lost_reason from deals where lost_reason like '%\\_%' escape '\\'
            union select unnest(['first_touch', 'last_touch', 'time_decay', 'u_shaped', 'w_shaped', 'full_path'])
            """
        ).fetchall()
    return {value for (value,) in stored if value}


def problems(texts: list[tuple[str, bool]], codes: set[str]) -> list[str]:
    """What a person should not read in `texts`: codes, raw words, raw numbers (outside tables)."""
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(codes, key=len, reverse=True))) + r")(?![\w-])"
    )
    found = []
    for text, in_table in texts:
        found += [f"code {m!r} in {text[:80]!r}" for m in pattern.findall(text)]
        found += [f"{m!r} in {text[:80]!r}" for m in RAW_WORDS.findall(text)]
        if not in_table:
            found += [f"raw number {m!r} in {text[:80]!r}" for m in RAW_NUMBER.findall(text)]
    return found


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("slug", PAGES)
def test_every_page_reads_as_a_finished_product(browser, server, codes, slug, view):
    SHOTS.mkdir(parents=True, exist_ok=True)
    looks = [(1440, "light")] + ([(390, "light"), (1440, "dark")] if view == "default" else [])
    for width, scheme in looks:
        context = browser.new_context(viewport={"width": width, "height": 1000}, color_scheme=scheme)
        page = context.new_page()
        open_app(page, f"{server.url}/{page_path(slug)}{VIEWS[view]}")
        settle(page)
        assert_no_exception(page)
        if width == 1440 and scheme == "light":
            found = problems(page.evaluate(VISIBLE_TEXT), codes)
            assert not found, f"{slug} ({view}): {found[:8]}"
        suffix = "" if scheme == "light" else "-dark"
        whole_page_screenshot(page, SHOTS / f"{slug}-{view}-{width}{suffix}.png")
        context.close()


def settle(page) -> None:
    """Wait until the page has drawn everything, charts and tiles included, and stays that way."""
    wait_until_idle(page)
    page.wait_for_timeout(500)
    wait_until_idle(page)


def whole_page_screenshot(page, path) -> None:
    """The page from top to bottom: Streamlit scrolls inside its main area, so the window grows to it."""
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(1000, min(height, 12_000))})
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
        Filters(
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 7, 1),
            segments=["mid_market"],
            channels=["paid_search"],
        ),
        Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1)),
    ],
    ids=["default", "filtered", "empty"],
)
def test_the_meeting_pack_reads_as_a_leadership_document(browser, demo_db, codes, tmp_path, filters):
    path = write_report(tmp_path / "pack.html", filters, db_path=demo_db)
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    texts = page.evaluate(VISIBLE_TEXT.replace('[data-testid="stApp"]', "main"))
    found = problems([(text, False) for text, _ in texts], codes)
    assert not found, found[:8]
    page.screenshot(path=str(SHOTS / f"pack-{filters.window_label().replace(' ', '')}.png"), full_page=True)
    context.close()
