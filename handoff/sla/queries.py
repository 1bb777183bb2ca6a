"""The computed `sla__*` queries: compliance per month, the two-sided scorecard, per rep and per
source, the breach list, the live queue and the effect of speed.

Each reads one window evaluation (`window.evaluate_window`) and the data only through the
`sla__mql_clock`, `sla__mql_groups`, `sla__mql_lead_owners`, `sla__mqls`, `sla__target_attainment`
and `sla__latest_timestamp` SQL files. Compliance = met / (met + breached); pending items are counted
apart, never as met.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from handoff import db
from handoff.charts import fmt_count, fmt_usd
from handoff.errors import ParameterError
from handoff.filters import Filters
from handoff.sla.judging import (
    BREACHED,
    PENDING,
    MqlVerdicts,
    count_statuses,
    evaluate_mql_policy,
    judge_mqls,
    judged_verdicts,
    month_start,
    mql_unit,
    quality_months,
    repeated,
    text_array,
)
from handoff.sla.policies import CLOCKS, STATUSES, Policies, Policy, hours_text
from handoff.sla.policy_file import file_version, policies_from_param
from handoff.sla.scorecard import compliance_grid, scorecard_rows, window_measure, window_months
from handoff.sla.window import WindowEvaluation, evaluate_window, filters_of, knows_window, latest_timestamp

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


def _policy_file_version() -> tuple:
    """The policy file's version: named queries are recomputed when someone edits it."""
    return ("policy file", file_version())


