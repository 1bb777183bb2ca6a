"""The Attribution page's tables, sentences and charts, built from the attribution__* queries.

No Streamlit here: the page lays these out; the numbers all come from named queries.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from handoff import metrics, text
from handoff.attribution.models import MODEL_LABELS, MODELS, MULTI_TOUCH_MODELS, THIN_JOURNEYS, UNATTRIBUTED
from handoff.charts import (
    NEUTRAL_COLOR,
    TEAM_COLORS,
    UNATTRIBUTED_COLOR,
    fmt_count,
    fmt_pct,
    fmt_usd,
    team_color,
)
from handoff.labels import fmt_label
from handoff.text import Markdown, md

BASES = {"revenue": "Revenue", "pipeline": "Pipeline"}
# The registry metric of what every model shares out, per basis.
SCOPE_METRICS = {"revenue": "bookings_usd", "pipeline": "pipeline_created_usd"}
BASIS_WORDS = {"revenue": "won revenue", "pipeline": "pipeline created"}
LEVELS = {"channel": "Channel", "campaign": "Campaign", "team": "Team"}
UNITS = {"share": "Share %", "usd": "USD"}
MODEL_SYMBOLS = [
    "circle",
    "square",
    "diamond",
    "cross",
    "x",
    "triangle-up",
    "triangle-down",
    "star",
    "hourglass",
]
TOP_KEYS = 15


def key_labels(options: pd.DataFrame) -> dict[str, str]:
    """Readable names for keys: campaign names from filters__options, the rest from their ids."""
    campaigns = options[options["dimension"] == "campaign"]
    return {**dict(zip(campaigns["value"], campaigns["label"], strict=True)), UNATTRIBUTED: "Unattributed"}


def _label(key: str, labels: dict[str, str]) -> str:
    return labels.get(key, fmt_label(key))


# ---------------------------------------------------------------------------------------------
# Model comparison


def comparison_table(credit: pd.DataFrame, labels: dict[str, str], unit: str = "share") -> pd.DataFrame:
    """One row per (key, team), one column per model (share in % or USD), plus the range of shares."""
    value = "share_rate" if unit == "share" else "credit_usd"
    wide = credit.pivot_table(index=["key", "team"], columns="model", values=value, aggfunc="sum")
    wide = wide.reindex(columns=[m for m in MODELS if m in wide.columns])
    shares = credit.pivot_table(index=["key", "team"], columns="model", values="share_rate", aggfunc="sum")
    scale = 100 if unit == "share" else 1
    # The whole each model shares out, summed before rounding (rounded rows would add to 99.9 %).
    totals = (scale * wide.sum()).round(1 if unit == "share" else 0).to_numpy()
    wide = (scale * wide).round(1 if unit == "share" else 0)
    wide.columns = [f"{MODEL_LABELS[m]} {'%' if unit == 'share' else '$'}" for m in wide.columns]
    wide["Lowest %"] = (100 * shares.min(axis=1)).round(1)
    wide["Highest %"] = (100 * shares.max(axis=1)).round(1)
    wide = wide.reset_index()
    wide["order"] = shares.mean(axis=1).to_numpy() - (wide["key"] == UNATTRIBUTED) * 10
    wide = wide.sort_values("order", ascending=False).drop(columns="order")
    wide.insert(0, "Name", [_label(k, labels) for k in wide["key"]])
    wide = wide.drop(columns="key").rename(columns={"team": "Team"}).reset_index(drop=True)
    # Every model shares out the same whole (100 %, or the bookings): the last row says so.
    models = [c for c in wide.columns if c not in ("Name", "Team", "Lowest %", "Highest %")]
    total = {"Name": "Total", "Team": "", **dict(zip(models, totals, strict=True))}
    return pd.concat([wide, pd.DataFrame([total])], ignore_index=True)


def comparison_metric(unit: str) -> metrics.Metric:
    """The registry metric the comparison table shows: the share of credit, or the credit in USD."""
    return metrics.get("credit_share_rate" if unit == "share" else "credit_usd")


def range_chart(credit: pd.DataFrame, labels: dict[str, str], level: str) -> go.Figure:
    """Each key's share under every model, in its team's colour: a light bar from the lowest to the
    highest of all models, a dark one over the multi-touch models, a marker per model. The largest
    keys only (by mean share)."""
    shares = credit.pivot_table(index=["key", "team"], columns="model", values="share_rate", aggfunc="sum")
    shares = shares.reindex(columns=[m for m in MODELS if m in shares.columns])
    shares = shares.loc[shares.mean(axis=1).sort_values(ascending=False).index[:TOP_KEYS]][::-1]
    names = [
        text.plot(
            f"{_label(k, labels)} ({fmt_label(t)})"
            if level != "team" and k != UNATTRIBUTED
            else _label(k, labels)
        )
        for k, t in shares.index
    ]
    figure = go.Figure()
    multi = shares[[m for m in MULTI_TOUCH_MODELS if m in shares.columns]]
    for layer, opacity in ((shares, 0.2), (multi, 0.6)):  # every model's bounds, then the multi-touch range
        for name, (_, team), low, high in zip(
            names, shares.index, layer.min(axis=1), layer.max(axis=1), strict=True
        ):
            color = UNATTRIBUTED_COLOR if team == UNATTRIBUTED else team_color(team)
            figure.add_trace(
                go.Scatter(
                    x=[100 * low, 100 * high],
                    y=[name, name],
                    mode="lines",
                    showlegend=False,
                    line={"color": color, "width": 14},
                    opacity=opacity,
                    hoverinfo="skip",
                )
            )
    for symbol, model in zip(MODEL_SYMBOLS, shares.columns, strict=False):
        figure.add_trace(
            go.Scatter(
                x=100 * shares[model],
                y=names,
                mode="markers",
                name=MODEL_LABELS[model],
                marker={"symbol": symbol, "size": 9, "color": NEUTRAL_COLOR, "line": {"width": 0}},
                hovertemplate="%{y}<br>" + MODEL_LABELS[model] + ": %{x:.1f} %<extra></extra>",
            )
        )
    figure.update_layout(
        height=120 + 34 * len(names),
        xaxis_title="Share of the total (%)",
        yaxis_title=None,
        legend_title_text="Model",
    )
    return figure


def team_ranges(team_credit: pd.DataFrame) -> pd.DataFrame:
    """Per team (and unattributed): its lowest and highest share across every model (the bounds, which
    the single-touch models usually set) and across the multi-touch models (`multi_`), with which models."""
    shares = team_credit.pivot_table(index="key", columns="model", values="share_rate", aggfunc="sum")
    multi = shares[[m for m in MULTI_TOUCH_MODELS if m in shares.columns]]
    return pd.concat([_range_of(shares, ""), _range_of(multi, "multi_")], axis=1)


def _range_of(shares: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The lowest and highest of each row of `shares` (one column per model) and the models that give them."""
    known = shares.notna().any(axis=1) & bool(len(shares.columns))
    return pd.DataFrame(
        {
            f"{prefix}lowest_rate": shares.min(axis=1),
            f"{prefix}lowest_model": shares[known].idxmin(axis=1).map(MODEL_LABELS),
            f"{prefix}highest_rate": shares.max(axis=1),
            f"{prefix}highest_model": shares[known].idxmax(axis=1).map(MODEL_LABELS),
        },
        index=shares.index,
    )


