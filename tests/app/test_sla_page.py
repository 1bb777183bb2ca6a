"""The SLA page in AppTest on the demo company (as of 30 June 2026; last quarter = Q1 2026)."""

from handoff import metrics, sla
from handoff.sla import policy_file
from handoff.sla import view as sla_view
from tests.app.conftest import no_exception, read

POLICY_NAMES = [
    "Follow up every MQL fast",
    "Accept or reject every MQL",
    "Deliver the MQL target",
    "Send MQLs sales accepts",
    "Source the pipeline target",
]


def tiles(at):
    """Scorecard tiles by policy name (the rest by their registry label), without the owner's mark."""
    suffix = f" · {metrics.label('policy_compliance_rate').lower()}"
    return {m.label.split("] ", 1)[-1].removesuffix(suffix): m for m in at.metric}


def test_the_two_sided_scorecard_renders_with_definitions(app):
    at = app("sla", period="Last quarter")
    no_exception(at)
    scorecard = tiles(at)
    assert [name for name in scorecard if name in POLICY_NAMES] == POLICY_NAMES
    for name in POLICY_NAMES:
        assert scorecard[name].value.endswith(" %"), (name, scorecard[name].value)
        assert scorecard[name].help.startswith(metrics.get("policy_compliance_rate").definition)
        assert "met / (met + breached)" in scorecard[name].help
    badges = " ".join(m.value for m in at.markdown)
    assert any(label in badges for label, _ in sla_view.STATUS_BADGES.values())
    assert [t.label for t in at.tabs] == [
        "Per rep",
        "Per channel or campaign",
        "Breaches",
        "Live queue",
        "Effect of speed",
    ]
    assert len(at.dataframe) >= 6  # trend, per rep, per source, breaches, queue, bands
    assert metrics.label("waiting_mql_count") in scorecard
    # What each card counts is said next to its headline.
    assert any("month × segment checks," in m.value for m in at.markdown)


def test_a_what_if_threshold_recomputes_compliance(app):
    at = app("sla", period="Last quarter")
    before = tiles(at)["Follow up every MQL fast"].value
    at.number_input(key="sla_follow_up_tier_1_hours").set_value(2.0).run()
    no_exception(at)
    after = tiles(at)["Follow up every MQL fast"].value
    # Two business hours instead of 24 for most leads: fewer follow-ups are on time.
    assert float(after.removesuffix(" %")) < float(before.removesuffix(" %"))
    assert any("What-if" in i.value for i in at.info)
    # The other side of the agreement is untouched.
    assert at.number_input(key="sla_acceptance_decision_days").value == 3.0


def test_the_speed_clock_control_changes_the_median(app):
    at = app("sla", period="Last quarter")
    business = tiles(at)[metrics.label("p90_speed_to_lead_business_hours")].value
    at.segmented_control(key="sla_speed_clock").set_value("wall").run()
    no_exception(at)
    wall = tiles(at)[metrics.label("p90_speed_to_lead_hours")].value
    assert "business" in business and "business" not in wall and wall != business
    # The label names the clock; a median of 0 business hours reads as answered before opening.
    assert metrics.label("median_speed_to_lead_hours") in tiles(at)


def test_no_data_when_the_filters_match_nothing(app):
    at = app("sla", period="Custom", start="2030-01-01", end="2030-01-31")
    no_exception(at)
    assert any("No MQLs or monthly targets match these filters" in i.value for i in at.info)
    assert not [m for m in at.metric if m.label in POLICY_NAMES]


def test_a_broken_policy_file_keeps_the_last_good_policies(app, tmp_path, monkeypatch):
    path = tmp_path / "sla_policies.toml"
    path.write_text(sla.POLICY_FILE.read_text().replace("days = 3\n", "days = 5\n"))
    monkeypatch.setattr(policy_file, "POLICY_FILE", path)
    sla.load_policies(path)  # the page loaded it once while it was good
    path.write_text(path.read_text().replace("days = 5\n", 'days = "five"\n'))
    at = app("sla", period="Last quarter")
    no_exception(at)
    warning = read(at.warning[0].value)
    assert "policies[1] (acceptance_decision).days: must be a number, got 'five'" in warning
    assert "last good policies" in warning
    # Still the last good threshold (5 days), not the committed file's 3 days.
    assert at.number_input(key="sla_acceptance_decision_days").value == 5.0
    assert tiles(at)["Accept or reject every MQL"].value.endswith(" %")


def test_the_queue_and_the_breaches_link_each_lead_to_the_crm(app, monkeypatch):
    monkeypatch.setenv("HANDOFF_CRM_LEAD_URL", "https://crm.example/lead/{lead_id}")
    at = app("sla")
    no_exception(at)
    tables = [df.value for df in at.dataframe if "Record" in df.value.columns]
    assert len(tables) == 2  # the breach list and the live queue
    for table in tables:
        leads = table["Lead"] if "Lead" in table.columns else table["Item"]
        linked = table["Record"].notna()
        assert linked.any()
        assert (table.loc[linked, "Record"] == "https://crm.example/lead/" + leads[linked]).all()
    queue = next(t for t in tables if "Time left" in t.columns)
    assert queue["Time left"].str.contains(r"\d+ (?:h \d\d )?min").all()
