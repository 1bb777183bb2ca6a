"""Checks across rows and tables: duplicate keys, references that do not resolve, the rows that
depend on rows with errors, and the warnings (stages out of order, negative cycle times)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handoff.ingest.canonical import CANONICAL, TABLE_ORDER
from handoff.ingest.report import SAMPLES_PER_KIND, Collector, problem_rows

REFERENCES = [  # (child table, column, parent table)
    (table.name, column.name, column.references)
    for table in CANONICAL.values()
    for column in table.columns
    if column.references
]


def validate_tables(
    tables: dict[str, pd.DataFrame], labels, collector: Collector
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Keys, references and cross-table warnings; which rows have errors and which depend on them.

    `labels` holds, per table, each feed's column labels (how problems name where a value came from).
    """
    checks = _Checks(tables, labels, collector)
    own_errors = {t: _rows_with_errors(t, f, collector) for t, f in tables.items()}
    for table_name in tables:
        own_errors[table_name] |= checks.duplicate_keys(table_name)
    for table_name in (t for t in TABLE_ORDER if t in tables):
        own_errors[table_name] |= checks.unresolved_references(table_name)
    dependent = checks.dependents(own_errors)
    checks.warn_lead_stages()
    checks.warn_deals()
    return own_errors, dependent


def _rows_with_errors(table_name: str, frame: pd.DataFrame, collector: Collector) -> np.ndarray:
    """Rows the column checks flagged (type, required, allowed, range) for this table."""
    bad = np.zeros(len(frame), dtype=bool)
    for group in collector.groups.values():
        if group.table == table_name and group.severity == "error" and len(group.rows):
            rows = set(zip(group.rows["file"], group.rows["row"], strict=True))
            if rows:
                index = pd.MultiIndex.from_arrays([frame["_file"], frame["_row"]])
                bad |= index.isin(list(rows))
    return bad


