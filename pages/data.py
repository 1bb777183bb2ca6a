"""Data: can we trust the numbers (complete, fresh), and how do we load our own?"""

import streamlit as st

from handoff import ingest, metrics, sla, ui
from handoff.charts import fmt_count, fmt_pct
from handoff.demo import build_demo
from handoff.errors import HandoffError
from handoff.ingest.mapping import preset_names
from handoff.sla import view as sla_view
from handoff.text import md

ui.page_header("Data", "Is the data complete and fresh enough to trust, and how do we load our own?")
ui.caption("Data health covers everything in the database: the sidebar filters do not apply on this page.")
if done := st.session_state.pop("data_done", None):
    ui.success(done, icon=":material/check_circle:")

checks = ui.query("data__health_checks")
by_name = checks.set_index("check_name")
for tile, (name, shown) in zip(st.columns(len(ingest.HEADLINE_CHECKS)), ingest.HEADLINE_CHECKS, strict=True):
    row = by_name.loc[name]
    value = fmt_pct(row.ok_rate) if shown == "rate" else fmt_count(row.issue_count)
    ui.check_tile(tile, ingest.HEADLINE_LABELS[name], value, ingest.HEALTH_CHECK_HELP[name])

st.subheader("Tables")
ui.caption("Rows, the span of each table's main date, and its freshness: days from its newest date to today.")
COUNTS = {c: st.column_config.NumberColumn(format="localized") for c in ingest.COUNT_COLUMNS}
ui.table(ingest.tables_for_people(ui.query("data__table_health")), "data_tables", column_config=COUNTS)

st.subheader("Health checks")
passing = {"Passing (%)": st.column_config.ProgressColumn(format="%.1f %%", min_value=0, max_value=100)}
ui.table(ingest.checks_for_people(checks), "data_health_checks", column_config=COUNTS | passing)
check = st.selectbox(
    "Show the records failing a check",
    list(checks["check_name"]),
    key="data_check",
    index=int((checks["issue_count"] > 0).to_numpy().argmax()),  # the first with failures
    format_func=dict(zip(checks["check_name"], checks["check_label"], strict=True)).get,
    bind="query-params",
    help="Up to 50 records, each with what is wrong, so a chart that looks wrong can be traced to its data.",
)
failing = ui.query("data__health_check_rows", check=check)
if failing.empty:
    ui.info("Every record passes this check.", icon=":material/task_alt:")
else:
    ui.table(ingest.failing_for_people(failing), f"data_failing_{check}")

st.subheader("What the data supports")
ui.caption(
    "Some figures need data a CRM export may leave out. Where a rule is not met, the pages say what is "
    "missing next to the figure instead of showing a number that would mislead."
)
readiness = ui.query("data__readiness")
policies = sla.load_policies_or_last_good().policies.policies
policy_figures = [(p.name, sla_view.policy_needs(p.kind)) for p in policies]
by_page = metrics.readiness_by_page(readiness, {"sla": policy_figures})
for _, page in by_page[by_page["Supported"] < by_page["Figures"]].iterrows():
    ui.markdown(
        md(
            "- **{}**: {} of {} figures supported; cannot be judged for want of data: {}",
            page["Page"],
            page["Supported"],
            page["Figures"],
            page["Cannot be judged"],
        )
    )
with st.expander("Every page, as a table", icon=":material/table:"):
    ui.table(by_page, "data_readiness_by_page")
ui.table(metrics.readiness_for_people(readiness), "data_readiness")

files = ui.query("data__import_files")
if not files.empty:
    st.subheader("Last import")
    ui.caption(ingest.last_import_sentence(files))
    problems = ingest.problems_for_people(ui.query("data__import_problems"))
    ui.table(problems, "data_last_import_problems", column_config=COUNTS)

st.subheader("Load your own data")
ui.caption(
    "Upload exports, pick a mapping, check, confirm. Until then nothing is written. "
    f"Up to {ingest.upload_limit_bytes() / 1e6:g} MB a file and {ingest.upload_row_limit():,} rows an "
    "upload (`HANDOFF_MAX_UPLOAD_MB`, `HANDOFF_IMPORT_MAX_ROWS`)."
)
if not ingest.may_import(ui.viewer()):
    ui.info("Importing and rebuilding the data is for administrators.", icon=":material/lock:")
    st.stop()
