"""Review: the joint review's agenda from the data, agreed actions that carry over, notes on the
numbers, and the review kept as it was when it is closed."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import streamlit as st

from handoff import report, sla, ui, workspace
from handoff.review import closing, view
from handoff.text import md

ui.page_header("Review", "What did we agree last time, did it happen, and what do we do next?")
f = ui.filters()
today = ui.as_of()
who = ui.viewer()
author = workspace.author(who)
space = workspace.Workspace()
policies = {p.id: p.name for p in sla.load_policies_or_last_good().policies.policies}
figures = view.action_figures(policies)
options = ui.query("filters__options")
campaigns = dict(
    zip(
        options.loc[options["dimension"] == "campaign", "value"],
        options.loc[options["dimension"] == "campaign", "label"],
        strict=True,
    )
)

state = st.session_state


def write(change, *args, **kwargs) -> None:
    """Run a change to the workspace from a button's callback (before the page draws again), keeping
    its refusal to show."""
    try:
        change(*args, **kwargs)
    except workspace.WorkspaceError as exc:
        state["review_problem"] = str(exc)


def open_review() -> None:
    if f.start is None or f.end is None:
        state["review_problem"] = (
            "A review needs a period with a start and an end: choose one in the sidebar."
        )
        return
    opened = space.open_review(
        author, state["review_title"], state["review_day"], f.start, f.end, closing.filters_record(f)
    )
    state["review"] = str(opened.review_id)  # a callback runs before the picker is drawn


reviews = {str(r.review_id): r for r in space.reviews()}
if problem := state.pop("review_problem", None):
    ui.error(problem)
review_choices = {"new": "A new review of the period in the filters"} | {
    key: view.review_label(r) for key, r in reviews.items()
}
choice = ui.coded_selectbox("Review", review_choices, key="review", default="new")

if choice == "new" or choice not in reviews:
    ui.caption(
        md(
            "A review covers the period and filters in the sidebar ({}). Its agenda is built from the data; "
            "close it at the end of the meeting to keep it as it was.",
            f.window_label(),
        )
    )
    with st.form("review_open"):
        st.text_input("Title", value=f"Joint review of {f.window_label()}", max_chars=120, key="review_title")
        st.date_input("Review date", value=today, format="YYYY-MM-DD", key="review_day")
        st.form_submit_button("Open the review", icon=":material/event:", on_click=write, args=(open_review,))
    st.stop()

review = reviews[choice]
scope = closing.review_filters(review)
closed = review.status == "closed"
if closed:
    ui.info(
        md(
            "Closed on {} by {}: the agenda and figures below are as they were, on the data as of {} "
            "(fingerprint {}).",
            review.closed_at[:10],
            review.closed_by,
            review.as_of,
            review.db_fingerprint,
        ),
        icon=":material/lock:",
    )
    items = review.agenda
else:
    ui.caption(
        md(
            "Open since {}, by {}. The agenda follows the data until the review is closed.",
            review.created_at[:10],
            review.created_by,
        )
    )
    items = [i.as_dict() for i in closing.agenda_now(space, review, ui.db_path(), today)]

st.subheader("Agenda")
sections = view.agenda_sections(items)
if not sections:
    ui.info(
        "Nothing to discuss: no open action, no policy at risk, no notable movement.",
        icon=":material/task_alt:",
    )
for heading, entries in sections.items():
    ui.markdown(md("**{}**", heading))
    for entry in entries:
        row = st.columns([5, 1])
        mark = ui.TEAM_MARK[entry["team"]]
        said = (
            md("{} **{}** · {}", mark, entry["title"], entry["detail"])
            if entry["detail"]
            else md("{} {}", mark, entry["title"])
        )
        ui.markdown(said, where=row[0])
        link = urlsplit(entry["link"])
        slug = link.path.strip("/") or "overview"
        with row[1]:
            st.page_link(
                f"pages/{slug}.py",
                label="Open",
                icon=":material/open_in_new:",
                query_params=parse_qs(link.query),
            )

previous = closing.previous_review(space, review)
if previous is not None:
    st.subheader("Since the last review")
    ui.caption(md("{} kept these figures; now, for this review's filters:", view.review_label(previous)))
    now = (
        review.figures
        if closed
        else closing.figures(closing.runner(ui.db_path()), scope, sla.load_policies_or_last_good().text)
    )
    ui.table(
        view.since_last_for_people(closing.since_last(previous, now), policies),
        f"review_{review.review_id}_since_last",
    )

st.subheader("Agreed actions")
actions = space.actions()
if actions:
    ui.table(view.actions_for_people(actions, figures), f"review_{review.review_id}_actions")
else:
    ui.info("No action agreed yet.", icon=":material/checklist:")


def agree_action() -> None:
    kind, _, key = state["action_moves"].partition(":")
    linked = {"metric_id": key} if kind == "metric" else {"policy_id": key} if kind == "policy" else {}
    space.add_action(
        author,
        state["action_what"],
        state["action_team"],
        state["action_owner"],
        state["action_due"],
        owner_email=state["action_email"],
        review_id=review.review_id,
        baseline_value=closing.baseline(ui.db_path(), scope, **linked),
        baseline_as_of=today,
        **linked,
    )


if not closed:
    with st.form("action_add", clear_on_submit=True):
        ui.markdown(md("**Agree an action**"))
        st.text_input("What will be done", max_chars=200, key="action_what")
        cols = st.columns(3)
        cols[0].selectbox("Team", workspace.TEAMS, format_func=str.capitalize, key="action_team")
        cols[1].text_input("Who", max_chars=80, key="action_owner")
        cols[2].text_input(
            "Their e-mail (lets them close it when sign-in is on)", max_chars=120, key="action_email"
        )
        cols = st.columns(2)
        cols[0].date_input("Due", value=today + dt.timedelta(days=30), format="YYYY-MM-DD", key="action_due")
        cols[1].selectbox(
            "The figure it should move", list(figures), format_func=figures.get, key="action_moves"
        )
        st.form_submit_button("Agree it", icon=":material/add_task:", on_click=write, args=(agree_action,))

open_actions = {str(a.action_id): a for a in actions if a.status == "open"}
if open_actions:
    with st.form("action_close", clear_on_submit=True):
        ui.markdown(md("**Close an action**"))
        st.selectbox(
            "Action",
            list(open_actions),
            format_func=lambda k: f"{open_actions[k].title} ({open_actions[k].owner_name})",
            key="close_which",
        )
        st.segmented_control(
            "As", ["done", "dropped"], default="done", format_func=str.capitalize, key="close_as"
        )
        st.text_input("Closing comment", max_chars=300, key="close_comment")
        st.form_submit_button(
            "Close it",
            icon=":material/done_all:",
            on_click=lambda: write(
                space.close_action,
                who,
                int(state["close_which"]),
                state["close_as"] or "done",
                state["close_comment"],
            ),
        )

st.subheader("Notes on the numbers")
ui.caption(
    "A note marks its day or month on every chart of what it is about, on every page and in the meeting pack."
)
kind = st.segmented_control(
    "About",
    list(view.SUBJECT_WORDS),
    default="metric",
    format_func=view.SUBJECT_WORDS.get,
    key="review_note_kind",
)
subjects = view.note_subjects(kind or "metric", policies, options)
with st.form("note_add", clear_on_submit=True):
    st.selectbox("Which", list(subjects), format_func=subjects.get, key="note_subject")
    cols = st.columns([2, 1])
    cols[0].date_input("On", value=scope.start, format="YYYY-MM-DD", key="note_day")
    cols[1].checkbox("The whole month", key="note_month")
    st.text_input("Note", max_chars=300, placeholder="Paid programs paused", key="note_body")
    st.form_submit_button(
        "Add the note",
        icon=":material/sticky_note_2:",
        on_click=lambda: write(
            space.add_note,
            author,
            kind or "metric",
            state["note_subject"],
            state["note_day"],
            state["note_body"],
            is_month=state["note_month"],
            review_id=review.review_id,
        ),
    )
notes = space.notes()
if notes:
    ui.table(view.notes_for_people(notes, policies, campaigns), f"review_{review.review_id}_notes")

st.subheader("The meeting pack")
if closed:
    pack = space.review_pack(review.review_id)
    st.download_button(
        "Download the pack as it was",
        pack.encode("utf-8"),
        file_name=f"review-{review.review_id}.html",
        mime="text/html",
        icon=":material/download:",
    )
else:
    ui.caption("Closing keeps the agenda, the figures, the notes and the meeting pack as they are now.")
    st.button(
        "Close the review",
        icon=":material/lock:",
        type="primary",
        on_click=lambda: write(
            closing.close_review,
            space,
            author,
            review,
            ui.db_path(),
            lambda scope_filters, shown: report.build_report(
                scope_filters, db_path=ui.db_path(), notes=shown
            ),
            today,
        ),
    )
