"""The shared funnel: the `funnel__stage_counts` computed query, and the Funnel page's tables and charts.

Numbers come from the `queries/funnel__*.sql` files; this module only reshapes them for people
(labels, colours, the handoff line, "thin" marks) and never touches Streamlit.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from handoff import db, metrics, text
from handoff.text import Markdown, md
from handoff.charts import (
    BAD_COLOR,
    HANDOFF_COLOR,
    NEUTRAL_COLOR,
    TEAM_COLORS,
    WARN_COLOR,
    fmt_count,
    fmt_days,
    fmt_label,
    fmt_pct,
    team_color,
)
from handoff.filters import Filters, add_months

# The demand waterfall of DESIGN.md: (order, stage, owner team). Display only; the SQL holds the rules.
STAGES = (
    (1, "Lead", "marketing"),
    (2, "MQL", "marketing"),
    (3, "SAL", "sales"),
    (4, "SQL", "sales"),
    (5, "Opportunity", "sales"),
    (6, "Won", "sales"),
)
STAGE_NAMES = {order: name for order, name, _ in STAGES}
STEP_NAMES = [f"{a} → {b}" for (_, a, _), (_, b, _) in zip(STAGES, STAGES[1:])]
OVERALL_STEP = "Lead → Won"
# A rate resting on fewer records than this is marked as thin.
THIN_RECORDS = 30
# Most leads the drill-down lists (funnel__leads' $row_limit).
DRILL_DOWN_ROWS = 10_000
MODES = {"cohort": "Cohort", "period": "Period"}
GROUP_BY = {"channel": "Channel", "segment": "Segment", "region": "Region",
            "company_size": "Company size", "owner": "Owner"}
EXIT_COLORS = {"disqualified": WARN_COLOR, "lost": BAD_COLOR, "open": NEUTRAL_COLOR}
_SALES_LIGHT = "#74C0FC"  # sales' blue, lighter: sales-sourced leads carried on from the stage before
_THIN_STYLE = "color: #868E96; font-style: italic"


def is_thin(records) -> bool:
    """Whether a rate resting on `records` records is too thin to trust."""
    return records is None or pd.isna(records) or records < THIN_RECORDS


# ---------------------------------------------------------------------------------------------
# The contract query: funnel__stage_counts


def _declarations(query_file: str) -> str:
    """The `-- $name …` parameter lines of a query file, so a computed query declares the same ones."""
    lines = db.query_file(query_file).read_text().splitlines()
    return "\n".join(line for line in lines if line.startswith("-- $"))


@db.computed_query(
    "funnel__stage_counts",
    "One row per funnel stage: stage_order, stage, owner_team, reached_count, from_previous_rate, "
    "from_first_rate (cohort: leads created in the window that reached the stage by now; period: "
    "stage entries in the window). With $group_by, one block of stages per value, group_value first.",
    _declarations("funnel__stage_counts_by_group"),
)
def stage_counts(params: dict, db_path: str) -> pd.DataFrame:
    """funnel__stage_counts_by_group, without its group_value column when nothing is grouped."""
    frame = db.run_query("funnel__stage_counts_by_group", db=db_path, **params)
    if params.get("group_by") is None:
        frame = frame.drop(columns="group_value")
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Words


def window_words(filters: Filters) -> str:
    """The window in words: 'from 1 Jan 2026 to 31 Mar 2026', 'since …', 'at any time'."""
    if filters.start and filters.end:
        last = filters.end - dt.timedelta(days=1)
        return f"from {_day(filters.start)} to {_day(last)}"
    if filters.start:
        return f"since {_day(filters.start)}"
    if filters.end:
        return f"before {_day(filters.end)}"
    return "at any time"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def mode_sentence(mode: str, filters: Filters, as_of: dt.date) -> Markdown:
    """The one sentence that says which funnel is shown and what each bar counts."""
    window = window_words(filters)
    if mode == "period":
        return md("**Period funnel**: how many leads entered each stage {} — a different set of leads at each "
                  "stage, so a step compares flows and can exceed 100 %.", window)
    return md("**Cohort funnel**: the leads created {}, each counted at every stage it had reached by {} (a lead "
              "that skipped a stage counts as having reached it; a sales-sourced lead is never an MQL and joins at "
              "its first sales stage).", window, _day(as_of))


def velocity_caption(filters: Filters) -> str:
    """What the velocity numbers are and what they are compared with."""
    previous = filters.previous()
    against = (f"against the previous window of the same length ({window_words(previous)})"
               if previous != filters else "(an open window has no previous one to compare with)")
    return (f"Median days between consecutive stages where a lead has both timestamps, {against}. "
            "Lower is faster.")


# The Funnel page's headline tiles: (registry metric in period mode, the stage or step it reads).
HEADLINE = (("lead_count", "Lead"), ("mql_to_sal_rate", "SAL"), ("won_lead_count", "Won"),
            ("lead_to_won_rate", "Lead → Won"))


def headline_metric(period_id: str, mode: str) -> str:
    """The registry id of a headline tile for the mode: its cohort twin in cohort mode (Leads have one basis)."""
    if period_id == "lead_count":
        return period_id
    if mode != "cohort":
        return period_id
    return {"won_lead_count": "cohort_won_count"}.get(period_id, f"cohort_{period_id}")


def headline_values(stages: pd.DataFrame) -> dict[str, float]:
    """The numbers behind the headline tiles, from funnel__stage_counts."""
    by_stage = stages.set_index("stage")
    return {"Lead": by_stage.loc["Lead", "reached_count"], "SAL": by_stage.loc["SAL", "from_previous_rate"],
            "Won": by_stage.loc["Won", "reached_count"], "Lead → Won": by_stage.loc["Won", "from_first_rate"]}


def stage_columns(mode: str) -> dict[str, str]:
    """The stage table's columns as ui.metric_table takes them: registry metrics of the mode's basis."""
    c = "cohort_" if mode == "cohort" else ""
    return {"stage": "Stage", "owner_team": "Owner", "reached_count": f"{c}stage_reached_count",
            "marketing_sourced_count": f"{c}stage_marketing_sourced_count",
            "sales_sourced_count": f"{c}stage_sales_sourced_count",
            "from_previous_count": f"{c}stage_from_previous_count", "joined_count": f"{c}stage_joined_count",
            "from_previous_rate": f"{c}stage_conversion_rate", "previous_count": "Records the rate rests on",
            "thin": "Thin", "from_first_rate": f"{c}stage_share_of_first_rate"}


def velocity_columns(mode: str) -> dict[str, str]:
    """The velocity table's columns: each step's median and 90th percentile, now and in the window before."""
    c = "cohort_" if mode == "cohort" else ""
    median, p90 = metrics.label(f"{c}step_median_days"), metrics.label(f"{c}step_p90_days")
    return {"step": "Step", "owner_team": "Owner", "pair_count": "Leads timed", "median_days": f"{c}step_median_days",
            "p90_days": f"{c}step_p90_days", "previous_median_days": f"{median}, previous window",
            "previous_p90_days": f"{p90}, previous window", "median_change_days": "Median change (days)",
            "thin": "Thin"}


TREND_COLUMNS = {"created_month": "Created month", "step": "Step", "owner_team": "Owner",
                 "from_count": "At the first stage", "to_count": "Went on to the next",
                 "conversion_rate": "monthly_conversion_rate", "young": "Too young to judge"}
EXIT_COLUMNS = {"from_stage": "From", "to_stage": "To", "exit_kind": "Exit", "exit_reason": "Reason",
                "lead_count": "exit_lead_count"}


def group_names(wide: pd.DataFrame) -> dict[str, str]:
    """Value → label of each group of a breakdown table."""
    return dict(zip(wide["group_value"], wide.iloc[:, 0], strict=True))


def group_labels(group_by: str | None, options: pd.DataFrame) -> dict[str, str]:
    """Value → label for a breakdown dimension (owners get their names from filters__options)."""
    if group_by == "owner":
        owners = options[options["dimension"] == "owner"]
        return dict(zip(owners["value"], owners["label"], strict=True))
    return {}


# Stored values whose label fmt_label would get wrong.
_VALUE_LABELS = {"smb": "SMB"}


def _label(value, labels: dict[str, str]) -> str:
    return labels.get(value) or _VALUE_LABELS.get(value) or fmt_label(value)


_PEOPLE_NAMES = {
    "reached_count": "Reached", "previous_count": "Records (previous stage)", "pair_count": "Leads timed",
    "previous_pair_count": "Leads timed (previous window)", "from_count": "At first stage",
    "to_count": "Reached next stage", "lead_count": "Leads", "is_thin": f"Thin (< {THIN_RECORDS} records)",
    "is_too_young": "Too young to judge", "p90_days": "90th percentile (days)",
    "previous_p90_days": "90th percentile, previous window (days)",
    "p90_change_days": "90th percentile change (days)",
    "month_age_days": "Median lead age (days)", "median_days_to_stage": "Median days to next stage",
    "group_value": "Group",
}


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A query result as a table for people: rates in %, days to one decimal, words for column names.

    Values stay numeric (so sorting and the CSV download still work); `_order` helper columns go.
    """
    shown = frame.drop(columns=[c for c in frame.columns if c.endswith("_order")])
    names = {}
    for column in shown.columns:
        if column in _PEOPLE_NAMES:
            names[column] = _PEOPLE_NAMES[column]
        elif column.endswith("_rate"):
            shown[column] = (100 * shown[column].astype(float)).round(1)
            names[column] = fmt_label(column.removesuffix("_rate")) + " (%)"
        elif column.endswith("_days"):
            names[column] = fmt_label(column.removesuffix("_days")) + " (days)"
        else:
            names[column] = fmt_label(column)
        if column.endswith("_days"):
            shown[column] = shown[column].astype(float).round(1)
        elif column.endswith("_month"):
            shown[column] = pd.to_datetime(shown[column]).dt.date
        elif column.endswith("_at"):
            shown[column] = pd.to_datetime(shown[column]).dt.floor("min")
    return shown.rename(columns=names)


