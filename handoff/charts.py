"""Colours, number formats and the Plotly look shared by every chart and report.

One colour for marketing and one for sales, everywhere; the handoff between them has its own.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio

TEAM_COLORS = {"marketing": "#E8590C", "sales": "#1971C2"}
HANDOFF_COLOR = "#5F3DC4"
NEUTRAL_COLOR = "#868E96"
UNATTRIBUTED_COLOR = "#ADB5BD"
# Notes on the numbers: a dark grey, apart from both teams, the handoff and the lighter neutral of targets.
NOTE_COLOR = "#343A40"
WARN_COLOR, BAD_COLOR = "#E67700", "#C92A2A"
SEQUENCE = [
    "#E8590C",
    "#1971C2",
    "#5F3DC4",
    "#2B8A3E",
    "#C2255C",
    "#0B7285",
    "#E67700",
    "#495057",
    "#9C36B5",
    "#5C940D",
    "#1864AB",
    "#D9480F",
]

pio.templates["handoff"] = pio.templates.merge_templates(
    "plotly_white",
    go.layout.Template(
        layout=go.Layout(
            font={"family": "Inter, system-ui, sans-serif", "size": 13, "color": "#212529"},
            colorway=SEQUENCE,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            hoverlabel={"font_size": 12},
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            xaxis={"gridcolor": "#E9ECEF", "zerolinecolor": "#DEE2E6"},
            yaxis={"gridcolor": "#E9ECEF", "zerolinecolor": "#DEE2E6"},
            plot_bgcolor="white",
            paper_bgcolor="white",
        )
    ),
)
# Merged once above: a "plotly_white+handoff" default would merge the two on every figure (~30 ms each).
pio.templates.default = "handoff"


# Channels (eleven in the demo) need colours that stay apart from each other and from the teams':
# Paul Tol's "muted" qualitative scheme, colour-blind safe, then a grey.
CHANNEL_PALETTE = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#661100",
    "#6699CC",
    "#888888",
)


def channel_colors(channels) -> dict[str, str]:
    """A distinct colour for each channel, in name order, so a chart's legend reads in a fixed order."""
    ordered = sorted({str(c) for c in channels})
    return {c: CHANNEL_PALETTE[i % len(CHANNEL_PALETTE)] for i, c in enumerate(ordered)}


def team_color(team: str | None) -> str:
    """The colour of a team; anything else (unattributed, shared) is neutral."""
    return TEAM_COLORS.get(team or "", NEUTRAL_COLOR)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_usd(value, *, precise: bool = False) -> str:
    """Money for people: $1.2M, $38.5k, $940; `precise` keeps cents."""
    if _missing(value):
        return "–"
    value = float(value)
    if precise:
        return f"${value:,.2f}"
    size = abs(value)
    sign = "-" if value < 0 else ""
    if size >= 1e9:
        return f"{sign}${size / 1e9:.1f}B"
    if size >= 1e6:
        return f"{sign}${size / 1e6:.1f}M"
    if size >= 1e4:
        return f"{sign}${size / 1e3:.0f}k"
    if size >= 1e3:
        return f"{sign}${size / 1e3:.1f}k"
    return f"{sign}${size:,.0f}"


def fmt_pct(rate, digits: int = 1) -> str:
    """A 0–1 rate as a percentage: 38.4 %."""
    if _missing(rate):
        return "–"
    return f"{100 * float(rate):.{digits}f} %"


def fmt_count(value) -> str:
    """A count with thousands separators."""
    if _missing(value):
        return "–"
    return f"{int(round(float(value))):,}"


def fmt_hours(hours) -> str:
    """A duration in hours, in the unit a person would use: 12 min, 3.2 h, 4.5 d."""
    if _missing(hours):
        return "–"
    hours = float(hours)
    if abs(hours) < 1:
        return f"{hours * 60:.0f} min"
    if abs(hours) < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def fmt_days(days) -> str:
    """A duration in days: 12.5 d."""
    if _missing(days):
        return "–"
    return f"{float(days):.1f} d"
