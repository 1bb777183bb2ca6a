"""Mappings: small human-written TOML files that say how CRM exports feed the canonical tables.

A mapping names its **sources** (which uploaded file is which export, matched by file name or by
its columns) and, per canonical table, one or more **feeds**: a source, an optional row filter,
and how each canonical column is made from the source's columns (a column, a constant, a
template, a lookup into another source, value maps, defaults and date formats). Presets ship in
`handoff/mappings/`; a user may write their own (docs/import.md has a full example).

The file is validated by the pydantic models below (a column's own, in `column_spec`), which are also what the importer reads. Every
mistake becomes one line naming the file, where in it and what is wrong, before any data file is
read (`handoff.ingest.mistakes` has the wording). Reading files and validating rows is the rest of
`handoff.ingest`.
"""

from __future__ import annotations

import codecs
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from handoff.ingest.canonical import CANONICAL, TABLE_ORDER, Table
from handoff.ingest.column_spec import (
    ColumnSpec,
    Conditions,
    Flag,
    Settings,
    Text,
    Texts,
    one_or_many,
)
from handoff.ingest.mistakes import MappingError, mapping_error, problem
from handoff.paths import PACKAGE_DIR

PRESETS_DIR = PACKAGE_DIR / "mappings"
DELIMITERS = {"auto": "auto", ",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


class Explode(Settings):
    """One row per part of a column holding several values ("101;102": a call with two contacts)."""

    column: Text = ""
    split: Text = ";"

    @classmethod
    def _check_raw(cls, raw: dict, context: dict) -> None:
        if "column" not in raw:
            raise problem("explode_needs")


class Feed(Settings):
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


class _TableSettings(Settings):
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
    name: (Annotated[tuple[feed, ...], BeforeValidator(one_or_many)], ()) for name, feed in FEEDS.items()
}
Tables = create_model("Tables", __base__=_TableSettings, __module__=__name__, **_FEEDS_OF_EACH_TABLE)


class Source(Settings):
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


class Mapping(Settings):
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