# ---------------------------------------------------------------------------------------------
# The funnel itself


def is_empty(stages: pd.DataFrame) -> bool:
    """True when the funnel counts nothing at all (the filters match no lead or no entry)."""
    return stages.empty or int(stages["reached_count"].sum()) == 0


def step_bases(stages: pd.DataFrame) -> pd.Series:
    """The records each stage's from_previous_rate rests on (DESIGN.md): Lead → MQL the marketing-sourced
    leads, every later step the previous stage; none for Lead. `stages` is one funnel, in stage order."""
    ordered = stages.sort_values("stage_order")
    bases = ordered["reached_count"].shift(1)
    bases.iloc[1:2] = ordered["marketing_sourced_count"].iloc[0:1].to_numpy()
    return bases.astype("Int64").reset_index(drop=True)


def stage_table(stages: pd.DataFrame) -> pd.DataFrame:
    """The funnel as a table for people: each conversion with the records it rests on, thin ones marked."""
    table = stages[["stage_order", "stage", "owner_team", "reached_count", "from_previous_rate",
                    "from_first_rate", "marketing_sourced_count", "sales_sourced_count", "joined_count"]]
    table = table.sort_values("stage_order").reset_index(drop=True)
    table["previous_count"] = step_bases(table)
    table["from_previous_count"] = table["reached_count"] - table["joined_count"]
    table["thin"] = ""
    table["is_thin"] = [order > 1 and is_thin(n)
                        for order, n in zip(table["stage_order"], table["previous_count"])]
    table["thin"] = table["is_thin"].map({True: "thin", False: ""})
    return table


