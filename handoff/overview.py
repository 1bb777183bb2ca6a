"""The leadership overview: KPI definitions, targets for a window, quarter gaps, coverage and
"what changed". Pure pandas over the frames the named queries return; no Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from handoff import funnel, metrics, note_marks
from handoff.charts import HANDOFF_COLOR, NEUTRAL_COLOR, TEAM_COLORS, fmt_count, fmt_pct, fmt_usd
from handoff.filters import add_months, quarter_start
from handoff.labels import fmt_label
from handoff.workspace import Note


@dataclass(frozen=True)
class Kpi:
    """One tile: the registry metric it shows, where its value comes from and its target."""

    key: str
    metric_id: str  # in handoff/metrics.toml: label, definition, unit, owner
    column: str  # in overview__kpis, or a computed key (sla_marketing, sla_sales)
    target: tuple[str, str] | None = None  # (team, metric) in targets

    @property
    def metric(self) -> metrics.Metric:
        return metrics.get(self.metric_id)

    @property
    def label(self) -> str:
        return self.metric.full_label

    @property
    def help(self) -> str:
        return self.metric.help

    @property
    def unit(self) -> str:
        return self.metric.unit

    @property
    def owner_team(self) -> str | None:
        return None if self.metric.owner_team == "shared" else self.metric.owner_team

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better


KPIS = (
    Kpi("mqls", "mql_count", "mql_count", ("marketing", "mqls")),
    Kpi("sals", "sal_count", "sal_count", ("sales", "sals")),
    Kpi("sqls", "sql_count", "sql_count", ("sales", "sqls")),
    Kpi("pipeline", "pipeline_created_usd", "pipeline_created_usd", ("sales", "pipeline")),
    Kpi("bookings", "bookings_usd", "bookings_usd", ("sales", "bookings")),
    Kpi("win_rate", "win_rate", "win_rate"),
    Kpi("speed_to_lead", "median_speed_to_lead_hours", "median_speed_to_lead_hours"),
    Kpi("sla_sales", "sla_sales_compliance_rate", "sla_sales"),
    Kpi("sla_marketing", "sla_marketing_compliance_rate", "sla_marketing"),
    Kpi("marketing_sourced_share", "marketing_sourced_share_rate", "marketing_sourced_share_rate"),
    Kpi("cac", "cac_usd", "cac_usd"),
)


def fmt_value(value, unit: str) -> str:
    """A KPI value in its unit, for people."""
    return metrics.format_value(value, unit)


def _days(start: dt.date, end: dt.date) -> int:
    return max(0, (end - start).days)


def window_target(
    targets_by_month: pd.DataFrame, team: str, metric: str, start: dt.date | None, end: dt.date | None
) -> float | None:
    """The target for a window: each month's target times the share of its days in the window.

    None when the window is open-ended or no month of it has a target.
    """
    if start is None or end is None or targets_by_month.empty:
        return None
    rows = targets_by_month[(targets_by_month["team"] == team) & (targets_by_month["metric"] == metric)]
    total, covered = 0.0, False
    for month, value in zip(pd.to_datetime(rows["month_start"]).dt.date, rows["target_value"], strict=True):
        next_month = add_months(month, 1)
        overlap = _days(max(month, start), min(next_month, end))
        if overlap:
            covered = True
            total += float(value) * overlap / _days(month, next_month)
    return total if covered else None


@dataclass(frozen=True)
class Tile:
    """A KPI ready to show: value, change against the previous period, target attainment."""

    kpi: Kpi
    value: float | None
    previous: float | None
    target: float | None

    @property
    def value_text(self) -> str:
        return fmt_value(self.value, self.kpi.unit)

    @property
    def delta_text(self) -> str | None:
        """The change against the previous period: points for rates, percent for the rest."""
        if _missing(self.value) or _missing(self.previous):
            return None
        if self.kpi.unit == "rate":
            return f"{100 * (self.value - self.previous):+.1f} pp vs previous period"
        if self.previous == 0:
            return None
        return f"{100 * (self.value - self.previous) / abs(self.previous):+.1f} % vs previous period"

    @property
    def target_text(self) -> str:
        if self.kpi.target is None:
            return ""
        if _missing(self.target) or not self.target:
            return "no target for these filters"
        if _missing(self.value):
            return f"target {fmt_value(self.target, self.kpi.unit)}"
        return f"{fmt_pct(self.value / self.target, 0)} of target {fmt_value(self.target, self.kpi.unit)}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _value(row: pd.Series | dict, column: str):
    value = row.get(column) if row is not None else None
    return None if value is None or pd.isna(value) else float(value)


def tiles(
    current: dict, previous: dict, targets_by_month: pd.DataFrame, start: dt.date | None, end: dt.date | None
) -> list[Tile]:
    """Every KPI tile from this period's and the previous period's values (dicts keyed by column)."""
    out = []
    for kpi in KPIS:
        target = window_target(targets_by_month, *kpi.target, start, end) if kpi.target else None
        out.append(Tile(kpi, _value(current, kpi.column), _value(previous, kpi.column), target))
    return out


def sla_by_team(compliance: pd.DataFrame) -> dict[str, float | None]:
    """Met ÷ (met + breached) per owner team from sla__compliance rows ('sla_marketing', 'sla_sales')."""
    out: dict[str, float | None] = {"sla_marketing": None, "sla_sales": None}
    if compliance.empty:
        return out
    sums = compliance.groupby("owner_team")[["met_count", "breached_count"]].sum()
    for team, row in sums.iterrows():
        judged = row["met_count"] + row["breached_count"]
        out[f"sla_{team}"] = float(row["met_count"] / judged) if judged else None
    return out


# What one item of each team's policies is: an MQL for sales' promises, a month (× segment) for marketing's.
SLA_ITEM_WORDS = {"sales": "MQL checks", "marketing": "month × segment checks"}


def sla_counted_text(compliance: pd.DataFrame, team: str) -> str:
    """What a team's SLA tile counts, so a rate reads with its base: '15 month × segment checks, 7 met'."""
    rows = compliance[compliance["owner_team"] == team]
    met, breached, pending = (int(rows[c].sum()) for c in ("met_count", "breached_count", "pending_count"))
    text = f"{fmt_count(met + breached)} {SLA_ITEM_WORDS[team]} judged, {fmt_count(met)} met"
    return text + (f" ({fmt_count(pending)} pending)" if pending else "")


