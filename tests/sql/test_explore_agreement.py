"""The pivot's numbers agree with the Funnel, Overview and SLA pages for the same filters.

Three references, on the demo company: the Funnel's `funnel__stage_counts` (cohort and period, whole
and grouped), the Overview's `overview__kpis` (money, win rate, speed to lead) and the SLA page's
`sla__compliance` (the follow-up policy's met, breached and pending). The pivot's totals against
DESIGN.md's definitions are worked out by hand in test_explore_pivot.py.
"""

import datetime as dt

import pandas as pd
import pytest

from handoff import db
from handoff import pivot as explore  # registers explore__pivot_sla
from handoff.filters import Filters

STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]
COUNTS = [f"{stage}_count" for stage in STAGES]
FILTER_SETS = {
    "last quarter": Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
    "last year": Filters(start=dt.date(2025, 1, 1), end=dt.date(2026, 1, 1)),
    "all time": Filters(),
    "smb this year": Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1), segments=("smb",)),
    "webinar and events in NA": Filters(
        start=dt.date(2025, 7, 1), end=dt.date(2026, 7, 1), channels=("webinar", "events"), regions=("NA",)
    ),
    "sales-sourced": Filters(start=dt.date(2025, 10, 1), end=dt.date(2026, 4, 1), teams=("sales",)),
}


def total(demo_db, filters, **params) -> pd.Series:
    frame = db.run_query("explore__pivot", filters, db=demo_db, dim1="none", **params)
    assert len(frame) == 1
    return frame.iloc[0]


def _funnel_available() -> bool:
    return "funnel__stage_counts" in db.list_queries()


@pytest.mark.skipif(not _funnel_available(), reason="the Funnel's funnel__stage_counts is not there yet")
@pytest.mark.parametrize("mode", ["cohort", "period"])
@pytest.mark.parametrize("name", FILTER_SETS)
def test_the_pivot_agrees_with_the_funnel_page(demo_db, name, mode):
    filters = FILTER_SETS[name]
    funnel = db.run_query("funnel__stage_counts", filters, db=demo_db, mode=mode).sort_values("stage_order")
    assert total(demo_db, filters, mode=mode)[COUNTS].tolist() == funnel["reached_count"].tolist()


@pytest.mark.skipif(not _funnel_available(), reason="the Funnel's funnel__stage_counts is not there yet")
@pytest.mark.parametrize("dimension", ["channel", "segment", "region", "company_size", "owner"])
def test_the_pivot_agrees_with_the_funnel_breakdowns(demo_db, dimension):
    filters = FILTER_SETS["last year"]
    funnel = db.run_query("funnel__stage_counts", filters, db=demo_db, group_by=dimension)
    wide = funnel.pivot_table(index="group_value", columns="stage_order", values="reached_count")
    pivot = db.run_query("explore__pivot", filters, db=demo_db, dim1=dimension)
    cohort = pivot[pivot["lead_count"] > 0].set_index("dim1_value")
    # The funnel marks a missing company size or owner as '(none)'; the pivot keeps the value '' and
    # says '(none)'/'(unassigned)' in its label.
    cohort.index = [value or "(none)" for value in cohort.index]
    assert sorted(cohort.index) == sorted(wide.index)
    for value in wide.index:
        assert cohort.loc[value, COUNTS].tolist() == wide.loc[value].tolist(), value


def _overview_available() -> bool:
    return "overview__kpis" in db.list_queries()


@pytest.mark.skipif(not _overview_available(), reason="the Overview's overview__kpis is not there yet")
@pytest.mark.parametrize("name", FILTER_SETS)
def test_the_pivot_agrees_with_the_overview_page(demo_db, name):
    filters = FILTER_SETS[name]
    kpis = db.run_query("overview__kpis", filters, db=demo_db).iloc[0]
    got = total(demo_db, filters)
    assert got["pipeline_usd"] == pytest.approx(kpis["pipeline_created_usd"])
    assert got["bookings_usd"] == pytest.approx(kpis["bookings_usd"])
    assert (got["deals_won_count"], got["deals_lost_count"]) == (kpis["won_count"], kpis["lost_count"])
    assert got["win_rate"] == pytest.approx(kpis["win_rate"], nan_ok=True)
    assert got["median_speed_to_lead_hours"] == pytest.approx(kpis["median_speed_to_lead_hours"], nan_ok=True)


def _sla_available() -> bool:
    return "sla__compliance" in db.list_queries()


@pytest.mark.skipif(not _sla_available(), reason="the SLA page's sla__compliance is not there yet")
@pytest.mark.parametrize("name", FILTER_SETS)
def test_the_pivot_agrees_with_the_sla_page(demo_db, name):
    filters = FILTER_SETS[name]
    compliance = db.run_query("sla__compliance", filters, db=demo_db)
    follow_up = compliance[compliance["policy_id"] == "follow_up"]
    expected = follow_up[["met_count", "breached_count", "pending_count"]].sum().tolist()
    cells = db.run_query("explore__pivot_sla", filters, db=demo_db, dim1="none")
    got = cells[["sla_met_count", "sla_breached_count", "sla_pending_count"]].sum().tolist()
    assert got == expected
    # Every MQL of the window is judged: the SLA covers exactly the pivot's MQLs of the window.
    whole = explore.with_sla(db.run_query("explore__pivot", filters, db=demo_db, dim1="none"), cells)
    assert sum(got) == whole["window_mql_count"].sum()