def _stage_label(stage: str, owner: str) -> str:
    return f"<b>{stage}</b><br><span style='color:{team_color(owner)}'>{owner}</span>"


# The three parts of a stage's bar: who sourced its leads, and whether they joined the path there.
FUNNEL_PARTS = (
    ("marketing_from_previous", "Marketing-sourced", TEAM_COLORS["marketing"], ""),
    ("sales_from_previous", "Sales-sourced", _SALES_LIGHT, ""),
    ("joined_count", "Sales-sourced, joined the path at this stage", TEAM_COLORS["sales"], "/"),
)


def funnel_parts(stages: pd.DataFrame) -> pd.DataFrame:
    """Each stage split into marketing-sourced leads, sales-sourced leads carried from the stage before
    and sales-sourced leads joining the path there (DESIGN.md's two paths); they add up to the stage."""
    table = stage_table(stages)
    table["marketing_from_previous"] = table["marketing_sourced_count"]
    table["sales_from_previous"] = table["sales_sourced_count"] - table["joined_count"]
    return table


def funnel_chart(stages: pd.DataFrame) -> go.Figure:
    """The six stages as stacked bars: marketing-sourced leads in marketing's colour, sales-sourced ones in
    sales' (those that joined the path at the stage hatched), the handoff drawn between MQL and SAL.

    Beside each bar: its count, % of the previous stage with the records that rate rests on (marked thin
    under 30) and % of the first stage; from SAL on, how many came from the previous stage and joined.
    """
    table = funnel_parts(stages)
    labels = [_stage_label(s, o) for s, o in zip(table["stage"], table["owner_team"])]
    widest = max(int(table["reached_count"].max()), 1)
    traces = [{
        "type": "bar", "orientation": "h", "y": labels, "x": table[column], "name": name,
        "marker": {"color": color, "pattern": {"shape": pattern, "fgcolor": "white"}},
        "hovertemplate": "%{y}<br>" + name + ": %{x:,d}<extra></extra>",
    } for column, name, color, pattern in FUNNEL_PARTS]
    annotations = []
    for row, label in zip(table.itertuples(), labels):
        note = f"<b>{fmt_count(row.reached_count)}</b>"
        if row.stage_order == 1:
            note += f"  ·  {fmt_count(row.marketing_sourced_count)} marketing-, " \
                    f"{fmt_count(row.sales_sourced_count)} sales-sourced"
        else:
            thin = " · <b>thin</b>" if row.is_thin else ""
            note += (f"  ·  {fmt_pct(row.from_previous_rate)} of previous (n = {fmt_count(row.previous_count)}{thin})"
                     f"  ·  {fmt_pct(row.from_first_rate)} of first")
            if row.stage_order >= 3:
                note += (f"<br>{fmt_count(row.reached_count - row.joined_count)} from the previous stage, "
                         f"{fmt_count(row.joined_count)} joined here")
        annotations.append({"x": widest * 1.02, "y": label, "text": note, "showarrow": False, "xanchor": "left",
                            "align": "left",
                            "font": {"color": BAD_COLOR if row.stage_order > 1 and row.is_thin else "#495057"}})
    # Category 1 is MQL and 2 is SAL: the handoff sits between them.
    annotations.append({"xref": "paper", "x": 1, "yref": "y", "y": 1.5, "text": "<b>handoff</b>: marketing → sales",
                        "showarrow": False, "xanchor": "right", "yanchor": "bottom", "font": {"color": HANDOFF_COLOR}})
    handoff = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 1.5, "y1": 1.5,
               "line": {"color": HANDOFF_COLOR, "width": 2, "dash": "dash"}}
    # One Figure built from plain data: each incremental annotation costs plotly a few ms.
    return go.Figure(data=traces, layout={
        "barmode": "stack", "annotations": annotations, "shapes": [handoff], "height": 460,
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
        "yaxis": {"autorange": "reversed"},
        "xaxis": {"range": [0, widest * 2.1], "title": {"text": "leads"}, "tickformat": ",d"},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "traceorder": "normal"},
    })


