"""A sales-sourced lead is never an MQL, on any query a page, the CLI or the meeting pack reads.

Hand-made company, window = February 2026:

| lead | sourced | stages | an MQL? |
|---|---|---|---|
| M1 | marketing | MQL 02-02 10:00, SAL 02-03, first sales touch 02-02 11:30 (1.5 h) | yes |
| M2 | marketing | skips MQL: SAL 02-05 (enters MQL then) | yes (MQL entry 02-05; no mql_at of its own) |
| S1 | sales | the CRM says MQL 02-06 10:00; SAL 02-07; sales touch 02-06 10:30 | never: joins at SAL |
| S2 | sales | the CRM says MQL 02-08 10:00; nothing after | never, and never judged by a follow-up SLA |
"""

from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stdout

import pytest

from handoff import cli, db
from handoff.filters import Filters
from tests.fixtures import ts

FEBRUARY = Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 1))
PEOPLE = [{"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"}]


def _lead(lead_id, sourced_by, **stages):
    return {
        "lead_id": lead_id,
        "created_at": ts("2026-02-01 09:00"),
        "channel": "webinar",
        "sourced_by": sourced_by,
        "segment": "smb",
        "region": "NA",
        "owner_id": "P1",
        "score": 50,
        **{k: ts(v) for k, v in stages.items()},
    }


LEADS = [
    _lead("M1", "marketing", mql_at="2026-02-02 10:00", sal_at="2026-02-03 10:00"),
    _lead("M2", "marketing", sal_at="2026-02-05 10:00"),
    _lead("S1", "sales", mql_at="2026-02-06 10:00", sal_at="2026-02-07 10:00"),
    _lead("S2", "sales", mql_at="2026-02-08 10:00"),
]
TOUCHES = [
    {
        "touch_id": "T1",
        "lead_id": "M1",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts("2026-02-02 11:30"),
        "person_id": "P1",
    },
    {
        "touch_id": "T2",
        "lead_id": "S1",
        "channel": "direct_sales",
        "team": "sales",
        "kind": "call",
        "touched_at": ts("2026-02-06 10:30"),
        "person_id": "P1",
    },
]


@pytest.fixture
def company(make_db):
    path = make_db({"people": PEOPLE, "leads": LEADS, "touches": TOUCHES})
    yield path
    db.close_connections()


def run(company, name, **params):
    return db.run_query(name, FEBRUARY, db=company, **params)


def test_no_count_of_mqls_includes_a_sales_sourced_lead(company):
    # MQLs in the period: M1 (mql_at) and M2 (entering MQL at its SAL); not S1, S2.
    assert run(company, "overview__kpis")["mql_count"].iloc[0] == 2
    for mode in ("cohort", "period"):
        stages = run(company, "funnel__stage_counts", mode=mode).set_index("stage")
        assert stages.loc["MQL", ["reached_count", "sales_sourced_count"]].tolist() == [2, 0], mode
        # SAL: M1, M2 from MQL and S1 joining there; MQL → SAL = (3 − 1) ÷ 2.
        assert stages.loc["SAL", ["reached_count", "joined_count"]].tolist() == [3, 1], mode
        assert stages.loc["SAL", "from_previous_rate"] == 1.0
        explore = run(company, "explore__pivot", dim1="none", mode=mode).iloc[0]
        assert explore["mql_count"] == 2
    # The MQLs speed to lead and the SLA judge are the leads with an mql_at of their own: M1 only.
    assert run(company, "explore__pivot", dim1="none")["window_mql_count"].iloc[0] == 1
    assert run(company, "campaigns__performance")["mql_count"].sum() == 2


def test_no_sla_judges_a_sales_sourced_lead_as_an_mql(company):
    assert run(company, "sla__mqls")["lead_id"].tolist() == ["M1"]
    follow_up = run(company, "sla__compliance")
    follow_up = follow_up[follow_up["policy_id"] == "follow_up"]
    assert follow_up["due_count"].sum() == 1 and follow_up["met_count"].sum() == 1
    assert run(company, "sla__live_queue").empty  # S2 is not waiting for a follow-up: it is no MQL
    # Speed to lead: M1's 1.5 h, not S1's 30 minutes.
    assert run(company, "overview__kpis")["median_speed_to_lead_hours"].iloc[0] == pytest.approx(1.5)


def test_the_leakage_views_count_mqls_only(company):
    grid = run(company, "attribution__quality_speed_grid")
    assert grid["mql_count"].sum() == 1
    loss = run(company, "attribution__mql_sql_loss")
    assert loss["lead_count"].sum() == 1  # M1 has not reached SQL; S1 and S2 are not MQLs


def test_the_command_line_prints_no_sales_sourced_mql(company):
    out = io.StringIO()
    with redirect_stdout(out):
        assert (
            cli.main(
                [
                    "query",
                    "funnel__stage_counts",
                    "--db",
                    str(company),
                    "--param",
                    "start=2026-02-01",
                    "--param",
                    "end=2026-03-01",
                    "--param",
                    "group_by=channel",
                    "--format",
                    "csv",
                ]
            )
            == 0
        )
    mql = next(line.split(",") for line in out.getvalue().splitlines()[1:] if line.split(",")[2] == "MQL")
    # group_value, stage_order, stage, owner_team, reached, from_previous, from_first, marketing, sales, joined
    assert mql[4] == "2" and mql[7:] == ["2", "0", "0"]
