"""The command line's `import` and `export` (registered by `add_commands`, which handoff.cli calls)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from handoff.cli import add_db_argument, add_safe_csv_argument
from handoff.ingest.output import export, write
from handoff.ingest.plan import check
from handoff.ingest.report import ImportRefused


def add_commands(subparsers) -> None:
    """`import` and `export`."""
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
