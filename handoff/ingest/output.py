"""Writing: the new database built from a checked plan, atomically; the rejects file; the export.

`write(plan, db)` builds the new database beside the old one with `db.build_database`, which swaps
it in only when everything succeeded. With `quarantine=True` rows with errors (and rows that
depend on them) are set aside, written to a rejects file, and the rest loads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from handoff import connection, db, spreadsheet
from handoff.errors import HandoffError
from handoff.files import replacing_file, replacing_files
from handoff.ingest.canonical import CANONICAL, TABLE_ORDER
from handoff.ingest.mapping import Mapping
from handoff.ingest.plan import Plan, Progress, check
from handoff.ingest.report import DELIMITER_NAMES, ImportRefused, Report, counted, first_line


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
        aside = f"; {counted(self.set_aside, 'row')} set aside" if self.set_aside else ""
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
    _refuse_errors(plan.report, plan, quarantine)
    keep = {
        t: ~(plan.row_errors[t] | plan.dependent[t]) if quarantine else np.ones(len(f), dtype=bool)
        for t, f in plan.tables.items()
    }
    if int(keep["leads"].sum()) == 0:
        raise ImportRefused("import refused: every lead has an error, so nothing would load", plan.report)
    written_rejects = None
    set_aside = sum(int((~k).sum()) for k in keep.values())
    if rejects_path is not None and quarantine:
        written_rejects = write_rejects(plan, Path(rejects_path))
    meta = _import_meta(plan, quarantine, as_of)
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
        raise ImportRefused(f"import failed while writing, nothing was changed: {first_line(exc)}") from None
    db.close_connections()
    report_progress(1.0, f"imported into {path}")
    return Written(path, loaded, set_aside, written_rejects)


def _refuse_errors(report: Report, plan: Plan, quarantine: bool) -> None:
    """Refuse a plan with problems no quarantine fixes, or with errors unless they are set aside."""
    if report.fatal or not plan.tables:
        raise ImportRefused(f"import refused: {report.headline()}; nothing was written", report)
    if report.errors and not quarantine:
        raise ImportRefused(
            f"import refused: {counted(report.error_count(), 'error')} "
            f"of {counted(len(report.errors), 'kind')} "
            f"(first: {report.errors[0].title} in {report.errors[0].where}); nothing was written — fix the "
            "files, or set the rows aside with --rejects FILE",
            report,
        )


def _import_meta(plan: Plan, quarantine: bool, as_of: dt.date | None) -> dict[str, str]:
    """What the import records in handoff_meta: where the data came from, when, the files read and
    the problems that loaded (and, quarantined, the rows set aside)."""
    report = plan.report
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
    return meta


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


def export(db_path: db.DbPath, directory: str | Path, *, spreadsheet_safe: bool = False) -> list[Path]:
    """One canonical CSV per table (and handoff_meta.csv with the as-of date) into `directory`.

    Values are written as DuckDB prints them (timestamps `2026-01-31 14:05:00`, money `1234.50`),
    so importing the directory with the `canonical` mapping rebuilds the same tables. With
    `spreadsheet_safe`, text a spreadsheet would run as a formula gets a leading `'` and lines end
    in CRLF (for people to open; such an export no longer round-trips exactly). DuckDB writes each
    file (`COPY … TO`) into a folder beside `directory`, and the files are moved in only when all
    are complete, so a failure (a full disk) leaves `directory` as it was.
    """
    out_dir = Path(directory)
    names = [f"{table_name}.csv" for table_name in TABLE_ORDER] + ["handoff_meta.csv"]
    with replacing_files(out_dir) as staging:
        con = connection.open_read_only(db.db_identity(db_path).path, write_folder=str(staging))
        try:
            line_end = spreadsheet.LINE_END if spreadsheet_safe else "\n"
            for table_name in TABLE_ORDER:
                connection.copy_to_file(
                    con,
                    _export_rows(table_name, line_end, spreadsheet_safe),
                    str(staging / f"{table_name}.csv"),
                    _csv_options(line_end),
                    label=f"export {table_name}",
                )
            meta = db.read_meta(db_path)
            as_of = (
                meta.get("as_of")
                or pd.Timestamp(db.run_query("data__as_of", db=db_path)["as_of_date"].iloc[0])
                .date()
                .isoformat()
            )
            value = _csv_field("$1", "\n")  # handoff_meta.csv is exact in either case, as it always was
            connection.copy_to_file(
                con,
                f"select 'as_of' as key, {value} as value",
                str(staging / "handoff_meta.csv"),
                _csv_options("\n"),
                [as_of],
                label="export handoff_meta",
            )
        finally:
            con.close()
    return [out_dir / name for name in names]


def _export_rows(table_name: str, line_end: str, spreadsheet_safe: bool) -> str:
    """The query for one table's CSV: each value as text, formatted as a field of the file."""
    table = CANONICAL[table_name]
    names = table.column_names
    as_text = ", ".join(f"cast({c} as text) as {c}" for c in names)
    order = ", ".join(f"t.{c}" for c in (table.key if table_name != "targets" else names))
    made_safe = spreadsheet.neutralised_sql if spreadsheet_safe else str
    fields = ", ".join(f"{_csv_field(made_safe(f't.{c}'), line_end)} as {c}" for c in names)
    return f"select {fields} from (select {as_text} from {table_name}) as t order by {order}"


def _csv_field(text: str, line_end: str) -> str:
    """SQL for the text expression `text` as one field of a CSV file, byte for byte what Python's csv
    writer (and so pandas) writes: empty for NULL (and for an empty text), and in double quotes, its
    quotes doubled, if it holds a comma, a double quote or a character of the line ending. (DuckDB's
    own quoting differs: it quotes an empty text, a lone CR and a leading #.) The file is then
    written with DuckDB's quoting off."""
    special = '[,"' + "".join({"\r": "\\r", "\n": "\\n"}[c] for c in line_end) + "]"
    return (
        f"(case when {text} is null then '' when regexp_matches({text}, '{special}') "
        f"then '\"' || replace({text}, '\"', '\"\"') || '\"' else {text} end)"
    )


def _csv_options(line_end: str) -> str:
    escaped = line_end.replace("\r", "\\r").replace("\n", "\\n")
    return f"format csv, header true, quote '', escape '', new_line e'{escaped}'"
