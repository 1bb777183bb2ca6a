"""One feed: the rows of a source become typed rows of a canonical table.

Each canonical column is made as the mapping says (a column, a constant, a template, a lookup,
value maps, bins, defaults), then parsed into its type; what does not parse, is missing or is
outside the allowed set or range is reported, column at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handoff.ingest.aggregate import Groups, TextTypes, aggregated, lookup_keys, lookup_table
from handoff.ingest.canonical import CANONICAL
from handoff.ingest.column_spec import ColumnSpec, Condition, fold
from handoff.ingest.mapping import Explode, Feed, Mapping, Source
from handoff.ingest.parse import parse_numbers, parse_timestamps
from handoff.ingest.report import Collector, problem_rows


def _condition_mask(
    frame: pd.DataFrame, conditions: Iterable[Condition], frames: dict[str, pd.DataFrame]
) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for condition in conditions:
        values = frame[condition.column] if condition.column in frame else pd.Series("", index=frame.index)
        folded = values.str.strip().str.casefold()
        if condition.found_in is not None:
            found = condition.found_in
            other = frames.get(found.source)
            known = set() if other is None else set(lookup_keys(other[found.column], found.ignore_case))
            mask &= lookup_keys(values, found.ignore_case).isin(known - {""})
        if condition.values_in is not None:
            mask &= folded.isin([fold(v) for v in condition.values_in])
        if condition.values_not_in is not None:
            mask &= ~folded.isin([fold(v) for v in condition.values_not_in])
        if condition.not_empty is not None:
            mask &= (folded != "") == condition.not_empty
    return mask


def _types(source: Source) -> TextTypes:
    return TextTypes(source.date_formats, source.timezone, source.decimal)


def _evaluate(
    spec: ColumnSpec,
    frame: pd.DataFrame,
    mapping: Mapping,
    frames: dict[str, pd.DataFrame],
    source: Source,
    groups: Groups | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The text of one canonical column for every row (every group, with `groups`): (value, raw
    value, default used)."""
    text = _source_text(spec, frame, mapping, frames, source)
    raw = text
    if spec.split:
        parts = text.str.split(spec.split, regex=False)
        text = parts.map(lambda items: next((p.strip() for p in items if p.strip()), ""), na_action="ignore")
        text = text.fillna("").astype("str")
    text = text.str.strip()
    if spec.when:
        text = text.where(_condition_mask(frame, spec.when, frames), "")
    text = _recoded(text, spec, source)
    if groups is not None:
        how = spec.aggregate or "first"
        types = TextTypes(spec.formats or source.date_formats, source.timezone, source.decimal)
        text = aggregated(text, groups, how, types)
        raw = aggregated(raw, groups, how, types)
    used_default = pd.Series(False, index=text.index)
    if spec.default is not None:
        used_default = text == ""
        text = text.where(~used_default, spec.default)
    return text.astype("str"), raw.astype("str"), used_default


def _source_text(
    spec: ColumnSpec, frame: pd.DataFrame, mapping: Mapping, frames: dict[str, pd.DataFrame], source: Source
) -> pd.Series:
    """What the spec reads, per row: a template, a lookup, its column(s) or a constant."""
    index = frame.index
    if spec.template:
        text = pd.Series("", index=index, dtype="str")
        empty = pd.Series(False, index=index)
        for part in re.split(r"(\{[^{}]+\})", spec.template):
            if part.startswith("{") and part.endswith("}"):
                column = frame[part[1:-1]].str.strip()
                empty |= column == ""
                text = text + column
            elif part:
                text = text + part
        return text.where(~empty, "")
    if spec.lookup:
        lookup = spec.lookup
        other = frames.get(lookup.source)
        if other is None or other.empty:
            return pd.Series("", index=index, dtype="str")
        types = _types(mapping.sources[lookup.source])
        keys = lookup_keys(other[lookup.key], lookup.ignore_case)
        table = lookup_table(keys, other[lookup.value], lookup.aggregate, types)
        own = lookup_keys(frame[spec.columns[0]], lookup.ignore_case)
        return own.map(table).fillna("").astype("str")
    if spec.columns:
        present = [c for c in spec.columns if c in frame]
        columns = [frame[c].str.strip() for c in present] or [pd.Series("", index=index, dtype="str")]
        return _pick(columns, spec, source)
    return pd.Series(spec.value, index=index, dtype="str")


def _recoded(text: pd.Series, spec: ColumnSpec, source: Source) -> pd.Series:
    """Text through the spec's bins or value map; `other` for non-empty values neither names."""
    if spec.bins is not None:
        numbers = parse_numbers(text, source.decimal)[0].to_numpy(dtype="float64")
        bounds = np.array([b for b, _ in spec.bins])
        labels = np.array([label for _, label in spec.bins], dtype=object)
        position = np.searchsorted(bounds, np.nan_to_num(numbers, nan=-np.inf), side="right") - 1
        binned = ~np.isnan(numbers) & (position >= 0)
        fallback = text if spec.other is None else text.where(text == "", spec.other)
        return pd.Series(
            np.where(binned, labels[np.clip(position, 0, None)], fallback.to_numpy(dtype=object)),
            index=text.index,
            dtype="str",
        )
    if spec.value_map is not None:
        mapped = text.str.casefold().map(spec.value_map)
        unmapped = mapped.isna()
        fallback = text if spec.other is None else text.where(text == "", spec.other)
        return mapped.where(~unmapped, fallback).astype("str")
    if spec.other is not None:
        return text.where(text == "", spec.other)
    return text


