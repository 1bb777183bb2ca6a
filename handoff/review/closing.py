"""Opening and closing a joint review, and what a closed one keeps.

Closing a review stores what it showed, as it was: its agenda, the notes and actions, the figures
(every Overview KPI and every policy's compliance for its filters), the data's as-of day, a
fingerprint of the database and the meeting pack's HTML. Its pack is then reproduced byte for byte
after any later import, and a later review compares its own figures with these ("since the last
review").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from handoff import db, metrics, overview, sla
from handoff.files import replacing_file
from handoff.filters import LIST_FIELDS, Filters
from handoff.review.agenda import ACTION_METRICS, Item, build_agenda, figure_value
from handoff.workspace import Review, Workspace, WorkspaceError

Run = Callable[..., pd.DataFrame]


def review_filters(review: Review) -> Filters:
    """The filters a review was opened with: its period and the list filters it kept."""
    kept = review.filters
    lists = {field: tuple(kept[field]) for field in LIST_FIELDS if kept.get(field)}
    return Filters(
        dt.date.fromisoformat(review.period_start), dt.date.fromisoformat(review.period_end), **lists
    )


def filters_record(filters: Filters) -> dict[str, list[str]]:
    """The list filters of `filters`, as a review keeps them (the period is kept on its own)."""
    return {field: list(getattr(filters, field)) for field in LIST_FIELDS if getattr(filters, field)}


def runner(db_path) -> Run:
    """`run(name, filters, **params)` over one database file, as the agenda and figures need."""

    def run(name: str, filters: Filters | None = None, **params) -> pd.DataFrame:
        return db.run_query(name, filters, db=db_path, **params)

    return run


def fingerprint(db_path) -> str:
    """What identifies the data a review saw: every table's row count, the as-of day and the last
    import (file names, rows, time), hashed. Cheap at any size, and it changes with any import."""
    run = runner(db_path)
    facts = {
        "tables": run("data__table_counts").to_dict("records"),
        "as_of": str(run("data__as_of")["as_of_date"].iloc[0]),
        "import": run("data__import_files").astype(str).to_dict("records"),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def figures(run: Run, filters: Filters, policies_text: str | None) -> dict[str, dict[str, float | None]]:
    """Every figure an action can move, for these filters: the Overview KPIs and each policy."""
    values = run("overview__kpis", filters).iloc[0].to_dict()
    values.update(overview.sla_by_team(run("sla__compliance", filters, policies=policies_text)))
    card = run("sla__scorecard", filters, policies=policies_text)
    return {
        "metrics": {kpi.metric_id: _number(values.get(kpi.column)) for kpi in overview.KPIS},
        "policies": {row.policy_id: _number(row.compliance_rate) for row in card.itertuples()},
    }


def since_last(previous: Review | None, now: dict) -> list[dict]:
    """Each figure the last closed review kept, then and now: [{label, then, now, unit}]."""
    if previous is None or not previous.figures:
        return []
    then = previous.figures
    rows = []
    for metric_id in ACTION_METRICS:
        metric = metrics.get(metric_id)
        rows.append(
            {
                "label": metric.full_label,
                "then": then.get("metrics", {}).get(metric_id),
                "now": now["metrics"].get(metric_id),
                "unit": metric.unit,
            }
        )
    for policy_id, value in now["policies"].items():
        rows.append(
            {
                "label": policy_id,
                "then": then.get("policies", {}).get(policy_id),
                "now": value,
                "unit": "rate",
            }
        )
    return rows


def previous_review(workspace: Workspace, review: Review) -> Review | None:
    """The last review closed before this one's date."""
    earlier = [r for r in workspace.reviews() if r.status == "closed" and r.review_date < review.review_date]
    return max(earlier, key=lambda r: (r.review_date, r.review_id), default=None)


def agenda_now(workspace: Workspace, review: Review, db_path, today: dt.date) -> list[Item]:
    """The review's agenda from the data as it stands."""
    policies = sla.load_policies_or_last_good()
    previous = previous_review(workspace, review)
    since = previous.closed_at if previous else None
    return build_agenda(
        runner(db_path), review_filters(review), workspace.actions(), policies.text, today, since
    )


def baseline(db_path, filters: Filters, *, metric_id=None, policy_id=None) -> float | None:
    """The figure an action should move, as it stands when the action is agreed."""
    policies = sla.load_policies_or_last_good()
    return figure_value(runner(db_path), filters, policies.text, metric_id=metric_id, policy_id=policy_id)


def close_review(
    workspace: Workspace,
    who: str,
    review: Review,
    db_path,
    pack_html: Callable[[Filters, list], str],
    today: dt.date,
) -> Review:
    """Close `review`: keep its agenda, figures and meeting pack (`pack_html(filters, notes)`) as
    they are now, with the data's as-of day and fingerprint."""
    filters = review_filters(review)
    policies = sla.load_policies_or_last_good()
    run = runner(db_path)
    agenda = agenda_now(workspace, review, db_path, today)
    notes = workspace.notes(start=filters.start, end=filters.end)
    as_of = pd.Timestamp(run("data__as_of")["as_of_date"].iloc[0]).date()
    return workspace.close_review(
        who,
        review.review_id,
        as_of=as_of,
        db_fingerprint=fingerprint(db_path),
        agenda=[item.as_dict() for item in agenda],
        figures=figures(run, filters, policies.text),
        pack_html=pack_html(filters, notes),
    )


def _number(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def write_pack(workspace: Workspace, review_id: int, out: str | Path) -> Path:
    """Write a closed review's meeting pack, as it was, to `out`."""
    html = workspace.review_pack(review_id)
    if html is None:
        review = workspace.review(review_id)
        raise WorkspaceError(
            f"no review {review_id}"
            if review is None
            else f"review {review_id} is still open: close it first"
        )
    with replacing_file(Path(out)) as partial:
        partial.write_bytes(html.encode("utf-8"))
    return Path(out)
