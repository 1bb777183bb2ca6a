"""Build the demo database: draw the company, cut it at the as-of date, set targets, write it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from handoff import db
from handoff.demo import company, lead_lifecycle, touch_history
from handoff.demo.company import (
    MISSED_MQL_QUARTER,
    SEGMENTS,
    SLIPPED_FOLLOW_UP_QUARTER,
    demo_start,
)
from handoff.filters import add_months, quarter_start
from handoff.paths import QUERIES_DIR

Progress = Callable[[float, str], None]

DEFAULT_LEADS = 40_000
DEFAULT_SEED = 42
# In load order; queries/demo/<table>.sql shapes a table whose frame is not loaded as it is.
TABLES = ("people", "campaigns", "leads", "touches", "deals", "targets")
DEMO_QUERIES_DIR = QUERIES_DIR / "demo"


def build_demo(
    db_path: str | Path | None = None,
    *,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    """Generate the demo company and write it, atomically, to `db_path`."""
    if leads < 100:
        raise ValueError(f"--leads must be at least 100 (got {leads})")
    as_of = as_of or dt.date.today()
    report = progress or (lambda fraction, message: None)

    def fill(con) -> dict[str, str]:
        tables = generate(leads=leads, seed=seed, as_of=as_of, progress=report)
        for index, table in enumerate(TABLES):
            frame = tables[table]
            report(0.6 + 0.38 * index / len(TABLES), f"writing {table} ({len(frame):,} rows)")
            shaped = DEMO_QUERIES_DIR / f"{table}.sql"
            select = shaped.read_text() if shaped.exists() else "select * from frame"
            con.register("frame", frame)
            con.execute(f"insert into {table} {select}")
            con.unregister("frame")
        report(0.99, "saving the database")
        return {
            "source": "demo",
            "as_of": as_of.isoformat(),
            "seed": str(seed),
            "leads": str(leads),
            "built_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    path = db.build_database(db_path, fill)
    report(1.0, f"demo database ready: {path}")
    return path


def generate(
    *, leads: int, seed: int, as_of: dt.date, progress: Progress | None = None
) -> dict[str, pd.DataFrame]:
    """All six tables as DataFrames (ids of leads, touches and deals still as numbers)."""
    report = progress or (lambda fraction, message: None)
    rng = np.random.default_rng(seed)
    start = demo_start(as_of)
    as_of_end = np.datetime64(as_of + dt.timedelta(days=1), "us")

    report(0.02, "people and campaigns")
    people = company.people_table()
    campaign_windows = company.campaign_windows(start, as_of)

    report(0.08, f"drawing {leads:,} leads")
    lead = lead_lifecycle.draw_leads(rng, leads, start, as_of, campaign_windows, people)

    report(0.25, "lifecycle: MQL, follow-up, acceptance, qualification")
    life = lead_lifecycle.lifecycle(rng, lead, start, people)

    report(0.4, "deals")
    deals = lead_lifecycle.draw_deals(rng, lead, life, people)

    report(0.5, "touches")
    touches = touch_history.draw_touches(rng, lead, life, deals, campaign_windows, people, as_of_end)

    campaigns = company.campaigns_table(rng, campaign_windows, lead, touches)
    leads_frame = _censor_leads(lead, life, deals, as_of_end)
    deals_frame = _censor_deals(deals, as_of_end)

    report(0.58, "monthly targets")
    targets = _targets(start, as_of, leads_frame, deals_frame)
    return {
        "people": people,
        "campaigns": campaigns,
        "leads": leads_frame,
        "touches": touches,
        "deals": deals_frame,
        "targets": targets,
    }


def _censor_leads(lead: dict, life: dict, deals: pd.DataFrame, as_of_end: np.datetime64) -> pd.DataFrame:
    def seen(at: np.ndarray) -> np.ndarray:
        return np.where(at < as_of_end, at, np.datetime64("NaT"))

    disqualified = seen(life["disqualified_at"])
    return pd.DataFrame(
        {
            "lead_number": np.arange(1, lead["count"] + 1),
            "created_at": lead["created_at"],
            "channel": lead["channel"],
            "source_campaign_id": lead["source_campaign_id"],
            "sourced_by": lead["sourced_by"],
            "segment": lead["segment"],
            "region": lead["region"],
            "industry": lead["industry"],
            "company_size": lead["company_size"],
            "score": lead["score"],
            "mql_at": seen(life["mql_at"]),
            "sal_at": seen(life["sal_at"]),
            "sql_at": seen(life["sql_at"]),
            "disqualified_at": disqualified,
            "disqualify_reason": np.where(np.isnat(disqualified), None, life["disqualify_reason"]),
            "owner_id": lead["owner_id"],
        }
    )


def _censor_deals(deals: pd.DataFrame, as_of_end: np.datetime64) -> pd.DataFrame:
    deals = deals[deals["created_at"].to_numpy() < as_of_end].copy()
    still_open = deals["closed_at"].to_numpy() >= as_of_end
    deals.loc[still_open, "stage"] = "open"
    deals.loc[still_open, "lost_reason"] = None
    deals["closed_at"] = deals["closed_at"].where(~still_open)
    deals["deal_number"] = np.arange(1, len(deals) + 1)
    return deals.drop(columns="lead_row").reset_index(drop=True)


def _targets(start: dt.date, as_of: dt.date, leads: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """Monthly targets set from the plan: the business's trend, without this year's surprises.

    A plan is the typical month scaled by seasonality and growth, so the quarter where
    marketing missed and the quarter where sales slipped show up as gaps against it.
    """
    months = company.month_starts(start, as_of)
    plan_months = months + [add_months(months[-1], k) for k in (1, 2)]
    quarter_end = add_months(quarter_start(as_of), 3)
    plan_months = [m for m in plan_months if m < quarter_end]
    full_weights = company.month_weights(plan_months, dt.date.max - dt.timedelta(days=1))
    shares = full_weights / full_weights.sum()

    series = _monthly_actuals(leads, deals)
    shocks = {
        "mqls": MISSED_MQL_QUARTER,
        "sals": SLIPPED_FOLLOW_UP_QUARTER,
        "sqls": SLIPPED_FOLLOW_UP_QUARTER,
    }
    money = {"pipeline", "bookings"}
    rows = []
    for (team, metric, segment), actual in series.items():
        shocked = shocks.get(metric)
        # Deals lag their leads by months, so money plans skip the demo's ramp-up.
        complete = months[4:-1] if metric in money else months[1:-1]
        usable = [m for m in complete if shocked is None or (months.index(m) // 3) != shocked]
        if not usable:
            continue
        # The plan per unit of seasonal weight, from the months the surprises did not touch.
        per_weight = sum(float(actual.get(m, 0)) for m in usable) / sum(
            shares[plan_months.index(m)] for m in usable
        )
        stretch = 1.05  # targets ask a little more than the trend
        for index, month in enumerate(plan_months):
            value = per_weight * shares[index] * stretch
            rows.append((month, team, metric, segment, round(value, 2 if metric in money else 0)))
    return pd.DataFrame(rows, columns=["period_start", "team", "metric", "segment", "value"])


def _month_of(values: pd.Series) -> pd.Series:
    """The first day of each timestamp's month, as a date."""
    return values.dt.to_period("M").dt.start_time.dt.date