def _pick(columns: list[pd.Series], spec: ColumnSpec, source: Source) -> pd.Series:
    """Several columns into one: the first non-empty, or the earliest/latest date among them."""
    if len(columns) == 1:
        return columns[0]
    if spec.pick == "first":
        text = columns[0]
        for column in columns[1:]:
            text = text.where(text != "", column)
        return text
    parsed, bad = zip(
        *(parse_timestamps(c, spec.formats or source.date_formats, source.timezone) for c in columns),
        strict=True,
    )
    times = np.column_stack([p.to_numpy(dtype="datetime64[us]").astype(np.int64) for p in parsed])
    missing = np.column_stack([p.isna().to_numpy() for p in parsed])
    fill = np.iinfo(np.int64).max if spec.pick == "earliest" else np.iinfo(np.int64).min
    times = np.where(missing, fill, times)
    chosen = times.argmin(axis=1) if spec.pick == "earliest" else times.argmax(axis=1)
    bad_any = np.column_stack([b.to_numpy() for b in bad])
    chosen = np.where(bad_any.any(axis=1), bad_any.argmax(axis=1), chosen)  # an unparseable value is reported
    texts = np.column_stack([c.to_numpy(dtype=object) for c in columns])
    return pd.Series(texts[np.arange(len(texts)), chosen], index=columns[0].index, dtype="str")


@dataclass
class _FeedResult:
    frame: pd.DataFrame  # typed canonical columns + _file, _row, _feed, _raw_<col>
    labels: dict[str, str]


def run_feed(
    feed: Feed, feed_index: int, frames: dict[str, pd.DataFrame], mapping: Mapping, collector: Collector
) -> _FeedResult:
    source = mapping.sources[feed.source]
    table = CANONICAL[feed.table]
    rows = frames[feed.source]
    if feed.where:
        rows = rows.loc[_condition_mask(rows, feed.where, frames)]
    if feed.explode:
        rows = _exploded(rows, feed.explode)
    groups = Groups.of(rows[list(feed.group_by)]) if feed.group_by else None
    firsts = rows if groups is None else rows.iloc[groups.first_rows]
    out = pd.DataFrame({"_file": firsts["_file"].to_numpy(), "_row": firsts["_row"].to_numpy()})
    out["_feed"] = feed_index
    labels = {}
    for column in table.columns:
        spec = feed.columns.get(column.name)
        if spec is None and column.default is not None:
            spec = ColumnSpec(value=column.default)
        if spec is None:
            out[column.name] = pd.Series(
                [None] * len(out), dtype="str" if column.type == "text" else "object"
            )
            if column.type in ("timestamp", "date"):
                out[column.name] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
            continue
        labels[column.name] = spec.label
        text, raw, used_default = _evaluate(spec, rows, mapping, frames, source, groups)
        text = text.reset_index(drop=True)
        raw = raw.reset_index(drop=True)
        out[f"_raw_{column.name}"] = raw
        if column.required and spec.default is not None and used_default.any():
            collector.add(
                "default_used",
                feed.table,
                column.name,
                f"a value (the mapping fills {spec.default!r})",
                problem_rows(out, used_default.to_numpy(), spec.label, raw),
            )
        out[column.name] = _typed(column, spec, text, raw, out, source, feed.table, collector, rows)
    if feed.distinct:
        out = distinct_rows(out, feed.table, np.ones(len(out), dtype=bool))
    return _FeedResult(out, labels)


def distinct_rows(
    frame: pd.DataFrame, table: str, droppable: np.ndarray, adds_roles: np.ndarray | None = None
) -> pd.DataFrame:
    """`frame` without the droppable rows whose key an earlier row has. A person met again in another
    role keeps both ("sdr and ae": Olist's sellers are SDRs on some deals and sales reps on others),
    unless the later row's feed does not add roles (`adds_roles`: owners of logged activities)."""
    first, *rest = CANONICAL[table].key
    keys = frame[first].astype("str")
    for column in rest:
        keys = keys + "\x1f" + frame[column].astype("str")
    drop = keys.duplicated().to_numpy() & droppable
    if table == "people" and drop.any():
        roles = frame["role"].where(frame["role"].notna(), "")
        if adds_roles is not None:
            roles = roles.where(adds_roles | ~keys.duplicated().to_numpy(), "")
        merged = roles.groupby(keys).agg(lambda r: " and ".join(dict.fromkeys(x for x in r if x)))
        frame = frame.assign(role=keys.map(merged).where(frame["role"].notna(), frame["role"]))
    return frame.loc[~drop].reset_index(drop=True)


