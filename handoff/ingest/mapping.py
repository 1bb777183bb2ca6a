"""Mappings: small human-written TOML files that say how CRM exports feed the canonical tables.

A mapping names its **sources** (which uploaded file is which export, matched by file name or by
its columns) and, per canonical table, one or more **feeds**: a source, an optional row filter,
and how each canonical column is made from the source's columns (a column, a constant, a
template, a lookup into another source, value maps, defaults and date formats). Presets ship in
`handoff/mappings/`; a user may write their own (docs/import.md has a full example).

The file is validated by the pydantic models below, which are also what the importer reads. Every
mistake becomes one line naming the file, where in it and what is wrong, before any data file is
read (`handoff.ingest.mistakes` has the wording). Reading files and validating rows is the rest of
`handoff.ingest`.
"""

from __future__ import annotations

import codecs
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from handoff.ingest.canonical import CANONICAL, TABLE_ORDER, Table
from handoff.ingest.mistakes import MappingError, mapping_error, problem
from handoff.paths import PACKAGE_DIR

PRESETS_DIR = PACKAGE_DIR / "mappings"
DELIMITERS = {"auto": "auto", ",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}
PICKS = ("first", "earliest", "latest")
AGGREGATES = ("first", "earliest", "latest", "count", "sum")


# ---------------------------------------------------------------------------------------------
# Values: text (numbers read as text), lists of text, true/false


def _number_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _one_or_more_texts(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        raise problem("not_texts")
    return value


def _one_or_many(value: Any) -> list:
    return value if isinstance(value, list) else [value]


Text = Annotated[str, BeforeValidator(_number_as_text)]
Texts = Annotated[tuple[Text, ...], BeforeValidator(_one_or_more_texts)]
Flag = StrictBool


class _Settings(BaseModel):
    """A table of settings in the file: anything but a table, or a key it does not know, is a mistake."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_settings(cls, raw: Any, info: ValidationInfo) -> Any:
        raw = cls._before(raw)
        if not isinstance(raw, dict):
            raise problem("not_a_table", type_name=type(raw).__name__)
        settings = cls.settings()
        for key in raw:
            if key not in settings:
                cls._unknown(key, sorted(settings))
        cls._check_raw(raw, info.context or {})
        return raw

    @classmethod
    def settings(cls) -> set[str]:
        """The keys a file may give (fields marked `exclude` are filled in, never read)."""
        return {field.alias or name for name, field in cls.model_fields.items() if not field.exclude}

    @classmethod
    def _before(cls, raw: Any) -> Any:
        return raw

    @classmethod
    def _unknown(cls, key: str, settings: list[str]) -> None:
        raise problem("unknown_setting", key=key, choices=settings, allowed=", ".join(settings))

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        """Checks of the settings as written, before each is read (what must be there, what not together)."""


# ---------------------------------------------------------------------------------------------
# The parsed mapping


class FoundIn(_Settings):
    """Another export's column, whose values a condition looks for (a contact that was a lead)."""

    source: Any = None  # checked against the sources by name, as written
    column: Text = ""
    ignore_case: Flag = False

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        if "source" not in raw or "column" not in raw:
            raise problem("found_in_needs")
        if raw["source"] not in context.get("sources", ()):
            raise problem("no_source", below="found_in", name=raw["source"], listed="")


class Condition(_Settings):
    """A test on one source column: `in`/`not_in` a list of values, (not) empty, or `found_in`
    another export's column."""

    column: Text = ""
    values_in: Texts | None = Field(None, alias="in")
    values_not_in: Texts | None = Field(None, alias="not_in")
    not_empty: Flag | None = None
    found_in: FoundIn | None = None

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        if "column" not in raw:
            raise problem("condition_column")
        if not {"in", "not_in", "not_empty", "found_in"} & raw.keys():
            raise problem("condition_test")

    def columns(self) -> set[str]:
        return {self.column}


Conditions = Annotated[tuple[Condition, ...], BeforeValidator(_one_or_many)]


class Lookup(_Settings):
    """Find this row's key in another source's `key` column and take that row's `value` column."""

    source: Any = None  # checked against the sources by name (ColumnSpec), as written
    key: Text | None = None
    value: Text | None = None
    aggregate: Text = "first"  # over the rows with this key: first (non-empty), earliest, latest, count, sum
    ignore_case: Flag = False  # keys compared case-insensitively (e-mail addresses; never CRM ids)

    @field_validator("aggregate")
    @classmethod
    def _known_aggregate(cls, value: str) -> str:
        return _aggregate(value)


def _aggregate(value: str) -> str:
    if value not in AGGREGATES:
        raise problem("aggregate")
    return value


class ColumnSpec(_Settings):
    """How one canonical column is made from one source row (`"Name"` alone: that column)."""

    columns: Texts = Field((), alias="column")  # one column, or several: the first non-empty (or pick)
    lookup: Lookup | None = None
    value_map: dict[str, Text] | None = Field(None, alias="map")  # keys compared trimmed, case-insensitively
    pick: Text = "first"  # with several columns: first (non-empty), earliest, latest
    clip: tuple[float, float] | None = None
    bins: tuple[tuple[float, str], ...] | None = None  # (lowest number, label), ascending
    template: Text | None = None  # "{Campaign ID}-{Lead ID}"
    value: Text | None = None  # a constant
    other: Text | None = None  # for non-empty values the map does not name
    default: Text | None = None  # for empty values
    when: Conditions = ()
    split: Text | None = None  # take the first non-empty part ("123;456" -> "123")
    formats: Texts | None = Field(None, alias="format")  # date formats for this column
    optional: Flag = False  # the column may be absent from the file (then empty, with a warning)
    aggregate: Text | None = None  # with the feed's group_by: first, earliest, latest, count, sum

    @classmethod
    def _before(cls, raw: Any) -> Any:
        return {"column": raw} if isinstance(raw, str) else raw

    @field_validator("aggregate")
    @classmethod
    def _known_aggregate(cls, value: str | None) -> str | None:
        return value if value is None else _aggregate(value)

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        kinds = [k for k in ("value", "template", "lookup") if k in raw]
        if len(kinds) > 1:
            raise problem("one_kind", kinds=", ".join(kinds))
        if "value" in raw and "column" in raw:
            raise problem("column_or_value")
        if not kinds and "column" not in raw:
            raise problem("no_value")
        if "map" in raw and "bins" in raw:
            raise problem("map_and_bins")

    @field_validator("value_map", mode="before")
    @classmethod
    def _map_is_a_table(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise problem("map_not_table")
        return value

    @field_validator("value_map")
    @classmethod
    def _fold_map(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else {fold(str(k)): v for k, v in value.items()}

    @field_validator("pick")
    @classmethod
    def _known_pick(cls, value: str) -> str:
        if value not in PICKS:
            raise problem("pick")
        return value

    @field_validator("clip", mode="before")
    @classmethod
    def _bounds(cls, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, list) or len(value) != 2 or not all(map(_is_number, value)):
            raise problem("clip")
        return value

    @field_validator("bins", mode="before")
    @classmethod
    def _ascending_bins(cls, value: Any) -> Any:
        if value is None:
            return value
        if (
            not isinstance(value, list)
            or not value
            or not all(
                isinstance(b, list) and len(b) == 2 and _is_number(b[0]) and isinstance(b[1], str)
                for b in value
            )
        ):
            raise problem("bins")
        bounds = [float(b[0]) for b in value]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise problem("bins_order")
        return value

    @field_validator("template")
    @classmethod
    def _names_columns(cls, value: str | None) -> str | None:
        if value is not None and not template_fields(value):
            raise problem("template")
        return value

    @model_validator(mode="after")
    def _complete_lookup(self, info: ValidationInfo) -> ColumnSpec:
        lookup = self.lookup
        if lookup is None:
            return self
        if None in (lookup.source, lookup.key, lookup.value) or len(self.columns) != 1:
            raise problem("lookup_needs")
        if lookup.source not in (info.context or {}).get("sources", ()):
            raise problem("no_source", below="lookup", name=lookup.source, listed="")
        return self

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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Explode(_Settings):
    """One row per part of a column holding several values ("101;102": a call with two contacts)."""

    column: Text = ""
    split: Text = ";"

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        if "column" not in raw:
            raise problem("explode_needs")


class Feed(_Settings):
    """One source feeding one canonical table (each table has its own subclass, which knows it)."""

    TABLE: ClassVar[Table]
    source: Text = Field(alias="from")
    columns: dict[str, ColumnSpec]
    where: Conditions = ()
    distinct: Flag = False  # drop rows whose key an earlier row already has (dimension tables)
    explode: Explode | None = None  # one row per part of a column of several values, before grouping
    group_by: Texts | None = None  # one row per value of these columns; specs say how to aggregate
    adds_roles: Flag = True  # people: a person an earlier feed gave takes this feed's role too

    @property
    def table(self) -> str:
        return self.TABLE.name

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        sources = context.get("sources", ())
        if "from" not in raw:
            raise problem("no_from")
        if raw["from"] not in sources:
            raise problem(
                "no_source", below="from", name=raw["from"], listed=f"; the sources are {', '.join(sources)}"
            )
        columns = raw.get("columns")
        if not isinstance(columns, dict) or not columns:
            raise problem("no_columns", table=cls.TABLE.name)
        for target in columns:
            if target not in cls.TABLE.column_names:
                raise problem(
                    "no_column",
                    below="columns",
                    table=cls.TABLE.name,
                    key=target,
                    choices=cls.TABLE.column_names,
                )

    @model_validator(mode="after")
    def _fills_the_table(self) -> Feed:
        for target, spec in self.columns.items():
            dated = self.TABLE.column(target).type in ("timestamp", "date")
            if spec.pick != "first" and not dated:
                raise problem("pick_needs_dates", below=f"columns.{target} pick")
            if spec.aggregate is not None and not self.group_by:
                raise problem("aggregate_needs_group_by", below=f"columns.{target} aggregate")
            picks = {spec.aggregate, spec.lookup.aggregate if spec.lookup else None}
            if picks & {"earliest", "latest"} and not dated:
                raise problem("aggregate_needs_dates", below=f"columns.{target} aggregate")
        missing = [
            c.name
            for c in self.TABLE.columns
            if c.required and c.default is None and c.name not in self.columns
        ]
        if missing:
            raise problem(
                "columns_missing",
                table=self.TABLE.name,
                missing=", ".join(missing),
                they="it comes" if len(missing) == 1 else "they come",
            )
        return self


FEEDS: dict[str, type[Feed]] = {
    name: type(f"{name.title()}Feed", (Feed,), {"TABLE": table, "__module__": __name__})
    for name, table in CANONICAL.items()
}


class _TableSettings(_Settings):
    """The [tables] section: one or more feeds per canonical table, leads among them."""

    @classmethod
    def _before(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or not raw:
            raise problem("no_tables")
        return raw

    @classmethod
    def _unknown(cls, key: str, settings: list[str]) -> None:
        raise problem(
            "no_table", at=f"[tables.{key}]", key=key, choices=list(CANONICAL), tables=", ".join(TABLE_ORDER)
        )

    @model_validator(mode="after")
    def _fills_leads(self) -> _TableSettings:
        if not self.leads:  # a field of Tables, made below from CANONICAL
            raise problem("no_leads")
        return self


# One field per canonical table, each a tuple of that table's feeds ([tables.x] or [[tables.x]]).
_FEEDS_OF_EACH_TABLE: dict[str, Any] = {
    name: (Annotated[tuple[feed, ...], BeforeValidator(_one_or_many)], ()) for name, feed in FEEDS.items()
}
Tables = create_model("Tables", __base__=_TableSettings, __module__=__name__, **_FEEDS_OF_EACH_TABLE)


class Source(_Settings):
    """One kind of input file (an export)."""

    name: str = Field("", exclude=True)  # the [sources.NAME] it is under
    delimiter: Text = "auto"
    encoding: Text = "auto"
    decimal: Text = "."
    timezone: Text | None = None  # None: the mapping's
    files: Texts | None = None  # file-name patterns, case-insensitive (fnmatch); None: "NAME*"
    required: Flag = False
    stop_at_blank_row: Flag = False
    date_formats: Texts | None = None  # None: the mapping's
    empty_values: tuple[Text, ...] = ()  # cells that mean "no value" ("--" in some CRM exports)

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str) -> str:
        if value.lower() not in DELIMITERS and value not in DELIMITERS:
            raise problem("delimiter", value=value)
        return DELIMITERS.get(value.lower(), DELIMITERS.get(value, "auto"))

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise problem("encoding", value=value) from None
        return value

    @field_validator("decimal")
    @classmethod
    def _known_decimal(cls, value: str) -> str:
        if value not in (".", ","):
            raise problem("decimal")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return value if value is None else _time_zone(value)


def _time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise problem("time_zone", value=name) from None
    return name


class Mapping(_Settings):
    """A whole mapping: sources, feeds per table, and where the data's as-of date comes from."""

    date_formats: Texts = ("iso",)  # tried in turn; "iso" = ISO 8601
    timezone: Text = "UTC"  # times without an offset are local to it
    sources: dict[str, Source] = Field(default_factory=dict, validate_default=True)
    tables: Tables = Field(default_factory=dict, validate_default=True)
    meta_source: Any = None  # the source holding key/value facts (the canonical as-of day), by name
    name: Text | None = None  # None: the file's name
    description: Text = ""
    path: Path | None = Field(None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _time_zone(value)

    @field_validator("sources", mode="before")
    @classmethod
    def _one_section_per_export(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise problem("not_sections")
        if not value:
            raise problem("no_sources", at="[sources]")
        return value

    @field_validator("meta_source")
    @classmethod
    def _known_source(cls, value: Any, info: ValidationInfo) -> str | None:
        if value is not None and value not in (info.context or {}).get("sources", ()):
            raise problem("no_source", name=value, listed="")
        return value

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo) -> Mapping:
        """Each source named and given the mapping's defaults; every source read by some table."""
        context = info.context or {}
        sources = {
            name: source.model_copy(
                update={
                    "name": name,
                    "files": (f"{name}*",) if source.files is None else source.files,
                    "date_formats": self.date_formats if source.date_formats is None else source.date_formats,
                    "timezone": self.timezone if source.timezone is None else source.timezone,
                }
            )
            for name, source in self.sources.items()
        }
        mapping = self.model_copy(
            update={
                "sources": sources,
                "name": context.get("name", "mapping") if self.name is None else self.name,
                "path": context.get("path"),
            }
        )
        for name in sources:
            if not mapping.columns_used(name) and not mapping.optional_columns(name):
                raise problem("source_unused", at=f"[sources.{name}]")
        return mapping

    @property
    def feeds(self) -> dict[str, tuple[Feed, ...]]:
        """The feeds of each table the mapping fills, in TABLE_ORDER."""
        return {t: getattr(self.tables, t) for t in TABLE_ORDER if getattr(self.tables, t)}

    def columns_used(self, source: str) -> set[str]:
        """Every column of `source` the mapping reads (lookups into it included)."""
        used: set[str] = set()
        optional: set[str] = set()
        for feeds in self.feeds.values():
            for feed in feeds:
                for condition in feed.where:
                    if condition.found_in and condition.found_in.source == source:
                        used.add(condition.found_in.column)
                if feed.source == source:
                    for condition in feed.where:
                        used |= condition.columns()
                    used |= set(feed.group_by or ()) | ({feed.explode.column} if feed.explode else set())
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


def fold(value: str) -> str:
    """How value maps and conditions compare text: trimmed, case-insensitive."""
    return value.strip().casefold()


# ---------------------------------------------------------------------------------------------
# Loading a mapping file


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
    return mapping_from(document, where, name=name, path=path)


def mapping_from(document: dict, where: str, *, name: str = "mapping", path: Path | None = None) -> Mapping:
    """Validate a parsed mapping document (`where` names it in messages)."""
    sources = document.get("sources")
    context = {"sources": list(sources) if isinstance(sources, dict) else [], "name": name, "path": path}
    try:
        return Mapping.model_validate(document, context=context)
    except ValidationError as exc:
        raise mapping_error(exc, where) from None