def robust_claims(team_credit: pd.DataFrame, channel_credit: pd.DataFrame, basis: str) -> list[Markdown]:
    """Sentences that hold under every model: the teams' ranges, who earns more, the channels that
    stay on top, and what no model can place."""
    words = BASIS_WORDS[basis]
    ranges = team_ranges(team_credit)
    return [
        *_team_claims(team_credit, ranges, words),
        *_channel_claims(channel_credit, words),
        *_unattributed_claims(ranges, words),
    ]


def _team_range_claim(team: str, row: pd.Series, words: str) -> Markdown:
    """The range a meeting can quote (every multi-touch model), then the single-touch bounds."""
    if pd.isna(row.multi_lowest_rate):
        return md(
            "**{}** earns **{} – {}** of {} under every model (lowest: {}; highest: {}).",
            team.capitalize(),
            fmt_pct(row.lowest_rate),
            fmt_pct(row.highest_rate),
            words,
            row.lowest_model,
            row.highest_model,
        )
    return md(
        "**{}** earns **{}** of {} under every multi-touch model (lowest: {}; highest: {}); counting "
        "the single-touch models, it ranges from {} ({}) to {} ({}).",
        team.capitalize(),
        share_range(row.multi_lowest_rate, row.multi_highest_rate),
        words,
        row.multi_lowest_model,
        row.multi_highest_model,
        fmt_pct(row.lowest_rate),
        row.lowest_model,
        fmt_pct(row.highest_rate),
        row.highest_model,
    )


