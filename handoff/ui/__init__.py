"""The Streamlit side: database start-up, the shared filter bar, and small page helpers.

The only module of the library that imports Streamlit. Pages call `ui.query(...)` for data and
`ui.filters()` for the shared filter set; they never touch the database or build SQL.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from handoff import (  # noqa: F401  (catalog: every query)
    auth,
    catalog,
    console,
    db,
    demo,
    ingest,
    labels,
    metrics,
    note_marks,
    site,
    spreadsheet,
    text,
)
from handoff.errors import DatabaseMissing, HandoffError
from handoff.filters import Filters
from handoff.text import Markdown, md
from handoff.ui import cell_formats
from handoff.ui import filter_bar as filter_bar_widgets
from handoff.ui.note_reader import notes  # noqa: F401  (for the pages)
from handoff.ui.url_state import coded_multiselect, coded_selectbox  # noqa: F401  (for the pages)

_build_lock = threading.Lock()


def db_path() -> Path:
    """The database this app serves: $HANDOFF_DB or data/handoff.duckdb."""
    return db.resolve_db(None)


# ---------------------------------------------------------------------------------------------
# Sign-in (optional: on when .streamlit/secrets.toml has an [auth] section)


def _secrets() -> dict:
    """The app's secrets as a plain dict; empty when there is no secrets file."""
    from streamlit.errors import StreamlitSecretNotFoundError
    from streamlit.runtime.secrets import secrets_singleton

    try:
        return st.secrets.to_dict()
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        if st.secrets is secrets_singleton and any(Path(p).is_file() for p in st.get_option("secrets.files")):
            # A secrets file that does not parse may hold an [auth] section: fail closed.
            return {"auth": {}}
        return {}


def viewer() -> auth.Viewer:
    """Who is looking at the app: anonymous without sign-in, else the signed-in person (or nobody)."""
    return auth.viewer(auth.sign_in_config(_secrets()), st.user.to_dict())


def require_sign_in(show_account: bool = True) -> auth.Viewer:
    """With sign-in configured, stop every page until the viewer has signed in; return the viewer."""
    config = auth.sign_in_config(_secrets())
    who = auth.viewer(config, st.user.to_dict())
    if who.may_view:
        if who.signed_in and show_account:
            with st.sidebar:
                caption(md("Signed in as **{}**{}", who.label, " (administrator)" if who.is_admin else ""))
                st.button("Sign out", key="auth_sign_out", on_click=st.logout, icon=":material/logout:")
        return who
    st.title("Handoff")
    if config.problem:
        error(
            md(
                "Sign-in is configured but can't be used: {}. Ask whoever runs Handoff to fix "
                "`.streamlit/secrets.toml` (docs/security.md: Sign-in).",
                config.problem,
            ),
            icon=":material/lock:",
        )
        st.stop()
    markdown("Sign in to see the numbers.")
    for provider in config.providers:
        if st.button(
            f"Sign in with {provider}" if provider else "Sign in",
            type="primary",
            icon=":material/login:",
            key=f"auth_sign_in_{provider or 'default'}",
        ):
            try:
                st.login(provider) if provider else st.login()
            except Exception as exc:  # e.g. Authlib not installed: one line instead of a traceback
                error(f"Sign-in failed: {str(exc).splitlines()[0]}", icon=":material/lock:")
    st.stop()


# ---------------------------------------------------------------------------------------------
# Start-up: make sure there is a database to show


def ensure_database() -> None:
    """Build the demo database on first start (if the viewer may write); explain and stop otherwise."""
    path = db_path()
    try:
        db.check_database(path)
        return
    except DatabaseMissing:
        if not auth.may_write(viewer()):
            _explain_missing_database(path)
            st.stop()
        _build_demo_with_progress(path, reason=f"No database at `{path}` yet: building the demo company.")
        st.rerun()
    except HandoffError as exc:
        _explain_unusable_database(path, exc)
        st.stop()


