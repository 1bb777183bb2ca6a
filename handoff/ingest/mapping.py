"""Mappings: small human-written TOML files that say how CRM exports feed the canonical tables.

A mapping names its **sources** (which uploaded file is which export, matched by file name or by
its columns) and, per canonical table, one or more **feeds**: a source, an optional row filter,
and how each canonical column is made from the source's columns (a column, a constant, a
template, a lookup into another source, value maps, defaults and date formats). Presets ship in
`handoff/mappings/`; a user may write their own (the README has a full example).

This module only reads and checks the mapping itself. Reading files and validating rows is
the rest of `handoff.ingest`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff.errors import HandoffError
from handoff.ingest.canonical import CANONICAL, TABLE_ORDER, Table
from handoff.paths import PACKAGE_DIR

PRESETS_DIR = PACKAGE_DIR / "mappings"


class MappingError(HandoffError):
    """The mapping file is missing, is not valid TOML, or says something that cannot work."""


# ---------------------------------------------------------------------------------------------
# The parsed mapping


@dataclass(frozen=True)
class Condition:
    """A test on one source column: `in`/`not_in` a list of values, or (not) empty."""

    column: str
    values_in: tuple[str, ...] | None = None
    values_not_in: tuple[str, ...] | None = None
    not_empty: bool | None = None

    def columns(self) -> set[str]:
        return {self.column}


@dataclass(frozen=True)
class Lookup:
    """Find this row's key in another source's `key` column and take that row's `value` column."""

    source: str
    key: str
    value: str


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is made from one source row."""

    target: str
    columns: tuple[str, ...] = ()  # one column, or several: the first non-empty (or pick)
    value: str | None = None  # a constant
    template: str | None = None  # "{Campaign ID}-{Lead ID}"
    lookup: Lookup | None = None
    value_map: dict[str, str] | None = None  # keys compared trimmed and case-insensitively
    other: str | None = None  # for non-empty values the map does not name
    default: str | None = None  # for empty values
    when: tuple[Condition, ...] = ()
    split: str | None = None  # take the first non-empty part ("123;456" -> "123")
    formats: tuple[str, ...] | None = None  # date formats for this column
    pick: str = "first"  # with several columns: first (non-empty), earliest, latest
    optional: bool = False  # the column may be absent from the file (then empty, with a warning)
    clip: tuple[float, float] | None = None
    bins: tuple[tuple[float, str], ...] | None = None  # (lowest number, label), ascending

    def source_columns(self) -> set[str]:
        """Columns of this feed's own source that the spec reads."""
        used = set(self.columns)
        if self.template:
            used |= set(template_fields(self.template))
        for condition in self.when:
            used |= condition.columns()
        return used

    @property
    def label(self) -> str:
        """How problems name where a value came from."""
        if self.value is not None and not self.columns:
            return f"(constant {self.value!r})"
        if self.template:
            return f"(template {self.template!r})"
        if self.lookup:
            return f"{self.columns[0]} → {self.lookup.source}.{self.lookup.value}"
        return " / ".join(self.columns)


@dataclass(frozen=True)
class Feed:
    """One source feeding one canonical table."""

    table: str
    source: str
    columns: dict[str, ColumnSpec]
    where: tuple[Condition, ...] = ()
    distinct: bool = False  # drop rows whose key an earlier row already has (dimension tables)


@dataclass(frozen=True)
class Source:
    """One kind of input file (an export)."""

    name: str
    files: tuple[str, ...]  # file-name patterns, case-insensitive (fnmatch)
    required: bool = False
    encoding: str = "auto"
    delimiter: str = "auto"
    stop_at_blank_row: bool = False
    date_formats: tuple[str, ...] = ("iso",)
    timezone: str = "UTC"
    decimal: str = "."


@dataclass(frozen=True)
class Mapping:
    """A whole mapping: sources, feeds per table, and where the data's as-of date comes from."""

    name: str
    description: str
    sources: dict[str, Source]
    feeds: dict[str, list[Feed]]
    meta_source: str | None = None
    path: Path | None = field(default=None, compare=False)

    def columns_used(self, source: str) -> set[str]:
        """Every column of `source` the mapping reads (lookups into it included)."""
        used: set[str] = set()
        optional: set[str] = set()
        for feeds in self.feeds.values():
            for feed in feeds:
                if feed.source == source:
                    for condition in feed.where:
                        used |= condition.columns()
                    for spec in feed.columns.values():
                        (optional if spec.optional else used).update(spec.source_columns())
                for spec in feed.columns.values():
                    if spec.lookup and spec.lookup.source == source:
                        used |= {spec.lookup.key, spec.lookup.value}
        if source == self.meta_source:
            used |= {"key", "value"}
        return used

    def optional_columns(self, source: str) -> set[str]:
        """Columns of `source` that may be absent (specs marked optional)."""
        found: set[str] = set()
        for feeds in self.feeds.values():
            for feed in feeds:
                if feed.source == source:
                    for spec in feed.columns.values():
                        if spec.optional:
                            found |= spec.source_columns()
        return found - self.columns_used(source)


