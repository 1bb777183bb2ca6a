"""Notes, agreed actions and reviews: what a joint review writes, and the rules for changing it.

A note attaches to a metric, a policy, a campaign or a channel at a day or a month ("paid programs
paused", "SDR hiring freeze") and shows as a marker on every chart of that subject and time. An
action says what, which team, which person, by when, and the metric or policy it should move; it is
open until done or dropped with a closing comment. A review is a meeting over a period, open until
closed, when what it showed is stored as it was. Everyone who may use the app may add notes and
actions; only an administrator or the action's owner may close or drop one (`may_close`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields
from typing import Any

from handoff import auth
from handoff.workspace.store import Store, WorkspaceError, now_text, pack_bytes, pack_text, statement

SUBJECT_KINDS = ("metric", "policy", "campaign", "channel")
TEAMS = ("marketing", "sales", "shared")
LOCAL = "local"


def author(who: auth.Viewer | None) -> str:
    """Who a change is recorded as: the signed-in person's e-mail (or name), else 'local'."""
    if who is None or not who.signed_in:
        return LOCAL
    return who.email or who.name or LOCAL


def may_close(who: auth.Viewer | None, action: Action) -> bool:
    """An administrator or the action's owner may close or drop it; without sign-in, anyone."""
    if who is None or not who.sign_in_required:
        return True
    if not who.signed_in:
        return False
    mine = bool(who.email and action.owner_email) and who.email.casefold() == action.owner_email.casefold()
    return who.is_admin or mine


def _from_row(cls, row: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True)
class Note:
    note_id: int
    subject_kind: str
    subject_id: str
    on_date: str
    is_month: int
    body: str
    status: str
    review_id: int | None
    created_by: str
    created_at: str

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.on_date)

    @property
    def when_text(self) -> str:
        """'Mar 2026' for a month, '14 Mar 2026' for a day."""
        return f"{self.day:%b %Y}" if self.is_month else f"{self.day:%-d %b %Y}"


@dataclass(frozen=True)
class Action:
    action_id: int
    title: str
    owner_team: str
    owner_name: str
    owner_email: str | None
    due_date: str
    metric_id: str | None
    policy_id: str | None
    status: str
    closing_comment: str | None
    baseline_value: float | None
    baseline_as_of: str | None
    review_id: int | None
    created_by: str
    created_at: str
    closed_by: str | None
    closed_at: str | None

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == "open" and dt.date.fromisoformat(self.due_date) < today


@dataclass(frozen=True)
class Review:
    review_id: int
    title: str
    review_date: str
    period_start: str
    period_end: str
    filters_json: str
    status: str
    created_by: str
    created_at: str
    closed_by: str | None
    closed_at: str | None
    as_of: str | None
    db_fingerprint: str | None
    agenda_json: str | None
    figures_json: str | None

    @property
    def filters(self) -> dict[str, Any]:
        return json.loads(self.filters_json or "{}")

    @property
    def agenda(self) -> list[dict]:
        return json.loads(self.agenda_json or "[]")

    @property
    def figures(self) -> dict[str, Any]:
        return json.loads(self.figures_json or "{}")


