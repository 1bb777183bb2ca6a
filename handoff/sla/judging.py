"""Judging: each policy's items with a status (met, breached, pending), on whole columns.

- per MQL (follow-up, acceptance decision): met, breached, or pending while still inside its
  window at the data's as-of time (the database's latest timestamp);
- per month (volume, quality, pipeline): met once reached, breached once the month is over (or
  has settled) without it, pending until then.

Columns are numpy and pandas, never a Python loop per lead. An MQL's verdict depends only on its
own facts, the policy and the data's as-of time, so verdicts are also kept per database file by
mql_number (`judged_verdicts`): a window judges only MQLs no earlier window of that file judged.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from handoff import cache, db
from handoff.sla.clock import RegionalClock, add_wall_hours, wall_hours_between
from handoff.sla.policies import MONEY_METRICS, MQL_KINDS, STATUSES, Policies, Policy

ITEM_COLUMNS = [
    "policy_id",
    "period_start",
    "item",
    "lead_id",
    "segment",
    "owner_id",
    "owner_name",
    "region",
    "channel",
    "source_campaign_id",
    "campaign_name",
    "score",
    "started_at",
    "due_at",
    "resolved_at",
    "threshold",
    "measured",
    "status",
    "missed_by",
    "unit",
    "clock",
    "reached_sql",
    "reached_won",
]


_DATETIME_ITEM_COLUMNS = ("period_start", "started_at", "due_at", "resolved_at")
_FLOAT_ITEM_COLUMNS = ("score", "threshold", "measured", "missed_by")
_BOOL_ITEM_COLUMNS = ("reached_sql", "reached_won")
# Status codes of the per-MQL verdicts: positions in STATUSES.
MET, BREACHED, PENDING = range(len(STATUSES))


def _items_frame(n: int, values: Mapping[str, object]) -> pd.DataFrame:
    """An item frame of n rows; columns not given are typed blanks (NaT, NaN, False, None), so
    frames of every kind concatenate without falling back to slow object columns."""
    columns = {}
    for name in ITEM_COLUMNS:
        if name in values:
            columns[name] = values[name]
        elif name in _DATETIME_ITEM_COLUMNS:
            columns[name] = np.full(n, np.datetime64("NaT", "us"))
        elif name in _FLOAT_ITEM_COLUMNS:
            columns[name] = np.full(n, np.nan)
        elif name in _BOOL_ITEM_COLUMNS:
            columns[name] = np.zeros(n, dtype=bool)
        else:
            columns[name] = repeated(None, n)
    return pd.DataFrame(columns, columns=ITEM_COLUMNS)


def text_array(column: pd.Series):
    """A text column as pandas' own string array: no round trip through Python objects."""
    return column.astype("str").array


def _labels(choices: Sequence[str | None], codes: np.ndarray):
    """A text column of choices[code] per row, built in Arrow (no Python string per row)."""
    return pd.array(pa.array(list(choices), type=pa.large_string()).take(pa.array(codes)), dtype="str")


def repeated(value: str | None, n: int):
    """A text column holding one value n times."""
    return _labels([value], np.zeros(n, dtype=np.int8))


def month_start(values) -> pd.Series:
    """The first day of each timestamp's month (UTC), as a Timestamp."""
    months = month_numbers(values).astype("datetime64[M]").astype("datetime64[us]")
    return pd.Series(months)


