"""The Funnel page's charts: the two-path funnel with the handoff marked, the small multiples of a
breakdown, velocity, the conversion trend and where leads leave. Plotly figures built from the
`funnel__*` query results (and the tables of `handoff.funnel`), no Streamlit here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from handoff import metrics, note_marks, text
from handoff.charts import (
    BAD_COLOR,
    HANDOFF_COLOR,
    NEUTRAL_COLOR,
    TEAM_COLORS,
    WARN_COLOR,
    fmt_count,
    fmt_days,
    fmt_pct,
    team_color,
)
from handoff.funnel import (
    STAGE_NAMES,
    STAGES,
    STEP_NAMES,
    THIN_RECORDS,
    group_label,
    is_thin,
    stage_table,
    step_bases,
)
from handoff.labels import fmt_label
from handoff.workspace import Note

EXIT_COLORS = {"disqualified": WARN_COLOR, "lost": BAD_COLOR, "open": NEUTRAL_COLOR}


_SALES_LIGHT = "#74C0FC"  # sales' blue, lighter: sales-sourced leads carried on from the stage before


def _stage_label(stage: str, owner: str) -> str:
    return f"<b>{stage}</b><br><span style='color:{team_color(owner)}'>{fmt_label(owner)}</span>"


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
    annotations = [*_stage_annotations(table, labels, widest), _handoff_annotation()]
    # One Figure built from plain data: each incremental annotation costs plotly a few ms.
    return go.Figure(
        data=_funnel_part_traces(table, labels),
        layout={
            "barmode": "stack",
            "annotations": annotations,
            "shapes": [_handoff_line()],
            "height": 460,
            "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
            "yaxis": {"autorange": "reversed"},
            "xaxis": {"range": [0, widest * 2.4], "title": {"text": "leads"}, "tickformat": ",d"},
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "traceorder": "normal"},
        },
    )


def _funnel_part_traces(table: pd.DataFrame, labels: list[str]) -> list[dict]:
    """One horizontal bar trace per part of FUNNEL_PARTS, stacked into each stage's bar."""
    return [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": table[column],
            "name": name,
            "marker": {"color": color, "pattern": {"shape": pattern, "fgcolor": "white"}},
            "hovertemplate": "%{y}<br>" + name + ": %{x:,d}<extra></extra>",
        }
        for column, name, color, pattern in FUNNEL_PARTS
    ]


def _stage_note(row) -> str:
    """The words beside one stage's bar, in short lines that fit beside the bar at 390 px: its count,
    then how it was sourced (the first stage) or its conversion from the previous stage (with the
    records it rests on) and from the first, and from SAL on where its leads came from."""
    note = f"<b>{fmt_count(row.reached_count)}</b>"
    if row.stage_order == 1:
        return note + (
            f"<br>{fmt_count(row.marketing_sourced_count)} marketing-sourced"
            f"<br>{fmt_count(row.sales_sourced_count)} sales-sourced"
        )
    thin = " · <b>thin</b>" if row.is_thin else ""
    note += (
        f" · {fmt_pct(row.from_previous_rate)} of previous"
        f"<br>n = {fmt_count(row.previous_count)}{thin} · {fmt_pct(row.from_first_rate)} of first"
    )
    if row.stage_order >= 3:
        note += (
            f"<br>{fmt_count(row.reached_count - row.joined_count)} from previous, "
            f"{fmt_count(row.joined_count)} joined here"
        )
    return note


def _stage_annotations(table: pd.DataFrame, labels: list[str], widest: int) -> list[dict]:
    """Each stage's note just right of the widest bar; a thin conversion in the warning colour."""
    return [
        {
            "x": widest * 1.02,
            "y": label,
            "text": _stage_note(row),
            "showarrow": False,
            "xanchor": "left",
            "align": "left",
            # The theme's text colour (light or dark) unless the stage is thin.
            "font": {"size": 11} | ({"color": BAD_COLOR} if row.stage_order > 1 and row.is_thin else {}),
        }
        for row, label in zip(table.itertuples(), labels)
    ]


def _handoff_annotation() -> dict:
    """The handoff's name at the right edge, between MQL and SAL (categories 1 and 2: y = 1.5)."""
    return {
        "xref": "paper",
        "x": 1,
        "yref": "y",
        "y": 1.5,
        "text": "<b>handoff</b>: marketing → sales",
        "showarrow": False,
        "xanchor": "right",
        "yanchor": "bottom",
        "font": {"color": HANDOFF_COLOR},
    }


