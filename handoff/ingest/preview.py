"""What a mapping makes of a set of files (`python -m handoff mapping check`); nothing is written.

The files are checked as the import checks them (`handoff.ingest.plan.check`). Then, per canonical
table, feed and column: what the column is made from (the spec's label: `Create Date`, `(constant
'sales')`), how many rows received a value, were left empty or had errors, and the first values
after mapping (the typed canonical values the import would write). The import's own report
follows, and `refusal` says in one line why the import would be refused, if it would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from handoff.ingest.canonical import CANONICAL, Column
from handoff.ingest.column_spec import ColumnSpec
from handoff.ingest.mapping import Feed, Mapping
from handoff.ingest.plan import Plan, check
from handoff.ingest.report import Report, counted

SAMPLE_VALUES = 3
LABEL_WIDTH = 34
VALUE_WIDTH = 28


@dataclass
class ColumnPreview:
    """One canonical column of one feed: where it comes from and what it received."""

    table: str
    column: str
    made_from: str  # the spec's label; '' when the mapping does not fill it
    values: int = 0  # rows with a value (and no error in this column)
    empty: int = 0
    errors: int = 0  # rows with an error in this column
    samples: tuple[str, ...] = ()


@dataclass
class FeedPreview:
    """One feed of a table: its source, its rows and its columns."""

    table: str
    source: str
    rows: int | None  # None: the files could not be mapped (the report says why)
    columns: list[ColumnPreview]


@dataclass
class Preview:
    """The check of a mapping against files: the plan, and each feed's columns."""

    plan: Plan
    feeds: list[FeedPreview]

    def refusal(self) -> str | None:
        """Why the import would be refused, in one line (None: it would load)."""
        return refusal(self.plan.report)

    def as_text(self) -> str:
        """The preview for a terminal, then the import's report."""
        mapping = self.plan.mapping
        where = f" ({mapping.path.name})" if mapping.path else ""
        out = [f"Mapping {mapping.name}{where}: what each canonical column is made from; nothing is written"]
        several = {f.table for f in self.feeds if sum(g.table == f.table for g in self.feeds) > 1}
        for number, feed in enumerate(self.feeds, start=1):
            out += ["", _feed_heading(feed, number if feed.table in several else None)]
            if feed.rows is not None:
                out.append(
                    f"  {'column':<20} {'made from':<{LABEL_WIDTH}} {'values':>7} {'empty':>7} {'errors':>7}"
                    "  first values"
                )
            out += [_column_line(column, feed.rows is not None) for column in feed.columns]
        return "\n".join([*out, "", self.plan.report.as_text()])


def preview_mapping(
    files: Sequence[str | Path], mapping: Mapping | str | Path, *, max_rows: int | None = None
) -> Preview:
    """Check `files` with `mapping` as the import would, and say what each column received."""
    plan = check(files, mapping, max_rows=max_rows)
    feeds = [
        _feed_preview(plan, table, index, feed)
        for table, table_feeds in plan.mapping.feeds.items()
        for index, feed in enumerate(table_feeds)
    ]
    return Preview(plan, feeds)


def refusal(report: Report) -> str | None:
    """The one line an import of this report would be refused with (None: it would load)."""
    if report.fatal or not report.tables:
        return f"the import would be refused: {report.headline()}"
    if report.errors:
        first = report.errors[0]
        return (
            f"the import would be refused: {counted(report.error_count(), 'error')} of "
            f"{counted(len(report.errors), 'kind')} (first: {first.title} in {first.where}); fix the "
            "files or the mapping, or set the rows aside with import --rejects FILE"
        )
    return None


def _spec_of(feed: Feed, column: Column) -> ColumnSpec | None:
    """How the feed makes the column, as the import does (a schema default when it says nothing)."""
    spec = feed.columns.get(column.name)
    if spec is None and column.default is not None:
        spec = ColumnSpec(value=column.default)
    return spec


def _feed_preview(plan: Plan, table: str, index: int, feed: Feed) -> FeedPreview:
    frame = plan.tables.get(table)
    rows = None if frame is None else frame.loc[frame["_feed"] == index]
    columns = []
    for column in CANONICAL[table].columns:
        spec = _spec_of(feed, column)
        preview = ColumnPreview(table, column.name, spec.label if spec else "")
        if spec is not None and rows is not None:
            _count(preview, rows, column, _error_rows(plan.report, table, column.name))
        columns.append(preview)
    return FeedPreview(table, feed.source, None if rows is None else len(rows), columns)


def _error_rows(report: Report, table: str, column: str) -> set[tuple[str, int]]:
    """(file, row) of every row with an error in this table column (errors keep all their rows)."""
    rows: set[tuple[str, int]] = set()
    for group in report.errors:
        if group.table == table and group.column == column:
            found = group.rows.dropna(subset=["row"])
            rows |= {(str(f), int(r)) for f, r in zip(found["file"], found["row"])}
    return rows


def _count(preview: ColumnPreview, rows: pd.DataFrame, column: Column, errors: set) -> None:
    """Fill in how many rows received a value, were empty or had errors, and the first values."""
    values = rows[column.name]
    bad = pd.Series(
        [(str(f), int(r)) in errors for f, r in zip(rows["_file"], rows["_row"])],
        index=rows.index,
        dtype=bool,
    )
    present = values.notna() & ~bad
    preview.values, preview.errors = int(present.sum()), int(bad.sum())
    preview.empty = len(rows) - preview.values - preview.errors
    shown = dict.fromkeys(_show(value, column.type) for value in values[present].head(200))
    preview.samples = tuple(list(shown)[:SAMPLE_VALUES])


def _show(value, kind: str) -> str:
    """A typed canonical value as the database holds it."""
    if isinstance(value, pd.Timestamp):
        if kind == "date" or value == value.normalize():
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    return str(value)


def _feed_heading(feed: FeedPreview, number: int | None) -> str:
    which = f" (feed {number})" if number else ""
    rows = (
        "no rows: the files could not be mapped (see below)"
        if feed.rows is None
        else counted(feed.rows, "row")
    )
    return f"{feed.table}{which} from {feed.source}: {rows}"


def _column_line(column: ColumnPreview, counted_rows: bool) -> str:
    made_from = _cut(column.made_from, LABEL_WIDTH) if column.made_from else "(not in the mapping)"
    if not counted_rows or not column.made_from:
        return f"  {column.column:<20} {made_from}"
    samples = ", ".join(repr(_cut(s, VALUE_WIDTH)) for s in column.samples)
    return (
        f"  {column.column:<20} {made_from:<{LABEL_WIDTH}} {column.values:>7,} {column.empty:>7,} "
        f"{column.errors:>7,}  {samples}"
    ).rstrip()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
