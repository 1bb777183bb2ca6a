"""The Review page's words and tables: reviews, actions and notes for people, and the choices of
what a note or an action is about. No Streamlit here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from handoff import metrics
from handoff.labels import fmt_label
from handoff.metrics import format_value
from handoff.review.agenda import ACTION_METRICS, SECTIONS, Item, figure_text
from handoff.workspace import Action, Note, Review

STATUS_WORDS = {"open": "Open", "done": "Done", "dropped": "Dropped", "closed": "Closed", "active": "Active"}
SUBJECT_WORDS = {
    "metric": "A metric",
    "policy": "An SLA policy",
    "campaign": "A campaign",
    "channel": "A channel",
}


def review_label(review: Review) -> str:
    """'Q3 review · 1 Oct 2026 (closed)'."""
    day = dt.date.fromisoformat(review.review_date)
    return f"{review.title} · {day:%-d %b %Y}" + (" (closed)" if review.status == "closed" else "")


def action_figures(policies: Mapping[str, str]) -> dict[str, str]:
    """What an action can be meant to move, key → words: 'metric:win_rate', 'policy:follow_up'."""
    return {
        "": "Nothing measured",
        **{f"metric:{m}": metrics.label(m) for m in ACTION_METRICS},
        **{f"policy:{p}": name for p, name in policies.items()},
    }


def note_subjects(kind: str, policies: Mapping[str, str], options: pd.DataFrame) -> dict[str, str]:
    """What a note of this kind can be about, id → words (channels and campaigns from the data)."""
    if kind == "metric":
        return {m.id: m.full_label for m in metrics.registry().values()}
    if kind == "policy":
        return dict(policies)
    rows = options[options["dimension"] == kind]
    return {
        row.value: (row.label if kind == "campaign" else fmt_label(row.value)) for row in rows.itertuples()
    }


def subject_text(note: Note, policies: Mapping[str, str], campaigns: Mapping[str, str]) -> str:
    if note.subject_kind == "metric":
        return (
            metrics.registry()[note.subject_id].full_label
            if note.subject_id in metrics.registry()
            else note.subject_id
        )
    if note.subject_kind == "policy":
        return policies.get(note.subject_id, note.subject_id)
    if note.subject_kind == "campaign":
        return campaigns.get(note.subject_id, note.subject_id)
    return fmt_label(note.subject_id)


def actions_for_people(actions: Sequence[Action], figures: Mapping[str, str]) -> pd.DataFrame:
    """Every action, open ones first, as people read them."""
    rows = [
        {
            "Action": a.title,
            "Team": fmt_label(a.owner_team),
            "Owner": a.owner_name,
            "Due": f"{dt.date.fromisoformat(a.due_date):%-d %b %Y}",
            "Should move": figures.get(_figure_key(a), "–"),
            "Then": figure_text(a, a.baseline_value),
            "Status": STATUS_WORDS[a.status],
            "Closing comment": a.closing_comment or "–",
            "Agreed by": a.created_by,
        }
        for a in actions
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "Action",
            "Team",
            "Owner",
            "Due",
            "Should move",
            "Then",
            "Status",
            "Closing comment",
            "Agreed by",
        ],
    )


def notes_for_people(
    notes: Sequence[Note], policies: Mapping[str, str], campaigns: Mapping[str, str]
) -> pd.DataFrame:
    rows = [
        {
            "When": n.when_text,
            "About": subject_text(n, policies, campaigns),
            "Kind": SUBJECT_WORDS[n.subject_kind].split(" ", 1)[1].capitalize(),
            "Note": n.body,
            "Status": STATUS_WORDS[n.status],
            "Written by": n.created_by,
        }
        for n in notes
    ]
    return pd.DataFrame(rows, columns=["When", "About", "Kind", "Note", "Status", "Written by"])


def since_last_for_people(rows: Sequence[dict], policies: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Figure": policies.get(r["label"], r["label"]),
                "At the last review": format_value(r["then"], r["unit"]),
                "Now": format_value(r["now"], r["unit"]),
            }
            for r in rows
        ],
        columns=["Figure", "At the last review", "Now"],
    )


def agenda_sections(items: Sequence[Item | dict]) -> dict[str, list[dict]]:
    """The agenda's items by section, in the order they are discussed (empty sections left out)."""
    grouped: dict[str, list[dict]] = {}
    for item in items:
        entry = item.as_dict() if isinstance(item, Item) else item
        grouped.setdefault(entry["section"], []).append(entry)
    return {SECTIONS[s]: grouped[s] for s in SECTIONS if s in grouped}


def _figure_key(action: Action) -> str:
    if action.metric_id:
        return f"metric:{action.metric_id}"
    return f"policy:{action.policy_id}" if action.policy_id else ""
