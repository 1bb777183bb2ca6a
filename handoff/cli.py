"""`python -m handoff`: the command line. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from handoff import attribution, catalog, console, db, demo, ingest, labels, metrics, report, spreadsheet
from handoff.errors import HandoffError, ParameterError
from handoff.filters import LIST_FIELDS, Filters
from handoff.review import commands as review_commands

FORMATS = ("table", "csv", "json")
# How `--format csv --safe-csv` reaches write_frame: CSV whose text cannot run as a spreadsheet formula.
SAFE_CSV = "safe-csv"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliUsageError(f"{self.prog}: {message}")


class CliUsageError(HandoffError):
    exit_code = 2


def write_frame(frame: pd.DataFrame, fmt: str, out=None) -> None:
    """Print a result as an aligned table, CSV or JSON records.

    CSV is exact; `SAFE_CSV` is CSV for a spreadsheet (CRLF, text that would run as a formula prefixed `'`).
    """
    out = out or sys.stdout
    if fmt == SAFE_CSV:
        spreadsheet.write_csv(frame, out)
    elif fmt == "csv":
        frame.to_csv(out, index=False, lineterminator="\n")
    elif fmt == "json":
        out.write(frame.to_json(orient="records", date_format="iso", indent=1))
        out.write("\n")
    elif frame.empty:
        out.write("(no rows)\n" if len(frame.columns) == 0 else " ".join(frame.columns) + "\n(no rows)\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            out.write(frame.to_string(index=False))
            out.write("\n")


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _parse_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    return name.strip(), value


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="database file (default: $HANDOFF_DB or data/handoff.duckdb)", default=None
    )


def add_safe_csv_argument(parser: argparse.ArgumentParser) -> None:
    """`--safe-csv`: prefix `'` to text cells a spreadsheet would run as formulas (=, +, -, @, tab, CR)."""
    parser.add_argument(
        "--safe-csv",
        action="store_true",
        help="for opening in a spreadsheet: text starting with = + - @ tab or CR gets a leading ' "
        "(numbers stay as they are); the output is then no longer exact",
    )


def _apply_safe_csv(args: argparse.Namespace) -> None:
    """Turn `--format csv --safe-csv` into the SAFE_CSV format every command's write_frame knows."""
    if not getattr(args, "safe_csv", False) or not hasattr(args, "format"):
        return
    if args.format != "csv":
        raise CliUsageError(
            f"python -m handoff {args.command}: --safe-csv goes with --format csv, not --format {args.format}"
        )
    args.format = SAFE_CSV


# ---------------------------------------------------------------------------------------------
# demo


def _demo_parser(sub) -> None:
    parser = sub.add_parser("demo", help="build the deterministic demo database")
    add_db_argument(parser)
    parser.add_argument(
        "--leads",
        type=int,
        default=demo.DEFAULT_LEADS,
        help=f"number of leads (default {demo.DEFAULT_LEADS:,})",
    )
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--as-of", type=_parse_date, default=None, help="last day of the data (default: today)"
    )
    parser.set_defaults(run=_demo)


