"""The Explore page in AppTest: pivot, drill-down and the SQL console, on the demo company."""

from tests.app.conftest import no_exception, read, said

LEADS = "Leads created in the period"


def table(at, index=0):
    return at.dataframe[index].value


def test_the_pivot_renders_a_chart_and_a_table_by_channel(app):
    at = app("explore")
    no_exception(at)
    assert at.title[0].value == "Explore"
    assert at.selectbox(key="explore_dim1").value == "channel"
    shown = table(at)
    # Each header is the registry's label, its basis included: the default mode is the cohort.
    assert shown.columns.tolist() == [
        "Channel",
        LEADS,
        "MQLs from the period's leads",
        "MQL → SAL (the handoff) from the period's leads (%)",
        "Pipeline created in the period (USD)",
        "Bookings in the period (USD)",
    ]
    assert len(shown) == 11 and shown[LEADS].sum() > 0
    assert len(at.get("plotly_chart")) == 1
    assert "Select rows or cells" in said(at, "caption")


def test_choices_come_from_the_url_and_change_the_numbers(app):
    at = app(
        "explore", period="Last year", explore_dim1="(nothing)", explore_measures=["Leads created", "SALs"]
    )
    no_exception(at)
    tiles = {m.label: m.value for m in at.metric}
    assert set(tiles) == {f":orange[■] {LEADS}", ":blue[■] SALs from the period's leads"}
    assert at.selectbox(key="explore_dim1").value == "none"
    # Period mode counts SAL entries in the window instead of the cohort's SALs: another number, and the
    # label says which.
    at.segmented_control(key="explore_mode").set_value("period").run()
    no_exception(at)
    period = {m.label: m.value for m in at.metric}
    assert period[f":orange[■] {LEADS}"] == tiles[f":orange[■] {LEADS}"]  # both: leads created in the window
    assert period[":blue[■] SALs in the period"] != tiles[":blue[■] SALs from the period's leads"]


def test_a_second_dimension_and_the_chart_measure(app):
    at = app(
        "explore",
        explore_dim1="Segment",
        explore_dim2="Region",
        explore_measures=["Leads", "Win rate"],
        explore_chart="Win rate",
    )
    no_exception(at)
    shown = table(at)
    assert shown.columns.tolist()[:2] == ["Segment", "Region"]
    assert len(shown) == 12  # 4 segments × 3 regions
    assert shown["Win rate in the period (%)"].dropna().between(0, 100).all()
    figure = at.get("plotly_chart")[0].proto.spec
    assert "heatmap" in figure and "Win rate in the period by segment and region" in figure


def test_the_follow_up_sla_is_the_sla_page_s(app):
    at = app("explore", explore_dim1="Region", explore_measures=["Follow-up SLA"])
    no_exception(at)
    shown = table(at)
    assert shown.columns.tolist() == ["Region", "Follow-up SLA in the period (%)"]
    assert shown["Follow-up SLA in the period (%)"].between(0, 100).all()
    captions = said(at, "caption")
    assert "Follow-up SLA, as the SLA page measures it: First sales touch within 1 business h" in captions


def test_nothing_in_the_window_says_so(app):
    at = app("explore", period="Custom", start="2030-01-01", end="2030-01-31")
    no_exception(at)
    assert "No leads match these filters" in at.info[0].value
    assert not at.dataframe


def test_selecting_a_row_lists_its_records(app):
    at = app("explore")
    channel = table(at)["Channel"].iloc[0]
    leads_in_cell = int(table(at)[LEADS].iloc[0])
    at.session_state["explore_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    no_exception(at)
    records = table(at, 1)
    # Headers and codes in words, as the pivot above shows them.
    assert "Lead ID" in records.columns and len(records) >= leads_in_cell
    assert set(records["Channel"]) == {channel}
    at.segmented_control(key="explore_records").set_value("deals").run()
    deals = table(at, 1)
    assert "Deal ID" in deals.columns and set(deals["Channel"]) == {channel}
    captions = said(at, "caption")
    assert "deals behind 1 selected row(s)" in captions


def test_the_console_runs_a_read_and_shows_the_time(app):
    at = app("explore", explore_view="SQL console", explore_sql="select count(*) as lead_count from leads")
    no_exception(at)
    at.button(key="explore_run").click().run()
    no_exception(at)
    assert table(at)["lead_count"].tolist() == [4000]
    assert any(c.value.startswith("1 row in ") for c in at.caption)
    expanders = [e.label for e in at.expander]
    assert "leads · canonical" in expanders and "lead_milestones · derived" in expanders


def console_runs(monkeypatch):
    """Count the statements the console actually runs (its worker processes)."""
    from handoff import db

    runs, real = [], db.execute_limited
    monkeypatch.setattr(db, "execute_limited", lambda sql, **kwargs: runs.append(sql) or real(sql, **kwargs))
    return runs


def test_a_statement_from_a_link_is_shown_but_waits_for_run(app, monkeypatch):
    runs = console_runs(monkeypatch)
    statement = "select count(*) as n from leads, range(1000000000000)"  # a runaway, if it ran on opening
    at = app("explore", explore_view="SQL console", explore_sql=statement)
    no_exception(at)
    assert at.text_area(key="explore_sql").value == statement
    assert runs == [] and not at.error
    assert "Press Run" in at.info[0].value
    assert len(at.dataframe) == len(at.expander)  # only the schema tables: no result
    at.text_area(key="explore_sql").input("select count(*) as n from leads")
    at.button(key="explore_run").click().run()
    no_exception(at)
    assert runs == ["select count(*) as n from leads"]
    assert [d.value for d in at.dataframe if list(d.value.columns) == ["n"]][0]["n"].tolist() == [4000]


def test_a_small_result_is_kept_between_reruns_and_a_large_one_is_not(app, monkeypatch):
    from handoff import console

    runs = console_runs(monkeypatch)
    at = app("explore", explore_view="SQL console", explore_sql="select * from range(3)")
    at.button(key="explore_run").click().run()
    at.segmented_control(key="explore_view").set_value("pivot").run()
    at.segmented_control(key="explore_view").set_value("console").run()
    no_exception(at)
    assert len(runs) == 1 and table(at)["range"].tolist() == [0, 1, 2]  # shown again, not run again
    monkeypatch.setattr(console, "MAX_KEPT_BYTES", 10)
    at.button(key="explore_run").click().run()
    assert table(at)["range"].tolist() == [0, 1, 2]  # shown once
    assert at.session_state["explore_console_last"] == ("select * from range(3)", None)
    at.segmented_control(key="explore_view").set_value("pivot").run()
    at.segmented_control(key="explore_view").set_value("console").run()
    assert len(runs) == 2 and "its result was too large to keep" in at.info[0].value


def test_the_console_refuses_with_a_reason(app):
    at = app("explore", explore_view="SQL console", explore_sql="drop table leads")
    no_exception(at)
    assert read(at.error[0].value).startswith("refused: DROP changes the schema")


def test_an_example_fills_the_editor(app):
    at = app("explore", explore_view="SQL console")
    no_exception(at)
    assert not at.error and len(at.dataframe) == len(at.expander)  # only the schema tables so far
    at.button(key="explore_example_Leads by channel").click().run()
    no_exception(at)
    assert at.text_area(key="explore_sql").value.startswith("select channel, count(*) as lead_count")
    assert "lead_to_mql_rate" in table(at).columns
