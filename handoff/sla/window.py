"""Window evaluation: one window of filters judged under one policy set, what every `sla__*` query
of that window reads.

A page asks several sla__* queries about the same window; it is judged once (`evaluate_window`)
and kept, and a window inside a kept one with the same other filters is cut out of it. The MQLs
are read through `sla__mql_clock` (times, score, region, decision; no names); text is fetched
(`sla__mql_groups`, `sla__mql_lead_owners`) only by the queries that show it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handoff import cache, db
from handoff.filters import FILTER_PARAMS
from handoff.sla.judging import (
    ITEM_COLUMNS,
    MqlVerdicts,
    clear_judged,
    count_statuses,
    judged_verdicts,
    month_numbers,
    quality_values,
    target_values,
)
from handoff.sla.policies import MQL_KINDS, PERIOD_KINDS, STATUSES, Policies, Policy
from handoff.sla.policy_file import file_version, policies_from_param


def filters_of(params: Mapping[str, object]) -> dict[str, object]:
    return {name: value for name, value in params.items() if name in FILTER_PARAMS}


def latest_timestamp(db_path: str) -> pd.Timestamp | None:
    """The data's as-of time: the latest timestamp anywhere in the database (None if empty)."""
    value = db.run_query("sla__latest_timestamp", db=db_path)["as_of_at"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value)


