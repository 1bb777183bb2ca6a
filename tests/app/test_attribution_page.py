"""The Attribution page in AppTest: every section renders, the controls change the numbers, and a
selection without deals says so instead of failing."""

import pytest

from handoff import metrics as registry
from tests.app.conftest import no_exception, read, tile

BOOKINGS, PIPELINE = registry.label("bookings_usd"), registry.label("pipeline_created_usd")
MARKETING_SHARE = registry.label("marketing_credit_share_rate")


def metric(at, label: str) -> str:
    return tile(at, label)


def test_renders_every_section_with_explained_numbers(app):
    at = app("attribution", period="Last year")
    no_exception(at)
    assert at.title[0].value == "Attribution"
    assert [t.label for t in at.tabs] == [
        "Model comparison",
        "Deal receipt",
        "Sourced vs influenced",
        "Leakage without blame",
    ]
    assert metric(at, BOOKINGS).startswith("$")
    assert all(m.help for m in at.metric)  # every number says how it is computed
    claims = " ".join(m.value for m in at.markdown)
    assert "**Marketing** earns" in claims and "under every multi-touch model" in claims
    assert "counting the single-touch models, it ranges from" in claims
    # The tiles quote the multi-touch range and name the single-touch bounds beneath.
    assert any(
        read(c.value).startswith("Every multi-touch model; with first and last touch:") for c in at.caption
    )
    # Range chart, receipt chart, sourced chart, waterfall, grid, loss.
    assert len(at.get("plotly_chart")) == 6
    assert at.selectbox(key="attribution_deal").value is not None
    assert any("MQL → Won conversion went from" in m.value for m in at.markdown)


def test_all_time_has_nothing_to_compare_the_conversion_with(app):
    at = app("attribution", period="All time")
    no_exception(at)
    assert any("Pick a period with a start and an end" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 5


def test_switching_to_pipeline_changes_the_total_and_the_team_ranges(app):
    at = app("attribution", period="All time")
    revenue = metric(at, BOOKINGS), metric(at, MARKETING_SHARE)
    at.segmented_control(key="attribution_basis").set_value("pipeline").run()
    no_exception(at)
    assert (metric(at, PIPELINE), metric(at, MARKETING_SHARE)) != revenue


def test_level_and_unit_come_from_the_url(app):
    at = app("attribution", period="All time", attribution_level="Team", attribution_unit="USD")
    no_exception(at)
    assert at.segmented_control(key="attribution_level").value == "team"
    table = at.dataframe[0].value
    assert set(table["Team"].iloc[:-1]) <= {"Marketing", "Sales", "Unattributed"}  # the team codes in words
    # The last row totals each model's credit: every model shares out the same bookings.
    assert table["Name"].iloc[-1] == "Total"
    assert table["Linear $"].iloc[-1] == pytest.approx(table["Linear $"].iloc[:-1].sum(), abs=1)
    assert table["Linear $"].iloc[-1] == pytest.approx(table["First touch $"].iloc[-1], abs=1)
    shares = app("attribution", period="All time", attribution_level="Channel").dataframe[0].value
    # Shares summed before rounding: every model's total reads 100 %, not 99.9 % or 100.1 %.
    assert set(shares.iloc[-1].drop(["Name", "Team", "Lowest %", "Highest %"])) == {100.0}
    assert "Linear $" in table.columns


def test_a_thin_window_warns_about_markov_and_shapley(app):
    at = app("attribution", period="Custom", start="2026-06-01", end="2026-06-07")
    no_exception(at)
    assert any("Markov and Shapley rest on only" in w.value for w in at.warning)


def test_no_deals_in_the_window_is_a_message_not_an_error(app):
    at = app("attribution", period="Custom", start="2030-01-01", end="2030-01-31")
    no_exception(at)
    assert any("No deals match these filters" in i.value for i in at.info)
    assert not at.get("plotly_chart")