def template_fields(template: str) -> list[str]:
    """The column names inside `{...}` of a template."""
    return re.findall(r"\{([^{}]+)\}", template)


# ---------------------------------------------------------------------------------------------
# Loading and checking a mapping file


def preset_names() -> list[str]:
    """The mappings shipped with Handoff."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_mapping(name_or_file: str | Path) -> Mapping:
    """A preset by name (`hubspot`) or a mapping file by path; raise MappingError if unusable."""
    path = Path(name_or_file).expanduser()
    if path.is_file():
        return parse_mapping_file(path)
    if str(name_or_file) in preset_names():
        return parse_mapping_file(PRESETS_DIR / f"{name_or_file}.toml")
    raise MappingError(
        f"unknown mapping {str(name_or_file)!r}: not a file, and not one of the presets "
        f"{', '.join(preset_names())}"
    )


def parse_mapping_file(path: Path) -> Mapping:
    """Read and check one mapping file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MappingError(f"mapping {path.name} is not a UTF-8 text file") from None
    except OSError as exc:
        raise MappingError(f"cannot read mapping {path}: {exc.strerror}") from None
    return parse_mapping(text, name=path.stem, path=path)


def parse_mapping(text: str, name: str = "mapping", path: Path | None = None) -> Mapping:
    """Parse mapping TOML text; every mistake is a MappingError naming where it is."""
    where = path.name if path else name
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping {where} is not valid TOML: {exc}") from None
    return _Parser(where).mapping(document, name, path)


