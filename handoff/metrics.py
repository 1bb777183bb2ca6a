"""The metric registry: every number Handoff shows, defined once in `handoff/metrics.toml`.

Pages, the meeting pack, Explore's measures, the Definitions page and `python -m handoff metrics`
take each metric's label, definition, unit and owner from here, so none is written twice. Every
label a person reads carries the metric's basis: *in the period* (activity), *from the period's
leads* (cohort), *now* (snapshot) or *over the last four quarters* (trailing).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from handoff import site
from handoff.charts import fmt_count, fmt_days, fmt_hours, fmt_pct, fmt_usd
from handoff.errors import HandoffError
from handoff.paths import PACKAGE_DIR

REGISTRY_FILE = PACKAGE_DIR / "metrics.toml"
# Where a metric may be shown: the app's pages that show metrics, and the meeting pack.
PAGES = (*(slug for slug in site.PAGE_SLUGS if slug != "definitions"), "report")
PAGE_TITLES = {**{page.slug: page.title for page in site.PAGES}, "report": "Meeting pack"}
BASIS_WORDS = {
    "activity": "in the period",
    "cohort": "from the period's leads",
    "snapshot": "now",
    "trailing": "over the last four quarters",
}
COHORT_WORDS = {"leads": "from the period's leads", "mqls": "from the period's MQLs"}
BASIS_NAMES = {
    "activity": "Activity (in the period)",
    "cohort": "Cohort (followed to the as-of day)",
    "snapshot": "Snapshot (as of the data's latest day)",
    "trailing": "Trailing four quarters",
}
BASIS_MEANING = {
    "activity": "Counts what happened in the period: the event's own date falls in the window.",
    "cohort": "Follows a group that entered in the period (leads created, or MQLs) forward to the data's "
    "as-of day, wherever it got by then.",
    "snapshot": "As the data stands on its as-of day, whatever the period.",
    "trailing": "Over the four whole quarters before the quarter of the as-of day, whatever the period.",
}
CLOCK_WORDS = {"wall": "wall clock", "business": "business hours", "policy": "each policy's clock"}
UNIT_NAMES = {
    "count": "count",
    "usd": "US dollars",
    "rate": "percent",
    "hours": "hours (wall clock)",
    "business_hours": "business hours",
    "days": "days",
    "ratio": "multiple (×)",
    "points": "percentage points",
}
TEAM_NAMES = {"marketing": "Marketing", "sales": "Sales", "shared": "Shared"}


class RegistryError(HandoffError):
    """The metric registry file is not valid (a mistake in handoff/metrics.toml)."""


class Metric(BaseModel):
    """One metric as the registry defines it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str = Field(min_length=1)
    owner_team: Literal["marketing", "sales", "shared"]
    basis: Literal["activity", "cohort", "snapshot", "trailing"]
    cohort_of: Literal["leads", "mqls"] = "leads"
    clock: Literal["wall", "business", "policy"] | None = None
    unit: Literal["count", "usd", "rate", "hours", "business_hours", "days", "ratio", "points"]
    good: Literal["up", "down", "none"]
    definition: str = Field(min_length=10)
    numerator: str = Field(min_length=1)
    denominator: str = ""
    query: str
    column: str
    also: tuple[str, ...] = ()
    pages: tuple[str, ...] = Field(min_length=1)
    needs: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known_pages(self) -> Metric:
        unknown = [page for page in self.pages if page not in PAGES]
        if unknown:
            raise ValueError(f"unknown page {unknown[0]!r}; pages are {', '.join(PAGES)}")
        if self.cohort_of != "leads" and self.basis != "cohort":
            raise ValueError("cohort_of only applies to the cohort basis")
        if (self.clock is not None) != (self.unit in ("hours", "business_hours")):
            raise ValueError(
                "a duration in hours names its clock (wall or business), and only a duration does"
            )
        if self.clock is not None and (self.clock == "business") != (self.unit == "business_hours"):
            raise ValueError("the clock must match the unit: business_hours on the business clock")
        if self.clock == "policy" and self.unit != "hours":
            raise ValueError("a duration on each policy's clock is in hours")
        return self

    @property
    def basis_words(self) -> str:
        """How the label states the basis: 'in the period', "from the period's leads", 'now'…"""
        return COHORT_WORDS[self.cohort_of] if self.basis == "cohort" else BASIS_WORDS[self.basis]

    @property
    def full_label(self) -> str:
        """The label people read: the name, its basis and, for a duration, its clock ('MQLs in the period',
        'Median speed to lead in the period (wall clock)')."""
        clock = f" ({CLOCK_WORDS[self.clock]})" if self.clock else ""
        return f"{self.label} {self.basis_words}{clock}"

    @property
    def formula(self) -> str:
        """Numerator ÷ denominator in words (the numerator alone for counts and sums)."""
        return f"{self.numerator} ÷ {self.denominator}" if self.denominator else self.numerator

    @property
    def help(self) -> str:
        """The help text of a tile or column: definition, formula and basis, one paragraph."""
        return f"{self.definition} Formula: {self.formula}. Basis: {BASIS_MEANING[self.basis]}"

    @property
    def higher_is_better(self) -> bool:
        return self.good != "down"

    def format(self, value) -> str:
        """A value of this metric for people, in its unit."""
        return format_value(value, self.unit)


