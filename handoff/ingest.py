"""Bring your own data: import CRM exports through a mapping, safely; export canonical CSVs.

An import runs in two steps. `check(files, mapping)` reads every file (CSV in any common encoding
and delimiter, or Parquet), maps its rows onto the canonical tables and validates them: nothing is
written. It returns a `Plan` whose `report` lists every problem with file, row, column, value and
what was expected, grouped by kind and counted. Errors (types and dates that do not parse,
missing required values, duplicate keys, references that do not resolve, values outside the
allowed set) refuse the import; warnings (stage timestamps out of order, negative cycle times,
optional values missing) load and are recorded with the data. `write(plan, db)` then builds the
new database beside the old one with `db.build_database`, which swaps it in only when everything
succeeded. With `quarantine=True` rows with errors (and rows that depend on them) are set aside,
written to a rejects file, and the rest loads.

Everything is column-at-a-time pandas/pyarrow work; Python loops run per file, column or problem
kind, never per row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import difflib
import fnmatch
import io
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from handoff import db
from handoff.errors import HandoffError
from handoff.files import replacing_file, replacing_files
from handoff.mapping import (
    CANONICAL,
    TABLE_ORDER,
    ColumnSpec,
    Condition,
    Feed,
    Mapping,
    Source,
    fold,
    load_mapping,
)
from handoff.paths import DATA_DIR

Progress = Callable[[float, str], None]

SAMPLES_PER_KIND = 20
UPLOADS_DIR = DATA_DIR / "uploads"
# The page refuses bigger files itself; .streamlit/config.toml's server.maxUploadSize says the same.
MAX_UPLOAD_MB = 50
SNIFF_BYTES = 1 << 16  # the header row must end within this many bytes
CSV_BLOCK_BYTES = 1 << 22  # pyarrow reads CSV in blocks of this size; a row must fit in one
# The Data page's limit on the rows of one upload, all files together ($HANDOFF_IMPORT_MAX_ROWS).
MAX_IMPORT_ROWS = 500_000
# How far a Parquet file may expand when read, so an import's memory grows with a file's size and
# never with how well it compresses: a CSV holds at most one value a byte; a Parquet file may hold
# 4 (real CRM exports hold under 1.1), and any file the first million values.
PARQUET_VALUES_PER_BYTE = 4
PARQUET_VALUES_FLOOR = 1_000_000
# ... and the text it decodes to: 32 bytes a byte of file (real exports: 3–8), 64 MB for any file.
PARQUET_TEXT_PER_BYTE = 32
PARQUET_TEXT_FLOOR = 64 << 20
PARQUET_BATCH_ROWS = 65_536
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class ImportFileError(HandoffError):
    """A file cannot be read at all (empty, binary, unknown encoding, broken quoting…)."""


class ImportRefused(HandoffError):
    """Validation found errors; nothing was written."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class RowBudget:
    """The rows one import may read, all files together (`limit` None: no limit)."""

    limit: int | None = None
    how_to_raise: str = "--max-rows"  # what the person can change, named in the refusal
    used: int = 0

    def check(self, name: str, rows: int, *, so_far: bool = False) -> None:
        """Refuse, naming the file, its rows and the limit, if `rows` more would go over it."""
        if self.limit is None or self.used + rows <= self.limit:
            return
        counted = f"{'at least ' if so_far else ''}{rows:,} rows"
        before = f" ({self.used + rows:,} with the files before it)" if self.used else ""
        raise ImportFileError(f"{name} has {counted}{before}: over the limit of {self.limit:,} rows an "
                              f"import may read ({self.how_to_raise}); nothing was read further")

    def add(self, rows: int) -> None:
        """Count a file's rows as read."""
        self.used += rows


def may_import(user: object = None) -> bool:
    """Whether the current user may import data or replace the database.

    The one gate for every write from the app: `user` is the page's `ui.viewer()`. Without sign-in
    configured, whoever can reach the app may (it listens on localhost by default); with it, only
    the administrators of `.streamlit/secrets.toml` (`handoff.auth.may_write`).
    """
    from handoff import auth

    return auth.may_write(user if isinstance(user, auth.Viewer) else None)


# ---------------------------------------------------------------------------------------------
# Problems and the report


# kind -> (severity, what went wrong in a few words)
KINDS = {
    "file_unreadable": ("error", "file cannot be read"),
    "no_source": ("error", "file matches no export of the mapping"),
    "missing_source": ("error", "required export missing"),
    "missing_column": ("error", "column missing from the file"),
    "empty_table": ("error", "no rows"),
    "malformed_row": ("error", "row does not have the header's fields"),
    "bad_timestamp": ("error", "timestamp does not parse"),
    "bad_date": ("error", "date does not parse"),
    "bad_number": ("error", "number does not parse"),
    "missing_required": ("error", "required value missing"),
    "not_allowed": ("error", "value outside the allowed set"),
    "out_of_range": ("error", "value out of range"),
    "duplicate_key": ("error", "duplicate key"),
    "unresolved_reference": ("error", "reference does not resolve"),
    "depends_on_rejected": ("rejected", "depends on a row set aside"),
    "stages_out_of_order": ("warning", "stage timestamps out of order"),
    "negative_cycle_time": ("warning", "negative cycle time"),
    "won_without_close_date": ("warning", "won deal without a close date"),
    "optional_missing": ("warning", "optional value missing"),
    "optional_column_absent": ("warning", "optional column not in the file"),
    "default_used": ("warning", "empty value filled with the mapping's default"),
}
PROBLEM_COLUMNS = ["file", "row", "column", "value"]
# Problems with whole files or columns: no rows can be set aside to get past them.
FATAL_KINDS = frozenset({"file_unreadable", "no_source", "missing_source", "missing_column", "empty_table"})


@dataclass
class ProblemGroup:
    """All problems of one kind on one table column: a count and the rows (or the first few)."""

    kind: str
    table: str | None
    column: str | None
    expected: str
    count: int
    rows: pd.DataFrame  # file, row, column (as the source names it), value; all rows for errors

    @property
    def severity(self) -> str:
        return KINDS[self.kind][0]

    @property
    def title(self) -> str:
        return KINDS[self.kind][1]

    @property
    def where(self) -> str:
        if self.table:
            return ".".join(p for p in (self.table, self.column) if p)
        files = sorted({str(f) for f in self.rows["file"]})
        return ", ".join(files[:3]) + (f" and {len(files) - 3} more files" if len(files) > 3 else "")

    def samples(self) -> pd.DataFrame:
        return self.rows.head(SAMPLES_PER_KIND)


@dataclass
class FileRead:
    """What reading one file found."""

    name: str
    source: str
    rows: int
    encoding: str
    delimiter: str
    blank_rows: int = 0
    footer_rows: int = 0


