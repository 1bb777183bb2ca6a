"""Parsing text into types: timestamps (formats tried in turn, time zones) and numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def parse_timestamps(
    text: pd.Series, formats: Sequence[str], timezone: str = "UTC"
) -> tuple[pd.Series, pd.Series]:
    """Text to naive-UTC timestamps, trying each format in turn; also the mask of values that failed.

    "iso" means ISO 8601 (a date, a date and time, with or without an offset). Values without an
    offset are read in `timezone` and converted to UTC.
    """
    text = text.astype("str").str.strip()
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    todo = (text != "").to_numpy()
    for fmt in formats:
        if not todo.any():
            break
        sub = text[todo]
        has_offset = (
            sub.str.contains(_OFFSET, regex=True) if fmt in ("iso", "ISO8601") or "%z" in fmt else None
        )
        pandas_format = "ISO8601" if fmt == "iso" else fmt
        parsed = pd.Series(pd.NaT, index=sub.index, dtype="datetime64[us]")
        if has_offset is not None and has_offset.any():
            aware = pd.to_datetime(sub[has_offset], format=pandas_format, errors="coerce", utc=True)
            parsed[has_offset] = aware.dt.tz_convert(None).astype("datetime64[us]")
        naive_mask = ~has_offset if has_offset is not None else pd.Series(True, index=sub.index)
        if naive_mask.any():
            naive = pd.to_datetime(sub[naive_mask], format=pandas_format, errors="coerce").astype(
                "datetime64[us]"
            )
            if timezone != "UTC":
                naive = (
                    naive.dt.tz_localize(
                        timezone, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward"
                    )
                    .dt.tz_convert("UTC")
                    .dt.tz_localize(None)
                    .astype("datetime64[us]")
                )
            parsed[naive_mask] = naive
        result[todo] = parsed.to_numpy()
        todo = todo & result.isna().to_numpy()
    return result, pd.Series(todo, index=text.index)


_PLAIN_NUMBER = {
    ".": r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$",
    ",": r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)?(?:,\d+)?$",
}
_SCIENTIFIC = r"^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$"


def parse_numbers(text: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series, pd.Series]:
    """Text to numbers: (floats, canonical text such as '-1234.5', mask of values that failed).

    Currency symbols and codes, spaces and thousands separators are dropped; "12,5" with decimal
    "." is refused rather than read as 125.
    """
    text = text.astype("str").str.strip()
    cleaned = text.str.replace(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[$€£¥\s\u00a0]", "", regex=True)
    plain = cleaned.str.match(_PLAIN_NUMBER[decimal]) & cleaned.str.contains(r"\d", regex=True)
    scientific = cleaned.str.match(_SCIENTIFIC)
    thousands = "," if decimal == "." else "."
    normal = cleaned.str.replace(thousands, "", regex=False)
    if decimal == ",":
        normal = normal.str.replace(",", ".", regex=False)
    normal = normal.where(plain | scientific, "")
    numbers = pd.to_numeric(normal.where(normal != "", None), errors="coerce")
    bad = (text != "") & numbers.isna()
    canonical = normal.where(~scientific, numbers.map(lambda x: f"{x:.6f}", na_action="ignore"))
    return numbers, canonical.where(~bad & (text != ""), None), bad
