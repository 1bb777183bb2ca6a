"""The Review page in AppTest: a review opened for the sidebar's period, its agenda from the data
with a link per item, an action agreed (with its figure then), a note written, the review closed and
then shown as it was, with its pack to download; with sign-in on, a stranger cannot close an action."""

from __future__ import annotations

import datetime as dt

import pytest

from handoff import auth
from handoff.workspace import Store, Workspace
from tests.app.conftest import no_exception


@pytest.fixture
def space(monkeypatch, tmp_path) -> Workspace:
    path = tmp_path / "workspace.sqlite3"
    monkeypatch.setenv("HANDOFF_WORKSPACE", str(path))
    return Workspace(Store(path))


def submit(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()


def test_a_review_from_opening_to_closing(app, space):
    at = app("review", period="Last quarter")
    no_exception(at)
    assert at.selectbox(key="review").value == "new"
    submit(at, "Open the review")
    no_exception(at)
    [review] = space.reviews()
    # The link to it, as a person shares it (AppTest keeps the widgets of the run before st.rerun).
    at = app("review", review=str(review.review_id))
    no_exception(at)
    assert (review.period_start, review.period_end, review.status) == (
        "2026-01-01",
        "2026-04-01",
        "open",
    )  # the demo is as of 30 Jun
    headings = [m.value for m in at.markdown if m.value.startswith("**") and m.value.endswith("**")]
    assert "**SLA at risk**" in headings and "**Where MQLs stop before SQL**" in headings
    links = [link.proto.page for link in at.get("page_link") if link.proto.label == "Open"]
    assert links and set(links) <= {"", "sla", "funnel", "attribution"}  # each item opens its view

    inputs = {t.label: t for t in at.text_input}
    inputs["What will be done"].input("Answer every MQL within the hour")
    inputs["Who"].input("Ivan Romano")
    figure = next(s for s in at.selectbox if s.label == "The figure it should move")
    figure.set_value("policy:follow_up")
    submit(at, "Agree it")
    no_exception(at)
    [action] = space.actions()
    assert (action.title, action.owner_team, action.policy_id, action.review_id) == (
        "Answer every MQL within the hour",
        "marketing",
        "follow_up",
        review.review_id,
    )
    assert 0 <= action.baseline_value <= 1  # the follow-up compliance of the quarter, when agreed

    next(t for t in at.text_input if t.label == "Note").input("SDR hiring freeze <b>")
    submit(at, "Add the note")
    no_exception(at)
    [note] = space.notes()
    assert (note.subject_kind, note.body, note.review_id) == (
        "metric",
        "SDR hiring freeze <b>",
        review.review_id,
    )
    notes = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    assert notes["Note"].tolist() == ["SDR hiring freeze <b>"]

    submit(at, "Close the review")
    no_exception(at)
    [closed] = space.reviews()
    assert closed.status == "closed" and closed.db_fingerprint and closed.agenda
    assert space.review_pack(closed.review_id).startswith("<!DOCTYPE html>")
    assert any("Closed on" in i.value for i in at.info)
    assert any(b.label == "Download the pack as it was" for b in at.get("download_button"))


def test_with_sign_in_a_stranger_cannot_close_an_action(app, space, monkeypatch):
    action = space.add_action(
        "ana@example.com", "Fix routing", "shared", "Ops", dt.date(2026, 7, 31), owner_email="ops@example.com"
    )
    review = space.open_review("local", "Q2", dt.date(2026, 7, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1))
    monkeypatch.setattr(
        "handoff.ui.viewer", lambda: auth.Viewer(True, True, "someone@example.com", "Someone")
    )
    at = app("review", review=str(review.review_id))
    no_exception(at)
    submit(at, "Close it")
    at.run()
    submit(at, "Close it")
    assert "only an administrator or its owner (Ops) may close action" in " ".join(e.value for e in at.error)
    assert space.action(action.action_id).status == "open"