# ---------------------------------------------------------------------------------------------
# Breakdown


def sort_options() -> list[str]:
    """What a breakdown can be sorted by: volume, each step's conversion, and overall conversion."""
    return ["Lead", *STEP_NAMES, OVERALL_STEP]


def breakdown_table(grouped: pd.DataFrame, group_by: str, labels: dict[str, str],
                    sort_by: str = "Lead") -> pd.DataFrame:
    """One row per group: the count at each stage and the conversion of every step, sorted descending.

    Counts and rates are the query's own (reached_count, from_previous_rate, from_first_rate of Won).
    """
    orders = [order for order, _, _ in STAGES]

    def spread(values: str) -> pd.DataFrame:
        return grouped.pivot(index="group_value", columns="stage_order", values=values).reindex(columns=orders)

    counts, rates = spread("reached_count").fillna(0).astype(int), spread("from_previous_rate").astype(float)
    wide = pd.DataFrame({GROUP_BY[group_by]: [_label(v, labels) for v in counts.index],
                         "group_value": counts.index.astype(str)})
    for order, name, _ in STAGES:
        wide[name] = counts[order].to_numpy()
    for (order, _, _), step in zip(STAGES[1:], STEP_NAMES):
        wide[step] = rates[order].to_numpy()
    wide[OVERALL_STEP] = spread("from_first_rate").astype(float)[orders[-1]].to_numpy()
    sort_by = sort_by if sort_by in wide.columns else "Lead"
    return wide.sort_values([sort_by, "Lead"], ascending=False, na_position="last").reset_index(drop=True)


