"""Editing the policy file changes what the named SLA queries return, without a restart."""

import datetime as dt
import os

from handoff import db
from handoff.filters import Filters
from handoff.sla import policy_file as sla_policy_file
from tests.fixtures import ROOT

Q2 = Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1))


def follow_up(frame):
    rows = frame[frame["policy_id"] == "follow_up"]
    return int(rows["met_count"].sum()), int(rows["breached_count"].sum())


def test_an_edited_policy_file_is_read_again(demo_db, tmp_path, monkeypatch):
    policy_file = tmp_path / "sla_policies.toml"
    agreed = (ROOT / "data" / "sla_policies.toml").read_text()
    policy_file.write_text(agreed)
    monkeypatch.setattr(sla_policy_file, "POLICY_FILE", policy_file)
    strict = follow_up(db.run_query("sla__compliance", Q2, db=demo_db))
    # Give every tier a week: more MQLs are followed up in time, and the cached result must not stick.
    policy_file.write_text(
        agreed.replace("hours = 1 }", "hours = 168 }").replace("hours = 24 }", "hours = 168 }")
    )
    os.utime(policy_file, ns=(1, policy_file.stat().st_mtime_ns + 1_000_000))
    relaxed = follow_up(db.run_query("sla__compliance", Q2, db=demo_db))
    assert sum(strict) == sum(relaxed)  # the same MQLs are judged
    assert relaxed[0] > strict[0] and relaxed[1] < strict[1]
