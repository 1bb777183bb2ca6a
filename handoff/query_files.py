"""Named queries: what a query file declares in its header, where the files are, the computed queries
registered beside them, and how given values are bound to a query's parameters.

A query file starts with its name, what one row is, and one line per `$parameter` (type, allowed
values, default, words); `-- @include NAME` lines stand for the fragments of `queries/shared/`.
Values are only ever bound, never pasted into SQL: the runner (`handoff.db`) passes each file the
parameters it declares, coerced and checked here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handoff.errors import ParameterError, QueryError
from handoff.filters import FILTER_PARAMS
from handoff.paths import QUERIES_DIR, SCHEMA_FILE

if TYPE_CHECKING:
    import pandas as pd

ParamValue = Any

PARAM_TYPES = ("date", "timestamp", "text", "text[]", "integer", "double", "boolean")
_DECLARATION = re.compile(
    r"^--\s+\$(?P<name>[A-Za-z_]\w*)\s+(?P<type>text\[\]|\w+)"
    r"(?:\s+in\s+\((?P<choices>[^)]*)\))?"
    r"(?:\s+=\s+(?P<default>\S+))?"
    r"\s*(?P<description>.*)$"
)
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_PARAM_USE = re.compile(r"\$([A-Za-z_]\w*)")
QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class QueryParam:
    """One `$name` a query file declares in its header."""

    name: str
    type: str
    default: ParamValue
    required: bool
    choices: tuple[str, ...] | None
    description: str


@dataclass(frozen=True)
class QuerySpec:
    """A named query: its SQL (or the Python that computes it), description and parameters."""

    name: str
    sql: str
    description: str
    params: Mapping[str, QueryParam]
    # Set for computed queries: fn(bound_params, db_path) -> DataFrame.
    compute: Callable[[dict[str, ParamValue], str], pd.DataFrame] | None = None
    # For computed queries that read more than the database (a policy file): its version, cached on too.
    cache_key: Callable[[], object] | None = None


# Computed queries (work SQL alone cannot do: Markov solves, business hours) by name, registered by
# @computed_query as their modules are imported (handoff.catalog imports every one of them; db
# imports none, since they all import db).
_computed: dict[str, QuerySpec] = {}


def computed_query(
    name: str, description: str, declarations: str, *, cache_key: Callable[[], object] | None = None
):
    """Register a Python function as a named query, with parameters declared as in SQL headers.

    `declarations` holds lines like `-- $model text in (linear, markov) = linear  which model`.
    The function gets the bound parameters and the database path, and returns a DataFrame; it
    reads data only through `run_query` on SQL files, so it passes through the same door.
    `cache_key` returns the version of anything else it reads (e.g. a file's mtime), so results
    are recomputed when that changes.
    """

    def register(fn):
        header = f"-- {name}\n-- {description}\n{declarations.strip()}\n"
        parsed = _parse_header(header, name)
        _computed[name] = QuerySpec(
            name, "", parsed.description, parsed.params, compute=fn, cache_key=cache_key
        )
        return fn

    return register


def list_queries(*, internal: bool = True) -> list[str]:
    """Names of every named query, sorted: the files in `queries/`, the computed queries and (unless
    `internal` is False) the feeders of computed queries in `queries/internal/`."""
    names = {p.stem for p in QUERIES_DIR.glob("*.sql") if p.name != SCHEMA_FILE.name} | set(_computed)
    if internal:
        names |= {p.stem for p in (QUERIES_DIR / "internal").glob("*.sql")}
    return sorted(names)


def query_file(name: str) -> Path:
    """Where the SQL of a named query is: queries/<name>.sql, or queries/internal/<name>.sql."""
    public = QUERIES_DIR / f"{name}.sql"
    return public if public.is_file() else QUERIES_DIR / "internal" / f"{name}.sql"


def used_params(sql: str) -> set[str]:
    """The `$names` the SQL body uses (ignoring comments and string literals)."""
    return set(_PARAM_USE.findall(_STRINGS_AND_COMMENTS.sub(" ", sql)))


def load_query(name: str) -> QuerySpec:
    """Read and parse `queries/<name>.sql`; the name must be a plain file name from the folder."""
    if not QUERY_NAME.match(name) or name not in list_queries():
        raise QueryError(f"unknown query {name!r}: see `python -m handoff query --list`")
    if name in _computed:
        return _computed[name]
    return _load_query_file(query_file(name))


_INCLUDE = re.compile(r"^([ \t]*)-- @include (\w+)$", re.MULTILINE)


def _expand_includes(sql: str, name: str, within: tuple[str, ...] = ()) -> str:
    """Replace each `-- @include NAME` line with `queries/shared/NAME.sql`, indented as the line is
    (CTEs or conditions several queries share); a shared file may include another."""

    def fragment(match: re.Match) -> str:
        indent, shared = match[1], match[2]
        path = QUERIES_DIR / "shared" / f"{shared}.sql"
        if not path.is_file():
            raise QueryError(
                f"{name}.sql includes {shared!r}, but queries/shared/{shared}.sql does not exist"
            )
        if shared in within:
            raise QueryError(
                f"{name}.sql includes {shared!r} inside itself ({' → '.join([*within, shared])})"
            )
        text = _expand_includes(path.read_text().rstrip("\n"), name, (*within, shared))
        return "\n".join(indent + line if line else line for line in text.split("\n"))

    return _INCLUDE.sub(fragment, sql)


def _load_query_file(path: Path) -> QuerySpec:
    sql = _expand_includes(path.read_text(), path.stem)
    spec = _parse_header(sql, path.stem)
    undeclared = used_params(sql) - spec.params.keys()
    if undeclared:
        raise QueryError(f"{path.name} uses undeclared parameters: {', '.join(sorted(undeclared))}")
    return QuerySpec(path.stem, sql, spec.description, spec.params)


def _parse_header(sql: str, name: str) -> QuerySpec:
    description: list[str] = []
    params: dict[str, QueryParam] = {}
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        declared = _DECLARATION.match(line)
        if not declared:
            text = line.removeprefix("--").strip()
            if text != name:  # the first line names the query; the rest describe it
                description.append(text)
            continue
        ptype = declared["type"]
        if ptype not in PARAM_TYPES:
            raise QueryError(f"{name}: ${declared['name']} has unknown type {ptype!r}")
        choices = tuple(c.strip() for c in declared["choices"].split(",")) if declared["choices"] else None
        raw_default = declared["default"]
        param = QueryParam(
            name=declared["name"],
            type=ptype,
            default=None
            if raw_default in (None, "null")
            else _coerce_text(raw_default, ptype, declared["name"]),
            required=raw_default is None,
            choices=choices,
            description=declared["description"].strip(),
        )
        params[param.name] = param
    return QuerySpec(name, sql, " ".join(d for d in description if d), params)


def _coerce_text(text: str, ptype: str, name: str) -> ParamValue:
    """Parse a parameter given as text (command line, URL) into its declared type."""
    text = text.strip()
    if text.lower() in ("", "null", "all"):
        return None
    try:
        if ptype == "date":
            return dt.date.fromisoformat(text)
        if ptype == "timestamp":
            return dt.datetime.fromisoformat(text)
        if ptype == "integer":
            return int(text)
        if ptype == "double":
            return float(text)
        if ptype == "boolean":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if ptype == "text[]":
            return [part.strip() for part in text.split(",") if part.strip()]
    except ValueError:
        raise ParameterError(f"parameter {name}={text!r} is not a valid {ptype}") from None
    return text


def _coerce(value: ParamValue, param: QueryParam) -> ParamValue:
    """Bring a Python or text value to the parameter's type and check it against its choices."""
    if isinstance(value, str) and param.type != "text":
        value = _coerce_text(value, param.type, param.name)
    elif param.type == "text[]" and value is not None:
        value = [str(v) for v in value] or None
    elif param.type == "date" and isinstance(value, dt.datetime):
        value = value.date()
    if param.choices and value is not None and value not in param.choices:
        raise ParameterError(f"parameter {param.name}={value!r} is not one of: {', '.join(param.choices)}")
    return value


def bind_params(spec: QuerySpec, given: Mapping[str, ParamValue]) -> dict[str, ParamValue]:
    """The exact parameter set for one query: its declared names only, coerced and complete.

    Shared filter fields the query does not use are dropped (pages hand over the whole filter
    set); any other unknown name is an error, as is a missing parameter without a default.
    """
    unknown = set(given) - spec.params.keys() - FILTER_PARAMS
    if unknown:
        takes = ", ".join(spec.params) or "no parameters"
        raise ParameterError(
            f"query {spec.name} has no parameter {', '.join(sorted(unknown))}; it takes: {takes}"
        )
    bound: dict[str, ParamValue] = {}
    for name, param in spec.params.items():
        if name in given:
            bound[name] = _coerce(given[name], param)
        elif param.required:
            raise ParameterError(f"query {spec.name} needs parameter {name} ({param.type})")
        else:
            bound[name] = param.default
    return bound
