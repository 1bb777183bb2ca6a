"""How one canonical column is made from a source row, as a mapping file says it: a column, a
constant, a template or a lookup, with value maps, bins, defaults, conditions and aggregates.

These are the pydantic models of a mapping's column specs and conditions, and the base every
settings table of a mapping file shares (`Settings`: an unknown key is a mistake, named with a
hint). `handoff.ingest.mapping` builds feeds, sources and the whole mapping on them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from handoff.ingest.mistakes import problem

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


def one_or_many(value: Any) -> list:
    return value if isinstance(value, list) else [value]


Text = Annotated[str, BeforeValidator(_number_as_text)]
Texts = Annotated[tuple[Text, ...], BeforeValidator(_one_or_more_texts)]
Flag = StrictBool


class Settings(BaseModel):
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


class FoundIn(Settings):
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


class Condition(Settings):
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


Conditions = Annotated[tuple[Condition, ...], BeforeValidator(one_or_many)]


class Lookup(Settings):
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


class ColumnSpec(Settings):
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


def template_fields(template: str) -> list[str]:
    """The column names inside `{...}` of a template."""
    return re.findall(r"\{([^{}]+)\}", template)


def fold(value: str) -> str:
    """How value maps and conditions compare text: trimmed, case-insensitive."""
    return value.strip().casefold()