@db.computed_query(
    "sla__compliance",
    "One row per policy and month: how many items fell due, met, breached and pending (still inside "
    "their window at the data's latest timestamp), and compliance_rate = met / (met + breached).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
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
    cache_key=_policy_file_version,
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
# Per rep, per channel/campaign, the breach list, the live queue, the effect of speed


@db.computed_query(
    "sla__compliance_by_rep",
    "One row per (per-MQL policy, lead owner): items due, met, breached, pending, compliance_rate, "
    "the median hours to resolve on the policy's clock and the colour.",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
)
def compliance_by_rep_query(params: dict, db_path: str) -> pd.DataFrame:
    """Sales policies per rep (the lead's owner)."""
    window = evaluate_window(params, db_path)
    policies = window.policies
    columns = [
        "policy_id",
        "policy_name",
        "owner_id",
        "owner_name",
        "region",
        "due_count",
        "met_count",
        "breached_count",
        "pending_count",
        "compliance_rate",
        "median_hours",
        "status",
    ]
    mql_policies = window.mql_policies()
    if not mql_policies or window.mqls.empty:
        return pd.DataFrame(columns=columns)
    owner, owner_ids, owner_names = window.groups("owner")
    owner_ids, owner_names = owner_ids.fillna("(unassigned)"), owner_names.fillna("(unassigned)")
    region_codes, _ = pd.factorize(window.mqls["region"], use_na_sentinel=False)
    # Each MQL's (owner, name, region) group, numbered in order of first appearance: the groups
    # count_statuses would find in the items of each policy, in the same order.
    group = owner
    for codes in (pd.factorize(owner_ids)[0][owner], pd.factorize(owner_names)[0][owner], region_codes):
        group, _ = pd.factorize(group * (int(codes.max()) + 1 if len(codes) else 1) + codes)
    first_rows = np.unique(group, return_index=True)[1]
    owner_id = pd.Series(owner_ids.array[owner[first_rows]])
    owner_name = pd.Series(owner_names.array[owner[first_rows]])
    region = pd.Series(text_array(window.mqls["region"].iloc[first_rows]))
    id_codes, id_values = pd.factorize(owner_ids)
    owner_codes = id_codes[owner]
    frames, medians = [], []
    for policy in mql_policies:
        verdicts = window.verdicts[policy.id]
        per_status = np.bincount(
            group * len(STATUSES) + verdicts.status.astype(np.int64),
            minlength=len(first_rows) * len(STATUSES),
        ).reshape(-1, len(STATUSES))
        frame = pd.DataFrame(
            {
                "policy_id": repeated(policy.id, len(first_rows)),
                "owner_id": owner_id.array,
                "owner_name": owner_name.array,
                "region": region.array,
                "due_count": per_status.sum(axis=1),
            }
        )
        for index, status_name in enumerate(STATUSES):
            frame[f"{status_name}_count"] = per_status[:, index]
        frames.append(frame)
        resolved = ~np.isnat(verdicts.resolved_at)
        hours = pd.Series(verdicts.measured[resolved]).groupby(owner_codes[resolved]).median()
        medians.append(
            pd.DataFrame(
                {
                    "policy_id": repeated(policy.id, len(hours)),
                    "owner_id": id_values[hours.index.to_numpy()],
                    "median_hours": hours.to_numpy(),
                }
            )
        )
    counts = pd.concat(frames, ignore_index=True)
    judged = counts["met_count"] + counts["breached_count"]
    counts["compliance_rate"] = counts["met_count"] / judged.where(judged > 0)
    counts = counts.merge(pd.concat(medians, ignore_index=True), on=["policy_id", "owner_id"], how="left")
    names = {p.id: p.name for p in policies.policies}
    goals = {p.id: p.goal_rate for p in policies.policies}
    counts["policy_name"] = counts["policy_id"].map(names)
    pairs = zip(counts["policy_id"], counts["compliance_rate"], strict=True)
    counts["status"] = [policies.status(rate, goals[policy_id]) for policy_id, rate in pairs]
    counts["policy_order"] = counts["policy_id"].map({p: i for i, p in enumerate(policies.ids)})
    counts = counts.sort_values(["policy_order", "compliance_rate", "owner_name"], na_position="last")
    return counts[columns].reset_index(drop=True)


@db.computed_query(
    "sla__compliance_by_source",
    "One row per (quality policy, channel or source campaign): its MQLs, accepted and rejected counts, "
    "acceptance_rate, its share of all MQLs, and its months due/met/breached/pending against the policy.",
    FILTER_DECLARATIONS
    + POLICIES_DECLARATION
    + "-- $group_by text in (channel, campaign) = channel  group leads by source channel or source campaign",
    cache_key=_policy_file_version,
)
def compliance_by_source_query(params: dict, db_path: str) -> pd.DataFrame:
    """Marketing's quality policy per channel or campaign."""
    window = evaluate_window(params, db_path)
    policies, as_of = window.policies, window.as_of
    by_channel = params.get("group_by", "channel") == "channel"
    by = "channel" if by_channel else "source_campaign_id"
    columns = [
        "policy_id",
        "policy_name",
        "group_value",
        "group_label",
        "mql_count",
        "mql_share_rate",
        "accepted_count",
        "rejected_count",
        "acceptance_rate",
        "due_count",
        "met_count",
        "breached_count",
        "pending_count",
        "compliance_rate",
        "status",
    ]
    frames = []
    quality = policies.of_kind("quality")
    if as_of is not None and len(window.mqls) and quality:
        source, keys, names = window.groups("channel" if by_channel else "campaign")
        mqls = pd.DataFrame(
            {
                "mql_at": window.mqls["mql_at"],
                "is_accepted": window.mqls["is_accepted"],
                "is_rejected": window.mqls["is_rejected"],
                by: keys.array[source],
                "label": names.array[source],
            }
        )
        labels = mqls.assign(group_value=mqls[by].fillna("(none)")).groupby("group_value")["label"].first()
        for policy in quality:
            months = quality_months(mqls, policy, as_of, by=by).rename(columns={by: "group_value"})
            totals = months.groupby("group_value")[["mql_count", "accepted_count", "rejected_count"]].sum()
            counts = count_statuses(months, ["group_value"]).set_index("group_value")
            frame = totals.join(counts).reset_index()
            decided = frame["accepted_count"] + frame["rejected_count"]
            frame["acceptance_rate"] = frame["accepted_count"] / decided.where(decided > 0)
            frame["mql_share_rate"] = frame["mql_count"] / frame["mql_count"].sum()
            frame["policy_id"], frame["policy_name"] = policy.id, policy.name
            frame["group_label"] = frame["group_value"].map(labels).fillna(frame["group_value"])
            frame["status"] = [policies.status(r, policy.goal_rate) for r in frame["compliance_rate"]]
            frames.append(frame.sort_values(["compliance_rate", "acceptance_rate"], na_position="last"))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _missed_text(unit: str, missed: float, resolved: bool) -> str:
    if unit in ("hours", "business hours"):
        text = f"{hours_text(missed, 'business' if unit == 'business hours' else 'wall')} late"
        return text if resolved else f"{text}, still open"
    if unit == "USD":
        return f"{fmt_usd(missed)} short"
    if unit == "points":
        return f"{missed:.1f} points below the minimum"
    return f"{fmt_count(np.ceil(missed - 1e-9))} {unit} short"


def _missed_texts(units: pd.Series, missed: pd.Series, resolved_at: pd.Series) -> list[str]:
    """`_missed_text` of every breach. Hours, by far the most rows, are written inline (the same
    f-strings as `hours_text` and `fmt_hours`) instead of through three calls a row."""
    out = []
    resolved = resolved_at.notna().to_numpy().tolist()
    for unit, hours, is_resolved in zip(
        units.to_numpy(dtype=object).tolist(), missed.to_numpy(dtype=float).tolist(), resolved, strict=True
    ):
        if unit == "business hours" and not math.isnan(hours):
            text = f"{hours * 60:.0f} business min late" if hours < 1 else f"{hours:,.1f} business h late"
        elif unit == "hours" and not math.isnan(hours):
            size = abs(hours)
            text = (
                f"{hours * 60:.0f} min late"
                if size < 1
                else f"{hours:.1f} h late"
                if size < 48
                else f"{hours / 24:.1f} d late"
            )
        else:
            out.append(_missed_text(unit, hours, is_resolved))
            continue
        out.append(text if is_resolved else f"{text}, still open")
    return out


_BREACH_COLUMNS = [
    "policy_id",
    "owner_id",
    "owner_name",
    "item",
    "lead_id",
    "segment",
    "period_start",
    "started_at",
    "due_at",
    "resolved_at",
    "missed_by",
    "unit",
]


@db.computed_query(
    "sla__breaches",
    "One row per breached item (an MQL, or a month and segment): the policy, who owned it, when it "
    "started and was due, when it was resolved, and by how much it missed (missed_by in missed_by_unit).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION + "-- $policy_id text = null  only this policy; NULL = all",
    cache_key=_policy_file_version,
)
def breaches_query(params: dict, db_path: str) -> pd.DataFrame:
    """The breach list, the worst misses of each policy first."""
    window = evaluate_window(params, db_path)
    policies = window.policies
    chosen = policies.get(params["policy_id"]).id if params.get("policy_id") else None
    frames, names = [], None
    for order, policy in enumerate(policies.policies):
        if chosen not in (None, policy.id):
            continue
        if policy.id not in window.verdicts:
            mine = window.period_items.get(policy.id)
            if mine is None or not (mine["status"] == "breached").any():
                continue
            missed = mine[mine["status"] == "breached"]
            missed = missed.iloc[
                _worst_first(missed["missed_by"].to_numpy(dtype=float), missed["item"].array)
            ]
            frame = {column: missed[column].array for column in missed.columns if column in _BREACH_COLUMNS}
        else:
            verdicts = window.verdicts[policy.id]
            rows = np.flatnonzero(verdicts.status == BREACHED)
            if not len(rows):
                continue
            if names is None:
                names = window.lead_owners()
            lead_id = text_array(names["lead_id"].iloc[rows])
            # The list's order within the policy (the whole list is sorted policy by policy).
            worst = _worst_first(verdicts.missed_by[rows], lead_id)
            rows, lead_id = rows[worst], lead_id[worst]
            frame = {
                "owner_id": names["owner_id"].array[rows],
                "owner_name": names["owner_name"].array[rows],
                "item": lead_id,
                "lead_id": lead_id,
                "segment": text_array(names["segment"].iloc[rows]),
                "period_start": month_start(window.mqls["mql_at"].to_numpy()[rows]).to_numpy(),
                "started_at": window.mqls["mql_at"].to_numpy(dtype="datetime64[us]")[rows],
                "due_at": verdicts.due_at(rows),
                "resolved_at": verdicts.resolved_at[rows],
                "missed_by": verdicts.missed_by[rows],
                "unit": repeated(mql_unit(policy), len(rows)),
            }
        n = len(frame["item"])
        blank_text, no_time = repeated(None, n), np.full(n, np.datetime64("NaT", "us"))
        frames.append(
            pd.DataFrame(
                {
                    "policy_id": repeated(policy.id, n),
                    "policy_name": repeated(policy.name, n),
                    "owner_team": repeated(policy.owner_team, n),
                    "policy_order": np.full(n, order, dtype=np.int64),
                    **{
                        column: frame.get(column, no_time if column.endswith("_at") else blank_text)
                        for column in _BREACH_COLUMNS
                        if column != "policy_id"
                    },
                }
            )
        )
    if frames:  # in policy order, each policy's rows already worst first
        breached = pd.concat(frames, ignore_index=True)
    else:  # the empty list, typed as before
        breached = pd.DataFrame(columns=_BREACH_COLUMNS)
        owners_of = {p.id: p for p in policies.policies}
        breached["policy_name"] = breached["policy_id"].map(lambda p: owners_of[p].name)
        breached["owner_team"] = breached["policy_id"].map(lambda p: owners_of[p].owner_team)
        breached["policy_order"] = breached["policy_id"].map({p: i for i, p in enumerate(policies.ids)})
        breached = breached.sort_values(["policy_order", "missed_by", "item"], ascending=[True, False, True])
    breached["missed_by_unit"] = breached["unit"]
    breached["missed_by_text"] = _missed_texts(
        breached["unit"], breached["missed_by"], breached["resolved_at"]
    )
    columns = [
        "policy_id",
        "policy_name",
        "owner_team",
        "owner_id",
        "owner_name",
        "item",
        "lead_id",
        "segment",
        "period_start",
        "started_at",
        "due_at",
        "resolved_at",
        "missed_by",
        "missed_by_unit",
        "missed_by_text",
    ]
    return breached[columns].reset_index(drop=True)


def _worst_first(missed_by: np.ndarray, items) -> np.ndarray:
    """The order of one policy's breaches as `sort_values(["missed_by", "item"], ascending=[False,
    True])` gives it (missing last, ties in their own order), as one numpy lexsort on the misses
    and the items' ranks (Arrow ranks the text, in the same byte order pandas sorts it)."""
    key = -np.asarray(missed_by, dtype=float)
    key[np.isnan(key)] = np.inf
    text = pa.array(items, from_pandas=True)
    if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
        text = text.cast(pa.large_string())
    rank = pc.rank(text, sort_keys="ascending", tiebreaker="dense").to_numpy()  # missing text ranks last
    return np.lexsort((rank, key))


@db.computed_query(
    "sla__live_queue",
    "One row per MQL not yet followed up and still inside its follow-up window at the data's latest "
    "timestamp, most urgent first: its owner, when it is due and the hours left (clock and business).",
    LIST_DECLARATIONS.strip() + "\n" + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
)
def live_queue_query(params: dict, db_path: str) -> pd.DataFrame:
    """The live queue: the whole backlog as of now, whatever the window."""
    policies = policies_from_param(params.get("policies"))
    as_of = latest_timestamp(db_path)
    columns = [
        "policy_id",
        "lead_id",
        "owner_id",
        "owner_name",
        "region",
        "segment",
        "channel",
        "score",
        "mql_at",
        "due_at",
        "hours_left",
        "business_hours_left",
        "clock",
        "threshold_hours",
    ]
    if as_of is None:
        return pd.DataFrame(columns=columns)
    follow_ups = policies.of_kind("follow_up")
    if not follow_ups:
        return pd.DataFrame(columns=columns)
    # Only MQLs recent enough to be still inside a window can wait in the queue: read from the
    # earliest day any follow-up policy's longest window could have started.
    now = pd.Timestamp(as_of).to_datetime64().astype("datetime64[us]")
    earliest = min(
        policies.clock.earliest_start(now, max(tier.hours for tier in policy.tiers))
        if policy.clock == "business"
        else (now - np.timedelta64(int(np.ceil(max(t.hours for t in policy.tiers) * 3600 + 1)), "s")).astype(
            "datetime64[D]"
        )
        - np.timedelta64(1, "D")
        for policy in follow_ups
    )
    recent = {**filters_of(params), "start": earliest.astype("datetime64[D]").item()}
    mqls = db.run_query("sla__mqls", recent, db=db_path, unanswered_only=True)
    frames = []
    for policy in follow_ups:
        # Judge every unanswered MQL, then build rows only for those still waiting.
        verdicts = judge_mqls(policy, mqls, policies.clock, as_of)
        rows = verdicts.status == PENDING
        waiting = evaluate_mql_policy(policy, mqls[rows], policies.clock, as_of)
        waiting["mql_at"] = waiting["started_at"]
        waiting["threshold_hours"] = waiting["threshold"]
        waiting["business_hours_left"] = waiting["threshold"] - waiting["measured"]
        waiting["hours_left"] = (waiting["due_at"] - as_of) / pd.Timedelta(hours=1)
        frames.append(waiting)
    if not frames:
        return pd.DataFrame(columns=columns)
    queue = pd.concat(frames, ignore_index=True).sort_values(["due_at", "lead_id"])
    return queue[columns].reset_index(drop=True)


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
    cache_key=_policy_file_version,
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
    cache_key=_policy_file_version,
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
