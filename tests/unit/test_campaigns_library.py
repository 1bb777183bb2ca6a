"""Campaigns for people, on hand-made rows: the totals row and the spend chart."""

import pandas as pd
import pytest

from handoff import campaigns
from handoff.charts import CHANNEL_PALETTE


def test_the_totals_row_sums_and_takes_the_ratio_of_the_sums():
    rows = pd.DataFrame(
        {
            "campaign_name": ["Spring webinar", "Search"],
            "channel": ["webinar", "paid_search"],
            "cost_usd": [100.0, 300.0],
            "lead_count": [10, 30],
            "mql_count": [1, 3],
            "sal_count": [1, 2],
            "pipeline_usd": [0.0, 5000.0],
            "won_count": [0, 2],
            "sourced_bookings_usd": [0.0, 900.0],
            "attributed_revenue_usd": [50.0, 850.0],
        }
    )
    total = campaigns.with_total_row(campaigns._ratios(rows), "campaign_name").iloc[-1]
    assert (total["campaign_name"], total["channel"]) == ("Total", "")
    assert (total["cost_usd"], total["mql_count"], total["won_count"]) == (400.0, 4, 2)
    # 400 ÷ 4 MQLs; 400 ÷ 2 won; (900 − 400) ÷ 400, not the sum of the two ROIs (−0.5 + 1.83).
    assert total["cost_per_mql_usd"] == 100.0 and total["cac_usd"] == 200.0
    assert total["roi_rate"] == pytest.approx(1.25)


def test_the_spend_chart_gives_each_channel_its_colour_and_both_axes_start_at_zero():
    monthly = pd.DataFrame(
        {
            "month_start": pd.to_datetime(["2026-04-01"] * 3),
            "channel": ["webinar", "paid_search", "events"],
            "cost_usd": [100.0, 200.0, 50.0],
            "pipeline_usd": [1000.0, 2000.0, 0.0],
        }
    )
    figure = campaigns.spend_figure(monthly)
    bars = [t for t in figure.data if t.type == "bar"]
    assert [b.name for b in bars] == ["Events", "Paid search", "Webinar"]
    assert [b.marker.color for b in bars] == list(CHANNEL_PALETTE[:3])  # distinct, in name order
    assert figure.layout.yaxis.rangemode == "tozero" and figure.layout.yaxis2.rangemode == "tozero"
    assert figure.layout.legend.y < 0  # under the chart, not over the bars