@dataclass
class Report:
    """Everything a user needs to decide: files read, rows per table, problems grouped by kind."""

    mapping: str
    files: list[FileRead] = field(default_factory=list)
    problems: list[ProblemGroup] = field(default_factory=list)
    # table -> rows mapped, rows with their own errors, rows depending on rows with errors
    tables: dict[str, dict[str, int]] = field(default_factory=dict)

    def of(self, *severities: str) -> list[ProblemGroup]:
        return [p for p in self.problems if p.severity in severities]

    @property
    def errors(self) -> list[ProblemGroup]:
        return self.of("error")

    @property
    def warnings(self) -> list[ProblemGroup]:
        return self.of("warning")

    @property
    def fatal(self) -> list[ProblemGroup]:
        """Problems no quarantine can fix (a file or column missing, an unreadable file)."""
        return [p for p in self.errors if p.kind in FATAL_KINDS]

    def error_count(self) -> int:
        return sum(p.count for p in self.errors)

    def warning_count(self) -> int:
        return sum(p.count for p in self.warnings)

    def headline(self) -> str:
        """One line: what the import would do."""
        if self.fatal:
            first = self.fatal[0]
            more = len(self.fatal) - 1
            return first.expected.rstrip(".") + (f" (and {_count(more, 'more problem')})" if more else "")
        rows = sum(t["mapped"] for t in self.tables.values())
        text = f"{rows:,} rows mapped"
        if self.errors:
            text += f", {_count(self.error_count(), 'error')} of {_count(len(self.errors), 'kind')}"
        if self.warnings:
            text += f", {_count(self.warning_count(), 'warning')}"
        return text

    def summary_frame(self, quarantine: bool = False) -> pd.DataFrame:
        """One row per canonical table: rows mapped, set aside and to load."""
        rows = []
        for table in TABLE_ORDER:
            counts = self.tables.get(table)
            if not counts:
                continue
            aside = counts["errors"] + counts["dependent"] if quarantine else 0
            would_load = counts["mapped"] - aside if (quarantine or not self.errors) else 0
            rows.append(
                {
                    "Table": table,
                    "Rows mapped": counts["mapped"],
                    "With errors": counts["errors"],
                    "Depending on rows with errors": counts["dependent"],
                    "To load": would_load,
                }
            )
        return pd.DataFrame(
            rows, columns=["Table", "Rows mapped", "With errors", "Depending on rows with errors", "To load"]
        )

    def files_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "File": f.name,
                    "Read as": f.source,
                    "Rows read": f.rows,
                    "Encoding": f.encoding,
                    "Delimiter": DELIMITER_NAMES.get(f.delimiter, f.delimiter),
                    "Blank rows skipped": f.blank_rows,
                    "Footer rows skipped": f.footer_rows,
                }
                for f in self.files
            ],
            columns=[
                "File",
                "Read as",
                "Rows read",
                "Encoding",
                "Delimiter",
                "Blank rows skipped",
                "Footer rows skipped",
            ],
        )

    def problems_frame(self, severities: Sequence[str] = ("error", "warning", "rejected")) -> pd.DataFrame:
        """One row per problem kind: severity, what, where, how many, what was expected."""
        return pd.DataFrame(
            [
                {
                    "severity": p.severity,
                    "problem": p.title,
                    "where": p.where,
                    "count": p.count,
                    "expected": p.expected,
                }
                for p in self.problems
                if p.severity in severities
            ],
            columns=["severity", "problem", "where", "count", "expected"],
        )

    def samples_frame(self, severities: Sequence[str] = ("error", "warning", "rejected")) -> pd.DataFrame:
        """The first rows of each problem kind, with file, row, column and value."""
        frames = [
            p.samples().assign(problem=p.title, where=p.where, severity=p.severity)
            for p in self.problems
            if p.severity in severities
        ]
        columns = ["severity", "problem", "where", *PROBLEM_COLUMNS]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]

    def as_text(self, quarantine: bool = False) -> str:
        """The report for a terminal."""
        out = [f"Import with mapping {self.mapping}"]
        for f in self.files:
            extra = "".join(
                [
                    f", {f.blank_rows:,} blank rows skipped" if f.blank_rows else "",
                    f", {f.footer_rows:,} footer rows skipped" if f.footer_rows else "",
                ]
            )
            out.append(
                f"  {f.name}: {_count(f.rows, 'row')} read as {f.source} "
                f"({f.encoding}, {DELIMITER_NAMES.get(f.delimiter, f.delimiter)}{extra})"
            )
        summary = self.summary_frame(quarantine)
        if len(summary):
            out.append("Rows per table:")
            for table, mapped, errors, dependent, to_load in summary.itertuples(index=False):
                if not mapped:
                    continue
                line = f"  {table:<10} {mapped:>9,} mapped"
                if errors:
                    line += f", {errors:,} with errors"
                if dependent:
                    line += f", {dependent:,} depending on them"
                out.append(line + f", {to_load:,} to load")
        for severity, heading in (
            ("error", "Errors"),
            ("rejected", "Set aside with them"),
            ("warning", "Warnings (these rows load)"),
        ):
            groups = self.of(severity)
            if severity == "rejected" and not quarantine:
                continue
            if groups:
                out.append(f"{heading}:")
            for group in groups:
                out.append(f"  {group.title}: {group.count:,} in {group.where}; expected {group.expected}")
                for sample in group.samples().itertuples():
                    location = f"{sample.file} row {sample.row}" if sample.row else sample.file
                    column = f", column {sample.column}" if sample.column else ""
                    value = f": {_show(sample.value)}" if sample.value is not None else ""
                    out.append(f"    {location}{column}{value}")
                if group.count > SAMPLES_PER_KIND:
                    out.append(f"    … and {group.count - SAMPLES_PER_KIND:,} more")
        return "\n".join(out)

    def to_json(self) -> str:
        """Warnings and set-aside rows (first of each kind) for the database's handoff_meta."""
        groups = []
        for order, p in enumerate(p for p in self.problems if p.severity != "error"):
            samples = p.samples()
            groups.append(
                {
                    "problem_order": order,
                    "severity": p.severity,
                    "kind": p.kind,
                    "problem": p.title,
                    "table_name": p.table,
                    "column_name": p.column,
                    "expected": p.expected,
                    "problem_count": p.count,
                    "samples": [
                        {
                            "file_name": str(s.file),
                            "row_number": None if pd.isna(s.row) else int(s.row),
                            "source_column": None if s.column is None else str(s.column),
                            "value": None if s.value is None else str(s.value),
                        }
                        for s in samples.itertuples()
                    ],
                }
            )
        return json.dumps(groups)


