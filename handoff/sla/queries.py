"""The computed `sla__*` queries of the scorecard: compliance per month, the two-sided scorecard and
the effect of speed; and what every `sla__*` query declares and its cache key. The lists (per rep,
per source, the breach list, the live queue) are in `lists`.

Each `sla__*` query, here and in `lists`, reads one window evaluation (`window.evaluate_window`) and
the data only through the `sla__mql_clock`, `sla__mql_groups`, `sla__mql_lead_owners`, `sla__mqls`,
`sla__target_attainment` and `sla__latest_timestamp` SQL files. Compliance = met / (met + breached);
pending items are counted apart, never as met.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from handoff import db
from handoff.errors import ParameterError
from handoff.filters import Filters
from handoff.sla.judging import PENDING, MqlVerdicts, judged_verdicts
from handoff.sla.policies import CLOCKS, Policies, Policy
from handoff.sla.policy_file import file_version
from handoff.sla.scorecard import compliance_grid, scorecard_rows, window_measure, window_months
from handoff.sla.window import WindowEvaluation, evaluate_window, knows_window

# Response-time bands of the follow-up SLA, fastest first (see `response_band`).
BAND_LABELS = ("< 5 min", "5–60 min", "1–24 h", "> 24 h")
NEVER_BAND = "never"

POLICIES_DECLARATION = (
    "-- $policies text = null  the policy set as TOML or JSON text; null = data/sla_policies.toml\n"
)
WINDOW_DECLARATIONS = """
-- $start      date = null     window start (inclusive): MQLs by mql_at, targets by month
-- $end        date = null     window end (exclusive)
"""
LIST_DECLARATIONS = """
-- $segments   text[] = null   lead segments; NULL = all (targets: only segment targets)
-- $regions    text[] = null   lead regions; NULL = all
-- $channels   text[] = null   lead source channels; NULL = all
-- $teams      text[] = null   who sourced the lead; NULL = all
-- $owners     text[] = null   lead owners; NULL = all
-- $campaigns  text[] = null   source campaigns; NULL = all
"""
CLOCK_DECLARATION = "-- $clock text in (policy, business, wall) = policy  the clock to measure on"
FILTER_DECLARATIONS = WINDOW_DECLARATIONS.strip() + "\n" + LIST_DECLARATIONS.strip() + "\n"


def policy_file_version() -> tuple:
    """The policy file's version: named queries are recomputed when someone edits it."""
    return ("policy file", file_version())


@db.computed_query(
    "sla__compliance",
    "One row per policy and month: how many items fell due, met, breached and pending (still inside "
    "their window at the data's latest timestamp), and compliance_rate = met / (met + breached).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=policy_file_version,
)
def compliance_query(params: dict, db_path: str) -> pd.DataFrame:
    """The contract query `sla__compliance`."""
    window = evaluate_window(params, db_path)
    months = window_months(params.get("start"), params.get("end"), window.period_starts(), window.as_of)
    return compliance_grid(window.status_counts(by_month=True), window.policies, months)


@db.computed_query(
    "sla__scorecard",
    "One row per policy: compliance in the window and in the previous window of the same length, "
    "each coloured by the one rule (green at the goal, amber within amber_points below, red), the "
    "rule in words and a measure (median response, acceptance rate, attainment).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=policy_file_version,
)
def scorecard_query(params: dict, db_path: str) -> pd.DataFrame:
    """The two-sided scorecard."""
    before = None
    start, end = params.get("start"), params.get("end")
    if start is not None and end is not None:
        previous = Filters(start=start, end=end).previous()
        both = {**params, "start": previous.start, "end": end}
        if previous.end == start and not knows_window(params, db_path) and not knows_window(both, db_path):
            evaluate_window(both, db_path)  # one pass over both windows; each is cut out of it below
        before = evaluate_window({**params, "start": previous.start, "end": previous.end}, db_path)
        before = before.status_counts(by_month=False)
    window = evaluate_window(params, db_path)
    measures = {policy.id: window_measure(window, policy) for policy in window.policies.policies}
    return scorecard_rows(window.policies, window.status_counts(by_month=False), before, measures)


# ---------------------------------------------------------------------------------------------
# The effect of speed


def response_band(hours: np.ndarray) -> np.ndarray:
    """The response-time band of each follow-up in hours (NaN = never followed up).

    < 5 min, 5–60 min (up to but not including 60), 1–24 h (including 24 h), > 24 h.
    """
    hours = np.asarray(hours, dtype=float)
    conditions = [np.isnan(hours), hours < 5 / 60, hours < 1.0, hours <= 24.0]
    return np.select(conditions, [NEVER_BAND, *BAND_LABELS[:3]], default=BAND_LABELS[3]).astype(object)


def _follow_up_policy(policies: Policies, policy_id: str | None) -> Policy | None:
    if policy_id:
        policy = policies.get(policy_id)
        if policy.kind != "follow_up":
            raise ParameterError(f"policy {policy_id!r} is a {policy.kind} policy, not a follow-up policy")
        return policy
    follow_ups = policies.of_kind("follow_up")
    return follow_ups[0] if follow_ups else None


