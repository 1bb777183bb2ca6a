"""Bring your own data: import CRM exports through a mapping, safely; export canonical CSVs.

An import runs in two steps. `check(files, mapping)` reads every file (CSV in any common encoding
and delimiter, or Parquet), maps its rows onto the canonical tables and validates them: nothing is
written. It returns a `Plan` whose `report` lists every problem with file, row, column, value and
what was expected, grouped by kind and counted. Errors (types and dates that do not parse,
missing required values, duplicate keys, references that do not resolve, values outside the
allowed set) refuse the import; warnings (stage timestamps out of order, negative cycle times,
optional values missing) load and are recorded with the data. `write(plan, db)` then builds the
new database beside the old one, which is swapped in only when everything succeeded.

Everything is column-at-a-time pandas/pyarrow work; Python loops run per file, column or problem
kind, never per row. The modules, in the order an import passes through them:

- `mapping` (and `canonical`): the mapping file and the tables it fills;
- `read`: files as text columns, within bounded memory;
- `feeds` and `parse`: rows of an export become typed rows of a table;
- `validate`: keys, references, rows depending on rows with errors, warnings;
- `plan`: `check`, all of the above for a set of files, into a `Plan`; `report`: what it found;
- `output`: `write` (the database), the rejects file, `export`;
- `view`: the Data page's uploads and wording (`python -m handoff import/export` live in handoff.cli);
- `profile` and `draft`: a starting mapping drafted from the files (`draft_mapping`, `mapping init`);
  `preview`: what a mapping makes of each canonical column (`preview_mapping`, `mapping check`).

No module is named like a function re-exported here (`check`, `write`, `export`), so
`handoff.ingest.<module>` always names the module.
"""

from handoff.ingest.draft import Draft, DraftError, draft_mapping, write_draft
from handoff.ingest.mapping import Mapping, MappingError, load_mapping, preset_names
from handoff.ingest.output import Written, export, import_files, write, write_rejects
from handoff.ingest.parse import parse_numbers, parse_timestamps
from handoff.ingest.plan import Plan, Progress, assign_sources, check
from handoff.ingest.preview import Preview, preview_mapping
from handoff.ingest.read import ImportFileError, RowBudget, read_file, sniff
from handoff.ingest.report import KINDS, SAMPLES_PER_KIND, FileRead, ImportRefused, ProblemGroup, Report
from handoff.ingest.view import (
    COUNT_COLUMNS,
    HEADLINE_CHECKS,
    HEADLINE_LABELS,
    HEALTH_CHECK_HELP,
    MAX_IMPORT_ROWS,
    MAX_UPLOAD_MB,
    STALE_AFTER_DAYS,
    UPLOAD_ROWS_SETTING,
    CheckedUpload,
    check_uploads,
    checks_for_people,
    clear_old_uploads,
    failing_for_people,
    last_import_sentence,
    may_import,
    problems_for_people,
    replaced_sentence,
    save_upload,
    stale_after_days,
    stale_data_warning,
    tables_for_people,
    too_large,
    upload_limit_bytes,
    upload_row_limit,
    uploads_dir,
)

__all__ = [
    "COUNT_COLUMNS",
    "HEADLINE_CHECKS",
    "HEADLINE_LABELS",
    "HEALTH_CHECK_HELP",
    "KINDS",
    "MAX_IMPORT_ROWS",
    "MAX_UPLOAD_MB",
    "SAMPLES_PER_KIND",
    "STALE_AFTER_DAYS",
    "UPLOAD_ROWS_SETTING",
    "CheckedUpload",
    "Draft",
    "DraftError",
    "FileRead",
    "ImportFileError",
    "ImportRefused",
    "Mapping",
    "MappingError",
    "Plan",
    "Preview",
    "ProblemGroup",
    "Progress",
    "Report",
    "RowBudget",
    "Written",
    "assign_sources",
    "check",
    "check_uploads",
    "checks_for_people",
    "clear_old_uploads",
    "draft_mapping",
    "export",
    "failing_for_people",
    "import_files",
    "last_import_sentence",
    "load_mapping",
    "may_import",
    "parse_numbers",
    "parse_timestamps",
    "preset_names",
    "preview_mapping",
    "problems_for_people",
    "read_file",
    "replaced_sentence",
    "save_upload",
    "stale_after_days",
    "stale_data_warning",
    "sniff",
    "tables_for_people",
    "too_large",
    "upload_limit_bytes",
    "upload_row_limit",
    "uploads_dir",
    "write",
    "write_draft",
    "write_rejects",
]