def _when(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass
class _Checks:
    """The mapped tables, and where their problems go."""

    tables: dict[str, pd.DataFrame]
    labels: dict[str, list[dict[str, str]]]
    collector: Collector

    def label_of(self, table: str, column: str) -> pd.Series:
        """Per row, how its feed names the source of `column`."""
        per_feed = {i: feed_labels.get(column, column) for i, feed_labels in enumerate(self.labels[table])}
        return self.tables[table]["_feed"].map(per_feed)

    def add(
        self,
        kind: str,
        table: str,
        column: str,
        expected: str,
        mask,
        values,
        *,
        labelled_by: str | None = None,
    ) -> None:
        labelled_by = labelled_by or column
        self.collector.add(
            kind,
            table,
            column,
            expected,
            problem_rows(self.tables[table], mask, lambda: self.label_of(table, labelled_by), values),
        )

    def duplicate_keys(self, table_name: str) -> np.ndarray:
        """Rows whose key an earlier row has (errors: the first row with it loads)."""
        frame, table = self.tables[table_name], CANONICAL[table_name]
        keys = frame[table.key[0]].astype("str")
        for part in table.key[1:]:  # a composite key as one text, its parts joined by a separator
            keys = keys.fillna("") + "\x1f" + frame[part].astype("str").fillna("")
        dup = (keys.duplicated() & keys.notna()).to_numpy()
        key_label = ", ".join(table.key)
        shown = keys.str.replace("\x1f", ", ") if len(table.key) > 1 else keys
        expected = f"each {key_label} once (the first row with it loads)"
        self.add("duplicate_key", table_name, key_label, expected, dup, shown, labelled_by=table.key[0])
        return dup

    def unresolved_references(self, table_name: str) -> np.ndarray:
        """Rows with a reference (an owner, a lead, a campaign…) that no row of its parent table has."""
        frame = self.tables[table_name]
        unresolved_any = np.zeros(len(frame), dtype=bool)
        for child, column, parent in REFERENCES:
            if child != table_name:
                continue
            values = frame[column]
            if parent in self.tables:
                all_keys = self.tables[parent][CANONICAL[parent].key[0]]
            else:
                all_keys = pd.Series([], dtype="str")
            unresolved = (values.notna() & ~values.isin(all_keys)).to_numpy()
            expected = f"a {CANONICAL[parent].key[0]} of {parent}" + (
                "" if parent in self.tables else f" (the mapping fills no {parent})"
            )
            self.add("unresolved_reference", table_name, column, expected, unresolved, values)
            unresolved_any |= unresolved
        return unresolved_any

    def dependents(self, own_errors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Rows whose parent row is set aside, set aside too (people can chain through manager_id)."""
        tables = self.tables
        dependent = {t: np.zeros(len(f), dtype=bool) for t, f in tables.items()}
        changed = True
        while changed:
            changed = False
            for child, column, parent in REFERENCES:
                if child not in tables or parent not in tables:
                    continue
                keys = tables[parent][CANONICAL[parent].key[0]]
                aside = own_errors[parent] | dependent[parent]
                # A key is gone only if no row with it loads (a later duplicate is set aside, the first kept).
                gone = keys[aside & ~keys.isin(keys[~aside]).to_numpy()]
                values = tables[child][column]
                hit = (values.notna() & values.isin(gone)).to_numpy() & ~own_errors[child] & ~dependent[child]
                if hit.any():
                    dependent[child] |= hit
                    changed = True
                    expected = f"its {parent} row, which has an error, to load"
                    self.add("depends_on_rejected", child, column, expected, hit, values)
        return dependent

    def warn(
        self,
        kind: str,
        table: str,
        column: str,
        expected: str,
        mask: np.ndarray,
        describe: Callable[[int], str],
    ) -> None:
        """A warning on the rows of `mask`; only its first rows are kept, so only those are described."""
        frame = self.tables[table]
        first = np.flatnonzero(mask)[:SAMPLES_PER_KIND]
        sample = np.zeros(len(frame), dtype=bool)
        sample[first] = True
        values = pd.Series([describe(i) for i in first], index=frame.index[first], dtype="object")
        self.collector.add(
            kind,
            table,
            column,
            expected,
            problem_rows(frame, sample, lambda: self.label_of(table, column), values.reindex(frame.index)),
            count=int(mask.sum()),
        )

    def warn_lead_stages(self) -> None:
        """Warnings: a lead's MQL, SAL or SQL before the stages before it."""
        leads = self.tables.get("leads")
        if leads is None or not len(leads):
            return
        latest = leads["created_at"].to_numpy(dtype="datetime64[us]")
        latest_name = np.full(len(leads), "created_at", dtype=object)
        for stage in ("mql_at", "sal_at", "sql_at"):
            values = leads[stage].to_numpy(dtype="datetime64[us]")
            present = ~np.isnat(values)
            earlier = present & ~np.isnat(latest) & (values < latest)
            if earlier.any():
                self.warn(
                    "stages_out_of_order",
                    "leads",
                    stage,
                    f"{stage} at or after the lead's earlier stages",
                    earlier,
                    lambda i, v=values, before=latest, n=latest_name, s=stage: (
                        f"{s} {_when(v[i])} is before {n[i]} {_when(before[i])}"
                    ),
                )
            later = present & (np.isnat(latest) | (values > latest))
            latest = np.where(later, values, latest)
            latest_name = np.where(later, stage, latest_name)

    def warn_deals(self) -> None:
        """Warnings: a deal closed before it was opened, won without a close date, opened before its lead."""
        deals, leads = self.tables.get("deals"), self.tables.get("leads")
        if deals is None or not len(deals):
            return
        created = deals["created_at"].to_numpy(dtype="datetime64[us]")
        closed = deals["closed_at"].to_numpy(dtype="datetime64[us]")
        negative = ~np.isnat(closed) & ~np.isnat(created) & (closed < created)
        self.warn(
            "negative_cycle_time",
            "deals",
            "closed_at",
            "a deal closed at or after it was created",
            negative,
            lambda i: f"closed {_when(closed[i])}, created {_when(created[i])}",
        )
        won_undated = (deals["stage"] == "won").to_numpy() & np.isnat(closed)
        self.warn(
            "won_without_close_date",
            "deals",
            "closed_at",
            "a close date for every won deal (without one it does not count as Won in the funnel)",
            won_undated,
            lambda i: f"deal {deals['deal_id'].iloc[i]} is won, with no close date",
        )
        if leads is None or not len(leads):
            return
        by_lead = pd.Series(leads["created_at"].to_numpy(), index=leads["lead_id"].to_numpy())
        lead_created = (
            deals["lead_id"].map(by_lead[~by_lead.index.duplicated()]).to_numpy(dtype="datetime64[us]")
        )
        early = ~np.isnat(lead_created) & ~np.isnat(created) & (created < lead_created)

        def opened_early(i: int) -> str:
            return f"opened {_when(created[i])}, before its lead was created {_when(lead_created[i])}"

        expected = "a deal opened at or after its lead was created"
        self.warn("stages_out_of_order", "deals", "created_at", expected, early, opened_early)
