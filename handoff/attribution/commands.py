"""`python -m handoff attribution-paths FILE.csv`: every path-level model over aggregated journeys."""

from __future__ import annotations

from handoff.attribution.paths import path_credit, read_paths
from handoff.cli import write_frame


def add_commands(subparsers) -> None:
    """Register `attribution-paths`."""
    parser = subparsers.add_parser(
        "attribution-paths",
        help="every path-level attribution model over aggregated journeys (ChannelAttribution format)",
        description="Read paths (column `path`: channels joined by '>'; total_conversions, "
                    "total_conversion_value, total_null) and print model, channel, conversions, value "
                    "for first_touch, last_touch, linear, u_shaped (40/20/40), markov (needs total_null) "
                    "and shapley. Time decay, W-shaped and full path need CRM milestones and are left out.",
    )
    parser.add_argument("file", help="the paths CSV")
    parser.add_argument("--format", choices=("csv", "table"), default="csv")
    parser.set_defaults(run=attribution_paths)


def attribution_paths(args) -> int:
    """Print every path model's credit per channel for the paths file `args.file`."""
    credit_frame = path_credit(read_paths(args.file))
    if args.format == "table":
        credit_frame = credit_frame.assign(
            model=credit_frame["model"],
            conversions=credit_frame["conversions"].round(6),
            value=credit_frame["value"].round(6),
        )
    write_frame(credit_frame, args.format)
    return 0
