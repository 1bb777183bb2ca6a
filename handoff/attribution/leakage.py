"""What the Attribution page's leakage tab and the meeting pack show of leakage without blame: the
change in MQL → Won conversion split into mix (marketing), rate (sales) and their interaction, the
quality × speed grid and the MQL → SQL loss, as charts, sentences and tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from handoff import metrics
from handoff.charts import HANDOFF_COLOR, NEUTRAL_COLOR, TEAM_COLORS, fmt_count, fmt_pct
from handoff.text import Markdown, md

# Each lever's colour: mix is marketing's, rate sales', the interaction shared.
LEVER_COLORS = {**TEAM_COLORS, "shared": NEUTRAL_COLOR}
# A grid cell with fewer MQLs than this is left uncoloured and marked thin.
THIN_CELL = 30


def shift_share_parts(bands: pd.DataFrame) -> dict[str, float]:
    """Previous rate, mix, rate, interaction and current rate (0–1) from the per-band rows."""
    previous = float((bands["previous_share_rate"] * bands["previous_won_rate"]).sum())
    current = float((bands["current_share_rate"] * bands["current_won_rate"]).sum())
    return {
        "previous": previous,
        "mix": float(bands["mix_effect_rate"].sum()),
        "rate": float(bands["rate_effect_rate"].sum()),
        "interaction": float(bands["interaction_effect_rate"].sum()),
        "current": current,
    }


def waterfall_chart(parts: dict[str, float], previous_label: str, current_label: str) -> go.Figure:
    """The change in MQL→Won conversion as previous → mix → rate → interaction → current."""
    steps = [
        (f"Previous period<br>{previous_label}", parts["previous"], 0.0, NEUTRAL_COLOR),
        ("Mix<br>(score bands sent: marketing)", parts["mix"], parts["previous"], TEAM_COLORS["marketing"]),
        (
            "Rate<br>(conversion within bands: sales)",
            parts["rate"],
            parts["previous"] + parts["mix"],
            TEAM_COLORS["sales"],
        ),
        (
            "Interaction<br>(both at once)",
            parts["interaction"],
            parts["previous"] + parts["mix"] + parts["rate"],
            HANDOFF_COLOR,
        ),
        (f"This period<br>{current_label}", parts["current"], 0.0, NEUTRAL_COLOR),
    ]
    figure = go.Figure(
        go.Bar(
            x=[s[0] for s in steps],
            y=[100 * s[1] for s in steps],
            base=[100 * s[2] for s in steps],
            marker_color=[s[3] for s in steps],
            text=[
                f"{100 * s[1]:.1f} %" if i in (0, 4) else f"{100 * s[1]:+.2f} pts"
                for i, s in enumerate(steps)
            ],
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    figure.update_layout(height=380, yaxis_title=f"{metrics.label('mql_to_won_rate')} (%)", showlegend=False)
    return figure


def grid_chart(grid: pd.DataFrame, rate: str) -> go.Figure:
    """Conversion by lead-score band (rows) and follow-up speed (columns), with counts; thin cells grey."""
    z = grid.pivot_table(
        index="band_order", columns="speed_order", values=rate, aggfunc="first", dropna=False
    )
    counts = grid.pivot_table(index="band_order", columns="speed_order", values="mql_count", aggfunc="first")
    bands = grid.drop_duplicates("band_order").set_index("band_order")["band"]
    speeds = grid.drop_duplicates("speed_order").set_index("speed_order")["speed"]
    keep = counts.sum(axis=1) > 0  # drop bands with no MQL at all (e.g. unscored)
    z, counts = z[keep], counts[keep]
    thin = counts < THIN_CELL
    cell_text = [
        [
            ("–" if n == 0 else f"{fmt_pct(v)}<br>n={fmt_count(n)}" + (" · thin" if n < THIN_CELL else ""))
            for v, n in zip(z_row, n_row, strict=True)
        ]
        for z_row, n_row in zip(z.to_numpy(), counts.to_numpy(), strict=True)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=100 * z.where(~thin).to_numpy(),
            x=list(speeds[z.columns]),
            y=list(bands[z.index]),
            text=cell_text,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": "%"},
            hovertemplate="Score %{y} · follow-up %{x}<br>%{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        height=120 + 60 * len(z),
        xaxis_title="Follow-up speed: MQL to first sales touch (sales' lever)",
        yaxis_title="Lead score band (marketing's lever)",
        yaxis={"autorange": "reversed"},
    )
    return figure


def loss_chart(loss: pd.DataFrame) -> go.Figure:
    """MQLs that did not reach SQL, by reason, coloured by whose lever the reason is."""
    frame = loss[::-1]
    figure = go.Figure(
        go.Bar(
            y=frame["label"],
            x=frame["lead_count"],
            orientation="h",
            marker_color=[LEVER_COLORS[lever] for lever in frame["lever"]],
            text=[
                f"{fmt_count(n)} · {fmt_pct(s)} · {lever}"
                for n, s, lever in zip(
                    frame["lead_count"], frame["lost_share_rate"].fillna(0), frame["lever"], strict=True
                )
            ],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    figure.update_layout(height=320, xaxis_title=metrics.label("mql_loss_count"), showlegend=False)
    return figure


def _points(rate: float) -> str:
    return f"{round(100 * rate, 1) + 0.0:+.1f} pts"  # + 0.0 turns a rounded -0.0 into 0.0


def shift_share_sentence(parts: dict[str, float]) -> Markdown:
    """One sentence reading the waterfall: the change and the part each lever explains."""
    change = parts["current"] - parts["previous"]
    return md(
        "MQL → Won conversion went from **{}** to **{}** ({}): {} from the mix of lead-score bands, {} from "
        "conversion within the bands, {} from both together.",
        fmt_pct(parts["previous"]),
        fmt_pct(parts["current"]),
        _points(change),
        _points(parts["mix"]),
        _points(parts["rate"]),
        _points(parts["interaction"]),
    )


def shift_share_table(bands: pd.DataFrame) -> pd.DataFrame:
    """The per-band shift-share rows for people (rates and effects in %)."""
    return pd.DataFrame(
        {
            "Score band": bands["band"],
            "MQLs before": bands["previous_mql_count"],
            "Won before": bands["previous_won_count"],
            "MQLs now": bands["current_mql_count"],
            "Won now": bands["current_won_count"],
            "Share before %": (100 * bands["previous_share_rate"]).round(1),
            "Share now %": (100 * bands["current_share_rate"]).round(1),
            "Won rate before %": (100 * bands["previous_won_rate"]).round(1),
            "Won rate now %": (100 * bands["current_won_rate"]).round(1),
            f"{metrics.label('mix_effect_rate')} (pp)": (100 * bands["mix_effect_rate"]).round(2),
            f"{metrics.label('rate_effect_rate')} (pp)": (100 * bands["rate_effect_rate"]).round(2),
            f"{metrics.label('interaction_effect_rate')} (pp)": (
                100 * bands["interaction_effect_rate"]
            ).round(2),
        }
    )


def grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    """The quality × speed cells for people."""
    return pd.DataFrame(
        {
            "Score band": grid["band"],
            "Follow-up": grid["speed"],
            "MQLs": grid["mql_count"],
            "SQLs": grid["sql_count"],
            "Won": grid["won_count"],
            f"{metrics.label('grid_conversion_rate')}, to SQL (%)": (100 * grid["sql_rate"]).round(1),
            f"{metrics.label('grid_conversion_rate')}, to Won (%)": (100 * grid["won_rate"]).round(1),
            "Thin (< 30)": grid["is_thin"].map({True: "thin", False: ""}),
        }
    )[grid["mql_count"] > 0]


def loss_table(loss: pd.DataFrame) -> pd.DataFrame:
    """The MQL→SQL loss reasons for people."""
    return pd.DataFrame(
        {
            "Reason": loss["label"],
            "Lever": loss["lever"],
            metrics.label("mql_loss_count"): loss["lead_count"],
            "Share of the lost %": (100 * loss["lost_share_rate"]).round(1),
            "Share of all MQLs %": (100 * loss["mql_rate"]).round(1),
        }
    )
