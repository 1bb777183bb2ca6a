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

from handoff import db
from handoff.charts import (HANDOFF_COLOR, SEQUENCE, TEAM_COLORS, fmt_count, fmt_hours, fmt_label, fmt_pct,
                            fmt_usd)
from handoff.filters import FILTER_PARAMS
from handoff.paths import QUERIES_DIR


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
    """One pivot measure: the explore__pivot column it shows, its unit, owner and definition."""

    key: str
    label: str
    column: str
    unit: str  # count | usd | rate | hours
    owner: str  # marketing | sales | handoff
    help: str
    records: str = "leads"  # the records behind it: leads or deals


NONE = "none"
DIMENSIONS = {d.key: d for d in (
    Dimension(NONE, "(nothing)", "No grouping: one row for everything the filters select."),
    Dimension("channel", "Channel", "The lead's original source channel."),
    Dimension("campaign", "Campaign", "The lead's source campaign.", coded=False),
    Dimension("segment", "Segment", "The lead's segment."),
    Dimension("region", "Region", "The lead's region."),
    Dimension("industry", "Industry", "The lead's industry."),
    Dimension("company_size", "Company size", "The lead's company size (employees)."),
    Dimension("owner", "Owner", "The lead's owner (a sales rep).", coded=False),
    Dimension("team", "Sourced by", "Who sourced the lead: marketing or sales."),
    Dimension("created_month", "Month", "The month of each measure's own event: lead created (cohort) or "
              "stage entered (period) for funnel counts, MQL date for speed and SLA, deal created for "
              "pipeline, deal closed for bookings and win rate.", is_time=True, coded=False),
    Dimension("created_quarter", "Quarter", "The quarter of each measure's own event (see Month).",
              is_time=True, coded=False),
    Dimension("score_band", "Score band", "The lead's score: 0–39, 40–59, 60–79, 80–100.",
              coded=False),
    Dimension("response_time_band", "Response time", "Speed to lead of the lead: first sales touch after "
              "mql_at, in bands; leads never MQL and MQLs still waiting apart."),
)}

_COHORT = "of the leads created in the window (cohort), or entering it in the window (period)"
MEASURES = {m.key: m for m in (
    Measure("leads", "Leads", "lead_count", "count", "marketing", "Leads created in the window."),
    Measure("mqls", "MQLs", "mql_count", "count", "marketing",
            f"Leads that reached MQL (an MQL date or any later stage), {_COHORT}."),
    Measure("sals", "SALs", "sal_count", "count", "sales", f"Leads that reached SAL, {_COHORT}."),
    Measure("sqls", "SQLs", "sql_count", "count", "sales", f"Leads that reached SQL, {_COHORT}."),
    Measure("opportunities", "Opportunities", "opportunity_count", "count", "sales",
            f"Leads that reached Opportunity (a first deal), {_COHORT}."),
    Measure("won", "Won", "won_count", "count", "sales", f"Leads that reached Won (a won deal), {_COHORT}."),
    Measure("pipeline", "Pipeline created", "pipeline_usd", "usd", "sales",
            "Sum of amount of deals created in the window.", records="deals"),
    Measure("bookings", "Bookings", "bookings_usd", "usd", "sales",
            "Sum of amount of deals won (stage won) with closed_at in the window.", records="deals"),
    Measure("lead_to_mql", "Lead → MQL", "lead_to_mql_rate", "rate", "marketing",
            "Reached MQL ÷ reached Lead."),
    Measure("mql_to_sal", "MQL → SAL", "mql_to_sal_rate", "rate", "handoff",
            "Reached SAL ÷ reached MQL: the handoff, where marketing's leads become sales' work."),
    Measure("sal_to_sql", "SAL → SQL", "sal_to_sql_rate", "rate", "sales", "Reached SQL ÷ reached SAL."),
    Measure("sql_to_opportunity", "SQL → Opportunity", "sql_to_opportunity_rate", "rate", "sales",
            "Reached Opportunity ÷ reached SQL."),
    Measure("opportunity_to_won", "Opportunity → Won", "opportunity_to_won_rate", "rate", "sales",
            "Reached Won ÷ reached Opportunity."),
    Measure("speed_to_lead", "Median speed to lead", "median_speed_to_lead_hours", "hours", "sales",
            "Median hours from mql_at to the first sales touch at or after it, over the leads that became "
            "MQL in the window and got one (wall clock)."),
    Measure("sla_compliance", "Follow-up SLA", "sla_compliance_rate", "rate", "sales",
            "The SLA page's follow-up policy (data/sla_policies.toml: first sales touch within its tier's "
            "hours of mql_at, on its clock) over the leads that became MQL in the window: met ÷ (met + "
            "breached); MQLs still inside their window are pending and not counted."),
    Measure("win_rate", "Win rate", "win_rate", "rate", "sales",
            "Won ÷ (won + lost) among deals closed in the window.", records="deals"),
)}
DEFAULT_MEASURES = ("leads", "mqls", "mql_to_sal", "pipeline", "bookings")
RECORD_KINDS = {"leads": "Leads", "deals": "Deals", "touches": "Touches"}
RECORD_QUERIES = {"leads": "explore__lead_records", "deals": "explore__deal_records",
                  "touches": "explore__touch_records"}