@dataclass(frozen=True)
class WindowEvaluation:
    """One window of filters judged under one policy set: what every sla__* query of it reads.

    The MQLs are `sla__mql_clock` rows (times, score, region, decision; no names); each per-MQL
    policy is judged once on whole columns, and text is fetched (`sla__mql_groups`,
    `sla__mql_lead_owners`) only by the queries that show it.
    """

    policies: Policies
    as_of: pd.Timestamp | None
    mqls: pd.DataFrame
    verdicts: Mapping[str, MqlVerdicts]  # per-MQL policies, by id
    # Quality, volume and pipeline items by policy id (policies with items only), in the columns of
    # `evaluate_*_policy` that are not blank.
    period_items: Mapping[str, pd.DataFrame]
    filters: Mapping[str, object]
    db_path: str

    def mql_policies(self) -> list[Policy]:
        """The per-MQL policies that were judged, in file order."""
        return [policy for policy in self.policies.policies if policy.id in self.verdicts]

    def lead_owners(self) -> pd.DataFrame:
        """lead_id, segment, owner_id and owner_name of each MQL, row for row (one pass for the breach list)."""
        frame = _in_mql_order(db.run_query("sla__mql_lead_owners", self.filters, db=self.db_path))
        if not np.array_equal(frame["mql_number"].to_numpy(), self.mqls["mql_number"].to_numpy()):
            raise AssertionError("sla__mql_lead_owners and sla__mql_clock returned different MQLs")
        return frame

    def groups(self, group: str) -> tuple[np.ndarray, pd.Series, pd.Series]:
        """Each MQL's owner, channel, campaign or segment as a number, with key_text and label_text
        of each number (`sla__mql_groups`: every name read once, numbered in order of first appearance)."""
        frame = db.run_query("sla__mql_groups", self.filters, db=self.db_path, group=group)
        numbers = self.mqls["mql_number"].to_numpy()
        codes = np.full(len(numbers), -1, dtype=np.int64)
        for code, members in enumerate(frame["mql_numbers"]):
            rows = np.searchsorted(numbers, np.asarray(members, dtype=numbers.dtype))
            if len(rows) and (rows[-1] >= len(numbers) or not np.array_equal(numbers[rows], members)):
                raise AssertionError("sla__mql_groups and sla__mql_clock returned different MQLs")
            codes[rows] = code
        if (codes < 0).any():
            raise AssertionError("sla__mql_groups left out MQLs of sla__mql_clock")
        return codes, frame["key_text"].reset_index(drop=True), frame["label_text"].reset_index(drop=True)

    def status_counts(self, by_month: bool) -> pd.DataFrame:
        """`count_statuses` of every item per policy (and month), as `evaluate` + `count_statuses`
        would give them (in another row order); per-MQL policies are counted from their status
        codes and the few monthly items one by one, no item frame."""
        keys = ["policy_id", "period_start"] if by_month else ["policy_id"]
        policy_ids, periods, counts = [], [], []
        if len(self.mqls) and self.verdicts:
            month_values, month_codes = self._months() if by_month else (np.zeros(1, dtype=np.int64), 0)
            month_starts = month_values.astype("datetime64[M]").astype("datetime64[us]")
            for policy in self.mql_policies():
                status = self.verdicts[policy.id].status.astype(np.int64)
                per_status = np.bincount(
                    month_codes * len(STATUSES) + status, minlength=len(month_values) * len(STATUSES)
                )
                counts.append(per_status.reshape(len(month_values), len(STATUSES)))
                policy_ids += [policy.id] * len(month_values)
                periods.append(month_starts)
        cells: dict[tuple, np.ndarray] = {}
        for frame in self.period_items.values():
            columns = [frame[key].to_numpy() for key in keys]
            for *key, status in zip(*columns, frame["status"].to_numpy(dtype=object), strict=True):
                cell = cells.setdefault(tuple(key), np.zeros(len(STATUSES), dtype=np.int64))
                if status in STATUSES:
                    cell[STATUSES.index(status)] += 1
        if cells:
            policy_ids += [key[0] for key in cells]
            if by_month:
                periods.append(np.array([key[-1] for key in cells], dtype="datetime64[us]"))
            counts.append(np.array(list(cells.values())))
        if not policy_ids:
            return count_statuses(pd.DataFrame(columns=ITEM_COLUMNS), keys)
        per_status = np.concatenate(counts).astype(np.int64)
        out = pd.DataFrame({"policy_id": pd.array(np.array(policy_ids, dtype=object), dtype="str")})
        if by_month:
            out["period_start"] = np.concatenate(periods)
        out["due_count"] = per_status.sum(axis=1)
        for index, status_name in enumerate(STATUSES):
            out[f"{status_name}_count"] = per_status[:, index]
        judged = out["met_count"] + out["breached_count"]
        out["compliance_rate"] = out["met_count"] / judged.where(judged > 0)
        return out

    def _months(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct months of the MQLs (as numpy month numbers) and each MQL's place among them."""
        month = month_numbers(self.mqls["mql_at"].to_numpy(dtype="datetime64[us]"))
        if not len(month):
            return month, month
        first = int(month.min())
        present = np.bincount(month - first) > 0
        place = np.cumsum(present) - 1  # each month of the span → its place among the months with MQLs
        return np.flatnonzero(present) + first, place[month - first].astype(np.int64)

    def period_starts(self) -> pd.DataFrame:
        """The month of every item (one row per distinct MQL month is enough for a span)."""
        months = [self._months()[0].astype("datetime64[M]").astype("datetime64[us]")] if self.verdicts else []
        periods = [
            frame["period_start"].to_numpy(dtype="datetime64[us]") for frame in self.period_items.values()
        ]
        values = (
            np.concatenate([*months, *periods]) if months or periods else np.array([], dtype="datetime64[us]")
        )
        return pd.DataFrame({"period_start": values})


def _in_mql_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in mql_number order. The lean queries read sla_mql_facts, stored in that order, without
    sorting again (DuckDB keeps insertion order); this only checks it, and sorts if it ever is not."""
    numbers = frame["mql_number"].to_numpy()
    if len(numbers) > 1 and not (numbers[1:] > numbers[:-1]).all():
        return frame.sort_values("mql_number", ignore_index=True)
    return frame


# Evaluations grouped by what does not move with the window (database file, policies, the other
# filters), so that a window finds a wider one of its group: at most 8 groups of 8 windows.
_EVALUATIONS = cache.Cache("sla.window_evaluations", max_items=8)
_WINDOWS_PER_GROUP = 8
_evaluations_lock = threading.Lock()


def _evaluation_key(params: Mapping[str, object], db_path: str) -> tuple:
    """(what does not move with the window, start, end) of one evaluation."""
    filters = filters_of(params)
    text = params.get("policies")
    # Without policy text the file is read: its modification time keeps an edit from going unseen.
    source = text if text is not None else ("file", *file_version())
    # A filter left at None means "all", as if it were not given.
    rest = tuple(
        sorted(
            (k, tuple(v) if isinstance(v, list) else v)
            for k, v in filters.items()
            if k not in ("start", "end") and v is not None
        )
    )
    return (db.db_identity(db_path), source, rest), filters.get("start"), filters.get("end")


def _covers(start, end, inner_start, inner_end) -> bool:
    """Whether the window [start, end) holds [inner_start, inner_end) (None: open)."""
    return (start is None or (inner_start is not None and start <= inner_start)) and (
        end is None or (inner_end is not None and inner_end <= end)
    )


def _known_evaluation(key: tuple) -> WindowEvaluation | None:
    """The kept evaluation of this window, or of a wider one with the same filters and policies."""
    base, start, end = key
    group = _EVALUATIONS.get(base) or ()
    for window, evaluation in group:
        if window == (start, end):
            return evaluation
    for (other_start, other_end), evaluation in reversed(group):  # the latest first
        if _covers(other_start, other_end, start, end):
            return evaluation
    return None


def _keep(key: tuple, evaluation: WindowEvaluation) -> None:
    """Keep an evaluation in its group (the group's oldest window goes when it is full)."""
    base, start, end = key
    with _evaluations_lock:
        others = tuple(item for item in _EVALUATIONS.get(base) or () if item[0] != (start, end))
        _EVALUATIONS.put(base, (*others, ((start, end), evaluation))[-_WINDOWS_PER_GROUP:])


def knows_window(params: Mapping[str, object], db_path: str) -> bool:
    """Whether the window of `params` is kept, or a wider one with the same other filters is."""
    return _known_evaluation(_evaluation_key(params, db_path)) is not None


def evaluate_window(params: Mapping[str, object], db_path: str) -> WindowEvaluation:
    """One window of filters evaluated under one policy text (see WindowEvaluation).

    A page asks several sla__* queries about the same window; it is evaluated once and kept (a
    few windows, per database file and policy text). A window inside a kept one with the same
    other filters is cut out of it: each MQL's verdict does not depend on the window, and the
    monthly items are recounted on its own MQLs and months. Callers must not modify it.
    """
    key = _evaluation_key(params, db_path)
    known = _known_evaluation(key)
    if known is not None and key[1:] == (known.filters.get("start"), known.filters.get("end")):
        return known
    filters = filters_of(params)
    if known is not None:
        result = _cut(known, filters)
    else:
        result = _evaluate(filters, params.get("policies"), db_path)
    _keep(key, result)
    return result


def _evaluate(filters: Mapping[str, object], text: str | None, db_path: str) -> WindowEvaluation:
    policies = policies_from_param(text)
    as_of = latest_timestamp(db_path)
    mqls = _in_mql_order(db.run_query("sla__mql_clock", filters, db=db_path))
    verdicts = {}
    if as_of is not None:
        for policy in policies.of_kind(*MQL_KINDS):
            verdicts[policy.id] = judged_verdicts(policy, mqls, policies.clock, as_of, db_path)

    def period_items() -> dict[str, pd.DataFrame]:
        items, attainment = {}, None
        for policy in policies.of_kind(*PERIOD_KINDS) if as_of is not None else ():
            if policy.kind == "quality":
                items[policy.id] = pd.DataFrame(quality_values(policy, mqls, as_of))
            else:
                if attainment is None:
                    attainment = db.run_query("sla__target_attainment", filters, db=db_path)
                items[policy.id] = pd.DataFrame(target_values(policy, attainment, as_of))
        return {policy_id: frame for policy_id, frame in items.items() if len(frame)}

    return WindowEvaluation(policies, as_of, mqls, verdicts, _OnFirstUse(period_items), filters, db_path)


class _OnFirstUse(Mapping):
    """A mapping worked out when first read: the per-rep, per-source and speed queries (and
    Explore's SLA measure) never read a window's monthly items, so they never count them."""

    def __init__(self, compute) -> None:
        self._compute, self._items, self._lock = compute, None, threading.Lock()

    def _values(self) -> Mapping:
        if self._items is None:
            with self._lock:
                if self._items is None:
                    self._items, self._compute = self._compute(), None
        return self._items

    def __getitem__(self, key):
        return self._values()[key]

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def _cut(wider: WindowEvaluation, filters: Mapping[str, object]) -> WindowEvaluation:
    """The evaluation of the window of `filters`, cut out of a wider one with the same other filters:
    its MQLs (by mql_at, stored in that order) with their verdicts, its quality months recounted on
    them, and its target months (by period_start)."""
    start, end = filters.get("start"), filters.get("end")
    mql_at = wider.mqls["mql_at"].to_numpy(dtype="datetime64[us]")
    first = 0 if start is None else int(np.searchsorted(mql_at, np.datetime64(start, "us")))
    last = len(mql_at) if end is None else int(np.searchsorted(mql_at, np.datetime64(end, "us")))
    mqls = wider.mqls.iloc[first:last].reset_index(drop=True)
    verdicts = {policy_id: verdicts.rows(first, last) for policy_id, verdicts in wider.verdicts.items()}

    def period_items() -> dict[str, pd.DataFrame]:
        items = {}
        for policy in wider.policies.policies if wider.as_of is not None else ():
            if policy.kind == "quality":
                items[policy.id] = pd.DataFrame(quality_values(policy, mqls, wider.as_of))
            elif policy.id in wider.period_items:
                months = wider.period_items[policy.id]
                period = months["period_start"].to_numpy(dtype="datetime64[us]")
                inside = np.ones(len(period), dtype=bool)
                if start is not None:
                    inside &= period >= np.datetime64(start, "us")
                if end is not None:
                    inside &= period < np.datetime64(end, "us")
                items[policy.id] = months[inside].reset_index(drop=True)
        return {policy_id: frame for policy_id, frame in items.items() if len(frame)}

    return WindowEvaluation(
        wider.policies, wider.as_of, mqls, verdicts, _OnFirstUse(period_items), dict(filters), wider.db_path
    )


def clear_caches(per_file: bool = False) -> None:
    """Forget the window evaluations (a new filter combination's cost, in the benchmark and the
    tests); with `per_file`, also the verdicts kept per database file (a cold start)."""
    _EVALUATIONS.clear()
    if per_file:
        clear_judged()