def _judged_follow_ups(
    params: dict, db_path: str
) -> tuple[Policy | None, WindowEvaluation, MqlVerdicts | None]:
    """The chosen follow-up policy (on the chosen clock) and its verdicts on the window's MQLs."""
    window = evaluate_window(params, db_path)
    policy = _follow_up_policy(window.policies, params.get("policy_id"))
    if policy is None or window.as_of is None:
        return policy, window, None
    if params.get("clock") in CLOCKS and params["clock"] != policy.clock:
        policy = dataclasses.replace(policy, clock=params["clock"])
        return (
            policy,
            window,
            judged_verdicts(policy, window.mqls, window.policies.clock, window.as_of, window.db_path),
        )
    return policy, window, window.verdicts[policy.id]


@db.computed_query(
    "sla__response_bands",
    "One row per response-time band of a follow-up policy (< 5 min, 5–60 min, 1–24 h, > 24 h, never; "
    "on the policy's clock): MQLs, their share, and how many reached SQL and Won. MQLs not followed "
    "up but still inside their window are left out.",
    FILTER_DECLARATIONS
    + POLICIES_DECLARATION
    + "-- $policy_id text = null  the follow-up policy; NULL = the first one"
    + "\n"
    + CLOCK_DECLARATION,
    cache_key=policy_file_version,
)
def response_bands_query(params: dict, db_path: str) -> pd.DataFrame:
    """The effect of speed: conversion by response band."""
    policy, window, verdicts = _judged_follow_ups(params, db_path)
    if verdicts is None:
        judged = np.zeros(0, dtype=bool)
        hours, sql, won = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        judged = verdicts.status != PENDING
        resolved = ~np.isnat(verdicts.resolved_at[judged])
        hours = np.where(resolved, verdicts.measured[judged], np.nan)
        sql = window.mqls["reached_sql"].to_numpy(dtype=bool)[judged].astype(np.int64)
        won = window.mqls["reached_won"].to_numpy(dtype=bool)[judged].astype(np.int64)
    labels = [*BAND_LABELS, NEVER_BAND]
    # Each follow-up's band as a number (the order of `labels`), as `response_band` draws them.
    band = np.select([np.isnan(hours), hours < 5 / 60, hours < 1.0, hours <= 24.0], [4, 0, 1, 2], default=3)
    out = pd.DataFrame(
        {
            "band": pd.array(labels, dtype="str"),
            "mql_count": np.bincount(band, minlength=len(labels)).astype(np.int64),
            "sql_count": np.bincount(band, weights=sql, minlength=len(labels)).astype(np.int64),
            "won_count": np.bincount(band, weights=won, minlength=len(labels)).astype(np.int64),
        }
    )
    out.insert(0, "band_order", np.arange(1, len(labels) + 1))
    out.insert(0, "policy_id", policy.id if policy else None)
    out["share_rate"] = out["mql_count"] / max(int(out["mql_count"].sum()), 1)
    out["mql_to_sql_rate"] = out["sql_count"] / out["mql_count"].where(out["mql_count"] > 0)
    out["mql_to_won_rate"] = out["won_count"] / out["mql_count"].where(out["mql_count"] > 0)
    out["clock"] = policy.clock if policy else None
    columns = [
        "policy_id",
        "band_order",
        "band",
        "clock",
        "mql_count",
        "share_rate",
        "sql_count",
        "mql_to_sql_rate",
        "won_count",
        "mql_to_won_rate",
    ]
    return out[columns] if policy else pd.DataFrame(columns=columns)


@db.computed_query(
    "sla__response_time",
    "One row: a follow-up policy's response time on its clock: MQLs, followed up, never followed up, "
    "still waiting inside the window, and the median and 90th percentile hours of those followed up.",
    FILTER_DECLARATIONS
    + POLICIES_DECLARATION
    + "-- $policy_id text = null  the follow-up policy; NULL = the first one"
    + "\n"
    + CLOCK_DECLARATION,
    cache_key=policy_file_version,
)
def response_time_query(params: dict, db_path: str) -> pd.DataFrame:
    """Median and p90 speed to lead on the policy's clock."""
    policy, _, verdicts = _judged_follow_ups(params, db_path)
    columns = [
        "policy_id",
        "clock",
        "mql_count",
        "responded_count",
        "never_count",
        "waiting_count",
        "median_response_hours",
        "p90_response_hours",
    ]
    if policy is None:
        return pd.DataFrame(columns=columns)
    if verdicts is None:
        total, responded, waiting = 0, pd.Series(dtype=float), 0
    else:
        is_resolved = ~np.isnat(verdicts.resolved_at)
        total = len(verdicts.status)
        responded = pd.Series(verdicts.measured[is_resolved].astype(float))
        waiting = int(((verdicts.status == PENDING) & ~is_resolved).sum())
    return pd.DataFrame(
        [
            {
                "policy_id": policy.id,
                "clock": policy.clock,
                "mql_count": total,
                "responded_count": len(responded),
                "never_count": total - len(responded) - waiting,
                "waiting_count": waiting,
                "median_response_hours": float(responded.median()) if len(responded) else np.nan,
                "p90_response_hours": float(responded.quantile(0.9)) if len(responded) else np.nan,
            }
        ],
        columns=columns,
    )