# Buttons record what they ask for in a callback, which runs before the script (and survives a rerun).
action = st.session_state.pop("data_action", None)
import_tab, demo_tab = st.tabs(["Import CRM exports", "Demo company"])
with import_tab:
    uploads = st.file_uploader(
        "CRM exports: CSV (any common encoding and delimiter) or Parquet",
        key="data_uploads",
        type=["csv", "tsv", "txt", "parquet"],
        accept_multiple_files=True,
        help=f"Up to {ingest.upload_limit_bytes() / 1e6:g} MB per file and {ingest.upload_row_limit():,} "
        "rows in all, kept under data/uploads/ only.",
    )
    mapping = st.selectbox(
        "Mapping",
        [*preset_names(), "upload"],
        key="data_mapping",
        bind="query-params",
        format_func=lambda m: "Upload a mapping file (TOML)…" if m == "upload" else m,
        help="Which columns of which export feed each table (docs/import.md: Writing your own mapping).",
    )
    mapping_file = mapping == "upload" and st.file_uploader("Mapping", type=["toml"], key="data_mapping_file")
    too_big = ingest.too_large((f.name, f.size) for f in uploads or [])
    if too_big:
        ui.error(too_big, icon=":material/block:")
    elif (
        st.button(
            "Check the files",
            icon=":material/fact_check:",
            key="data_check_files",
            on_click=st.session_state.update,
            kwargs={"data_action": "check"},
            disabled=not uploads or (mapping == "upload" and not mapping_file),
        )
        or action == "check"
    ):
        st.session_state.pop("data_checked", None)
        try:
            with st.spinner("Reading and checking the files…"):
                # A summary and the saved files' paths only: the rows are read again on import.
                st.session_state["data_checked"] = ingest.check_uploads(
                    uploads, mapping, mapping_file or None
                )
        except HandoffError as exc:
            ui.error(str(exc), icon=":material/error:")
    if uploads and not too_big and "data_checked" in st.session_state:
        checked = st.session_state["data_checked"]
        (ui.error if checked.has_errors else ui.success)(f"{checked.headline}. Nothing has been written yet.")
        ui.table(checked.files_frame, "data_check_files")
        quarantine = (
            checked.has_errors
            and checked.can_quarantine
            and st.checkbox(
                "Set rows with errors aside (with the rows that depend on them) and load the rest",
                key="data_quarantine",
            )
        )
        if checked.has_tables:
            ui.table(checked.rows(quarantine), "data_check_rows")
        if checked.has_problems:
            ui.table(ingest.problems_for_people(checked.problems_frame), "data_check_problems")
            with st.expander("Examples: file, row (the header is row 1), column and value, 20 of each"):
                ui.table(ingest.problems_for_people(checked.samples_frame), "data_check_examples")
        # Errors refuse the import unless their rows are set aside.
        may_write = not checked.has_errors or quarantine
        if may_write:
            st.subheader("What the import replaces")
            replaced = checked.replacement(ui.query("data__table_counts"), quarantine)
            ui.warning(checked.replacement_sentence(ui.db_path().name, replaced, ui.as_of(), quarantine))
            ui.table(replaced, "data_check_replacement", column_config=COUNTS)
            sure = st.checkbox(
                f"Replace everything in {ui.db_path().name} with these files", key="data_import_sure"
            )
        if may_write and (
            st.button(
                f"Import into {ui.db_path().name}",
                type="primary",
                icon=":material/upload:",
                key="data_confirm",
                disabled=not sure,
                on_click=st.session_state.update,
                kwargs={"data_action": "import"},
            )
            or action == "import"
        ):
            bar = st.progress(0.0, text="Importing…")
            try:
                written = checked.write(
                    ui.db_path(),
                    quarantine=quarantine,
                    rejects_path=checked.folder / "rejects.csv" if quarantine else None,
                    progress=lambda f, text: bar.progress(min(f, 1.0), text=text),
                )
            except HandoffError as exc:
                ui.error(str(exc), icon=":material/error:")
            else:
                del st.session_state["data_checked"]
                st.session_state["data_done"] = f"{written.sentence()} {ingest.replaced_sentence(replaced)}"
                st.rerun()
with demo_tab:
    ui.markdown("Replace the data with the deterministic demo company (two years up to today).")
    leads = st.number_input(
        "Leads", min_value=100, max_value=1_000_000, value=40_000, step=1_000, key="data_demo_leads"
    )
    sure = st.checkbox(f"Replace everything in {ui.db_path().name}", key="data_demo_sure")
    if (
        st.button(
            "Build the demo database",
            disabled=not sure,
            icon=":material/refresh:",
            key="data_demo_build",
            on_click=st.session_state.update,
            kwargs={"data_action": "demo"},
        )
        or action == "demo"
    ):
        bar = st.progress(0.0, text="Starting…")
        build_demo(
            ui.db_path(), leads=int(leads), progress=lambda f, text: bar.progress(min(f, 1.0), text=text)
        )
        st.session_state["data_done"] = f"Built the demo company with {fmt_count(leads)} leads."
        st.rerun()
