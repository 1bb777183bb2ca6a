"""Overview: the leadership screen — KPIs against target and the previous period."""

import streamlit as st

from handoff import overview, report, sla, ui
from handoff.text import md

ui.page_header(
    "Overview", "Where do marketing and sales stand this period, against target and the period before?"
)
f = ui.filters()
st.download_button(
    "Meeting pack (HTML)",
    lambda: report.build_report(f, db_path=ui.db_path()),
    file_name="handoff-review.html",
    mime="text/html",
    icon=":material/summarize:",
    key="overview_report",
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
    ui.warning(
        f"The SLA policy file has a problem: {policies.error}. The SLA tiles use the {policies.source}."
    )
compliance = {
    window: ui.query("sla__compliance", window, policies=policies.text) for window in (f, f.previous())
}
sla_now, sla_before = overview.sla_by_team(compliance[f]), overview.sla_by_team(compliance[f.previous()])
current.update(sla_now)
previous.update(sla_before)

tiles = overview.tiles(current, previous, targets, f.start, f.end)
for row_start in range(0, len(tiles), 4):
    for column, tile in zip(st.columns(4), tiles[row_start : row_start + 4], strict=False):
        ui.metric_tile(column, tile.kpi.metric_id, tile.value, delta=tile.delta_text)
        if tile.target_text:
            ui.caption(tile.target_text, where=column)
        if tile.kpi.key in ("sla_sales", "sla_marketing"):
            ui.caption(
                overview.sla_counted_text(compliance[f], tile.kpi.key.removeprefix("sla_")), where=column
            )
        if tile.kpi.key == "cac":
            ui.caption(overview.cac_parts_text(current), where=column)
ui.caption(
    md(
        "Compared with {}. :orange[■] marketing owns it · :blue[■] sales owns it. Targets are monthly, "
        "prorated by day.",
        f.previous().window_label(),
    )
)

st.subheader("What changed since the previous period")
for movement in overview.what_changed(ui.query, f, compliance[f], compliance[f.previous()]):
    ui.markdown(md("- {} {}", ui.TEAM_MARK[movement.owner_team], movement.sentence()))

st.subheader("Pipeline and bookings against target")
months = overview.quarter_against_target(ui.query("overview__money_by_month", f), targets, as_of)
notes = ui.notes()
money = overview.money_vs_target_figure(months, notes)
st.plotly_chart(money, width="stretch")
ui.note_caption(money, notes)
for gap in overview.quarter_gaps(months, as_of):
    ui.caption(overview.quarter_gap_sentence(gap))
# Full width, status and coverage first: every column in sight at 1440 px.
coverage = overview.pipeline_coverage(
    ui.query("overview__pipeline_coverage", f), ui.query("overview__targets_by_month", f, by_segment=True)
)
quarter = overview.quarter_name(coverage["quarter_start"].iloc[0]) if len(coverage) else "this quarter"
st.subheader(f"Pipeline coverage · {quarter}")
ui.readiness_note("pipeline_coverage_ratio")
ui.metric_table(
    coverage,
    "pipeline_coverage",
    {
        "segment": "Segment",
        "status": "Status",
        "coverage_ratio": "pipeline_coverage_ratio",
        "needed_ratio": "needed_coverage_ratio",
        "open_pipeline_usd": "open_pipeline_usd",
        "remaining_target_usd": "remaining_target_usd",
        "trailing_win_rate": "trailing_win_rate",
    },
    width="stretch",
)
ui.caption(
    f"The quarter of the data's as-of day, {quarter}: coverage = open pipeline ÷ the bookings target "
    "still to reach this quarter; needed = 1 ÷ the segment's win rate over the last four quarters, so "
    "each segment is held to its own odds."
)
