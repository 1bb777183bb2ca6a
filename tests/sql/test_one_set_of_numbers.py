"""One set of numbers: the same filters and basis give the same figure on every page (hypothesis).

Generated companies (leads on both paths with any mix of stage timestamps, deals open, won or lost,
campaigns, touches and monthly targets) are queried through the named queries each page uses, for
windows of whole months and any segment, channel or sourcing filter:

- MQLs, SALs and SQLs in the period: the Overview's = the period funnel's = Explore's (period mode) =
  Campaigns' totals (MQLs, SALs) = the SLA volume policy's monthly actuals summed over the window;
- pipeline, bookings and won deals in the period: the Overview's = Campaigns' totals = Attribution's
  scope = Explore's;
- the cohort funnel (counts and conversions) = Explore's cohort measures, and the period funnel's
  conversions = Explore's period ones; the win rate = Explore's.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import db
from handoff.filters import Filters, add_months
from tests.fixtures import write_db

BASE = dt.datetime(2026, 1, 1)
SEGMENTS = ("smb", "enterprise")
CHANNELS = ("webinar", "outbound_sdr")
MONTHS = [add_months(BASE.date(), k) for k in range(7)]
STAGE_KEYS = ["lead_count", "mql_count", "sal_count", "sql_count", "opportunity_count", "won_count"]
RATE_KEYS = [
    "lead_to_mql_rate",
    "mql_to_sal_rate",
    "sal_to_sql_rate",
    "sql_to_opportunity_rate",
    "opportunity_to_won_rate",
]

maybe_hours = st.one_of(st.none(), st.integers(0, 24 * 40))
deal = st.fixed_dictionaries(
    {
        "created": st.integers(0, 24 * 60),
        "stage": st.sampled_from(["open", "won", "lost"]),
        "closed_after": st.integers(0, 24 * 60),
        "amount": st.integers(0, 50),
    }
)
lead = st.fixed_dictionaries(
    {
        "created": st.integers(0, 24 * 180),
        "segment": st.sampled_from(SEGMENTS),
        "channel": st.sampled_from(CHANNELS),
        "sourced_by": st.sampled_from(["marketing", "sales"]),
        "mql": maybe_hours,
        "sal": maybe_hours,
        "sql": maybe_hours,
        "deals": st.lists(deal, max_size=2),
        "touch_hours": st.lists(st.integers(0, 24 * 60), max_size=2),
    }
)
window = st.tuples(st.integers(0, 5), st.integers(1, 3)).map(
    lambda t: (MONTHS[t[0]], MONTHS[min(t[0] + t[1], len(MONTHS) - 1)])
)
filters = st.fixed_dictionaries(
    {
        "segments": st.one_of(st.none(), st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=1)),
        "channels": st.one_of(st.none(), st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=1)),
        "teams": st.one_of(st.none(), st.sampled_from([["marketing"], ["sales"]])),
    }
)


def _at(base: dt.datetime, hours: int | None) -> dt.datetime | None:
    return None if hours is None else base + dt.timedelta(hours=hours)


def _company(leads: list[dict]) -> dict:
    people = [{"person_id": "S1", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA"}]
    campaigns = [
        {
            "campaign_id": "C1",
            "name": "Webinars",
            "channel": "webinar",
            "owner_team": "marketing",
            "start_date": BASE.date(),
            "end_date": dt.date(2026, 6, 30),
            "cost": 1810,
        }
    ]
    rows, deals, touches = [], [], []
    for number, item in enumerate(leads):
        lead_id, created = f"L{number}", _at(BASE, item["created"])
        rows.append(
            {
                "lead_id": lead_id,
                "created_at": created,
                "channel": item["channel"],
                "source_campaign_id": "C1" if item["channel"] == "webinar" else None,
                "sourced_by": item["sourced_by"],
                "segment": item["segment"],
                "region": "NA",
                "owner_id": "S1",
                "mql_at": _at(created, item["mql"]),
                "sal_at": _at(created, item["sal"]),
                "sql_at": _at(created, item["sql"]),
            }
        )
        for index, d in enumerate(item["deals"]):
            opened = _at(created, d["created"])
            deals.append(
                {
                    "deal_id": f"{lead_id}-D{index}",
                    "lead_id": lead_id,
                    "created_at": opened,
                    "closed_at": None if d["stage"] == "open" else _at(opened, d["closed_after"]),
                    "stage": d["stage"],
                    "amount": 100 * d["amount"],
                    "owner_id": "S1",
                }
            )
        for index, hours in enumerate(item["touch_hours"]):
            team = "marketing" if index == 0 else "sales"
            touches.append(
                {
                    "touch_id": f"{lead_id}-T{index}",
                    "lead_id": lead_id,
                    "team": team,
                    "channel": item["channel"] if team == "marketing" else "direct_sales",
                    "campaign_id": "C1" if team == "marketing" and item["channel"] == "webinar" else None,
                    "kind": "email",
                    "touched_at": _at(created, hours),
                }
            )
    # A target for every month, team metric and segment, so the volume policy judges each of them.
    targets = [
        {"period_start": month, "team": team, "metric": metric, "segment": segment, "value": 10}
        for month in MONTHS
        for team, metric in (("marketing", "mqls"), ("sales", "sals"), ("sales", "sqls"))
        for segment in (None, *SEGMENTS)
    ]
    return {
        "people": people,
        "campaigns": campaigns,
        "leads": rows,
        "deals": deals,
        "touches": touches,
        "targets": targets,
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leads=st.lists(lead, max_size=14), scopes=st.lists(st.tuples(window, filters), min_size=1, max_size=3))
def test_the_same_filters_give_the_same_figure_on_every_page(leads, scopes):
    # One company, a few windows and filter sets over it (building a database is the slow part).
    with tempfile.TemporaryDirectory() as folder:
        path = write_db(Path(folder) / "company.duckdb", _company(leads))
        try:
            for (start, end), chosen in scopes:
                _check(
                    path,
                    Filters(start=start, end=end, **{k: tuple(v) if v else None for k, v in chosen.items()}),
                )
        finally:
            db.close_connections()


def _check(path: Path, scope: Filters) -> None:
    def run(name: str, **params):
        return db.run_query(name, scope, db=path, **params)

    kpis = run("overview__kpis").iloc[0]
    period = run("funnel__stage_counts", mode="period").set_index("stage")
    cohort = run("funnel__stage_counts", mode="cohort").set_index("stage")
    explore_period = _one_row(run("explore__pivot", dim1="none", mode="period"))
    explore_cohort = _one_row(run("explore__pivot", dim1="none", mode="cohort"))
    campaigns = run("campaigns__performance")
    revenue = run("attribution__scope_totals", basis="revenue").iloc[0]
    pipeline = run("attribution__scope_totals", basis="pipeline").iloc[0]

    # MQLs, SALs, SQLs in the period.
    for stage, column in (("MQL", "mql_count"), ("SAL", "sal_count"), ("SQL", "sql_count")):
        figure = int(kpis[column])
        assert figure == period.loc[stage, "reached_count"] == explore_period[column], stage
        if column in campaigns:
            assert figure == campaigns[column].sum(), stage
    # The volume policy's monthly actuals over the window's whole months: targets follow segments only.
    if scope.channels is None and scope.teams is None:
        actuals = run("sla__target_attainment")
        for metric, column in (("mqls", "mql_count"), ("sals", "sal_count"), ("sqls", "sql_count")):
            rows = actuals[actuals["metric"] == metric]
            rows = rows[rows["segment"].isna()] if scope.segments is None else rows
            assert rows["actual_value"].sum() == kpis[column], metric

    # Money and deals in the period.
    assert kpis["bookings_usd"] == pytest.approx(campaigns["sourced_bookings_usd"].sum())
    assert (
        kpis["bookings_usd"]
        == pytest.approx(revenue["total_usd"])
        == pytest.approx(explore_period["bookings_usd"])
    )
    assert (
        kpis["won_count"]
        == campaigns["won_count"].sum()
        == revenue["deal_count"]
        == explore_period["deals_won_count"]
    )
    assert kpis["pipeline_created_usd"] == pytest.approx(campaigns["pipeline_usd"].sum())
    assert kpis["pipeline_created_usd"] == pytest.approx(pipeline["total_usd"])
    assert kpis["pipeline_created_usd"] == pytest.approx(explore_period["pipeline_usd"])
    assert _same(kpis["win_rate"], explore_period["win_rate"])

    # Cohort funnel = Explore's cohort measures; each mode's conversions the same on both pages.
    assert cohort["reached_count"].tolist() == [int(explore_cohort[k]) for k in STAGE_KEYS]
    assert period["reached_count"].tolist() == [int(explore_period[k]) for k in STAGE_KEYS]
    for funnel, explore in ((cohort, explore_cohort), (period, explore_period)):
        for stage_rate, key in zip(funnel["from_previous_rate"].iloc[1:], RATE_KEYS, strict=True):
            assert _same(stage_rate, explore[key]), key


def _one_row(pivot):
    """Explore's ungrouped row; with nothing to count Explore lists no cell, which reads as zeros."""
    if len(pivot):
        return pivot.iloc[0]
    return {column: (0 if column.endswith(("_count", "_usd")) else float("nan")) for column in pivot.columns}


def _same(left, right) -> bool:
    """Equal rates, or both undefined (nothing to divide by)."""
    import math

    left = None if left is None or (isinstance(left, float) and math.isnan(left)) else float(left)
    right = None if right is None or (isinstance(right, float) and math.isnan(right)) else float(right)
    return left == right if left is None or right is None else left == pytest.approx(right)
