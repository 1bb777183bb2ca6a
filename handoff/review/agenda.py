"""A joint review's agenda, built from the data for a period: the open actions of earlier reviews
first (with the figure each should move, then and now), both teams' SLA policies at risk, the
largest movements (the Overview's "what changed") and where the MQLs that did not reach SQL were
lost (the leakage split). Each item links to the page view that shows it, with the review's filters.

Pure pandas over named queries: `run(name, filters, **params)` runs one (the page and the CLI pass
their own), so the agenda is the same wherever it is drawn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import pandas as pd

from handoff import metrics, overview, sla
from handoff.charts import fmt_pct
from handoff.filters import LIST_FIELD_DIMENSIONS, LIST_FIELDS, Filters
from handoff.site import PAGES, url_path
from handoff.workspace import Action

Run = Callable[..., pd.DataFrame]
SECTIONS = {
    "actions": "Agreed actions",
    "sla": "SLA at risk",
    "movements": "What changed",
    "leakage": "Where MQLs stop before SQL",
}
# The figures an action can be meant to move: the Overview's KPIs (registry metrics) and the policies.
ACTION_METRICS = tuple(kpi.metric_id for kpi in overview.KPIS)


@dataclass(frozen=True)
class Item:
    """One agenda item: its section, whose it is, what to discuss, and the view that shows it."""

    section: str
    team: str  # marketing, sales or shared
    title: str
    detail: str
    link: str
    action_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def page_link(slug: str, filters: Filters) -> str:
    """The page's URL path with the filters in its query (`funnel?period=Custom&start=…&segment=smb`)."""
    page = next(p for p in PAGES if p.slug == slug)
    query: list[tuple[str, str]] = []
    if filters.start and filters.end:
        last_day = filters.end - dt.timedelta(days=1)
        query += [("period", "Custom"), ("start", filters.start.isoformat()), ("end", last_day.isoformat())]
    for field in LIST_FIELDS:
        values = getattr(filters, field)
        if values and field != "campaigns":  # the sidebar has no campaign filter
            query += [(LIST_FIELD_DIMENSIONS[field], value) for value in values]
    path = url_path(page)
    return f"/{path}?{urlencode(query)}" if query else f"/{path}"


def figure_value(
    run: Run, filters: Filters, policies_text: str | None, *, metric_id=None, policy_id=None
) -> float | None:
    """The figure an action should move, for these filters: an Overview KPI or a policy's compliance."""
    if policy_id:
        card = run("sla__scorecard", filters, policies=policies_text)
        row = card[card["policy_id"] == policy_id]
        return _number(row["compliance_rate"].iloc[0]) if not row.empty else None
    if metric_id:
        kpi = next((k for k in overview.KPIS if k.metric_id == metric_id), None)
        if kpi is None:
            return None
        values = run("overview__kpis", filters).iloc[0].to_dict()
        values.update(overview.sla_by_team(run("sla__compliance", filters, policies=policies_text)))
        return _number(values.get(kpi.column))
    return None


def figure_label(action: Action, policy_names: dict[str, str] | None = None) -> str:
    """What the action should move, in words ('Win rate in the period', 'Follow up every MQL fast')."""
    if action.metric_id:
        return metrics.label(action.metric_id)
    return (policy_names or {}).get(action.policy_id, action.policy_id or "")


def figure_text(action: Action, value: float | None) -> str:
    if value is None:
        return "–"
    unit = metrics.get(action.metric_id).unit if action.metric_id else "rate"
    return metrics.format_value(value, unit)


def moved_text(action: Action, then: float | None, now: float | None) -> str:
    """'moved the right way: 62.0 % → 71.4 %', 'not yet: …', or that there is nothing to compare."""
    if then is None or now is None:
        return "no figure to compare" if action.metric_id or action.policy_id else "no figure linked"
    good_up = metrics.get(action.metric_id).higher_is_better if action.metric_id else True
    moved = (now > then) if good_up else (now < then)
    verdict = "moved the right way" if moved else ("unchanged" if now == then else "not yet")
    return f"{verdict}: {figure_text(action, then)} → {figure_text(action, now)}"


