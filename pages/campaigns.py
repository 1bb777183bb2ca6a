"""Campaigns: what each program costs and what it returns."""

import streamlit as st

from handoff import campaigns, ui
from handoff.attribution_models import MODEL_LABELS, MODELS
from handoff.funnel import funnel_chart
from handoff.charts import fmt_count, fmt_pct, fmt_usd

ui.page_header("Campaigns", "What does each program cost, and what does it return?")
f = ui.filters()
# The URL carries model ids (campaigns_model=w_shaped), as the CLI does.
model = st.columns([1, 2])[0].selectbox("Attribution model for won revenue", MODELS, index=MODELS.index("linear"),
                                        key="campaigns_model", bind="query-params")
perf = ui.query("campaigns__performance", f)
if perf.empty or not perf[["lead_count", "cost_usd"]].to_numpy().any():
    ui.no_data("campaigns")
    st.stop()
credit = ui.query("attribution__credit", f, model=model, level="campaign", basis="revenue")
table = campaigns.performance(perf, credit)
total = campaigns.totals(table, credit)

cols = st.columns(5)
cols[0].metric("Cost", fmt_usd(total["cost_usd"]), help="Campaign cost in the period: each campaign's cost spread evenly over its days.")
cols[1].metric("Cost per MQL", fmt_usd(total["cost_per_mql_usd"]), help="Cost ÷ MQL entries (mql_at in the period) of campaign-sourced leads.")
cols[2].metric("CAC", fmt_usd(total["cac_usd"]), help="Cost ÷ new customers: deals won in the period (the Overview's CAC).")
cols[3].metric("Won revenue to campaigns", fmt_usd(total["campaign_revenue_usd"]),
               help=f"Revenue of deals won in the period that the {MODEL_LABELS[model]} model credits to campaign touches; "
                    f"of {fmt_usd(total['attributed_revenue_usd'])} won in all.")
cols[4].metric("ROI", fmt_pct(total["roi_rate"]), help="(Won revenue credited to campaigns − cost) ÷ cost.")

by_campaign, by_channel, over_time = st.tabs(["By campaign", "By channel", "Spend against results"])
columns = {
    "campaign_name": st.column_config.TextColumn("Campaign"), "channel": "Channel", "owner_team": "Owner",
    "cost_usd": st.column_config.NumberColumn("Cost", format="dollar"),
    "lead_count": "Leads", "mql_count": "MQLs", "sal_count": "SALs",
    "pipeline_usd": st.column_config.NumberColumn("Pipeline", format="dollar"),
    "won_count": "Won deals",
    "attributed_revenue_usd": st.column_config.NumberColumn("Won revenue (model)", format="dollar"),
    "cost_per_mql_usd": st.column_config.NumberColumn("Cost / MQL", format="dollar"),
    "cac_usd": st.column_config.NumberColumn("CAC", format="dollar"),
    "roi_rate": st.column_config.NumberColumn("ROI", format="percent"),
}
with by_campaign:
    ui.table(table, "campaign_performance", column_order=list(columns), column_config=columns)
    st.caption(f"Totals: {fmt_usd(total['cost_usd'])} cost, {fmt_count(total['lead_count'])} leads, "
               f"{fmt_count(total['mql_count'])} MQLs, {fmt_usd(total['pipeline_usd'])} pipeline, "
               f"{fmt_count(total['won_count'])} won deals — the Overview's figures for the same filters.")
with by_channel:
    ui.table(campaigns.by_channel(table), "channel_performance", column_order=[c for c in columns if c not in
             ("campaign_name", "owner_team")], column_config=columns)
with over_time:
    monthly = ui.query("campaigns__spend_by_month", f)
    st.plotly_chart(campaigns.spend_figure(monthly), width="stretch")
    ui.download_csv(monthly, "spend_by_month")

st.subheader("One campaign up close")
named = table.dropna(subset=["campaign_id"]).sort_values("cost_usd", ascending=False)
chosen = st.selectbox("Campaign", named["campaign_id"], format_func=dict(zip(named["campaign_id"], named["campaign_name"])).get,
                      key="campaigns_detail", bind="query-params")
if chosen:
    only = f.replace(campaigns=[chosen])
    left, right = st.columns(2)
    with left:
        st.markdown("**Its funnel** (leads created in the period)")
        st.plotly_chart(funnel_chart(ui.query("funnel__stage_counts", only, mode="cohort")), width="stretch")
    with right:
        st.markdown("**What sales said about its leads**")
        reasons = ui.query("campaigns__rejection_reasons", only)
        if reasons.empty:
            st.caption("No MQL from this campaign was rejected or disqualified.")
        else:
            ui.table(reasons, f"rejection_reasons_{chosen}",
                     column_config={"share_rate": st.column_config.NumberColumn("Share", format="percent")})