def _team_claims(team_credit: pd.DataFrame, ranges: pd.DataFrame, words: str) -> list[Markdown]:
    """Each team's range of shares across the models, then whether one team earns more under all."""
    claims = []
    for team in ("marketing", "sales"):
        if team in ranges.index:
            claims.append(_team_range_claim(team, ranges.loc[team], words))
    shares = team_credit.pivot_table(index="model", columns="key", values="share_rate", aggfunc="sum")
    if {"marketing", "sales"} <= set(shares.columns):
        ahead = shares["marketing"] > shares["sales"]
        if ahead.all() or (~ahead).all():
            leader, other = ("marketing", "sales") if ahead.all() else ("sales", "marketing")
            claims.append(md("{} earns more than {} under every model.", leader.capitalize(), other))
        else:
            claims.append(
                md(
                    "Which team earns more depends on the model: marketing under {}; sales under the others.",
                    ", ".join(MODEL_LABELS[m] for m in ahead[ahead].index),
                )
            )
    return claims


def _channel_claims(channel_credit: pd.DataFrame, words: str) -> list[Markdown]:
    """The channels in the top 3 under every model (said only when there are more than 3), and the
    channel whose lowest share across the models is highest, with that share (said only from 1 %)."""
    claims = []
    by_channel = channel_credit[channel_credit["key"] != UNATTRIBUTED].pivot_table(
        index="key", columns="model", values="share_rate", aggfunc="sum"
    )
    if len(by_channel) > 3:
        top = (by_channel.rank(ascending=False, method="min") <= 3).all(axis=1)
        if top.any():
            names = ", ".join(
                fmt_label(k) for k in by_channel[top].min(axis=1).sort_values(ascending=False).index
            )
            claims.append(md("In the top 3 channels under every model: **{}**.", names))
        else:
            claims.append(md("No channel is in the top 3 under every model."))
    floor = by_channel.min(axis=1).sort_values(ascending=False)
    if len(floor) and floor.iloc[0] >= 0.01:
        claims.append(
            md(
                "Every model gives **{}** at least {} of {}.",
                fmt_label(floor.index[0]),
                fmt_pct(floor.iloc[0]),
                words,
            )
        )
    return claims


def _unattributed_claims(ranges: pd.DataFrame, words: str) -> list[Markdown]:
    """The share of deals with no touch before their conversion point, which no model can place."""
    if UNATTRIBUTED in ranges.index and ranges.loc[UNATTRIBUTED, "highest_rate"] > 0:
        return [
            md(
                "{} of {} comes from deals with no touch before their conversion point: no model can place "
                "it (unattributed).",
                fmt_pct(ranges.loc[UNATTRIBUTED, "highest_rate"]),
                words,
            )
        ]
    return []


def bounds_caption(row: pd.Series) -> str:
    """Under a team's tile: what the range covers, and the single-touch bounds it leaves out."""
    return (
        f"Every multi-touch model; with first and last touch: "
        f"{share_range(row.lowest_rate, row.highest_rate)}."
    )


def share_range(low: float, high: float) -> str:
    """A range of shares as people write it: '0.4–79 %', '21–100 %'."""

    def number(rate: float) -> str:
        return f"{100 * rate:.0f}" if rate >= 0.1 or rate == 0 else f"{100 * rate:.1f}"

    return f"{number(low)}–{number(high)} %"


def thin_warning(totals: pd.Series) -> str | None:
    """The warning for Markov and Shapley on too few converting journeys, or None."""
    count = int(totals["attributed_deal_count"])
    if count >= THIN_JOURNEYS:
        return None
    return (
        f"Markov and Shapley rest on only {fmt_count(count)} converting journeys (fewer than {THIN_JOURNEYS}): "
        "they learn from the journeys themselves, so read them as rough. Widen the period or filters."
    )


# ---------------------------------------------------------------------------------------------
# Receipt


def deal_label(row) -> str:
    """How a deal reads in the picker: id · amount · date · touches."""
    touches = "no touches" if row.touch_count == 0 else f"{row.touch_count} touches"
    return (
        f"{row.deal_id} · {fmt_usd(row.amount_usd)} · {pd.Timestamp(row.converted_at):%d %b %Y} · {touches}"
    )


