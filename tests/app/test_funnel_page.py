"""The Funnel page in AppTest: both modes, every breakdown, the drill-down and the empty case."""

import pytest

from handoff import metrics as registry
from tests.app.conftest import no_exception, tile

LEADS = registry.label("lead_count")


def metric(at, label: str) -> str:
    return tile(at, label)


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_renders_the_cohort_funnel_with_its_sentence_and_charts(app):
    at = app("funnel")
    no_exception(at)
    assert at.title[0].value == "Funnel"
    assert at.segmented_control(key="funnel_mode").value == "cohort"
    assert any("**Cohort funnel**" in m.value for m in at.markdown)
    assert int(metric(at, LEADS).replace(",", "")) > 0
    assert [m.help for m in at.metric] == [
        registry.help_text(i)
        for i in ("lead_count", "cohort_mql_to_sal_rate", "cohort_won_count", "cohort_lead_to_won_rate")
    ]
    # Funnel, small multiples, velocity, trend, Sankey.
    assert len(at.get("plotly_chart")) == 5
    assert "leads counted at Lead" in captions(at)


def test_switching_to_the_period_funnel_changes_the_numbers_and_the_sentence(app):
    at = app("funnel")
    cohort = (
        metric(at, registry.label("cohort_mql_to_sal_rate")),
        metric(at, registry.label("cohort_won_count")),
    )
    at.segmented_control(key="funnel_mode").set_value("period").run()
    no_exception(at)
    assert any("**Period funnel**" in m.value for m in at.markdown)
    # Another basis, another label: the period funnel's tiles say "in the period".
    period = metric(at, registry.label("mql_to_sal_rate")), metric(at, registry.label("won_lead_count"))
    assert period != cohort


def test_the_mode_comes_from_the_url(app):
    at = app("funnel", funnel_mode="Period")
    no_exception(at)
    assert at.segmented_control(key="funnel_mode").value == "period"


def test_every_breakdown_as_a_sortable_table(app):
    at = app("funnel")
    leads = int(metric(at, LEADS).replace(",", ""))
    at.segmented_control(key="funnel_view").set_value("Table")
    at.selectbox(key="funnel_sort").set_value("Lead → Won").run()
    for group_by in ["channel", "segment", "region", "company_size", "owner"]:
        at.selectbox(key="funnel_group_by").set_value(group_by).run()
        no_exception(at)
        table = at.dataframe[1].value  # after the stage table
        rates = table["Lead → Won"].dropna().tolist()
        assert len(table) > 1 and rates == sorted(rates, reverse=True), group_by
        assert table["Lead"].sum() == leads, group_by  # a breakdown adds up to the funnel


def test_the_drill_down_lists_the_leads_behind_a_stage(app):
    at = app("funnel")
    won = int(metric(at, registry.label("cohort_won_count")).replace(",", ""))
    at.selectbox(key="funnel_stage").set_value(6).run()
    no_exception(at)
    assert f"{won:,} leads counted at Won" in captions(at)
    assert len(at.dataframe[-1].value) == won


def test_the_drill_down_narrows_to_one_group(app):
    at = app("funnel")
    at.selectbox(key="funnel_group_by").set_value("segment").run()
    at.selectbox(key="funnel_group_value").set_value("enterprise").run()
    no_exception(at)
    assert set(at.dataframe[-1].value["Segment"]) == {"Enterprise"}


@pytest.mark.parametrize(
    "params",
    [
        {"period": "Custom", "start": "2030-01-01", "end": "2030-01-31"},
        {"period": "Custom", "start": "2030-01-01", "end": "2030-01-31", "funnel_mode": "Period"},
    ],
)
def test_no_data_is_a_friendly_message(app, params):
    at = app("funnel", **params)
    no_exception(at)
    assert "No leads match these filters" in at.info[0].value
    assert not at.get("plotly_chart") and not at.metric
