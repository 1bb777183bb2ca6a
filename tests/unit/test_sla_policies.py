"""The SLA policy file: what it holds, how a mistake is reported, and the last good policies."""

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import sla
from handoff.cli import main
from handoff.sla import policy_file

COMMITTED = sla.POLICY_FILE.read_text()


def test_the_committed_file_holds_both_directions_of_the_agreement():
    policies = sla.load_policies()
    kinds = {p.kind: p for p in policies.policies}
    assert set(kinds) == {"follow_up", "acceptance_decision", "volume", "quality", "pipeline"}
    assert {p.owner_team for p in policies.policies if p.kind in sla.MQL_KINDS} == {"sales"}
    assert {p.owner_team for p in policies.policies if p.kind in sla.PERIOD_KINDS} == {"marketing"}
    # Tiers are kept highest score first; a lead without a score gets the last (min_score 0) tier.
    assert [(t.min_score, t.hours) for t in kinds["follow_up"].tiers] == [(80, 1.0), (0, 24.0)]
    assert kinds["follow_up"].threshold_hours([95, 80, 79, None]).tolist() == [1.0, 1.0, 24.0, 24.0]
    zones = {region: policies.clock.calendar(region).time_zone for region in ("NA", "EMEA", "APAC", "LATAM")}
    assert zones == {
        "NA": "America/New_York",
        "EMEA": "Europe/London",
        "APAC": "Asia/Singapore",
        "LATAM": "UTC",
    }
    assert dt.date(2026, 11, 26) in policies.clock.calendar("NA").holidays  # Thanksgiving
    assert dt.date(2026, 11, 26) not in policies.clock.calendar("EMEA").holidays


def test_policies_survive_their_own_text():
    policies = sla.load_policies()
    assert sla.parse_policies(policies.to_text()) == policies


# Each edit of the committed file, and the message it must give (key and problem).
MISTAKES = [
    (
        ("{ min_score = 80, hours = 1 }", "{ min_score = 80, hours = one }"),
        r"not valid TOML at line \d+ \(key 'hours' in \[\[policies\]\]\): Invalid value",
    ),
    (("days = 3\n", "days 3\n"), r"not valid TOML at line \d+ \(key 'days' in \[\[policies\]\]\)"),
    (
        ("days = 3\n", 'days = "three"\n'),
        r"policies\[1\] \(acceptance_decision\)\.days: must be a number, got 'three'$",
    ),
    (
        ("days = 3\n", "days = 0\n"),
        r"policies\[1\] \(acceptance_decision\)\.days: must be more than 0, got 0$",
    ),
    (
        ("days = 3\n", "days = 3\ntreshold = 3\n"),
        r"policies\[1\] \(acceptance_decision\): unknown key 'treshold' \(expected one of: .*days.*\)$",
    ),
    (
        ("{ min_score = 0, hours = 24 }", "{ min_score = 10, hours = 24 }"),
        r"policies\[0\] \(follow_up\)\.tiers: needs a tier with min_score = 0",
    ),
    (
        ("{ min_score = 80, hours = 1 }", "{ min_score = 80, hours = -1 }"),
        r"policies\[0\] \(follow_up\)\.tiers\[0\]\.hours: must be more than 0, got -1$",
    ),
    (
        ("{ min_score = 80, hours = 1 }", "{ min_score = 180, hours = 1 }"),
        r"policies\[0\] \(follow_up\)\.tiers\[0\]\.min_score: must be at most 100, got 180$",
    ),
    (
        ('id = "acceptance_decision"', 'id = "follow_up"'),
        r"policies\[1\]\.id: 'follow_up' is used by an earlier policy; ids must be unique$",
    ),
    (('id = "follow_up"', 'id = "Follow up"'), r"policies\[0\]\.id: must be lower-case letters"),
    (
        ('owner_team = "sales"\nkind = "follow_up"', 'owner_team = "finance"\nkind = "follow_up"'),
        r"policies\[0\] \(follow_up\)\.owner_team: must be one of 'sales', 'marketing', got 'finance'$",
    ),
    (('kind = "quality"', 'kind = "happiness"'), r"policies\[3\] \(mql_quality\)\.kind: must be one of"),
    (
        ("min_acceptance_pct = 75", "min_acceptance_pct = 175"),
        r"policies\[3\] \(mql_quality\)\.min_acceptance_pct: must be at most 100, got 175$",
    ),
    (
        ('time_zone = "America/New_York"', 'time_zone = "America/Gotham"'),
        r"regions\.NA\.time_zone: is not a time zone the tz database knows .*got 'America/Gotham'$",
    ),
    (
        ('closes = "17:00"', 'closes = "08:00"'),
        r"business_hours\.closes: must be after opens \(09:00\), got 08:00$",
    ),
    (
        ('opens = "09:00"', 'opens = "9 am"'),
        r"business_hours\.opens: must be a time of day like \"09:00\", got '9 am'$",
    ),
    (
        ('days = ["mon", "tue", "wed", "thu", "fri"]', 'days = ["mon", "tuesday"]'),
        r"business_hours\.days\[1\]: must be one of mon, tue",
    ),
    (
        ("2024-01-01, 2024-05-27", '"2024-02-30", 2024-05-27'),
        r"regions\.NA\.holidays\[0\]: must be a date like 2026-12-25, got '2024-02-30'$",
    ),
    (
        ("[scorecard]", "[scorecards]"),
        r"unknown key 'scorecards' \(expected one of: business_hours, policies, ",
    ),
    (
        ("amber_points = 10", "amber_points = true"),
        r"scorecard\.amber_points: must be a number, got bool True$",
    ),
    (
        (
            'per_segment = true\nmin_attainment_pct = 95\ngoal_pct = 80\n\n[[policies]]\nid = "mql_quality"',
            'per_segment = "yes"\nmin_attainment_pct = 95\ngoal_pct = 80\n\n[[policies]]\nid = "mql_quality"',
        ),
        r"policies\[2\] \(mql_volume\)\.per_segment: must be true or false, got 'yes'$",
    ),
    (
        ('metric = "mqls"', 'metric = "leads"'),
        r"policies\[2\] \(mql_volume\)\.metric: must be one of 'mqls', 'sals', 'sqls'",
    ),
]


