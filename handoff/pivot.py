"""The Explore pivot: the allow-listed dimensions and measures, and how a pivot is shown.

Dimension names reach SQL only as bound parameters of `explore__pivot` (checked against the
query's `in (...)` choices, then picked by a CASE); measure names never reach SQL at all, they
only choose columns of the result. What one row is, and every measure's definition, is in
`queries/explore__pivot.sql`; this module turns the rows into a table and a chart for people.
Follow-up SLA compliance per cell (`explore__pivot_sla`) is a computed query: the SLA policy
file decides its tiers and clock (business hours), through `handoff.sla`, so the pivot and the SLA
page count the same MQLs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from handoff import db, metrics, sla, text
from handoff.charts import HANDOFF_COLOR, SEQUENCE, TEAM_COLORS
from handoff.filters import FILTER_PARAMS
from handoff.labels import fmt_label


@dataclass(frozen=True)
class Dimension:
    """Something to group by: a lead attribute, or the month/quarter of each measure's event."""

    key: str
    label: str
    help: str
    is_time: bool = False
    coded: bool = True  # stored codes (paid_search) that read better as labels (Paid search)


@dataclass(frozen=True)
class Measure:
    """One pivot measure: the explore__pivot column it shows and the registry metric it is. Funnel counts
    and conversions have a metric per mode (period: in the period; cohort: from the period's leads)."""

    key: str
    column: str
    metric_id: str  # handoff/metrics.toml, in period mode (or the only one)
    cohort_metric_id: str | None = None  # in cohort mode, for the funnel counts and conversions
    records: str = "leads"  # the records behind it: leads or deals

    def metric(self, mode: str = "cohort") -> metrics.Metric:
        """The registry metric this measure is in `mode`."""
        chosen = self.cohort_metric_id if mode == "cohort" and self.cohort_metric_id else self.metric_id
        return metrics.get(chosen)

    def label(self, mode: str = "cohort") -> str:
        return self.metric(mode).full_label

    def help(self, mode: str = "cohort") -> str:
        return self.metric(mode).help

    @property
    def unit(self) -> str:
        return self.metric().unit

    @property
    def owner(self) -> str:
        return self.metric().owner_team


NONE = "none"
DIMENSIONS = {
    d.key: d
    for d in (
        Dimension(NONE, "(nothing)", "No grouping: one row for everything the filters select."),
        Dimension("channel", "Channel", "The lead's original source channel."),
        Dimension("campaign", "Campaign", "The lead's source campaign.", coded=False),
        Dimension("segment", "Segment", "The lead's segment."),
        Dimension("region", "Region", "The lead's region."),
        Dimension("industry", "Industry", "The lead's industry."),
        Dimension("company_size", "Company size", "The lead's company size (employees)."),
        Dimension("owner", "Owner", "The lead's owner (a sales rep).", coded=False),
        Dimension("team", "Sourced by", "Who sourced the lead: marketing or sales."),
        Dimension(
            "created_month",
            "Month",
            "The month of each measure's own event: lead created (cohort) or "
            "stage entered (period) for funnel counts, MQL date for speed and SLA, deal created for "
            "pipeline, deal closed for bookings and win rate.",
            is_time=True,
            coded=False,
        ),
        Dimension(
            "created_quarter",
            "Quarter",
            "The quarter of each measure's own event (see Month).",
            is_time=True,
            coded=False,
        ),
        Dimension("score_band", "Score band", "The lead's score: 0–39, 40–59, 60–79, 80–100.", coded=False),
        Dimension(
            "response_time_band",
            "Response time",
            "Speed to lead of the lead: first sales touch after "
            "mql_at, in bands; leads never MQL and MQLs still waiting apart.",
        ),
    )
}

