"""What the SLA page shows, without Streamlit: headings, badges, tables for people and charts.

The numbers come from the `sla__*` queries of `handoff.sla`; this module only names, formats and
draws them, so the page stays layout.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from urllib.parse import quote

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from handoff import metrics, note_marks, text
from handoff.charts import NEUTRAL_COLOR, TEAM_COLORS
from handoff.filters import Filters, add_months
from handoff.labels import fmt_label
from handoff.sla.policies import Policies, Policy, answered_before_opening, hours_text
from handoff.workspace import Note

TEAM_HEADINGS = {
    "sales": ("Sales → marketing", "What sales promises to do with every MQL"),
    "marketing": ("Marketing → sales", "What marketing promises to deliver each month"),
}
# Each status as a badge: (label, Streamlit badge colour).
STATUS_BADGES = {
    "green": ("On track", "green"),
    "amber": ("At risk", "orange"),
    "red": ("Off track", "red"),
    "no data": ("Nothing judged yet", "gray"),
}
# Result columns and the names people read; a rate's name gets " (%)" (its values are 0–100).
COLUMN_NAMES = {
    "policy_name": "Policy",
    "owner_team": "Owner team",
    "owner_name": "Owner",
    "region": "Region",
    "group_label": "Source",
    "item": "Item",
    "segment": "Segment",
    "period_start": "Month",
    "lead_id": "Lead",
    "lead_name": "Name",
    "company_name": "Company",
    "score": "Score",
    "channel": "Channel",
    "mql_at": "MQL at (UTC)",
    "started_at": "Started (UTC)",
    "due_at": "Due (UTC)",
    "resolved_at": "Resolved (UTC)",
    "missed_by_text": "Missed by",
    "missed_by": "Missed by (number)",
    "missed_by_unit": "Unit",
    "hours_left": "Hours left",
    "business_hours_left": "Business hours left",
    "threshold_hours": "SLA (hours)",
    "clock": "Clock",
    # The numbers: the registry's labels (basis included).
    "due_count": metrics.label("policy_due_count"),
    "met_count": metrics.label("policy_met_count"),
    "breached_count": metrics.label("policy_breached_count"),
    "pending_count": metrics.label("policy_pending_count"),
    "compliance_rate": metrics.label("policy_compliance_rate"),
    "median_hours": metrics.label("resolution_median_hours"),
    "status": "Status",
    "mql_count": metrics.label("window_mql_count"),
    "mql_share_rate": metrics.label("mql_share_rate"),
    "accepted_count": "Accepted",
    "rejected_count": "Rejected",
    "acceptance_rate": metrics.label("acceptance_rate"),
    "band": "First response",
    "share_rate": metrics.label("mql_share_rate"),
    "sql_count": "Reached SQL",
    "mql_to_sql_rate": metrics.label("band_mql_to_sql_rate"),
    "won_count": "Won",
    "mql_to_won_rate": metrics.label("band_mql_to_won_rate"),
    "compliance_rate_agreed": f"{metrics.label('policy_compliance_rate')}, as agreed",
    "compliance_rate_what_if": f"{metrics.label('policy_compliance_rate')}, with the what-if",
    "change_points": "Change (points)",
    "rule_text_what_if": "What-if rule",
}
RATE_COLUMNS = tuple(f"{name} (%)" for column, name in COLUMN_NAMES.items() if "_rate" in column)
CLOCK_NAMES = {"business": "business hours", "wall": "clock hours"}


# What one item of a policy is, by kind: an MQL for per-MQL promises, a month (× segment) for monthly ones.
_ITEM_WORDS = {"follow_up": "MQLs judged", "acceptance_decision": "MQLs judged"}
BEFORE_OPENING_NOTE = (
    "0 business hours: most of these MQLs arrived out of hours and were answered before "
    "the business day began."
)


def counted_text(row, policies: Policies, gate=None) -> str:
    """What a scorecard card counts, next to its headline: '15 month × segment checks, 7 met'; for a
    policy the data cannot support, what it could not judge ('15 MQLs, none judged')."""
    if gate is not None and gate.status == "missing":
        due = row.met_count + row.breached_count + row.pending_count
        return f"{due:,} {'MQLs' if row.kind in _ITEM_WORDS else 'checks'}, none judged"
    if row.kind in _ITEM_WORDS:
        items = _ITEM_WORDS[row.kind]
    else:
        policy = next(p for p in policies.policies if p.id == row.policy_id)
        segmented = row.kind in ("volume", "pipeline") and policy.per_segment
        items = "month × segment checks" if segmented else "monthly checks"
    return f"{row.met_count + row.breached_count:,} {items}, {row.met_count:,} met"


_POLICY_NEEDS = {
    "follow_up": ("sales_touches_recorded",),
    "acceptance_decision": ("mql_decisions_recorded",),
    "quality": ("mql_decisions_recorded",),  # judged only on decided MQLs; the gate says why none are
}


def policy_needs(kind: str) -> tuple[str, ...]:
    """The data-readiness rules a policy's compliance rests on: a follow-up needs logged sales touches,
    an acceptance decision or the quality of MQLs sales' recorded decisions."""
    return _POLICY_NEEDS.get(kind, ())


