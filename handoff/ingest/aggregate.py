"""Several source rows into one value: a feed's `group_by` (one row per key) and a lookup's
`aggregate` (over the other export's rows with that key).

Values are aggregated as text, before they are typed, so what does not parse is still reported
where it came from: a group holding a bad date or number yields that value, and its check names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handoff.ingest.parse import parse_numbers, parse_timestamps


@dataclass(frozen=True)
class Groups:
    """Which group each row is in (0…count-1) and the first row of each group."""

    codes: np.ndarray
    first_rows: np.ndarray

    @classmethod
    def of(cls, keys: pd.DataFrame) -> Groups:
        codes = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
        _, first_rows = np.unique(codes, return_index=True)
        return cls(codes, first_rows)

    @property
    def count(self) -> int:
        return len(self.first_rows)


@dataclass(frozen=True)
class TextTypes:
    """How the source writes dates and numbers, for aggregates that compare or add them."""

    date_formats: Sequence[str]
    timezone: str
    decimal: str


def aggregated(text: pd.Series, groups: Groups, how: str, types: TextTypes) -> pd.Series:
    """One text per group (indexed 0…count-1): the first non-empty value, the earliest or latest
    date, the count of non-empty values or the sum of the numbers ('' for a group with no value)."""
    text = pd.Series(text.to_numpy(dtype=object), dtype="str").str.strip()
    codes = pd.Series(groups.codes)
    filled = text != ""
    result = pd.Series("", index=range(groups.count), dtype="str")
    if how == "count":
        return filled.groupby(codes).sum().reindex(result.index, fill_value=0).astype(int).astype(str)
    if how in ("earliest", "latest"):
        times, bad = parse_timestamps(text, types.date_formats, types.timezone)
        order = times.sort_values(ascending=how == "earliest", kind="stable").dropna().index
        chosen = text[order].groupby(codes[order]).first()
        result[chosen.index] = chosen
        return _bad_first(result, text, bad, codes)
    if how == "sum":
        numbers, _, bad = parse_numbers(text, types.decimal)
        sums = numbers.groupby(codes).sum(min_count=1).dropna()
        result[sums.index] = sums.map(lambda x: _number_text(x, types.decimal))
        return _bad_first(result, text, bad, codes)
    firsts = text[filled].groupby(codes[filled]).first()
    result[firsts.index] = firsts
    return result


def _bad_first(result: pd.Series, text: pd.Series, bad: pd.Series, codes: pd.Series) -> pd.Series:
    """A group with a value that does not parse yields that value, so the typed check reports it."""
    bad_values = text[bad.to_numpy()].groupby(codes[bad.to_numpy()]).first()
    result[bad_values.index] = bad_values
    return result


def _number_text(number: float, decimal: str) -> str:
    text = f"{number:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if decimal == "," else text


def lookup_keys(keys: pd.Series, ignore_case: bool) -> pd.Series:
    """Keys as a lookup compares them: trimmed, and case-folded if it ignores case."""
    keys = keys.astype("str").str.strip()
    return keys.str.casefold() if ignore_case else keys


def lookup_table(keys: pd.Series, values: pd.Series, how: str, types: TextTypes) -> pd.Series:
    """The other export's `values` by key (as `lookup_keys` gives them; empty keys ignored),
    aggregated over its rows."""
    keep = (keys != "").to_numpy()
    keys, values = keys[keep].reset_index(drop=True), values[keep].reset_index(drop=True)
    if how == "first":
        table = pd.Series(values.to_numpy(), index=keys.to_numpy())
        return table[~table.index.duplicated()]
    groups = Groups.of(keys.to_frame("key"))
    table = aggregated(values, groups, how, types)
    return pd.Series(table.to_numpy(), index=keys.to_numpy()[groups.first_rows])