MEASURES = {
    m.key: m
    for m in (
        Measure("leads", "lead_count", "lead_count"),
        Measure("mqls", "mql_count", "mql_count", "cohort_mql_count"),
        Measure("sals", "sal_count", "sal_count", "cohort_sal_count"),
        Measure("sqls", "sql_count", "sql_count", "cohort_sql_count"),
        Measure("opportunities", "opportunity_count", "opportunity_count", "cohort_opportunity_count"),
        Measure("won", "won_count", "won_lead_count", "cohort_won_count"),
        Measure("pipeline", "pipeline_usd", "pipeline_created_usd", records="deals"),
        Measure("bookings", "bookings_usd", "bookings_usd", records="deals"),
        Measure("lead_to_mql", "lead_to_mql_rate", "lead_to_mql_rate", "cohort_lead_to_mql_rate"),
        Measure("mql_to_sal", "mql_to_sal_rate", "mql_to_sal_rate", "cohort_mql_to_sal_rate"),
        Measure("sal_to_sql", "sal_to_sql_rate", "sal_to_sql_rate", "cohort_sal_to_sql_rate"),
        Measure(
            "sql_to_opportunity",
            "sql_to_opportunity_rate",
            "sql_to_opportunity_rate",
            "cohort_sql_to_opportunity_rate",
        ),
        Measure(
            "opportunity_to_won",
            "opportunity_to_won_rate",
            "opportunity_to_won_rate",
            "cohort_opportunity_to_won_rate",
        ),
        Measure("speed_to_lead", "median_speed_to_lead_hours", "median_speed_to_lead_hours"),
        Measure("sla_compliance", "sla_compliance_rate", "follow_up_sla_compliance_rate"),
        Measure("win_rate", "win_rate", "win_rate", records="deals"),
    )
}
DEFAULT_MEASURES = ("leads", "mqls", "mql_to_sal", "pipeline", "bookings")
RECORD_KINDS = {"leads": "Leads", "deals": "Deals", "touches": "Touches"}
RECORD_QUERIES = {
    "leads": "explore__lead_records",
    "deals": "explore__deal_records",
    "touches": "explore__touch_records",
}
RECORD_LIMIT = 10_000
MODE_HELP = (
    "Cohort: leads created in the window, counted at every stage reached by now. "
    "Period: stage entries that fell in the window."
)
RECORDS_NOTE = (
    "Leads: those the funnel, speed and SLA measures count; deals: those pipeline, bookings and "
    "win rate count; touches: every touch of those leads."
)
MODES = {"cohort": "Cohort", "period": "Period"}
UNIT_TITLES = {"count": "", "usd": " (USD)", "rate": " (%)", "hours": " (hours)"}
OWNER_COLORS = {**TEAM_COLORS, "shared": HANDOFF_COLOR}


def choose(dim1: str | None, dim2: str | None) -> tuple[str, str]:
    """The dimensions to query: allow-listed, the first one filled before the second, never twice."""
    for key in (dim1, dim2):
        if key is not None and key not in DIMENSIONS:
            raise ValueError(f"unknown dimension {key!r}; choose from: {', '.join(DIMENSIONS)}")
    first, second = dim1 or NONE, dim2 or NONE
    if first == NONE:
        first, second = second, NONE
    if second == first:
        second = NONE
    return first, second


def dimension_label(key: str) -> str:
    """A dimension's name for people (for select boxes)."""
    return DIMENSIONS[key].label


def measure_label(key: str) -> str:
    """A measure's name in the registry, without its basis (for pickers: the same in both modes, so a
    link keeps its measures when the mode changes; headers and tiles carry the basis)."""
    return MEASURES[key].metric().label


