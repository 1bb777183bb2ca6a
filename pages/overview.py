"""Overview: the leadership screen — KPIs against target and the previous period."""

import streamlit as st

from handoff import overview, report, sla, ui
from handoff.charts import fmt_pct, fmt_usd

ui.page_header("Overview", "Where do marketing and sales stand this period, against target and the period before?")
f = ui.filters()
st.download_button(
    "Meeting pack (HTML)", lambda: report.build_report(f, db_path=ui.db_path()), file_name="handoff-review.html",
    mime="text/html", icon=":material/summarize:", key="overview_report",
    help="One self-contained file with these KPIs, the funnel, the SLA scorecard, attribution by team across "
         "models and the leakage decomposition; it opens offline and its charts stay interactive.",
)
as_of = ui.as_of()
current = ui.query("overview__kpis", f).iloc[0].to_dict()
if not current["mql_count"] and not current["sal_count"] and not current["pipeline_created_usd"]:
    ui.no_data("leads or deals")
    st.stop()
previous = ui.query("overview__kpis", f.previous()).iloc[0].to_dict()
targets = ui.query("overview__targets_by_month", f)
policies = sla.load_policies_or_last_good()
if policies.error:
    st.warning(f"The SLA policy file has a problem: {policies.error}. The SLA tiles use the {policies.source}.")
compliance = {window: ui.query("sla__compliance", window, policies=policies.text) for window in (f, f.previous())}
sla_now, sla_before = overview.sla_by_team(compliance[f]), overview.sla_by_team(compliance[f.previous()])
current.update(sla_now)
previous.update(sla_before)

TEAM_MARK = {"marketing": ":orange[■]", "sales": ":blue[■]", None: ":gray[■]"}
tiles = overview.tiles(current, previous, targets, f.start, f.end)
for row_start in range(0, len(tiles), 4):
    for column, tile in zip(st.columns(4), tiles[row_start:row_start + 4], strict=False):
        column.metric(
            f"{TEAM_MARK[tile.kpi.owner_team]} {tile.kpi.label}", tile.value_text, tile.delta_text,
            delta_color="normal" if tile.kpi.higher_is_better else "inverse", help=tile.kpi.help, border=True,
        )
        if tile.target_text:
            column.caption(tile.target_text)
st.caption(f"Compared with {f.previous().describe().split(' · ')[0]}. "
           ":orange[■] marketing owns it · :blue[■] sales owns it. Targets are monthly, prorated by day.")

st.subheader("What changed since the previous period")
# Period mode: stage entries within each window, so a young cohort does not look like a drop.
by_channel = {window: ui.query("funnel__stage_counts", window, mode="period", group_by="channel")
              for window in (f, f.previous())}
movements = (
    overview.funnel_movements(ui.query("funnel__stage_counts", f, mode="period"),
                              ui.query("funnel__stage_counts", f.previous(), mode="period"))
    + overview.volume_movements(by_channel[f].query("stage_order == 1"),
                                by_channel[f.previous()].query("stage_order == 1"), "reached_count", "leads")
    + overview.sla_movements(compliance[f], compliance[f.previous()])
)
for movement in overview.biggest_movements(movements):
    st.markdown(f"- {TEAM_MARK[movement.owner_team]} {movement.sentence()}")

left, right = st.columns([3, 2])
with left:
    st.subheader("Pipeline and bookings against target")
    months = overview.quarter_against_target(ui.query("overview__money_by_month", f), targets, as_of)
    st.plotly_chart(overview.money_vs_target_figure(months), width="stretch")
    gap = overview.quarter_gap(months, as_of)
    if gap["bookings_gap_usd"] is None:
        st.caption("No sales targets apply to these filters.")
    else:
        st.caption(f"This quarter so far: bookings {fmt_usd(gap['bookings_actual_usd'])} of "
                   f"{fmt_usd(gap['bookings_target_usd'])} (gap {fmt_usd(gap['bookings_gap_usd'])}); pipeline "
                   f"{fmt_usd(gap['pipeline_actual_usd'])} of {fmt_usd(gap['pipeline_target_usd'])}.")
with right:
    st.subheader("Pipeline coverage this quarter")
    coverage = overview.pipeline_coverage(ui.query("overview__pipeline_coverage", f),
                                          ui.query("overview__targets_by_month", f, by_segment=True))
    shown = coverage.assign(
        open_pipeline=coverage["open_pipeline_usd"].map(fmt_usd),
        remaining_target=coverage["remaining_target_usd"].map(fmt_usd),
        win_rate=coverage["trailing_win_rate"].map(fmt_pct),
        coverage=coverage["coverage_ratio"].map(lambda x: "–" if x != x else f"{x:.1f}×"),
        needed=coverage["needed_ratio"].map(lambda x: "–" if x != x else f"{x:.1f}×"),
    )[["segment", "open_pipeline", "remaining_target", "win_rate", "coverage", "needed", "status"]]
    st.dataframe(shown, hide_index=True, width="stretch")
    ui.download_csv(coverage, "pipeline_coverage")
    st.caption("Coverage = open pipeline ÷ the bookings target still to reach this quarter. Needed = 1 ÷ the "
               "segment's win rate over the last four quarters, so each segment is held to its own odds.")
