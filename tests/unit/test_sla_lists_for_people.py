"""The SLA lists as their owners act on them, on hand-made rows: time left on each policy's own clock,
and each lead linked to its CRM record from the configured template."""

from __future__ import annotations

import pandas as pd
import pytest

from handoff.charts import TEAM_COLORS
from handoff.sla import view
from handoff.sla.policy_file import load_policies


def waiting() -> pd.DataFrame:
    """Two waiting MQLs of sla__live_queue: one on business hours, one on the wall clock."""
    return pd.DataFrame(
        {
            "policy_id": ["fast", "wall"],
            "lead_id": ["L1", "L 2/x"],
            "owner_id": ["P1", "P2"],
            "owner_name": ["Ada", "Ben"],
            "region": ["NA", "EMEA"],
            "segment": ["smb", "enterprise"],
            "channel": ["webinar", "partner"],
            "score": [80.0, 20.0],
            "mql_at": pd.to_datetime(["2026-06-30 08:00", "2026-06-30 20:00"]),
            "due_at": pd.to_datetime(["2026-07-01 10:15", "2026-07-01 08:00"]),
            "hours_left": [10.25, 8.0],
            "business_hours_left": [2.25, 0.0],
            "clock": ["business", "wall"],
            "threshold_hours": [4.0, 12.0],
        }
    )


def test_time_left_is_on_the_policys_own_clock():
    shown = view.queue_for_people(waiting())
    assert shown["Time left"].tolist() == ["2 h 15 min of business hours", "8 h 00 min"]
    assert "Hours left" not in shown.columns and "Business hours left" not in shown.columns
    assert shown.columns.tolist().index("Time left") == shown.columns.tolist().index("Due (UTC)") + 1
    assert view.time_left_text(0.5, 0.2, "business") == "12 min of business hours"
    assert view.time_left_text(float("nan"), float("nan"), "wall") == "–"


def test_each_lead_links_to_its_record_when_a_template_is_configured(monkeypatch):
    monkeypatch.setenv(view.CRM_URL_SETTING, "https://app.hubspot.com/contacts/42/record/0-1/{lead_id}")
    shown = view.queue_for_people(waiting(), view.crm_lead_url())
    assert shown.columns[0] == "Record"
    assert shown["Record"].tolist() == [
        "https://app.hubspot.com/contacts/42/record/0-1/L1",
        "https://app.hubspot.com/contacts/42/record/0-1/L%202%2Fx",  # an id cannot reach past its place
    ]
    breaches = pd.DataFrame({"policy_name": ["Fast", "Target"], "lead_id": ["L1", None]})
    linked = view.with_record_links(breaches, breaches["lead_id"], view.crm_lead_url())
    assert linked["Record"][0] == "https://app.hubspot.com/contacts/42/record/0-1/L1"
    assert pd.isna(linked["Record"][1])  # a month's target has no lead to open


@pytest.mark.parametrize("template", ["", "javascript:alert(1)//{lead_id}", "https://crm.example/leads"])
def test_no_links_without_a_web_address_that_names_the_lead(monkeypatch, template):
    monkeypatch.setenv(view.CRM_URL_SETTING, template)
    assert view.crm_lead_url() is None
    assert "Record" not in view.queue_for_people(waiting(), view.crm_lead_url()).columns


def test_the_compliance_trend_is_one_panel_per_policy_with_its_goal():
    policies = load_policies()  # data/sla_policies.toml: five policies, two teams
    months = pd.to_datetime(["2026-04-01", "2026-05-01"])
    trend = pd.DataFrame(
        [
            {"policy_id": p.id, "period_start": m, "compliance_rate": rate}
            for p in policies.policies
            for m, rate in zip(months, (0.5, 1.0), strict=True)
        ]
    )
    figure = view.trend_chart(trend, policies)
    assert len(figure.data) == len(policies.policies) == 5
    # Each policy in its own panel (axes x, x2 … x5), in its owning team's colour, 0–100 %.
    assert [t.xaxis for t in figure.data] == ["x", "x2", "x3", "x4", "x5"]
    assert [t.line.color for t in figure.data] == [TEAM_COLORS[p.owner_team] for p in policies.policies]
    assert list(figure.data[0].y) == [50.0, 100.0]
    goals = [s.y0 for s in figure.layout.shapes]
    assert goals == [p.goal_pct for p in policies.policies]
    titles = {a.text for a in figure.layout.annotations}
    assert all(f"{p.name} ({p.owner_team.capitalize()})" in titles for p in policies.policies)