def _step_records(step: str) -> str:
    """The count column a step's rate rests on: its first stage."""
    return step.split(" → ")[0]


def breakdown_styler(wide: pd.DataFrame):
    """The breakdown for display: rates as percentages, the thin ones (< 30 records) grey and italic."""
    shown = wide.drop(columns="group_value")
    rate_columns = [*STEP_NAMES, OVERALL_STEP]

    def thin_cells(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for step in rate_columns:
            styles.loc[frame[_step_records(step)] < THIN_RECORDS, step] = _THIN_STYLE
        return styles

    return (shown.style.format({c: fmt_count for c in STAGE_NAMES.values()})
            .format({c: fmt_pct for c in rate_columns}, na_rep="–").apply(thin_cells, axis=None))


def _grid_layout(rows: int, cols: int, titles: list[str], **spacing) -> dict:
    """make_subplots' layout for a grid of `rows` × `cols` with these subplot titles, as plain data.

    make_subplots costs about 0.1 s a call on a 12-panel grid and its layout depends only on the
    grid's shape, so it is built once per shape; traces then name their axes (x2, y2…) themselves.
    """
    layout = json.loads(_grid_skeleton(rows, cols, len(titles), tuple(sorted(spacing.items()))))
    for annotation, title in zip(layout.get("annotations", []), titles):
        annotation["text"] = title
    return layout


@functools.lru_cache(maxsize=32)
def _grid_skeleton(rows: int, cols: int, title_count: int, spacing: tuple) -> str:
    figure = make_subplots(rows=rows, cols=cols, subplot_titles=[f"title {i}" for i in range(title_count)],
                           **dict(spacing))
    layout = json.loads(figure.to_json())["layout"]
    layout.pop("template", None)  # the figure built from it gets the default template, as this one did
    return json.dumps(layout)


def _last_row_axes(layout: dict, rows: int) -> set[str]:
    """The x axes ('x', 'x2'…) of the bottom row's panels."""
    cols = len([name for name in layout if name.startswith("xaxis")]) // max(rows, 1)
    return {f"x{'' if n == 1 else n}" for n in range((rows - 1) * cols + 1, rows * cols + 1)}


def small_multiples(grouped: pd.DataFrame, wide: pd.DataFrame, group_by: str, labels: dict[str, str],
                    limit: int = 12) -> go.Figure:
    """One small funnel per group (bars = share of the group's first stage), in the table's order."""
    values = wide["group_value"].head(limit).tolist()
    cols = 3
    rows = max(1, -(-len(values) // cols))
    titles = [f"{text.plot(_label(v, labels))} · {fmt_count(n)} leads" for v, n in zip(values, wide["Lead"])]
    layout = _grid_layout(rows, cols, titles, shared_xaxes=True, horizontal_spacing=0.08,
                          vertical_spacing=0.5 / max(rows, 1) / 2 + 0.04)
    names = [name for _, name, _ in STAGES]
    grouped = grouped.assign(group_value=grouped["group_value"].astype(str))
    traces, handoffs = [], []  # one dashed handoff line per small funnel
    for index, value in enumerate(values):
        part = grouped[grouped["group_value"] == value].sort_values("stage_order")
        previous = step_bases(part).to_numpy()
        bar_text = [fmt_count(n) if order == 1 else
                f"{fmt_count(n)} · {fmt_pct(rate)}{' thin' if is_thin(prev) else ''}"
                for order, n, rate, prev in zip(part["stage_order"], part["reached_count"],
                                                part["from_previous_rate"], previous)]
        axis = "" if index == 0 else str(index + 1)
        traces.append({
            "type": "bar", "y": part["stage"], "x": part["from_first_rate"].fillna(0), "orientation": "h",
            "text": bar_text, "textposition": "auto", "marker": {"color": [team_color(o) for o in part["owner_team"]]},
            "hovertemplate": "%{y}: %{text} of previous<br>%{x:.1%} of first<extra></extra>", "showlegend": False,
            "xaxis": f"x{axis}", "yaxis": f"y{axis}",
        })
        handoffs.append({"type": "line", "xref": f"x{axis} domain", "yref": f"y{axis}", "x0": 0, "x1": 1,
                         "y0": 1.5, "y1": 1.5, "line": {"color": HANDOFF_COLOR, "width": 1, "dash": "dash"}})
    bottom = _last_row_axes(layout, rows)
    for name, axis in layout.items():
        if name.startswith("yaxis"):  # every funnel: stages top to bottom
            axis.update(categoryorder="array", categoryarray=names, autorange="reversed")
        elif name.startswith("xaxis"):
            axis.update(tickformat=".0%", range=[0, 1.05])
            if f"x{name.removeprefix('xaxis')}" in bottom:
                axis["title"] = {"text": "share of the group's first stage (%)"}
    layout.update(height=90 + 230 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 10}, shapes=handoffs)
    # One Figure built from plain data: plotly's incremental updates cost ~30 ms per subplot.
    return go.Figure(data=traces, layout=layout)


# ---------------------------------------------------------------------------------------------
# Velocity


def velocity_comparison(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Each step's median and p90 days in the window beside those of the previous window."""
    table = current[["from_stage_order", "from_stage", "to_stage", "owner_team", "pair_count",
                     "median_days", "p90_days"]].copy()
    table.insert(0, "step", [f"{a} → {b}" for a, b in zip(table["from_stage"], table["to_stage"])])
    before = (previous if previous is not None else current.iloc[0:0])[
        ["from_stage_order", "pair_count", "median_days", "p90_days"]]
    before = before.rename(columns={"pair_count": "previous_pair_count",
                                    "median_days": "previous_median_days", "p90_days": "previous_p90_days"})
    table = table.merge(before, on="from_stage_order", how="left")
    table["median_change_days"] = table["median_days"] - table["previous_median_days"]
    table["p90_change_days"] = table["p90_days"] - table["previous_p90_days"]
    table["is_thin"] = table["pair_count"] < THIN_RECORDS
    table["thin"] = table["is_thin"].map({True: "thin", False: ""})
    return table.drop(columns=["from_stage", "to_stage"])


def velocity_delta(change_days) -> tuple[str | None, str]:
    """A step's change in median days as a metric delta and its colour (slower is worse; none is grey)."""
    if change_days is None or pd.isna(change_days):
        return None, "off"
    rounded = round(float(change_days), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:+.1f} d", "off" if rounded == 0 else "inverse"


def velocity_chart(velocity: pd.DataFrame) -> go.Figure:
    """Median to 90th-percentile days of each step (owner colour), the previous window in grey below it."""
    traces = []
    positions = np.arange(len(velocity))
    for label, offset, median, p90, colors in (
        ("previous window", 0.22, velocity["previous_median_days"], velocity["previous_p90_days"],
         [NEUTRAL_COLOR] * len(velocity)),
        ("this window", -0.0, velocity["median_days"], velocity["p90_days"],
         [team_color(o) for o in velocity["owner_team"]]),
    ):
        for y, low, high, color in zip(positions + offset, median, p90, colors):
            if pd.notna(low) and pd.notna(high):
                traces.append({"type": "scatter", "x": [low, high], "y": [y, y], "mode": "lines", "showlegend": False,
                               "line": {"color": color, "width": 3}, "hoverinfo": "skip"})
        hover = [f"{label}: median {fmt_days(m)}, p90 {fmt_days(p)}" for m, p in zip(median, p90)]
        traces.append({"type": "scatter", "x": median, "y": positions + offset, "mode": "markers",
                       "name": f"median, {label}", "marker": {"color": colors, "size": 11, "symbol": "circle"},
                       "hovertext": hover, "hoverinfo": "text"})
        traces.append({"type": "scatter", "x": p90, "y": positions + offset, "mode": "markers",
                       "name": f"p90, {label}", "marker": {"color": colors, "size": 11, "symbol": "diamond"},
                       "hovertext": hover, "hoverinfo": "text"})
    ticks = [f"{s} ({o})" for s, o in zip(velocity["step"], velocity["owner_team"])]
    return go.Figure(data=traces, layout={
        "yaxis": {"tickvals": positions, "ticktext": ticks, "autorange": "reversed"},
        "xaxis": {"type": "log", "title": {"text": "days between the two stages (log scale): ● median, ◆ 90th percentile"}},
        "height": 340, "showlegend": False,
    })


# ---------------------------------------------------------------------------------------------
# Conversion trend


def trend_filters(filters: Filters, months: int = 12) -> Filters:
    """The window for the monthly trend: at least the `months` calendar months up to the window's end."""
    if filters.end is None:
        return filters
    last_month = (filters.end - dt.timedelta(days=1)).replace(day=1)
    start = add_months(last_month, -(months - 1))
    if filters.start is None or filters.start < start:
        return filters
    return filters.with_window(start, filters.end)


def trend_chart(trend: pd.DataFrame) -> go.Figure:
    """Each step's conversion by created month, one panel per step; young months hollow, thin ones faint."""
    layout = _grid_layout(1, len(STEP_NAMES), STEP_NAMES, shared_yaxes=True, horizontal_spacing=0.02)
    traces = []
    for index, (order, _, _) in enumerate(STAGES[:-1]):
        part = trend[trend["from_stage_order"] == order].sort_values("created_month")
        if part.empty:
            continue
        color = team_color(part["owner_team"].iloc[0])
        young = part["is_too_young"].astype(bool).to_numpy()
        thin = (part["from_count"] < THIN_RECORDS).to_numpy()
        hover = [f"{m:%b %Y}: {fmt_pct(r)} of {fmt_count(n)}{' · thin' if t else ''}"
                 f"{' · too young to judge' if y else ''}"
                 for m, r, n, t, y in zip(part["created_month"], part["conversion_rate"], part["from_count"],
                                          thin, young)]
        axis = "" if index == 0 else str(index + 1)
        traces.append({
            "type": "scatter", "x": part["created_month"], "y": part["conversion_rate"], "mode": "lines+markers",
            "showlegend": False, "line": {"color": color, "width": 2},
            "marker": {"color": np.where(young, "white", color).tolist(), "size": 8,
                       "line": {"color": color, "width": 2}, "opacity": np.where(thin, 0.35, 1.0).tolist()},
            "hovertext": hover, "hoverinfo": "text", "xaxis": f"x{axis}", "yaxis": f"y{axis}",
        })
    # Legend keys for the two marks.
    traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": "too young to judge",
                   "marker": {"color": "white", "size": 8, "line": {"color": NEUTRAL_COLOR, "width": 2}}})
    traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                   "name": f"thin (< {THIN_RECORDS} records)",
                   "marker": {"color": NEUTRAL_COLOR, "size": 8, "opacity": 0.35}})
    for name, axis in layout.items():
        if name.startswith("yaxis"):
            axis.update(tickformat=".0%", rangemode="tozero")
            if name == "yaxis":
                axis["title"] = {"text": f"{metrics.label('monthly_conversion_rate')} (%)"}
        elif name.startswith("xaxis"):
            axis.update(tickformat="%b\n%Y", nticks=4, title={"text": "created month"})
    layout.update(height=330, legend={"y": 1.18})
    return go.Figure(data=traces, layout=layout)