def _exploded(rows: pd.DataFrame, explode: Explode) -> pd.DataFrame:
    """One row per non-empty part of the column ("101;102" → two rows); a row without any keeps one."""
    parts = rows[explode.column].str.split(explode.split, regex=False)
    parts = parts.map(lambda items: [p.strip() for p in items if p.strip()] or [""])
    exploded = rows.assign(**{explode.column: parts}).explode(explode.column)
    return exploded.reset_index(drop=True).astype({explode.column: "str"})


@dataclass
class _Found:
    """Where one column's problems go: its table and column, the rows and raw values to show."""

    collector: Collector
    table: str
    column: str
    out: pd.DataFrame
    label: str
    raw: pd.Series

    def add(self, kind: str, expected: str, mask) -> None:
        self.collector.add(
            kind, self.table, self.column, expected, problem_rows(self.out, mask, self.label, self.raw)
        )


def _typed(column, spec, text, raw, out, source, table_name, collector, rows) -> pd.Series:
    """Parse one column's text into its canonical type, reporting what does not parse."""
    found = _Found(collector, table_name, column.name, out, spec.label, raw)
    if column.type in ("timestamp", "date"):
        values, bad = _as_times(column, spec, text, source, found)
    elif column.type in ("integer", "decimal"):
        values, bad = _as_numbers(column, spec, text, source, found)
    else:
        values = text.where(text != "", None).astype("str")
        bad = pd.Series(False, index=text.index)
        if column.allowed:
            folded = values.str.casefold()
            values = folded.where(folded.isin(column.allowed), values)
    _check_values(column, spec, values, bad, rows, found)
    return values


def _as_times(column, spec, text, source, found: _Found) -> tuple[pd.Series, pd.Series]:
    """Timestamps (or dates, at midnight) and the mask of values that do not parse."""
    formats = tuple(spec.formats or source.date_formats)
    if (spec.value is not None or spec.default is not None) and "iso" not in formats:
        formats += ("iso",)  # a constant or default the mapping writes may always be ISO 8601
    values, bad = parse_timestamps(text, formats, source.timezone)
    if column.type == "date":
        values = values.dt.normalize()
    formats = ", ".join("ISO 8601 (2024-01-31 or 2024-01-31 14:05)" if f == "iso" else f for f in formats)
    kind = "bad_timestamp" if column.type == "timestamp" else "bad_date"
    found.add(kind, f"a {column.type} as {formats}", bad)
    return values, bad


def _as_numbers(column, spec, text, source, found: _Found) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (Int64) or decimals (canonical text such as '1234.50'), clipped if the spec says,
    and the mask of values that are not such numbers; the numbers go to `_num_<column>` for the
    range check."""
    numbers, canonical, bad = parse_numbers(text, source.decimal)
    if column.type == "integer":
        whole = numbers.isna() | (numbers == numbers.round())
        found.add("bad_number", "a whole number", (bad | ~whole).to_numpy())
        bad = bad | ~whole
        if spec.clip:
            numbers = numbers.clip(*spec.clip)
        values = numbers.where(~bad).round().astype("Int64")
    else:
        found.add("bad_number", "a number such as 1234.50", bad.to_numpy())
        if spec.clip:
            clipped = numbers.clip(*spec.clip)
            as_text = clipped.map(lambda x: f"{x:.6f}", na_action="ignore")
            canonical = canonical.where(clipped == numbers, as_text)
            numbers = clipped
        values = canonical
    found.out[f"_num_{column.name}"] = numbers.where(~bad).to_numpy()
    return values, bad


def _check_values(column, spec, values: pd.Series, bad: pd.Series, rows: pd.DataFrame, found: _Found) -> None:
    """Values missing (required, or optional but used by pages), outside the allowed set or range."""
    missing = values.isna() & ~bad
    if column.required:
        found.add("missing_required", "a value (the column is required)", missing.to_numpy())
    elif column.warn_if_missing and (spec.template or spec.lookup or any(c in rows for c in spec.columns)):
        found.add("optional_missing", "a value (optional, but pages use it)", missing.to_numpy())
    if column.allowed:
        outside = values.notna() & ~values.isin(column.allowed)
        found.add("not_allowed", f"one of {', '.join(column.allowed)}", outside.to_numpy())
    if column.minimum is not None or column.maximum is not None:
        numbers = pd.Series(found.out[f"_num_{column.name}"], index=values.index, dtype="float64")
        low = numbers < column.minimum if column.minimum is not None else False
        high = numbers > column.maximum if column.maximum is not None else False
        outside = (low | high) & numbers.notna()
        bounds = (
            f"between {column.minimum:g} and {column.maximum:g}"
            if column.maximum is not None
            else f"at least {column.minimum:g}"
        )
        found.add("out_of_range", f"a number {bounds}", outside.to_numpy())