def status_badge(status: str, gate) -> tuple[str, str]:
    """The scorecard badge: the colour rule's verdict, or that the data cannot support one."""
    if gate is not None and gate.status == "missing":
        return "Can't be judged", "gray"
    return STATUS_BADGES[status]


def response_metrics(timing) -> list[tuple[str, float]]:
    """The registry metrics of the speed tab's two tiles on the clock asked for: median and 90th percentile."""
    clock = "business_hours" if timing.clock == "business" else "hours"
    return [
        (f"median_speed_to_lead_{clock}", timing.median_response_hours),
        (f"p90_speed_to_lead_{clock}", timing.p90_response_hours),
    ]


def response_tile_text(hours: float, clock: str) -> str:
    """A response time for a tile: 'before opening' instead of a bare '0 business min'."""
    return "before opening" if answered_before_opening(hours, clock) else hours_text(hours, clock)


def trend_filters(filters: Filters) -> Filters:
    """The window of the monthly trend: the twelve months up to the end of the chosen window."""
    if filters.end is None:
        return filters
    last_month = (filters.end - dt.timedelta(days=1)).replace(day=1)
    return filters.with_window(add_months(last_month, -11), filters.end)


def kpi_help(row, amber_points: float) -> str:
    """How a scorecard tile is computed: the registry's definition, then this policy's rule and counts."""
    return (
        f"{metrics.help_text('policy_compliance_rate')} This policy: {row.rule_text}; compliance = met / "
        f"(met + breached) = {row.met_count:,} met, {row.breached_count:,} breached; {row.pending_count:,} "
        f"pending. Goal {row.goal_rate:.0%}: green at or above, amber up to {amber_points:g} points below, "
        "red further below. The change is against the previous period of the same length; the line is the "
        "monthly trend."
    )


def delta_points(current: float, previous: float) -> str | None:
    """The change between two rates in percentage points ('+4.2 pts'), or None if either is missing."""
    if pd.isna(current) or pd.isna(previous):
        return None
    return f"{100 * (current - previous):+.1f} pts"


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A result with its columns named for people, rates in %, times to the minute (ids dropped)."""
    out = frame[[column for column in frame.columns if column in COLUMN_NAMES]].copy()
    for column in out.columns:
        if "_rate" in column:
            out[column] = (100 * out[column].astype(float)).round(1)
        elif column in ("median_hours", "hours_left", "business_hours_left", "missed_by"):
            out[column] = out[column].astype(float).round(2)
        elif column == "period_start":
            out[column] = _month_texts(out[column])
        elif column.endswith("_at"):
            out[column] = _minute_texts(out[column])
        elif column == "status":
            out[column] = out[column].map(lambda status: STATUS_BADGES.get(status, (status,))[0])
        elif column == "clock":
            out[column] = out[column].map(CLOCK_NAMES)
        elif column in ("owner_team", "group_label", "channel", "segment"):
            out[column] = out[column].map(lambda code: "–" if pd.isna(code) else fmt_label(code))
    out = out[_headline_first(list(out.columns))]
    names = {column: COLUMN_NAMES[column] + (" (%)" if "_rate" in column else "") for column in out.columns}
    return out.rename(columns=names)


# What a row is about; the compliance that judges it comes right after, before the counts behind it,
# so it is in sight at 1440 px without scrolling.
_ROW_NAMES = ("policy_name", "owner_team", "owner_name", "region", "group_label", "segment", "period_start")
_HEADLINES = ("compliance_rate", "status", "acceptance_rate")


def _headline_first(columns: list[str]) -> list[str]:
    headlines = [c for c in _HEADLINES if c in columns]
    if not headlines:
        return columns
    names = [c for c in columns if c in _ROW_NAMES]
    return names + headlines + [c for c in columns if c not in names and c not in headlines]


def _month_texts(values: pd.Series) -> pd.Series:
    """'Mar 2026' for each timestamp (missing stays missing): strftime once per distinct month."""
    stamps = pd.to_datetime(values)
    if stamps.empty:
        return stamps.dt.strftime("%b %Y")
    codes, months = pd.factorize(stamps)
    texts = np.append(pd.DatetimeIndex(months).strftime("%b %Y").to_numpy(dtype=object), np.nan)
    return pd.Series(pd.array(texts[codes], dtype="str"), index=values.index, name=values.name)


def _minute_texts(values: pd.Series) -> pd.Series:
    """'2026-03-20 14:05' for each timestamp (missing stays missing), as strftime("%Y-%m-%d %H:%M")
    writes it: numpy's ISO text to the minute with a space for the T, not one strftime per row."""
    if values.empty:
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d %H:%M")
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[us]")
    texts = np.char.replace(np.datetime_as_string(stamps.astype("datetime64[m]"), unit="m"), "T", " ")
    texts = np.where(np.isnat(stamps), np.nan, texts.astype(object))
    return pd.Series(pd.array(texts, dtype="str"), index=values.index, name=values.name)