_TOP_KEYS = {"name", "description", "date_formats", "timezone", "sources", "tables", "meta_source"}
_SOURCE_KEYS = {
    "files",
    "required",
    "encoding",
    "delimiter",
    "stop_at_blank_row",
    "date_formats",
    "timezone",
    "decimal",
}
_FEED_KEYS = {"from", "where", "distinct", "columns"}
_SPEC_KEYS = {
    "column",
    "value",
    "template",
    "lookup",
    "map",
    "bins",
    "other",
    "default",
    "when",
    "split",
    "format",
    "pick",
    "optional",
    "clip",
}
_CONDITION_KEYS = {"column", "in", "not_in", "not_empty"}
_DELIMITERS = {"auto": "auto", ",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


class _Parser:
    def __init__(self, where: str):
        self.where = where

    def fail(self, at: str, message: str):
        raise MappingError(f"mapping {self.where}, {at}: {message}")

    def keys(self, value: Any, allowed: set[str], at: str) -> dict:
        if not isinstance(value, dict):
            self.fail(at, f"expected a table of settings, found {type(value).__name__} {value!r}")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(at, f"unknown setting {key!r}{hint}; allowed: {', '.join(sorted(allowed))}")
        return value

    def text(self, value: Any, at: str) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(at, f"expected text, found {value!r}")
        return str(value)

    def texts(self, value: Any, at: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not value:
            self.fail(at, f"expected text or a list of text, found {value!r}")
        return tuple(self.text(v, at) for v in value)

    def boolean(self, value: Any, at: str) -> bool:
        if not isinstance(value, bool):
            self.fail(at, f"expected true or false, found {value!r}")
        return value

    def mapping(self, document: dict, name: str, path: Path | None) -> Mapping:
        self.keys(document, _TOP_KEYS, "top level")
        date_formats = self.texts(document.get("date_formats", "iso"), "date_formats")
        timezone = self.text(document.get("timezone", "UTC"), "timezone")
        _check_timezone(timezone, self, "timezone")
        raw_sources = document.get("sources", {})
        if not isinstance(raw_sources, dict):
            self.fail("sources", "expected [sources.NAME] sections, one per export file")
        if not raw_sources:
            self.fail(
                "[sources]", "the mapping names no sources: add a [sources.NAME] section per export file"
            )
        sources = {
            source_name: self.source(source_name, raw, date_formats, timezone)
            for source_name, raw in raw_sources.items()
        }
        raw_tables = document.get("tables", {})
        if not isinstance(raw_tables, dict) or not raw_tables:
            self.fail("[tables]", "the mapping fills no tables: add a [tables.leads] section at least")
        feeds: dict[str, list[Feed]] = {}
        for table_name, raw in raw_tables.items():
            if table_name not in CANONICAL:
                close = difflib.get_close_matches(table_name, list(CANONICAL), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(
                    f"[tables.{table_name}]",
                    f"no canonical table {table_name!r}{hint}; the tables are {', '.join(TABLE_ORDER)}",
                )
            items = raw if isinstance(raw, list) else [raw]
            feeds[table_name] = [self.feed(table_name, item, sources, i) for i, item in enumerate(items)]
        if "leads" not in feeds:
            self.fail("[tables]", "the mapping must fill the leads table")
        meta_source = document.get("meta_source")
        if meta_source is not None and meta_source not in sources:
            self.fail("meta_source", f"no source named {meta_source!r}")
        mapping = Mapping(
            name=self.text(document.get("name", name), "name"),
            description=self.text(document.get("description", ""), "description"),
            sources=sources,
            feeds={t: feeds[t] for t in TABLE_ORDER if t in feeds},
            meta_source=meta_source,
            path=path,
        )
        for source_name in sources:
            if not mapping.columns_used(source_name) and not mapping.optional_columns(source_name):
                self.fail(f"[sources.{source_name}]", "no table reads this source")
        return mapping

    def source(self, name: str, raw: Any, date_formats, timezone) -> Source:
        at = f"[sources.{name}]"
        raw = self.keys(raw, _SOURCE_KEYS, at)
        delimiter = self.text(raw.get("delimiter", "auto"), f"{at} delimiter")
        if delimiter.lower() not in _DELIMITERS and delimiter not in _DELIMITERS:
            self.fail(f"{at} delimiter", f"{delimiter!r} is not one of auto, ',', ';', tab, '|'")
        encoding = self.text(raw.get("encoding", "auto"), f"{at} encoding")
        if encoding != "auto":
            import codecs

            try:
                codecs.lookup(encoding)
            except LookupError:
                self.fail(f"{at} encoding", f"unknown encoding {encoding!r} (try utf-8, cp1252, utf-16)")
        decimal = self.text(raw.get("decimal", "."), f"{at} decimal")
        if decimal not in (".", ","):
            self.fail(f"{at} decimal", "the decimal separator is '.' or ','")
        tz = self.text(raw.get("timezone", timezone), f"{at} timezone")
        _check_timezone(tz, self, f"{at} timezone")
        return Source(
            name=name,
            files=self.texts(raw.get("files", [f"{name}*"]), f"{at} files"),
            required=self.boolean(raw.get("required", False), f"{at} required"),
            encoding=encoding,
            delimiter=_DELIMITERS.get(delimiter.lower(), _DELIMITERS.get(delimiter, "auto")),
            stop_at_blank_row=self.boolean(raw.get("stop_at_blank_row", False), f"{at} stop_at_blank_row"),
            date_formats=self.texts(raw.get("date_formats", list(date_formats)), f"{at} date_formats"),
            timezone=tz,
            decimal=decimal,
        )

    def condition(self, raw: Any, at: str) -> tuple[Condition, ...]:
        items = raw if isinstance(raw, list) else [raw]
        conditions = []
        for item in items:
            item = self.keys(item, _CONDITION_KEYS, at)
            if "column" not in item:
                self.fail(at, "a condition needs a column")
            if not {"in", "not_in", "not_empty"} & item.keys():
                self.fail(at, "a condition needs one of in, not_in, not_empty")
            conditions.append(
                Condition(
                    column=self.text(item["column"], at),
                    values_in=self.texts(item["in"], at) if "in" in item else None,
                    values_not_in=self.texts(item["not_in"], at) if "not_in" in item else None,
                    not_empty=self.boolean(item["not_empty"], at) if "not_empty" in item else None,
                )
            )
        return tuple(conditions)

    def feed(self, table_name: str, raw: Any, sources: dict[str, Source], index: int) -> Feed:
        at = f"[tables.{table_name}]" + (f" #{index + 1}" if index else "")
        raw = self.keys(raw, _FEED_KEYS, at)
        source = raw.get("from")
        if source is None:
            self.fail(at, 'say which source feeds the table: from = "<source name>"')
        if source not in sources:
            self.fail(f"{at} from", f"no source named {source!r}; the sources are {', '.join(sources)}")
        table = CANONICAL[table_name]
        raw_columns = raw.get("columns")
        if not isinstance(raw_columns, dict) or not raw_columns:
            self.fail(at, f"add a [tables.{table_name}.columns] section saying where each column comes from")
        columns = {}
        for target, spec in raw_columns.items():
            if target not in table.column_names:
                close = difflib.get_close_matches(target, table.column_names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(f"{at} columns", f"{table_name} has no column {target!r}{hint}")
            columns[target] = self.spec(target, spec, f"{at} columns.{target}", sources, table)
        missing = [
            c.name for c in table.columns if c.required and c.default is None and c.name not in columns
        ]
        if missing:
            self.fail(
                at,
                f"{table_name} needs {', '.join(missing)}, but the mapping does not say where "
                f"{'it comes' if len(missing) == 1 else 'they come'} from",
            )
        return Feed(
            table=table_name,
            source=source,
            columns=columns,
            where=self.condition(raw["where"], f"{at} where") if "where" in raw else (),
            distinct=self.boolean(raw.get("distinct", False), f"{at} distinct"),
        )

    def spec(self, target: str, raw: Any, at: str, sources: dict[str, Source], table: Table) -> ColumnSpec:
        if isinstance(raw, str):
            return ColumnSpec(target=target, columns=(raw,))
        raw = self.keys(raw, _SPEC_KEYS, at)
        kinds = [k for k in ("value", "template", "lookup") if k in raw]
        if len(kinds) > 1:
            self.fail(at, f"use one of value, template, lookup (found {', '.join(kinds)})")
        if "value" in raw and "column" in raw:
            self.fail(at, "use column or value, not both")
        if not kinds and "column" not in raw:
            self.fail(at, "say where the value comes from: column, value, template or lookup")
        columns = self.texts(raw["column"], at) if "column" in raw else ()
        lookup = None
        if "lookup" in raw:
            spec = self.keys(raw["lookup"], {"source", "key", "value"}, f"{at} lookup")
            if set(spec) != {"source", "key", "value"} or len(columns) != 1:
                self.fail(
                    at,
                    'a lookup needs column = "<this row\'s key>" and '
                    "lookup = { source = ..., key = ..., value = ... }",
                )
            if spec["source"] not in sources:
                self.fail(f"{at} lookup", f"no source named {spec['source']!r}")
            lookup = Lookup(
                self.text(spec["source"], at), self.text(spec["key"], at), self.text(spec["value"], at)
            )
        value_map = None
        if "map" in raw:
            if not isinstance(raw["map"], dict):
                self.fail(f"{at} map", 'expected a table of "source value" = "canonical value"')
            value_map = {_fold(str(k)): self.text(v, f"{at} map") for k, v in raw["map"].items()}
        pick = self.text(raw.get("pick", "first"), at)
        if pick not in ("first", "earliest", "latest"):
            self.fail(f"{at} pick", "pick is first, earliest or latest")
        column_type = table.column(target).type
        if pick != "first" and column_type not in ("timestamp", "date"):
            self.fail(f"{at} pick", "earliest and latest apply to dates and timestamps only")
        clip = None
        if "clip" in raw:
            bounds = raw["clip"]
            if (
                not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
            ):
                self.fail(f"{at} clip", "clip is [lowest, highest]")
            clip = (float(bounds[0]), float(bounds[1]))
        bins = None
        if "bins" in raw:
            if value_map is not None:
                self.fail(at, "use map or bins, not both")
            items = raw["bins"]
            if (
                not isinstance(items, list)
                or not items
                or not all(
                    isinstance(b, list)
                    and len(b) == 2
                    and isinstance(b[0], int | float)
                    and not isinstance(b[0], bool)
                    and isinstance(b[1], str)
                    for b in items
                )
            ):
                self.fail(
                    f"{at} bins",
                    'bins is a list of [lowest number, "label"], e.g. [[0, "smb"], [200, "mid_market"]]',
                )
            bins = tuple((float(b[0]), b[1]) for b in items)
            if list(bins) != sorted(bins, key=lambda b: b[0]) or len({b[0] for b in bins}) != len(bins):
                self.fail(f"{at} bins", "list the bins from the lowest number up, each number once")
        template = self.text(raw["template"], at) if "template" in raw else None
        if template is not None and not template_fields(template):
            self.fail(f"{at} template", 'a template names columns in braces, e.g. "{Lead ID}-{Campaign ID}"')
        return ColumnSpec(
            target=target,
            columns=columns,
            value=self.text(raw["value"], at) if "value" in raw else None,
            template=template,
            lookup=lookup,
            value_map=value_map,
            other=self.text(raw["other"], at) if "other" in raw else None,
            default=self.text(raw["default"], at) if "default" in raw else None,
            when=self.condition(raw["when"], f"{at} when") if "when" in raw else (),
            split=self.text(raw["split"], at) if "split" in raw else None,
            formats=self.texts(raw["format"], at) if "format" in raw else None,
            pick=pick,
            optional=self.boolean(raw.get("optional", False), at),
            clip=clip,
            bins=bins,
        )


def _check_timezone(name: str, parser: _Parser, at: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        parser.fail(at, f"unknown time zone {name!r} (use a name like UTC or America/New_York)")


def _fold(value: str) -> str:
    """How value maps and conditions compare text: trimmed, case-insensitive."""
    return value.strip().casefold()


fold = _fold
