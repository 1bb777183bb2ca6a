"""The Campaigns page in AppTest on the demo company."""

import pytest

from handoff import campaigns
from handoff import metrics as registry
from tests.app.conftest import no_exception, tile

CREDITED = registry.label("attributed_revenue_usd")


def metric(at, label):
    return tile(at, label)


def test_campaign_performance_with_totals_and_a_detail(app):
    at = app("campaigns", period="Last quarter")
    no_exception(at)
    assert [m.label.split("] ", 1)[-1] for m in at.metric] == [
        registry.label(metric_id) for metric_id, _ in campaigns.HEADLINE
    ]
    assert [m.help for m in at.metric] == [
        registry.help_text(metric_id) for metric_id, _ in campaigns.HEADLINE
    ]
    assert len(at.dataframe) >= 2  # per campaign, per channel (and the detail's reasons)
    assert any("the Overview's figures" in c.value for c in at.caption)
    assert at.selectbox(key="campaigns_detail").value is not None


def test_the_attribution_model_changes_credited_revenue(app):
    first = metric(app("campaigns", period="Last quarter", campaigns_model="first_touch"), CREDITED)
    last = metric(app("campaigns", period="Last quarter", campaigns_model="last_touch"), CREDITED)
    assert first != last  # last touches are mostly sales meetings, first touches marketing campaigns


def test_cac_matches_the_overview(app):
    overview = app("overview", period="Last quarter")
    campaigns = app("campaigns", period="Last quarter")
    assert metric(campaigns, registry.label("cac_usd")) == tile(overview, registry.label("cac_usd"))


def test_no_campaigns_in_an_empty_window(app):
    at = app("campaigns", period="Custom", start="2030-01-01", end="2030-01-31")
    no_exception(at)
    assert "No campaigns match these filters" in at.info[0].value


def test_tables_show_channels_and_teams_as_people_read_them(app):
    at = app("campaigns", period="Last quarter")
    no_exception(at)
    by_campaign = next(df.value for df in at.dataframe if "Campaign" in df.value.columns)
    channels, teams = set(by_campaign["Channel"].dropna()), set(by_campaign["Owner team"].dropna())
    assert {"Paid search", "Outbound SDR", "Direct mail"} <= channels  # the demo's codes paid_search, …
    assert not {c for c in channels if "_" in c} and teams <= {"Marketing", "Sales", ""}
    # The last row totals the table: its cost is the sum of the campaigns' costs.
    total = by_campaign.iloc[-1]
    assert total["Campaign"] == "Total" and total["Channel"] == ""
    cost = registry.get("campaign_cost_usd").full_label
    assert total[cost] == pytest.approx(by_campaign[cost].iloc[:-1].sum())