def trend_values(trend: pd.DataFrame, policy_id: str) -> list[float]:
    """A policy's monthly compliance in %, oldest first (months with nothing judged left out)."""
    rows = trend[(trend["policy_id"] == policy_id) & trend["compliance_rate"].notna()]
    return (100 * rows.sort_values("period_start")["compliance_rate"]).round(1).tolist()


def compare_scorecards(agreed: pd.DataFrame, what_if: pd.DataFrame) -> pd.DataFrame:
    """Each policy's compliance under the agreed policies and under the what-if thresholds."""
    left = agreed[["policy_id", "policy_name", "owner_team", "compliance_rate", "status"]]
    right = what_if[["policy_id", "rule_text", "compliance_rate", "status"]]
    both = left.merge(
        right.rename(columns={"rule_text": "rule_text_what_if"}),
        on="policy_id",
        suffixes=("_agreed", "_what_if"),
    )
    change = both["compliance_rate_what_if"] - both["compliance_rate_agreed"]
    both["change_points"] = (100 * change).round(1)
    return both[
        [
            "policy_id",
            "policy_name",
            "owner_team",
            "compliance_rate_agreed",
            "compliance_rate_what_if",
            "change_points",
            "status_agreed",
            "status_what_if",
            "rule_text_what_if",
        ]
    ]


def policy_subjects(policy: Policy) -> note_marks.Subjects:
    """What a policy's trend panel shows, for the notes on it: the policy, the compliance every panel
    plots, its team's SLA compliance and, for follow-up, the follow-up SLA."""
    shown = ["policy_compliance_rate", f"sla_{policy.owner_team}_compliance_rate"]
    if policy.kind == "follow_up":
        shown.append("follow_up_sla_compliance_rate")
    return note_marks.about(policies=[policy.id], metrics=shown)


def trend_chart(trend: pd.DataFrame, policies: Policies, notes: Sequence[Note] = ()) -> go.Figure:
    """Monthly compliance as small multiples, one panel per policy in the owning team's colour, each
    with its goal: five policies on one set of axes zig-zag into each other. The notes on a policy
    (or its compliance) are dotted lines on its panel."""
    shown = policies.policies
    cols = min(len(shown), 3) or 1
    rows = -(-len(shown) // cols) or 1
    titles = [text.plot(f"{p.name} ({fmt_label(p.owner_team)})") for p in shown]
    figure = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        shared_yaxes=True,
        vertical_spacing=0.16,
        horizontal_spacing=0.04,
    )
    for index, policy in enumerate(shown):
        row, col = index // cols + 1, index % cols + 1
        months = trend[trend["policy_id"] == policy.id].sort_values("period_start")
        figure.add_scatter(
            x=months["period_start"],
            y=100 * months["compliance_rate"],
            mode="lines+markers",
            name=text.plot(policy.name),
            showlegend=False,
            connectgaps=False,
            line={"color": TEAM_COLORS[policy.owner_team]},
            hovertemplate="%{x|%b %Y}: %{y:.1f} %<extra>" + text.plot(policy.name) + "</extra>",
            row=row,
            col=col,
        )
        figure.add_hline(
            y=policy.goal_pct,
            line={"color": NEUTRAL_COLOR, "dash": "dash", "width": 1},
            annotation_text=f"goal {policy.goal_pct:g} %",
            annotation_position="bottom right",
            annotation_font={"size": 10, "color": NEUTRAL_COLOR},
            row=row,
            col=col,
        )
    figure.update_yaxes(range=[0, 105], ticksuffix=" %", dtick=25)
    figure.update_xaxes(tickformat="%b %Y", nticks=4)
    figure.update_layout(
        title=f"{metrics.get('policy_compliance_rate').label} by month (met ÷ (met + breached)), one panel per policy",
        height=260 * rows + 60,
        margin={"t": 80, "b": 10},
        showlegend=False,
    )
    for index, policy in enumerate(shown):
        note_marks.mark(figure, notes, policy_subjects(policy), axis=f"x{index + 1 if index else ''}")
    return figure


