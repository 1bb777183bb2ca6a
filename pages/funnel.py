"""Funnel: one funnel both teams read the same way, with the handoff marked."""

import streamlit as st

from handoff import funnel, ui
from handoff.charts import fmt_count, fmt_days, fmt_pct

ui.page_header("Funnel", "Where do leads convert and where do they leave, on both sides of the handoff?")
f = ui.filters()

mode = st.segmented_control("Which funnel", list(funnel.MODES), format_func=funnel.MODES.get,
                            default="cohort", required=True, key="funnel_mode", bind="query-params")
st.markdown(funnel.mode_sentence(mode, f, ui.as_of()))
stages = ui.query("funnel__stage_counts", f, mode=mode)
if funnel.is_empty(stages):
    ui.no_data("leads")
    st.stop()

count = dict(zip(stages["stage"], stages["reached_count"]))
helps = funnel.kpi_help(mode)
tiles = st.columns(4)
tiles[0].metric("Leads", fmt_count(count["Lead"]), help=helps["Leads"])
tiles[1].metric("MQL → SAL (the handoff)", fmt_pct(stages["from_previous_rate"].iloc[2]),
                help=helps["MQL → SAL"])
tiles[2].metric("Won", fmt_count(count["Won"]), help=helps["Won"])
tiles[3].metric("Lead → Won", fmt_pct(stages["from_first_rate"].iloc[5]), help=helps["Lead → Won"])
st.plotly_chart(funnel.funnel_chart(stages))
st.caption(f"Each conversion shows the records it rests on (n); under {funnel.THIN_RECORDS} it is marked "
           "thin.")
ui.table(funnel.for_people(funnel.stage_table(stages)), "funnel_stages")

st.subheader("Breakdown")
left, middle, right = st.columns(3)
group_by = left.selectbox("Break down by", list(funnel.GROUP_BY), format_func=funnel.GROUP_BY.get,
                          key="funnel_group_by", bind="query-params")
sort_by = middle.selectbox("Sort by", funnel.sort_options(), key="funnel_sort", bind="query-params",
                           help="Descending: volume at the Lead stage, or the conversion of a step.")
view = right.segmented_control("Show as", ["Small multiples", "Table"], default="Small multiples",
                               required=True, key="funnel_view", bind="query-params")
grouped = ui.query("funnel__stage_counts", f, mode=mode, group_by=group_by)
labels = funnel.group_labels(group_by, ui.query("filters__options"))
wide = funnel.breakdown_table(grouped, group_by, labels, sort_by)
if view == "Table":
    st.dataframe(funnel.breakdown_styler(wide), hide_index=True)
    st.caption(f"Grey italic: a conversion resting on fewer than {funnel.THIN_RECORDS} records (thin).")
else:
    st.plotly_chart(funnel.small_multiples(grouped, wide, group_by, labels))
    st.caption(f"The first {min(12, len(wide))} of {len(wide)} groups by the chosen sort. Bars: share of the "
               f"group's leads; labels: count · conversion from the previous stage (thin under "
               f"{funnel.THIN_RECORDS} records).")
ui.download_csv(wide.drop(columns="group_value"), f"funnel_by_{group_by}")

st.subheader("Velocity")
before = f.previous()
previous = ui.query("funnel__velocity", before, mode=mode) if before != f else None
velocity = funnel.velocity_comparison(ui.query("funnel__velocity", f, mode=mode), previous)
st.caption(funnel.velocity_caption(f))
for tile, row in zip(st.columns(len(velocity)), velocity.itertuples()):
    delta, color = funnel.velocity_delta(row.median_change_days)
    tile.metric(f"{row.step} ({row.owner_team})", fmt_days(row.median_days), delta, delta_color=color,
                help=f"Median days from {row.step.replace(' → ', ' to ')} over {fmt_count(row.pair_count)} "
                     "leads with both timestamps; the change is against the previous window.")
st.plotly_chart(funnel.velocity_chart(velocity))
st.caption("● median, ◆ 90th percentile, in the owner's colour; grey: the previous window.")
ui.table(funnel.for_people(velocity), "funnel_velocity")

st.subheader("Conversion trend")
trend_window = funnel.trend_filters(f)
trend = ui.query("funnel__conversion_by_month", trend_window)
st.caption(f"Leads created {funnel.window_words(trend_window)}, by created month: the share of each "
           "step's first stage that has reached the next by now. Hollow: too young to judge (the month's "
           "median lead is younger than the median time to that stage); faint: thin.")
st.plotly_chart(funnel.trend_chart(trend))
ui.table(funnel.for_people(trend), "funnel_conversion_by_month")

st.subheader("Where leads leave")
st.caption("Leads created in the window, from Lead to where each ended up by now: won, lost (with the "
           "deal's reason), disqualified (with the lead's reason) or still open.")
exits = ui.query("funnel__exits", f)
st.plotly_chart(funnel.exits_sankey(exits))
ui.table(funnel.for_people(exits), "funnel_exits")

st.subheader("The leads behind a number")
left, right = st.columns(2)
stage_order = left.selectbox("Stage", list(funnel.STAGE_NAMES), format_func=funnel.STAGE_NAMES.get,
                             key="funnel_stage", bind="query-params")
names = funnel.group_names(wide)
group_value = right.selectbox(funnel.GROUP_BY[group_by], [None, *names], key="funnel_group_value",
                              format_func=lambda value: "All" if value is None else names[value])
leads = ui.query("funnel__leads", f, mode=mode, stage_order=stage_order, group_by=group_by,
                 group_value=group_value, row_limit=funnel.DRILL_DOWN_ROWS)
newest = f" (the newest {funnel.DRILL_DOWN_ROWS:,})" if len(leads) == funnel.DRILL_DOWN_ROWS else ""
st.caption(f"{fmt_count(len(leads))} leads counted at {funnel.STAGE_NAMES[stage_order]}{newest}.")
ui.table(funnel.for_people(leads), "funnel_leads")
