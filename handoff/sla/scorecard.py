"""The contract table and the scorecard, from counts: one row per policy and month with zeros where
nothing was due; one row per policy with compliance now and before, its colour, its rule and a
measure of how it is doing beyond compliance."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from handoff.charts import fmt_count, fmt_pct, fmt_usd
from handoff.sla.judging import count_statuses
from handoff.sla.policies import (
    MONEY_METRICS,
    MQL_KINDS,
    Policies,
    Policy,
    describe_rule,
    hours_text,
    response_text,
)
from handoff.sla.window import WindowEvaluation


def window_months(start, end, items: pd.DataFrame, as_of) -> list[pd.Timestamp]:
    """The months the contract lists: each month of the window (up to the as-of month), else the
    months that have items."""
    if as_of is None:
        return []
    last = pd.Timestamp(as_of).to_period("M").start_time
    if start is not None and end is not None:
        first = pd.Timestamp(start).to_period("M").start_time
        last = min(last, (pd.Timestamp(end) - pd.Timedelta(days=1)).to_period("M").start_time)
        return list(pd.date_range(first, last, freq="MS")) if first <= last else []
    if items.empty:
        return []
    first = items["period_start"].min() if start is None else pd.Timestamp(start).to_period("M").start_time
    end_month = items["period_start"].max() if end is None else last
    return list(pd.date_range(first, min(end_month, last), freq="MS"))


def compliance_grid(counts: pd.DataFrame, policies: Policies, months: list[pd.Timestamp]) -> pd.DataFrame:
    """sla__compliance_by_month from counts per (policy_id, period_start): one row per policy and month,
    zero counts where nothing was due."""
    columns = [
        "policy_id",
        "policy_name",
        "owner_team",
        "period_start",
        "due_count",
        "met_count",
        "breached_count",
        "pending_count",
        "compliance_rate",
    ]
    grid = pd.DataFrame(
        [
            (p.id, p.name, p.owner_team, order, month)
            for order, p in enumerate(policies.policies)
            for month in months
        ],
        columns=["policy_id", "policy_name", "owner_team", "policy_order", "period_start"],
    )
    grid["period_start"] = grid["period_start"].astype("datetime64[us]")
    counts = counts.copy()
    counts["period_start"] = pd.to_datetime(counts["period_start"]).astype("datetime64[us]")
    out = grid.merge(counts, on=["policy_id", "period_start"], how="left")
    for column in ("due_count", "met_count", "breached_count", "pending_count"):
        out[column] = out[column].fillna(0).astype(np.int64)
    out["compliance_rate"] = out["compliance_rate"].astype(float)
    return out.sort_values(["policy_order", "period_start"])[columns].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The scorecard: this period, the previous one, a measure and a colour per policy


def _measure(policy: Policy, items: pd.DataFrame, mqls: pd.DataFrame) -> tuple[float, str]:
    """A number that shows how the policy is doing beyond compliance, and its text."""
    mine = items[items["policy_id"] == policy.id]
    done = (
        mine.loc[mine["resolved_at"].notna(), "measured"].astype(float) if policy.kind in MQL_KINDS else None
    )
    return _measure_of(policy, done, mine, mqls)


def _measure_of(
    policy: Policy, done: pd.Series | None, mine: pd.DataFrame | None, mqls: pd.DataFrame
) -> tuple[float, str]:
    """`_measure` from the hours of the resolved items (per-MQL policies) or the policy's items."""
    if policy.kind in MQL_KINDS:
        if done.empty:
            return np.nan, "nothing resolved yet"
        median = float(done.median())
        if policy.kind == "follow_up":
            p90 = float(done.quantile(0.9))
            return median, (
                f"median response: {response_text(median, policy.clock)} · "
                f"p90: {response_text(p90, policy.clock)}"
            )
        return median, f"median {hours_text(median, policy.clock)} to decide"
    if policy.kind == "quality":
        accepted, rejected = int(mqls["is_accepted"].sum()), int(mqls["is_rejected"].sum())
        if accepted + rejected == 0:
            return np.nan, "no decided MQLs"
        rate = accepted / (accepted + rejected)
        return rate, f"{fmt_pct(rate)} accepted of {fmt_count(accepted + rejected)} decided"
    total = mine[mine["segment"].isna()] if mine["segment"].isna().any() else mine
    # threshold holds the share of the target that counts as met; the measure compares with the target.
    actual = float(total["measured"].sum())
    target = float(total["threshold"].sum()) / policy.min_attainment_rate
    if target == 0:
        return np.nan, "no target in the window"
    fmt = fmt_usd if policy.metric in MONEY_METRICS else fmt_count
    return actual / target, f"{fmt(actual)} of {fmt(target)} ({fmt_pct(actual / target, 0)})"


def scorecard(
    policies: Policies, items: pd.DataFrame, previous_items: pd.DataFrame | None, mqls: pd.DataFrame
) -> pd.DataFrame:
    """One row per policy: compliance now and before, the colour of each, the rule and a measure."""
    before = count_statuses(previous_items, ["policy_id"]) if previous_items is not None else None
    measures = {policy.id: _measure(policy, items, mqls) for policy in policies.policies}
    return scorecard_rows(policies, count_statuses(items, ["policy_id"]), before, measures)


def scorecard_rows(
    policies: Policies,
    now: pd.DataFrame,
    before: pd.DataFrame | None,
    measures: Mapping[str, tuple[float, str]],
) -> pd.DataFrame:
    """`scorecard` from counts per policy_id now (and before) and each policy's measure."""
    now = now.set_index("policy_id")
    before = (
        before.set_index("policy_id") if before is not None else pd.DataFrame(columns=["compliance_rate"])
    )
    rows = []
    for order, policy in enumerate(policies.policies):
        counts = now.loc[policy.id] if policy.id in now.index else None
        rate = float(counts["compliance_rate"]) if counts is not None else np.nan
        previous = float(before.loc[policy.id, "compliance_rate"]) if policy.id in before.index else np.nan
        value, text = measures[policy.id]
        rows.append(
            {
                "policy_id": policy.id,
                "policy_name": policy.name,
                "owner_team": policy.owner_team,
                "direction": policy.direction,
                "kind": policy.kind,
                "policy_order": order,
                "rule_text": describe_rule(policy),
                "goal_rate": policy.goal_rate,
                **{
                    f"{s}_count": int(counts[f"{s}_count"]) if counts is not None else 0
                    for s in ("due", "met", "breached", "pending")
                },
                "compliance_rate": rate,
                "status": policies.status(rate, policy.goal_rate),
                "previous_compliance_rate": previous,
                "previous_status": policies.status(previous, policy.goal_rate),
                "measure_value": value,
                "measure_text": text,
            }
        )
    return pd.DataFrame(rows)


def window_measure(window: WindowEvaluation, policy: Policy) -> tuple[float, str]:
    """The scorecard's measure of one policy in a window (see `_measure`)."""
    if policy.id in window.verdicts:
        verdicts = window.verdicts[policy.id]
        done = pd.Series(verdicts.measured[~np.isnat(verdicts.resolved_at)], dtype=float)
        return _measure_of(policy, done, None, window.mqls)
    mine = window.period_items.get(policy.id, _NO_PERIOD_ITEMS)
    nothing = pd.Series(dtype=float) if policy.kind in MQL_KINDS else None  # not judged: no as-of time
    return _measure_of(policy, nothing, mine, window.mqls)


_NO_PERIOD_ITEMS = pd.DataFrame(
    {
        "segment": pd.Series(dtype="str"),
        "measured": pd.Series(dtype=float),
        "threshold": pd.Series(dtype=float),
    }
)