def month_numbers(values) -> np.ndarray:
    """Each timestamp's month as numpy numbers it (months since 1970-01), exactly as
    `astype("datetime64[M]")` gives it. numpy's month arithmetic costs about 30 ns a value; a
    window's timestamps span few days, so each day is converted once and the rows look theirs up."""
    stamps = np.asarray(values, dtype="datetime64[us]")
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if not len(days) or np.isnat(stamps).any() or int(days.max()) - int(days.min()) > len(days):
        return stamps.astype("datetime64[M]").astype(np.int64)
    first = int(days.min())
    table = (
        np.arange(first, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    )
    return table[days - first]


@dataclass(frozen=True)
class MqlVerdicts:
    """One per-MQL policy judged on whole columns: one value per MQL, in the MQLs' order."""

    threshold: np.ndarray  # hours on the policy's clock
    measured: np.ndarray  # hours to resolve, or so far when unresolved
    resolved_at: np.ndarray  # first sales touch or decision (NaT: none yet)
    status: np.ndarray  # MET, BREACHED or PENDING
    started_at: np.ndarray  # mql_at
    regions: object  # each MQL's region (its business-hours calendar)
    clock: RegionalClock | None  # None: the wall clock

    @property
    def missed_by(self) -> np.ndarray:
        return np.where(self.status == BREACHED, self.measured - self.threshold, np.nan)

    def rows(self, first: int, last: int) -> MqlVerdicts:
        """The verdicts of MQLs first … last - 1."""
        regions = self.regions[first:last]
        if isinstance(regions, pd.Series):
            regions = regions.reset_index(drop=True)
        return MqlVerdicts(
            self.threshold[first:last],
            self.measured[first:last],
            self.resolved_at[first:last],
            self.status[first:last],
            self.started_at[first:last],
            regions,
            self.clock,
        )

    def due_at(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The deadline of each MQL (or of `rows` only): worked out when a query shows it, since
        counting and the scorecard never need it."""
        start, hours = self.started_at, self.threshold
        if rows is None:
            regions = self.regions
        else:
            start, hours = start[rows], hours[rows]
            regions = (
                self.regions.iloc[rows]
                if isinstance(self.regions, pd.Series)
                else np.asarray(self.regions, dtype=object)[rows]
            )
        if self.clock is None:
            return add_wall_hours(start, hours)
        return self.clock.add_hours(start, hours, regions)


def judge_mqls(policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of: pd.Timestamp) -> MqlVerdicts:
    """The verdicts of a follow-up or acceptance-decision policy on `mqls` (see evaluate_mql_policy)
    as numpy columns; reads only mql_at, region, score, first_sales_touch_at and decided_at."""
    start = mqls["mql_at"].to_numpy(dtype="datetime64[us]")
    regions = mqls["region"]
    if policy.kind == "follow_up":
        resolved = mqls["first_sales_touch_at"].to_numpy(dtype="datetime64[us]")
        threshold = policy.threshold_hours(mqls["score"].to_numpy(dtype=float, na_value=np.nan))
    else:
        resolved = mqls["decided_at"].to_numpy(dtype="datetime64[us]")
        per_day = clock.day_hours(regions) if policy.clock == "business" else np.full(len(mqls), 24.0)
        threshold = policy.days * per_day
    now = pd.Timestamp(as_of).to_datetime64().astype("datetime64[us]")
    if policy.clock == "business":
        elapsed, so_far = clock.measure(start, resolved, now, regions)
    else:
        elapsed = wall_hours_between(start, resolved)
        so_far = wall_hours_between(start, np.full(len(mqls), now))
    elapsed = np.maximum(elapsed, 0.0)  # NaN (unresolved) stays NaN
    is_resolved = ~np.isnan(elapsed)
    measured = np.where(is_resolved, elapsed, so_far)
    on_time = measured <= threshold + 1e-9
    status = np.where(on_time, np.where(is_resolved, MET, PENDING), BREACHED).astype(np.int8)
    return MqlVerdicts(
        threshold, measured, resolved, status, start, regions, clock if policy.clock == "business" else None
    )


def evaluate_mql_policy(
    policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of: pd.Timestamp
) -> pd.DataFrame:
    """One item per MQL for a follow-up or acceptance-decision policy.

    Follow-up resolves at the first sales touch; acceptance at the decision (sal_at, or
    disqualified_at with a reason, whichever came first). An item resolved within its threshold
    is met, after it breached; an unresolved one is pending until its deadline passes, then
    breached (and its miss keeps growing). Hours count on the policy's clock; a resolution before
    mql_at counts as 0 h.
    """
    verdicts = judge_mqls(policy, mqls, clock, as_of)
    n = len(mqls)
    return _items_frame(
        n,
        {
            "policy_id": repeated(policy.id, n),
            "period_start": month_start(mqls["mql_at"]).to_numpy(),
            "item": text_array(mqls["lead_id"]),
            "lead_id": text_array(mqls["lead_id"]),
            "segment": text_array(mqls["segment"]),
            "owner_id": text_array(mqls["owner_id"]),
            "owner_name": text_array(mqls["owner_name"]),
            "region": text_array(mqls["region"]),
            "channel": text_array(mqls["channel"]),
            "source_campaign_id": text_array(mqls["source_campaign_id"]),
            "campaign_name": text_array(mqls["campaign_name"]),
            "score": mqls["score"].to_numpy(dtype=float, na_value=np.nan),
            "started_at": mqls["mql_at"].to_numpy(dtype="datetime64[us]"),
            "due_at": verdicts.due_at(),
            "resolved_at": verdicts.resolved_at,
            "threshold": verdicts.threshold,
            "measured": verdicts.measured,
            "status": _labels(STATUSES, verdicts.status),
            "missed_by": verdicts.missed_by,
            "unit": repeated(mql_unit(policy), n),
            "clock": repeated(policy.clock, n),
            "reached_sql": mqls["reached_sql"].to_numpy(dtype=bool),
            "reached_won": mqls["reached_won"].to_numpy(dtype=bool),
        },
    )


def mql_unit(policy: Policy) -> str:
    return "business hours" if policy.clock == "business" else "hours"


def evaluate_target_policy(policy: Policy, attainment: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One item per target month (and segment, with per_segment) for a volume or pipeline policy.

    Met as soon as the actual reaches min_attainment × target (counts only grow); breached once
    the month is over without it; pending until then. Months that have not started are left out.
    """
    values = target_values(policy, attainment, as_of)
    return _items_frame(len(values["period_start"]), values)


def target_values(policy: Policy, attainment: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, object]:
    """The columns of `evaluate_target_policy` that are not blank (a few rows: numpy, not pandas)."""
    metric, team = attainment["metric"].to_numpy(dtype=object), attainment["team"].to_numpy(dtype=object)
    actual = attainment["actual_value"].to_numpy(dtype=float, na_value=np.nan)
    keep = (metric == policy.metric) & (team == policy.target_team) & ~np.isnan(actual)
    if not policy.per_segment:
        keep &= attainment["segment"].isna().to_numpy()
    period = pd.to_datetime(attainment["period_start"]).to_numpy(dtype="datetime64[us]")
    keep &= period <= pd.Timestamp(as_of).to_datetime64()
    period, actual = period[keep], actual[keep]
    month_end = period.astype("datetime64[M]") + np.timedelta64(1, "M")
    required = attainment["target_value"].to_numpy(dtype=float)[keep] * policy.min_attainment_rate
    reached = actual >= required - 1e-9
    open_month = month_end.astype("datetime64[us]") > pd.Timestamp(as_of).to_datetime64()
    status = np.where(reached, "met", np.where(open_month, "pending", "breached"))
    segment = text_array(attainment["segment"][keep])
    label = np.where(pd.isna(segment), "all segments", np.asarray(segment, dtype=object))
    money = policy.metric in MONEY_METRICS
    return {
        "policy_id": policy.id,
        "period_start": period,
        "item": [f"{p:%Y-%m} · {s}" for p, s in zip(pd.DatetimeIndex(period), label, strict=True)],
        "segment": segment,
        "owner_name": f"{policy.owner_team.capitalize()} team",
        "threshold": required,
        "measured": actual,
        "status": status,
        "missed_by": np.where(status == "breached", required - actual, np.nan),
        "unit": "USD" if money else policy.metric.upper().rstrip("S") + "s",
    }


def quality_months(
    mqls: pd.DataFrame, policy: Policy, as_of: pd.Timestamp, by: str | None = None
) -> pd.DataFrame:
    """One item per month (and `by` group) for a quality policy: accepted / (accepted + rejected).

    A month is pending until `settle_days` after it ends; then met if the rate reaches the
    minimum, breached if not. A settled month with no decided MQL is no item (nothing to judge).
    """
    months = pd.DataFrame(_monthly_decision_values(mqls, by))
    keep, judged = _judge_quality_months(
        months["period_start"].to_numpy(dtype="datetime64[us]"),
        months["accepted_count"].to_numpy(),
        months["rejected_count"].to_numpy(),
        policy,
        as_of,
    )
    for column, values in judged.items():
        months[column] = values
    return months[keep].reset_index(drop=True)


def _judge_quality_months(
    period_start: np.ndarray, accepted: np.ndarray, rejected: np.ndarray, policy: Policy, as_of: pd.Timestamp
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which months are items, and each month's status, acceptance_rate and missed_by (a few rows: numpy)."""
    decided = accepted + rejected
    rate = accepted / np.where(decided > 0, decided, np.nan)
    next_month = period_start.astype("datetime64[M]") + 1
    settles_at = next_month.astype("datetime64[ns]") + pd.Timedelta(days=policy.settle_days).to_timedelta64()
    settled = settles_at <= pd.Timestamp(as_of).to_datetime64()
    reached = rate >= policy.min_acceptance_rate - 1e-12
    status = np.where(~settled, "pending", np.where(reached, "met", "breached"))
    missed_by = np.where(status == "breached", 100 * (policy.min_acceptance_rate - rate), np.nan)
    return ~(settled & (decided == 0)), {"status": status, "acceptance_rate": rate, "missed_by": missed_by}


def _monthly_decision_values(mqls: pd.DataFrame, by: str | None) -> dict[str, np.ndarray]:
    """MQLs, accepted and rejected per month (and `by` group, missing as "(none)"), sorted by group
    then month: counted with numpy on month and group codes, not a groupby over every MQL."""
    month = month_numbers(mqls["mql_at"])
    first = int(month.min()) if len(month) else 0
    months = np.arange(first, int(month.max()) + 1 if len(month) else first)  # every month of the span
    group_codes, groups = (
        pd.factorize(mqls[by].fillna("(none)"), sort=True)
        if by
        else (np.zeros(len(month), dtype=np.int64), np.array([None], dtype=object))
    )
    width = max(len(months), 1)
    cell = group_codes.astype(np.int64) * width + (month - first)
    size = len(groups) * width
    counted = np.bincount(cell, minlength=size)
    cells = np.flatnonzero(counted)  # (group, month) pairs with MQLs, in that order
    accepted = np.bincount(cell, weights=mqls["is_accepted"].to_numpy(dtype=bool), minlength=size)[cells]
    rejected = np.bincount(cell, weights=mqls["is_rejected"].to_numpy(dtype=bool), minlength=size)[cells]
    frame = {}
    if by:  # as a groupby would give it: text, or Python objects when there are no rows
        names = np.asarray(groups, dtype=object)[cells // width]
        frame[by] = pd.array(names, dtype="str") if len(names) else names
    frame["period_start"] = months.astype("datetime64[M]")[cells % width].astype("datetime64[us]")
    frame["mql_count"] = counted[cells].astype(np.int64)
    frame["accepted_count"] = accepted.astype(np.int64)
    frame["rejected_count"] = rejected.astype(np.int64)
    return frame


def evaluate_quality_policy(policy: Policy, mqls: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Quality items in the common item shape (measured = rate, missed_by in percentage points)."""
    values = quality_values(policy, mqls, as_of)
    return _items_frame(len(values["period_start"]), values)


def quality_values(policy: Policy, mqls: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, object]:
    """The columns of `evaluate_quality_policy` that are not blank (as `quality_months` judges them,
    on numpy columns: a few rows, where pandas' own overhead would be most of the cost)."""
    months = _monthly_decision_values(mqls, None)
    keep, judged = _judge_quality_months(
        months["period_start"], months["accepted_count"], months["rejected_count"], policy, as_of
    )
    period_start = months["period_start"][keep]
    return {
        "policy_id": policy.id,
        "period_start": period_start,
        "item": [f"{p:%Y-%m}" for p in pd.DatetimeIndex(period_start)],
        "owner_name": f"{policy.owner_team.capitalize()} team",
        "threshold": policy.min_acceptance_rate,
        "measured": judged["acceptance_rate"][keep].astype(float),
        "status": judged["status"][keep].astype(object),
        "missed_by": judged["missed_by"][keep].astype(float),
        "unit": "points",
    }


def evaluate(policies: Policies, mqls: pd.DataFrame, attainment: pd.DataFrame, as_of) -> pd.DataFrame:
    """Every item of every policy, in the common item shape (see ITEM_COLUMNS)."""
    frames = []
    if as_of is not None and not pd.isna(as_of):
        as_of = pd.Timestamp(as_of)
        for policy in policies.policies:
            if policy.kind in MQL_KINDS:
                frames.append(evaluate_mql_policy(policy, mqls, policies.clock, as_of))
            elif policy.kind == "quality":
                frames.append(evaluate_quality_policy(policy, mqls, as_of))
            else:
                frames.append(evaluate_target_policy(policy, attainment, as_of))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def count_statuses(items: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """due/met/breached/pending counts and compliance_rate = met / (met + breached) per `keys`.

    Groups come in the order they first appear in `items` (a missing key is a group of its own).
    """
    if items.empty:
        return pd.DataFrame(
            columns=[*keys, "due_count", "met_count", "breached_count", "pending_count", "compliance_rate"]
        )
    group = np.zeros(len(items), dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(items[key], use_na_sentinel=False)
        # Renumbered after each key (in order of first appearance), so the codes stay below len(items).
        group, _ = pd.factorize(group * len(uniques) + codes)
    first_rows = np.unique(group, return_index=True)[1]
    status_codes, found = pd.factorize(items["status"])
    # Each status found → its place in STATUSES; anything else (and a missing status) counts nowhere.
    status = np.array([STATUSES.index(f) if f in STATUSES else -1 for f in found] + [-1])[status_codes]
    counted = status >= 0
    flat = np.bincount(
        group[counted] * len(STATUSES) + status[counted], minlength=len(first_rows) * len(STATUSES)
    )
    per_status = flat.reshape(len(first_rows), len(STATUSES)).astype(np.int64)
    counts = items[keys].iloc[first_rows].reset_index(drop=True)
    counts["due_count"] = per_status.sum(axis=1)
    for index, status_name in enumerate(STATUSES):
        counts[f"{status_name}_count"] = per_status[:, index]
    judged = counts["met_count"] + counts["breached_count"]
    counts["compliance_rate"] = counts["met_count"] / judged.where(judged > 0)
    return counts


# ---------------------------------------------------------------------------------------------
# Verdicts kept per database file


class _JudgedMqls:
    """One per-MQL policy's verdicts on the MQLs of one database file judged so far, by mql_number.

    A verdict depends only on the MQL's own facts, the policy and the data's as-of time, never on
    the window or the filters: a window judges only the MQLs no earlier window judged, and reads
    the rest from here.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threshold = np.zeros(0)
        self.measured = np.zeros(0)
        self.status = np.zeros(0, dtype=np.int8)
        self.judged = np.zeros(0, dtype=bool)

    @property
    def nbytes(self) -> int:
        """What the store holds, in bytes (its size in the shared cache)."""
        return self.threshold.nbytes + self.measured.nbytes + self.status.nbytes + self.judged.nbytes

    def _make_room(self, size: int) -> None:
        if size <= len(self.judged):
            return
        size = max(size, len(self.judged) * 2)
        for name in ("threshold", "measured", "status", "judged"):
            old = getattr(self, name)
            grown = np.zeros(size, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def verdicts(self, policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of) -> MqlVerdicts:
        """`judge_mqls(policy, mqls, clock, as_of)`, judging only the MQLs not judged before."""
        place = mqls["mql_number"].to_numpy(dtype=np.int64) - 1
        with self.lock:
            self._make_room(int(place.max()) + 1)
            new = ~self.judged[place]
            if new.any():
                fresh = judge_mqls(policy, mqls if new.all() else mqls[new], clock, as_of)
                rows = place[new]
                self.threshold[rows], self.measured[rows], self.status[rows] = (
                    fresh.threshold,
                    fresh.measured,
                    fresh.status,
                )
                self.judged[rows] = True
                if new.all():
                    return fresh
            threshold, measured, status = self.threshold[place], self.measured[place], self.status[place]
        resolved = "first_sales_touch_at" if policy.kind == "follow_up" else "decided_at"
        return MqlVerdicts(
            threshold,
            measured,
            mqls[resolved].to_numpy(dtype="datetime64[us]"),
            status,
            mqls["mql_at"].to_numpy(dtype="datetime64[us]"),
            mqls["region"],
            clock if policy.clock == "business" else None,
        )


# Per database file, like its connection (not cleared with the evaluations; a cold start clears
# it, `clear_caches(per_file=True)`): each per-MQL policy's verdicts by mql_number, at most 8 policy
# versions, about 18 bytes an MQL each (8 MB for the 438,000 MQLs of a million leads).
_JUDGED = cache.Cache("sla.judged_verdicts", max_items=8, sizer=lambda store: store.nbytes)
_judged_lock = threading.Lock()


def _judging_key(policy: Policy, clock: RegionalClock) -> tuple:
    """What a per-MQL policy's verdicts depend on: its kind, thresholds and clock (its calendars
    only on the business clock), not its name or goal."""
    calendars = (
        (tuple(sorted(clock.calendars.items())), clock.default) if policy.clock == "business" else None
    )
    return policy.kind, policy.tiers, policy.days, policy.clock, calendars


def judged_verdicts(
    policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of, db_path: str
) -> MqlVerdicts:
    """The verdicts of `judge_mqls`, kept per database file so that no MQL is judged twice."""
    numbers = mqls["mql_number"].to_numpy(dtype=np.int64)
    if not len(numbers) or numbers.min() < 1:
        return judge_mqls(policy, mqls, clock, as_of)
    key = (db.db_identity(db_path), pd.Timestamp(as_of), _judging_key(policy, clock))
    with _judged_lock:
        store = _JUDGED.get(key) or _JUDGED.put(key, _JudgedMqls())
    size = store.nbytes
    verdicts = store.verdicts(policy, mqls, clock, as_of)
    if store.nbytes != size:  # it grew: kept again at its new size
        _JUDGED.put(key, store)
    return verdicts


def clear_judged() -> None:
    """Forget the verdicts kept per database file."""
    _JUDGED.clear()
