"""Every label a person reads comes from the metric registry: each page (in AppTest) and the meeting pack
show every metric the registry says they show, under its registry label (basis included), and every
tile on a page is a registry metric with the registry's definition as its help."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from handoff import metrics, pivot, report
from handoff.filters import Filters
from tests.app.conftest import no_exception

ALL_MEASURES = [pivot.measure_label(key) for key in pivot.MEASURES]
# The views of each page that between them show everything it can (one URL each).
VIEWS = {
    "overview": [{"period": "Last quarter"}],
    "campaigns": [{"period": "Last quarter"}],
    "funnel": [{"period": "Last quarter"}, {"period": "Last quarter", "funnel_mode": "Period"}],
    "sla": [{"period": "Last quarter"}, {"period": "Last quarter", "sla_speed_clock": "Clock hours"}],
    "attribution": [
        {"period": "Last year"},
        {"period": "Last year", "attribution_basis": "Pipeline", "attribution_unit": "USD"},
    ],
    "explore": [
        {"period": "Last quarter", "explore_dim1": "(nothing)", "explore_measures": ALL_MEASURES},
        {
            "period": "Last quarter",
            "explore_dim1": "(nothing)",
            "explore_measures": ALL_MEASURES,
            "explore_mode": "Period",
        },
    ],
}
SHOWN_ONLY_IN_TABLES_OF_ROWS = set()  # every registry metric of a page is found in its text


def page_text(at) -> tuple[str, list]:
    """Everything a page shows as text (tiles, words, headers, chart specs, options) and its tiles."""
    parts = [m.label for m in at.metric] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.subheader] + [t.label for t in at.tabs] + [e.label for e in at.expander]
    parts += [" ".join(map(str, frame.value.columns)) for frame in at.dataframe]
    parts += [chart.proto.spec for chart in at.get("plotly_chart")]
    parts += [" ".join(map(str, box.options)) for box in [*at.selectbox, *at.multiselect]]
    text = html.unescape(re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), "\n".join(parts)))
    return text, list(at.metric)


@pytest.mark.parametrize("page", list(VIEWS))
def test_a_page_shows_its_registry_metrics_under_their_registry_labels(app, page):
    texts, tiles = [], []
    for params in VIEWS[page]:
        at = app(page, **params)
        no_exception(at)
        text, shown = page_text(at)
        texts.append(text)
        tiles += shown
    text = "\n".join(texts)
    missing = [m.id for m in metrics.on_page(page) if m.full_label not in text]
    assert not missing, f"{page} does not show {missing}"
    # Every tile is a registry metric: its label (without the owner's mark) starts with a registry label
    # (SLA cards start with the policy's name) and its help begins with the registry's definition.
    by_label = {m.full_label: m for m in metrics.registry().values()}
    for tile in tiles:
        label = tile.label.split("] ", 1)[-1]
        # The longest registry label in it ("Lead → Won from the period's leads", not "Won from the …").
        found = sorted((full for full in by_label if full.lower() in label.lower()), key=len)
        metric = by_label[found[-1]] if found else None
        assert metric is not None, f"{page}: tile {label!r} is not a registry metric"
        assert tile.help.startswith(metric.definition), (page, label)


def test_the_meeting_pack_shows_its_registry_metrics_and_every_definition(demo_db):
    document = report.build_report(
        Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
        db_path=demo_db,
        generated_at=dt.datetime(2026, 7, 1, 8, 0),
    )
    text = html.unescape(re.sub(r"<script.*?</script>", "", document, flags=re.S))
    missing = [m.id for m in metrics.on_page("report") if m.full_label not in text]
    assert not missing, f"the meeting pack does not show {missing}"
    # The Definitions section carries the registry's whole list, as the Definitions page does.
    for metric in metrics.registry().values():
        assert metric.definition in text, metric.id
    assert "MQL (mql_at)" in text and "sales-sourced leads are never MQLs" in text


def test_the_definitions_page_lists_every_metric_with_its_formula(app):
    at = app("definitions")
    no_exception(at)
    frame = at.dataframe[0].value
    assert frame["Metric"].tolist() == [m.full_label for m in metrics.registry().values()]
    assert set(frame.columns) >= {"Owner", "Basis", "Definition", "Formula", "Shown on", "Computed by"}
    row = frame.set_index("Metric").loc["Win rate in the period"]
    assert row["Formula"] == "deals won in the period ÷ deals won or lost in the period"
    assert "Overview" in row["Shown on"] and row["Basis"].startswith("Activity")
    at.text_input(key="definitions_search").input("speed to lead").run()
    found = at.dataframe[0].value
    assert len(found) >= 4 and all(
        "speed to lead" in f"{label} {text}".lower()
        for label, text in zip(found["Metric"], found["Definition"])
    )
    at.text_input(key="definitions_search").input("no such metric at all").run()
    assert "No metric matches" in at.info[0].value
