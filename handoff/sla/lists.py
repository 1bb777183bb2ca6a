"""The computed `sla__*` lists people act on: compliance per rep and per source, the breach list and
the live queue.

Each reads the items of one window evaluation (`window.evaluate_window`), the live queue the whole
backlog as of the data's latest timestamp; the declarations and the cache key are those of
`queries`. Compliance = met / (met + breached); pending items are counted apart, never as met.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from handoff import db
from handoff.charts import fmt_count, fmt_usd
from handoff.sla.judging import (
    BREACHED,
    PENDING,
    MqlVerdicts,
    count_statuses,
    evaluate_mql_policy,
    judge_mqls,
    month_start,
    mql_unit,
    quality_months,
    repeated,
    text_array,
)
from handoff.sla.policies import STATUSES, Policies, Policy, hours_text
from handoff.sla.policy_file import policies_from_param
from handoff.sla.queries import (
    FILTER_DECLARATIONS,
    LIST_DECLARATIONS,
    POLICIES_DECLARATION,
    policy_file_version,
)
from handoff.sla.window import WindowEvaluation, evaluate_window, filters_of, latest_timestamp

_REP_COLUMNS = [
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


@dataclass(frozen=True)
class _Reps:
    """The window's MQLs grouped by (owner, owner name, region), each group numbered in order of
    first appearance: the groups `count_statuses` would find in the items of each policy, in the
    same order."""

    group: np.ndarray  # each MQL's group
    owner_id: pd.Series  # each group's owner, owner name and region
    owner_name: pd.Series
    region: pd.Series
    owner: np.ndarray  # each MQL's owner_id, as a number into owner_ids
    owner_ids: np.ndarray


def _reps(window: WindowEvaluation) -> _Reps:
    """The window's MQLs grouped by rep and region (see `_Reps`)."""
    owner, owner_ids, owner_names = window.groups("owner")
    owner_ids, owner_names = owner_ids.fillna("(unassigned)"), owner_names.fillna("(unassigned)")
    region_codes, _ = pd.factorize(window.mqls["region"], use_na_sentinel=False)
    group = owner
    for codes in (pd.factorize(owner_ids)[0][owner], pd.factorize(owner_names)[0][owner], region_codes):
        group, _ = pd.factorize(group * (int(codes.max()) + 1 if len(codes) else 1) + codes)
    first_rows = np.unique(group, return_index=True)[1]
    id_codes, id_values = pd.factorize(owner_ids)
    return _Reps(
        group=group,
        owner_id=pd.Series(owner_ids.array[owner[first_rows]]),
        owner_name=pd.Series(owner_names.array[owner[first_rows]]),
        region=pd.Series(text_array(window.mqls["region"].iloc[first_rows])),
        owner=id_codes[owner],
        owner_ids=id_values,
    )


def _rep_counts(policy: Policy, verdicts: MqlVerdicts, reps: _Reps) -> pd.DataFrame:
    """One row per group of `reps`: the policy's items due and of each status."""
    groups = len(reps.owner_id)
    per_status = np.bincount(
        reps.group * len(STATUSES) + verdicts.status.astype(np.int64),
        minlength=groups * len(STATUSES),
    ).reshape(-1, len(STATUSES))
    frame = pd.DataFrame(
        {
            "policy_id": repeated(policy.id, groups),
            "owner_id": reps.owner_id.array,
            "owner_name": reps.owner_name.array,
            "region": reps.region.array,
            "due_count": per_status.sum(axis=1),
        }
    )
    for index, status_name in enumerate(STATUSES):
        frame[f"{status_name}_count"] = per_status[:, index]
    return frame


def _rep_medians(policy: Policy, verdicts: MqlVerdicts, reps: _Reps) -> pd.DataFrame:
    """One row per owner with resolved items: the median hours to resolve them on the policy's clock."""
    resolved = ~np.isnat(verdicts.resolved_at)
    hours = pd.Series(verdicts.measured[resolved]).groupby(reps.owner[resolved]).median()
    return pd.DataFrame(
        {
            "policy_id": repeated(policy.id, len(hours)),
            "owner_id": reps.owner_ids[hours.index.to_numpy()],
            "median_hours": hours.to_numpy(),
        }
    )


def _rated(counts: pd.DataFrame, medians: pd.DataFrame, policies: Policies) -> pd.DataFrame:
    """The per-rep counts with their compliance, median hours and colour, in policy order and worst
    compliance first."""
    judged = counts["met_count"] + counts["breached_count"]
    counts["compliance_rate"] = counts["met_count"] / judged.where(judged > 0)
    counts = counts.merge(medians, on=["policy_id", "owner_id"], how="left")
    names = {p.id: p.name for p in policies.policies}
    goals = {p.id: p.goal_rate for p in policies.policies}
    counts["policy_name"] = counts["policy_id"].map(names)
    pairs = zip(counts["policy_id"], counts["compliance_rate"], strict=True)
    counts["status"] = [policies.status(rate, goals[policy_id]) for policy_id, rate in pairs]
    counts["policy_order"] = counts["policy_id"].map({p: i for i, p in enumerate(policies.ids)})
    counts = counts.sort_values(["policy_order", "compliance_rate", "owner_name"], na_position="last")
    return counts[_REP_COLUMNS].reset_index(drop=True)


