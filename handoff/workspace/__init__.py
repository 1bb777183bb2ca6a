"""The users' own work beside the data: notes on the numbers, agreed actions and joint reviews.

`store` keeps them in SQLite (apart from the analytics database an import replaces), `items` says
what each one is and who may change it, `transfer` backs the workspace up and restores it.
"""

from handoff.workspace.items import (
    LOCAL,
    SUBJECT_KINDS,
    TEAMS,
    Action,
    Note,
    Review,
    Workspace,
    author,
    may_close,
)
from handoff.workspace.store import Store, WorkspaceError, default_workspace_path, schema_version

__all__ = [
    "LOCAL",
    "SUBJECT_KINDS",
    "TEAMS",
    "Action",
    "Note",
    "Review",
    "Store",
    "Workspace",
    "WorkspaceError",
    "author",
    "default_workspace_path",
    "may_close",
    "schema_version",
]
