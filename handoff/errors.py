"""Errors a user can act on. Each message is one line that names what is wrong."""


class HandoffError(Exception):
    """Base class: the CLI prints the message on one line and exits non-zero."""

    exit_code = 1


class DatabaseMissing(HandoffError):
    """The database file does not exist."""


class DatabaseUnreadable(HandoffError):
    """The file exists but is not a readable DuckDB database (corrupt, truncated, other format)."""


class ForeignDatabase(HandoffError):
    """A DuckDB database that Handoff did not create."""


class SchemaMismatch(HandoffError):
    """A Handoff database written by another schema version."""


class QueryError(HandoffError):
    """A named query is unknown, badly declared or failed to run."""

    exit_code = 2
    # What a console statement cost before it failed (set by its worker): seconds, peak resident MB.
    elapsed_s: float | None = None
    peak_memory_mb: float | None = None


class ParameterError(QueryError):
    """A query parameter is missing, unknown or does not parse."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was interrupted."""


class QueryStopped(QueryError):
    """A console statement hit a hard cap (memory, disk or result size) and was stopped; the
    message says which cap and the setting that configures it."""
