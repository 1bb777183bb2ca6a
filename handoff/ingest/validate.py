"""Checks across rows and tables: duplicate keys, references that do not resolve, the rows that
depend on rows with errors, and the warnings (stages out of order, negative cycle times)."""

from __future__ import annotations

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
    """Keys, references and cross-table warnings; which rows have errors and which depend on them."""
    own_errors = {t: _rows_with_errors(t, f, collector) for t, f in tables.items()}

    def label_of(table: str, column: str) -> pd.Series:
        frame = tables[table]
        per_feed = {i: feed_labels.get(column, column) for i, feed_labels in enumerate(labels[table])}
        return frame["_feed"].map(per_feed)

    for table_name, frame in tables.items():
        table = CANONICAL[table_name]
        keys = frame[table.key[0]].astype("str")
        for part in table.key[1:]:  # a composite key as one text, its parts joined by a separator
            keys = keys.fillna("") + "\x1f" + frame[part].astype("str").fillna("")
        dup = (keys.duplicated() & keys.notna()).to_numpy()
        key_label = ", ".join(table.key)
        shown = keys.str.replace("\x1f", ", ") if len(table.key) > 1 else keys
        collector.add(
            "duplicate_key",
            table_name,
            key_label,
            f"each {key_label} once (the first row with it loads)",
            problem_rows(frame, dup, lambda t=table_name, k=table.key[0]: label_of(t, k), shown),
        )
        own_errors[table_name] |= dup

    dependent = {t: np.zeros(len(f), dtype=bool) for t, f in tables.items()}
    for table_name in TABLE_ORDER:
        if table_name not in tables:
            continue
        frame = tables[table_name]
        for child, column, parent in REFERENCES:
            if child != table_name:
                continue
            values = frame[column]
            if parent in tables:
                parent_frame = tables[parent]
                parent_key = CANONICAL[parent].key[0]
                all_keys = parent_frame[parent_key]
            else:
                all_keys = pd.Series([], dtype="str")
            unresolved = (values.notna() & ~values.isin(all_keys)).to_numpy()
            collector.add(
                "unresolved_reference",
                table_name,
                column,
                f"a {CANONICAL[parent].key[0]} of {parent}"
                + ("" if parent in tables else f" (the mapping fills no {parent})"),
                problem_rows(frame, unresolved, lambda t=table_name, c=column: label_of(t, c), values),
            )
            own_errors[table_name] |= unresolved
    # Rows whose parent is set aside are set aside too (people can chain through manager_id).
    changed = True
    while changed:
        changed = False
        for child, column, parent in REFERENCES:
            if child not in tables or parent not in tables:
                continue
            parent_frame = tables[parent]
            parent_key = CANONICAL[parent].key[0]
            keys = parent_frame[parent_key]
            aside = own_errors[parent] | dependent[parent]
            # A key is gone only if no row with it loads (a later duplicate is set aside, the first kept).
            gone = keys[aside & ~keys.isin(keys[~aside]).to_numpy()]
            values = tables[child][column]
            hit = (values.notna() & values.isin(gone)).to_numpy() & ~own_errors[child] & ~dependent[child]
            if hit.any():
                dependent[child] |= hit
                changed = True
                collector.add(
                    "depends_on_rejected",
                    child,
                    column,
                    f"its {parent} row, which has an error, to load",
                    problem_rows(tables[child], hit, lambda t=child, c=column: label_of(t, c), values),
                )
    _warn_stage_order(tables, label_of, collector)
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


def _warn_stage_order(tables, label_of, collector: Collector) -> None:
    """Warnings: lead stages out of order, deals before their lead, closed before opened, won undated."""

    def warn(kind, table, column, expected, mask, describe) -> None:
        # Warnings keep only their first rows, so only those are described.
        frame = tables[table]
        first = np.flatnonzero(mask)[:SAMPLES_PER_KIND]
        sample = np.zeros(len(frame), dtype=bool)
        sample[first] = True
        values = pd.Series([describe(i) for i in first], index=frame.index[first], dtype="object")
        collector.add(
            kind,
            table,
            column,
            expected,
            problem_rows(frame, sample, lambda: label_of(table, column), values.reindex(frame.index)),
            count=int(mask.sum()),
        )

    def when(value) -> str:
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")

    leads = tables.get("leads")
    if leads is not None and len(leads):
        latest = leads["created_at"].to_numpy(dtype="datetime64[us]")
        latest_name = np.full(len(leads), "created_at", dtype=object)
        for stage in ("mql_at", "sal_at", "sql_at"):
            values = leads[stage].to_numpy(dtype="datetime64[us]")
            present = ~np.isnat(values)
            earlier = present & ~np.isnat(latest) & (values < latest)
            if earlier.any():
                warn(
                    "stages_out_of_order",
                    "leads",
                    stage,
                    f"{stage} at or after the lead's earlier stages",
                    earlier,
                    lambda i, v=values, before=latest, n=latest_name, s=stage: (
                        f"{s} {when(v[i])} is before {n[i]} {when(before[i])}"
                    ),
                )
            later = present & (np.isnat(latest) | (values > latest))
            latest = np.where(later, values, latest)
            latest_name = np.where(later, stage, latest_name)
    deals = tables.get("deals")
    if deals is None or not len(deals):
        return
    created = deals["created_at"].to_numpy(dtype="datetime64[us]")
    closed = deals["closed_at"].to_numpy(dtype="datetime64[us]")
    negative = ~np.isnat(closed) & ~np.isnat(created) & (closed < created)
    warn(
        "negative_cycle_time",
        "deals",
        "closed_at",
        "a deal closed at or after it was created",
        negative,
        lambda i: f"closed {when(closed[i])}, created {when(created[i])}",
    )
    won_undated = (deals["stage"] == "won").to_numpy() & np.isnat(closed)
    warn(
        "won_without_close_date",
        "deals",
        "closed_at",
        "a close date for every won deal (without one it does not count as Won in the funnel)",
        won_undated,
        lambda i: f"deal {deals['deal_id'].iloc[i]} is won, with no close date",
    )
    if leads is not None and len(leads):
        by_lead = pd.Series(leads["created_at"].to_numpy(), index=leads["lead_id"].to_numpy())
        lead_created = (
            deals["lead_id"].map(by_lead[~by_lead.index.duplicated()]).to_numpy(dtype="datetime64[us]")
        )
        early = ~np.isnat(lead_created) & ~np.isnat(created) & (created < lead_created)
        warn(
            "stages_out_of_order",
            "deals",
            "created_at",
            "a deal opened at or after its lead was created",
            early,
            lambda i: f"opened {when(created[i])}, before its lead was created {when(lead_created[i])}",
        )
