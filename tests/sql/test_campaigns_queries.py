"""Campaign queries on the Overview's hand-made company (see test_overview_queries for the rows)."""

import datetime as dt

import pandas as pd
import pytest

from handoff import campaigns, db
from handoff.filters import Filters
from tests.fixtures import ts, write_db
from tests.sql.test_overview_queries import CAMPAIGNS, DEALS, FEBRUARY, LEADS, PEOPLE, TARGETS, TOUCHES


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    return write_db(
        tmp_path_factory.mktemp("campaigns") / "company.duckdb",
        {
            "people": PEOPLE,
            "campaigns": CAMPAIGNS,
            "leads": LEADS,
            "touches": TOUCHES,
            "deals": DEALS,
            "targets": TARGETS,
        },
    )


def test_february_per_campaign(company):
    rows = db.run_query("campaigns__performance", FEBRUARY, db=company).set_index("campaign_id")
    # C1: 28 days × $10; L2 created and MQL'd in Feb; D1 (its lead L1) won in Feb.
    assert rows.loc[
        "C1", ["cost_usd", "lead_count", "mql_count", "sal_count", "pipeline_usd", "won_count"]
    ].tolist() == [280, 1, 1, 0, 0, 1]
    # C2: all of its $280; L3 created and accepted in Feb; D2 ($500) created in Feb.
    assert rows.loc[
        "C2", ["cost_usd", "lead_count", "mql_count", "sal_count", "pipeline_usd", "won_count"]
    ].tolist() == [280, 1, 0, 1, 500, 0]
    # L0 has no campaign but nothing happened to it in February, so there is no such row.
    assert list(rows.index) == ["C1", "C2"]


def test_totals_reconcile_with_the_overview(company):
    for filters in (
        FEBRUARY,
        Filters(),
        Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 1), segments=["smb"]),
    ):
        perf = db.run_query("campaigns__performance", filters, db=company)
        kpis = db.run_query("overview__kpis", filters, db=company).iloc[0]
        assert perf["mql_count"].sum() == kpis["mql_count"]
        assert perf["sal_count"].sum() == kpis["sal_count"]
        assert perf["pipeline_usd"].sum() == kpis["pipeline_created_usd"]
        assert perf["won_count"].sum() == kpis["won_count"]
        assert perf["cost_usd"].sum() == pytest.approx(kpis["campaign_cost_usd"], abs=0.005)


def test_attributed_revenue_cac_and_roi(company):
    perf = db.run_query("campaigns__performance", FEBRUARY, db=company)
    credit = pd.DataFrame({"key": ["C1", "C2", "(no campaign)"], "credit_usd": [600.0, 100.0, 300.0]})
    table = campaigns.performance(perf, credit).set_index("campaign_id")
    # C1: (600 − 280) / 280; C2: (100 − 280) / 280; C1 won one deal for $280 of cost.
    assert table.loc["C1", "roi_rate"] == pytest.approx(320 / 280)
    assert table.loc["C2", "roi_rate"] == pytest.approx(-180 / 280)
    assert table.loc["C1", "cac_usd"] == 280 and pd.isna(table.loc["C2", "cac_usd"])
    assert table.loc["C1", "cost_per_mql_usd"] == 280 and pd.isna(table.loc["C2", "cost_per_mql_usd"])
    total = campaigns.totals(table.reset_index(), credit)
    # $560 over 1 MQL and 1 new customer; campaigns earned $700 of the $1,000 the model shared out.
    assert (total["cost_per_mql_usd"], total["cac_usd"]) == (560, 560)
    assert (total["campaign_revenue_usd"], total["attributed_revenue_usd"]) == (700, 1000)
    assert total["roi_rate"] == pytest.approx(140 / 560)
    channels = campaigns.by_channel(table.reset_index()).set_index("channel")
    assert (
        channels.loc["webinar", "attributed_revenue_usd"] == 600
        and channels.loc["outbound_sdr", "cost_usd"] == 280
    )


def test_spend_by_month(company):
    rows = db.run_query("campaigns__spend_by_month", FEBRUARY, db=company)
    got = {
        (r.month_start.date(), r.channel): (round(r.cost_usd, 2), r.lead_count, r.pipeline_usd)
        for r in rows.itertuples()
    }
    assert got == {
        (dt.date(2026, 2, 1), "outbound_sdr"): (280, 1, 500),  # C2, L3 and D2
        (dt.date(2026, 2, 1), "webinar"): (280, 1, 0),  # 28 days of C1, L2
    }


def test_rejection_reasons_say_what_sales_said(make_db):
    people = [{"person_id": "S1", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA"}]
    base = {"channel": "webinar", "sourced_by": "marketing", "segment": "smb", "region": "NA"}
    leads = [
        # Rejected at the handoff: an MQL never accepted.
        {
            "lead_id": "L5",
            "created_at": ts("2026-02-01 09:00"),
            "mql_at": ts("2026-02-02 09:00"),
            "disqualified_at": ts("2026-02-03 09:00"),
            "disqualify_reason": "not_a_fit",
            **base,
        },
        # Accepted, then disqualified after contact.
        {
            "lead_id": "L6",
            "created_at": ts("2026-02-01 09:00"),
            "mql_at": ts("2026-02-02 09:00"),
            "sal_at": ts("2026-02-02 12:00"),
            "disqualified_at": ts("2026-02-20 09:00"),
            "disqualify_reason": "timing",
            **base,
        },
        # Never an MQL: marketing's own cleanup, not sales' verdict.
        {
            "lead_id": "L7",
            "created_at": ts("2026-02-01 09:00"),
            "disqualified_at": ts("2026-02-01 10:00"),
            "disqualify_reason": "spam",
            **base,
        },
        # SDR-sourced: joined at SAL (never an MQL), then disqualified.
        {
            "lead_id": "L8",
            "created_at": ts("2026-02-01 09:00"),
            "sal_at": ts("2026-02-01 10:00"),
            "disqualified_at": ts("2026-02-10 09:00"),
            "disqualify_reason": "no_budget",
            **{**base, "sourced_by": "sales"},
        },
    ]
    rows = db.run_query("campaigns__rejection_reasons", db=make_db({"people": people, "leads": leads}))
    assert [(r.outcome, r.disqualify_reason, r.lead_count) for r in rows.itertuples()] == [
        ("rejected at handoff", "not_a_fit", 1),
        ("disqualified after acceptance", "no_budget", 1),
        ("disqualified after acceptance", "timing", 1),
    ]
    assert rows["share_rate"].tolist() == pytest.approx([1 / 3] * 3)
