"""Funnel: one funnel both teams read the same way, with the handoff marked."""

import streamlit as st

from handoff import funnel, funnel_charts, metrics, ui
from handoff.charts import fmt_count

ui.page_header("Funnel", "Where do leads convert and where do they leave, on both sides of the handoff?")
f = ui.filters()

mode = st.segmented_control(
    "Which funnel",
    list(funnel.MODES),
    format_func=funnel.MODES.get,
    default="cohort",
    required=True,
    key="funnel_mode",
    bind="query-params",
)
ui.markdown(funnel.mode_sentence(mode, f, ui.as_of()))
stages = ui.query("funnel__stage_counts", f, mode=mode)
if funnel.is_empty(stages):
    ui.no_data("leads")
    st.stop()

values = funnel.headline_values(stages)
for tile, (period_id, key) in zip(st.columns(4), funnel.HEADLINE, strict=True):
    ui.metric_tile(tile, funnel.headline_metric(period_id, mode), values[key])
if mode == "cohort":
    ui.caption(
        "Leads created in the period are the cohort; the other figures follow those leads to the "
        "data's as-of day."
    )
st.plotly_chart(funnel_charts.funnel_chart(stages))
ui.caption(
    f"Marketing-sourced leads go Lead → MQL → SAL; sales-sourced leads are never MQLs and join the path "
    f"at their first sales stage (hatched). Each conversion shows the records it rests on (n); under "
    f"{funnel.THIN_RECORDS} it is marked thin."
)
ui.metric_table(funnel.stage_table(stages), "funnel_stages", funnel.stage_columns(mode))

# The headline above; each further look in its own tab, so the page opens on the funnel itself.
breakdown_tab, velocity_tab, trend_tab, exits_tab, leads_tab = st.tabs(
    ["Breakdown", "Velocity", "Conversion trend", "Where leads leave", "The leads behind a number"]
)
left, middle, right = breakdown_tab.columns(3)
group_by = left.selectbox(
    "Break down by",
    list(funnel.GROUP_BY),
    format_func=funnel.GROUP_BY.get,
    key="funnel_group_by",
    bind="query-params",
)
sort_by = middle.selectbox(
    "Sort by",
    funnel.sort_options(),
    key="funnel_sort",
    bind="query-params",
    help="Descending: volume at the Lead stage, or the conversion of a step.",
)
view = right.segmented_control(
    "Show as",
    ["Small multiples", "Table"],
    default="Small multiples",
    required=True,
    key="funnel_view",
    bind="query-params",
)
with breakdown_tab:
    grouped = ui.query("funnel__stage_counts", f, mode=mode, group_by=group_by)
    labels = funnel.group_labels(group_by, ui.query("filters__options"))
    wide = funnel.breakdown_table(grouped, group_by, labels, sort_by)
    counts, rates = (
        metrics.by_basis("stage_reached_count", mode),
        metrics.by_basis("stage_conversion_rate", mode),
    )
    ui.caption(f"Stage columns: {counts.full_label}. Step columns: {rates.full_label}.")
    if view == "Table":
        st.dataframe(funnel.breakdown_styler(wide), hide_index=True, placeholder="–")
        ui.caption(f"Grey italic: a conversion resting on fewer than {funnel.THIN_RECORDS} records (thin).")
    else:
        st.plotly_chart(funnel_charts.small_multiples(grouped, wide, group_by, labels))
        ui.caption(
            f"The first {min(12, len(wide))} of {len(wide)} groups by the chosen sort. Bars: share of the "
            f"group's leads; labels: count · conversion from the previous stage (thin under "
            f"{funnel.THIN_RECORDS} records)."
        )
    ui.download_csv(wide.drop(columns="group_value"), f"funnel_by_{group_by}")

with velocity_tab:
    before = f.previous()
    previous = ui.query("funnel__velocity", before, mode=mode) if before != f else None
    velocity = funnel.velocity_comparison(ui.query("funnel__velocity", f, mode=mode), previous)
    ui.caption(funnel.velocity_caption(f))
    st.plotly_chart(funnel_charts.velocity_chart(velocity))
    ui.metric_table(velocity, "funnel_velocity", funnel.velocity_columns(mode))

with trend_tab:
    trend_window = funnel.trend_filters(f)
    trend = ui.query("funnel__conversion_by_month", trend_window)
    ui.caption(
        f"Leads created {funnel.window_words(trend_window)}, by created month: the share of each "
        "step's first stage that has gone on to the next by now. Hollow: too young to judge (the month's "
        "median lead is younger than the median time to that stage); faint: thin."
    )
    notes = ui.notes(trend_window.start, trend_window.end)
    trend_figure = funnel_charts.trend_chart(trend, notes)
    st.plotly_chart(trend_figure)
    ui.note_caption(trend_figure, notes)
    ui.metric_table(funnel.trend_table(trend), "funnel_conversion_by_month", funnel.TREND_COLUMNS)

with exits_tab:
    ui.caption(
        "Leads created in the window, from Lead to where each ended up by now: won, lost (with the "
        "deal's reason), disqualified (with the lead's reason) or still open. Sales-sourced leads go "
        "from Lead straight to the stage where they joined."
    )
    exits = ui.query("funnel__exits", f)
    st.plotly_chart(funnel_charts.exits_sankey(exits))
    ui.metric_table(funnel.exits_table(exits), "funnel_exits", funnel.EXIT_COLUMNS)

with leads_tab:
    left, right = st.columns(2)
    stage_order = left.selectbox(
        "Stage",
        list(funnel.STAGE_NAMES),
        format_func=funnel.STAGE_NAMES.get,
        key="funnel_stage",
        bind="query-params",
    )
    names = funnel.group_names(wide)
    group_value = right.selectbox(
        funnel.GROUP_BY[group_by],
        [None, *names],
        key="funnel_group_value",
        format_func=lambda value: "All" if value is None else names[value],
    )
    leads = ui.query(
        "funnel__leads",
        f,
        mode=mode,
        stage_order=stage_order,
        group_by=group_by,
        group_value=group_value,
        row_limit=funnel.DRILL_DOWN_ROWS,
    )
    newest = f" (the newest {funnel.DRILL_DOWN_ROWS:,})" if len(leads) == funnel.DRILL_DOWN_ROWS else ""
    ui.caption(f"{fmt_count(len(leads))} leads counted at {funnel.STAGE_NAMES[stage_order]}{newest}.")
    ui.table(funnel.for_people(leads), "funnel_leads")