def _handoff_line() -> dict:
    """The handoff dashed across the chart between MQL (category 1) and SAL (category 2)."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": 1.5,
        "y1": 1.5,
        "line": {"color": HANDOFF_COLOR, "width": 2, "dash": "dash"},
    }


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
    figure = make_subplots(
        rows=rows, cols=cols, subplot_titles=[f"title {i}" for i in range(title_count)], **dict(spacing)
    )
    layout = json.loads(figure.to_json())["layout"]
    layout.pop("template", None)  # the figure built from it gets the default template, as this one did
    return json.dumps(layout)


def _last_row_axes(layout: dict, rows: int) -> set[str]:
    """The x axes ('x', 'x2'…) of the bottom row's panels."""
    cols = len([name for name in layout if name.startswith("xaxis")]) // max(rows, 1)
    return {f"x{'' if n == 1 else n}" for n in range((rows - 1) * cols + 1, rows * cols + 1)}


def small_multiples(
    grouped: pd.DataFrame, wide: pd.DataFrame, group_by: str, labels: dict[str, str], limit: int = 12
) -> go.Figure:
    """One small funnel per group (bars = share of the group's first stage), in the table's order."""
    values = wide["group_value"].head(limit).tolist()
    cols = 3
    rows = max(1, -(-len(values) // cols))
    titles = [
        f"{text.plot(group_label(v, labels))} · {fmt_count(n)} leads" for v, n in zip(values, wide["Lead"])
    ]
    layout = _grid_layout(
        rows,
        cols,
        titles,
        shared_xaxes=True,
        horizontal_spacing=0.08,
        vertical_spacing=0.5 / max(rows, 1) / 2 + 0.04,
    )
    grouped = grouped.assign(group_value=grouped["group_value"].astype(str))
    traces, handoffs = [], []  # one dashed handoff line per small funnel
    for index, value in enumerate(values):
        part = grouped[grouped["group_value"] == value].sort_values("stage_order")
        axis = "" if index == 0 else str(index + 1)
        traces.append(_small_funnel_trace(part, axis))
        handoffs.append(_small_handoff_line(axis))
    _style_small_multiples_axes(layout, rows)
    layout.update(height=90 + 230 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 10}, shapes=handoffs)
    # One Figure built from plain data: plotly's incremental updates cost ~30 ms per subplot.
    return go.Figure(data=traces, layout=layout)


def _small_funnel_trace(part: pd.DataFrame, axis: str) -> dict:
    """One group's funnel on the panel of axes x{axis}/y{axis}: bars as the share of the group's first
    stage, labelled with the count and the conversion from the previous stage (marked thin)."""
    previous = step_bases(part).to_numpy()
    bar_text = [
        fmt_count(n) if order == 1 else f"{fmt_count(n)} · {fmt_pct(rate)}{' thin' if is_thin(prev) else ''}"
        for order, n, rate, prev in zip(
            part["stage_order"], part["reached_count"], part["from_previous_rate"], previous
        )
    ]
    return {
        "type": "bar",
        "y": part["stage"],
        "x": part["from_first_rate"].fillna(0),
        "orientation": "h",
        "text": bar_text,
        "textposition": "auto",
        "marker": {"color": [team_color(o) for o in part["owner_team"]]},
        "hovertemplate": "%{y}: %{text} of previous<br>%{x:.1%} of first<extra></extra>",
        "showlegend": False,
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
    }


def _small_handoff_line(axis: str) -> dict:
    """The handoff (between MQL and SAL) dashed across one small funnel's panel."""
    return {
        "type": "line",
        "xref": f"x{axis} domain",
        "yref": f"y{axis}",
        "x0": 0,
        "x1": 1,
        "y0": 1.5,
        "y1": 1.5,
        "line": {"color": HANDOFF_COLOR, "width": 1, "dash": "dash"},
    }


def _style_small_multiples_axes(layout: dict, rows: int) -> None:
    """Every panel lists the stages top to bottom on a 0–105 % scale; the bottom row names the scale."""
    names = [name for _, name, _ in STAGES]
    bottom = _last_row_axes(layout, rows)
    for name, axis in layout.items():
        if name.startswith("yaxis"):  # every funnel: stages top to bottom
            axis.update(categoryorder="array", categoryarray=names, autorange="reversed")
        elif name.startswith("xaxis"):
            axis.update(tickformat=".0%", range=[0, 1.05])
            if f"x{name.removeprefix('xaxis')}" in bottom:
                axis["title"] = {"text": "share of the group's first stage (%)"}


def velocity_chart(velocity: pd.DataFrame) -> go.Figure:
    """Median to 90th-percentile days of each step (owner colour), the previous window in grey below it."""
    traces = []
    positions = np.arange(len(velocity))
    for label, offset, median, p90, colors in (
        (
            "previous window",
            0.22,
            velocity["previous_median_days"],
            velocity["previous_p90_days"],
            [NEUTRAL_COLOR] * len(velocity),
        ),
        (
            "this window",
            -0.0,
            velocity["median_days"],
            velocity["p90_days"],
            [team_color(o) for o in velocity["owner_team"]],
        ),
    ):
        rows = positions + offset
        traces += _median_to_p90_lines(rows, median, p90, colors)
        traces += _median_and_p90_markers(label, rows, median, p90, colors)
    return go.Figure(data=traces, layout=_velocity_layout(velocity, positions))


def _median_to_p90_lines(
    rows: np.ndarray, median: pd.Series, p90: pd.Series, colors: list[str]
) -> list[dict]:
    """A line from each step's median to its 90th percentile, where the window has both."""
    return [
        {
            "type": "scatter",
            "x": [low, high],
            "y": [y, y],
            "mode": "lines",
            "showlegend": False,
            "line": {"color": color, "width": 3},
            "hoverinfo": "skip",
        }
        for y, low, high, color in zip(rows, median, p90, colors)
        if pd.notna(low) and pd.notna(high)
    ]


def _median_and_p90_markers(
    label: str, rows: np.ndarray, median: pd.Series, p90: pd.Series, colors: list[str]
) -> list[dict]:
    """One window's medians (circles) and 90th percentiles (diamonds), both hovering with the two."""
    hover = [f"{label}: median {fmt_days(m)}, p90 {fmt_days(p)}" for m, p in zip(median, p90)]
    return [
        {
            "type": "scatter",
            "x": values,
            "y": rows,
            "mode": "markers",
            "name": f"{name}, {label}",
            "marker": {"color": colors, "size": 11, "symbol": symbol},
            "hovertext": hover,
            "hoverinfo": "text",
        }
        for name, values, symbol in (("median", median, "circle"), ("p90", p90, "diamond"))
    ]


def _velocity_layout(velocity: pd.DataFrame, positions: np.ndarray) -> dict:
    """Steps down the side (named with their owner), days along a log scale."""
    ticks = [f"{s} ({fmt_label(o)})" for s, o in zip(velocity["step"], velocity["owner_team"])]
    return {
        "yaxis": {"tickvals": positions, "ticktext": ticks, "autorange": "reversed"},
        "xaxis": {
            "type": "log",
            "title": {"text": "days between the two stages (log scale): ● median, ◆ 90th percentile"},
        },
        "height": 340,
        "showlegend": False,
    }


def step_subjects(index: int) -> note_marks.Subjects:
    """What panel `index` of the trend shows, for the notes on it: the monthly conversion, and the step's
    own rate in either basis ('lead_to_mql_rate', 'cohort_lead_to_mql_rate')."""
    (_, first, _), (_, second, _) = STAGES[index], STAGES[index + 1]
    step = f"{first}_to_{second}_rate".lower()
    return note_marks.about(metrics=("monthly_conversion_rate", step, f"cohort_{step}"))


def trend_chart(trend: pd.DataFrame, notes: Sequence[Note] = ()) -> go.Figure:
    """Each step's conversion by created month, one panel per step; young months hollow, thin ones faint;
    the notes on a step's conversion as dotted lines on its panel."""
    layout = _grid_layout(1, len(STEP_NAMES), STEP_NAMES, shared_yaxes=True, horizontal_spacing=0.02)
    traces = []
    for index, (order, _, _) in enumerate(STAGES[:-1]):
        part = trend[trend["from_stage_order"] == order].sort_values("created_month")
        if part.empty:
            continue
        traces.append(_step_trend_trace(part, "" if index == 0 else str(index + 1)))
    traces += _trend_legend_keys()
    _style_trend_axes(layout)
    layout.update(height=330, legend={"y": 1.18})
    figure = go.Figure(data=traces, layout=layout)
    for index in range(len(STEP_NAMES)):
        note_marks.mark(figure, notes, step_subjects(index), axis=f"x{index + 1 if index else ''}")
    return figure


def _step_trend_trace(part: pd.DataFrame, axis: str) -> dict:
    """One step's monthly conversion on the panel of axes x{axis}/y{axis}, in its owner's colour:
    months too young to judge hollow, thin ones faint."""
    color = team_color(part["owner_team"].iloc[0])
    young = part["is_too_young"].astype(bool).to_numpy()
    thin = (part["from_count"] < THIN_RECORDS).to_numpy()
    hover = [
        f"{m:%b %Y}: {fmt_pct(r)} of {fmt_count(n)}{' · thin' if t else ''}"
        f"{' · too young to judge' if y else ''}"
        for m, r, n, t, y in zip(
            part["created_month"], part["conversion_rate"], part["from_count"], thin, young
        )
    ]
    return {
        "type": "scatter",
        "x": part["created_month"],
        "y": part["conversion_rate"],
        "mode": "lines+markers",
        "showlegend": False,
        "line": {"color": color, "width": 2},
        "marker": {
            "color": np.where(young, "white", color).tolist(),
            "size": 8,
            "line": {"color": color, "width": 2},
            "opacity": np.where(thin, 0.35, 1.0).tolist(),
        },
        "hovertext": hover,
        "hoverinfo": "text",
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
    }


def _trend_legend_keys() -> list[dict]:
    """Legend keys for the two marks: a hollow marker (too young to judge) and a faint one (thin)."""
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": "too young to judge",
            "marker": {"color": "white", "size": 8, "line": {"color": NEUTRAL_COLOR, "width": 2}},
        },
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": f"thin (< {THIN_RECORDS} records)",
            "marker": {"color": NEUTRAL_COLOR, "size": 8, "opacity": 0.35},
        },
    ]


