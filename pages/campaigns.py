"""Campaigns: what each program costs and what it returns."""

import streamlit as st

from handoff import campaigns, metrics, ui
from handoff.attribution.models import MODEL_LABELS, MODELS
from handoff.charts import fmt_count, fmt_usd
from handoff.funnel_charts import funnel_chart
from handoff.text import md

ui.page_header("Campaigns", "What does each program cost, and what does it return?")
f = ui.filters()
# The URL carries model ids (campaigns_model=w_shaped), as the CLI does.
model = ui.coded_selectbox(
    "Attribution model for won revenue",
    {m: MODEL_LABELS[m] for m in MODELS},
    key="campaigns_model",
    default="linear",
    where=st.columns([1, 2])[0],
)
perf = ui.query("campaigns__performance", f)
if perf.empty or not perf[["lead_count", "cost_usd"]].to_numpy().any():
    ui.no_data("campaigns")
    st.stop()
credit = ui.query("attribution__credit", f, model=model, level="campaign", basis="revenue")
table = campaigns.performance(perf, credit)
total = campaigns.totals(table, credit)

cols = st.columns(5)
for tile, (metric_id, key) in zip(cols, campaigns.HEADLINE, strict=True):
    ui.metric_tile(tile, metric_id, total[key])
ui.caption(
    f"{MODEL_LABELS[model]} model; of {fmt_usd(total['attributed_revenue_usd'])} won in all.", where=cols[3]
)

by_campaign, by_channel, over_time = st.tabs(["By campaign", "By channel", "Spend against results"])
with by_campaign:
    ui.metric_table(
        campaigns.with_total_row(table, "campaign_name"),
        "campaign_performance",
        campaigns.COLUMNS,
        column_config={"Campaign": st.column_config.TextColumn(pinned=True)},
        download=table,
    )
    ui.caption(
        f"Totals: {fmt_usd(total['cost_usd'])} cost, {fmt_count(total['lead_count'])} leads, "
        f"{fmt_count(total['mql_count'])} MQLs, {fmt_usd(total['pipeline_usd'])} pipeline, "
        f"{fmt_count(total['won_count'])} won deals — the Overview's figures for the same filters."
    )
with by_channel:
    channels = campaigns.by_channel(table)
    ui.metric_table(
        campaigns.with_total_row(channels, "channel"),
        "channel_performance",
        {c: label for c, label in campaigns.COLUMNS.items() if c not in ("campaign_name", "owner_team")},
        column_config={"Channel": st.column_config.TextColumn(pinned=True)},
        download=channels,
    )
with over_time:
    monthly = ui.query("campaigns__spend_by_month", f)
    notes = ui.notes(f.start, f.end)
    spend = campaigns.spend_figure(monthly, notes, campaign_ids=table["campaign_id"].dropna())
    st.plotly_chart(spend, width="stretch")
    ui.note_caption(spend, notes)
    ui.download_csv(monthly, "spend_by_month")

st.subheader("One campaign up close")
named = table.dropna(subset=["campaign_id"]).sort_values("cost_usd", ascending=False)
chosen = st.selectbox(
    "Campaign",
    named["campaign_id"],
    format_func=dict(zip(named["campaign_id"], named["campaign_name"])).get,
    key="campaigns_detail",
    bind="query-params",
)
if chosen:
    only = f.replace(campaigns=[chosen])
    left, right = st.columns(2)
    with left:
        ui.markdown(md("**Its funnel**: {}", metrics.label("cohort_stage_reached_count")))
        st.plotly_chart(funnel_chart(ui.query("funnel__stage_counts", only, mode="cohort")), width="stretch")
    with right:
        ui.markdown(md("**What sales said about its leads**"))
        reasons = ui.query("campaigns__rejection_reasons", only)
        if reasons.empty:
            ui.caption("No MQL from this campaign was rejected or disqualified.")
        else:
            ui.metric_table(reasons, f"rejection_reasons_{chosen}", campaigns.REASON_COLUMNS)