def speed_chart(bands: pd.DataFrame) -> go.Figure:
    """Conversion MQL→SQL and MQL→Won by first-response band, with the MQL count of each band."""
    clock = "business " if (bands["clock"] == "business").any() else ""
    counts = zip(bands["band"], bands["mql_count"], strict=True)
    labels = [f"{band}<br>{count:,} MQLs" for band, count in counts]
    figure = go.Figure()
    series = (
        ("mql_to_sql_rate", metrics.label("band_mql_to_sql_rate"), 1.0),
        ("mql_to_won_rate", metrics.label("band_mql_to_won_rate"), 0.55),
    )
    for column, name, opacity in series:
        figure.add_bar(
            x=labels,
            y=100 * bands[column],
            name=name,
            marker_color=TEAM_COLORS["sales"],
            opacity=opacity,
            texttemplate="%{y:.1f} %",
            textposition="outside",
        )
    figure.update_layout(
        title=f"Conversion by first-response time ({clock}hours; sales' lever)",
        barmode="group",
        height=420,
        margin={"t": 50, "b": 10},
        yaxis={"title": "conversion (%)"},
        xaxis={"title": "time to first sales touch"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0},
    )
    return figure


# ---------------------------------------------------------------------------------------------
# The lists people act on: time left on the policy's own clock, and a link to the lead in the CRM

# A lead's record in the CRM, e.g. https://app.hubspot.com/contacts/PORTAL/record/0-1/{lead_id}.
CRM_URL_SETTING = "HANDOFF_CRM_LEAD_URL"
RECORD_COLUMN = "Record"


def crm_lead_url() -> str | None:
    """The configured link template for a lead's CRM record, if it is a web address with {lead_id}."""
    template = os.environ.get(CRM_URL_SETTING, "").strip()
    if not template.startswith(("https://", "http://")) or "{lead_id}" not in template:
        return None
    return template


def with_record_links(shown: pd.DataFrame, lead_ids: pd.Series, template: str | None) -> pd.DataFrame:
    """`shown` with a first column linking each row's lead to its CRM record (blank for rows without a
    lead, such as a month's target); unchanged without a template. Ids are URL-quoted."""
    if template is None:
        return shown
    links = [
        template.replace("{lead_id}", quote(str(lead), safe="")) if isinstance(lead, str) and lead else None
        for lead in lead_ids
    ]
    return shown.assign(**{RECORD_COLUMN: links})[[RECORD_COLUMN, *shown.columns]]


def time_left_text(hours_left: float, business_hours_left: float, clock: str) -> str:
    """What is left before the deadline, on the policy's own clock: '2 h 15 min of business hours'."""
    hours = business_hours_left if clock == "business" else hours_left
    if pd.isna(hours):
        return "–"
    minutes = max(0, round(float(hours) * 60))
    told = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    return f"{told} of business hours" if clock == "business" else told


def queue_for_people(waiting: pd.DataFrame, template: str | None = None) -> pd.DataFrame:
    """sla__live_queue as its owners act on it: one time left, on each policy's clock, after the lead."""
    shown = for_people(waiting.drop(columns=["hours_left", "business_hours_left"]))
    left = [
        time_left_text(row.hours_left, row.business_hours_left, row.clock) for row in waiting.itertuples()
    ]
    shown.insert(shown.columns.get_loc(COLUMN_NAMES["due_at"]) + 1, "Time left", left)
    return with_record_links(shown, waiting["lead_id"], template)