def _style_trend_axes(layout: dict) -> None:
    """Conversion in % from zero (titled on the first panel), created months along the bottom."""
    for name, axis in layout.items():
        if name.startswith("yaxis"):
            axis.update(tickformat=".0%", rangemode="tozero")
            if name == "yaxis":
                axis["title"] = {"text": f"{metrics.label('monthly_conversion_rate')} (%)"}
        elif name.startswith("xaxis"):
            axis.update(tickformat="%b\n%Y", nticks=4, title={"text": "created month"})


def exit_label(kind: str, reason) -> str:
    """The Sankey node of one exit: 'Disqualified: not a fit', 'Lost: price', 'Still open'."""
    if kind == "open":
        return "Still open"
    words = fmt_label(reason)
    return f"{'Disqualified' if kind == 'disqualified' else 'Lost'}: {words[:1].lower()}{words[1:]}"


def _top_exits(exits: pd.DataFrame, per_stage: int) -> pd.DataFrame:
    """Exit links with at most `per_stage` reasons per stage and kind; the rest become "other reasons"."""
    leaving = exits[exits["to_stage_order"].isna()].copy()
    leaving["rank"] = leaving.groupby(["from_stage_order", "exit_kind"])["lead_count"].rank(
        method="first", ascending=False
    )
    many = (leaving["rank"] > per_stage) & (leaving["exit_kind"] != "open")
    leaving.loc[many, "exit_reason"] = "other reasons"
    keys = ["from_stage_order", "from_stage", "from_owner_team", "exit_kind", "exit_reason"]
    leaving = leaving.groupby(keys, dropna=False, as_index=False)["lead_count"].sum()
    leaving["is_other"] = leaving["exit_reason"] == "other reasons"
    return leaving.sort_values(["from_stage_order", "is_other", "lead_count"], ascending=[False, False, True])