def format_value(value, unit: str) -> str:
    """A value in a unit, for people: 1,234 · $1.2M · 38.4 % · 3.2 h · 12 business h · 4.5 d · 2.3×."""
    if value is None or (isinstance(value, float) and value != value) or pd.isna(value):
        return "–"
    if unit == "count":
        return fmt_count(value)
    if unit == "usd":
        return fmt_usd(value)
    if unit == "rate":
        return fmt_pct(value)
    if unit == "hours":
        return fmt_hours(value)
    if unit == "business_hours":
        return business_hours_text(value)
    if unit == "days":
        return fmt_days(value)
    if unit == "ratio":
        return f"{float(value):.1f}×"
    return f"{100 * float(value):+.1f} pp"


def business_hours_text(hours) -> str:
    """Business hours for people: '45 business min', '3.2 business h'."""
    hours = float(hours)
    return f"{hours * 60:.0f} business min" if abs(hours) < 1 else f"{hours:,.1f} business h"


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metrics: dict[str, dict]


@functools.cache
def registry() -> dict[str, Metric]:
    """Every metric of handoff/metrics.toml by id, in file order (read and checked once)."""
    try:
        raw = _RegistryFile.model_validate(tomllib.loads(REGISTRY_FILE.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{REGISTRY_FILE.name}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise RegistryError(f"{REGISTRY_FILE.name}: {_first_problem(exc)}") from None
    out = {}
    for metric_id, fields in raw.metrics.items():
        try:
            out[metric_id] = Metric(id=metric_id, **fields)
        except ValidationError as exc:
            raise RegistryError(f"{REGISTRY_FILE.name}: metrics.{metric_id}: {_first_problem(exc)}") from None
    return out


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def get(metric_id: str) -> Metric:
    """One metric by id (a KeyError names the unknown id)."""
    try:
        return registry()[metric_id]
    except KeyError:
        raise KeyError(f"no metric {metric_id!r} in {REGISTRY_FILE.name}") from None


def label(metric_id: str) -> str:
    """The label people read for a metric, basis included."""
    return get(metric_id).full_label


def help_text(metric_id: str) -> str:
    """A metric's help text (definition, formula, basis)."""
    return get(metric_id).help


def on_page(page: str) -> list[Metric]:
    """The metrics a page (or the meeting pack) shows, in registry order."""
    return [metric for metric in registry().values() if page in metric.pages]


def by_basis(activity_id: str, mode: str) -> Metric:
    """The activity metric or its cohort twin (`cohort_<id>`) for a funnel mode (period or cohort)."""
    return get(f"cohort_{activity_id}" if mode == "cohort" else activity_id)


def labelled(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """`frame` as people read it in a document: each column named by its registry label (basis included)
    and its values in the metric's unit as text; a column mapped to plain words keeps its values."""
    out = pd.DataFrame(index=frame.index)
    for column, spec in columns.items():
        if spec in registry():
            metric = get(spec)
            out[metric.full_label] = [metric.format(value) for value in frame[column]]
        else:
            out[spec] = frame[column].map(lambda value: "–" if value is None or pd.isna(value) else value)
    return out.reset_index(drop=True)


def definitions_frame(metrics: Iterable[Metric] | None = None) -> pd.DataFrame:
    """Every metric as a table for people: what it is, how it is computed and where it is shown."""
    rows = [
        {
            "Metric": m.full_label,
            "Owner": TEAM_NAMES[m.owner_team],
            "Basis": BASIS_NAMES[m.basis],
            "Definition": m.definition,
            "Formula": m.formula,
            "Unit": UNIT_NAMES[m.unit],
            "Better when": {"up": "higher", "down": "lower", "none": "–"}[m.good],
            "Computed by": f"{m.query} · {m.column}",
            "Shown on": ", ".join(PAGE_TITLES[p] for p in m.pages),
            "Needs in the data": ", ".join(m.needs) or "–",
            "metric_id": m.id,
        }
        for m in (registry().values() if metrics is None else metrics)
    ]
    return pd.DataFrame(rows)


def contract_frame() -> pd.DataFrame:
    """`python -m handoff metrics`: metric_id, label, owner_team, basis, unit, definition."""
    return pd.DataFrame(
        [
            {
                "metric_id": m.id,
                "label": m.full_label,
                "owner_team": m.owner_team,
                "basis": m.basis,
                "unit": m.unit,
                "definition": m.definition,
            }
            for m in registry().values()
        ]
    )


def matching(*, team: str | None = None, page: str | None = None, text: str = "") -> list[Metric]:
    """The metrics owned by `team`, shown on `page` and mentioning `text` (label, definition, id), in order."""
    words = text.strip().lower()
    return [
        m
        for m in registry().values()
        if (team is None or m.owner_team == team)
        and (page is None or page in m.pages)
        and (not words or words in f"{m.full_label} {m.definition} {m.id}".lower())
    ]


def readiness_for_people(rules: pd.DataFrame) -> pd.DataFrame:
    """The data-readiness rules (data__readiness) with the metrics each one holds up, for people."""
    status = {"ready": "Ready", "partial": "Partly", "missing": "Missing"}
    return pd.DataFrame(
        {
            "What the data needs": rules["rule_label"],
            "Status": rules["status"].map(status),
            "In the data": rules["detail"],
            "Figures that rest on it": [
                ", ".join(m.full_label for m in registry().values() if rule in m.needs)
                for rule in rules["rule_id"]
            ],
        }
    )


def readiness_by_page(rules: pd.DataFrame, more: dict[str, list[tuple[str, tuple[str, ...]]]] | None = None):
    """Per page, how many of its figures the data supports, and which it cannot judge (or only with a
    caveat) grouped by what the data lacks. `more` adds figures that are not registry metrics, by page:
    (label, needs), such as the SLA page's policies."""
    details = {r.rule_id: (r.status, r.detail) for r in rules.itertuples()}
    rows = []
    for page in PAGES:
        shown = [(m.full_label, m.needs) for m in registry().values() if page in m.pages]
        shown += (more or {}).get(page, [])
        if not shown:
            continue
        cannot = _by_lack(shown, details, "missing")
        caveat = _by_lack([f for f in shown if not _lacks(f, details, "missing")], details, "partial")
        rows.append(
            {
                "Page": PAGE_TITLES[page],
                "Figures": len(shown),
                "Supported": sum(not _lacks(f, details, "missing") for f in shown),
                "Cannot be judged": cannot or "–",
                "With a caveat": caveat or "–",
            }
        )
    return pd.DataFrame(rows)


def _lacks(figure: tuple[str, tuple[str, ...]], details: dict, status: str) -> str | None:
    """The first rule of `status` a figure needs (its detail), or None."""
    return next((details[n][1] for n in figure[1] if details.get(n, ("ready",))[0] == status), None)


def _by_lack(figures: list, details: dict, status: str) -> str:
    """'No sales touches recorded: Median speed to lead …, Sales' SLA compliance …' per lacking rule."""
    grouped: dict[str, list[str]] = {}
    for figure in figures:
        lack = _lacks(figure, details, status)
        if lack:
            grouped.setdefault(lack, []).append(figure[0])
    return "; ".join(f"{lack[:1].upper()}{lack[1:]}: {', '.join(labels)}" for lack, labels in grouped.items())


def lacking(needs: tuple[str, ...], rules: pd.DataFrame) -> str | None:
    """What the data lacks for a figure resting on `needs` (data__readiness rules): the first missing
    rule's detail ('no sales touches recorded'), or None when the data supports it."""
    missing = dict(zip(rules["rule_id"], rules["detail"].where(rules["status"] == "missing"), strict=True))
    return next((missing[n] for n in needs if isinstance(missing.get(n), str)), None)
