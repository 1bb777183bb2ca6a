"""Campaign performance: cost against results per campaign and per channel.

Joins campaigns__performance (cost, leads, MQLs, SALs, pipeline, won deals from the leads each
campaign sourced) with the revenue an attribution model credits to each campaign, and derives the
ratios. Totals reconcile with the Overview: the same cost, MQLs, pipeline and new customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from handoff import metrics, note_marks, text
from handoff.attribution.models import MODELS
from handoff.charts import HANDOFF_COLOR, channel_colors
from handoff.labels import fmt_label
from handoff.workspace import Note

TOTAL = "Total"
# The headline tiles: (registry metric, key of `totals`).
HEADLINE = (
    ("campaign_cost_usd", "cost_usd"),
    ("cost_per_mql_usd", "cost_per_mql_usd"),
    ("cac_usd", "cac_usd"),
    ("attributed_revenue_usd", "campaign_revenue_usd"),
    ("roi_rate", "roi_rate"),
)
# The performance table: each column's registry metric, or the label of a column that is not one.
COLUMNS = {
    "campaign_name": "Campaign",
    "channel": "Channel",
    "cost_usd": "campaign_cost_usd",
    "attributed_revenue_usd": "attributed_revenue_usd",
    "roi_rate": "roi_rate",
    "cost_per_mql_usd": "cost_per_mql_usd",
    "cac_usd": "cac_usd",
    "lead_count": "lead_count",
    "mql_count": "mql_count",
    "sal_count": "sal_count",
    "pipeline_usd": "pipeline_created_usd",
    "won_count": "won_deal_count",
    "owner_team": "Owner team",
}
REASON_COLUMNS = {
    "outcome": "Outcome",
    "disqualify_reason": "Reason",
    "lead_count": "Leads",
    "share_rate": "Share of the campaign's disqualified leads",
}


def _ratios(frame: pd.DataFrame) -> pd.DataFrame:
    cost = frame["cost_usd"]
    frame["cost_per_mql_usd"] = cost / frame["mql_count"].where(frame["mql_count"] > 0)
    frame["cac_usd"] = cost / frame["won_count"].where(frame["won_count"] > 0)
    frame["roi_rate"] = (frame["attributed_revenue_usd"] - cost) / cost.where(cost > 0)
    return frame


def performance(perf: pd.DataFrame, credit: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign with attributed revenue (from attribution__credit at campaign level)
    and cost per MQL, CAC = cost ÷ deals won from its leads, ROI = (attributed revenue − cost) ÷ cost.

    Revenue credited to touches outside any campaign (sales calls, unattributed deals) has no
    campaign row; it shows in the totals so they match the model's whole scope.
    """
    revenue = credit.groupby("key")["credit_usd"].sum()
    frame = perf.copy()
    frame["attributed_revenue_usd"] = frame["campaign_id"].map(revenue).fillna(0.0)
    return _ratios(frame)


def by_channel(campaigns: pd.DataFrame) -> pd.DataFrame:
    """The campaign rows summed per channel, with the same ratios."""
    frame = campaigns.assign(channel=campaigns["channel"].fillna("(no source campaign)"))
    return _ratios(frame.groupby("channel", as_index=False)[list(SUMMED)].sum()).sort_values(
        "cost_usd", ascending=False
    )


# The columns whose sum means something: a totals row adds them up and derives the ratios again.
SUMMED = (
    "cost_usd",
    "lead_count",
    "mql_count",
    "sal_count",
    "pipeline_usd",
    "won_count",
    "sourced_bookings_usd",
    "attributed_revenue_usd",
)


def with_total_row(frame: pd.DataFrame, label_column: str) -> pd.DataFrame:
    """`frame` with a last row, labelled Total, of its sums and the ratios of those sums (the ROI of
    the whole, not a sum of ROIs)."""
    sums = {c: frame[c].sum() for c in SUMMED if c in frame.columns}
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    total = _ratios(pd.DataFrame([{**dict.fromkeys(text_columns, ""), label_column: TOTAL, **sums}]))
    return pd.concat([frame, total], ignore_index=True)


def totals(campaigns: pd.DataFrame, credit: pd.DataFrame) -> dict[str, float]:
    """Sums over every campaign row; attributed revenue is the model's whole scope."""
    out = {
        column: float(campaigns[column].sum())
        for column in ("cost_usd", "lead_count", "mql_count", "sal_count", "pipeline_usd", "won_count")
    }
    out["attributed_revenue_usd"] = float(credit["credit_usd"].sum())
    out["campaign_revenue_usd"] = float(campaigns["attributed_revenue_usd"].sum())
    cost = out["cost_usd"]
    out["cost_per_mql_usd"] = cost / out["mql_count"] if out["mql_count"] else np.nan
    out["cac_usd"] = cost / out["won_count"] if out["won_count"] else np.nan
    out["roi_rate"] = (out["campaign_revenue_usd"] - cost) / cost if cost else np.nan
    return out


__all__ = ["MODELS", "TOTAL", "by_channel", "performance", "totals"]


# The metrics the spend chart shows, for the notes on it (with its channels and campaigns).
SPEND_METRICS = ("spend_usd", "campaign_cost_usd", "campaign_pipeline_usd")


def spend_figure(monthly: pd.DataFrame, notes: Sequence[Note] = (), campaign_ids: Iterable[str] = ()):
    """Monthly campaign spend (bars, by channel, each its own colour) against the pipeline its leads
    created (line, right axis); both axes from zero, the legend under the chart. The notes on its
    metrics, on a channel it shows or on one of `campaign_ids` are dotted lines at their months."""
    import plotly.graph_objects as go

    figure = go.Figure()
    if monthly.empty:
        return figure
    months = monthly.assign(month=pd.to_datetime(monthly["month_start"]).dt.strftime("%b %Y"))
    colors = channel_colors(months["channel"])
    for channel, rows in months.groupby("channel", sort=True):
        figure.add_bar(
            x=rows["month"],
            y=rows["cost_usd"],
            name=text.plot(fmt_label(channel)),
            marker_color=colors[str(channel)],
            hovertemplate="%{x}: $%{y:,.0f} spent<extra>" + text.plot(fmt_label(channel)) + "</extra>",
        )
    pipeline = months.groupby("month", sort=False)["pipeline_usd"].sum()
    figure.add_scatter(
        x=pipeline.index,
        y=pipeline.to_numpy(),
        name=metrics.label("campaign_pipeline_usd"),
        yaxis="y2",
        mode="lines+markers",
        line={"color": HANDOFF_COLOR, "width": 3},
        hovertemplate="%{x}: $%{y:,.0f} pipeline<extra></extra>",
    )
    money = {"tickformat": "$.2~s", "rangemode": "tozero", "nticks": 6}
    figure.update_layout(
        barmode="stack",
        height=460,
        yaxis={"title": f"{metrics.label('spend_usd')} (USD)", **money},
        yaxis2={
            "title": f"{metrics.label('campaign_pipeline_usd')} (USD)",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            **money,
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        margin={"t": 20, "b": 10},
    )
    subjects = note_marks.about(
        metrics=SPEND_METRICS, channels=months["channel"].dropna().unique(), campaigns=campaign_ids
    )
    return note_marks.mark(figure, notes, subjects)