@db.computed_query(
    "sla__compliance_by_rep",
    "One row per (per-MQL policy, lead owner): items due, met, breached, pending, compliance_rate, "
    "the median hours to resolve on the policy's clock and the colour.",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=policy_file_version,
)
def compliance_by_rep_query(params: dict, db_path: str) -> pd.DataFrame:
    """Sales policies per rep (the lead's owner)."""
    window = evaluate_window(params, db_path)
    mql_policies = window.mql_policies()
    if not mql_policies or window.mqls.empty:
        return pd.DataFrame(columns=_REP_COLUMNS)
    reps = _reps(window)
    frames, medians = [], []
    for policy in mql_policies:
        verdicts = window.verdicts[policy.id]
        frames.append(_rep_counts(policy, verdicts, reps))
        medians.append(_rep_medians(policy, verdicts, reps))
    counts = pd.concat(frames, ignore_index=True)
    return _rated(counts, pd.concat(medians, ignore_index=True), window.policies)


@db.computed_query(
    "sla__compliance_by_source",
    "One row per (quality policy, channel or source campaign): its MQLs, accepted and rejected counts, "
    "acceptance_rate, its share of all MQLs, and its months due/met/breached/pending against the policy.",
    FILTER_DECLARATIONS
    + POLICIES_DECLARATION
    + "-- $group_by text in (channel, campaign) = channel  group leads by source channel or source campaign",
    cache_key=policy_file_version,
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
_BREACH_LIST_COLUMNS = [
    "policy_id",
    "policy_name",
    "owner_team",
    "owner_id",
    "owner_name",
    "item",
    "lead_id",
    "lead_name",
    "company_name",
    "segment",
    "period_start",
    "started_at",
    "due_at",
    "resolved_at",
    "missed_by",
    "missed_by_unit",
    "missed_by_text",
]


def _period_breaches(items: pd.DataFrame | None) -> dict | None:
    """The breached items of a per-period policy (months, or months and segments), worst first, by
    column; None when it has none."""
    if items is None or not (items["status"] == "breached").any():
        return None
    missed = items[items["status"] == "breached"]
    missed = missed.iloc[_worst_first(missed["missed_by"].to_numpy(dtype=float), missed["item"].array)]
    return {column: missed[column].array for column in missed.columns if column in _BREACH_COLUMNS}


def _mql_breaches(
    window: WindowEvaluation, policy: Policy, rows: np.ndarray, names: pd.DataFrame
) -> dict[str, np.ndarray]:
    """The breached MQLs of a per-MQL policy (at `rows`, with their `names` from `lead_owners`),
    worst first, by column."""
    verdicts = window.verdicts[policy.id]
    lead_id = text_array(names["lead_id"].iloc[rows])
    # The list's order within the policy (the whole list is sorted policy by policy).
    worst = _worst_first(verdicts.missed_by[rows], lead_id)
    rows, lead_id = rows[worst], lead_id[worst]
    return {
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


def _breach_frame(policy: Policy, order: int, frame: dict) -> pd.DataFrame:
    """One policy's breaches (`frame`, by column) as rows of the list, columns it lacks left blank."""
    n = len(frame["item"])
    blank_text, no_time = repeated(None, n), np.full(n, np.datetime64("NaT", "us"))
    return pd.DataFrame(
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


def _no_breaches(policies: Policies) -> pd.DataFrame:
    """The empty breach list, typed as the list was before it was built policy by policy."""
    breached = pd.DataFrame(columns=_BREACH_COLUMNS)
    owners_of = {p.id: p for p in policies.policies}
    breached["policy_name"] = breached["policy_id"].map(lambda p: owners_of[p].name)
    breached["owner_team"] = breached["policy_id"].map(lambda p: owners_of[p].owner_team)
    breached["policy_order"] = breached["policy_id"].map({p: i for i, p in enumerate(policies.ids)})
    return breached.sort_values(["policy_order", "missed_by", "item"], ascending=[True, False, True])


@db.computed_query(
    "sla__breaches",
    "One row per breached item (an MQL, or a month and segment): the policy, who owned it, when it "
    "started and was due, when it was resolved, and by how much it missed (missed_by in missed_by_unit).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION + "-- $policy_id text = null  only this policy; NULL = all",
    cache_key=policy_file_version,
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
            frame = _period_breaches(window.period_items.get(policy.id))
        else:
            rows = np.flatnonzero(window.verdicts[policy.id].status == BREACHED)
            if len(rows) and names is None:  # the owners' names, read once and only if needed
                names = window.lead_owners()
            frame = _mql_breaches(window, policy, rows, names) if len(rows) else None
        if frame is not None:
            frames.append(_breach_frame(policy, order, frame))
    # In policy order, each policy's rows already worst first; or the empty list, typed as before.
    breached = pd.concat(frames, ignore_index=True) if frames else _no_breaches(policies)
    breached["missed_by_unit"] = breached["unit"]
    breached["missed_by_text"] = _missed_texts(
        breached["unit"], breached["missed_by"], breached["resolved_at"]
    )
    breached = with_lead_names(breached, db_path)
    return breached[_BREACH_LIST_COLUMNS].reset_index(drop=True)


def with_lead_names(frame: pd.DataFrame, db_path: str) -> pd.DataFrame:
    """`frame` with each row's lead_name and company_name (blank for rows without a lead)."""
    ids = pd.unique(frame["lead_id"].dropna()).tolist()
    names = db.run_query("sla__lead_names", db=db_path, lead_ids=ids or None).set_index("lead_id")
    return frame.assign(
        lead_name=frame["lead_id"].map(names["lead_name"]),
        company_name=frame["lead_id"].map(names["company_name"]),
    )


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
    cache_key=policy_file_version,
)
def live_queue_query(params: dict, db_path: str) -> pd.DataFrame:
    """The live queue: the whole backlog as of now, whatever the window."""
    policies = policies_from_param(params.get("policies"))
    as_of = latest_timestamp(db_path)
    columns = [
        "policy_id",
        "lead_id",
        "lead_name",
        "company_name",
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
    return with_lead_names(queue, db_path)[columns].reset_index(drop=True)