def _demo(args) -> int:
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    path = demo.build_demo(args.db, leads=args.leads, seed=args.seed, as_of=args.as_of, progress=progress)
    size_mb = os.path.getsize(path) / 1e6
    print(f"built {path} ({args.leads:,} leads, {size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0


# ---------------------------------------------------------------------------------------------
# query


def _query_parser(sub) -> None:
    parser = sub.add_parser("query", help="run a named query from queries/")
    parser.add_argument("name", nargs="?", help="query name, e.g. funnel__stage_counts")
    add_db_argument(parser)
    parser.add_argument(
        "--param",
        action="append",
        type=_parse_param,
        default=[],
        metavar="KEY=VALUE",
        help="a query or shared-filter parameter; lists are comma-separated",
    )
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--list", action="store_true", help="list the named queries and their parameters")
    add_safe_csv_argument(parser)
    parser.set_defaults(run=_query)


def _query(args) -> int:
    if args.list or not args.name:
        public = db.list_queries(internal=False)
        for heading, names in (
            ("", public),
            (
                "\ninternal (what the computed queries read; not a contract):\n",
                [n for n in db.list_queries() if n not in public],
            ),
        ):
            print(heading, end="")
            for name in names:
                spec = db.load_query(name)
                params = ", ".join(
                    p.name + ("" if p.required else f"={'null' if p.default is None else p.default}")
                    for p in spec.params.values()
                )
                print(f"{name}({params})")
                print(f"    {spec.description}")
        return 0
    params = dict(args.param)
    frame = db.run_query(args.name, db=args.db, **params)
    if args.format == "table":
        # For people: codes in words, ids as names; csv and json keep the stored values.
        names = labels.Names.from_frames(
            db.run_query("filters__options", db=args.db), db.run_query("data__names", db=args.db)
        )
        frame = labels.readable(frame, names)
    write_frame(frame, args.format)
    return 0


# ---------------------------------------------------------------------------------------------
# metrics


def _metrics_parser(sub) -> None:
    parser = sub.add_parser("metrics", help="every metric of the registry with its basis and definition")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.set_defaults(run=_metrics)


def _metrics(args) -> int:
    write_frame(metrics.contract_frame(), args.format)
    return 0


# ---------------------------------------------------------------------------------------------
# sql: the SQL console's guarded path


def _sql_parser(sub) -> None:
    parser = sub.add_parser(
        "sql",
        help="run one read-only SELECT through the SQL console's guards",
        description=f"Run one read-only statement ({console.READS}). Refused or failing statements exit 2 "
        "with the reason on stderr. '-' reads the statement from stdin.",
    )
    parser.add_argument("statement", help='the statement, e.g. "SELECT count(*) FROM leads"; - reads stdin')
    add_db_argument(parser)
    parser.add_argument("--format", choices=FORMATS, default="table")
    add_safe_csv_argument(parser)
    parser.set_defaults(run=_sql)


def _sql(args) -> int:
    statement = sys.stdin.read() if args.statement == "-" else args.statement
    result = console.run(statement, db_path=args.db)
    write_frame(result.frame, args.format)
    if result.truncated:
        print(
            f"note: showing the first {result.max_rows:,} rows (row cap); the result has more",
            file=sys.stderr,
        )
    return 0


# ---------------------------------------------------------------------------------------------
# report: the meeting pack


def _report_parser(sub) -> None:
    parser = sub.add_parser("report", help="write the self-contained meeting pack (HTML)")
    add_db_argument(parser)
    parser.add_argument(
        "--start", type=_parse_date, required=True, help="window start, YYYY-MM-DD (inclusive)"
    )
    parser.add_argument("--end", type=_parse_date, required=True, help="window end, YYYY-MM-DD (exclusive)")
    parser.add_argument("--out", required=True, help="the HTML file to write")
    parser.add_argument(
        "--param",
        action="append",
        type=_parse_param,
        default=[],
        metavar="KEY=VALUE",
        help="a shared filter, e.g. segments=smb,enterprise",
    )
    parser.set_defaults(run=_report)


def _report(args) -> int:
    lists = {}
    for key, value in args.param:
        if key not in LIST_FIELDS:
            raise ParameterError(f"report takes the shared filters {', '.join(LIST_FIELDS)}; not {key}")
        lists[key] = [part.strip() for part in value.split(",") if part.strip()] or None
    try:
        filters = Filters(start=args.start, end=args.end, **lists)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    path = report.write_report(args.out, filters, db_path=args.db)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stdout)
    return 0


# ---------------------------------------------------------------------------------------------
# import and export: bring your own data (handoff.ingest)


def _import_parser(sub) -> None:
    parser = sub.add_parser("import", help="load CRM exports through a mapping, atomically")
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
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        metavar="N",
        help="refuse an import whose files hold more than N rows in all (default: no limit)",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet files")
    parser.set_defaults(run=_import)


def _export_parser(sub) -> None:
    parser = sub.add_parser("export", help="write one canonical CSV per table into a directory")
    add_db_argument(parser)
    add_safe_csv_argument(parser)
    parser.add_argument("directory", metavar="DIR")
    parser.set_defaults(run=_export)


def _import(args) -> int:
    def progress(fraction: float, message: str, last=[-1.0, ""]) -> None:  # noqa: B006 - throttle state
        if fraction - last[0] >= 0.05 or message != last[1] and not message.startswith("reading"):
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)
            last[0], last[1] = fraction, message

    plan = ingest.check(args.files, args.mapping, progress, max_rows=args.max_rows)
    quarantine = args.rejects is not None
    print(plan.report.as_text(quarantine=quarantine))
    if args.check:
        if plan.report.errors:
            raise ingest.ImportRefused(
                f"check found {plan.report.error_count():,} errors; nothing was written"
            )
        return 0
    written = ingest.write(
        plan, args.db, quarantine=quarantine, rejects_path=args.rejects, as_of=args.as_of, progress=progress
    )
    loaded = ", ".join(f"{count:,} {table}" for table, count in written.loaded.items())
    print(f"imported into {written.path}: {loaded}")
    if written.set_aside:
        print(f"{written.set_aside:,} rows set aside, listed in {written.rejects_path}")
    return 0


