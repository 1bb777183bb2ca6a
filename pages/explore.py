"""Explore: pivot any measure by up to two dimensions, drill down to records, or query with SQL."""

import streamlit as st

from handoff import console, labels, pivot, spreadsheet, ui
from handoff.text import md

ui.page_header("Explore", "Which groups drive the numbers, and which records are behind them?")
f = ui.filters()
URL = "query-params"


def downloads(frame, name):
    """CSV and Parquet downloads of a table, text that a spreadsheet would run made inert."""
    row = st.container(horizontal=True)
    row.download_button(
        "CSV",
        spreadsheet.csv_bytes(frame),
        f"{name}.csv",
        "text/csv",
        key=f"{name}-csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        "Parquet",
        console.parquet_bytes(spreadsheet.neutralise_formulas(frame)),
        f"{name}.parquet",
        "application/octet-stream",
        key=f"{name}-parquet",
        icon=":material/download:",
        on_click="ignore",
    )


def show_pivot():
    left, middle, right = st.columns([2, 2, 1])
    options, label = list(pivot.DIMENSIONS), pivot.dimension_label
    dim1 = left.selectbox("Group by", options, index=1, format_func=label, key="explore_dim1", bind=URL)
    dim2 = middle.selectbox("Then by", options, index=0, format_func=label, key="explore_dim2", bind=URL)
    mode = right.segmented_control(
        "Funnel counts",
        list(pivot.MODES),
        format_func=pivot.MODES.get,
        default="cohort",
        required=True,
        key="explore_mode",
        bind=URL,
        help=pivot.MODE_HELP,
    )
    keys = st.multiselect(
        "Measures",
        list(pivot.MEASURES),
        default=list(pivot.DEFAULT_MEASURES),
        format_func=pivot.measure_label,
        key="explore_measures",
        bind=URL,
    )
    dim1, dim2 = pivot.choose(dim1, dim2)
    frame = ui.query("explore__pivot", f, mode=mode, dim1=dim1, dim2=dim2)
    sla = None
    if "sla_compliance" in keys:  # the SLA policy's evaluation costs more: only when asked for
        sla = ui.query("explore__pivot_sla", f, mode=mode, dim1=dim1, dim2=dim2)
        frame = pivot.with_sla(frame, sla)
    if frame.empty:
        ui.no_data("leads")
        return
    if not keys:
        ui.info("Pick at least one measure.", icon=":material/functions:")
        return
    if note := pivot.basis_note(keys, mode):
        ui.caption(note)
    if dim1 == pivot.NONE:
        for tile, measure in zip(st.columns(len(keys)), pivot.measures(keys)):
            ui.metric_tile(tile, measure.metric(mode).id, frame[measure.column].iloc[0])
    else:
        chart = st.selectbox("Chart", keys, format_func=pivot.measure_label, key="explore_chart", bind=URL)
        st.plotly_chart(pivot.figure(frame, dim1, dim2, chart, mode))
    shown = pivot.table(frame, dim1, dim2, keys, mode)
    config = {
        column: st.column_config.NumberColumn(help=text, format=fmt)
        for column, (fmt, text) in pivot.column_formats(keys, mode).items()
    }
    event = ui.dataframe(
        shown,
        column_config=config,
        key="explore_table",
        on_select="rerun",
        selection_mode=["multi-row", "multi-cell"],
    )
    if sla is not None and len(sla):
        ui.caption(f"Follow-up SLA, as the SLA page measures it: {sla['sla_rule'].iloc[0]}.")
    downloads(shown, f"pivot_{dim1}_{dim2}")

    st.subheader("Records behind the selection")
    kind = st.segmented_control(
        "Records",
        list(pivot.RECORD_KINDS),
        format_func=pivot.RECORD_KINDS.get,
        default="leads",
        required=True,
        key="explore_records",
        bind=URL,
    )
    cells = pivot.selected_cells(frame, event.selection.rows, event.selection.cells)
    if not cells:
        ui.caption("Select rows or cells of the table above to list the leads, deals or touches they count.")
        return
    members = ui.query("explore__cell_members", f, mode=mode, dim1=dim1, dim2=dim2, **cells)
    ids = pivot.member_ids(members, kind)
    records = ui.query(pivot.RECORD_QUERIES[kind], f, row_limit=pivot.RECORD_LIMIT, **ids)
    capped = " (the first of more; narrow the selection)" if len(records) == pivot.RECORD_LIMIT else ""
    rows = len(cells["dim1_values"])
    ui.caption(f"{len(records):,} {kind}{capped} behind {rows} selected row(s). {pivot.RECORDS_NOTE}")
    ui.dataframe(labels.for_people(records, ui.names()))
    downloads(records, f"records_{kind}")


def show_console():
    ui.caption(console.introduction())
    editor, schema = st.columns([3, 1])
    with schema:
        ui.markdown(md("**Tables**"))
        columns = ui.query("explore__schema_columns")
        for table, group in columns.groupby("table_name", sort=False):
            with st.expander(f"{table} · {group['table_kind'].iloc[0]}"):
                st.dataframe(group[["column_name", "data_type"]], hide_index=True)
    with editor:
        examples = st.container(horizontal=True, vertical_alignment="center")
        ui.caption("Examples:", where=examples)
        for name, sql in console.EXAMPLES.items():
            examples.button(
                name,
                key=f"explore_example_{name}",
                on_click=ui.use_console_example,
                args=(sql,),
                type="tertiary",
            )
        with st.form("explore_console", border=False):
            sql = (
                st.text_area(
                    "SQL",
                    key="explore_sql",
                    bind=URL,
                    height=200,
                    placeholder="select channel, count(*) as lead_count from leads group by channel",
                )
                or ""
            )
            pressed = st.form_submit_button(
                "Run", key="explore_run", type="primary", icon=":material/play_arrow:"
            )
        outcome = ui.console_outcome(sql, pressed)
        if outcome is None:
            return
        ui.caption(outcome.summary())
        if outcome.kind == "EXPLAIN":
            st.code(outcome.frame.iloc[:, -1].str.cat(sep="\n"), language=None)
        else:
            st.dataframe(outcome.frame, hide_index=True)
        downloads(outcome.frame, "console_result")


views = {"pivot": "Pivot", "console": "SQL console"}
view = st.segmented_control(
    "View",
    list(views),
    format_func=views.get,
    default="pivot",
    required=True,
    key="explore_view",
    bind=URL,
    label_visibility="collapsed",
)
if view == "console":
    show_console()
else:
    show_pivot()
