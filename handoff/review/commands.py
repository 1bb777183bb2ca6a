"""The command line of the joint review and its workspace: `review list|show|pack` and
`workspace export|import` (wired into `python -m handoff` by handoff.cli)."""

from __future__ import annotations

import json
import sys

import pandas as pd

from handoff.review import closing, view
from handoff.workspace import Store, Workspace, WorkspaceError
from handoff.workspace.transfer import export_workspace, import_workspace


def add_workspace_argument(parser) -> None:
    parser.add_argument(
        "--workspace",
        metavar="FILE",
        default=None,
        help="the workspace file (default: $HANDOFF_WORKSPACE or data/workspace.sqlite3)",
    )


def review_parser(sub, parser_class, write_frame) -> None:
    parser = sub.add_parser("review", help="the joint reviews: list them, show one, write its meeting pack")
    commands = parser.add_subparsers(
        dest="review_command", metavar="{list,show,pack}", required=True, parser_class=parser_class
    )
    listing = commands.add_parser("list", help="every review, the latest first")
    listing.add_argument("--format", choices=["table", "csv", "json"], default="table")
    add_workspace_argument(listing)
    listing.set_defaults(run=_review_list, write_frame=write_frame)
    show = commands.add_parser("show", help="one review: its agenda, figures, actions and notes")
    show.add_argument("review_id", metavar="ID", type=int)
    show.add_argument("--format", choices=["table", "json"], default="table")
    add_workspace_argument(show)
    show.set_defaults(run=_review_show)
    pack = commands.add_parser("pack", help="a closed review's meeting pack, as it was")
    pack.add_argument("review_id", metavar="ID", type=int)
    pack.add_argument("--out", metavar="FILE.html", required=True)
    add_workspace_argument(pack)
    pack.set_defaults(run=_review_pack)


def workspace_parser(sub, parser_class) -> None:
    parser = sub.add_parser("workspace", help="back up or restore the notes, actions and reviews")
    commands = parser.add_subparsers(
        dest="workspace_command", metavar="{export,import}", required=True, parser_class=parser_class
    )
    for name, run, helptext in (
        ("export", _workspace_export, "write every note, action, review and change to FILE (JSON)"),
        ("import", _workspace_import, "replace the workspace with an export (all or nothing)"),
    ):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("file", metavar="FILE")
        add_workspace_argument(command)
        command.set_defaults(run=run)


def _space(args) -> Workspace:
    return Workspace(Store(args.workspace))


def reviews_frame(space: Workspace) -> pd.DataFrame:
    columns = [
        "review_id",
        "title",
        "review_date",
        "period_start",
        "period_end",
        "status",
        "as_of",
        "db_fingerprint",
        "closed_by",
        "closed_at",
    ]
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in space.reviews()], columns=columns)


def review_document(space: Workspace, review_id: int) -> dict:
    """Everything a review holds, as plain data: itself, its agenda and figures, its actions and notes."""
    review = space.review(review_id)
    if review is None:
        raise WorkspaceError(f"no review {review_id} (python -m handoff review list shows them)")
    record = {k: v for k, v in vars(review).items() if not k.endswith("_json")}
    return {
        "review": record | {"filters": review.filters},
        "agenda": review.agenda,
        "figures": review.figures,
        "actions": [vars(a) for a in space.actions() if a.review_id == review_id],
        "notes": [vars(n) for n in space.notes(with_dropped=True) if n.review_id == review_id],
    }


def review_text(document: dict) -> str:
    """The review for a terminal: its heading, the agenda by section, its actions and notes."""
    r = document["review"]
    lines = [
        f"Review {r['review_id']}: {r['title']}",
        f"  {r['review_date']}, period {r['period_start']} to {r['period_end']} (end exclusive), {r['status']}",
    ]
    if r["status"] == "closed":
        lines.append(
            f"  closed {r['closed_at']} by {r['closed_by']}; data as of {r['as_of']}, fingerprint {r['db_fingerprint']}"
        )
    for heading, items in view.agenda_sections(document["agenda"]).items():
        lines.append(f"{heading}:")
        lines += [
            f"  [{i['team']}] {i['title']}" + (f" · {i['detail']}" if i["detail"] else "") for i in items
        ]
    lines.append("Actions agreed in it:" if document["actions"] else "No action agreed in it.")
    lines += [
        f"  #{a['action_id']} {a['title']} ({a['owner_name']}, {a['owner_team']}, due {a['due_date']}): {a['status']}"
        for a in document["actions"]
    ]
    lines.append("Notes written in it:" if document["notes"] else "No note written in it.")
    lines += [
        f"  {n['on_date']} {n['subject_kind']} {n['subject_id']}: {n['body']}" for n in document["notes"]
    ]
    return "\n".join(lines) + "\n"


def _review_list(args) -> int:
    args.write_frame(reviews_frame(_space(args)), args.format)
    return 0


def _review_show(args) -> int:
    document = review_document(_space(args), args.review_id)
    if args.format == "json":
        sys.stdout.write(json.dumps(document, indent=1, sort_keys=True, default=str) + "\n")
    else:
        sys.stdout.write(review_text(document))
    return 0


def _review_pack(args) -> int:
    path = closing.write_pack(_space(args), args.review_id, args.out)
    print(f"wrote {path} (review {args.review_id}'s meeting pack, as it was)")
    return 0


def _workspace_export(args) -> int:
    counts = export_workspace(Store(args.workspace), args.file)
    print(f"wrote {args.file}: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
    return 0


def _workspace_import(args) -> int:
    store = Store(args.workspace)
    counts = import_workspace(store, args.file)
    print(
        f"restored {store.path} from {args.file}: "
        + ", ".join(f"{n:,} {table}" for table, n in counts.items())
    )
    return 0
