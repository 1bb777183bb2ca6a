"""The Overview's money chart on hand-made months: each target its own colour and labelled."""

import pandas as pd

from handoff import overview
from handoff.charts import TEAM_COLORS


def test_each_target_is_labelled_in_its_own_colour():
    months = pd.DataFrame(
        {
            "month_start": pd.to_datetime(["2026-07-01", "2026-08-01"]),
            "pipeline_created_usd": [7_000_000.0, 8_000_000.0],
            "pipeline_target_usd": [8_600_000.0, float("nan")],
            "bookings_usd": [2_800_000.0, 3_600_000.0],
            "bookings_target_usd": [3_500_000.0, 3_300_000.0],
        }
    )
    figure = overview.money_vs_target_figure(months)
    bars = [t for t in figure.data if t.type == "bar"]
    targets = [t for t in figure.data if t.type == "scatter"]
    assert {b.marker.color for b in bars} == {TEAM_COLORS["sales"]}
    assert [t.name for t in targets] == ["Pipeline created target", "Bookings target"]
    assert targets[0].marker.color != targets[1].marker.color
    # Labelled on the chart; a month without a target gets no label.
    assert list(targets[0].text) == ["target $8.6M", ""] and list(targets[1].text) == [
        "target $3.5M",
        "target $3.3M",
    ]
    assert figure.layout.yaxis.rangemode == "tozero"