def _export(args) -> int:
    paths = ingest.export(args.db, args.directory, spreadsheet_safe=args.safe_csv)
    print(f"wrote {len(paths)} files to {Path(args.directory).resolve()}: {', '.join(p.name for p in paths)}")
    return 0


# ---------------------------------------------------------------------------------------------
# mapping init and mapping check: start a mapping from the files, and see what it makes of them


def _mapping_parser(sub) -> None:
    parser = sub.add_parser(
        "mapping", help="draft a mapping from your files, or check one against them (nothing is imported)"
    )
    commands = parser.add_subparsers(
        dest="mapping_command", metavar="{init,check}", required=True, parser_class=_Parser
    )
    init = commands.add_parser(
        "init",
        help="write a starting mapping from the files' headers and first rows",
        description="Draft a mapping from the files: columns matched to the canonical ones by name and "
        "by their values; '# unsure:' and '# TODO:' comments say what to check. Stdout unless --out.",
    )
    init.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet exports")
    init.add_argument("--out", metavar="FILE.toml", default=None, help="write the mapping here (not stdout)")
    init.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    init.set_defaults(run=_mapping_init)
    check = commands.add_parser(
        "check",
        help="what each canonical column is made from and receives, and the import's report",
        description="Check the files with the mapping as the import would (nothing is written): per "
        "table and column, what it is made from, how many rows got a value, were empty or had errors, "
        "and the first values after mapping. Exits 1 when the import would be refused.",
    )
    check.add_argument(
        "--mapping",
        required=True,
        metavar="NAME_OR_FILE",
        help="a preset (canonical, hubspot, salesforce, olist) or a mapping TOML file",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet files")
    check.set_defaults(run=_mapping_check)


def _mapping_init(args) -> int:
    draft = ingest.draft_mapping(args.files)
    if args.out is None:
        sys.stdout.write(draft.text)
    else:
        path = ingest.write_draft(draft, args.out, force=args.force)
        print(f"wrote {path}")
    print(draft.summary(), file=sys.stderr)
    for note in draft.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _mapping_check(args) -> int:
    preview = ingest.preview_mapping(args.files, args.mapping)
    print(preview.as_text())
    refusal = preview.refusal()
    if refusal:
        raise ingest.ImportRefused(refusal)
    return 0


# ---------------------------------------------------------------------------------------------
# attribution-paths: the path-level models over aggregated journeys (handoff.attribution.paths)


def _attribution_paths_parser(sub) -> None:
    parser = sub.add_parser(
        "attribution-paths",
        help="every path-level attribution model over aggregated journeys (ChannelAttribution format)",
        description="Read paths (column `path`: channels joined by '>'; total_conversions, "
        "total_conversion_value, total_null) and print model, channel, conversions, value "
        "for first_touch, last_touch, linear, u_shaped (40/20/40), markov (needs total_null) "
        "and shapley. Time decay, W-shaped and full path need CRM milestones and are left out.",
    )
    parser.add_argument("file", help="the paths CSV")
    parser.add_argument("--format", choices=("csv", "table"), default="csv")
    parser.set_defaults(run=_attribution_paths)


def _attribution_paths(args) -> int:
    credit = attribution.path_credit(attribution.read_paths(args.file))
    if args.format == "table":
        credit = credit.assign(conversions=credit["conversions"].round(6), value=credit["value"].round(6))
    write_frame(credit, args.format)
    return 0


# ---------------------------------------------------------------------------------------------


PARSERS = [
    _demo_parser,
    _query_parser,
    _metrics_parser,
    _sql_parser,
    _report_parser,
    _import_parser,
    _export_parser,
    _mapping_parser,
    _attribution_paths_parser,
    lambda sub: review_commands.review_parser(sub, _Parser, write_frame),
    lambda sub: review_commands.workspace_parser(sub, _Parser),
]


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand of `python -m handoff` (catalog: every named query is known)."""
    assert catalog.MODULES  # importing the catalog registered the computed queries
    parser = _Parser(
        prog="python -m handoff", description="Handoff: one set of numbers for sales and marketing."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in PARSERS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    try:
        args = build_parser().parse_args(argv)
        _apply_safe_csv(args)
        return args.run(args)
    except HandoffError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader (head, less) stopped early; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("HANDOFF_DEBUG"):
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (set HANDOFF_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