# ---------------------------------------------------------------------------------------------
# Where leads leave


def exit_label(kind: str, reason) -> str:
    """The Sankey node of one exit: 'Disqualified: not a fit', 'Lost: price', 'Still open'."""
    if kind == "open":
        return "Still open"
    words = fmt_label(reason)
    return f"{'Disqualified' if kind == 'disqualified' else 'Lost'}: {words[:1].lower()}{words[1:]}"


def _top_exits(exits: pd.DataFrame, per_stage: int) -> pd.DataFrame:
    """Exit links with at most `per_stage` reasons per stage and kind; the rest become "other reasons"."""
    leaving = exits[exits["to_stage_order"].isna()].copy()
    leaving["rank"] = leaving.groupby(["from_stage_order", "exit_kind"])["lead_count"].rank(method="first",
                                                                                            ascending=False)
    many = (leaving["rank"] > per_stage) & (leaving["exit_kind"] != "open")
    leaving.loc[many, "exit_reason"] = "other reasons"
    keys = ["from_stage_order", "from_stage", "from_owner_team", "exit_kind", "exit_reason"]
    leaving = leaving.groupby(keys, dropna=False, as_index=False)["lead_count"].sum()
    leaving["is_other"] = leaving["exit_reason"] == "other reasons"
    return leaving.sort_values(["from_stage_order", "is_other", "lead_count"], ascending=[False, False, True])