class Workspace:
    """The notes, actions and reviews of one workspace file."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()

    # -- notes -----------------------------------------------------------------------------------

    def add_note(
        self,
        who: str,
        subject_kind: str,
        subject_id: str,
        on_date: dt.date,
        body: str,
        *,
        is_month: bool = False,
        review_id: int | None = None,
    ) -> Note:
        if subject_kind not in SUBJECT_KINDS:
            raise WorkspaceError(f"a note is about one of {', '.join(SUBJECT_KINDS)}, not {subject_kind!r}")
        body = body.strip()
        if not body or not str(subject_id).strip():
            raise WorkspaceError("a note needs its text and what it is about")
        day = on_date.replace(day=1) if is_month else on_date
        params = {
            "subject_kind": subject_kind,
            "subject_id": str(subject_id).strip(),
            "on_date": day.isoformat(),
            "is_month": int(is_month),
            "body": body,
            "review_id": review_id,
            "who": who,
            "at": now_text(),
        }
        with self.store.writing() as con:
            row = dict(con.execute(statement("note_insert"), params).fetchone())
            self.store.change(con, "note", row["note_id"], "created", None, row, who)
        return _from_row(Note, row)

    def set_note_status(self, who: str, note_id: int, status: str) -> Note:
        with self.store.writing() as con:
            before = _one(con, "note", note_id=note_id)
            row = dict(
                con.execute(statement("note_status"), {"note_id": note_id, "status": status}).fetchone()
            )
            self.store.change(con, "note", note_id, status, before, row, who)
        return _from_row(Note, row)

    def notes(
        self,
        subject_kind: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        *,
        with_dropped: bool = False,
    ) -> list[Note]:
        rows = self.store.read(
            "notes",
            subject_kind=subject_kind,
            start=start.isoformat() if start else None,
            end=end.isoformat() if end else None,
            with_dropped=with_dropped,
        )
        return [_from_row(Note, r) for r in rows]

    # -- actions ---------------------------------------------------------------------------------

    def add_action(
        self,
        who: str,
        title: str,
        owner_team: str,
        owner_name: str,
        due_date: dt.date,
        *,
        owner_email: str | None = None,
        metric_id: str | None = None,
        policy_id: str | None = None,
        baseline_value: float | None = None,
        baseline_as_of: dt.date | None = None,
        review_id: int | None = None,
    ) -> Action:
        if owner_team not in TEAMS:
            raise WorkspaceError(f"an action's team is one of {', '.join(TEAMS)}, not {owner_team!r}")
        if not title.strip() or not owner_name.strip():
            raise WorkspaceError("an action needs what is to be done and who will do it")
        params = {
            "title": title.strip(),
            "owner_team": owner_team,
            "owner_name": owner_name.strip(),
            "owner_email": (owner_email or "").strip() or None,
            "due_date": due_date.isoformat(),
            "metric_id": metric_id or None,
            "policy_id": policy_id or None,
            "baseline_value": baseline_value,
            "baseline_as_of": baseline_as_of.isoformat() if baseline_as_of else None,
            "review_id": review_id,
            "who": who,
            "at": now_text(),
        }
        with self.store.writing() as con:
            row = dict(con.execute(statement("action_insert"), params).fetchone())
            self.store.change(con, "action", row["action_id"], "created", None, row, who)
        return _from_row(Action, row)

    def close_action(self, viewer: auth.Viewer | None, action_id: int, status: str, comment: str) -> Action:
        """Mark an open action done or dropped, with a comment, if `viewer` may (`may_close`)."""
        if status not in ("done", "dropped"):
            raise WorkspaceError(f"an action is closed as done or dropped, not {status!r}")
        who = author(viewer)
        with self.store.writing() as con:
            before = _one(con, "action", action_id=action_id)
            if before is None:
                raise WorkspaceError(f"no action {action_id}")
            action = _from_row(Action, before)
            if not may_close(viewer, action):
                raise WorkspaceError(
                    f"only an administrator or its owner ({action.owner_name}) may close action {action_id}"
                )
            if action.status != "open":
                raise WorkspaceError(f"action {action_id} is {action.status} already")
            params = {"action_id": action_id, "status": status, "comment": comment.strip() or None}
            row = dict(
                con.execute(statement("action_close"), params | {"who": who, "at": now_text()}).fetchone()
            )
            self.store.change(con, "action", action_id, status, before, row, who)
        return _from_row(Action, row)

    def actions(self, status: str | None = None) -> list[Action]:
        return [_from_row(Action, r) for r in self.store.read("actions", status=status)]

    def action(self, action_id: int) -> Action | None:
        rows = self.store.read("action", action_id=action_id)
        return _from_row(Action, rows[0]) if rows else None

    # -- reviews ---------------------------------------------------------------------------------

    def open_review(
        self,
        who: str,
        title: str,
        review_date: dt.date,
        period_start: dt.date,
        period_end: dt.date,
        filters: dict[str, Any] | None = None,
    ) -> Review:
        params = {
            "title": title.strip() or f"Review of {review_date:%-d %b %Y}",
            "review_date": review_date.isoformat(),
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "filters_json": json.dumps(filters or {}, sort_keys=True),
            "who": who,
            "at": now_text(),
        }
        with self.store.writing() as con:
            row = dict(con.execute(statement("review_insert"), params).fetchone())
            self.store.change(con, "review", row["review_id"], "created", None, row, who)
        return _from_row(Review, row)

    def close_review(
        self,
        who: str,
        review_id: int,
        *,
        as_of: dt.date,
        db_fingerprint: str,
        agenda: list[dict],
        figures: dict[str, Any],
        pack_html: str,
    ) -> Review:
        """Keep what the review showed, as it was: its agenda, figures and meeting pack."""
        params = {
            "review_id": review_id,
            "who": who,
            "at": now_text(),
            "as_of": as_of.isoformat(),
            "db_fingerprint": db_fingerprint,
            "agenda_json": json.dumps(agenda, sort_keys=True, default=str),
            "figures_json": json.dumps(figures, sort_keys=True, default=str),
            "pack_html": pack_bytes(pack_html),
        }
        with self.store.writing() as con:
            before = _one(con, "review", review_id=review_id)
            if before is None:
                raise WorkspaceError(f"no review {review_id}")
            if before["status"] != "open":
                raise WorkspaceError(f"review {review_id} is closed already")
            row = dict(con.execute(statement("review_close"), params).fetchone())
            self.store.change(con, "review", review_id, "closed", before, row, who)
        return self.review(review_id)

    def reviews(self) -> list[Review]:
        return [_from_row(Review, r) for r in self.store.read("reviews")]

    def review(self, review_id: int) -> Review | None:
        rows = self.store.read("review", review_id=review_id)
        return _from_row(Review, rows[0]) if rows else None

    def review_pack(self, review_id: int) -> str | None:
        """The meeting pack a closed review showed, byte for byte (None: not closed)."""
        rows = self.store.read("review_pack", review_id=review_id)
        return pack_text(rows[0]["pack_html"]) if rows and rows[0]["pack_html"] else None

    def changes(self, entity: str, entity_id: int) -> list[dict]:
        return self.store.read("changes", entity=entity, entity_id=entity_id)


def _one(con, entity: str, **key) -> dict | None:
    row = con.execute(statement(entity), key).fetchone()
    return dict(row) if row else None