@pytest.mark.parametrize(("edit", "message"), MISTAKES, ids=[m[1][:40] for m in MISTAKES])
def test_a_mistake_names_the_key_and_the_problem(edit, message):
    old, new = edit
    assert old in COMMITTED, "the test edits a line the committed file must have"
    with pytest.raises(sla.PolicyError) as raised:
        sla.parse_policies(COMMITTED.replace(old, new, 1), "data/sla_policies.toml")
    text = str(raised.value)
    assert text.startswith("data/sla_policies.toml: ") and "\n" not in text
    assert re.search(message, text), text


def test_no_policies_at_all():
    with pytest.raises(sla.PolicyError, match=r"^x: policies: is missing$"):
        sla.parse_policies("[scorecard]\namber_points = 5\n", "x")
    with pytest.raises(sla.PolicyError, match=r"policies: must be a non-empty list"):
        sla.parse_policies("policies = []\n", "x")


def test_the_last_good_policies_stay_in_use_when_the_file_breaks(tmp_path):
    path = tmp_path / "sla_policies.toml"
    path.write_text(COMMITTED)
    first = sla.load_policies_or_last_good(path)
    assert first.error is None and first.source == "file"
    path.write_text(COMMITTED.replace("days = 3\n", "days = -3\n"))
    broken = sla.load_policies_or_last_good(path)
    assert broken.policies == first.policies
    assert broken.error.endswith("policies[1] (acceptance_decision).days: must be more than 0, got -3")
    assert broken.source.startswith("last good policies, loaded at ")
    with pytest.raises(sla.PolicyError):
        sla.load_policies(path)
    # Fixed again: the new file is used (and becomes the last good one).
    path.write_text(COMMITTED.replace("days = 3\n", "days = 4\n"))
    fixed = sla.load_policies_or_last_good(path)
    assert fixed.error is None and fixed.policies.get("acceptance_decision").days == 4


def test_a_file_that_never_loaded_falls_back_to_the_built_in_defaults(tmp_path):
    path = tmp_path / "never-good.toml"
    path.write_text("this is not = = toml")
    load = sla.load_policies_or_last_good(path)
    assert load.source == "built-in defaults" and "not valid TOML" in load.error
    assert [p.kind for p in load.policies.policies] == list(sla.KINDS)
    missing = sla.load_policies_or_last_good(tmp_path / "absent.toml")
    assert missing.error.endswith("absent.toml: no such policy file")