def exits_sankey(exits: pd.DataFrame, per_stage: int = 5, lead_px: int = 300) -> go.Figure:
    """Leads flowing from Lead through the stages; each stage's leavers split by exit and reason beside it.

    Nodes are placed by hand: stages along the top, each stage's exits stacked under the next stage,
    sized the way plotly sizes them so every column fits the height.
    """
    moving = exits[exits["to_stage_order"].notna()]
    leaving = _top_exits(exits, per_stage)
    first = exits["from_stage_order"] == 1
    reached = {1: int(exits.loc[first, "lead_count"].sum())}
    # A stage is reached from the one before and, for a sales-sourced lead, straight from Lead.
    reached.update(moving.groupby("to_stage_order")["lead_count"].sum().astype(int)
                   .rename(index=int).to_dict())
    # d3-sankey's scale: every lead ends in one sink (Won or an exit), d3 stacks all sinks in its last
    # column and fits that column to the height. The height is chosen so the Lead bar is `lead_px` tall.
    pad = 8
    sinks = 1 + len(leaving)
    height = 30 + lead_px + (sinks - 1) * pad
    pad_share = pad / (height - 30)
    scale = (1 - (sinks - 1) * pad_share) / max(reached[1], 1)
    column_x = {order: 0.01 + 0.19 * (order - 1) for order in STAGE_NAMES}
    labels, colors, xs, ys = [], [], [], []
    for order, name, owner in STAGES:
        labels.append(f"{name} ({fmt_count(reached.get(order, 0))})")
        colors.append(team_color(owner))
        xs.append(column_x[order])
        ys.append(max(reached.get(order, 0) * scale / 2, 0.001))
    sources = [int(o) - 1 for o in moving["from_stage_order"]]
    targets = [int(o) - 1 for o in moving["to_stage_order"]]
    values = [int(n) for n in moving["lead_count"]]
    # A link from Lead straight to a sales stage carries sales-sourced leads: sales' colour.
    link_colors = [_fade(team_color("sales" if f == 1 and t >= 3 else o))
                   for f, t, o in zip(moving["from_stage_order"], moving["to_stage_order"], moving["from_owner_team"])]
    below = {order: reached.get(order + 1, 0) * scale + pad_share for order in STAGE_NAMES}
    # In this order (later stages first, smallest exit on top) plotly's links leave each stage in the
    # same order as the exits are stacked, so they do not cross.
    for row in leaving.itertuples():
        origin = int(row.from_stage_order)
        size = int(row.lead_count) * scale
        sources.append(origin - 1)
        targets.append(len(labels))
        values.append(int(row.lead_count))
        link_colors.append(_fade(EXIT_COLORS[row.exit_kind]))
        labels.append(f"{text.plot(exit_label(row.exit_kind, row.exit_reason))} ({fmt_count(row.lead_count)})")
        colors.append(EXIT_COLORS[row.exit_kind])
        xs.append(column_x[origin] + 0.095)
        ys.append(min(below[origin] + size / 2, 0.999))
        below[origin] += size + pad_share
    figure = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": labels, "color": colors, "x": xs, "y": ys, "pad": pad, "thickness": 14},
        link={"source": sources, "target": targets, "value": values, "color": link_colors},
        valueformat=",d", valuesuffix=" leads", textfont={"size": 11},
    ))
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return figure


def _fade(color: str, alpha: float = 0.35) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """The conversion trend with each step named and the too-young months marked in words."""
    table = trend.copy()
    table["created_month"] = pd.to_datetime(table["created_month"]).dt.strftime("%b %Y")
    table["step"] = table["from_stage"] + " → " + table["to_stage"]
    table["young"] = table["is_too_young"].map({True: "too young", False: ""})
    return table


def exits_table(exits: pd.DataFrame) -> pd.DataFrame:
    """The exit links with exits and reasons in words ('Disqualified', 'Not a fit')."""
    table = exits.copy()
    table["exit_kind"] = table["exit_kind"].map({"disqualified": "Disqualified", "lost": "Lost", "open": "Still open"})
    table["exit_reason"] = table["exit_reason"].map(lambda r: "" if pd.isna(r) else fmt_label(r))
    return table
