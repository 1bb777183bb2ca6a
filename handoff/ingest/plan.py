"""The whole check: read every file, match it to an export of the mapping, map its rows onto the
canonical tables and validate them; nothing is written. The result is a `Plan`."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from handoff.ingest.feeds import distinct_rows, run_feed
from handoff.ingest.mapping import Mapping, Source, load_mapping
from handoff.ingest.read import ImportFileError, RowBudget, Sniffed, read_file, sniff
from handoff.ingest.report import Collector, Report
from handoff.ingest.validate import validate_tables

Progress = Callable[[float, str], None]


def assign_sources(sniffs: list[Sniffed], mapping: Mapping, collector: Collector) -> dict[str, list[Sniffed]]:
    """Which export each file is: by file name, else by which source's columns its header has."""
    assigned: dict[str, list[Sniffed]] = {name: [] for name in mapping.sources}
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
    sniffed: Sniffed, mapping: Mapping, source: str, collector: Collector
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
    paths = _existing_files(files)
    collector = Collector()
    report = Report(mapping.name)
    sniffs = [sniff(path, _source_for_sniff(path, mapping)) for path in paths]
    assigned = assign_sources(sniffs, mapping, collector)
    _missing_lookups(mapping, assigned, collector)
    reading = _Reading(
        mapping,
        collector,
        report,
        budget,
        report_progress,
        total=sum(s.path.stat().st_size for s in sniffs) or 1,
    )
    frames = reading.sources(assigned)
    if collector.has_fatal():
        return _plan_without_tables(mapping, report, collector)
    for source_name in mapping.sources:
        if frames.get(source_name) is None:
            frames[source_name] = _empty_source(mapping, source_name)

    report_progress(0.65, "mapping rows onto the canonical tables")
    tables, labels = _map_tables(mapping, frames, collector)
    if tables["leads"].empty:
        _report_no_leads(mapping, report, collector)
    report_progress(0.75, "checking keys, references and stage order")
    row_errors, dependent = validate_tables(tables, labels, collector)
    meta = _meta_from_source(frames.get(mapping.meta_source)) if mapping.meta_source else {}
    report.problems = collector.sorted()
    report.tables = {
        t: {"mapped": len(f), "errors": int(row_errors[t].sum()), "dependent": int(dependent[t].sum())}
        for t, f in tables.items()
    }
    report_progress(0.8, "checked")
    return Plan(mapping, report, tables, row_errors, dependent, meta)


def _existing_files(files: Sequence[str | Path]) -> list[Path]:
    """The files as paths; refuse none at all, or one that does not exist."""
    paths = [Path(f) for f in files]
    if not paths:
        raise ImportFileError("no files to import: name at least one CSV or Parquet file")
    for path in paths:
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
    return paths


@dataclass
class _Reading:
    """Reads the files assigned to each source, reporting progress over all of them (`total` bytes)."""

    mapping: Mapping
    collector: Collector
    report: Report
    budget: RowBudget
    progress: Progress
    total: int
    done: int = 0

    def sources(self, assigned: dict[str, list[Sniffed]]) -> dict[str, pd.DataFrame | None]:
        """One frame per source, its files' rows together (None: a file was there but cannot be used)."""
        frames: dict[str, pd.DataFrame | None] = {}
        for source_name, items in assigned.items():
            source = self.mapping.sources[source_name]
            parts = []
            for sniffed in items:
                # Re-sniff with the assigned source's declared encoding/delimiter where it has one.
                if source.encoding != "auto" or source.delimiter != "auto":
                    sniffed = sniff(sniffed.path, source)
                frame = self.file(sniffed, source_name)
                if frame is not None:
                    parts.append(frame)
            if parts:
                frame = pd.concat(parts, ignore_index=True).fillna("")
                frames[source_name] = _blank_empty_values(frame, source)
            elif items:
                frames[source_name] = None
        return frames

    def file(self, sniffed: Sniffed, source_name: str) -> pd.DataFrame | None:
        """One file's rows with only the columns the mapping reads, named as the mapping names them;
        None if a column it reads is missing (the file is still read, for its other problems)."""
        resolved = _resolve_columns(sniffed, self.mapping, source_name, self.collector)
        size, start = sniffed.path.stat().st_size, self.done

        def on_read(fraction: float) -> None:
            self.progress(0.6 * (start + fraction * size) / self.total, f"reading {sniffed.path.name}")

        wanted = list(resolved.values()) if resolved is not None else []
        frame, info = read_file(
            sniffed,
            self.mapping.sources[source_name],
            self.collector,
            on_read,
            columns=wanted,
            budget=self.budget,
        )
        self.done += size
        self.report.files.append(info)
        if resolved is None:
            return None
        # Only the columns the mapping reads go on (a CRM export may have hundreds).
        frame = frame[["_file", "_row", *dict.fromkeys(resolved.values())]]
        return frame.rename(columns={header: column for column, header in resolved.items()})