def test_the_cli_reports_a_broken_policy_file_in_one_line(tmp_path, monkeypatch, capsys, demo_db):
    bad = tmp_path / "sla_policies.toml"
    bad.write_text(COMMITTED.replace("goal_pct = 95", "goal_pct = 195"))
    monkeypatch.setattr(policy_file, "POLICY_FILE", bad)
    assert (
        main(
            [
                "query",
                "sla__compliance",
                "--db",
                str(demo_db),
                "--param",
                "start=2026-04-01",
                "--param",
                "end=2026-04-02",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err == f"error: {bad}: policies[1] (acceptance_decision).goal_pct: must be at most 100, got 195\n"


# --- The colour rule, the rule text, the what-if ------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "status"),
    [
        (0.95, "green"),
        (0.90, "green"),
        (0.85, "amber"),
        (0.80, "amber"),
        (0.7999, "red"),
        (0.0, "red"),
        (None, "no data"),
        (float("nan"), "no data"),
    ],
)
def test_one_colour_rule_for_both_teams(rate, status):
    policies = sla.load_policies()  # amber_points = 10
    assert policies.status(rate, 0.90) == status


def test_rules_in_words():
    policies = sla.load_policies()
    assert [sla.describe_rule(p) for p in policies.policies] == [
        "First sales touch within 1 business h (score ≥ 80), 24 business h (others)",
        "Accepted or rejected with a reason within 3 days",
        "Monthly MQLs ≥ 95 % of the marketing target (total and each segment with a target)",
        "Monthly MQL acceptance ≥ 75 % of decided MQLs (judged 7 days after the month)",
        "Monthly marketing-sourced pipeline created ≥ 95 % of the marketing target (total and each segment "
        "with a target)",
    ]


def test_what_if_thresholds_change_only_what_was_edited():
    policies = sla.load_policies()
    thresholds = {t.key: t for t in sla.editable_thresholds(policies)}
    assert list(thresholds) == [
        "sla_follow_up_tier_0_hours",
        "sla_follow_up_tier_1_hours",
        "sla_follow_up_clock",
        "sla_acceptance_decision_days",
        "sla_mql_volume_min_attainment_pct",
        "sla_mql_quality_min_acceptance_pct",
        "sla_sourced_pipeline_min_attainment_pct",
    ]
    assert thresholds["sla_follow_up_tier_0_hours"].value == 1.0
    assert sla.apply_thresholds(policies, {t.key: t.value for t in thresholds.values()}) == policies
    edited = sla.apply_thresholds(
        policies,
        {
            "sla_follow_up_tier_1_hours": 8,
            "sla_follow_up_clock": "wall",
            "sla_mql_quality_min_acceptance_pct": 90,
        },
    )
    assert [(t.min_score, t.hours) for t in edited.get("follow_up").tiers] == [(80, 1.0), (0, 8.0)]
    assert edited.get("follow_up").clock == "wall"
    assert edited.get("mql_quality").min_acceptance_rate == pytest.approx(0.9)
    assert edited.get("acceptance_decision") == policies.get("acceptance_decision")


@settings(max_examples=50, deadline=None)
@given(
    hours=st.floats(0.05, 720),
    days=st.floats(0.1, 90),
    pct=st.floats(0, 100),
    clock=st.sampled_from(sla.CLOCKS),
)
def test_any_what_if_survives_the_trip_through_a_query_parameter(hours, days, pct, clock):
    edited = sla.apply_thresholds(
        sla.load_policies(),
        {
            "sla_follow_up_tier_0_hours": hours,
            "sla_follow_up_clock": clock,
            "sla_acceptance_decision_days": days,
            "sla_mql_quality_min_acceptance_pct": pct,
        },
    )
    assert sla.parse_policies(edited.to_text()) == edited


def test_a_misspelt_key_gets_a_suggestion():
    with pytest.raises(sla.PolicyError) as raised:
        sla.parse_policies(COMMITTED.replace("settle_days = 7", "setle_days = 7"), "data/sla_policies.toml")
    assert str(raised.value) == (
        "data/sla_policies.toml: policies[3] (mql_quality): unknown key 'setle_days' (expected one of: goal_pct, "
        "id, kind, min_acceptance_pct, name, owner_team, settle_days; did you mean 'settle_days'?)"
    )
