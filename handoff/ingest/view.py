"""For the Data page: who may import, uploads (saved, checked, imported), and tables in words.

No Streamlit here: the page (`pages/data.py`) draws; this module says what it shows.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from handoff import auth, db
from handoff.ingest.output import Written, write
from handoff.ingest.plan import Plan, Progress, check
from handoff.ingest.read import ImportFileError
from handoff.paths import DATA_DIR

UPLOADS_DIR = DATA_DIR / "uploads"
# The page refuses bigger files itself; .streamlit/config.toml's server.maxUploadSize says the same.
MAX_UPLOAD_MB = 50
# The Data page's limit on the rows of one upload, all files together ($HANDOFF_IMPORT_MAX_ROWS).
MAX_IMPORT_ROWS = 500_000
# Every page warns when the newest lead, touch or deal is older than this ($HANDOFF_STALE_AFTER_DAYS).
STALE_AFTER_DAYS = 14
# The tables an import fills, in data__table_counts' order; one it has no rows for ends up empty.
REPLACED_TABLES = ("people", "campaigns", "leads", "touches", "deals", "targets")


def may_import(user: object = None) -> bool:
    """Whether the current user may import data or replace the database.

    The one gate for every write from the app: `user` is the page's `ui.viewer()`. Without sign-in
    configured, whoever can reach the app may (it listens on localhost by default); with it, only
    the administrators of `.streamlit/secrets.toml` (`handoff.auth.may_write`).
    """
    return auth.may_write(user if isinstance(user, auth.Viewer) else None)


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


def stale_after_days() -> int:
    """After how many days without a new lead, touch or deal the data counts as stale."""
    return int(float(os.environ.get("HANDOFF_STALE_AFTER_DAYS", STALE_AFTER_DAYS)))


def stale_data_warning(health: pd.DataFrame, after_days: int | None = None) -> str | None:
    """The banner every page shows when the newest lead, touch or deal (data__table_health) is more than
    `after_days` days old; None while the data is fresh, or when it has none of them."""
    after_days = stale_after_days() if after_days is None else after_days
    dated = health[health["table_name"].isin(["leads", "touches", "deals"]) & health["latest_at"].notna()]
    if dated.empty:
        return None
    newest = dated.loc[dated["latest_at"].idxmax()]
    days = int(newest["days_since_latest"])
    if days <= after_days:
        return None
    return (
        f"The data may be out of date: its newest record is from {newest['latest_at']:%d %b %Y}, "
        f"{days:,} days ago (more than {after_days:,}). Import fresh exports on the Data page."
    )


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
    as_of_after: tuple[
        dt.date | None, dt.date | None
    ]  # the as-of day it will record, without/with rows aside

    @classmethod
    def of(cls, plan: Plan, folder: Path, files: Sequence[Path], mapping: str | Path) -> CheckedUpload:
        """The summary of `plan`, checked from `files` in `folder` with `mapping`."""
        report = plan.report
        rows = {q: report.summary_frame(q) if plan.tables else pd.DataFrame() for q in (False, True)}
        return cls(
            folder,
            tuple(files),
            mapping,
            report.headline(),
            report.error_count(),
            plan.can_quarantine,
            bool(plan.tables),
            report.files_frame(),
            rows[False],
            rows[True],
            report.problems_frame(),
            report.samples_frame(),
            (_as_of_after(plan, quarantine=False), _as_of_after(plan, quarantine=True)),
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

    def replacement(self, counts_now: pd.DataFrame, quarantine: bool) -> pd.DataFrame:
        """What the import replaces: every table's rows now (data__table_counts) and after; a table the
        files do not fill ends up empty, since the whole database is replaced."""
        after = dict(zip(self.rows(quarantine)["Table"], self.rows(quarantine)["To load"]))
        now = dict(zip(counts_now["table_name"], counts_now["row_count"]))
        return pd.DataFrame(
            {
                "Table": list(REPLACED_TABLES),
                "Rows now": [int(now.get(t, 0)) for t in REPLACED_TABLES],
                "Rows after": [int(after.get(t, 0)) for t in REPLACED_TABLES],
            }
        )

    def replacement_sentence(
        self, db_name: str, replaced: pd.DataFrame, as_of_now: dt.date | None, quarantine: bool
    ) -> str:
        """Before the confirmation: what is replaced, in one sentence with its numbers."""
        changes = "; ".join(
            f"{row['Table']} {row['Rows now']:,} → {row['Rows after']:,}" for _, row in replaced.iterrows()
        )
        as_of_after = self.as_of_after[quarantine]
        day = "{:%d %b %Y}".format
        moves = (
            f" The as-of day moves from {day(as_of_now)} to {day(as_of_after)}."
            if as_of_now and as_of_after and as_of_now != as_of_after
            else f" The as-of day stays {day(as_of_after)}."
            if as_of_after
            else ""
        )
        return f"Importing replaces everything in {db_name}: {changes}.{moves}"

    def write(
        self,
        db_path: db.DbPath,
        *,
        quarantine: bool = False,
        rejects_path: Path | None = None,
        progress: Progress | None = None,
    ) -> Written:
        """Check the saved files again (nothing was kept in memory) and write them, atomically."""
        if not all(path.is_file() for path in self.files):  # a later upload clears earlier ones
            raise ImportFileError(
                "the checked files are gone (a newer upload replaced them): upload and "
                "check them again; nothing was written"
            )
        plan = check(
            self.files,
            self.mapping,
            progress,
            max_rows=upload_row_limit(),
            max_rows_setting=UPLOAD_ROWS_SETTING,
        )
        return write(plan, db_path, quarantine=quarantine, rejects_path=rejects_path, progress=progress)


def check_uploads(
    files: Sequence, mapping: str, mapping_file: object = None, progress: Progress | None = None
) -> CheckedUpload:
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


def replaced_sentence(replaced: pd.DataFrame) -> str:
    """After the import: what it replaced (CheckedUpload.replacement's rows now), for the summary."""
    was = ", ".join(
        f"{row['Rows now']:,} {row['Table']}" for _, row in replaced.iterrows() if row["Rows now"]
    )
    return f"It replaced {was}; every page now shows the new data." if was else "Every page now shows it."


def _as_of_after(plan: Plan, quarantine: bool) -> dt.date | None:
    """The as-of day the written file will answer with, by data__as_of.sql's rule: the one recorded
    with the data, else the newest lead created_at, touch touched_at or deal closed_at (created_at if open)."""
    if plan.meta.get("as_of"):
        return dt.date.fromisoformat(plan.meta["as_of"])
    newest = []
    for table, column in (("leads", "created_at"), ("touches", "touched_at"), ("deals", "closed_at")):
        frame = plan.tables.get(table)
        if frame is None or column not in frame:
            continue
        values = frame[column].fillna(frame["created_at"]) if table == "deals" else frame[column]
        if quarantine:
            values = values[~plan.row_errors[table] & ~plan.dependent[table]]
        if values.notna().any():
            newest.append(pd.Timestamp(values.max()))
    return max(newest).date() if newest else None


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
    """data__table_health with column names for people: days as '1 Apr 2024', '–' where a table has
    no dates (people), never a raw timestamp or None."""
    frame = frame.assign(
        earliest_at=frame["earliest_at"].map(_day_text),
        latest_at=frame["latest_at"].map(_day_text),
        days_since_latest=frame["days_since_latest"].map(lambda d: "–" if pd.isna(d) else f"{int(d):,}"),
    )
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


def _day_text(value) -> str:
    return "–" if pd.isna(value) else f"{pd.Timestamp(value):%-d %b %Y}"


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