def _explain_missing_database(path: Path) -> None:
    """For a viewer who may not write: there is no database yet, and who can make one."""
    admins = sorted(auth.sign_in_config(_secrets()).admins)
    who = (
        md("an administrator ({})", ", ".join(admins))
        if admins
        else md(
            "whoever runs Handoff (no administrator is listed under `[handoff] admins` in `.streamlit/secrets.toml`)"
        )
    )
    st.title("Handoff has no data yet")
    warning(
        md("There is no database at {} yet, and only administrators may build or import one.", str(path)),
        icon=":material/lock:",
    )
    markdown(
        md(
            "Ask {} to open Handoff once (it builds the demo company), to import your data on the Data page, "
            "or to run {} or {}.",
            who,
            f"python -m handoff demo --db {path}",
            f"python -m handoff import --db {path} --mapping …",
        )
    )


def _build_demo_with_progress(path: Path, reason: str) -> None:
    if not auth.may_write(viewer()):  # every caller checks; this keeps a new caller from forgetting
        st.stop()
    st.title("Handoff")
    info(reason)
    bar = st.progress(0.0, text="Starting…")
    with _build_lock:
        if path.exists():  # another session built it while this one waited
            return
        demo.build_demo(
            path, progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message)
        )
    bar.progress(1.0, text="Done")


def _explain_unusable_database(path: Path, exc: HandoffError) -> None:
    st.title("Handoff can't read its database")
    error(str(exc))
    markdown(
        md(
            """
Nothing has been changed. Ways out:

- **Point Handoff at another database**: restart with `HANDOFF_DB=/path/to/handoff.duckdb`.
- **Re-import your data** with {}.
- **Start over with the demo company**: the button below renames this file to {} (it is kept, not
  deleted) and builds a fresh demo database.
""",
            f"python -m handoff import --db {path} --mapping …",
            f"{path.name}.unreadable-<time>",
        )
    )
    if not auth.may_write(viewer()):
        info("Replacing the database is for administrators.", icon=":material/lock:")
        return
    if st.button("Move the file aside and build the demo database", type="primary"):
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.unreadable-{stamp}")
        path.rename(aside)
        db.close_connections()
        _build_demo_with_progress(path, reason=f"Moved the old file to `{aside}`. Building the demo company.")
        st.rerun()


# ---------------------------------------------------------------------------------------------
# Queries


def query(name: str, filters: Filters | None = None, **params) -> pd.DataFrame:
    """Run a named query for a page; a failure shows its one-line reason and stops the page."""
    try:
        return db.run_query(name, filters, db=db_path(), **params)
    except HandoffError as exc:
        error(f"Couldn't load {name}: {exc}")
        st.stop()


def as_of() -> dt.date:
    """The day the data describes: relative periods ("this quarter") count from it."""
    value = query("data__as_of")["as_of_date"].iloc[0]
    return pd.Timestamp(value).date()


# ---------------------------------------------------------------------------------------------
# The shared filter bar, bound to the URL


def names() -> labels.Names:
    """The names of the data's ids (people, campaigns) and the filter options' labels."""
    return labels.Names.from_frames(query("filters__options"), query("data__names"))


def filter_bar() -> Filters:
    """Draw the sidebar filters (their values live in the URL) and return the Filters they set."""
    with st.sidebar:
        chosen, notices = filter_bar_widgets.draw(query("filters__options"), names(), as_of())
    for notice in notices:
        warning(notice, icon=":material/link_off:")
    st.session_state["handoff_filters"] = chosen
    return chosen


def filters() -> Filters:
    """The shared filter set the sidebar chose on this run."""
    return st.session_state.get("handoff_filters", Filters())


# ---------------------------------------------------------------------------------------------
# Page helpers


# Tile labels carry their basis ("MQLs from the period's leads"): let them wrap rather than be cut off.
_APP_STYLE = """<style>
[data-testid="stMetricLabel"] p { white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] { height: auto !important; min-height: 1.5rem; }
</style>"""


def page_header(title: str, question: str) -> None:
    """A page title, the one question the page answers, and the filters in force."""
    if not st.session_state.pop(_FRAMED, False):
        app_frame()  # the page was run on its own, not through app.py: draw the frame around it here
        st.session_state.pop(_FRAMED, None)
    require_sign_in(show_account=False)
    st.html(_APP_STYLE)
    st.title(title)
    markdown(question)
    caption(f"Filters: {filters().describe(names().option)}")