RECORD_LIMIT = 10_000
MODE_HELP = ("Cohort: leads created in the window, counted at every stage reached by now. "
             "Period: stage entries that fell in the window.")
RECORDS_NOTE = ("Leads: those the funnel, speed and SLA measures count; deals: those pipeline, bookings and "
                "win rate count; touches: every touch of those leads.")
MODES = {"cohort": "Cohort", "period": "Period"}
UNIT_TITLES = {"count": "", "usd": " (USD)", "rate": " (%)", "hours": " (hours)"}
OWNER_COLORS = {**TEAM_COLORS, "handoff": HANDOFF_COLOR}


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
    """A measure's name for people (for select boxes)."""
    return MEASURES[key].label


def measures(keys: Iterable[str]) -> list[Measure]:
    """The allow-listed measures for `keys`, in the order given; unknown keys are an error."""
    unknown = [k for k in keys if k not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure {', '.join(unknown)}; choose from: {', '.join(MEASURES)}")
    return [MEASURES[k] for k in keys]


def dimensions_used(dim1: str, dim2: str) -> list[Dimension]:
    """The dimensions that group the rows (none is left out)."""
    return [DIMENSIONS[k] for k in (dim1, dim2) if k != NONE]


def measure_title(measure: Measure) -> str:
    """A measure's name with its unit, for column headers and axis titles."""
    return measure.label + UNIT_TITLES[measure.unit]


def format_value(value, unit: str) -> str:
    """A value for people: 1,234 · $1.2M · 38.4 % · 3.2 h."""
    return {"count": fmt_count, "usd": fmt_usd, "rate": fmt_pct, "hours": fmt_hours}[unit](value)


def _dim_labels(frame: pd.DataFrame, slot: str, dimension: Dimension) -> pd.Series:
    labels = frame[f"{slot}_label"].astype(object)
    if dimension.key == "created_month":
        return pd.to_datetime(frame[f"{slot}_value"], format="%Y-%m").dt.strftime("%b %Y")
    return labels.map(fmt_label) if dimension.coded else labels


def table(frame: pd.DataFrame, dim1: str, dim2: str, keys: Sequence[str]) -> pd.DataFrame:
    """The pivot as people read it: dimension labels, then the chosen measures, named with units.

    Rows keep the order and positions of `frame`, so a selected row maps back to its cell.
    """
    out = pd.DataFrame(index=frame.index)
    for slot, key in (("dim1", dim1), ("dim2", dim2)):
        if key != NONE:
            out[DIMENSIONS[key].label] = _dim_labels(frame, slot, DIMENSIONS[key])
    for measure in measures(keys):
        values = frame[measure.column]
        out[measure_title(measure)] = values * 100 if measure.unit == "rate" else values
    return out.reset_index(drop=True)


def column_formats(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Per table column: (Streamlit number format, help with the owner and the definition)."""
    formats = {"count": "localized", "usd": "dollar", "rate": "%.1f %%", "hours": "%.1f h"}
    return {
        measure_title(m): (formats[m.unit], f"{m.help} Owner: {m.owner}.") for m in measures(keys)
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
    return {"dim1_values": chosen["dim1_value"].astype(str).tolist(),
            "dim2_values": chosen["dim2_value"].astype(str).tolist()}


def member_ids(members: pd.DataFrame, kind: str) -> dict[str, list[str]]:
    """The records-query parameter for `kind` (leads, deals, touches) from explore__cell_members."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}; choose from: {', '.join(RECORD_KINDS)}")
    record_kind = "deal" if kind == "deals" else "lead"
    ids = members.loc[members["record_kind"] == record_kind, "record_id"].tolist()
    return {"deal_ids" if kind == "deals" else "lead_ids": ids}


# ---------------------------------------------------------------------------------------------
# Follow-up SLA per cell: the SLA policy file's evaluation, counted in the pivot's cells

SLA_COLUMNS = ["dim1_value", "dim2_value", "sla_met_count", "sla_breached_count", "sla_pending_count",
               "sla_compliance_rate", "sla_rule"]


def _pivot_declarations() -> str:
    lines = (QUERIES_DIR / "explore__pivot.sql").read_text().splitlines()
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
    from handoff import sla

    filters = {name: value for name, value in params.items() if name in FILTER_PARAMS}
    policies = sla.policies_from_param(params.get("policies"))
    follow_up = next((p for p in policies.policies if p.kind == "follow_up"), None)
    as_of = sla.latest_timestamp(db_path)
    if follow_up is None or as_of is None:
        return pd.DataFrame(columns=SLA_COLUMNS)
    # The cell of each MQL of the window: the rows of sla__mql_clock, which the evaluation judged.
    cells = db.run_query("explore__mql_cells", filters, db=db_path,
                         **{k: params[k] for k in ("mode", "dim1", "dim2")})
    # The SLA page's evaluation of the same window (shared and cached), not a second one.
    window = sla.evaluate_window({**filters, "policies": params.get("policies")}, db_path)
    if not np.array_equal(cells["mql_number"].to_numpy(), window.mqls["mql_number"].to_numpy()):
        raise AssertionError("explore__mql_cells and sla__mql_clock returned different MQLs")
    status = window.verdicts[follow_up.id].status
    flags = pd.DataFrame({f"sla_{name}_count": status == code for code, name in enumerate(sla.STATUSES)})
    out = (flags.groupby([cells["dim1_value"].astype(str), cells["dim2_value"].astype(str)]).sum()
           .astype("int64").reset_index())
    decided = out["sla_met_count"] + out["sla_breached_count"]
    out["sla_compliance_rate"] = out["sla_met_count"] / decided.where(decided > 0)
    clock = "" if follow_up.clock == "business" else " (wall clock)"
    out["sla_rule"] = sla.describe_rule(follow_up) + clock
    return out[SLA_COLUMNS]


def with_sla(frame: pd.DataFrame, sla_cells: pd.DataFrame) -> pd.DataFrame:
    """The pivot with its cells' follow-up SLA columns (zero counts where a cell has no MQLs)."""
    merged = frame.drop(columns=[c for c in SLA_COLUMNS[2:] if c in frame]).merge(
        sla_cells.drop(columns="sla_rule"), on=["dim1_value", "dim2_value"], how="left")
    for column in ("sla_met_count", "sla_breached_count", "sla_pending_count"):
        merged[column] = merged[column].fillna(0).astype("int64")
    merged["sla_compliance_rate"] = merged["sla_compliance_rate"].astype(float)
    return merged


def figure(frame: pd.DataFrame, dim1: str, dim2: str, key: str) -> go.Figure | None:
    """A chart that fits the pivot: a line over time, bars over categories, a heatmap for two
    categorical dimensions; None without dimensions (the page shows numbers instead)."""
    if dim1 == NONE or frame.empty:
        return None
    measure = MEASURES[key]
    color = OWNER_COLORS[measure.owner]
    values = frame[measure.column].astype(float) * (100 if measure.unit == "rate" else 1)
    data = frame.assign(value=values, x1=_dim_labels(frame, "dim1", DIMENSIONS[dim1]))
    if dim2 != NONE:
        data = data.assign(x2=_dim_labels(frame, "dim2", DIMENSIONS[dim2]))
    first, second = DIMENSIONS[dim1], DIMENSIONS.get(dim2)
    axis = measure_title(measure)
    title = f"{measure.label} by {first.label.lower()}"
    title += f" and {second.label.lower()}" if second and second.key != NONE else ""
    title += f" · owner: {measure.owner}"
    fig = go.Figure()
    hover = [format_value(v / (100 if measure.unit == "rate" else 1), measure.unit) for v in values]
    data = data.assign(hover=hover)
    time_dim = "x1" if first.is_time else ("x2" if second is not None and second.is_time else None)
    if dim2 == NONE and time_dim:
        fig.add_scatter(x=data["x1"], y=data["value"], mode="lines+markers", line_color=color,
                        name=measure.label, text=data["hover"], hovertemplate="%{x}: %{text}<extra></extra>")
        fig.update_layout(xaxis_title=first.label, yaxis_title=axis)
    elif dim2 == NONE:
        bars = data.sort_values("value", ascending=True)
        colors = [_series_color(first.key, v, color) for v in bars["dim1_value"]]
        fig.add_bar(x=bars["value"], y=bars["x1"], orientation="h", marker_color=colors,
                    text=bars["hover"], hovertemplate="%{y}: %{text}<extra></extra>")
        fig.update_layout(xaxis_title=axis, yaxis_title=first.label, height=max(320, 28 * len(bars) + 120))
    elif time_dim:
        over, across = ("x1", "x2") if time_dim == "x1" else ("x2", "x1")
        across_key = second.key if time_dim == "x1" else first.key
        across_dim = DIMENSIONS[across_key]
        value_column = "dim2_value" if time_dim == "x1" else "dim1_value"
        time_sort = "dim1_sort" if time_dim == "x1" else "dim2_sort"
        for index, (name, group) in enumerate(data.groupby(across, sort=False)):
            group = group.sort_values(time_sort)
            fallback = SEQUENCE[index % len(SEQUENCE)]
            fig.add_scatter(x=group[over], y=group["value"], mode="lines+markers", name=str(name),
                            line_color=_series_color(across_dim.key, group[value_column].iloc[0], fallback),
                            text=group["hover"], hovertemplate=f"{name} · %{{x}}: %{{text}}<extra></extra>")
        time_label = (first if time_dim == "x1" else second).label
        fig.update_layout(xaxis_title=time_label, yaxis_title=axis, legend_title_text=across_dim.label,
                          legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"})
    else:
        grid = data.pivot_table(index="x1", columns="x2", values="value", aggfunc="first", sort=False)
        text = data.pivot_table(index="x1", columns="x2", values="hover", aggfunc="first", sort=False)
        fig.add_heatmap(z=grid.values, x=list(grid.columns), y=list(grid.index),
                        text=text.reindex_like(grid).values, texttemplate="%{text}",
                        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
                        colorscale=[[0, "#FFFFFF"], [1, color]], colorbar_title_text=axis)
        fig.update_layout(xaxis_title=second.label, yaxis_title=first.label,
                          height=max(360, 30 * len(grid.index) + 160), yaxis_autorange="reversed")
    fig.update_layout(title=title)
    if measure.unit == "usd":
        fig.update_layout(xaxis_tickprefix="$" if dim2 == NONE and not time_dim else None,
                          yaxis_tickprefix="$" if time_dim else None)
    return fig


def _series_color(dimension: str, value: str, fallback: str) -> str:
    """Team colours when the series is a team (who sourced the lead); else the given colour."""
    return TEAM_COLORS.get(value, fallback) if dimension == "team" else fallback
