"""Mistakes in a mapping file, in the words the person reads: one line naming the mapping, where in
it and what is wrong (`mapping acme.toml, [tables.leads] columns.created_at: unknown setting 'colum'
(did you mean 'column'?); …`).

The models of `handoff.ingest.mapping` raise `problem(kind)` for their own checks; pydantic raises
its own errors for values of the wrong type. `mapping_error` turns the first of either into the
message, here and nowhere else.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from handoff.errors import HandoffError


class MappingError(HandoffError):
    """The mapping file is missing, is not valid TOML, or says something that cannot work."""


# ---------------------------------------------------------------------------------------------
# Every mistake, in the words the person reads ({input} is the value the file has there)

MESSAGES = {
    # pydantic's own errors
    "string_type": "expected text, found {input!r}",
    "bool_type": "expected true or false, found {input!r}",
    # the models' own
    "not_texts": "expected text or a list of text, found {input!r}",
    "not_a_table": "expected a table of settings, found {type_name} {input!r}",
    "unknown_setting": "unknown setting {key!r}{hint}; allowed: {allowed}",
    "not_sections": "expected [sources.NAME] sections, one per export file",
    "no_sources": "the mapping names no sources: add a [sources.NAME] section per export file",
    "source_unused": "no table reads this source",
    "no_source": "no source named {name!r}{listed}",
    "delimiter": "{value!r} is not one of auto, ',', ';', tab, '|'",
    "encoding": "unknown encoding {value!r} (try utf-8, cp1252, utf-16)",
    "decimal": "the decimal separator is '.' or ','",
    "time_zone": "unknown time zone {value!r} (use a name like UTC or America/New_York)",
    "no_tables": "the mapping fills no tables: add a [tables.leads] section at least",
    "no_table": "no canonical table {key!r}{hint}; the tables are {tables}",
    "no_leads": "the mapping must fill the leads table",
    "no_from": 'say which source feeds the table: from = "<source name>"',
    "no_columns": "add a [tables.{table}.columns] section saying where each column comes from",
    "no_column": "{table} has no column {key!r}{hint}",
    "columns_missing": "{table} needs {missing}, but the mapping does not say where {they} from",
    "condition_column": "a condition needs a column",
    "condition_test": "a condition needs one of in, not_in, not_empty, found_in",
    "found_in_needs": 'found_in is {{ source = "<another export>", column = "<its column>" }}',
    "one_kind": "use one of value, template, lookup (found {kinds})",
    "column_or_value": "use column or value, not both",
    "no_value": "say where the value comes from: column, value, template or lookup",
    "lookup_needs": 'a lookup needs column = "<this row\'s key>" and lookup = {{ source = ..., key = ..., '
    "value = ... }}",
    "map_not_table": 'expected a table of "source value" = "canonical value"',
    "map_and_bins": "use map or bins, not both",
    "pick": "pick is first, earliest or latest",
    "pick_needs_dates": "earliest and latest apply to dates and timestamps only",
    "clip": "clip is [lowest, highest]",
    "bins": 'bins is a list of [lowest number, "label"], e.g. [[0, "smb"], [200, "mid_market"]]',
    "bins_order": "list the bins from the lowest number up, each number once",
    "template": 'a template names columns in braces, e.g. "{{Lead ID}}-{{Campaign ID}}"',
    "aggregate": "aggregate is first, earliest, latest, count or sum",
    "aggregate_needs_group_by": 'aggregate applies to a feed with group_by = "<the key column>"',
    "aggregate_needs_dates": "earliest and latest aggregate dates and timestamps only",
    "explode_needs": 'explode is {{ column = "<column of several values>", split = ";" }}',
}
# Where an error is: a column spec's own settings that are named after it (`columns.stage map`);
# a type error in a lookup's parts, a pick or a template is named at the spec itself.
_NAMED_SPEC_SETTINGS = {"lookup", "map", "pick", "clip", "bins", "template", "when", "aggregate"}
_TYPE_ERRORS_AT_THE_SPEC = {"lookup", "pick", "template"}


def problem(kind: str, **context: Any) -> PydanticCustomError:
    """A mistake of `kind` (a key of MESSAGES). `at` in the context says where it is, in place of its
    location in the file; `below` adds to that location (`columns`, `columns.stage pick`)."""
    return PydanticCustomError(kind, MESSAGES[kind], context)


def mapping_error(error: ValidationError, where: str) -> MappingError:
    """The first mistake pydantic found, as one line: the mapping, where in it, and what is wrong."""
    first = error.errors(include_url=False)[0]
    kind, context = first["type"], dict(first.get("ctx") or {})
    below = context.pop("below", "")
    at = context.pop("at", None) or " ".join(filter(None, [_where(first["loc"], kind), below]))
    if "choices" in context:
        close = difflib.get_close_matches(context["key"], context.pop("choices"), n=1)
        context["hint"] = f" (did you mean {close[0]!r}?)" if close else ""
    template = MESSAGES.get(kind)
    message = template.format(input=first["input"], **context) if template else first["msg"]
    return MappingError(f"mapping {where}, {at}: {message}")


def _where(loc: tuple, kind: str) -> str:
    """A location in the document as a person finds it in the file: `top level`, `timezone`,
    `[sources.crm] delimiter`, `[tables.people] #2 columns.name when`."""
    if not loc:
        return "top level"
    head, rest = loc[0], loc[1:]
    if head == "sources" and rest:
        return " ".join([f"[sources.{rest[0]}]", *map(str, rest[1:2])])
    if head != "tables":
        return str(head)
    if not rest:
        return "[tables]"
    at = f"[tables.{rest[0]}]" + (f" #{rest[1] + 1}" if len(rest) > 1 and rest[1] else "")
    setting = rest[2:]
    if not setting:
        return at
    if setting[0] != "columns" or len(setting) == 1:
        return f"{at} {setting[0]}"
    at += f" columns.{setting[1]}"
    named = setting[2] if len(setting) > 2 else None
    if named in _NAMED_SPEC_SETTINGS and not (kind == "string_type" and named in _TYPE_ERRORS_AT_THE_SPEC):
        at += f" {named}"
    return at