def exits_sankey(exits: pd.DataFrame, per_stage: int = 4, lead_px: int = 300) -> go.Figure:
    """Leads flowing from Lead through the stages; each stage's leavers split by exit and reason beside it.

    Nodes are placed by hand: stages along the top, each stage's exits stacked under the next stage,
    sized the way plotly sizes them so every column fits the height.
    """
    moving = exits[exits["to_stage_order"].notna()]
    leaving = _top_exits(exits, per_stage)
    reached = _reached_by_stage(exits, moving)
    # d3-sankey's scale: every lead ends in one sink (Won or an exit), d3 stacks all sinks in its last
    # column and fits that column to the height. The height is chosen so the Lead bar is `lead_px` tall.
    pad = 15  # at least a label's line (11 px text) between exits, so small exits' labels never collide
    sinks = 1 + len(leaving)
    height = 30 + lead_px + (sinks - 1) * pad
    pad_share = pad / (height - 30)
    scale = (1 - (sinks - 1) * pad_share) / max(reached[1], 1)
    column_x = {order: 0.01 + 0.19 * (order - 1) for order in STAGE_NAMES}
    nodes = _stage_nodes(reached, scale, column_x)
    links = _stage_links(moving)
    _add_exits(nodes, links, leaving, reached, scale, pad_share, column_x)
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={**nodes, "pad": pad, "thickness": 14},
            link=links,
            valueformat=",d",
            valuesuffix=" leads",
            textfont={"size": 11},
        )
    )
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return figure