def action_items(
    actions: Sequence[Action],
    now_of: Callable[[Action], float | None],
    filters: Filters,
    today: dt.date,
    policy_names: dict[str, str] | None = None,
    since: str | None = None,
) -> list[Item]:
    """Every open action, oldest due first, then those closed since the last review (`since`, its
    closing time), each with its figure then (when agreed) and now."""
    shown = [a for a in actions if a.status == "open" or (since and (a.closed_at or "") >= since)]
    items = []
    for action in sorted(shown, key=lambda a: (a.status != "open", a.due_date, a.action_id)):
        due = dt.date.fromisoformat(action.due_date)
        if action.status == "open":
            state = f"due {due:%-d %b %Y}" + (" (overdue)" if due < today else "")
        else:
            state = f"{action.status} since the last review" + (
                f": {action.closing_comment}" if action.closing_comment else ""
            )
        figure = figure_label(action, policy_names)
        detail = f"{action.owner_name}, {state}"
        if figure:
            detail += f" · {figure}: {moved_text(action, action.baseline_value, now_of(action))}"
        slug = "sla" if action.policy_id else "overview"
        items.append(
            Item(
                "actions", action.owner_team, action.title, detail, page_link(slug, filters), action.action_id
            )
        )
    return items


def sla_items(card: pd.DataFrame, filters: Filters) -> list[Item]:
    """Each policy off track or at risk (red, amber), the farthest below its goal first."""
    at_risk = card[card["status"].isin(["red", "amber"]) & card["compliance_rate"].notna()].copy()
    at_risk["gap"] = at_risk["goal_rate"] - at_risk["compliance_rate"]
    items = []
    for row in at_risk.sort_values("gap", ascending=False).itertuples():
        state = "off track" if row.status == "red" else "at risk"
        detail = (
            f"{fmt_pct(row.compliance_rate)} against a goal of {fmt_pct(row.goal_rate, 0)} ({state}): "
            f"{row.breached_count:,} breached, {row.met_count:,} met"
        )
        items.append(Item("sla", row.owner_team, row.policy_name, detail, page_link("sla", filters)))
    return items


def movement_items(movements: Sequence[overview.Movement], filters: Filters) -> list[Item]:
    slug = {"conversion": "funnel", "volume": "overview", "sla": "sla"}
    return [
        Item(
            "movements",
            m.owner_team or "shared",
            m.sentence().rstrip("."),
            "",
            page_link(slug[m.kind], filters),
        )
        for m in movements
    ]


def leakage_items(loss: pd.DataFrame, filters: Filters) -> list[Item]:
    """The reasons MQLs did not reach SQL, with whose lever each is, the largest first."""
    lost = loss[loss["lead_count"] > 0].sort_values("lead_count", ascending=False)
    total = int(lost["lead_count"].sum())
    return [
        Item(
            "leakage",
            row.lever,
            row.label,
            f"{row.lead_count:,} of the {total:,} MQLs that have not reached SQL ({fmt_pct(row.lost_share_rate, 0)})",
            page_link("attribution", filters),
        )
        for row in lost.itertuples()
    ]


def build_agenda(
    run: Run,
    filters: Filters,
    actions: Sequence[Action],
    policies_text: str | None,
    today: dt.date,
    since: str | None = None,
) -> list[Item]:
    """The whole agenda for the review of `filters`' window, in the order it is discussed; `since`
    (when the last review closed) brings the actions closed since then."""
    compliance_now = run("sla__compliance", filters, policies=policies_text)
    compliance_before = run("sla__compliance", filters.previous(), policies=policies_text)

    def now_of(action: Action) -> float | None:
        return figure_value(
            run, filters, policies_text, metric_id=action.metric_id, policy_id=action.policy_id
        )

    policies = (
        sla.parse_policies(policies_text, "the policy file") if policies_text else sla.default_policies()
    )
    names = {p.id: p.name for p in policies.policies}
    return [
        *action_items(actions, now_of, filters, today, names, since),
        *sla_items(run("sla__scorecard", filters, policies=policies_text), filters),
        *movement_items(overview.what_changed(run, filters, compliance_now, compliance_before), filters),
        *leakage_items(run("attribution__mql_sql_loss", filters), filters),
    ]


def _number(value) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