def _count(number: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _show(value: object) -> str:
    text = str(value)
    return repr(text[:80] + "…" if len(text) > 80 else text)


class _Collector:
    """Builds the report's problem groups, merging groups of the same kind and place."""

    def __init__(self) -> None:
        self.groups: dict[tuple, ProblemGroup] = {}

    def add(
        self,
        kind: str,
        table: str | None,
        column: str | None,
        expected: str,
        rows: pd.DataFrame,
        count: int | None = None,
    ) -> None:
        count = len(rows) if count is None else count
        if count == 0:
            return
        rows = rows[PROBLEM_COLUMNS].reset_index(drop=True)
        if KINDS[kind][0] != "error":
            rows = rows.head(SAMPLES_PER_KIND)
        key = (kind, table, column, expected)
        if key in self.groups:
            group = self.groups[key]
            group.count += count
            group.rows = pd.concat([group.rows, rows], ignore_index=True)
        else:
            self.groups[key] = ProblemGroup(kind, table, column, expected, count, rows)

    def file_problem(self, kind: str, file: str, message: str, column: str | None = None) -> None:
        rows = pd.DataFrame([{"file": file, "row": None, "column": column, "value": None}])
        self.add(kind, None, column, message, rows)

    def has_fatal(self) -> bool:
        return any(kind in FATAL_KINDS for kind, *_ in self.groups)

    def sorted(self) -> list[ProblemGroup]:
        order = {"error": 0, "rejected": 1, "warning": 2}
        return sorted(
            self.groups.values(), key=lambda g: (order[g.severity], TABLE_POSITION.get(g.table, -1))
        )


TABLE_POSITION = {t: i for i, t in enumerate(TABLE_ORDER)}


_NO_ROWS = pd.DataFrame(columns=PROBLEM_COLUMNS)


def _problem_rows(frame: pd.DataFrame, mask, column: str | pd.Series | None, values) -> pd.DataFrame:
    """The file/row/column/value frame for the rows of `frame` where `mask` holds."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return _NO_ROWS
    picked = frame.loc[mask]
    if callable(column):  # computed only when there is a problem to show
        column = column()
    if isinstance(column, pd.Series):
        column = column[mask].to_numpy()
    if isinstance(values, pd.Series):
        values = values[mask].to_numpy()
    return pd.DataFrame(
        {
            "file": picked["_file"].to_numpy(),
            "row": picked["_row"].to_numpy(),
            "column": column,
            "value": values,
        }
    )


# ---------------------------------------------------------------------------------------------
# Reading files


@dataclass
class _Sniffed:
    """What the first bytes of a file say: its format, encoding, delimiter and header."""

    path: Path
    kind: str  # csv or parquet
    encoding: str = "utf-8"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)


def sniff(path: Path, source: Source | None = None) -> _Sniffed:
    """Open `path` and work out how to read it; raise ImportFileError if it cannot be read."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ImportFileError(f"{name}: cannot open the file ({exc.strerror})") from None
    if size == 0:
        raise ImportFileError(f"{name} is empty (0 bytes): export it again, with a header row")
    if head.startswith(b"PAR1") or path.suffix.lower() in (".parquet", ".pq"):
        return _sniff_parquet(path)
    if head.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            f"{name} is a zip or Excel workbook, not a CSV file: save or export it as CSV (UTF-8)"
        )
    encoding = _detect_encoding(path, head, source.encoding if source else "auto")
    text = head.decode(encoding.replace("-sig", ""), errors="replace").lstrip("\ufeff")
    if len(head) == SNIFF_BYTES and "\n" not in text:
        columns = max(text.count(d) for d in DELIMITERS) + 1
        raise ImportFileError(
            f"{name}: its header row is longer than {SNIFF_BYTES // 1024} KB (over {columns:,} columns): "
            "not an export Handoff can read; export only the columns the mapping needs"
        )
    if len(head) == SNIFF_BYTES:  # drop the last, probably partial, line
        text = text[: text.rfind("\n") + 1]
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text or controls > max(2, len(text) // 200):
        raise ImportFileError(f"{name} is not a text file (it holds binary data): export CSV or Parquet")
    if not text.strip():
        raise ImportFileError(f"{name} has no header row: the file is blank")
    wanted = source.delimiter if source else "auto"
    delimiter = wanted if wanted != "auto" else _detect_delimiter(text)
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    header = _unique_names([h.strip() for h in first])
    if not any(header):
        raise ImportFileError(f"{name} has no header row: its first line is empty")
    return _Sniffed(path, "csv", encoding, delimiter, header)


def _sniff_parquet(path: Path) -> _Sniffed:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ImportFileError(f"{path.name} is not a readable Parquet file ({_first_line(exc)})") from None
    return _Sniffed(path, "parquet", "parquet", "", _unique_names(list(schema.names)))


def _detect_encoding(path: Path, head: bytes, declared: str) -> str:
    """The file's encoding: the mapping's if it says, else from a BOM, else UTF-8, CP1252, Latin-1."""
    if declared != "auto":
        _check_decodes(path, declared, declared=True)
        return declared
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        sample = head[:4096]
        if sample[1::2].count(0) > 0.9 * len(sample[1::2]):
            return "utf-16-le"
        if sample[0::2].count(0) > 0.9 * len(sample[0::2]):
            return "utf-16-be"
        raise ImportFileError(f"{path.name} is not a text file (it holds binary data): export CSV or Parquet")
    for encoding in ("utf-8", "cp1252"):
        if _check_decodes(path, encoding, declared=False):
            return encoding
    return "latin-1"


def _check_decodes(path: Path, encoding: str, declared: bool) -> bool:
    """Decode the whole file (C speed); False, or an ImportFileError if the mapping declared it."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                if not declared:
                    return False
                position = offset + exc.start
                raise ImportFileError(
                    f"{path.name} is not valid {encoding}: byte 0x{chunk[exc.start]:02X} "
                    f"at position {position:,} "
                    f'(the mapping says encoding = {encoding!r}; try "auto" or cp1252)'
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if declared:
                raise ImportFileError(f"{path.name} ends in the middle of a {encoding} character") from None
            return False
    return True


def _detect_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the same number (>1) of fields most often."""
    lines = text.splitlines()[:50]
    sample = "\n".join(lines)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for index, name in enumerate(names):
        name = name or f"column {index + 1}"
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        unique.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return unique


def read_file(
    sniffed: _Sniffed,
    source: Source,
    collector: _Collector,
    progress: Callable[[float], None],
    columns: Sequence[str] | None = None,
    budget: RowBudget | None = None,
) -> tuple[pd.DataFrame, FileRead]:
    """All rows of one file as text columns ('' for empty) plus `_file` and `_row`.

    Rows are numbered as a spreadsheet shows them (the header is row 1). Rows with more or fewer
    fields than the header are reported (a row cut off midway) and left out. A Parquet file is read
    in batches and only its `columns` (header names; None: all). A file that would take the import
    over `budget`'s rows is refused (ImportFileError), a Parquet file from its metadata before reading.
    """
    budget = budget or RowBudget()
    if sniffed.kind == "parquet":
        frame = _read_parquet(sniffed, progress, columns, budget)
        info = FileRead(sniffed.path.name, source.name, len(frame), "parquet", "")
    else:
        frame, info = _read_csv(sniffed, source, collector, progress, budget)
    budget.add(len(frame))
    frame.insert(0, "_file", sniffed.path.name)
    return frame, info


def _read_csv(sniffed, source, collector, progress, budget: RowBudget) -> tuple[pd.DataFrame, FileRead]:
    import tempfile

    encoding = sniffed.encoding
    if encoding in ("utf-8", "utf-8-sig"):
        _check_quotes(sniffed)
        return _read_utf8_csv(sniffed, sniffed.path, source, collector, progress, budget)
    # pyarrow would transcode by calling Python's codec from its reader thread, which crashes or hangs
    # the interpreter at exit when the read fails; a UTF-8 copy keeps every byte on pyarrow's side.
    with tempfile.TemporaryDirectory(prefix="handoff-import-") as folder:
        copy = Path(folder) / "utf-8.csv"
        _check_quotes(sniffed, utf8_copy=copy)
        return _read_utf8_csv(sniffed, copy, source, collector, progress, budget)


def _read_utf8_csv(sniffed, path: Path, source, collector, progress, budget) -> tuple[pd.DataFrame, FileRead]:
    """Read the UTF-8 text at `path` (the file itself, or a UTF-8 copy of it) as `sniffed` describes."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    name = sniffed.path.name
    size = max(path.stat().st_size, 1)
    invalid: list[tuple[int, int, int, str]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number or 0, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    encoding = sniffed.encoding
    read_options = pacsv.ReadOptions(
        use_threads=False,
        block_size=CSV_BLOCK_BYTES,
        column_names=sniffed.header,
        skip_rows=1,
        encoding="utf8",
    )
    parse_options = pacsv.ParseOptions(
        delimiter=sniffed.delimiter,
        quote_char='"',
        double_quote=True,
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=on_invalid,
    )
    convert_options = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in sniffed.header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    batches = []
    try:
        # pyarrow's own file and a closed reader: no Python object is left for its threads at exit.
        with pa.OSFile(str(path)) as raw, pacsv.open_csv(
            raw, read_options=read_options, parse_options=parse_options, convert_options=convert_options
        ) as reader:
            schema = reader.schema
            rows = 0
            for batch in reader:
                rows += batch.num_rows
                budget.check(name, rows, so_far=True)  # stop reading as soon as the file is over the limit
                batches.append(batch)
                progress(min(len(batches) * CSV_BLOCK_BYTES / size, 1.0))  # a batch is about one block
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{name} cannot be read as CSV: {_csv_reason(exc)}") from None
    table = pa.Table.from_batches(batches, schema=schema) if batches else None
    frame = (
        table.to_pandas()
        if table is not None
        else pd.DataFrame({c: pd.Series(dtype="str") for c in sniffed.header})
    )
    frame.columns = sniffed.header

    # pyarrow numbers every record (the header is 1); valid rows take the numbers the bad ones left.
    bad_numbers = np.array(sorted(n for n, *_ in invalid), dtype=np.int64)
    all_numbers = np.arange(2, len(frame) + len(invalid) + 2, dtype=np.int64)
    frame.insert(0, "_row", np.setdiff1d(all_numbers, bad_numbers, assume_unique=True)[: len(frame)])

    # Blank lines come through as rows of empty values, a lone "" line (Salesforce footers) as a bad row.
    frame[sniffed.header] = frame[sniffed.header].fillna("")
    blank_rows = set(frame.loc[(frame[sniffed.header] == "").all(axis=1), "_row"].tolist())
    blank_rows |= {n for n, _, actual, text in invalid if actual == 1 and text.strip() in ("", '""')}
    invalid = [i for i in invalid if i[0] not in blank_rows]
    footer = 0
    if source.stop_at_blank_row and blank_rows:
        first_blank = min(blank_rows)
        footer = int((frame["_row"] > first_blank).sum()) + sum(1 for i in invalid if i[0] > first_blank)
        footer += sum(1 for n in blank_rows if n > first_blank)
        invalid = [i for i in invalid if i[0] < first_blank]
        blank_rows = {first_blank}
        frame = frame.loc[frame["_row"] < first_blank]
    blank_count = len(blank_rows) if not source.stop_at_blank_row else 0
    frame = frame.loc[~frame["_row"].isin(blank_rows)].reset_index(drop=True)
    if invalid:
        rows = pd.DataFrame(
            {
                "file": name,
                "row": [n for n, *_ in invalid],
                "column": None,
                "value": [f"{actual} fields: {text[:120]}" for _, _, actual, text in invalid],
            }
        )
        width = len(sniffed.header)
        collector.add(
            "malformed_row",
            None,
            None,
            f"{width} fields like the header (a row cut off, or a "
            f"{DELIMITER_NAMES[sniffed.delimiter]} inside an unquoted value)",
            rows,
        )
    info = FileRead(
        name, source.name, len(frame), _encoding_label(encoding), sniffed.delimiter, blank_count, footer
    )
    return frame, info


def _csv_reason(exc: BaseException) -> str:
    """pyarrow's reason a CSV cannot be read, in the words of the person who exported it."""
    reason = _first_line(exc)
    if "straddling" in reason or "larger than block size" in reason:
        return (f"a row is longer than {CSV_BLOCK_BYTES // (1 << 20)} MB "
                "(a value that never ends, or not a CRM export)")
    return reason


def _check_quotes(sniffed: _Sniffed, utf8_copy: Path | None = None) -> None:
    """An odd number of quote characters means a quoted value never closes: the file is cut off.

    With `utf8_copy`, the text is also written there as UTF-8 (one pass for both).
    """
    decoder = codecs.getincrementaldecoder(sniffed.encoding)("replace")
    quotes = 0
    with sniffed.path.open("rb") as handle, (utf8_copy.open("w", encoding="utf-8", newline="")
                                             if utf8_copy else contextlib.nullcontext()) as copy:
        while chunk := handle.read(1 << 22):
            text = decoder.decode(chunk)
            quotes += text.count('"')
            if copy is not None:
                copy.write(text)
        if copy is not None:
            copy.write(decoder.decode(b"", final=True))
    if quotes % 2:
        raise ImportFileError(
            f"{sniffed.path.name} has a quoted value that never closes: the last row is cut off midway, or a "
            "value holds a stray double quote"
        )


def _read_parquet(
    sniffed: _Sniffed, progress, columns: Sequence[str] | None, budget: RowBudget
) -> pd.DataFrame:
    """The `columns` of a Parquet file as text, read in batches once its metadata says it fits.

    Its rows are checked against `budget`, its values and its uncompressed size against its size
    on disk (PARQUET_VALUES_PER_BYTE, PARQUET_TEXT_PER_BYTE), before a row is decoded; the text
    decoded is counted as it streams, so a file that compresses extremely well is refused early.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = sniffed.path.name
    wanted = set(sniffed.header if columns is None else columns)
    positions = [i for i, header in enumerate(sniffed.header) if header in wanted]
    headers = [sniffed.header[i] for i in positions]
    try:
        parquet = pq.ParquetFile(sniffed.path)
        metadata, schema = parquet.metadata, parquet.schema_arrow
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ImportFileError(f"{name} is not a readable Parquet file ({_first_line(exc)})") from None
    fields = [schema.field(i) for i in positions]
    for header, field_ in zip(headers, fields, strict=True):
        _parquet_text(pa.array([], type=field_.type), name, header)  # refuse a type it cannot import now
    rows, size = metadata.num_rows, max(sniffed.path.stat().st_size, 1)
    budget.check(name, rows)
    values = rows * len(positions)
    if values > max(PARQUET_VALUES_FLOOR, PARQUET_VALUES_PER_BYTE * size):
        raise ImportFileError(
            f"{name} holds {rows:,} rows × {len(positions)} columns in {_bytes(size)}, "
            f"{values / size:,.0f} values a byte: an import reads at most {PARQUET_VALUES_PER_BYTE} values "
            "a byte of Parquet (a CSV holds at most 1); nothing was read — export it as CSV, or in "
            "several files"
        )
    read_names = {field_.name for field_ in fields}
    uncompressed = sum(
        chunk.total_uncompressed_size
        for group in range(metadata.num_row_groups)
        for chunk in (metadata.row_group(group).column(c) for c in range(metadata.num_columns))
        if chunk.path_in_schema.split(".")[0] in read_names
    )
    text_limit = max(PARQUET_TEXT_FLOOR, PARQUET_TEXT_PER_BYTE * size)
    if uncompressed > text_limit:
        raise ImportFileError(
            f"{name} expands from {_bytes(size)} to {_bytes(uncompressed)} when read "
            f"({uncompressed / size:,.0f}×): an import reads at most {PARQUET_TEXT_PER_BYTE}× a Parquet "
            "file's size; nothing was read — export it as CSV"
        )
    unique_names = len(set(schema.names)) == len(schema.names)
    chunks: list[list] = [[] for _ in positions]
    read_rows = text_bytes = 0
    try:
        if positions:
            # Text comes as dictionaries (a value and where it repeats), measured before it is decoded.
            texts = [f.name for f in fields if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
            streamed = pq.ParquetFile(sniffed.path, read_dictionary=texts if unique_names else None)
            batches = streamed.iter_batches(
                batch_size=PARQUET_BATCH_ROWS, use_threads=False,
                columns=[f.name for f in fields] if unique_names else None,  # duplicate names: pick by place
            )
            for batch in batches:
                read_rows += batch.num_rows
                budget.check(name, read_rows, so_far=True)  # the metadata may undercount
                picked = batch.columns if unique_names else [batch.column(i) for i in positions]
                text_bytes += sum(_text_bytes(column) for column in picked)
                if text_bytes > text_limit:
                    raise ImportFileError(
                        f"{name} decodes to more than {_bytes(text_limit)} of text from {_bytes(size)} "
                        f"on disk (in its first {read_rows:,} rows): an import reads at most "
                        f"{PARQUET_TEXT_PER_BYTE}× a Parquet file's size; nothing was imported — "
                        "export it as CSV"
                    )
                for chunk_list, header, column in zip(chunks, headers, picked, strict=True):
                    chunk_list.append(_parquet_text(column, name, header))
                progress(read_rows / max(rows, 1))
        else:
            read_rows = rows
    except HandoffError:
        raise
    except Exception as exc:
        raise ImportFileError(f"{name} is not a readable Parquet file ({_first_line(exc)})") from None
    frame = pd.DataFrame(
        {header: pa.chunked_array(parts, type=pa.string()).to_pandas() if parts else pd.Series(dtype="str")
         for header, parts in zip(headers, chunks, strict=True)},
        columns=headers,
        index=pd.RangeIndex(read_rows),
    )
    frame.insert(0, "_row", np.arange(2, read_rows + 2, dtype=np.int64))
    return frame


def _text_bytes(column) -> int:
    """About the bytes `column` takes as text; a dictionary column is measured without decoding it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
        return int(pc.sum(lengths).as_py() or 0) + 4 * len(column)  # the text, and an offset a value
    return column.nbytes


def _parquet_text(column, file_name: str, header: str):
    """One Parquet column as text ('' for null): timestamps with a zone in UTC, `…Z`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.cast(column, pa.timestamp(column.type.unit, "UTC"))
        text = pc.binary_join_element_wise(
            pc.cast(pc.cast(column, pa.timestamp(column.type.unit)), pa.string()), "Z", ""
        )
    elif pa.types.is_string(column.type):
        text = column
    else:
        try:
            text = pc.cast(column, pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            raise ImportFileError(
                f"{file_name}: column {header!r} has type {column.type}, which "
                "cannot be imported; store it as text, a number or a timestamp"
            ) from None
    return pc.fill_null(text, "")


def _bytes(size: int) -> str:
    """A file size for people: 43 KB, 2.7 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}".replace(".0 ", " ")
    return f"{size:,} bytes"