# Set by app_frame for the page it is about to run; the page's header takes it.
_FRAMED = "handoff_framed"


def app_frame():
    """What surrounds every page: sign-in, the database check, the navigation and the filters.

    Returns the page the URL asks for. The sidebar's links are drawn here and Streamlit's own list
    is hidden (`client.showSidebarNavigation = false`): with a `pages/` folder beside app.py,
    Streamlit would otherwise list its file names on a server's first run, and run a page file
    alone; that page's header then draws this frame itself.
    """
    st.set_page_config(page_title="Handoff", page_icon=":material/handshake:", layout="wide")
    navigation = st.navigation(
        [
            st.Page(
                f"pages/{page.slug}.py", title=page.title, icon=page.icon, default=page == site.DEFAULT_PAGE
            )
            for page in site.PAGES
        ],
        position="hidden",
    )
    require_sign_in()  # only when .streamlit/secrets.toml configures sign-in
    ensure_database()
    if stale := ingest.stale_data_warning(query("data__table_health")):
        warning(stale, icon=":material/schedule:")
    _page_links()
    filter_bar()
    st.session_state[_FRAMED] = True
    return navigation


def _page_links() -> None:
    with st.sidebar:
        st.html(_NAV_STYLE)
        for section, pages in site.sections().items():
            st.html(f'<div class="handoff-nav-section">{html.escape(section)}</div>')
            for page in pages:
                st.page_link(f"pages/{page.slug}.py", label=page.title, icon=page.icon)


# Section headings in the sidebar, in the look of Streamlit's own navigation.
_NAV_STYLE = """<style>
.handoff-nav-section { font-size: 0.8rem; font-weight: 600; color: inherit; opacity: 0.6;
  margin: 0.5rem 0 -0.6rem 0.5rem; }
</style>"""


# ---------------------------------------------------------------------------------------------
# Text: the one place page text goes through. A Markdown (handoff.text.md) renders as markdown; any
# other string from data, a file, a URL or a user is escaped and reads as its characters.


def markdown(body, where=None, **kwargs) -> None:
    """st.markdown of `body`, escaped unless it is Markdown Handoff wrote."""
    (where or st).markdown(text.escape(body), **kwargs)


def caption(body, where=None, **kwargs) -> None:
    """st.caption of `body`, escaped unless it is Markdown Handoff wrote."""
    (where or st).caption(text.escape(body), **kwargs)


def info(body, where=None, **kwargs) -> None:
    """st.info of `body`, escaped unless it is Markdown Handoff wrote."""
    (where or st).info(text.escape(body), **kwargs)


def success(body, where=None, **kwargs) -> None:
    """st.success of `body`, escaped unless it is Markdown Handoff wrote."""
    (where or st).success(text.escape(body), **kwargs)


def warning(body, where=None, **kwargs) -> None:
    """st.warning of `body`, escaped unless it is Markdown Handoff wrote."""
    (where or st).warning(text.escape(body), **kwargs)


def error(body, where=None, **kwargs) -> None:
    """st.error of `body`, escaped unless it is Markdown Handoff wrote."""
    (where or st).error(text.escape(body), **kwargs)


# Each team's mark before a label (a stage's or metric's owner is always visible).
TEAM_MARK = {
    team: md(mark)
    for team, mark in {
        "marketing": ":orange[■]",
        "sales": ":blue[■]",
        "shared": ":gray[■]",
        None: ":gray[■]",
    }.items()
}


def readiness() -> dict[str, object]:
    """The data-readiness rules (data__readiness) by rule id: what the data holds for each metric."""
    return {row.rule_id: row for row in query("data__readiness").itertuples()}


def readiness_gate(metric: metrics.Metric, needs: tuple[str, ...] | None = None):
    """The first rule a metric needs (or `needs`, for a figure that rests on more) that the data does not
    (fully) meet, or None."""
    rules = readiness()
    for need in metric.needs if needs is None else needs:
        rule = rules.get(need)
        if rule is not None and rule.status != "ready":
            return rule
    return None


