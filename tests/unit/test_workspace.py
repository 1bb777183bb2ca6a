"""The workspace store: notes, actions and reviews survive, every change is recorded with who and
when, nothing is deleted, only an administrator or its owner closes an action, the schema migrates,
a backup restores whole or not at all, concurrent writers lose nothing, and a killed writer loses
nothing it committed and corrupts nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from handoff import auth
from handoff.cli import main
from handoff.workspace import Store, Workspace, WorkspaceError, schema_version
from handoff.workspace.transfer import export_workspace, import_workspace
from tests.fixtures import ROOT

D = dt.date
ADMIN = auth.Viewer(True, True, "ana@example.com", "Ana", is_admin=True)
OWNER = auth.Viewer(True, True, "Ivan.Romano@example.com", "Ivan")
OTHER = auth.Viewer(True, True, "someone@example.com", "Someone")


@pytest.fixture
def space(tmp_path) -> Workspace:
    return Workspace(Store(tmp_path / "workspace.sqlite3"))


def test_created_on_first_use_in_wal_at_the_current_schema(tmp_path):
    path = tmp_path / "new" / "workspace.sqlite3"
    space = Workspace(Store(path))
    assert space.notes() == [] and path.exists()
    with sqlite3.connect(path) as con:
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert con.execute("pragma user_version").fetchone()[0] == schema_version() == 1


def test_a_newer_workspace_is_refused_in_one_line(tmp_path):
    path = tmp_path / "w.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("pragma user_version = 99")
    with pytest.raises(WorkspaceError, match="schema version 99, newer than this Handoff"):
        Workspace(Store(path)).notes()


def test_every_change_says_who_and_when_and_nothing_is_deleted(space):
    note = space.add_note("ana@example.com", "metric", "win_rate", D(2026, 3, 14), "  paid programs paused ")
    assert (note.body, note.on_date, note.created_by) == (
        "paid programs paused",
        "2026-03-14",
        "ana@example.com",
    )
    month = space.add_note("local", "policy", "follow_up", D(2026, 3, 20), "SDR hiring freeze", is_month=True)
    assert (month.on_date, month.when_text) == ("2026-03-01", "Mar 2026")
    space.set_note_status("local", note.note_id, "dropped")
    assert [n.note_id for n in space.notes()] == [month.note_id]  # a dropped note leaves the lists
    assert [n.status for n in space.notes(with_dropped=True)] == ["active", "dropped"]  # 03-01, 03-14
    history = space.changes("note", note.note_id)
    assert [(c["change"], c["changed_by"]) for c in history] == [
        ("created", "ana@example.com"),
        ("dropped", "local"),
    ]
    assert json.loads(history[1]["before_json"])["status"] == "active"
    assert json.loads(history[1]["after_json"])["status"] == "dropped"


def test_only_an_administrator_or_the_owner_closes_an_action(space):
    action = space.add_action(
        "ana@example.com", "Call every MQL within the hour", "sales", "Ivan Romano", D(2026, 4, 30),
        owner_email="ivan.romano@example.com", policy_id="follow_up", baseline_value=0.62,
    )  # fmt: skip
    with pytest.raises(WorkspaceError, match=r"only an administrator or its owner \(Ivan Romano\)"):
        space.close_action(OTHER, action.action_id, "done", "")
    assert space.action(action.action_id).status == "open"  # the refusal changed nothing
    done = space.close_action(OWNER, action.action_id, "done", "every MQL called in April")  # any case
    assert (done.status, done.closing_comment, done.closed_by) == (
        "done",
        "every MQL called in April",
        OWNER.email,
    )
    with pytest.raises(WorkspaceError, match="is done already"):
        space.close_action(ADMIN, action.action_id, "dropped", "")
    other = space.add_action("local", "Fix the routing rules", "shared", "Ops", D(2026, 4, 30))
    assert space.close_action(ADMIN, other.action_id, "dropped", "superseded").status == "dropped"
    # Without sign-in, whoever can reach the app may close one, recorded as 'local'.
    third = space.add_action("local", "Refresh the ICP", "marketing", "Mia", D(2026, 5, 1))
    assert space.close_action(auth.ANONYMOUS, third.action_id, "done", "").closed_by == "local"
    # By due date: 04-30, 04-30, 05-01.
    assert [a.status for a in space.actions()] == ["done", "dropped", "done"]


def test_mistakes_are_refused_with_what_is_wrong(space):
    with pytest.raises(WorkspaceError, match="a note is about one of metric, policy, campaign, channel"):
        space.add_note("local", "colour", "x", D(2026, 1, 1), "text")
    with pytest.raises(WorkspaceError, match="needs its text"):
        space.add_note("local", "metric", "win_rate", D(2026, 1, 1), "   ")
    with pytest.raises(WorkspaceError, match="an action's team is one of marketing, sales, shared"):
        space.add_action("local", "x", "finance", "Bo", D(2026, 1, 1))


def test_export_then_import_restores_everything_and_a_bad_file_changes_nothing(space, tmp_path):
    review = space.open_review(
        "local", "Q1", D(2026, 4, 1), D(2026, 1, 1), D(2026, 4, 1), {"segments": ["smb"]}
    )
    space.add_note(
        "local", "channel", "paid_search", D(2026, 2, 1), "budget cut <b>50 %</b>", review_id=review.review_id
    )
    space.close_review(
        "local", review.review_id, as_of=D(2026, 3, 31), db_fingerprint="f00d", agenda=[], figures={},
        pack_html="<html>é</html>",
    )  # fmt: skip
    backup = tmp_path / "backup.json"
    assert export_workspace(space.store, backup) == {"reviews": 1, "notes": 1, "actions": 0, "changes": 3}
    copy = Workspace(Store(tmp_path / "copy.sqlite3"))
    copy.add_action("local", "to be replaced", "sales", "Bo", D(2026, 1, 1))
    import_workspace(copy.store, backup)
    assert copy.actions() == [] and copy.notes() == space.notes() and copy.reviews() == space.reviews()
    assert copy.review_pack(review.review_id) == "<html>é</html>"
    # A file that is not an export, or one whose rows the schema refuses, leaves the workspace as it was.
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(WorkspaceError, match="bad.json is not a workspace export"):
        import_workspace(copy.store, tmp_path / "bad.json")
    document = json.loads(backup.read_text())
    document["tables"]["notes"].append(
        {**document["tables"]["notes"][0], "note_id": 2, "subject_kind": "colour"}
    )
    (tmp_path / "broken.json").write_text(json.dumps(document))
    with pytest.raises(WorkspaceError, match="broken.json: notes row 2: CHECK constraint failed"):
        import_workspace(copy.store, tmp_path / "broken.json")
    assert copy.notes() == space.notes() and copy.review_pack(review.review_id) == "<html>é</html>"


def test_the_cli_backs_up_and_restores_and_names_a_bad_file_in_one_line(space, tmp_path, capsys):
    space.add_note("local", "metric", "mql_count", D(2026, 5, 4), "webinar week")
    out = tmp_path / "out.json"
    assert main(["workspace", "export", str(out), "--workspace", str(space.store.path)]) == 0
    assert "1 notes" in capsys.readouterr().out
    target = tmp_path / "restored.sqlite3"
    assert main(["workspace", "import", str(out), "--workspace", str(target)]) == 0
    assert [n.body for n in Workspace(Store(target)).notes()] == ["webinar week"]
    assert main(["workspace", "import", str(tmp_path / "missing.json"), "--workspace", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "missing.json: no such file" in err


def test_twenty_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "w.sqlite3"
    Workspace(Store(path)).notes()  # created
    errors = []

    def write(n: int) -> None:
        space = Workspace(Store(path))
        try:
            for i in range(10):
                space.add_note(f"user{n}", "metric", "win_rate", D(2026, 1, 1 + i), f"note {n}-{i}")
                space.add_action(f"user{n}", f"action {n}-{i}", "sales", f"P{n}", D(2026, 2, 1))
        except Exception as exc:  # noqa: BLE001 - every failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    space = Workspace(Store(path))
    assert not errors
    assert sorted(n.body for n in space.notes()) == sorted(
        f"note {n}-{i}" for n in range(20) for i in range(10)
    )
    assert len(space.actions()) == 200
    with sqlite3.connect(path) as con:
        assert con.execute("select count(*) from changes").fetchone()[0] == 400  # each write recorded


WRITER = """
import datetime as dt, sys
sys.path.insert(0, {root!r})
from handoff.workspace import Store, Workspace
space = Workspace(Store({path!r}))
n = 0
while True:
    space.add_note("local", "metric", "win_rate", dt.date(2026, 1, 1), f"note {{n}}")
    print(n, flush=True)  # acknowledged: committed
    n += 1
"""


def test_a_killed_writer_loses_nothing_it_committed_and_corrupts_nothing(tmp_path):
    path = tmp_path / "w.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 200 and time.monotonic() < deadline:
        acknowledged = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)  # mid-write: it never stops between notes
    writer.wait()
    with sqlite3.connect(path) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    bodies = {n.body for n in Workspace(Store(path)).notes()}
    assert {f"note {n}" for n in range(acknowledged + 1)} <= bodies  # every acknowledged write is there