def _encoding_label(encoding: str) -> str:
    return {
        "utf-8-sig": "UTF-8 with BOM",
        "utf-8": "UTF-8",
        "cp1252": "Windows-1252",
        "latin-1": "Latin-1",
        "utf-16": "UTF-16",
        "utf-16-le": "UTF-16 LE",
        "utf-16-be": "UTF-16 BE",
        "utf-32": "UTF-32",
    }.get(encoding, encoding)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Files to sources


def assign_sources(
    sniffs: list[_Sniffed], mapping: Mapping, collector: _Collector
) -> dict[str, list[_Sniffed]]:
    """Which export each file is: by file name, else by which source's columns its header has."""
    assigned: dict[str, list[_Sniffed]] = {name: [] for name in mapping.sources}
    for sniffed in sniffs:
        name = sniffed.path.name.casefold()
        by_name = [
            s
            for s, source in mapping.sources.items()
            if any(fnmatch.fnmatch(name, pattern.casefold()) for pattern in source.files)
        ]
        if len(by_name) == 1:
            assigned[by_name[0]].append(sniffed)
            continue
        header = {h.casefold() for h in sniffed.header}
        candidates = by_name or list(mapping.sources)
        by_columns = [s for s in candidates if {c.casefold() for c in mapping.columns_used(s)} <= header]
        if len(by_columns) == 1:
            assigned[by_columns[0]].append(sniffed)
            continue
        exports = "; ".join(f"{s} ({', '.join(src.files)})" for s, src in mapping.sources.items())
        how = "fit several" if by_columns else "fit none"
        collector.file_problem(
            "no_source",
            sniffed.path.name,
            f"{sniffed.path.name} is none of mapping {mapping.name}'s exports: its name and its "
            f"columns {how} of {exports}",
        )
    for source_name, source in mapping.sources.items():
        if source.required and not assigned[source_name]:
            collector.file_problem(
                "missing_source",
                "(none)",
                f"no file for the {source_name} export (mapping {mapping.name} needs one, named "
                f"like {' or '.join(source.files)})",
            )
    return assigned