def metric_tile(
    where,
    metric_id: str,
    value,
    *,
    delta: str | None = None,
    value_text: str | None = None,
    label: str | None = None,
    team: str | None = None,
    needs: tuple[str, ...] | None = None,
    **metric_args,
):
    """A tile for a registry metric: its label (basis included) with the owner's mark, its definition as
    help, the value in its unit, and the change. When the data lacks what the metric needs, the tile
    says so instead of a misleading number ("no data: no sales touches recorded")."""
    metric = metrics.get(metric_id)
    gate = readiness_gate(metric, needs)
    shown = value_text if value_text is not None else metric.format(value)
    if gate is not None and gate.status == "missing":
        shown, delta = "no data", None
    color = {"up": "normal", "down": "inverse", "none": "off"}[metric.good]
    where.metric(
        md("{} {}", TEAM_MARK[team or metric.owner_team], label or metric.full_label),
        text.escape(shown),
        delta,
        delta_color=color,
        help=text.escape(metric_args.pop("help", Markdown(metric.help))),
        border=metric_args.pop("border", True),
        **metric_args,
    )
    if gate is not None:
        caption(_gate_text(gate), where=where)
    return gate


def note_caption(figure, candidates, policies=None, where=None) -> None:
    """Under a chart: the notes of `candidates` it marks, in words ("Notes: 14 Mar 2026 — paid programs
    paused (Win rate)"), campaigns and policies (the SLA page's `policies`) by name; nothing without any."""
    if shown := note_marks.drawn(figure, candidates):
        policy_names = {p.id: p.name for p in policies.policies} if policies is not None else None
        caption(note_marks.caption(shown, names().campaigns, policy_names), where=where)


def badge(label, color: str, where=None) -> None:
    """st.badge of `label`, escaped unless it is Markdown Handoff wrote."""
    (where or st).badge(text.escape(label), color=color)


def check_tile(where, label: str, value: str, help_text: str) -> None:
    """A data-health tile (a check, not a registry metric): its words escaped like any other text."""
    where.metric(text.escape(label), text.escape(value), help=text.escape(help_text), border=True)


def _gate_text(gate) -> Markdown:
    return md(":material/data_alert: {}{}", "no data: " if gate.status == "missing" else "", gate.detail)


# ---------------------------------------------------------------------------------------------
# The SQL console (Explore)

_CONSOLE_LAST = "explore_console_last"  # (statement, its outcome or None when too large to keep)


def use_console_example(sql: str) -> None:
    """Put an example in the console's editor and run it: the viewer asked by pressing its button."""
    st.session_state.update(explore_sql=sql, explore_console_example=True)


def console_outcome(sql: str, pressed: bool) -> console.ConsoleResult | None:
    """The console's result to show for `sql`: run now if the viewer pressed Run (or an example),
    else the one kept from the last run of this same statement. A statement not run yet (one that
    came in a link) is only checked, never run: the page shows the refusal or asks for Run, and
    gets None, as it does for a failure (shown) or nothing typed."""
    last_sql, outcome = st.session_state.get(_CONSOLE_LAST, (None, None))
    if not sql.strip():
        return None
    if pressed or st.session_state.pop("explore_console_example", False):
        try:
            outcome = console.run(sql, db_path=db_path())
        except HandoffError as exc:
            outcome = str(exc)
        # A message, or a result small enough to keep: no large frames in the session.
        kept = outcome if isinstance(outcome, str) or console.worth_keeping(outcome) else None
        st.session_state[_CONSOLE_LAST] = (sql, kept)
    elif last_sql != sql or outcome is None:
        try:
            console.check(sql, db_path=db_path())
        except HandoffError as exc:
            error(str(exc), icon=":material/block:")
            return None
        again = " again (its result was too large to keep)" if last_sql == sql else ""
        info(f"Press Run (or Ctrl+Enter) to run this statement{again}.", icon=":material/play_arrow:")
        return None
    if isinstance(outcome, str):
        error(outcome, icon=":material/block:")
        return None
    return outcome


def readiness_note(metric_id: str) -> None:
    """Under a heading or beside a table: what the data lacks for a metric, when it lacks anything."""
    gate = readiness_gate(metrics.get(metric_id))
    if gate is not None:
        caption(_gate_text(gate))