def _reached_by_stage(exits: pd.DataFrame, moving: pd.DataFrame) -> dict[int, int]:
    """Leads that reached each stage order: all of them at Lead, then those that moved into the stage."""
    first = exits["from_stage_order"] == 1
    reached = {1: int(exits.loc[first, "lead_count"].sum())}
    # A stage is reached from the one before and, for a sales-sourced lead, straight from Lead.
    reached.update(
        moving.groupby("to_stage_order")["lead_count"].sum().astype(int).rename(index=int).to_dict()
    )
    return reached


def _stage_nodes(reached: dict[int, int], scale: float, column_x: dict[int, float]) -> dict[str, list]:
    """The Sankey's stage nodes (label, color, x, y) along the top, each named with its leads."""
    nodes = {"label": [], "color": [], "x": [], "y": []}
    for order, name, owner in STAGES:
        nodes["label"].append(f"{name} ({fmt_count(reached.get(order, 0))})")
        nodes["color"].append(team_color(owner))
        nodes["x"].append(column_x[order])
        nodes["y"].append(max(reached.get(order, 0) * scale / 2, 0.001))
    return nodes


def _stage_links(moving: pd.DataFrame) -> dict[str, list]:
    """The links (source, target, value, color) of leads moving from one stage node to a later one."""
    return {
        "source": [int(o) - 1 for o in moving["from_stage_order"]],
        "target": [int(o) - 1 for o in moving["to_stage_order"]],
        "value": [int(n) for n in moving["lead_count"]],
        # A link from Lead straight to a sales stage carries sales-sourced leads: sales' colour.
        "color": [
            _fade(team_color("sales" if f == 1 and t >= 3 else o))
            for f, t, o in zip(
                moving["from_stage_order"], moving["to_stage_order"], moving["from_owner_team"]
            )
        ],
    }


def _add_exits(
    nodes: dict[str, list],
    links: dict[str, list],
    leaving: pd.DataFrame,
    reached: dict[int, int],
    scale: float,
    pad_share: float,
    column_x: dict[int, float],
) -> None:
    """A node per exit of `leaving`, stacked under the next stage's node, and its link from the stage."""
    below = {order: reached.get(order + 1, 0) * scale + pad_share for order in STAGE_NAMES}
    # In this order (later stages first, smallest exit on top) plotly's links leave each stage in the
    # same order as the exits are stacked, so they do not cross.
    for row in leaving.itertuples():
        origin = int(row.from_stage_order)
        size = int(row.lead_count) * scale
        links["source"].append(origin - 1)
        links["target"].append(len(nodes["label"]))
        links["value"].append(int(row.lead_count))
        links["color"].append(_fade(EXIT_COLORS[row.exit_kind]))
        nodes["label"].append(
            f"{text.plot(exit_label(row.exit_kind, row.exit_reason))} ({fmt_count(row.lead_count)})"
        )
        nodes["color"].append(EXIT_COLORS[row.exit_kind])
        nodes["x"].append(column_x[origin] + 0.095)
        nodes["y"].append(min(below[origin] + size / 2, 0.999))
        below[origin] += size + pad_share


def _fade(color: str, alpha: float = 0.35) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
