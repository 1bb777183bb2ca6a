"""The problem report: every problem an import found, grouped by kind and place, counted.

Errors refuse the import; warnings load and are recorded with the data; rows set aside with
`--rejects` are listed with why. A `Report` says it for a terminal (`as_text`), for the Data page
(small frames) and for the database's `handoff_meta` (`to_json`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from handoff.errors import HandoffError
from handoff.ingest.canonical import TABLE_ORDER

SAMPLES_PER_KIND = 20
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class ImportRefused(HandoffError):
    """Validation found errors; nothing was written."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


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
            return first.expected.rstrip(".") + (f" (and {counted(more, 'more problem')})" if more else "")
        rows = sum(t["mapped"] for t in self.tables.values())
        text = f"{rows:,} rows mapped"
        if self.errors:
            text += f", {counted(self.error_count(), 'error')} of {counted(len(self.errors), 'kind')}"
        if self.warnings:
            text += f", {counted(self.warning_count(), 'warning')}"
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
                f"  {f.name}: {counted(f.rows, 'row')} read as {f.source} "
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


def counted(number: int, noun: str) -> str:
    """'1 row', '2 rows'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _show(value: object) -> str:
    text = str(value)
    return repr(text[:80] + "…" if len(text) > 80 else text)


class Collector:
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


def problem_rows(frame: pd.DataFrame, mask, column: str | pd.Series | None, values) -> pd.DataFrame:
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


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (the CLI prints one line)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
