"""The canonical tables, as the importer must fill them (kept in step with schema.sql by a test).

Each column says its type, whether it is required, the values it accepts and which table's key it
references; the importer maps every export onto these, and the export writes exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass

TEAMS = ("marketing", "sales")


@dataclass(frozen=True)
class Column:
    """One canonical column: its type and what values it accepts."""

    name: str
    type: str  # text, timestamp, date, integer, decimal
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: str | None = None  # parent table whose key this column holds
    default: str | None = None  # the schema's own default when the mapping leaves it out
    warn_if_missing: bool = False  # an optional value whose absence weakens a page


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns in schema order and its key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _t(name, key, *columns) -> Table:
    return Table(name, tuple(columns), key)


C = Column
CANONICAL: dict[str, Table] = {
    table.name: table
    for table in (
        _t(
            "people",
            ("person_id",),
            C("person_id", "text", True),
            C("name", "text", True),
            C("team", "text", True, allowed=TEAMS),
            C("role", "text", True),
            C("region", "text"),
            C("manager_id", "text", references="people"),
        ),
        _t(
            "campaigns",
            ("campaign_id",),
            C("campaign_id", "text", True),
            C("name", "text", True),
            C("channel", "text", True),
            C("owner_team", "text", True, allowed=TEAMS),
            C("start_date", "date", True),
            C("end_date", "date"),
            C("budget", "decimal"),
            C("cost", "decimal", True, minimum=0, default="0"),
        ),
        _t(
            "leads",
            ("lead_id",),
            C("lead_id", "text", True),
            C("created_at", "timestamp", True),
            C("channel", "text", True),
            C("source_campaign_id", "text", references="campaigns"),
            C("sourced_by", "text", True, allowed=TEAMS),
            C("segment", "text", True),
            C("region", "text", True),
            C("industry", "text", warn_if_missing=True),
            C("company_size", "text", warn_if_missing=True),
            C("score", "integer", minimum=0, maximum=100, warn_if_missing=True),
            C("mql_at", "timestamp"),
            C("sal_at", "timestamp"),
            C("sql_at", "timestamp"),
            C("disqualified_at", "timestamp"),
            C("disqualify_reason", "text"),
            C("owner_id", "text", references="people", warn_if_missing=True),
            C("lead_name", "text"),
            C("company_name", "text"),
        ),
        _t(
            "touches",
            ("touch_id",),
            C("touch_id", "text", True),
            C("lead_id", "text", True, references="leads"),
            C("campaign_id", "text", references="campaigns"),
            C("channel", "text", True),
            C("team", "text", True, allowed=TEAMS),
            C("kind", "text", True),
            C("touched_at", "timestamp", True),
            C("person_id", "text", references="people"),
        ),
        _t(
            "deals",
            ("deal_id",),
            C("deal_id", "text", True),
            C("lead_id", "text", True, references="leads"),
            C("created_at", "timestamp", True),
            C("closed_at", "timestamp"),
            C("stage", "text", True, allowed=("open", "won", "lost")),
            C("amount", "decimal", True, minimum=0),
            C("owner_id", "text", references="people", warn_if_missing=True),
            C("lost_reason", "text"),
            C("product", "text"),
        ),
        _t(
            "targets",
            ("period_start", "team", "metric", "segment"),
            C("period_start", "date", True),
            C("team", "text", True, allowed=TEAMS),
            C("metric", "text", True),
            C("segment", "text"),
            C("value", "decimal", True),
        ),
    )
}
del C

# Parents first, so every reference can be checked against rows already validated.
TABLE_ORDER = ("people", "campaigns", "leads", "touches", "deals", "targets")