def no_data(what: str = "records") -> None:
    """The friendly message for a selection with nothing in it."""
    info(
        f"No {what} match these filters. Widen the period or clear a filter in the sidebar.",
        icon=":material/filter_alt_off:",
    )


def metric_table(
    frame: pd.DataFrame,
    filename: str,
    columns: dict[str, str],
    download: pd.DataFrame | None = None,
    **dataframe_args,
) -> None:
    """A table whose columns are registry metrics or plain labels, with a CSV download of `frame`.

    `columns` maps each column of `frame` to show, in order, to a metric id (its label, basis included,
    its definition as the header's help, its unit's format) or to a label for a column that is not a
    metric (a segment, a stage), formatted from its name (`_rate` as %, `_usd` as $). The download keeps
    the query's own columns and values (of `download` if given, e.g. without a totals row).
    """
    shown, config = pd.DataFrame(index=frame.index), {}
    # A stored code (a channel, a team) reads as its label; the download keeps the code.
    readable = labels.readable(frame[list(columns)], names())
    for column, spec in columns.items():
        values = readable[column] if column in readable else frame[column]
        metric = metrics.get(spec) if spec in metrics.registry() else None
        unit = metric.unit if metric else cell_formats.unit_of(column)
        if unit in ("rate", "points"):
            values = 100 * pd.to_numeric(values, errors="coerce").astype(float)
        label = metric.full_label if metric else spec
        if unit in cell_formats.CELL_FORMATS and pd.api.types.is_numeric_dtype(values):
            config[label] = st.column_config.NumberColumn(
                label, help=metric.help if metric else None, format=cell_formats.CELL_FORMATS[unit]
            )
        shown[label] = values
    dataframe(shown, column_config=config | dataframe_args.pop("column_config", {}), **dataframe_args)
    download_csv(frame if download is None else download, filename)


def table(frame: pd.DataFrame, filename: str, **dataframe_args) -> None:
    """Show a table, its codes in words and ids as names, with a CSV download of `frame` under it."""
    dataframe(frame, **dataframe_args)
    download_csv(frame, filename)


def dataframe(frame: pd.DataFrame, **dataframe_args):
    """st.dataframe of `frame` for people: codes in words, ids as names, every cell in its format and
    an empty one as '–' (Streamlit draws None by default).

    Number formats (the column_config's, or one from the column's unit or type) are applied by a
    pandas Styler, which Streamlit draws as given, so a missing value can read '–'; sorting still
    sorts the numbers.
    """
    shown = labels.readable(frame, names())
    configured = dict(dataframe_args.pop("column_config", {}))
    for column in shown.columns:
        if (configured.get(column) or {}).get("type_config", {}).get("type") == "link":
            continue  # a link column's empty cells stay empty, not a link to "–"
        if pd.api.types.is_bool_dtype(shown[column]):
            shown[column] = shown[column].map({True: "Yes", False: "No"})
        elif shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
            shown[column] = shown[column].astype(object).where(shown[column].notna(), "–")
    formats = {column: cell_formats.cell_format(shown[column]) for column in shown.columns}
    for column, spec in configured.items():
        cell = (spec or {}).get("type_config", {}).get("format")
        if cell and column in shown.columns and pd.api.types.is_numeric_dtype(shown[column]):
            formats[column] = cell_formats.python_format(cell)
            if spec["type_config"].get("type") != "progress":  # a bar draws its own label from it
                configured[column] = {**spec, "type_config": {**spec["type_config"], "format": None}}
    styled = shown.style.format({c: f for c, f in formats.items() if f}, na_rep="–")
    # The placeholder: the browser draws a missing number as this, whatever the Styler says.
    defaults = {"hide_index": True, "placeholder": "–"}
    return st.dataframe(styled, column_config=configured, **(defaults | dataframe_args))


def download_csv(frame: pd.DataFrame, filename: str, label: str = "Download CSV") -> None:
    """A download button for `frame` as CSV, its text cells made safe to open in a spreadsheet."""
    st.download_button(
        # Built when clicked (Streamlit calls it), so a rerun does not format every table as CSV.
        label,
        lambda: spreadsheet.csv_bytes(frame),
        file_name=f"{filename}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"download-{filename}",
    )
