"""Markdown injection: values from the data, the policy file and the URL read as their characters on
every page. A channel, campaign, person, reason, segment and policy named with links, images, HTML,
Streamlit's colour and icon directives and maths are rendered through every page in AppTest: no page
text carries them as markup, and no chart label carries HTML."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from handoff import db, sla
from handoff.sla import policy_file
from tests.fixtures import HOSTILE, LINKS, ROOT, build_hostile_db
from tests.support import PAGES


def _unescaped_markup(body: str) -> list[str]:
    """What of a hostile value in a markdown body would render as markup (empty when all is escaped)."""
    problems = []
    for pattern, what in (
        (r"(?<!\\)!\[EVIL", "an image"),
        (r"(?<!\\)\]\(http", "a link"),
        (r"://evil", "an autolink"),
        (r"(?<!\\)<img", "HTML"),
        (r"(?<!\\)\*\*EVIL", "bold"),
        (r":red\[EVIL", "a colour"),
        (r":material/warning:", "an icon"),
        (r"(?<!\\)\$EVIL", "maths"),
        (r"(?<!\u2060)www\.evil", "an autolink"),
    ):
        if re.search(pattern, body):
            problems.append(what)
    return problems


def _texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, markdown body) of everything the page renders as markdown."""
    out = [("markdown", m.value) for m in at.markdown] + [("caption", c.value) for c in at.caption]
    for kind in ("warning", "error", "info", "success"):
        out += [(kind, e.value) for e in getattr(at, kind)]
    out += [("tile label", m.label) for m in at.metric] + [("tile help", m.help or "") for m in at.metric]
    out += [("expander", e.label) for e in at.expander] + [("tab", t.label) for t in at.tabs]
    return out


def _chart_strings(at: AppTest) -> list[str]:
    """Every string in every chart's figure."""
    found = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return found


@pytest.fixture(scope="module")
def hostile_db(demo_db, tmp_path_factory):
    """The demo company with hostile names in its data."""
    return build_hostile_db(demo_db, tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


@pytest.fixture
def hostile_app(hostile_db, monkeypatch, tmp_path):
    monkeypatch.setenv("HANDOFF_DB", str(hostile_db))
    policies = tmp_path / "sla_policies.toml"
    policies.write_text(
        sla.POLICY_FILE.read_text().replace(
            'name = "Follow up every MQL fast"', f"name = {json.dumps(HOSTILE['policy'])}"
        )
    )
    monkeypatch.setattr(policy_file, "POLICY_FILE", policies)

    def open_page(page: str, **params) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py")
            at.run()
        return at

    yield open_page
    db.close_connections()


@pytest.mark.parametrize("page", PAGES)
def test_hostile_values_read_as_text_on_every_page(hostile_app, page):
    views = [{"period": "Last year"}, {"period": "Last year", "segment": [HOSTILE["segment"], "smb"]}]
    if page == "funnel":
        views.append({"period": "All time", "funnel_group_by": "Channel", "funnel_view": "Table"})
    if page == "explore":
        views.append({"period": "All time", "explore_dim1": "Campaign", "explore_dim2": "Segment"})
    if page == "sla":
        views.append({"period": "All time", "sla_group_by": "Campaign"})
    if page == "attribution":
        views.append({"period": "All time", "attribution_level": "Campaign"})
    seen_evil = False
    for params in views:
        at = hostile_app(page, **params)
        assert not at.exception, [e.value for e in at.exception]
        for where, body in _texts(at):
            seen_evil |= "EVIL" in body
            assert not _unescaped_markup(body), (page, where, body, _unescaped_markup(body))
        for value in _chart_strings(at):
            assert not re.search(r"<(img|a)\b", value, re.I), (page, value)
    if page != "definitions":
        assert seen_evil, f"{page} showed none of the hostile values: the test would prove nothing"


def test_a_hostile_link_reads_as_text_in_the_page_s_own_warning(hostile_app):
    at = hostile_app(
        "overview", period=f"{LINKS} [Your session expired: sign in again](http://evil.example/phish)"
    )
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("EVIL" in w for w in warnings), warnings
    for body in warnings:
        assert not _unescaped_markup(body), body