def cac_parts_text(kpis: dict) -> str:
    """What the CAC divides, in the registry's words: the campaign cost and the won deals of the period."""
    return (
        f"{metrics.label('campaign_cost_usd')} {fmt_usd(kpis['campaign_cost_usd'])} ÷ "
        f"{metrics.label('won_deal_count')} {fmt_count(kpis['won_count'])}"
    )


# ---------------------------------------------------------------------------------------------
# Quarter against target


def quarter_against_target(
    money_by_month: pd.DataFrame, targets_by_month: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """Per month: pipeline and bookings against their sales targets (NaN where there is none)."""
    frame = money_by_month.copy()
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    for metric, column in (("pipeline", "pipeline_target_usd"), ("bookings", "bookings_target_usd")):
        rows = targets_by_month[
            (targets_by_month["team"] == "sales") & (targets_by_month["metric"] == metric)
        ]
        lookup = dict(zip(pd.to_datetime(rows["month_start"]), rows["target_value"], strict=True))
        frame[column] = frame["month_start"].map(lookup).astype(float)
    # Months after the data's last day have no actuals yet.
    future = frame["month_start"].dt.date > as_of
    frame.loc[future, ["pipeline_created_usd", "bookings_usd"]] = float("nan")
    return frame


def quarter_name(start: dt.date | pd.Timestamp) -> str:
    """A quarter for people: 'Q3 2026 (Jul–Sep)'."""
    start = pd.Timestamp(start)
    last = start + pd.DateOffset(months=2)
    return f"Q{(start.month - 1) // 3 + 1} {start.year} ({start:%b}–{last:%b})"


def quarter_gaps(quarter_months: pd.DataFrame, as_of: dt.date) -> list[dict]:
    """Per quarter the money chart shows: its name, and per metric the target, the actual (so far, for
    the quarter holding `as_of`) and the gap, so the caption states exactly what the chart draws."""
    out = []
    for start, months in quarter_months.groupby(
        quarter_months["month_start"].dt.to_period("Q").dt.start_time
    ):
        if start.date() > as_of:
            continue
        row: dict = {"quarter": quarter_name(start), "is_current": quarter_start(as_of) == start.date()}
        for metric, actual, target in (
            ("pipeline", "pipeline_created_usd", "pipeline_target_usd"),
            ("bookings", "bookings_usd", "bookings_target_usd"),
        ):
            goal = months[target].sum(min_count=1)
            done = months[actual].sum(min_count=0)
            row[f"{metric}_target_usd"] = None if pd.isna(goal) else float(goal)
            row[f"{metric}_actual_usd"] = float(done)
            row[f"{metric}_gap_usd"] = None if pd.isna(goal) else float(goal - done)
        out.append(row)
    return out


def quarter_gap_sentence(gap: dict) -> str:
    """One quarter of the money chart in words: bookings and pipeline against their targets."""
    so_far = " so far" if gap["is_current"] else ""
    if gap["bookings_target_usd"] is None and gap["pipeline_target_usd"] is None:
        return (
            f"{gap['quarter']}{so_far}: bookings {fmt_usd(gap['bookings_actual_usd'])}, pipeline created "
            f"{fmt_usd(gap['pipeline_actual_usd'])}; no sales targets apply to these filters."
        )

    def against(metric: str, words: str) -> str:
        actual, target, gap_usd = (gap[f"{metric}_{key}_usd"] for key in ("actual", "target", "gap"))
        if target is None:
            return f"{words} {fmt_usd(actual)} (no target)"
        left = f"{fmt_usd(gap_usd)} to go" if gap_usd > 0 else f"{fmt_usd(-gap_usd)} over"
        return f"{words} {fmt_usd(actual)} of {fmt_usd(target)} ({left})"

    return f"{gap['quarter']}{so_far}: {against('bookings', 'bookings')}; {against('pipeline', 'pipeline created')}."


# ---------------------------------------------------------------------------------------------
# Pipeline coverage


def pipeline_coverage(coverage: pd.DataFrame, segment_targets: pd.DataFrame) -> pd.DataFrame:
    """Per segment and in total: open pipeline against the rest of this quarter's bookings target.

    `coverage` is overview__pipeline_coverage; `segment_targets` is overview__targets_by_month with
    by_segment. The coverage a segment needs is 1 ÷ its own trailing win rate (a segment that wins
    a third of its deals needs 3× its remaining target in open pipeline); the total needs the sum
    of each segment's remaining target ÷ its win rate, over the total remaining target.
    """
    columns = [
        *coverage.columns,
        "quarter_target_usd",
        "remaining_target_usd",
        "coverage_ratio",
        "needed_ratio",
        "status",
    ]
    if coverage.empty:
        return pd.DataFrame(columns=columns)
    quarter = pd.Timestamp(coverage["quarter_start"].iloc[0])
    rows = segment_targets[
        (segment_targets["team"] == "sales")
        & (segment_targets["metric"] == "bookings")
        & (pd.to_datetime(segment_targets["month_start"]) >= quarter)
        & (pd.to_datetime(segment_targets["month_start"]) < quarter + pd.DateOffset(months=3))
    ]
    frame = coverage.copy()
    frame["quarter_target_usd"] = frame["segment"].map(rows.groupby("segment")["target_value"].sum())
    frame["remaining_target_usd"] = (frame["quarter_target_usd"] - frame["quarter_bookings_usd"]).clip(
        lower=0
    )
    frame["coverage_ratio"] = frame["open_pipeline_usd"] / frame["remaining_target_usd"].where(
        frame["remaining_target_usd"] > 0
    )
    frame["needed_ratio"] = 1 / frame["trailing_win_rate"].where(frame["trailing_win_rate"] > 0)
    total = _coverage_total(frame, quarter)
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["status"] = [
        _coverage_status(*row)
        for row in zip(
            frame["coverage_ratio"], frame["needed_ratio"], frame["remaining_target_usd"], strict=True
        )
    ]
    return frame[columns]


def _coverage_total(frame: pd.DataFrame, quarter: pd.Timestamp) -> dict:
    """The total row: the segments' counts and money summed, the win rate over all their deals, and
    the coverage needed weighted by each segment's remaining target (NaN when nothing remains)."""
    won, lost = frame["trailing_won_count"].sum(), frame["trailing_lost_count"].sum()
    remaining = frame["remaining_target_usd"].sum(min_count=1)
    has_remaining = not pd.isna(remaining) and remaining > 0
    return {
        "segment": "total",
        "quarter_start": quarter,
        "open_pipeline_usd": frame["open_pipeline_usd"].sum(),
        "open_deal_count": frame["open_deal_count"].sum(),
        "quarter_bookings_usd": frame["quarter_bookings_usd"].sum(),
        "trailing_won_count": won,
        "trailing_lost_count": lost,
        "trailing_win_rate": won / (won + lost) if won + lost else float("nan"),
        "quarter_target_usd": frame["quarter_target_usd"].sum(min_count=1),
        "remaining_target_usd": remaining,
        "coverage_ratio": frame["open_pipeline_usd"].sum() / remaining if has_remaining else float("nan"),
        "needed_ratio": (frame["remaining_target_usd"] * frame["needed_ratio"]).sum(min_count=1) / remaining
        if has_remaining
        else float("nan"),
    }


def _coverage_status(have: float, need: float, remaining: float) -> str:
    if pd.isna(remaining):
        return "no target"
    if remaining == 0:
        return "target met"
    if pd.isna(need):
        return "no win history"
    return "covered" if have >= need else "short"


# ---------------------------------------------------------------------------------------------
# What changed


@dataclass(frozen=True)
class Movement:
    """A number that moved between the previous period and this one, with what it rests on."""

    kind: str  # conversion | volume | sla
    subject: str  # e.g. "MQL → SAL conversion", "Paid search leads", "Follow-up SLA"
    before: float
    after: float
    before_base: float  # records the value rests on (leads, items judged)
    after_base: float
    owner_team: str | None = None

    @property
    def strength(self) -> float:
        """How surprising the move is: a z-score, so rates on few records and noisy counts rank lower."""
        if self.kind == "volume":
            spread = math.sqrt(self.before + self.after)
            return abs(self.after - self.before) / spread if spread else 0.0
        if not self.before_base or not self.after_base:
            return 0.0
        pooled = (self.before * self.before_base + self.after * self.after_base) / (
            self.before_base + self.after_base
        )
        spread = math.sqrt(pooled * (1 - pooled) * (1 / self.before_base + 1 / self.after_base))
        return abs(self.after - self.before) / spread if spread else 0.0

    def sentence(self) -> str:
        """The move in plain words."""
        direction = "rose" if self.after > self.before else "fell"
        if self.kind == "volume":
            change = (self.after - self.before) / self.before if self.before else float("inf")
            return f"{self.subject} {direction} from {fmt_count(self.before)} to {fmt_count(self.after)}" + (
                f" ({100 * change:+.0f} %)." if math.isfinite(change) else "."
            )
        points = 100 * (self.after - self.before)
        return (
            f"{self.subject} {direction} from {fmt_pct(self.before)} to {fmt_pct(self.after)} "
            f"({points:+.1f} pp, on {fmt_count(self.after_base)} records)."
        )


def what_changed(
    run, filters, compliance_now: pd.DataFrame, compliance_before: pd.DataFrame
) -> list[Movement]:
    """The Overview's "what changed": the most significant moves between the previous period and this one,
    from period funnels (a young cohort would look like a drop), leads by channel and SLA compliance.
    `run(name, filters, **params)` runs a named query; the page and the meeting pack pass their own."""
    before = filters.previous()
    by_channel = {
        window: run("funnel__stage_counts", window, mode="period", group_by="channel")
        for window in (filters, before)
    }
    return biggest_movements(
        funnel_movements(
            run("funnel__stage_counts", filters, mode="period"),
            run("funnel__stage_counts", before, mode="period"),
        )
        + volume_movements(
            by_channel[filters].query("stage_order == 1"),
            by_channel[before].query("stage_order == 1"),
            "reached_count",
            metrics.label("lead_count").lower(),
        )
        + sla_movements(compliance_now, compliance_before)
    )


def biggest_movements(movements: Iterable[Movement], count: int = 3) -> list[Movement]:
    """The `count` most significant movements, at most one per kind first, then the strongest."""
    ranked = sorted((m for m in movements if m.strength > 0), key=lambda m: m.strength, reverse=True)
    picked: list[Movement] = []
    for kind in ("conversion", "volume", "sla"):
        best = next((m for m in ranked if m.kind == kind), None)
        if best is not None:
            picked.append(best)
    for movement in ranked:
        if len(picked) >= count:
            break
        if movement not in picked:
            picked.append(movement)
    return sorted(picked[:count], key=lambda m: m.strength, reverse=True)


# The registry metric of each step's conversion in the period (what-changed compares period funnels).
STEP_METRICS = (
    "lead_to_mql_rate",
    "mql_to_sal_rate",
    "sal_to_sql_rate",
    "sql_to_opportunity_rate",
    "opportunity_to_won_rate",
)


def funnel_movements(current: pd.DataFrame, previous: pd.DataFrame) -> list[Movement]:
    """Stage-to-stage conversion moves from two funnel__stage_counts results: each step's own rate
    (DESIGN.md's, from_previous_rate) on the records it rests on (funnel.step_bases)."""
    if current.empty or previous.empty:
        return []
    now = current.sort_values("stage_order").reset_index(drop=True)
    before = previous.sort_values("stage_order").reset_index(drop=True)
    bases_now, bases_before = funnel.step_bases(now), funnel.step_bases(before)
    out = []
    for k in range(1, len(now)):
        rate_now, rate_before = now.loc[k, "from_previous_rate"], before.loc[k, "from_previous_rate"]
        if pd.isna(rate_now) or pd.isna(rate_before) or not bases_now[k] or not bases_before[k]:
            continue
        out.append(
            Movement(
                "conversion",
                metrics.label(STEP_METRICS[k - 1]),
                float(rate_before),
                float(rate_now),
                float(bases_before[k]),
                float(bases_now[k]),
                now.loc[k, "owner_team"],
            )
        )
    return out


def volume_movements(
    current: pd.DataFrame, previous: pd.DataFrame, column: str, label: str
) -> list[Movement]:
    """Count moves per group (e.g. leads per channel): frames with `group_value` and `column`."""
    merged = (
        current[["group_value", column]]
        .merge(previous[["group_value", column]], on="group_value", how="outer", suffixes=("_now", "_before"))
        .fillna(0)
    )
    return [
        Movement(
            "volume",
            f"{fmt_label(row.group_value)}: {label}",
            float(getattr(row, f"{column}_before")),
            float(getattr(row, f"{column}_now")),
            float(getattr(row, f"{column}_before")),
            float(getattr(row, f"{column}_now")),
        )
        for row in merged.itertuples()
    ]


def sla_movements(current: pd.DataFrame, previous: pd.DataFrame) -> list[Movement]:
    """Compliance moves per policy from two sla__compliance results."""

    def by_policy(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.groupby(["policy_id", "policy_name", "owner_team"], as_index=False)[
            ["met_count", "breached_count"]
        ].sum()

    if current.empty or previous.empty:
        return []
    merged = by_policy(current).merge(
        by_policy(previous), on=["policy_id", "policy_name", "owner_team"], suffixes=("_now", "_before")
    )
    out = []
    for row in merged.itertuples():
        judged_now = row.met_count_now + row.breached_count_now
        judged_before = row.met_count_before + row.breached_count_before
        if judged_now and judged_before:
            out.append(
                Movement(
                    "sla",
                    f"{row.policy_name}: {metrics.label('policy_compliance_rate').lower()}",
                    row.met_count_before / judged_before,
                    row.met_count_now / judged_now,
                    float(judged_before),
                    float(judged_now),
                    row.owner_team,
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Figures


# What the money chart shows, for the notes on it.
MONEY_SUBJECTS = note_marks.about(metrics=("pipeline_created_usd", "bookings_usd"))


def money_vs_target_figure(quarter_months: pd.DataFrame, notes: Sequence[Note] = ()):
    """Pipeline and bookings per month as bars, each month's target as a labelled marker over its bar
    (the two targets in two colours, so neither is taken for the other); the notes on pipeline or
    bookings of those months as dotted lines at their bars."""
    import plotly.graph_objects as go

    figure = go.Figure()
    months = quarter_months["month_start"].dt.strftime("%b %Y")
    for column, target, name, opacity, target_color in (
        ("pipeline_created_usd", "pipeline_target_usd", "Pipeline created", 0.45, NEUTRAL_COLOR),
        ("bookings_usd", "bookings_target_usd", "Bookings", 1.0, HANDOFF_COLOR),
    ):
        figure.add_bar(
            x=months,
            y=quarter_months[column],
            name=name,
            marker_color=TEAM_COLORS["sales"],
            opacity=opacity,
            offsetgroup=name,
            hovertemplate="%{x}: $%{y:,.0f}<extra>" + name + "</extra>",
        )
        figure.add_scatter(
            x=months,
            y=quarter_months[target],
            name=f"{name} target",
            mode="markers+text",
            offsetgroup=name,
            text=[f"target {fmt_usd(v)}" if pd.notna(v) else "" for v in quarter_months[target]],
            textposition="top center",
            textfont={"size": 10, "color": target_color},
            cliponaxis=False,  # a target above the highest bar keeps its label
            marker={"symbol": "line-ew-open", "size": 34, "color": target_color, "line": {"width": 3}},
            hovertemplate="%{x}: target $%{y:,.0f}<extra>" + name + "</extra>",
        )
    figure.update_layout(
        barmode="group",
        height=360,
        yaxis={"title": "USD", "tickformat": "$.2~s", "rangemode": "tozero"},
        scattermode="group",
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        margin={"t": 40, "b": 10},
    )
    return note_marks.mark(figure, notes, MONEY_SUBJECTS)