def _map_tables(mapping: Mapping, frames: dict[str, pd.DataFrame], collector: Collector):
    """Every feed run, one frame per canonical table, and per table each feed's column labels."""
    tables: dict[str, pd.DataFrame] = {}
    labels: dict[str, list[dict[str, str]]] = {}
    for table_name, feeds in mapping.feeds.items():
        results = [run_feed(feed, i, frames, mapping, collector) for i, feed in enumerate(feeds)]
        frame = (
            pd.concat([r.frame for r in results], ignore_index=True) if len(results) > 1 else results[0].frame
        )
        if any(feed.distinct for feed in feeds) and len(results) > 1:
            distinct_feeds = [i for i, feed in enumerate(feeds) if feed.distinct]
            adding = [i for i, feed in enumerate(feeds) if feed.adds_roles]
            frame = distinct_rows(
                frame,
                table_name,
                frame["_feed"].isin(distinct_feeds).to_numpy(),
                frame["_feed"].isin(adding).to_numpy(),
            )
        tables[table_name] = frame
        labels[table_name] = [r.labels for r in results]
    return tables, labels


def _report_no_leads(mapping: Mapping, report: Report, collector: Collector) -> None:
    leads_files = ", ".join(
        f.name for f in report.files if f.source in {f.source for f in mapping.feeds["leads"]}
    )
    collector.file_problem(
        "empty_table",
        leads_files or "(none)",
        f"no leads: {leads_files or 'the leads export'} has a header but no data rows "
        "(a Handoff database needs at least one lead)",
    )


def _source_for_sniff(path: Path, mapping: Mapping) -> Source | None:
    """The source a file's name points to, if exactly one (so its declared encoding applies)."""
    name = path.name.casefold()
    matches = [
        s for s in mapping.sources.values() if any(fnmatch.fnmatch(name, p.casefold()) for p in s.files)
    ]
    return matches[0] if len(matches) == 1 else None


def _blank_empty_values(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    """Cells the export writes for "no value" ("--") become empty, as if the export had left them so."""
    if not source.empty_values:
        return frame
    empty = {v.strip() for v in source.empty_values}
    columns = [c for c in frame.columns if c not in ("_file", "_row")]
    frame[columns] = frame[columns].mask(frame[columns].apply(lambda c: c.str.strip().isin(empty)), "")
    return frame


def _missing_lookups(mapping: Mapping, assigned: dict[str, list[Sniffed]], collector: Collector) -> None:
    """A lookup into an export no file was given for would fill every row from nothing: name it."""
    for table, feeds in mapping.feeds.items():
        for feed in feeds:
            if not assigned.get(feed.source):
                continue
            for column, spec in feed.columns.items():
                other = spec.lookup.source if spec.lookup else None
                if other and not assigned.get(other):
                    patterns = " or ".join(mapping.sources[other].files)
                    collector.file_problem(
                        "missing_source",
                        "(none)",
                        f"no file for the {other} export, which {table}.{column} looks up "
                        f"(mapping {mapping.name}; name the file like {patterns})",
                    )


def _empty_source(mapping: Mapping, source: str) -> pd.DataFrame:
    columns = sorted(mapping.columns_used(source) | mapping.optional_columns(source))
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    frame.insert(0, "_row", pd.Series(dtype="int64"))
    frame.insert(0, "_file", pd.Series(dtype="str"))
    return frame


def _plan_without_tables(mapping: Mapping, report: Report, collector: Collector) -> Plan:
    report.problems = collector.sorted()
    return Plan(mapping, report, {}, {}, {}, {})


def _meta_from_source(frame: pd.DataFrame | None) -> dict[str, str]:
    """The facts a canonical export carries besides the tables (its as-of date)."""
    if frame is None or frame.empty:
        return {}
    pairs = dict(zip(frame["key"].str.strip(), frame["value"].str.strip(), strict=True))
    return {k: v for k, v in pairs.items() if k == "as_of" and v}