def _monthly_actuals(leads: pd.DataFrame, deals: pd.DataFrame) -> dict[tuple, pd.Series]:
    """What the business did each month, per (team, metric, segment or None): the actuals the plan
    is fitted to. MQLs and bookings also per segment."""
    mqls = leads.dropna(subset=["mql_at"])
    series = {
        ("marketing", "mqls", None): _month_of(mqls["mql_at"]).value_counts(),
        ("sales", "sals", None): _month_of(leads["sal_at"].dropna()).value_counts(),
        ("sales", "sqls", None): _month_of(leads["sql_at"].dropna()).value_counts(),
        ("sales", "pipeline", None): deals.groupby(_month_of(deals["created_at"]))["amount"].sum(),
        ("marketing", "pipeline", None): deals[
            deals["lead_number"].isin(leads.loc[leads["sourced_by"] == "marketing", "lead_number"])
        ].pipe(lambda d: d.groupby(_month_of(d["created_at"]))["amount"].sum()),
        ("sales", "bookings", None): deals[deals["stage"] == "won"].pipe(
            lambda d: d.groupby(_month_of(d["closed_at"]))["amount"].sum()
        ),
    }
    won = deals[deals["stage"] == "won"].merge(leads[["lead_number", "segment"]], on="lead_number")
    for segment in SEGMENTS:
        segment_mqls = mqls[mqls["segment"] == segment]
        series[("marketing", "mqls", segment)] = _month_of(segment_mqls["mql_at"]).value_counts()
        # Sales quotas are set per segment, so coverage can use each segment's own win rate.
        segment_won = won[won["segment"] == segment]
        series[("sales", "bookings", segment)] = segment_won.groupby(_month_of(segment_won["closed_at"]))[
            "amount"
        ].sum()
    return series