def measures(keys: Iterable[str]) -> list[Measure]:
    """The allow-listed measures for `keys`, in the order given; unknown keys are an error."""
    unknown = [k for k in keys if k not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure {', '.join(unknown)}; choose from: {', '.join(MEASURES)}")
    return [MEASURES[k] for k in keys]


def measure_title(measure: Measure, mode: str = "cohort") -> str:
    """A measure's name with its unit, for column headers and axis titles."""
    return measure.label(mode) + UNIT_TITLES[measure.unit]


def format_value(value, unit: str) -> str:
    """A value for people: 1,234 · $1.2M · 38.4 % · 3.2 h."""
    return metrics.format_value(value, unit)


def _plot_labels(frame: pd.DataFrame, slot: str, dimension: Dimension) -> pd.Series:
    """A dimension's labels for a chart: as the table shows them, escaped for Plotly."""
    return _dim_labels(frame, slot, dimension).map(text.plot)


def _dim_labels(frame: pd.DataFrame, slot: str, dimension: Dimension) -> pd.Series:
    labels = frame[f"{slot}_label"].astype(object)
    if dimension.key == "created_month":
        return pd.to_datetime(frame[f"{slot}_value"], format="%Y-%m").dt.strftime("%b %Y")
    return labels.map(fmt_label) if dimension.coded else labels


def table(
    frame: pd.DataFrame, dim1: str, dim2: str, keys: Sequence[str], mode: str = "cohort"
) -> pd.DataFrame:
    """The pivot as people read it: dimension labels, then the chosen measures, named with units.

    Rows keep the order and positions of `frame`, so a selected row maps back to its cell.
    """
    out = pd.DataFrame(index=frame.index)
    for slot, key in (("dim1", dim1), ("dim2", dim2)):
        if key != NONE:
            out[DIMENSIONS[key].label] = _dim_labels(frame, slot, DIMENSIONS[key])
    for measure in measures(keys):
        values = frame[measure.column]
        out[measure_title(measure, mode)] = values * 100 if measure.unit == "rate" else values
    return out.reset_index(drop=True)


def column_formats(keys: Sequence[str], mode: str = "cohort") -> dict[str, tuple[str, str]]:
    """Per table column: (Streamlit number format, help with the owner and the definition)."""
    formats = {"count": "localized", "usd": "$%,.0f", "rate": "%.1f %%", "hours": "%.1f h"}
    return {
        measure_title(m, mode): (formats[m.unit], f"{m.help(mode)} Owner: {m.owner}.") for m in measures(keys)
    }


def selected_cells(frame: pd.DataFrame, rows: Iterable[int] = (), cells: Iterable[Sequence] = ()) -> dict:
    """The explore__cell_members parameters for the rows and cells a user selected in the table.

    `rows` are row positions; `cells` are (row position, column) pairs, as st.dataframe reports
    them. Nothing selected gives an empty dict (the caller shows a hint instead of records).
    """
    positions = sorted({int(r) for r in rows} | {int(c[0]) for c in cells})
    positions = [p for p in positions if 0 <= p < len(frame)]
    if not positions:
        return {}
    chosen = frame.iloc[positions]
    return {
        "dim1_values": chosen["dim1_value"].astype(str).tolist(),
        "dim2_values": chosen["dim2_value"].astype(str).tolist(),
    }


def member_ids(members: pd.DataFrame, kind: str) -> dict[str, list[str]]:
    """The records-query parameter for `kind` (leads, deals, touches) from explore__cell_members."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}; choose from: {', '.join(RECORD_KINDS)}")
    record_kind = "deal" if kind == "deals" else "lead"
    ids = members.loc[members["record_kind"] == record_kind, "record_id"].tolist()
    return {"deal_ids" if kind == "deals" else "lead_ids": ids}


# ---------------------------------------------------------------------------------------------
# Follow-up SLA per cell: the SLA policy file's evaluation, counted in the pivot's cells

SLA_COLUMNS = [
    "dim1_value",
    "dim2_value",
    "sla_met_count",
    "sla_breached_count",
    "sla_pending_count",
    "sla_compliance_rate",
    "sla_rule",
]


def _pivot_declarations() -> str:
    lines = db.query_file("explore__pivot").read_text().splitlines()
    policies = "-- $policies  text = null  the SLA policies as TOML/JSON text; null = data/sla_policies.toml"
    return "\n".join([*(line for line in lines if line.startswith("-- $")), policies])


@db.computed_query(
    "explore__pivot_sla",
    "One row per pivot cell (dim1_value, dim2_value as explore__pivot) with MQLs in the window: the "
    "follow-up policy of the SLA policy file evaluated on them as the SLA page does (its tiers and "
    "clock, pending at the data's latest timestamp): sla_met_count, sla_breached_count, "
    "sla_pending_count, sla_compliance_rate = met / (met + breached), and sla_rule in words.",
    _pivot_declarations(),
)
def pivot_sla(params: dict, db_path: str) -> pd.DataFrame:
    """Follow-up SLA statuses of the window's MQLs (handoff.sla), counted per pivot cell."""
    filters = {name: value for name, value in params.items() if name in FILTER_PARAMS}
    policies = sla.policies_from_param(params.get("policies"))
    follow_up = next((p for p in policies.policies if p.kind == "follow_up"), None)
    as_of = sla.latest_timestamp(db_path)
    if follow_up is None or as_of is None:
        return pd.DataFrame(columns=SLA_COLUMNS)
    # The cell of each MQL of the window: the rows of sla__mql_clock, which the evaluation judged.
    cells = db.run_query(
        "explore__mql_cells", filters, db=db_path, **{k: params[k] for k in ("mode", "dim1", "dim2")}
    )
    # The SLA page's evaluation of the same window (shared and cached), not a second one.
    window = sla.evaluate_window({**filters, "policies": params.get("policies")}, db_path)
    if not np.array_equal(cells["mql_number"].to_numpy(), window.mqls["mql_number"].to_numpy()):
        raise AssertionError("explore__mql_cells and sla__mql_clock returned different MQLs")
    status = window.verdicts[follow_up.id].status
    flags = pd.DataFrame({f"sla_{name}_count": status == code for code, name in enumerate(sla.STATUSES)})
    out = (
        flags.groupby([cells["dim1_value"].astype(str), cells["dim2_value"].astype(str)])
        .sum()
        .astype("int64")
        .reset_index()
    )
    decided = out["sla_met_count"] + out["sla_breached_count"]
    out["sla_compliance_rate"] = out["sla_met_count"] / decided.where(decided > 0)
    clock = "" if follow_up.clock == "business" else " (wall clock)"
    out["sla_rule"] = sla.describe_rule(follow_up) + clock
    return out[SLA_COLUMNS]


def with_sla(frame: pd.DataFrame, sla_cells: pd.DataFrame) -> pd.DataFrame:
    """The pivot with its cells' follow-up SLA columns (zero counts where a cell has no MQLs)."""
    merged = frame.drop(columns=[c for c in SLA_COLUMNS[2:] if c in frame]).merge(
        sla_cells.drop(columns="sla_rule"), on=["dim1_value", "dim2_value"], how="left"
    )
    for column in ("sla_met_count", "sla_breached_count", "sla_pending_count"):
        merged[column] = merged[column].fillna(0).astype("int64")
    merged["sla_compliance_rate"] = merged["sla_compliance_rate"].astype(float)
    return merged


def figure(frame: pd.DataFrame, dim1: str, dim2: str, key: str, mode: str = "cohort") -> go.Figure | None:
    """A chart that fits the pivot: a line over time, bars over categories, a heatmap for two
    categorical dimensions; None without dimensions (the page shows numbers instead)."""
    if dim1 == NONE or frame.empty:
        return None
    measure = MEASURES[key]
    color = OWNER_COLORS[measure.owner]
    values = frame[measure.column].astype(float) * (100 if measure.unit == "rate" else 1)
    data = frame.assign(value=values, x1=_plot_labels(frame, "dim1", DIMENSIONS[dim1]))
    if dim2 != NONE:
        data = data.assign(x2=_plot_labels(frame, "dim2", DIMENSIONS[dim2]))
    first, second = DIMENSIONS[dim1], DIMENSIONS.get(dim2)
    axis = measure_title(measure, mode)
    fig = go.Figure()
    hover = [format_value(v / (100 if measure.unit == "rate" else 1), measure.unit) for v in values]
    data = data.assign(hover=hover)
    time_dim = "x1" if first.is_time else ("x2" if second is not None and second.is_time else None)
    if dim2 == NONE and time_dim:
        _draw_line_over_time(fig, data, first, measure.label(mode), axis, color)
    elif dim2 == NONE:
        _draw_ranked_bars(fig, data, first, axis, color)
    elif time_dim:
        _draw_lines_per_group(fig, data, first, second, time_dim, axis)
    else:
        _draw_heatmap(fig, data, first, second, axis, color)
    fig.update_layout(title=_chart_title(measure, mode, first, second))
    if measure.unit == "usd":
        fig.update_layout(
            xaxis_tickprefix="$" if dim2 == NONE and not time_dim else None,
            yaxis_tickprefix="$" if time_dim else None,
        )
    return fig


def _chart_title(measure: Measure, mode: str, first: Dimension, second: Dimension | None) -> str:
    """'Leads by channel and region · owned by Marketing'."""
    title = f"{measure.label(mode)} by {first.label.lower()}"
    title += f" and {second.label.lower()}" if second and second.key != NONE else ""
    return title + f" · owned by {fmt_label(measure.owner)}"


def _draw_line_over_time(
    fig: go.Figure, data: pd.DataFrame, time: Dimension, name: str, axis: str, color: str
) -> None:
    """One measure by month or quarter: a single line in its owner's colour."""
    fig.add_scatter(
        x=data["x1"],
        y=data["value"],
        mode="lines+markers",
        line_color=color,
        name=name,
        text=data["hover"],
        hovertemplate="%{x}: %{text}<extra></extra>",
    )
    fig.update_layout(xaxis_title=time.label, yaxis_title=axis)


def _draw_ranked_bars(fig: go.Figure, data: pd.DataFrame, first: Dimension, axis: str, color: str) -> None:
    """One measure over the categories of one dimension: horizontal bars, the largest on top (a team
    in its own colour); the chart grows with the number of categories."""
    bars = data.sort_values("value", ascending=True)
    colors = [_series_color(first.key, v, color) for v in bars["dim1_value"]]
    fig.add_bar(
        x=bars["value"],
        y=bars["x1"],
        orientation="h",
        marker_color=colors,
        text=bars["hover"],
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    fig.update_layout(xaxis_title=axis, yaxis_title=first.label, height=max(320, 28 * len(bars) + 120))


def _draw_lines_per_group(
    fig: go.Figure, data: pd.DataFrame, first: Dimension, second: Dimension, time_dim: str, axis: str
) -> None:
    """A time dimension and a categorical one (either way round): one line over time per category,
    in time order, coloured from the palette (a team in its own colour), the legend naming them."""
    over, across = ("x1", "x2") if time_dim == "x1" else ("x2", "x1")
    across_key = second.key if time_dim == "x1" else first.key
    across_dim = DIMENSIONS[across_key]
    value_column = "dim2_value" if time_dim == "x1" else "dim1_value"
    time_sort = "dim1_sort" if time_dim == "x1" else "dim2_sort"
    for index, (name, group) in enumerate(data.groupby(across, sort=False)):
        group = group.sort_values(time_sort)
        fallback = SEQUENCE[index % len(SEQUENCE)]
        fig.add_scatter(
            x=group[over],
            y=group["value"],
            mode="lines+markers",
            name=str(name),
            line_color=_series_color(across_dim.key, group[value_column].iloc[0], fallback),
            text=group["hover"],
            hovertemplate=f"{name} · %{{x}}: %{{text}}<extra></extra>",
        )
    time_label = (first if time_dim == "x1" else second).label
    fig.update_layout(
        xaxis_title=time_label,
        yaxis_title=axis,
        legend_title_text=across_dim.label,
        legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"},
    )


def _draw_heatmap(
    fig: go.Figure, data: pd.DataFrame, first: Dimension, second: Dimension, axis: str, color: str
) -> None:
    """Two categorical dimensions: a heatmap from white to the owner's colour, each cell's value in it;
    the chart grows with the rows of the first dimension."""
    grid = data.pivot_table(index="x1", columns="x2", values="value", aggfunc="first", sort=False)
    cell_text = data.pivot_table(index="x1", columns="x2", values="hover", aggfunc="first", sort=False)
    fig.add_heatmap(
        z=grid.values,
        x=list(grid.columns),
        y=list(grid.index),
        text=cell_text.reindex_like(grid).values,
        texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
        colorscale=[[0, "#FFFFFF"], [1, color]],
        colorbar_title_text=axis,
    )
    fig.update_layout(
        xaxis_title=second.label,
        yaxis_title=first.label,
        height=max(360, 30 * len(grid.index) + 160),
        yaxis_autorange="reversed",
    )


def _series_color(dimension: str, value: str, fallback: str) -> str:
    """Team colours when the series is a team (who sourced the lead); else the given colour."""
    return TEAM_COLORS.get(value, fallback) if dimension == "team" else fallback


def basis_note(keys: Sequence[str], mode: str) -> str | None:
    """A sentence when the chosen measures mix bases (a cohort figure next to an activity one), else None."""
    chosen = [MEASURES[key].metric(mode) for key in keys if key in MEASURES]
    if len({metric.basis for metric in chosen}) < 2:
        return None
    cohort = [metric.label for metric in chosen if metric.basis == "cohort"]
    return (
        f"Mixed bases: {', '.join(cohort)} follow the period's leads to the as-of day (cohort); the other "
        "measures count what happened in the period. Each header says which."
    )