def _resolve_columns(
    sniffed: _Sniffed, mapping: Mapping, source: str, collector: _Collector
) -> dict[str, str] | None:
    """Header name for every mapped column name (matched trimmed, case-insensitively); None if any missing."""
    by_fold = {h.casefold(): h for h in sniffed.header}
    resolved, ok = {}, True
    for column in sorted(mapping.columns_used(source)):
        if column.casefold() in by_fold:
            resolved[column] = by_fold[column.casefold()]
            continue
        ok = False
        close = difflib.get_close_matches(column, sniffed.header, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(sniffed.header[:12]) + (", …" if len(sniffed.header) > 12 else "")
        single = (
            " It has one column only: is the delimiter one of , ; tab |? Set delimiter in the mapping."
            if len(sniffed.header) == 1
            else ""
        )
        collector.file_problem(
            "missing_column",
            sniffed.path.name,
            f"{sniffed.path.name} has no column {column!r}, which mapping {mapping.name} reads for the "
            f"{source} export{hint} (its columns: {listed}).{single}",
            column,
        )
    absent = []
    for column in sorted(mapping.optional_columns(source)):
        if column.casefold() in by_fold:
            resolved[column] = by_fold[column.casefold()]
        else:
            absent.append(column)
    if absent:
        collector.add(
            "optional_column_absent",
            None,
            None,
            "the column, if your export has it (its values are left empty)",
            pd.DataFrame({"file": sniffed.path.name, "row": None, "column": absent, "value": None}),
        )
    return resolved if ok else None


# ---------------------------------------------------------------------------------------------
# Mapping rows onto canonical columns


def _condition_mask(frame: pd.DataFrame, conditions: Iterable[Condition]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for condition in conditions:
        values = frame[condition.column] if condition.column in frame else pd.Series("", index=frame.index)
        folded = values.str.strip().str.casefold()
        if condition.values_in is not None:
            mask &= folded.isin([fold(v) for v in condition.values_in])
        if condition.values_not_in is not None:
            mask &= ~folded.isin([fold(v) for v in condition.values_not_in])
        if condition.not_empty is not None:
            mask &= (folded != "") == condition.not_empty
    return mask


def _evaluate(
    spec: ColumnSpec, frame: pd.DataFrame, frames: dict[str, pd.DataFrame], source: Source
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The text of one canonical column for every row: (value, raw value, default used)."""
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
        text = text.where(~empty, "")
    elif spec.lookup:
        lookup = spec.lookup
        other = frames.get(lookup.source)
        if other is None or other.empty:
            text = pd.Series("", index=index, dtype="str")
        else:
            keys = other[lookup.key].str.strip()
            table = pd.Series(other[lookup.value].to_numpy(), index=keys.to_numpy())
            table = table[(keys != "").to_numpy()]
            table = table[~table.index.duplicated()]
            text = frame[spec.columns[0]].str.strip().map(table).fillna("").astype("str")
    elif spec.columns:
        present = [c for c in spec.columns if c in frame]
        columns = [frame[c].str.strip() for c in present] or [pd.Series("", index=index, dtype="str")]
        text = _pick(columns, spec, source)
    else:
        text = pd.Series(spec.value, index=index, dtype="str")
    raw = text
    if spec.split:
        parts = text.str.split(spec.split, regex=False)
        text = parts.map(lambda items: next((p.strip() for p in items if p.strip()), ""), na_action="ignore")
        text = text.fillna("").astype("str")
    text = text.str.strip()
    if spec.when:
        text = text.where(_condition_mask(frame, spec.when), "")
    if spec.bins is not None:
        numbers = parse_numbers(text, source.decimal)[0].to_numpy(dtype="float64")
        bounds = np.array([b for b, _ in spec.bins])
        labels = np.array([label for _, label in spec.bins], dtype=object)
        position = np.searchsorted(bounds, np.nan_to_num(numbers, nan=-np.inf), side="right") - 1
        binned = ~np.isnan(numbers) & (position >= 0)
        fallback = text if spec.other is None else text.where(text == "", spec.other)
        text = pd.Series(
            np.where(binned, labels[np.clip(position, 0, None)], fallback.to_numpy(dtype=object)),
            index=index,
            dtype="str",
        )
    elif spec.value_map is not None:
        mapped = text.str.casefold().map(spec.value_map)
        unmapped = mapped.isna()
        fallback = text if spec.other is None else text.where(text == "", spec.other)
        text = mapped.where(~unmapped, fallback).astype("str")
    elif spec.other is not None:
        text = text.where(text == "", spec.other)
    used_default = pd.Series(False, index=index)
    if spec.default is not None:
        used_default = text == ""
        text = text.where(~used_default, spec.default)
    return text.astype("str"), raw.astype("str"), used_default


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


# ---------------------------------------------------------------------------------------------
# Parsing text into types


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


# ---------------------------------------------------------------------------------------------
# One feed: rows of a source become typed rows of a table


@dataclass
class _FeedResult:
    frame: pd.DataFrame  # typed canonical columns + _file, _row, _feed, _raw_<col>
    labels: dict[str, str]


def _run_feed(
    feed: Feed, feed_index: int, frames: dict[str, pd.DataFrame], mapping: Mapping, collector: _Collector
) -> _FeedResult:
    source = mapping.sources[feed.source]
    table = CANONICAL[feed.table]
    rows = frames[feed.source]
    if feed.where:
        rows = rows.loc[_condition_mask(rows, feed.where)]
    out = pd.DataFrame({"_file": rows["_file"].to_numpy(), "_row": rows["_row"].to_numpy()})
    out["_feed"] = feed_index
    labels = {}
    for column in table.columns:
        spec = feed.columns.get(column.name)
        if spec is None:
            spec = (
                ColumnSpec(target=column.name, value=column.default) if column.default is not None else None
            )
        if spec is None:
            out[column.name] = pd.Series(
                [None] * len(out), dtype="str" if column.type == "text" else "object"
            )
            if column.type in ("timestamp", "date"):
                out[column.name] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
            continue
        labels[column.name] = spec.label
        text, raw, used_default = _evaluate(spec, rows, frames, source)
        text = text.reset_index(drop=True)
        raw = raw.reset_index(drop=True)
        out[f"_raw_{column.name}"] = raw
        if column.required and spec.default is not None and used_default.any():
            collector.add(
                "default_used",
                feed.table,
                column.name,
                f"a value (the mapping fills {spec.default!r})",
                _problem_rows(out, used_default.to_numpy(), spec.label, raw),
            )
        out[column.name] = _typed(column, spec, text, raw, out, source, feed.table, collector, rows)
    if feed.distinct:
        keys = out[list(table.key)].astype("str")
        out = out.loc[~keys.duplicated().to_numpy()].reset_index(drop=True)
    return _FeedResult(out, labels)


def _typed(column, spec, text, raw, out, source, table_name, collector, rows) -> pd.Series:
    """Parse one column's text into its canonical type, reporting what does not parse."""
    label = spec.label
    if column.type in ("timestamp", "date"):
        values, bad = parse_timestamps(text, spec.formats or source.date_formats, source.timezone)
        if column.type == "date":
            values = values.dt.normalize()
        formats = ", ".join(
            "ISO 8601 (2024-01-31 or 2024-01-31 14:05)" if f == "iso" else f
            for f in (spec.formats or source.date_formats)
        )
        kind = "bad_timestamp" if column.type == "timestamp" else "bad_date"
        collector.add(
            kind,
            table_name,
            column.name,
            f"a {column.type} as {formats}",
            _problem_rows(out, bad, label, raw),
        )
    elif column.type in ("integer", "decimal"):
        numbers, canonical, bad = parse_numbers(text, source.decimal)
        if column.type == "integer":
            whole = numbers.isna() | (numbers == numbers.round())
            collector.add(
                "bad_number",
                table_name,
                column.name,
                "a whole number",
                _problem_rows(out, (bad | ~whole).to_numpy(), label, raw),
            )
            bad = bad | ~whole
            if spec.clip:
                numbers = numbers.clip(*spec.clip)
            values = numbers.where(~bad).round().astype("Int64")
        else:
            collector.add(
                "bad_number",
                table_name,
                column.name,
                "a number such as 1234.50",
                _problem_rows(out, bad.to_numpy(), label, raw),
            )
            if spec.clip:
                clipped = numbers.clip(*spec.clip)
                canonical = canonical.where(
                    clipped == numbers, clipped.map(lambda x: f"{x:.6f}", na_action="ignore")
                )
                numbers = clipped
            values = canonical
        out[f"_num_{column.name}"] = numbers.where(~bad).to_numpy()
    else:
        values = text.where(text != "", None).astype("str")
        bad = pd.Series(False, index=text.index)
        if column.allowed:
            folded = values.str.casefold()
            values = folded.where(folded.isin(column.allowed), values)
    missing = values.isna() & ~bad
    if column.required:
        collector.add(
            "missing_required",
            table_name,
            column.name,
            "a value (the column is required)",
            _problem_rows(out, missing.to_numpy(), label, raw),
        )
    elif column.warn_if_missing and (spec.template or spec.lookup or any(c in rows for c in spec.columns)):
        collector.add(
            "optional_missing",
            table_name,
            column.name,
            "a value (optional, but pages use it)",
            _problem_rows(out, missing.to_numpy(), label, raw),
        )
    if column.allowed:
        outside = values.notna() & ~values.isin(column.allowed)
        collector.add(
            "not_allowed",
            table_name,
            column.name,
            f"one of {', '.join(column.allowed)}",
            _problem_rows(out, outside.to_numpy(), label, raw),
        )
    if column.minimum is not None or column.maximum is not None:
        numbers = pd.Series(out[f"_num_{column.name}"], index=text.index, dtype="float64")
        low = numbers < column.minimum if column.minimum is not None else False
        high = numbers > column.maximum if column.maximum is not None else False
        outside = (low | high) & numbers.notna()
        bounds = (
            f"between {column.minimum:g} and {column.maximum:g}"
            if column.maximum is not None
            else f"at least {column.minimum:g}"
        )
        collector.add(
            "out_of_range",
            table_name,
            column.name,
            f"a number {bounds}",
            _problem_rows(out, outside.to_numpy(), label, raw),
        )
    return values


# ---------------------------------------------------------------------------------------------
# The whole check


@dataclass
class Plan:
    """A checked import, ready to write: the typed tables, which rows have errors, and the report."""

    mapping: Mapping
    report: Report
    tables: dict[str, pd.DataFrame]
    # table -> boolean array: the row has its own error / depends on a row with an error
    row_errors: dict[str, np.ndarray]
    dependent: dict[str, np.ndarray]
    meta: dict[str, str]

    @property
    def can_write(self) -> bool:
        return not self.report.errors

    @property
    def can_quarantine(self) -> bool:
        return not self.report.fatal and self.rows_to_load(quarantine=True).get("leads", 0) > 0

    def rows_to_load(self, quarantine: bool) -> dict[str, int]:
        return {
            t: int((~self.row_errors[t] & ~self.dependent[t]).sum()) if quarantine else len(f)
            for t, f in self.tables.items()
        }


def check(
    files: Sequence[str | Path],
    mapping: Mapping | str | Path,
    progress: Progress | None = None,
    *,
    max_rows: int | None = None,
    max_rows_setting: str = "--max-rows",
) -> Plan:
    """Read, map and validate `files` with `mapping`; write nothing. Raise ImportFileError or
    MappingError for problems that stop reading altogether; row problems go into the report.

    `max_rows` limits the rows of all files together (None: no limit); a refusal names the file, its
    rows, the limit and `max_rows_setting`, the setting that raises it. Only the columns the mapping
    reads are kept, and a Parquet file is checked against its size before it is read (`read_file`).
    """
    budget = RowBudget(max_rows, max_rows_setting)
    report_progress = progress or (lambda fraction, message: None)
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    paths = [Path(f) for f in files]
    if not paths:
        raise ImportFileError("no files to import: name at least one CSV or Parquet file")
    for path in paths:
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
    collector = _Collector()
    report = Report(mapping.name)

    sniffs = []
    for path in paths:
        source = _source_for_sniff(path, mapping)
        sniffs.append(sniff(path, source))
    assigned = assign_sources(sniffs, mapping, collector)
    # Re-sniff with the assigned source's declared encoding/delimiter where it has one.
    frames: dict[str, pd.DataFrame] = {}
    total = sum(s.path.stat().st_size for s in sniffs) or 1
    done = 0
    for source_name, items in assigned.items():
        source = mapping.sources[source_name]
        parts = []
        for sniffed in items:
            if source.encoding != "auto" or source.delimiter != "auto":
                sniffed = sniff(sniffed.path, source)
            resolved = _resolve_columns(sniffed, mapping, source_name, collector)
            size = sniffed.path.stat().st_size
            start = done

            def on_read(fraction, start=start, size=size, name=sniffed.path.name):
                report_progress(0.6 * (start + fraction * size) / total, f"reading {name}")

            wanted = list(resolved.values()) if resolved is not None else []
            frame, info = read_file(sniffed, source, collector, on_read, columns=wanted, budget=budget)
            done += size
            report.files.append(info)
            if resolved is None:
                continue
            # Only the columns the mapping reads go on (a CRM export may have hundreds).
            frame = frame[["_file", "_row", *dict.fromkeys(resolved.values())]]
            frame = frame.rename(columns={header: column for column, header in resolved.items()})
            parts.append(frame)
        if parts:
            frames[source_name] = pd.concat(parts, ignore_index=True).fillna("")
        elif items:
            frames[source_name] = None  # a file was there but cannot be used
    if collector.has_fatal():
        return _plan_without_tables(mapping, report, collector)
    for source_name, source in mapping.sources.items():
        if frames.get(source_name) is None:
            frames[source_name] = _empty_source(mapping, source_name)

    report_progress(0.65, "mapping rows onto the canonical tables")
    tables: dict[str, pd.DataFrame] = {}
    labels: dict[str, list[dict[str, str]]] = {}
    for table_name, feeds in mapping.feeds.items():
        results = [_run_feed(feed, i, frames, mapping, collector) for i, feed in enumerate(feeds)]
        frame = (
            pd.concat([r.frame for r in results], ignore_index=True) if len(results) > 1 else results[0].frame
        )
        if any(feed.distinct for feed in feeds) and len(results) > 1:
            distinct_feeds = [i for i, feed in enumerate(feeds) if feed.distinct]
            keys = frame[list(CANONICAL[table_name].key)].astype("str")
            drop = keys.duplicated().to_numpy() & frame["_feed"].isin(distinct_feeds).to_numpy()
            frame = frame.loc[~drop].reset_index(drop=True)
        tables[table_name] = frame
        labels[table_name] = [r.labels for r in results]
    if tables["leads"].empty:
        leads_files = ", ".join(
            f.name for f in report.files if f.source in {f.source for f in mapping.feeds["leads"]}
        )
        collector.file_problem(
            "empty_table",
            leads_files or "(none)",
            f"no leads: {leads_files or 'the leads export'} has a header but no data rows "
            "(a Handoff database needs at least one lead)",
        )
    report_progress(0.75, "checking keys, references and stage order")
    row_errors, dependent = _validate_tables(tables, labels, collector)
    meta = _meta_from_source(frames.get(mapping.meta_source)) if mapping.meta_source else {}
    report.problems = collector.sorted()
    report.tables = {
        t: {"mapped": len(f), "errors": int(row_errors[t].sum()), "dependent": int(dependent[t].sum())}
        for t, f in tables.items()
    }
    report_progress(0.8, "checked")
    return Plan(mapping, report, tables, row_errors, dependent, meta)


def _source_for_sniff(path: Path, mapping: Mapping) -> Source | None:
    """The source a file's name points to, if exactly one (so its declared encoding applies)."""
    name = path.name.casefold()
    matches = [
        s for s in mapping.sources.values() if any(fnmatch.fnmatch(name, p.casefold()) for p in s.files)
    ]
    return matches[0] if len(matches) == 1 else None


def _empty_source(mapping: Mapping, source: str) -> pd.DataFrame:
    columns = sorted(mapping.columns_used(source) | mapping.optional_columns(source))
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    frame.insert(0, "_row", pd.Series(dtype="int64"))
    frame.insert(0, "_file", pd.Series(dtype="str"))
    return frame


def _plan_without_tables(mapping: Mapping, report: Report, collector: _Collector) -> Plan:
    report.problems = collector.sorted()
    return Plan(mapping, report, {}, {}, {}, {})


def _meta_from_source(frame: pd.DataFrame | None) -> dict[str, str]:
    """The facts a canonical export carries besides the tables (its as-of date)."""
    if frame is None or frame.empty:
        return {}
    pairs = dict(zip(frame["key"].str.strip(), frame["value"].str.strip(), strict=True))
    return {k: v for k, v in pairs.items() if k == "as_of" and v}


REFERENCES = [  # (child table, column, parent table)
    (table.name, column.name, column.references)
    for table in CANONICAL.values()
    for column in table.columns
    if column.references
]


def _validate_tables(
    tables: dict[str, pd.DataFrame], labels, collector: _Collector
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
            _problem_rows(frame, dup, lambda t=table_name, k=table.key[0]: label_of(t, k), shown),
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
                _problem_rows(frame, unresolved, lambda t=table_name, c=column: label_of(t, c), values),
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
                    _problem_rows(tables[child], hit, lambda t=child, c=column: label_of(t, c), values),
                )
    _warn_stage_order(tables, label_of, collector)
    return own_errors, dependent


def _rows_with_errors(table_name: str, frame: pd.DataFrame, collector: _Collector) -> np.ndarray:
    """Rows the column checks flagged (type, required, allowed, range) for this table."""
    bad = np.zeros(len(frame), dtype=bool)
    for group in collector.groups.values():
        if group.table == table_name and group.severity == "error" and len(group.rows):
            rows = set(zip(group.rows["file"], group.rows["row"], strict=True))
            if rows:
                index = pd.MultiIndex.from_arrays([frame["_file"], frame["_row"]])
                bad |= index.isin(list(rows))
    return bad


def _warn_stage_order(tables, label_of, collector: _Collector) -> None:
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
            _problem_rows(frame, sample, lambda: label_of(table, column), values.reindex(frame.index)),
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


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class Written:
    """What an import wrote."""

    path: Path
    loaded: dict[str, int]
    set_aside: int
    rejects_path: Path | None

    def sentence(self) -> str:
        """'Imported 5 people, 22 leads, 8 deals; 3 rows set aside (rejects.csv).'"""
        loaded = ", ".join(f"{n:,} {table}" for table, n in self.loaded.items() if n)
        aside = f"; {_count(self.set_aside, 'row')} set aside" if self.set_aside else ""
        where = f" ({self.rejects_path})" if self.set_aside and self.rejects_path else ""
        return f"Imported {loaded}{aside}{where}."


def write(
    plan: Plan,
    db_path: db.DbPath,
    *,
    quarantine: bool = False,
    rejects_path: str | Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Written:
    """Build the new database from a checked plan, atomically; refuse if it has errors.

    With `quarantine`, rows with errors and rows depending on them are set aside (listed in
    `rejects_path` if given) and the rest loads.
    """
    report_progress = progress or (lambda fraction, message: None)
    report = plan.report
    if report.fatal or not plan.tables:
        raise ImportRefused(f"import refused: {report.headline()}; nothing was written", report)
    if report.errors and not quarantine:
        raise ImportRefused(
            f"import refused: {_count(report.error_count(), 'error')} "
            f"of {_count(len(report.errors), 'kind')} "
            f"(first: {report.errors[0].title} in {report.errors[0].where}); nothing was written — fix the "
            "files, or set the rows aside with --rejects FILE",
            report,
        )
    keep = {
        t: ~(plan.row_errors[t] | plan.dependent[t]) if quarantine else np.ones(len(f), dtype=bool)
        for t, f in plan.tables.items()
    }
    if int(keep["leads"].sum()) == 0:
        raise ImportRefused("import refused: every lead has an error, so nothing would load", report)
    written_rejects = None
    set_aside = sum(int((~k).sum()) for k in keep.values())
    if rejects_path is not None and quarantine:
        written_rejects = write_rejects(plan, Path(rejects_path))
    meta = {
        "source": f"import:{plan.mapping.name}",
        "imported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "import_mapping": plan.mapping.name,
        "import_files": json.dumps(
            [
                {
                    "file_name": f.name,
                    "source_name": f.source,
                    "rows_read": f.rows,
                    "encoding": f.encoding,
                    "delimiter": DELIMITER_NAMES.get(f.delimiter, f.delimiter),
                }
                for f in report.files
            ]
        ),
        "import_problems": report.to_json()
        if quarantine
        else Report(report.mapping, problems=report.warnings).to_json(),
        **plan.meta,
    }
    if as_of is not None:
        meta["as_of"] = as_of.isoformat()
    loaded = {t: int(k.sum()) for t, k in keep.items()}

    def fill(con) -> dict[str, str]:
        for index, table_name in enumerate(TABLE_ORDER):
            if table_name not in plan.tables:
                continue
            frame = plan.tables[table_name].loc[keep[table_name]]
            report_progress(
                0.82 + 0.15 * index / len(TABLE_ORDER), f"writing {table_name} ({len(frame):,} rows)"
            )
            _insert(con, table_name, frame)
        report_progress(0.98, "rebuilding lead_milestones and saving")
        return meta

    try:
        path = db.build_database(db_path, fill)
    except HandoffError:
        raise
    except Exception as exc:  # DuckDB refusing a row the checks let through: still nothing written
        raise ImportRefused(f"import failed while writing, nothing was changed: {_first_line(exc)}") from None
    db.close_connections()
    report_progress(1.0, f"imported into {path}")
    return Written(path, loaded, set_aside, written_rejects)


_SQL_TYPES = {
    "text": "text",
    "timestamp": "timestamp",
    "date": "date",
    "integer": "integer",
    "decimal": "decimal(18, 2)",
}


def _insert(con, table_name: str, frame: pd.DataFrame) -> None:
    """Insert typed rows; column names and types come from the canonical definition, not the input."""
    if frame.empty:
        return
    table = CANONICAL[table_name]
    data = pd.DataFrame(
        {
            c.name: frame[c.name].astype("str") if c.type in ("text", "decimal") else frame[c.name]
            for c in table.columns
        }
    )
    con.register("import_frame", data)
    try:
        select = ", ".join(f"cast({c.name} as {_SQL_TYPES[c.type]})" for c in table.columns)
        con.execute(
            f"insert into {table_name} ({', '.join(table.column_names)}) select {select} from import_frame"
        )
    finally:
        con.unregister("import_frame")


def write_rejects(plan: Plan, path: Path) -> Path:
    """Every row set aside, with why: file, row, table, problem, column, value, expected."""
    frames = []
    for group in plan.report.problems:
        if group.severity in ("error", "rejected") and len(group.rows):
            frames.append(
                group.rows.assign(table=group.table or "", problem=group.title, expected=group.expected)
            )
    columns = ["file", "row", "table", "problem", "column", "value", "expected"]
    out = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    out = out.sort_values(["file", "row"], kind="stable")
    out["row"] = out["row"].astype("Int64")
    with replacing_file(path) as partial:  # a full disk leaves no half-written rejects file
        out.to_csv(partial, index=False, lineterminator="\n")
    return path


def import_files(
    files: Sequence[str | Path],
    mapping: str | Path | Mapping,
    db_path: db.DbPath,
    *,
    rejects_path: str | Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Plan, Written]:
    """Check and write in one go (the CLI's path): quarantine when a rejects file is given."""
    plan = check(files, mapping, progress)
    written = write(
        plan,
        db_path,
        quarantine=rejects_path is not None,
        rejects_path=rejects_path,
        as_of=as_of,
        progress=progress,
    )
    return plan, written


# ---------------------------------------------------------------------------------------------
# Export


def export(db_path: db.DbPath, directory: str | Path, *, spreadsheet_safe: bool = False) -> list[Path]:
    """One canonical CSV per table (and handoff_meta.csv with the as-of date) into `directory`.

    Values are written as DuckDB prints them (timestamps `2026-01-31 14:05:00`, money `1234.50`),
    so importing the directory with the `canonical` mapping rebuilds the same tables. With
    `spreadsheet_safe`, text a spreadsheet would run as a formula gets a leading `'` (for people to
    open; such an export no longer round-trips exactly). The files are written into a folder beside
    `directory` and moved in only when all are complete, so a failure (a full disk) leaves
    `directory` as it was.
    """
    from handoff.spreadsheet import write_csv

    out_dir = Path(directory)
    names = [f"{table_name}.csv" for table_name in TABLE_ORDER] + ["handoff_meta.csv"]
    with replacing_files(out_dir) as staging:
        for table_name in TABLE_ORDER:
            table = CANONICAL[table_name]
            order = ", ".join(table.key) if table_name != "targets" else "all"
            select = ", ".join(f"cast({c} as text) as {c}" for c in table.column_names)
            frame = db.execute(f"select {select} from {table_name} order by {order}", db=db_path,
                               label=f"export {table_name}")
            path = staging / f"{table_name}.csv"
            if spreadsheet_safe:
                write_csv(frame, path)
            else:
                frame.to_csv(path, index=False, lineterminator="\n")
        meta = db.read_meta(db_path)
        as_of = db.run_query("data__as_of", db=db_path)["as_of_date"].iloc[0]
        rows = [{"key": "as_of", "value": meta.get("as_of") or pd.Timestamp(as_of).date().isoformat()}]
        pd.DataFrame(rows).to_csv(staging / "handoff_meta.csv", index=False, lineterminator="\n")
    return [out_dir / name for name in names]


# ---------------------------------------------------------------------------------------------
# Uploads from the Data page


def uploads_dir() -> Path:
    """A fresh folder under data/uploads/ for one upload (kept out of git by its own .gitignore)."""
    UPLOADS_DIR.mkdir(parents=True, exist_ok=True)
    ignore = UPLOADS_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Uploaded files stay on this machine.\n*\n")
    folder = UPLOADS_DIR / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    return folder


def save_upload(folder: Path, name: str, content: bytes) -> Path:
    """Save one uploaded file in `folder` under a safe version of its name."""
    safe = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(name).name).strip(" .") or "upload"
    path = folder / safe
    path.write_bytes(content)
    return path


def upload_row_limit() -> int:
    """The most rows one upload on the Data page may hold, all files together ($HANDOFF_IMPORT_MAX_ROWS)."""
    return int(float(os.environ.get("HANDOFF_IMPORT_MAX_ROWS", MAX_IMPORT_ROWS)))


UPLOAD_ROWS_SETTING = "HANDOFF_IMPORT_MAX_ROWS; or import it with python -m handoff import"


def upload_limit_bytes() -> int:
    """The largest file the Data page accepts ($HANDOFF_MAX_UPLOAD_MB, default 50 MB)."""
    return int(float(os.environ.get("HANDOFF_MAX_UPLOAD_MB", MAX_UPLOAD_MB)) * 1_000_000)


def too_large(files: Iterable[tuple[str, int]]) -> str | None:
    """A message naming the limit if any (name, size) is over it; None if all fit."""
    limit = upload_limit_bytes()
    over = [(name, size) for name, size in files if size > limit]
    if not over:
        return None
    listed = ", ".join(f"{name} ({size / 1e6:.1f} MB)" for name, size in over)
    return (
        f"{listed} {'is' if len(over) == 1 else 'are'} over the {limit / 1e6:g} MB upload limit: split the "
        "export, or import it from the command line with `python -m handoff import`."
    )


def clear_old_uploads(keep: Path | None = None) -> None:
    """Remove earlier upload folders (uploads are scratch space)."""
    if not UPLOADS_DIR.exists():
        return
    for folder in UPLOADS_DIR.iterdir():
        if folder.is_dir() and folder != keep:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class CheckedUpload:
    """What the Data page keeps between reruns about a checked upload: where the files are and what
    the check found, in small tables; never the rows, which `write` reads again from the saved files."""

    folder: Path
    files: tuple[Path, ...]
    mapping: str | Path  # a preset's name, or the saved mapping file
    headline: str
    error_count: int
    can_quarantine: bool
    has_tables: bool
    files_frame: pd.DataFrame
    rows_frame: pd.DataFrame
    rows_frame_quarantined: pd.DataFrame
    problems_frame: pd.DataFrame  # one row per kind of problem
    samples_frame: pd.DataFrame  # at most SAMPLES_PER_KIND rows per kind

    @classmethod
    def of(cls, plan: Plan, folder: Path, files: Sequence[Path], mapping: str | Path) -> CheckedUpload:
        """The summary of `plan`, checked from `files` in `folder` with `mapping`."""
        report = plan.report
        rows = {q: report.summary_frame(q) if plan.tables else pd.DataFrame() for q in (False, True)}
        return cls(
            folder, tuple(files), mapping, report.headline(), report.error_count(), plan.can_quarantine,
            bool(plan.tables), report.files_frame(), rows[False], rows[True], report.problems_frame(),
            report.samples_frame(),
        )

    @property
    def has_errors(self) -> bool:
        """The check found errors: the import is refused unless rows are set aside."""
        return self.error_count > 0

    @property
    def has_problems(self) -> bool:
        """The check found errors or warnings."""
        return not self.problems_frame.empty

    def rows(self, quarantine: bool) -> pd.DataFrame:
        """Rows per table, mapped and to load (with or without rows set aside)."""
        return self.rows_frame_quarantined if quarantine else self.rows_frame

    def write(self, db_path: db.DbPath, *, quarantine: bool = False, rejects_path: Path | None = None,
              progress: Progress | None = None) -> Written:
        """Check the saved files again (nothing was kept in memory) and write them, atomically."""
        if not all(path.is_file() for path in self.files):  # a later upload clears earlier ones
            raise ImportFileError("the checked files are gone (a newer upload replaced them): upload and "
                                  "check them again; nothing was written")
        plan = check(self.files, self.mapping, progress, max_rows=upload_row_limit(),
                     max_rows_setting=UPLOAD_ROWS_SETTING)
        return write(plan, db_path, quarantine=quarantine, rejects_path=rejects_path, progress=progress)


def check_uploads(files: Sequence, mapping: str, mapping_file: object = None,
                  progress: Progress | None = None) -> CheckedUpload:
    """Save uploaded files (and an uploaded mapping) under data/uploads/ and check them; write nothing.

    `files` and `mapping_file` are uploads: anything with a `name` and `getvalue()` (Streamlit's
    UploadedFile), or (name, bytes) pairs. All files together may hold `upload_row_limit()` rows.
    The result holds the check's summary and the saved paths only, so it may stay in session state.
    """

    def saved(upload) -> Path:
        name, content = upload if isinstance(upload, tuple) else (upload.name, upload.getvalue())
        return save_upload(folder, name, content)

    clear_old_uploads()
    folder = uploads_dir()
    paths = [saved(upload) for upload in files]
    chosen: str | Path = saved(mapping_file) if mapping_file else mapping
    plan = check(paths, chosen, progress, max_rows=upload_row_limit(), max_rows_setting=UPLOAD_ROWS_SETTING)
    return CheckedUpload.of(plan, folder, paths, chosen)


# ---------------------------------------------------------------------------------------------
# For the Data page: how each health check is computed, and tables in words


HEALTH_CHECK_HELP = {
    "leads_with_source": "Share of leads whose original source (channel) is known: not empty and not "
    "'unknown'. Leads without one fall out of every channel breakdown.",
    "deals_with_lead": "Share of deals whose lead_id is a lead in the data. A deal without its lead is "
    "missing from the funnel and from attribution.",
    "mqls_with_response": "Share of MQLs (leads with mql_at) that have a sales touch at or after mql_at "
    "(lead_milestones.first_sales_touch_at). The rest have no speed to lead.",
    "lead_stages_in_order": "Leads with a stage earlier than a stage before it: MQL before created, SAL "
    "before MQL, SQL before SAL, or the first deal opened before the lead was created.",
    "deal_cycle_not_negative": "Closed deals whose closed_at is before created_at (a negative sales cycle).",
    "won_deals_dated": "Won deals without closed_at: they do not count as Won in the funnel.",
    "references_resolve": "Orphans: owner, campaign, lead, person and manager ids that point at no record "
    "(out of every reference in the data).",
    "campaigns_used": "Campaigns that no lead names as its source and no touch refers to.",
}
# Columns of the people-facing tables that hold counts (shown with thousands separators).
COUNT_COLUMNS = ("Rows", "Checked", "Failing", "Rows with it", "Rows read", "Rows mapped", "To load")
HEADLINE_LABELS = {
    "leads_with_source": "Leads with a source",
    "deals_with_lead": "Deals with a lead",
    "mqls_with_response": "MQLs responded to",
    "lead_stages_in_order": "Stages out of order",
    "references_resolve": "Orphans",
}
# The checks shown as tiles: (check, shown as a share passing or as a count failing)
HEADLINE_CHECKS = (
    ("leads_with_source", "rate"),
    ("deals_with_lead", "rate"),
    ("mqls_with_response", "rate"),
    ("lead_stages_in_order", "count"),
    ("references_resolve", "count"),
)


def tables_for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """data__table_health with column names for people."""
    return frame.drop(columns="table_order").rename(
        columns={
            "table_name": "Table",
            "row_count": "Rows",
            "dated_by": "Dated by",
            "earliest_at": "Earliest",
            "latest_at": "Latest",
            "days_since_latest": "Days since latest",
        }
    )


def checks_for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """data__health_checks with column names for people (the rate as a 0–100 percentage)."""
    out = frame[["check_label", "table_name", "checked_count", "issue_count", "ok_rate", "sample_ids"]].copy()
    out["ok_rate"] = out["ok_rate"] * 100
    return out.rename(
        columns={
            "check_label": "Check",
            "table_name": "Table",
            "checked_count": "Checked",
            "issue_count": "Failing",
            "ok_rate": "Passing (%)",
            "sample_ids": "First failing ids",
        }
    )


def failing_for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """data__health_check_rows with column names for people."""
    return frame.rename(columns={"record_id": "Id", "table_name": "Table", "detail": "What is wrong"})


def last_import_sentence(files: pd.DataFrame) -> str:
    """What data__import_files says about the last import, in one sentence."""
    when = pd.Timestamp(files["imported_at"].iloc[0])
    listed = ", ".join(f"{f.file_name} ({f.rows_read:,} rows)" for f in files.itertuples())
    return (
        f"With the mapping “{files['mapping_name'].iloc[0]}” on {when:%d %b %Y %H:%M} UTC, "
        f"from {listed}. "
        "Warnings (those rows loaded) and rows set aside, with the first examples of each:"
    )


def problems_for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """data__import_problems (or a report's samples) with column names for people."""
    names = {
        "severity": "Severity",
        "problem": "Problem",
        "where": "Where",
        "table_name": "Table",
        "column_name": "Column",
        "problem_count": "Rows with it",
        "count": "Rows with it",
        "expected": "Expected",
        "file_name": "File",
        "file": "File",
        "row_number": "Row",
        "row": "Row",
        "source_column": "Source column",
        "column": "Source column",
        "value": "Value",
    }
    drop = [c for c in ("problem_order", "kind") if c in frame]
    return frame.drop(columns=drop).rename(columns=names)


# ---------------------------------------------------------------------------------------------
# Command line


def add_commands(subparsers) -> None:
    """`import` and `export`."""
    from handoff.cli import add_db_argument, add_safe_csv_argument

    parser = subparsers.add_parser("import", help="load CRM exports through a mapping, atomically")
    add_db_argument(parser)
    parser.add_argument(
        "--mapping",
        required=True,
        metavar="NAME_OR_FILE",
        help="a preset (canonical, hubspot, salesforce, olist) or a mapping TOML file",
    )
    parser.add_argument(
        "--rejects",
        metavar="FILE",
        default=None,
        help="set rows with errors aside into this CSV and load the rest",
    )
    parser.add_argument(
        "--as-of", type=_parse_date, default=None, help="the data's as-of day (default: from the data)"
    )
    parser.add_argument("--check", action="store_true", help="validate and report only; write nothing")
    parser.add_argument("--max-rows", type=int, default=None, metavar="N",
                        help="refuse an import whose files hold more than N rows in all (default: no limit)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet files")
    parser.set_defaults(run=_import_command)

    parser = subparsers.add_parser("export", help="write one canonical CSV per table into a directory")
    add_db_argument(parser)
    add_safe_csv_argument(parser)
    parser.add_argument("directory", metavar="DIR")
    parser.set_defaults(run=_export_command)


def _parse_date(text: str) -> dt.date:
    import argparse

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _import_command(args) -> int:
    def progress(fraction: float, message: str, last=[-1.0, ""]) -> None:  # noqa: B006 - throttle state
        if fraction - last[0] >= 0.05 or message != last[1] and not message.startswith("reading"):
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)
            last[0], last[1] = fraction, message

    plan = check(args.files, args.mapping, progress, max_rows=args.max_rows)
    quarantine = args.rejects is not None
    print(plan.report.as_text(quarantine=quarantine))
    if args.check:
        if plan.report.errors:
            raise ImportRefused(f"check found {plan.report.error_count():,} errors; nothing was written")
        return 0
    written = write(
        plan, args.db, quarantine=quarantine, rejects_path=args.rejects, as_of=args.as_of, progress=progress
    )
    loaded = ", ".join(f"{count:,} {table}" for table, count in written.loaded.items())
    print(f"imported into {written.path}: {loaded}")
    if written.set_aside:
        print(f"{written.set_aside:,} rows set aside, listed in {written.rejects_path}")
    return 0


def _export_command(args) -> int:
    paths = export(args.db, args.directory, spreadsheet_safe=args.safe_csv)
    print(f"wrote {len(paths)} files to {Path(args.directory).resolve()}: {', '.join(p.name for p in paths)}")
    return 0
