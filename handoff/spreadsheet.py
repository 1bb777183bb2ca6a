"""Files people open in a spreadsheet: text that a spreadsheet would run as a formula is made inert.

Excel, LibreOffice and Google Sheets read a CSV cell that starts with `=`, `+`, `-`, `@`, a tab or
a carriage return as a formula, so a campaign named `=HYPERLINK("http://…")` becomes a live link
(or a DDE command) on the machine of whoever opens the download. Every download the app offers
goes through `neutralise_formulas`, which puts the usual `'` in front of such text cells and column
names. Numbers are numbers: numeric columns are never touched, and neither is text that is a plain
number (`-12.5`, `+3`), which a spreadsheet reads as that number and nothing more.

The command line's output stays exact; `--safe-csv` on `query`, `sql` and `export` applies the same.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula (a plain number is not one)."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER_RE.fullmatch(text)


def neutralise_text(text: str) -> str:
    """`text` with a leading `'` if a spreadsheet would run it as a formula, else unchanged."""
    return PREFIX + text if is_formula(text) else text


def neutralised_sql(text: str) -> str:
    """SQL for the text expression `text` made inert as `neutralise_text` does, for files DuckDB writes
    itself (`export --safe-csv`): the same starts, and the same plain numbers (RE2's `\\p{Nd}` is
    Python's `\\d`: any decimal digit)."""
    starts = "".join({"\t": "\\t", "\r": "\\r", "-": "\\-"}.get(c, c) for c in FORMULA_STARTS)
    number = _PLAIN_NUMBER.replace("\\d", "\\p{Nd}")
    prefix = PREFIX.replace("'", "''")  # inside a SQL string literal
    return (
        f"(case when regexp_matches({text}, '^[{starts}]') and not regexp_full_match({text}, '{number}') "
        f"then '{prefix}' || {text} else {text} end)"
    )


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names cannot start a spreadsheet formula."""
    out = frame.copy()
    for position, dtype in enumerate(frame.dtypes):
        column = out.iloc[:, position]
        if isinstance(dtype, pd.CategoricalDtype):
            column, dtype = column.astype(object), np.dtype(object)  # prefixed categories could collide
        elif not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
            continue  # numbers, booleans, timestamps: a spreadsheet reads them as values
        try:
            starts = column.str[:1].isin(FORMULA_STARTS).to_numpy(dtype=bool)
        except AttributeError:  # an object column with no text at all (Decimals, dates)
            continue
        if not starts.any():
            continue
        risky = ~column[starts].str.fullmatch(_PLAIN_NUMBER, na=False).to_numpy(dtype=bool)
        if not risky.any():
            continue
        at = np.flatnonzero(starts)[risky]
        if pd.api.types.is_object_dtype(dtype):  # mixed values: only the text ones change
            values = column.to_numpy(dtype=object, copy=True)
            values[at] = [PREFIX + value for value in values[at]]
            fixed = pd.Series(values, index=column.index, name=column.name)
        else:
            mask = np.zeros(len(column), dtype=bool)
            mask[at] = True
            fixed = column.mask(mask, PREFIX + column)
        out.isetitem(position, fixed)
    out.columns = [neutralise_text(name) if isinstance(name, str) else name for name in out.columns]
    return out


# RFC 4180's line ending; it also makes the writer quote a value holding a lone CR, which would
# otherwise split the row in a spreadsheet.
LINE_END = "\r\n"


def write_csv(frame: pd.DataFrame, out) -> None:
    """Write `frame` to `out` (a path or text stream) as CSV for a spreadsheet, formulas neutralised."""
    neutralise_formulas(frame).to_csv(out, index=False, lineterminator=LINE_END)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as the CSV a person downloads: UTF-8, no index, formulas neutralised."""
    out = io.StringIO()
    write_csv(frame, out)
    return out.getvalue().encode()