def receipt_table(receipt: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The receipt for people: when, what, team, role, then the credit under every model (full model
    names), and a Total row: under every model the deal's touches add up to the deal."""
    when = pd.to_datetime(receipt["touched_at"])
    table = pd.DataFrame(
        {
            "#": receipt["touch_number"].map(lambda n: "–" if pd.isna(n) else f"{int(n)}"),
            "When": [
                ("–" if pd.isna(t) else f"{t:%d %b %Y} · −{h / 24:.0f} d")
                for t, h in zip(when, receipt["hours_before_conversion"], strict=True)
            ],
            "Touch": [
                ("–" if pd.isna(c) else f"{fmt_label(c)} · {fmt_label(k).lower()}")
                for c, k in zip(receipt["channel"], receipt["kind"], strict=True)
            ],
            "Team": receipt["team"].map(lambda t: "–" if pd.isna(t) else fmt_label(t)),
            "Role": receipt["role"].map(lambda r: "–" if pd.isna(r) else fmt_label(r)),
        }
    )
    for model in MODELS:
        table[MODEL_LABELS[model]] = [fmt_usd(v) for v in receipt[f"{model}_usd"]]
    table["Campaign"] = [("–" if pd.isna(c) else labels.get(c, c)) for c in receipt["campaign_id"]]
    total = {"#": "", "When": "", "Touch": "Total", "Team": "", "Role": "", "Campaign": ""}
    total |= {MODEL_LABELS[m]: fmt_usd(receipt[f"{m}_usd"].sum()) for m in MODELS}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def receipt_chart(receipt: pd.DataFrame) -> go.Figure:
    """How the deal splits between the teams under every model: one stacked bar per model."""
    by_team = pd.DataFrame(
        {
            model: receipt.groupby(receipt["team"].fillna(UNATTRIBUTED))[f"{model}_usd"].sum()
            for model in MODELS
        }
    ).T
    total = by_team.sum(axis=1).replace(0, 1)
    figure = go.Figure()
    for team in [t for t in ("marketing", "sales", UNATTRIBUTED) if t in by_team.columns]:
        share = by_team[team] / total
        figure.add_trace(
            go.Bar(
                y=[MODEL_LABELS[m] for m in by_team.index],
                x=100 * share,
                orientation="h",
                name=fmt_label(team),
                marker_color=UNATTRIBUTED_COLOR if team == UNATTRIBUTED else TEAM_COLORS[team],
                text=[
                    f"{fmt_pct(v, 0)} · {fmt_usd(u)}" if v >= 0.08 else ""
                    for v, u in zip(share, by_team[team], strict=True)
                ],
                textposition="inside",
                hovertemplate="%{y}: %{x:.1f} %<extra>" + fmt_label(team) + "</extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        height=330,
        xaxis_title="Share of this deal (%)",
        yaxis={"autorange": "reversed"},
        legend={"traceorder": "normal"},
    )
    return figure


# ---------------------------------------------------------------------------------------------
# Sourced vs influenced


def sourced_chart(frame: pd.DataFrame, basis: str) -> go.Figure:
    """Sourced (marketing + sales = total, stacked) and marketing-influenced shown apart."""
    rows = frame.set_index("measure")
    figure = go.Figure()
    for measure, team, name in (
        ("marketing_sourced", "marketing", "Marketing-sourced"),
        ("sales_sourced", "sales", "Sales-sourced"),
    ):
        amount = rows.loc[measure, "amount_usd"]
        figure.add_trace(
            go.Bar(
                y=["Sourced (adds up to the total)"],
                x=[amount],
                orientation="h",
                name=name,
                marker_color=TEAM_COLORS[team],
                text=f"{name}: {fmt_usd(amount)} ({fmt_pct(rows.loc[measure, 'share_rate'])})",
                textposition="inside",
                insidetextanchor="middle",
            )
        )
    influenced = rows.loc["marketing_influenced"]
    figure.add_trace(
        go.Bar(
            y=["Marketing-influenced (overlaps both)"],
            x=[influenced["amount_usd"]],
            orientation="h",
            name="Marketing-influenced",
            marker={"color": TEAM_COLORS["marketing"], "opacity": 0.45, "pattern": {"shape": "/"}},
            text=f"{fmt_usd(influenced['amount_usd'])} ({fmt_pct(influenced['share_rate'])} of the total)",
            textposition="inside",
            insidetextanchor="middle",
        )
    )
    figure.update_layout(
        barmode="stack",
        height=230,
        xaxis_title=f"{BASIS_WORDS[basis].capitalize()} (USD)",
        yaxis={"autorange": "reversed"},
        showlegend=False,
    )
    return figure


def sourced_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The sourced/influenced rows for people."""
    return pd.DataFrame(
        {
            "Measure": frame["measure"].map(fmt_label),
            "Team": frame["team"].map(lambda t: "Both" if pd.isna(t) else fmt_label(t)),
            "Deals": frame["deal_count"],
            f"{metrics.label('sourced_pipeline_usd')} (USD)": frame["amount_usd"].round(2),
            "Share of the total (%)": (100 * frame["share_rate"]).round(1),
        }
    )
