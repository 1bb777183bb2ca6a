"""The app's pages: one list that the navigation, the tests and the benchmarks all read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    slug: str  # pages/<slug>.py and the URL path (the default page is at /)
    title: str
    icon: str
    section: str


PAGES = (
    Page("overview", "Overview", ":material/dashboard:", "Leadership"),
    Page("campaigns", "Campaigns", ":material/campaign:", "Leadership"),
    Page("review", "Review", ":material/handshake:", "Joint review"),
    Page("funnel", "Funnel", ":material/filter_alt:", "Joint review"),
    Page("sla", "SLA", ":material/timer:", "Joint review"),
    Page("attribution", "Attribution", ":material/balance:", "Joint review"),
    Page("explore", "Explore", ":material/table_chart:", "Self-serve"),
    Page("data", "Data", ":material/database:", "Self-serve"),
    Page("definitions", "Definitions", ":material/menu_book:", "Self-serve"),
)
DEFAULT_PAGE = PAGES[0]
PAGE_SLUGS = tuple(page.slug for page in PAGES)


def url_path(page: Page) -> str:
    """The page's path after the server's address: '' for the default page."""
    return "" if page == DEFAULT_PAGE else page.slug


def sections() -> dict[str, list[Page]]:
    """The pages by section, in the order the sidebar lists them."""
    grouped: dict[str, list[Page]] = {}
    for page in PAGES:
        grouped.setdefault(page.section, []).append(page)
    return grouped
