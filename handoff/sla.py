"""SLA compliance, both directions: the policy file, the clock, and the computed `sla__*` queries.

Policies live in `data/sla_policies.toml`, a file people edit. `load_policies` validates it and
names the key that is wrong; `load_policies_or_last_good` keeps the last good policies in use when
the file breaks, so the page keeps working. Every SLA becomes *items* with a status:

- per MQL (follow-up, acceptance decision): met, breached, or pending while still inside its
  window at the data's as-of time (the database's latest timestamp);
- per month (volume, quality, pipeline): met once reached, breached once the month is over (or
  has settled) without it, pending until then.

Compliance = met / (met + breached); pending items are counted apart, never as met. The computed
queries read data only through the `sla__mql_clock`, `sla__mql_groups`, `sla__mql_lead_owners`,
`sla__mqls`, `sla__target_attainment` and `sla__latest_timestamp` SQL files, and work on whole
columns (numpy, pandas), never per lead. A window is judged once per policy set (`evaluate_window`) and every
query of that window reads the same verdicts; text is fetched only by the queries that show it.
An MQL's verdict depends only on its own facts, the policy and the data's as-of time, so verdicts
are also kept per database file by mql_number (`_judged`): a window judges only MQLs no earlier
window of that file judged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
import time
import tomllib
import zoneinfo
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from handoff import db
from handoff.business_hours import WEEKDAYS, Calendar, RegionalClock, add_wall_hours, wall_hours_between
from handoff.errors import HandoffError, ParameterError
from handoff.filters import FILTER_PARAMS, Filters
from handoff.paths import DATA_DIR, ROOT

POLICY_FILE = DATA_DIR / "sla_policies.toml"

KINDS = ("follow_up", "acceptance_decision", "volume", "quality", "pipeline")
MQL_KINDS = ("follow_up", "acceptance_decision")  # one item per MQL
PERIOD_KINDS = ("volume", "quality", "pipeline")  # one item per month (and segment)
TEAMS = ("sales", "marketing")
CLOCKS = ("business", "wall")
VOLUME_METRICS = ("mqls", "sals", "sqls")
MONEY_METRICS = ("pipeline", "bookings")
STATUSES = ("met", "breached", "pending")

# Response-time bands of the follow-up SLA, fastest first (see `response_band`).
BAND_LABELS = ("< 5 min", "5–60 min", "1–24 h", "> 24 h")
NEVER_BAND = "never"


_VIEW_NAMES = ("TEAM_HEADINGS", "STATUS_BADGES", "RATE_COLUMNS", "trend_filters", "kpi_help", "delta_points",
               "for_people", "trend_values", "compare_scorecards", "trend_chart", "speed_chart")


def __getattr__(name: str):
    # The page helpers live in handoff.sla_view; other modules that know them from here still find them.
    if name in _VIEW_NAMES:
        from handoff import sla_view

        return getattr(sla_view, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PolicyError(HandoffError):
    """The policy file (or policy text) is malformed; the message names the key and the problem."""


# ---------------------------------------------------------------------------------------------
# The policy model


@dataclass(frozen=True)
class Tier:
    """Follow-up deadline for leads whose score is at least `min_score`."""

    min_score: int
    hours: float


@dataclass(frozen=True)
class Policy:
    """One commitment of one team. Fields beyond the common ones apply to some kinds only."""

    id: str
    name: str
    owner_team: str
    kind: str
    goal_pct: float = 90.0  # compliance to be green, 0–100
    clock: str = "wall"  # follow_up, acceptance_decision
    tiers: tuple[Tier, ...] = ()  # follow_up, highest min_score first
    days: float | None = None  # acceptance_decision
    metric: str | None = None  # volume, pipeline
    target_team: str | None = None  # volume, pipeline
    per_segment: bool = True  # volume, pipeline
    min_attainment_pct: float = 100.0  # volume, pipeline: share of the target that counts as met
    min_acceptance_pct: float | None = None  # quality
    settle_days: float = 7.0  # quality

    # Percentages are kept as written in the file (so policies survive a round trip exactly) and
    # read as 0–1 rates here.
    @property
    def goal_rate(self) -> float:
        return self.goal_pct / 100

    @property
    def min_attainment_rate(self) -> float:
        return self.min_attainment_pct / 100

    @property
    def min_acceptance_rate(self) -> float | None:
        return None if self.min_acceptance_pct is None else self.min_acceptance_pct / 100

    @property
    def direction(self) -> str:
        """Whose promise to whom: 'sales → marketing' for a sales policy."""
        return "sales → marketing" if self.owner_team == "sales" else "marketing → sales"

    def threshold_hours(self, scores: np.ndarray) -> np.ndarray:
        """The follow-up deadline in hours for each score (a missing score counts as 0)."""
        scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
        conditions = [scores >= tier.min_score for tier in self.tiers]
        return np.select(conditions, [tier.hours for tier in self.tiers], default=self.tiers[-1].hours)


@dataclass(frozen=True)
class Policies:
    """The whole agreement: policies in file order, the business-hours clock and the colour rule."""

    policies: tuple[Policy, ...]
    clock: RegionalClock
    amber_points: float = 10.0

    def get(self, policy_id: str) -> Policy:
        """The policy with this id; ParameterError if there is none."""
        for policy in self.policies:
            if policy.id == policy_id:
                return policy
        raise ParameterError(f"no SLA policy {policy_id!r}; the policies are: {', '.join(self.ids)}")

    @property
    def ids(self) -> list[str]:
        return [policy.id for policy in self.policies]

    def of_kind(self, *kinds: str) -> list[Policy]:
        """The policies of the given kinds, in file order."""
        return [policy for policy in self.policies if policy.kind in kinds]

    def status(self, rate: float | None, goal_rate: float) -> str:
        """The one colour rule for both teams: green at or above the goal, amber within
        `amber_points` percentage points below it, red further below; 'no data' without a rate."""
        if rate is None or pd.isna(rate):
            return "no data"
        if rate >= goal_rate - 1e-12:
            return "green"
        if rate >= goal_rate - self.amber_points / 100 - 1e-12:
            return "amber"
        return "red"

    def to_dict(self) -> dict:
        """The policies in the policy file's own shape (what `parse_policies` reads)."""
        default = self.clock.default
        return {
            "scorecard": {"amber_points": self.amber_points},
            "business_hours": _calendar_dict(default),
            "regions": {region: _calendar_dict(cal) for region, cal in self.clock.calendars.items()},
            "policies": [_policy_dict(policy) for policy in self.policies],
        }

    def to_text(self) -> str:
        """Canonical JSON text of the policies: what pages hand to the `sla__*` queries."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))


def _calendar_dict(cal: Calendar) -> dict:
    return {
        "time_zone": cal.time_zone,
        "opens": cal.opens.strftime("%H:%M:%S" if cal.opens.second else "%H:%M"),
        "closes": cal.closes.strftime("%H:%M:%S" if cal.closes.second else "%H:%M"),
        "days": list(cal.days),
        "holidays": [day.isoformat() for day in cal.holidays],
    }


def _policy_dict(policy: Policy) -> dict:
    out: dict = {"id": policy.id, "name": policy.name, "owner_team": policy.owner_team, "kind": policy.kind,
                 "goal_pct": policy.goal_pct}
    if policy.kind == "follow_up":
        out["clock"] = policy.clock
        out["tiers"] = [{"min_score": tier.min_score, "hours": tier.hours} for tier in policy.tiers]
    elif policy.kind == "acceptance_decision":
        out.update(days=policy.days, clock=policy.clock)
    elif policy.kind in ("volume", "pipeline"):
        out.update(metric=policy.metric, target_team=policy.target_team, per_segment=policy.per_segment,
                   min_attainment_pct=policy.min_attainment_pct)
    elif policy.kind == "quality":
        out.update(min_acceptance_pct=policy.min_acceptance_pct, settle_days=policy.settle_days)
    return out


# ---------------------------------------------------------------------------------------------
# Reading and validating


class _Invalid(Exception):
    """A validation problem: the key path and what is wrong with it."""


_REQUIRED = object()
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class _Table:
    """Reads one table of the policy file, key by key, and refuses keys it does not know."""

    def __init__(self, where: str, data: object):
        if not isinstance(data, dict):
            raise _Invalid(f"{where}: must be a table, got {_describe(data)}")
        self.where, self.data, self.used = where, data, set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str):
        raise _Invalid(f"{self.key(name)}: {problem}")

    def raw(self, name: str, default=_REQUIRED):
        self.used.add(name)
        if name not in self.data:
            if default is _REQUIRED:
                self.fail(name, "is missing")
            return default
        return self.data[name]

    def text(self, name: str, default=_REQUIRED, *, choices: Sequence[str] | None = None,
             pattern: re.Pattern | None = None) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"must be a non-empty string, got {_describe(value)}")
        if choices is not None and value not in choices:
            self.fail(name, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")
        if pattern is not None and not pattern.match(value):
            self.fail(name, "must be lower-case letters, digits and underscores, starting with a letter; "
                            f"got {value!r}")
        return value

    def number(self, name: str, default=_REQUIRED, *, minimum: float | None = None,
               above: float | None = None, maximum: float | None = None, integer: bool = False) -> float:
        value = self.raw(name, default)
        whole = isinstance(value, int | float) and float(value).is_integer()
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not whole):
            self.fail(name, f"must be {'a whole number' if integer else 'a number'}, got {_describe(value)}")
        if not np.isfinite(value):
            self.fail(name, f"must be a finite number, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(name, f"must be at least {minimum:g}, got {value:g}")
        if above is not None and value <= above:
            self.fail(name, f"must be more than {above:g}, got {value:g}")
        if maximum is not None and value > maximum:
            self.fail(name, f"must be at most {maximum:g}, got {value:g}")
        return int(value) if integer else float(value)

    def boolean(self, name: str, default=_REQUIRED) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            self.fail(name, f"must be true or false, got {_describe(value)}")
        return value

    def time_of_day(self, name: str, default=_REQUIRED) -> dt.time:
        value = self.raw(name, default)
        if isinstance(value, dt.time):
            return value.replace(tzinfo=None)
        match = _TIME.match(value) if isinstance(value, str) else None
        if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
            self.fail(name, f'must be a time of day like "09:00", got {_describe(value)}')
        return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))

    def dates(self, name: str, default=_REQUIRED) -> tuple[dt.date, ...]:
        values = self.raw(name, default)
        if not isinstance(values, list):
            self.fail(name, f"must be a list of dates like 2026-12-25, got {_describe(values)}")
        days = []
        for index, value in enumerate(values):
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
                self.fail(f"{name}[{index}]", f"must be a date like 2026-12-25, got {_describe(value)}")
            try:
                days.append(value if isinstance(value, dt.date) else dt.date.fromisoformat(value))
            except ValueError:
                self.fail(f"{name}[{index}]", f"must be a date like 2026-12-25, got {value!r}")
        return tuple(sorted(set(days)))

    def weekdays(self, name: str, default=_REQUIRED) -> tuple[str, ...]:
        values = self.raw(name, default)
        if not isinstance(values, list) or not values:
            self.fail(name, f'must be a non-empty list of days like ["mon", "tue"], got {_describe(values)}')
        for index, value in enumerate(values):
            if value not in WEEKDAYS:
                self.fail(f"{name}[{index}]", f"must be one of {', '.join(WEEKDAYS)}, got {_describe(value)}")
        return tuple(day for day in WEEKDAYS if day in values)

    def time_zone(self, name: str, default=_REQUIRED) -> str:
        value = self.text(name, default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.fail(name, f'is not a time zone the tz database knows (like "Europe/London"), got {value!r}')
        return value

    def table(self, name: str, default=_REQUIRED) -> _Table:
        return _Table(self.key(name), self.raw(name, default))

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            expected = ", ".join(sorted(self.used))
            where = f"{self.where}: " if self.where else ""
            raise _Invalid(f"{where}unknown key {unknown[0]!r} (expected one of: {expected})")


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def parse_policies(text: str, source: str = "the policies") -> Policies:
    """Parse and validate policy text (TOML as in the file, or the JSON of `Policies.to_text`).

    Raises PolicyError whose message names the source, the key and the problem, e.g.
    `data/sla_policies.toml: policies[0] (follow_up).tiers[1].hours: must be more than 0, got -1`.
    """
    # Every sla__* query reads the policies again; the same text parses to the same (frozen) value.
    with _parsed_lock:
        parsed = _parsed.get(text)
        if parsed is not None:
            _parsed.move_to_end(text)
            return parsed
    parsed = _parse_policies(text, source)
    with _parsed_lock:
        _parsed[text] = parsed
        while len(_parsed) > 32:
            _parsed.popitem(last=False)
    return parsed


_parsed: OrderedDict[str, Policies] = OrderedDict()
_parsed_lock = threading.Lock()


def _parse_policies(text: str, source: str) -> Policies:
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: {_toml_problem(text, exc)}") from None
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{source}: not valid JSON ({exc})") from None
    try:
        return _read_policies(_Table("", data))
    except _Invalid as exc:
        raise PolicyError(f"{source}: {exc}") from None


def _toml_problem(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """TOML's own message, plus the key and table of the line it stopped at."""
    message = str(exc)
    found = re.search(r"at line (\d+)", message)
    if not found:
        return f"not valid TOML ({message})"
    lines = text.splitlines()
    number = int(found[1])
    line = lines[number - 1] if number <= len(lines) else ""
    column = re.search(r"column (\d+)", message)
    before = line[: int(column[1]) - 1] if column else line
    # The key whose value TOML choked on: the last `key =` before the column it stopped at.
    keys = re.findall(r"([A-Za-z0-9_\-\"']+)\s*=", before) or re.findall(r"([A-Za-z0-9_\-\"']+)\s*=", line)
    words = line.split()
    first_word = words[0] if words and not words[0].startswith(("[", "#")) else None
    key = keys[-1].strip("\"'") if keys else first_word
    header = next((h.strip() for h in reversed(lines[: number - 1]) if h.strip().startswith("[")), None)
    parts = (f"key {key!r}" if key else "", f"in {header}" if header else "")
    where = " ".join(part for part in parts if part)
    return f"not valid TOML at line {number}{f' ({where})' if where else ''}: {message}"


def _read_policies(root: _Table) -> Policies:
    scorecard = root.table("scorecard", {})
    amber_points = scorecard.number("amber_points", 10.0, minimum=0, maximum=100)
    scorecard.finish()

    hours = root.table("business_hours", {})
    base = _read_calendar(hours, None)
    hours.finish()

    regions_table = root.table("regions", {})
    calendars = {}
    for region in list(regions_table.data):
        table = regions_table.table(region)
        calendars[region] = _read_calendar(table, base)
        table.finish()
    regions_table.finish()

    policies_list = root.raw("policies")
    if not isinstance(policies_list, list) or not policies_list:
        root.fail("policies", "must be a non-empty list of [[policies]] tables, "
                              f"got {_describe(policies_list)}")
    policies, seen = [], set()
    for index, raw in enumerate(policies_list):
        policy = _read_policy(_Table(f"policies[{index}]", raw), index)
        if policy.id in seen:
            raise _Invalid(f"policies[{index}].id: {policy.id!r} is used by an earlier policy; "
                           "ids must be unique")
        seen.add(policy.id)
        policies.append(policy)
    root.finish()
    return Policies(tuple(policies), RegionalClock(calendars, base), amber_points)


def _read_calendar(table: _Table, base: Calendar | None) -> Calendar:
    """A calendar from a [business_hours] or [regions.X] table; a region inherits what it leaves out."""
    inherited = base or Calendar()
    time_zone = table.time_zone("time_zone", _REQUIRED if base else "UTC")
    opens = table.time_of_day("opens", inherited.opens)
    closes = table.time_of_day("closes", inherited.closes)
    days = table.weekdays("days", list(inherited.days))
    holidays = table.dates("holidays", [])
    if base:
        holidays = tuple(sorted(set(holidays) | set(base.holidays)))
    if closes <= opens:
        table.fail("closes", f"must be after opens ({opens:%H:%M}), got {closes:%H:%M}")
    return Calendar(time_zone, opens, closes, days, holidays)


def _read_policy(table: _Table, index: int) -> Policy:
    policy_id = table.text("id", pattern=_ID)
    table.where = f"policies[{index}] ({policy_id})"
    common = {
        "id": policy_id,
        "name": table.text("name"),
        "owner_team": table.text("owner_team", choices=TEAMS),
        "kind": table.text("kind", choices=KINDS),
        "goal_pct": table.number("goal_pct", 90.0, minimum=0, maximum=100),
    }
    kind = common["kind"]
    if kind == "follow_up":
        clock = table.text("clock", "business", choices=CLOCKS)
        policy = Policy(**common, clock=clock, tiers=_read_tiers(table))
    elif kind == "acceptance_decision":
        days = table.number("days", above=0)
        policy = Policy(**common, days=days, clock=table.text("clock", "wall", choices=CLOCKS))
    elif kind in ("volume", "pipeline"):
        metrics = VOLUME_METRICS if kind == "volume" else MONEY_METRICS
        policy = Policy(
            **common,
            metric=table.text("metric", metrics[0], choices=metrics),
            target_team=table.text("target_team", "marketing", choices=TEAMS),
            per_segment=table.boolean("per_segment", True),
            min_attainment_pct=table.number("min_attainment_pct", 100.0, above=0, maximum=1000),
        )
    else:  # quality
        policy = Policy(
            **common,
            min_acceptance_pct=table.number("min_acceptance_pct", minimum=0, maximum=100),
            settle_days=table.number("settle_days", 7.0, minimum=0, maximum=366),
        )
    table.finish()
    return policy


def _read_tiers(table: _Table) -> tuple[Tier, ...]:
    values = table.raw("tiers")
    if not isinstance(values, list) or not values:
        table.fail("tiers", "must be a non-empty list like [{ min_score = 0, hours = 24 }], "
                            f"got {_describe(values)}")
    tiers = []
    for index, value in enumerate(values):
        tier_table = _Table(table.key(f"tiers[{index}]"), value)
        tiers.append(Tier(tier_table.number("min_score", minimum=0, maximum=100, integer=True),
                          tier_table.number("hours", above=0)))
        tier_table.finish()
    scores = [tier.min_score for tier in tiers]
    if len(set(scores)) != len(scores):
        table.fail("tiers", f"two tiers share a min_score ({', '.join(map(str, scores))})")
    if 0 not in scores:
        table.fail("tiers", "needs a tier with min_score = 0, so every lead has a deadline")
    return tuple(sorted(tiers, key=lambda tier: -tier.min_score))


# ---------------------------------------------------------------------------------------------
# Loading the file, keeping the last good policies


@dataclass(frozen=True)
class PolicyLoad:
    """The policies to use, and why: from the file, or the last good ones when the file broke."""

    policies: Policies
    error: str | None  # what is wrong with the file, when it could not be used
    source: str  # "file", "last good policies loaded at HH:MM:SS", "built-in defaults"

    @property
    def text(self) -> str:
        return self.policies.to_text()


_last_good: dict[str, tuple[Policies, float]] = {}
_last_good_lock = threading.Lock()


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_policies(path: str | Path | None = None) -> Policies:
    """Read and validate the policy file (default `data/sla_policies.toml`); PolicyError if malformed."""
    path = Path(path) if path else POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{_display_path(path)}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{_display_path(path)}: cannot be read ({exc})") from None
    policies = parse_policies(text, _display_path(path))
    with _last_good_lock:
        _last_good[str(path.resolve())] = (policies, time.time())
    return policies


def load_policies_or_last_good(path: str | Path | None = None) -> PolicyLoad:
    """The policy file if it is valid; otherwise the last good policies this process loaded from
    it (or the built-in defaults if it never loaded), with the error to show."""
    path = Path(path) if path else POLICY_FILE
    try:
        return PolicyLoad(load_policies(path), None, "file")
    except PolicyError as exc:
        with _last_good_lock:
            remembered = _last_good.get(str(path.resolve()))
        if remembered:
            loaded_at = dt.datetime.fromtimestamp(remembered[1]).strftime("%H:%M:%S")
            return PolicyLoad(remembered[0], str(exc), f"last good policies, loaded at {loaded_at}")
        return PolicyLoad(default_policies(), str(exc), "built-in defaults")


DEFAULT_POLICY_TEXT = """
[regions.NA]
time_zone = "America/New_York"
[regions.EMEA]
time_zone = "Europe/London"
[regions.APAC]
time_zone = "Asia/Singapore"
[[policies]]
id = "follow_up"
name = "Follow up every MQL fast"
owner_team = "sales"
kind = "follow_up"
clock = "business"
tiers = [{ min_score = 80, hours = 1 }, { min_score = 0, hours = 24 }]
[[policies]]
id = "acceptance_decision"
name = "Accept or reject every MQL"
owner_team = "sales"
kind = "acceptance_decision"
days = 3
goal_pct = 95
[[policies]]
id = "mql_volume"
name = "Deliver the MQL target"
owner_team = "marketing"
kind = "volume"
goal_pct = 80
[[policies]]
id = "mql_quality"
name = "Send MQLs sales accepts"
owner_team = "marketing"
kind = "quality"
min_acceptance_pct = 90
goal_pct = 80
[[policies]]
id = "sourced_pipeline"
name = "Source the pipeline target"
owner_team = "marketing"
kind = "pipeline"
goal_pct = 80
"""


def default_policies() -> Policies:
    """Built-in policies (no holidays), used only if the policy file never loaded in this process."""
    return parse_policies(DEFAULT_POLICY_TEXT, "built-in defaults")


def policies_from_param(text: str | None) -> Policies:
    """The `$policies` parameter of the sla queries: policy text, or None for the policy file."""
    return load_policies() if text is None else parse_policies(text, "the policies parameter")


# ---------------------------------------------------------------------------------------------
# What-if: thresholds a page may change (never saved)


@dataclass(frozen=True)
class Threshold:
    """One editable threshold of one policy, with the bounds of a sensible input."""

    key: str  # widget and URL key, e.g. sla_follow_up_tier_0_hours
    policy_id: str
    field: str
    label: str
    value: float | str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None
    help: str = ""


def editable_thresholds(policies: Policies) -> list[Threshold]:
    """The thresholds of every policy that a what-if may change, in policy order."""
    return [threshold for policy in policies.policies for threshold in _thresholds_of(policy)]


def _thresholds_of(p: Policy) -> list[Threshold]:
    def make(field, label, value, **kw):
        return Threshold(f"sla_{p.id}_{field}", p.id, field, f"{p.name}: {label}", value, **kw)

    if p.kind == "follow_up":
        tiers = [
            make(f"tier_{index}_hours", f"hours ({who})", tier.hours, minimum=0.05, maximum=720.0, step=0.5,
                 help=f"First sales touch within this many {p.clock} hours of mql_at, for {who}.")
            for index, tier in enumerate(p.tiers)
            for who in [f"score ≥ {tier.min_score}" if tier.min_score else "other leads"]
        ]
        clock = make("clock", "clock", p.clock, choices=CLOCKS,
                     help="business: only the region's working hours count; wall: every hour counts.")
        return [*tiers, clock]
    if p.kind == "acceptance_decision":
        return [make("days", "days to decide", p.days, minimum=0.1, maximum=90.0, step=0.5,
                     help="Accepted (sal_at) or rejected with a reason within this many days of mql_at.")]
    if p.kind in ("volume", "pipeline"):
        return [make("min_attainment_pct", "% of target", p.min_attainment_pct, minimum=1.0,
                     maximum=200.0, step=5.0,
                     help="A month meets the policy when the actual reaches this share of its target.")]
    return [make("min_acceptance_pct", "min acceptance %", p.min_acceptance_pct, minimum=0.0,
                 maximum=100.0, step=1.0,
                 help="A month meets the policy when accepted / (accepted + rejected) reaches this.")]


def apply_thresholds(policies: Policies, values: Mapping[str, object]) -> Policies:
    """The policies with the given threshold values (keyed as `editable_thresholds`) put in."""
    by_policy: dict[str, dict[str, object]] = {}
    for threshold in editable_thresholds(policies):
        if threshold.key in values and values[threshold.key] is not None:
            by_policy.setdefault(threshold.policy_id, {})[threshold.field] = values[threshold.key]
    changed = []
    for policy in policies.policies:
        edits = by_policy.get(policy.id, {})
        updates: dict[str, object] = {}
        if "clock" in edits:
            updates["clock"] = str(edits["clock"])
        if policy.kind == "follow_up":
            updates["tiers"] = tuple(Tier(t.min_score, float(edits.get(f"tier_{i}_hours", t.hours)))
                                     for i, t in enumerate(policy.tiers))
        if "days" in edits:
            updates["days"] = float(edits["days"])
        for field in ("min_attainment_pct", "min_acceptance_pct"):
            if field in edits:
                updates[field] = float(edits[field])
        changed.append(dataclasses.replace(policy, **updates))
    return dataclasses.replace(policies, policies=tuple(changed))


def describe_rule(policy: Policy) -> str:
    """The policy's rule in one line, in the business's words."""
    unit = "business h" if policy.clock == "business" else "h"
    if policy.kind == "follow_up":
        parts = [f"{_num(t.hours)} {unit}" + (f" (score ≥ {t.min_score})" if t.min_score else " (others)")
                 for t in policy.tiers]
        return "First sales touch within " + ", ".join(parts)
    if policy.kind == "acceptance_decision":
        days = "business days" if policy.clock == "business" else "days"
        return f"Accepted or rejected with a reason within {_num(policy.days)} {days}"
    if policy.kind in ("volume", "pipeline"):
        what = {"mqls": "MQLs", "sals": "SALs", "sqls": "SQLs", "pipeline": "pipeline created",
                "bookings": "bookings"}[policy.metric]
        if policy.kind == "pipeline" and policy.target_team == "marketing":
            what = f"marketing-sourced {what}"
        scope = " (total and each segment with a target)" if policy.per_segment else ""
        share = _num(policy.min_attainment_pct)
        return f"Monthly {what} ≥ {share} % of the {policy.target_team} target{scope}"
    return (f"Monthly MQL acceptance ≥ {_num(policy.min_acceptance_pct)} % of decided MQLs "
            f"(judged {_num(policy.settle_days)} days after the month)")


def _num(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------
# Evaluation: items with a status


ITEM_COLUMNS = [
    "policy_id", "period_start", "item", "lead_id", "segment", "owner_id", "owner_name", "region", "channel",
    "source_campaign_id", "campaign_name", "score", "started_at", "due_at", "resolved_at", "threshold",
    "measured", "status", "missed_by", "unit", "clock", "reached_sql", "reached_won",
]


_DATETIME_ITEM_COLUMNS = ("period_start", "started_at", "due_at", "resolved_at")
_FLOAT_ITEM_COLUMNS = ("score", "threshold", "measured", "missed_by")
_BOOL_ITEM_COLUMNS = ("reached_sql", "reached_won")
# Status codes of the per-MQL verdicts: positions in STATUSES.
MET, BREACHED, PENDING = range(len(STATUSES))


def _items_frame(n: int, values: Mapping[str, object]) -> pd.DataFrame:
    """An item frame of n rows; columns not given are typed blanks (NaT, NaN, False, None), so
    frames of every kind concatenate without falling back to slow object columns."""
    columns = {}
    for name in ITEM_COLUMNS:
        if name in values:
            columns[name] = values[name]
        elif name in _DATETIME_ITEM_COLUMNS:
            columns[name] = np.full(n, np.datetime64("NaT", "us"))
        elif name in _FLOAT_ITEM_COLUMNS:
            columns[name] = np.full(n, np.nan)
        elif name in _BOOL_ITEM_COLUMNS:
            columns[name] = np.zeros(n, dtype=bool)
        else:
            columns[name] = _repeat(None, n)
    return pd.DataFrame(columns, columns=ITEM_COLUMNS)


def _text(column: pd.Series):
    """A text column as pandas' own string array: no round trip through Python objects."""
    return column.astype("str").array


def _labels(choices: Sequence[str | None], codes: np.ndarray):
    """A text column of choices[code] per row, built in Arrow (no Python string per row)."""
    return pd.array(pa.array(list(choices), type=pa.large_string()).take(pa.array(codes)), dtype="str")


def _repeat(value: str | None, n: int):
    """A text column holding one value n times."""
    return _labels([value], np.zeros(n, dtype=np.int8))


def month_start(values) -> pd.Series:
    """The first day of each timestamp's month (UTC), as a Timestamp."""
    months = _month_numbers(values).astype("datetime64[M]").astype("datetime64[us]")
    return pd.Series(months)


def _month_numbers(values) -> np.ndarray:
    """Each timestamp's month as numpy numbers it (months since 1970-01), exactly as
    `astype("datetime64[M]")` gives it. numpy's month arithmetic costs about 30 ns a value; a
    window's timestamps span few days, so each day is converted once and the rows look theirs up."""
    stamps = np.asarray(values, dtype="datetime64[us]")
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if not len(days) or np.isnat(stamps).any() or int(days.max()) - int(days.min()) > len(days):
        return stamps.astype("datetime64[M]").astype(np.int64)
    first = int(days.min())
    table = np.arange(first, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return table[days - first]


@dataclass(frozen=True)
class MqlVerdicts:
    """One per-MQL policy judged on whole columns: one value per MQL, in the MQLs' order."""

    threshold: np.ndarray  # hours on the policy's clock
    measured: np.ndarray  # hours to resolve, or so far when unresolved
    resolved_at: np.ndarray  # first sales touch or decision (NaT: none yet)
    status: np.ndarray  # MET, BREACHED or PENDING
    started_at: np.ndarray  # mql_at
    regions: object  # each MQL's region (its business-hours calendar)
    clock: RegionalClock | None  # None: the wall clock

    @property
    def missed_by(self) -> np.ndarray:
        return np.where(self.status == BREACHED, self.measured - self.threshold, np.nan)

    def rows(self, first: int, last: int) -> MqlVerdicts:
        """The verdicts of MQLs first … last - 1."""
        regions = self.regions[first:last]
        if isinstance(regions, pd.Series):
            regions = regions.reset_index(drop=True)
        return MqlVerdicts(self.threshold[first:last], self.measured[first:last], self.resolved_at[first:last],
                           self.status[first:last], self.started_at[first:last], regions, self.clock)

    def due_at(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The deadline of each MQL (or of `rows` only): worked out when a query shows it, since
        counting and the scorecard never need it."""
        start, hours = self.started_at, self.threshold
        if rows is None:
            regions = self.regions
        else:
            start, hours = start[rows], hours[rows]
            regions = (self.regions.iloc[rows] if isinstance(self.regions, pd.Series)
                       else np.asarray(self.regions, dtype=object)[rows])
        if self.clock is None:
            return add_wall_hours(start, hours)
        return self.clock.add_hours(start, hours, regions)


def judge_mqls(policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of: pd.Timestamp) -> MqlVerdicts:
    """The verdicts of a follow-up or acceptance-decision policy on `mqls` (see evaluate_mql_policy)
    as numpy columns; reads only mql_at, region, score, first_sales_touch_at and decided_at."""
    start = mqls["mql_at"].to_numpy(dtype="datetime64[us]")
    regions = mqls["region"]
    if policy.kind == "follow_up":
        resolved = mqls["first_sales_touch_at"].to_numpy(dtype="datetime64[us]")
        threshold = policy.threshold_hours(mqls["score"].to_numpy(dtype=float, na_value=np.nan))
    else:
        resolved = mqls["decided_at"].to_numpy(dtype="datetime64[us]")
        per_day = clock.day_hours(regions) if policy.clock == "business" else np.full(len(mqls), 24.0)
        threshold = policy.days * per_day
    now = pd.Timestamp(as_of).to_datetime64().astype("datetime64[us]")
    if policy.clock == "business":
        elapsed, so_far = clock.measure(start, resolved, now, regions)
    else:
        elapsed = wall_hours_between(start, resolved)
        so_far = wall_hours_between(start, np.full(len(mqls), now))
    elapsed = np.maximum(elapsed, 0.0)  # NaN (unresolved) stays NaN
    is_resolved = ~np.isnan(elapsed)
    measured = np.where(is_resolved, elapsed, so_far)
    on_time = measured <= threshold + 1e-9
    status = np.where(on_time, np.where(is_resolved, MET, PENDING), BREACHED).astype(np.int8)
    return MqlVerdicts(threshold, measured, resolved, status, start, regions,
                       clock if policy.clock == "business" else None)


def evaluate_mql_policy(policy: Policy, mqls: pd.DataFrame, clock: RegionalClock,
                        as_of: pd.Timestamp) -> pd.DataFrame:
    """One item per MQL for a follow-up or acceptance-decision policy.

    Follow-up resolves at the first sales touch; acceptance at the decision (sal_at, or
    disqualified_at with a reason, whichever came first). An item resolved within its threshold
    is met, after it breached; an unresolved one is pending until its deadline passes, then
    breached (and its miss keeps growing). Hours count on the policy's clock; a resolution before
    mql_at counts as 0 h.
    """
    verdicts = judge_mqls(policy, mqls, clock, as_of)
    n = len(mqls)
    return _items_frame(n, {
        "policy_id": _repeat(policy.id, n),
        "period_start": month_start(mqls["mql_at"]).to_numpy(),
        "item": _text(mqls["lead_id"]),
        "lead_id": _text(mqls["lead_id"]),
        "segment": _text(mqls["segment"]),
        "owner_id": _text(mqls["owner_id"]),
        "owner_name": _text(mqls["owner_name"]),
        "region": _text(mqls["region"]),
        "channel": _text(mqls["channel"]),
        "source_campaign_id": _text(mqls["source_campaign_id"]),
        "campaign_name": _text(mqls["campaign_name"]),
        "score": mqls["score"].to_numpy(dtype=float, na_value=np.nan),
        "started_at": mqls["mql_at"].to_numpy(dtype="datetime64[us]"),
        "due_at": verdicts.due_at(),
        "resolved_at": verdicts.resolved_at,
        "threshold": verdicts.threshold,
        "measured": verdicts.measured,
        "status": _labels(STATUSES, verdicts.status),
        "missed_by": verdicts.missed_by,
        "unit": _repeat(_mql_unit(policy), n),
        "clock": _repeat(policy.clock, n),
        "reached_sql": mqls["reached_sql"].to_numpy(dtype=bool),
        "reached_won": mqls["reached_won"].to_numpy(dtype=bool),
    })


def _mql_unit(policy: Policy) -> str:
    return "business hours" if policy.clock == "business" else "hours"


def evaluate_target_policy(policy: Policy, attainment: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One item per target month (and segment, with per_segment) for a volume or pipeline policy.

    Met as soon as the actual reaches min_attainment × target (counts only grow); breached once
    the month is over without it; pending until then. Months that have not started are left out.
    """
    values = _target_values(policy, attainment, as_of)
    return _items_frame(len(values["period_start"]), values)


def _target_values(policy: Policy, attainment: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, object]:
    """The columns of `evaluate_target_policy` that are not blank (a few rows: numpy, not pandas)."""
    metric, team = attainment["metric"].to_numpy(dtype=object), attainment["team"].to_numpy(dtype=object)
    actual = attainment["actual_value"].to_numpy(dtype=float, na_value=np.nan)
    keep = (metric == policy.metric) & (team == policy.target_team) & ~np.isnan(actual)
    if not policy.per_segment:
        keep &= attainment["segment"].isna().to_numpy()
    period = pd.to_datetime(attainment["period_start"]).to_numpy(dtype="datetime64[us]")
    keep &= period <= pd.Timestamp(as_of).to_datetime64()
    period, actual = period[keep], actual[keep]
    month_end = period.astype("datetime64[M]") + np.timedelta64(1, "M")
    required = attainment["target_value"].to_numpy(dtype=float)[keep] * policy.min_attainment_rate
    reached = actual >= required - 1e-9
    open_month = month_end.astype("datetime64[us]") > pd.Timestamp(as_of).to_datetime64()
    status = np.where(reached, "met", np.where(open_month, "pending", "breached"))
    segment = _text(attainment["segment"][keep])
    label = np.where(pd.isna(segment), "all segments", np.asarray(segment, dtype=object))
    money = policy.metric in MONEY_METRICS
    return {
        "policy_id": policy.id,
        "period_start": period,
        "item": [f"{p:%Y-%m} · {s}" for p, s in zip(pd.DatetimeIndex(period), label, strict=True)],
        "segment": segment,
        "owner_name": f"{policy.owner_team.capitalize()} team",
        "threshold": required,
        "measured": actual,
        "status": status,
        "missed_by": np.where(status == "breached", required - actual, np.nan),
        "unit": "USD" if money else policy.metric.upper().rstrip("S") + "s",
    }


def quality_months(mqls: pd.DataFrame, policy: Policy, as_of: pd.Timestamp,
                   by: str | None = None) -> pd.DataFrame:
    """One item per month (and `by` group) for a quality policy: accepted / (accepted + rejected).

    A month is pending until `settle_days` after it ends; then met if the rate reaches the
    minimum, breached if not. A settled month with no decided MQL is no item (nothing to judge).
    """
    months = pd.DataFrame(_monthly_decision_values(mqls, by))
    keep, judged = _judge_quality_months(months["period_start"].to_numpy(dtype="datetime64[us]"),
                                         months["accepted_count"].to_numpy(),
                                         months["rejected_count"].to_numpy(), policy, as_of)
    for column, values in judged.items():
        months[column] = values
    return months[keep].reset_index(drop=True)


def _judge_quality_months(period_start: np.ndarray, accepted: np.ndarray, rejected: np.ndarray, policy: Policy,
                          as_of: pd.Timestamp) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which months are items, and each month's status, acceptance_rate and missed_by (a few rows: numpy)."""
    decided = accepted + rejected
    rate = accepted / np.where(decided > 0, decided, np.nan)
    next_month = period_start.astype("datetime64[M]") + 1
    settles_at = next_month.astype("datetime64[ns]") + pd.Timedelta(days=policy.settle_days).to_timedelta64()
    settled = settles_at <= pd.Timestamp(as_of).to_datetime64()
    reached = rate >= policy.min_acceptance_rate - 1e-12
    status = np.where(~settled, "pending", np.where(reached, "met", "breached"))
    missed_by = np.where(status == "breached", 100 * (policy.min_acceptance_rate - rate), np.nan)
    return ~(settled & (decided == 0)), {"status": status, "acceptance_rate": rate, "missed_by": missed_by}


def _monthly_decision_values(mqls: pd.DataFrame, by: str | None) -> dict[str, np.ndarray]:
    """MQLs, accepted and rejected per month (and `by` group, missing as "(none)"), sorted by group
    then month: counted with numpy on month and group codes, not a groupby over every MQL."""
    month = _month_numbers(mqls["mql_at"])
    first = int(month.min()) if len(month) else 0
    months = np.arange(first, int(month.max()) + 1 if len(month) else first)  # every month of the span
    group_codes, groups = (pd.factorize(mqls[by].fillna("(none)"), sort=True) if by
                           else (np.zeros(len(month), dtype=np.int64), np.array([None], dtype=object)))
    width = max(len(months), 1)
    cell = group_codes.astype(np.int64) * width + (month - first)
    size = len(groups) * width
    counted = np.bincount(cell, minlength=size)
    cells = np.flatnonzero(counted)  # (group, month) pairs with MQLs, in that order
    accepted = np.bincount(cell, weights=mqls["is_accepted"].to_numpy(dtype=bool), minlength=size)[cells]
    rejected = np.bincount(cell, weights=mqls["is_rejected"].to_numpy(dtype=bool), minlength=size)[cells]
    frame = {}
    if by:  # as a groupby would give it: text, or Python objects when there are no rows
        names = np.asarray(groups, dtype=object)[cells // width]
        frame[by] = pd.array(names, dtype="str") if len(names) else names
    frame["period_start"] = months.astype("datetime64[M]")[cells % width].astype("datetime64[us]")
    frame["mql_count"] = counted[cells].astype(np.int64)
    frame["accepted_count"] = accepted.astype(np.int64)
    frame["rejected_count"] = rejected.astype(np.int64)
    return frame


def evaluate_quality_policy(policy: Policy, mqls: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Quality items in the common item shape (measured = rate, missed_by in percentage points)."""
    values = _quality_values(policy, mqls, as_of)
    return _items_frame(len(values["period_start"]), values)


def _quality_values(policy: Policy, mqls: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, object]:
    """The columns of `evaluate_quality_policy` that are not blank (as `quality_months` judges them,
    on numpy columns: a few rows, where pandas' own overhead would be most of the cost)."""
    months = _monthly_decision_values(mqls, None)
    keep, judged = _judge_quality_months(months["period_start"], months["accepted_count"],
                                         months["rejected_count"], policy, as_of)
    period_start = months["period_start"][keep]
    return {
        "policy_id": policy.id,
        "period_start": period_start,
        "item": [f"{p:%Y-%m}" for p in pd.DatetimeIndex(period_start)],
        "owner_name": f"{policy.owner_team.capitalize()} team",
        "threshold": policy.min_acceptance_rate,
        "measured": judged["acceptance_rate"][keep].astype(float),
        "status": judged["status"][keep].astype(object),
        "missed_by": judged["missed_by"][keep].astype(float),
        "unit": "points",
    }


def evaluate(policies: Policies, mqls: pd.DataFrame, attainment: pd.DataFrame, as_of) -> pd.DataFrame:
    """Every item of every policy, in the common item shape (see ITEM_COLUMNS)."""
    frames = []
    if as_of is not None and not pd.isna(as_of):
        as_of = pd.Timestamp(as_of)
        for policy in policies.policies:
            if policy.kind in MQL_KINDS:
                frames.append(evaluate_mql_policy(policy, mqls, policies.clock, as_of))
            elif policy.kind == "quality":
                frames.append(evaluate_quality_policy(policy, mqls, as_of))
            else:
                frames.append(evaluate_target_policy(policy, attainment, as_of))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def count_statuses(items: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """due/met/breached/pending counts and compliance_rate = met / (met + breached) per `keys`.

    Groups come in the order they first appear in `items` (a missing key is a group of its own).
    """
    if items.empty:
        return pd.DataFrame(columns=[*keys, "due_count", "met_count", "breached_count", "pending_count",
                                     "compliance_rate"])
    group = np.zeros(len(items), dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(items[key], use_na_sentinel=False)
        # Renumbered after each key (in order of first appearance), so the codes stay below len(items).
        group, _ = pd.factorize(group * len(uniques) + codes)
    first_rows = np.unique(group, return_index=True)[1]
    status_codes, found = pd.factorize(items["status"])
    # Each status found → its place in STATUSES; anything else (and a missing status) counts nowhere.
    status = np.array([STATUSES.index(f) if f in STATUSES else -1 for f in found] + [-1])[status_codes]
    counted = status >= 0
    flat = np.bincount(group[counted] * len(STATUSES) + status[counted], minlength=len(first_rows) * len(STATUSES))
    per_status = flat.reshape(len(first_rows), len(STATUSES)).astype(np.int64)
    counts = items[keys].iloc[first_rows].reset_index(drop=True)
    counts["due_count"] = per_status.sum(axis=1)
    for index, status_name in enumerate(STATUSES):
        counts[f"{status_name}_count"] = per_status[:, index]
    judged = counts["met_count"] + counts["breached_count"]
    counts["compliance_rate"] = counts["met_count"] / judged.where(judged > 0)
    return counts


# ---------------------------------------------------------------------------------------------
# Reading the data (through SQL files) for the computed queries


POLICIES_DECLARATION = (
    "-- $policies text = null  the policy set as TOML or JSON text; null = data/sla_policies.toml\n"
)
WINDOW_DECLARATIONS = """
-- $start      date = null     window start (inclusive): MQLs by mql_at, targets by month
-- $end        date = null     window end (exclusive)
"""
LIST_DECLARATIONS = """
-- $segments   text[] = null   lead segments; NULL = all (targets: only segment targets)
-- $regions    text[] = null   lead regions; NULL = all
-- $channels   text[] = null   lead source channels; NULL = all
-- $teams      text[] = null   who sourced the lead; NULL = all
-- $owners     text[] = null   lead owners; NULL = all
-- $campaigns  text[] = null   source campaigns; NULL = all
"""
CLOCK_DECLARATION = "-- $clock text in (policy, business, wall) = policy  the clock to measure on"
FILTER_DECLARATIONS = WINDOW_DECLARATIONS.strip() + "\n" + LIST_DECLARATIONS.strip() + "\n"


def _filters_of(params: Mapping[str, object]) -> dict[str, object]:
    return {name: value for name, value in params.items() if name in FILTER_PARAMS}


def latest_timestamp(db_path: str) -> pd.Timestamp | None:
    """The data's as-of time: the latest timestamp anywhere in the database (None if empty)."""
    value = db.run_query("sla__latest_timestamp", db=db_path)["as_of_at"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value)


def _policy_file_version() -> tuple:
    """The policy file's version: named queries are recomputed when someone edits it."""
    return ("policy file", _mtime_ns(POLICY_FILE))


def _mtime_ns(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


@dataclass(frozen=True)
class WindowEvaluation:
    """One window of filters judged under one policy set: what every sla__* query of it reads.

    The MQLs are `sla__mql_clock` rows (times, score, region, decision; no names); each per-MQL
    policy is judged once on whole columns, and text is fetched (`sla__mql_groups`,
    `sla__mql_lead_owners`) only by the queries that show it.
    """

    policies: Policies
    as_of: pd.Timestamp | None
    mqls: pd.DataFrame
    verdicts: Mapping[str, MqlVerdicts]  # per-MQL policies, by id
    # Quality, volume and pipeline items by policy id (policies with items only), in the columns of
    # `evaluate_*_policy` that are not blank.
    period_items: Mapping[str, pd.DataFrame]
    filters: Mapping[str, object]
    db_path: str

    def mql_policies(self) -> list[Policy]:
        """The per-MQL policies that were judged, in file order."""
        return [policy for policy in self.policies.policies if policy.id in self.verdicts]

    def lead_owners(self) -> pd.DataFrame:
        """lead_id, segment, owner_id and owner_name of each MQL, row for row (one pass for the breach list)."""
        frame = _in_mql_order(db.run_query("sla__mql_lead_owners", self.filters, db=self.db_path))
        if not np.array_equal(frame["mql_number"].to_numpy(), self.mqls["mql_number"].to_numpy()):
            raise AssertionError("sla__mql_lead_owners and sla__mql_clock returned different MQLs")
        return frame

    def groups(self, group: str) -> tuple[np.ndarray, pd.Series, pd.Series]:
        """Each MQL's owner, channel, campaign or segment as a number, with key_text and label_text
        of each number (`sla__mql_groups`: every name read once, numbered in order of first appearance)."""
        frame = db.run_query("sla__mql_groups", self.filters, db=self.db_path, group=group)
        numbers = self.mqls["mql_number"].to_numpy()
        codes = np.full(len(numbers), -1, dtype=np.int64)
        for code, members in enumerate(frame["mql_numbers"]):
            rows = np.searchsorted(numbers, np.asarray(members, dtype=numbers.dtype))
            if len(rows) and (rows[-1] >= len(numbers) or not np.array_equal(numbers[rows], members)):
                raise AssertionError("sla__mql_groups and sla__mql_clock returned different MQLs")
            codes[rows] = code
        if (codes < 0).any():
            raise AssertionError("sla__mql_groups left out MQLs of sla__mql_clock")
        return codes, frame["key_text"].reset_index(drop=True), frame["label_text"].reset_index(drop=True)

    def status_counts(self, by_month: bool) -> pd.DataFrame:
        """`count_statuses` of every item per policy (and month), as `evaluate` + `count_statuses`
        would give them (in another row order); per-MQL policies are counted from their status
        codes and the few monthly items one by one, no item frame."""
        keys = ["policy_id", "period_start"] if by_month else ["policy_id"]
        policy_ids, periods, counts = [], [], []
        if len(self.mqls) and self.verdicts:
            month_values, month_codes = self._months() if by_month else (np.zeros(1, dtype=np.int64), 0)
            month_starts = month_values.astype("datetime64[M]").astype("datetime64[us]")
            for policy in self.mql_policies():
                status = self.verdicts[policy.id].status.astype(np.int64)
                per_status = np.bincount(month_codes * len(STATUSES) + status,
                                         minlength=len(month_values) * len(STATUSES))
                counts.append(per_status.reshape(len(month_values), len(STATUSES)))
                policy_ids += [policy.id] * len(month_values)
                periods.append(month_starts)
        cells: dict[tuple, np.ndarray] = {}
        for frame in self.period_items.values():
            columns = [frame[key].to_numpy() for key in keys]
            for *key, status in zip(*columns, frame["status"].to_numpy(dtype=object), strict=True):
                cell = cells.setdefault(tuple(key), np.zeros(len(STATUSES), dtype=np.int64))
                if status in STATUSES:
                    cell[STATUSES.index(status)] += 1
        if cells:
            policy_ids += [key[0] for key in cells]
            if by_month:
                periods.append(np.array([key[-1] for key in cells], dtype="datetime64[us]"))
            counts.append(np.array(list(cells.values())))
        if not policy_ids:
            return count_statuses(pd.DataFrame(columns=ITEM_COLUMNS), keys)
        per_status = np.concatenate(counts).astype(np.int64)
        out = pd.DataFrame({"policy_id": pd.array(np.array(policy_ids, dtype=object), dtype="str")})
        if by_month:
            out["period_start"] = np.concatenate(periods)
        out["due_count"] = per_status.sum(axis=1)
        for index, status_name in enumerate(STATUSES):
            out[f"{status_name}_count"] = per_status[:, index]
        judged = out["met_count"] + out["breached_count"]
        out["compliance_rate"] = out["met_count"] / judged.where(judged > 0)
        return out

    def _months(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct months of the MQLs (as numpy month numbers) and each MQL's place among them."""
        month = _month_numbers(self.mqls["mql_at"].to_numpy(dtype="datetime64[us]"))
        if not len(month):
            return month, month
        first = int(month.min())
        present = np.bincount(month - first) > 0
        place = np.cumsum(present) - 1  # each month of the span → its place among the months with MQLs
        return np.flatnonzero(present) + first, place[month - first].astype(np.int64)

    def period_starts(self) -> pd.DataFrame:
        """The month of every item (one row per distinct MQL month is enough for a span)."""
        months = [self._months()[0].astype("datetime64[M]").astype("datetime64[us]")] if self.verdicts else []
        periods = [frame["period_start"].to_numpy(dtype="datetime64[us]") for frame in self.period_items.values()]
        values = np.concatenate([*months, *periods]) if months or periods else np.array([], dtype="datetime64[us]")
        return pd.DataFrame({"period_start": values})

    def measure(self, policy: Policy) -> tuple[float, str]:
        """The scorecard's measure of one policy in this window (see `_measure`)."""
        if policy.id in self.verdicts:
            verdicts = self.verdicts[policy.id]
            done = pd.Series(verdicts.measured[~np.isnat(verdicts.resolved_at)], dtype=float)
            return _measure_of(policy, done, None, self.mqls)
        mine = self.period_items.get(policy.id, _NO_PERIOD_ITEMS)
        nothing = pd.Series(dtype=float) if policy.kind in MQL_KINDS else None  # not judged: no as-of time
        return _measure_of(policy, nothing, mine, self.mqls)


_NO_PERIOD_ITEMS = pd.DataFrame({"segment": pd.Series(dtype="str"), "measured": pd.Series(dtype=float),
                                 "threshold": pd.Series(dtype=float)})


def _in_mql_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in mql_number order. The lean queries read sla_mql_facts, stored in that order, without
    sorting again (DuckDB keeps insertion order); this only checks it, and sorts if it ever is not."""
    numbers = frame["mql_number"].to_numpy()
    if len(numbers) > 1 and not (numbers[1:] > numbers[:-1]).all():
        return frame.sort_values("mql_number", ignore_index=True)
    return frame


_evaluations: OrderedDict[tuple, WindowEvaluation] = OrderedDict()
_evaluations_lock = threading.Lock()


def _evaluation_key(params: Mapping[str, object], db_path: str) -> tuple:
    """(what does not move with the window, start, end) of one evaluation."""
    filters = _filters_of(params)
    text = params.get("policies")
    # Without policy text the file is read: its modification time keeps an edit from going unseen.
    source = text if text is not None else ("file", str(POLICY_FILE), _mtime_ns(POLICY_FILE))
    # A filter left at None means "all", as if it were not given.
    rest = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in filters.items()
                        if k not in ("start", "end") and v is not None))
    return (db.db_identity(db_path), source, rest), filters.get("start"), filters.get("end")


def _covers(start, end, inner_start, inner_end) -> bool:
    """Whether the window [start, end) holds [inner_start, inner_end) (None: open)."""
    return ((start is None or (inner_start is not None and start <= inner_start))
            and (end is None or (inner_end is not None and inner_end <= end)))


def _known_evaluation(key: tuple) -> WindowEvaluation | None:
    """The kept evaluation of this window, or of a wider one with the same filters and policies."""
    base, start, end = key
    with _evaluations_lock:
        if key in _evaluations:
            _evaluations.move_to_end(key)
            return _evaluations[key]
        for (other, other_start, other_end), evaluation in reversed(_evaluations.items()):
            if other == base and _covers(other_start, other_end, start, end):
                return evaluation
    return None


def evaluate_window(params: Mapping[str, object], db_path: str) -> WindowEvaluation:
    """One window of filters evaluated under one policy text (see WindowEvaluation).

    A page asks several sla__* queries about the same window; it is evaluated once and kept (a
    few windows, per database file and policy text). A window inside a kept one with the same
    other filters is cut out of it: each MQL's verdict does not depend on the window, and the
    monthly items are recounted on its own MQLs and months. Callers must not modify it.
    """
    key = _evaluation_key(params, db_path)
    known = _known_evaluation(key)
    if known is not None and key[1:] == (known.filters.get("start"), known.filters.get("end")):
        return known
    filters = _filters_of(params)
    if known is not None:
        result = _cut(known, filters)
    else:
        result = _evaluate(filters, params.get("policies"), db_path)
    with _evaluations_lock:
        _evaluations[key] = result
        while len(_evaluations) > 8:
            _evaluations.popitem(last=False)
    return result


class _JudgedMqls:
    """One per-MQL policy's verdicts on the MQLs of one database file judged so far, by mql_number.

    A verdict depends only on the MQL's own facts, the policy and the data's as-of time, never on
    the window or the filters: a window judges only the MQLs no earlier window judged, and reads
    the rest from here.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threshold = np.zeros(0)
        self.measured = np.zeros(0)
        self.status = np.zeros(0, dtype=np.int8)
        self.judged = np.zeros(0, dtype=bool)

    def _make_room(self, size: int) -> None:
        if size <= len(self.judged):
            return
        size = max(size, len(self.judged) * 2)
        for name in ("threshold", "measured", "status", "judged"):
            old = getattr(self, name)
            grown = np.zeros(size, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def verdicts(self, policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of) -> MqlVerdicts:
        """`judge_mqls(policy, mqls, clock, as_of)`, judging only the MQLs not judged before."""
        place = mqls["mql_number"].to_numpy(dtype=np.int64) - 1
        with self.lock:
            self._make_room(int(place.max()) + 1)
            new = ~self.judged[place]
            if new.any():
                fresh = judge_mqls(policy, mqls if new.all() else mqls[new], clock, as_of)
                rows = place[new]
                self.threshold[rows], self.measured[rows], self.status[rows] = (
                    fresh.threshold, fresh.measured, fresh.status)
                self.judged[rows] = True
                if new.all():
                    return fresh
            threshold, measured, status = self.threshold[place], self.measured[place], self.status[place]
        resolved = "first_sales_touch_at" if policy.kind == "follow_up" else "decided_at"
        return MqlVerdicts(threshold, measured, mqls[resolved].to_numpy(dtype="datetime64[us]"), status,
                           mqls["mql_at"].to_numpy(dtype="datetime64[us]"), mqls["region"],
                           clock if policy.clock == "business" else None)


# Per database file, like its connection (not cleared with the evaluations; bench/run.py's cold
# start clears it): each per-MQL policy's verdicts by mql_number, at most 8 policy versions, about
# 18 bytes an MQL each (8 MB for the 438,000 MQLs of a million leads).
_judged: OrderedDict[tuple, _JudgedMqls] = OrderedDict()
_judged_lock = threading.Lock()
_JUDGED_KEEP = 8


def _judging_key(policy: Policy, clock: RegionalClock) -> tuple:
    """What a per-MQL policy's verdicts depend on: its kind, thresholds and clock (its calendars
    only on the business clock), not its name or goal."""
    calendars = (tuple(sorted(clock.calendars.items())), clock.default) if policy.clock == "business" else None
    return policy.kind, policy.tiers, policy.days, policy.clock, calendars


def _judged_verdicts(policy: Policy, mqls: pd.DataFrame, clock: RegionalClock, as_of, db_path: str) -> MqlVerdicts:
    """The verdicts of `judge_mqls`, kept per database file so that no MQL is judged twice."""
    numbers = mqls["mql_number"].to_numpy(dtype=np.int64)
    if not len(numbers) or numbers.min() < 1:
        return judge_mqls(policy, mqls, clock, as_of)
    key = (db.db_identity(db_path), pd.Timestamp(as_of), _judging_key(policy, clock))
    with _judged_lock:
        store = _judged.get(key)
        if store is None:
            store = _judged[key] = _JudgedMqls()
            while len(_judged) > _JUDGED_KEEP:
                _judged.popitem(last=False)
        _judged.move_to_end(key)
    return store.verdicts(policy, mqls, clock, as_of)


def _evaluate(filters: Mapping[str, object], text: str | None, db_path: str) -> WindowEvaluation:
    policies = policies_from_param(text)
    as_of = latest_timestamp(db_path)
    mqls = _in_mql_order(db.run_query("sla__mql_clock", filters, db=db_path))
    verdicts = {}
    if as_of is not None:
        for policy in policies.of_kind(*MQL_KINDS):
            verdicts[policy.id] = _judged_verdicts(policy, mqls, policies.clock, as_of, db_path)

    def period_items() -> dict[str, pd.DataFrame]:
        items, attainment = {}, None
        for policy in policies.of_kind(*PERIOD_KINDS) if as_of is not None else ():
            if policy.kind == "quality":
                items[policy.id] = pd.DataFrame(_quality_values(policy, mqls, as_of))
            else:
                if attainment is None:
                    attainment = db.run_query("sla__target_attainment", filters, db=db_path)
                items[policy.id] = pd.DataFrame(_target_values(policy, attainment, as_of))
        return {policy_id: frame for policy_id, frame in items.items() if len(frame)}

    return WindowEvaluation(policies, as_of, mqls, verdicts, _OnFirstUse(period_items), filters, db_path)


class _OnFirstUse(Mapping):
    """A mapping worked out when first read: the per-rep, per-source and speed queries (and
    Explore's SLA measure) never read a window's monthly items, so they never count them."""

    def __init__(self, compute) -> None:
        self._compute, self._items, self._lock = compute, None, threading.Lock()

    def _values(self) -> Mapping:
        if self._items is None:
            with self._lock:
                if self._items is None:
                    self._items, self._compute = self._compute(), None
        return self._items

    def __getitem__(self, key):
        return self._values()[key]

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def _cut(wider: WindowEvaluation, filters: Mapping[str, object]) -> WindowEvaluation:
    """The evaluation of the window of `filters`, cut out of a wider one with the same other filters:
    its MQLs (by mql_at, stored in that order) with their verdicts, its quality months recounted on
    them, and its target months (by period_start)."""
    start, end = filters.get("start"), filters.get("end")
    mql_at = wider.mqls["mql_at"].to_numpy(dtype="datetime64[us]")
    first = 0 if start is None else int(np.searchsorted(mql_at, np.datetime64(start, "us")))
    last = len(mql_at) if end is None else int(np.searchsorted(mql_at, np.datetime64(end, "us")))
    mqls = wider.mqls.iloc[first:last].reset_index(drop=True)
    verdicts = {policy_id: verdicts.rows(first, last) for policy_id, verdicts in wider.verdicts.items()}

    def period_items() -> dict[str, pd.DataFrame]:
        items = {}
        for policy in wider.policies.policies if wider.as_of is not None else ():
            if policy.kind == "quality":
                items[policy.id] = pd.DataFrame(_quality_values(policy, mqls, wider.as_of))
            elif policy.id in wider.period_items:
                months = wider.period_items[policy.id]
                period = months["period_start"].to_numpy(dtype="datetime64[us]")
                inside = np.ones(len(period), dtype=bool)
                if start is not None:
                    inside &= period >= np.datetime64(start, "us")
                if end is not None:
                    inside &= period < np.datetime64(end, "us")
                items[policy.id] = months[inside].reset_index(drop=True)
        return {policy_id: frame for policy_id, frame in items.items() if len(frame)}

    return WindowEvaluation(wider.policies, wider.as_of, mqls, verdicts, _OnFirstUse(period_items),
                            dict(filters), wider.db_path)


def _window_months(start, end, items: pd.DataFrame, as_of) -> list[pd.Timestamp]:
    """The months the contract lists: each month of the window (up to the as-of month), else the
    months that have items."""
    if as_of is None:
        return []
    last = pd.Timestamp(as_of).to_period("M").start_time
    if start is not None and end is not None:
        first = pd.Timestamp(start).to_period("M").start_time
        last = min(last, (pd.Timestamp(end) - pd.Timedelta(days=1)).to_period("M").start_time)
        return list(pd.date_range(first, last, freq="MS")) if first <= last else []
    if items.empty:
        return []
    first = items["period_start"].min() if start is None else pd.Timestamp(start).to_period("M").start_time
    end_month = items["period_start"].max() if end is None else last
    return list(pd.date_range(first, min(end_month, last), freq="MS"))


def compliance_by_month(items: pd.DataFrame, policies: Policies, months: list[pd.Timestamp]) -> pd.DataFrame:
    """The contract table: one row per policy and month, zero counts where nothing was due."""
    return _compliance_grid(count_statuses(items, ["policy_id", "period_start"]), policies, months)


def _compliance_grid(counts: pd.DataFrame, policies: Policies, months: list[pd.Timestamp]) -> pd.DataFrame:
    """`compliance_by_month` from counts per (policy_id, period_start)."""
    columns = ["policy_id", "policy_name", "owner_team", "period_start", "due_count", "met_count",
               "breached_count", "pending_count", "compliance_rate"]
    grid = pd.DataFrame(
        [(p.id, p.name, p.owner_team, order, month)
         for order, p in enumerate(policies.policies) for month in months],
        columns=["policy_id", "policy_name", "owner_team", "policy_order", "period_start"],
    )
    grid["period_start"] = grid["period_start"].astype("datetime64[us]")
    counts = counts.copy()
    counts["period_start"] = pd.to_datetime(counts["period_start"]).astype("datetime64[us]")
    out = grid.merge(counts, on=["policy_id", "period_start"], how="left")
    for column in ("due_count", "met_count", "breached_count", "pending_count"):
        out[column] = out[column].fillna(0).astype(np.int64)
    out["compliance_rate"] = out["compliance_rate"].astype(float)
    return out.sort_values(["policy_order", "period_start"])[columns].reset_index(drop=True)


@db.computed_query(
    "sla__compliance",
    "One row per policy and month: how many items fell due, met, breached and pending (still inside "
    "their window at the data's latest timestamp), and compliance_rate = met / (met + breached).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
)
def compliance_query(params: dict, db_path: str) -> pd.DataFrame:
    """The contract query `sla__compliance`."""
    window = evaluate_window(params, db_path)
    months = _window_months(params.get("start"), params.get("end"), window.period_starts(), window.as_of)
    return _compliance_grid(window.status_counts(by_month=True), window.policies, months)


# ---------------------------------------------------------------------------------------------
# The scorecard: this period, the previous one, a measure and a colour per policy


def _measure(policy: Policy, items: pd.DataFrame, mqls: pd.DataFrame) -> tuple[float, str]:
    """A number that shows how the policy is doing beyond compliance, and its text."""
    mine = items[items["policy_id"] == policy.id]
    done = mine.loc[mine["resolved_at"].notna(), "measured"].astype(float) if policy.kind in MQL_KINDS else None
    return _measure_of(policy, done, mine, mqls)


def _measure_of(policy: Policy, done: pd.Series | None, mine: pd.DataFrame | None,
                mqls: pd.DataFrame) -> tuple[float, str]:
    """`_measure` from the hours of the resolved items (per-MQL policies) or the policy's items."""
    from handoff.charts import fmt_count, fmt_pct, fmt_usd

    if policy.kind in MQL_KINDS:
        if done.empty:
            return np.nan, "nothing resolved yet"
        median = float(done.median())
        if policy.kind == "follow_up":
            p90 = float(done.quantile(0.9))
            return median, (f"median response: {response_text(median, policy.clock)} · "
                            f"p90: {response_text(p90, policy.clock)}")
        return median, f"median {hours_text(median, policy.clock)} to decide"
    if policy.kind == "quality":
        accepted, rejected = int(mqls["is_accepted"].sum()), int(mqls["is_rejected"].sum())
        if accepted + rejected == 0:
            return np.nan, "no decided MQLs"
        rate = accepted / (accepted + rejected)
        return rate, f"{fmt_pct(rate)} accepted of {fmt_count(accepted + rejected)} decided"
    total = mine[mine["segment"].isna()] if mine["segment"].isna().any() else mine
    # threshold holds the share of the target that counts as met; the measure compares with the target.
    actual = float(total["measured"].sum())
    target = float(total["threshold"].sum()) / policy.min_attainment_rate
    if target == 0:
        return np.nan, "no target in the window"
    fmt = fmt_usd if policy.metric in MONEY_METRICS else fmt_count
    return actual / target, f"{fmt(actual)} of {fmt(target)} ({fmt_pct(actual / target, 0)})"


def scorecard(policies: Policies, items: pd.DataFrame, previous_items: pd.DataFrame | None,
              mqls: pd.DataFrame) -> pd.DataFrame:
    """One row per policy: compliance now and before, the colour of each, the rule and a measure."""
    before = count_statuses(previous_items, ["policy_id"]) if previous_items is not None else None
    measures = {policy.id: _measure(policy, items, mqls) for policy in policies.policies}
    return _scorecard_rows(policies, count_statuses(items, ["policy_id"]), before, measures)


def _scorecard_rows(policies: Policies, now: pd.DataFrame, before: pd.DataFrame | None,
                    measures: Mapping[str, tuple[float, str]]) -> pd.DataFrame:
    """`scorecard` from counts per policy_id now (and before) and each policy's measure."""
    now = now.set_index("policy_id")
    before = before.set_index("policy_id") if before is not None else pd.DataFrame(columns=["compliance_rate"])
    rows = []
    for order, policy in enumerate(policies.policies):
        counts = now.loc[policy.id] if policy.id in now.index else None
        rate = float(counts["compliance_rate"]) if counts is not None else np.nan
        previous = float(before.loc[policy.id, "compliance_rate"]) if policy.id in before.index else np.nan
        value, text = measures[policy.id]
        rows.append({
            "policy_id": policy.id, "policy_name": policy.name, "owner_team": policy.owner_team,
            "direction": policy.direction, "kind": policy.kind, "policy_order": order,
            "rule_text": describe_rule(policy), "goal_rate": policy.goal_rate,
            **{f"{s}_count": int(counts[f"{s}_count"]) if counts is not None else 0
               for s in ("due", "met", "breached", "pending")},
            "compliance_rate": rate, "status": policies.status(rate, policy.goal_rate),
            "previous_compliance_rate": previous,
            "previous_status": policies.status(previous, policy.goal_rate),
            "measure_value": value, "measure_text": text,
        })
    return pd.DataFrame(rows)


@db.computed_query(
    "sla__scorecard",
    "One row per policy: compliance in the window and in the previous window of the same length, "
    "each coloured by the one rule (green at the goal, amber within amber_points below, red), the "
    "rule in words and a measure (median response, acceptance rate, attainment).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
)
def scorecard_query(params: dict, db_path: str) -> pd.DataFrame:
    """The two-sided scorecard."""
    before = None
    start, end = params.get("start"), params.get("end")
    if start is not None and end is not None:
        previous = Filters(start=start, end=end).previous()
        both = {**params, "start": previous.start, "end": end}
        if (previous.end == start and _known_evaluation(_evaluation_key(params, db_path)) is None
                and _known_evaluation(_evaluation_key(both, db_path)) is None):
            evaluate_window(both, db_path)  # one pass over both windows; each is cut out of it below
        before = evaluate_window({**params, "start": previous.start, "end": previous.end}, db_path)
        before = before.status_counts(by_month=False)
    window = evaluate_window(params, db_path)
    measures = {policy.id: window.measure(policy) for policy in window.policies.policies}
    return _scorecard_rows(window.policies, window.status_counts(by_month=False), before, measures)


# ---------------------------------------------------------------------------------------------
# Per rep, per channel/campaign, the breach list, the live queue, the effect of speed


@db.computed_query(
    "sla__compliance_by_rep",
    "One row per (per-MQL policy, lead owner): items due, met, breached, pending, compliance_rate, "
    "the median hours to resolve on the policy's clock and the colour.",
    FILTER_DECLARATIONS + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
)
def compliance_by_rep_query(params: dict, db_path: str) -> pd.DataFrame:
    """Sales policies per rep (the lead's owner)."""
    window = evaluate_window(params, db_path)
    policies = window.policies
    columns = ["policy_id", "policy_name", "owner_id", "owner_name", "region", "due_count", "met_count",
               "breached_count", "pending_count", "compliance_rate", "median_hours", "status"]
    mql_policies = window.mql_policies()
    if not mql_policies or window.mqls.empty:
        return pd.DataFrame(columns=columns)
    owner, owner_ids, owner_names = window.groups("owner")
    owner_ids, owner_names = owner_ids.fillna("(unassigned)"), owner_names.fillna("(unassigned)")
    region_codes, _ = pd.factorize(window.mqls["region"], use_na_sentinel=False)
    # Each MQL's (owner, name, region) group, numbered in order of first appearance: the groups
    # count_statuses would find in the items of each policy, in the same order.
    group = owner
    for codes in (pd.factorize(owner_ids)[0][owner], pd.factorize(owner_names)[0][owner], region_codes):
        group, _ = pd.factorize(group * (int(codes.max()) + 1 if len(codes) else 1) + codes)
    first_rows = np.unique(group, return_index=True)[1]
    owner_id = pd.Series(owner_ids.array[owner[first_rows]])
    owner_name = pd.Series(owner_names.array[owner[first_rows]])
    region = pd.Series(_text(window.mqls["region"].iloc[first_rows]))
    id_codes, id_values = pd.factorize(owner_ids)
    owner_codes = id_codes[owner]
    frames, medians = [], []
    for policy in mql_policies:
        verdicts = window.verdicts[policy.id]
        per_status = np.bincount(group * len(STATUSES) + verdicts.status.astype(np.int64),
                                 minlength=len(first_rows) * len(STATUSES)).reshape(-1, len(STATUSES))
        frame = pd.DataFrame({"policy_id": _repeat(policy.id, len(first_rows)), "owner_id": owner_id.array,
                              "owner_name": owner_name.array, "region": region.array,
                              "due_count": per_status.sum(axis=1)})
        for index, status_name in enumerate(STATUSES):
            frame[f"{status_name}_count"] = per_status[:, index]
        frames.append(frame)
        resolved = ~np.isnat(verdicts.resolved_at)
        hours = pd.Series(verdicts.measured[resolved]).groupby(owner_codes[resolved]).median()
        medians.append(pd.DataFrame({"policy_id": _repeat(policy.id, len(hours)),
                                     "owner_id": id_values[hours.index.to_numpy()],
                                     "median_hours": hours.to_numpy()}))
    counts = pd.concat(frames, ignore_index=True)
    judged = counts["met_count"] + counts["breached_count"]
    counts["compliance_rate"] = counts["met_count"] / judged.where(judged > 0)
    counts = counts.merge(pd.concat(medians, ignore_index=True), on=["policy_id", "owner_id"], how="left")
    names = {p.id: p.name for p in policies.policies}
    goals = {p.id: p.goal_rate for p in policies.policies}
    counts["policy_name"] = counts["policy_id"].map(names)
    pairs = zip(counts["policy_id"], counts["compliance_rate"], strict=True)
    counts["status"] = [policies.status(rate, goals[policy_id]) for policy_id, rate in pairs]
    counts["policy_order"] = counts["policy_id"].map({p: i for i, p in enumerate(policies.ids)})
    counts = counts.sort_values(["policy_order", "compliance_rate", "owner_name"], na_position="last")
    return counts[columns].reset_index(drop=True)


@db.computed_query(
    "sla__compliance_by_source",
    "One row per (quality policy, channel or source campaign): its MQLs, accepted and rejected counts, "
    "acceptance_rate, its share of all MQLs, and its months due/met/breached/pending against the policy.",
    FILTER_DECLARATIONS + POLICIES_DECLARATION
    + "-- $group_by text in (channel, campaign) = channel  group leads by source channel or source campaign",
    cache_key=_policy_file_version,
)
def compliance_by_source_query(params: dict, db_path: str) -> pd.DataFrame:
    """Marketing's quality policy per channel or campaign."""
    window = evaluate_window(params, db_path)
    policies, as_of = window.policies, window.as_of
    by_channel = params.get("group_by", "channel") == "channel"
    by = "channel" if by_channel else "source_campaign_id"
    columns = ["policy_id", "policy_name", "group_value", "group_label", "mql_count", "mql_share_rate",
               "accepted_count", "rejected_count", "acceptance_rate", "due_count", "met_count",
               "breached_count", "pending_count", "compliance_rate", "status"]
    frames = []
    quality = policies.of_kind("quality")
    if as_of is not None and len(window.mqls) and quality:
        source, keys, names = window.groups("channel" if by_channel else "campaign")
        mqls = pd.DataFrame({"mql_at": window.mqls["mql_at"], "is_accepted": window.mqls["is_accepted"],
                             "is_rejected": window.mqls["is_rejected"], by: keys.array[source],
                             "label": names.array[source]})
        labels = mqls.assign(group_value=mqls[by].fillna("(none)")).groupby("group_value")["label"].first()
        for policy in quality:
            months = quality_months(mqls, policy, as_of, by=by).rename(columns={by: "group_value"})
            totals = months.groupby("group_value")[["mql_count", "accepted_count", "rejected_count"]].sum()
            counts = count_statuses(months, ["group_value"]).set_index("group_value")
            frame = totals.join(counts).reset_index()
            decided = frame["accepted_count"] + frame["rejected_count"]
            frame["acceptance_rate"] = frame["accepted_count"] / decided.where(decided > 0)
            frame["mql_share_rate"] = frame["mql_count"] / frame["mql_count"].sum()
            frame["policy_id"], frame["policy_name"] = policy.id, policy.name
            frame["group_label"] = frame["group_value"].map(labels).fillna(frame["group_value"])
            frame["status"] = [policies.status(r, policy.goal_rate) for r in frame["compliance_rate"]]
            frames.append(frame.sort_values(["compliance_rate", "acceptance_rate"], na_position="last"))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def hours_text(hours: float, clock: str) -> str:
    """A duration for people, saying which clock: '12 min', '3.2 h', '4.5 d', '30 business h'."""
    from handoff.charts import fmt_hours

    if clock == "wall" or pd.isna(hours):
        return fmt_hours(hours)
    return f"{hours * 60:.0f} business min" if hours < 1 else f"{hours:,.1f} business h"


def answered_before_opening(hours: float, clock: str) -> bool:
    """Whether a response time is 0 on the business clock: the MQL came out of hours and was answered
    before the business day began (no working time passed), not answered in no time."""
    return clock == "business" and not pd.isna(hours) and float(hours) == 0


def response_text(hours: float, clock: str) -> str:
    """A response time for people, never a bare '0 business min'."""
    if answered_before_opening(hours, clock):
        return "answered before the business day began"
    return hours_text(hours, clock)


def _missed_text(unit: str, missed: float, resolved: bool) -> str:
    from handoff.charts import fmt_count, fmt_usd

    if unit in ("hours", "business hours"):
        text = f"{hours_text(missed, 'business' if unit == 'business hours' else 'wall')} late"
        return text if resolved else f"{text}, still open"
    if unit == "USD":
        return f"{fmt_usd(missed)} short"
    if unit == "points":
        return f"{missed:.1f} points below the minimum"
    return f"{fmt_count(np.ceil(missed - 1e-9))} {unit} short"


def _missed_texts(units: pd.Series, missed: pd.Series, resolved_at: pd.Series) -> list[str]:
    """`_missed_text` of every breach. Hours, by far the most rows, are written inline (the same
    f-strings as `hours_text` and `fmt_hours`) instead of through three calls a row."""
    out = []
    resolved = resolved_at.notna().to_numpy().tolist()
    for unit, hours, is_resolved in zip(units.to_numpy(dtype=object).tolist(), missed.to_numpy(dtype=float).tolist(),
                                        resolved, strict=True):
        if unit == "business hours" and hours == hours:  # not NaN
            text = f"{hours * 60:.0f} business min late" if hours < 1 else f"{hours:,.1f} business h late"
        elif unit == "hours" and hours == hours:
            size = abs(hours)
            text = (f"{hours * 60:.0f} min late" if size < 1 else f"{hours:.1f} h late" if size < 48
                    else f"{hours / 24:.1f} d late")
        else:
            out.append(_missed_text(unit, hours, is_resolved))
            continue
        out.append(text if is_resolved else f"{text}, still open")
    return out


_BREACH_COLUMNS = ["policy_id", "owner_id", "owner_name", "item", "lead_id", "segment", "period_start",
                   "started_at", "due_at", "resolved_at", "missed_by", "unit"]


@db.computed_query(
    "sla__breaches",
    "One row per breached item (an MQL, or a month and segment): the policy, who owned it, when it "
    "started and was due, when it was resolved, and by how much it missed (missed_by in missed_by_unit).",
    FILTER_DECLARATIONS + POLICIES_DECLARATION + "-- $policy_id text = null  only this policy; NULL = all",
    cache_key=_policy_file_version,
)
def breaches_query(params: dict, db_path: str) -> pd.DataFrame:
    """The breach list, the worst misses of each policy first."""
    window = evaluate_window(params, db_path)
    policies = window.policies
    chosen = policies.get(params["policy_id"]).id if params.get("policy_id") else None
    frames, names = [], None
    for order, policy in enumerate(policies.policies):
        if chosen not in (None, policy.id):
            continue
        if policy.id not in window.verdicts:
            mine = window.period_items.get(policy.id)
            if mine is None or not (mine["status"] == "breached").any():
                continue
            missed = mine[mine["status"] == "breached"]
            missed = missed.iloc[_worst_first(missed["missed_by"].to_numpy(dtype=float), missed["item"].array)]
            frame = {column: missed[column].array for column in missed.columns if column in _BREACH_COLUMNS}
        else:
            verdicts = window.verdicts[policy.id]
            rows = np.flatnonzero(verdicts.status == BREACHED)
            if not len(rows):
                continue
            if names is None:
                names = window.lead_owners()
            lead_id = _text(names["lead_id"].iloc[rows])
            # The list's order within the policy (the whole list is sorted policy by policy).
            worst = _worst_first(verdicts.missed_by[rows], lead_id)
            rows, lead_id = rows[worst], lead_id[worst]
            frame = {
                "owner_id": names["owner_id"].array[rows], "owner_name": names["owner_name"].array[rows],
                "item": lead_id, "lead_id": lead_id, "segment": _text(names["segment"].iloc[rows]),
                "period_start": month_start(window.mqls["mql_at"].to_numpy()[rows]).to_numpy(),
                "started_at": window.mqls["mql_at"].to_numpy(dtype="datetime64[us]")[rows],
                "due_at": verdicts.due_at(rows), "resolved_at": verdicts.resolved_at[rows],
                "missed_by": verdicts.missed_by[rows], "unit": _repeat(_mql_unit(policy), len(rows)),
            }
        n = len(frame["item"])
        blank_text, no_time = _repeat(None, n), np.full(n, np.datetime64("NaT", "us"))
        frames.append(pd.DataFrame({
            "policy_id": _repeat(policy.id, n), "policy_name": _repeat(policy.name, n),
            "owner_team": _repeat(policy.owner_team, n), "policy_order": np.full(n, order, dtype=np.int64),
            **{column: frame.get(column, no_time if column.endswith("_at") else blank_text)
               for column in _BREACH_COLUMNS if column != "policy_id"},
        }))
    if frames:  # in policy order, each policy's rows already worst first
        breached = pd.concat(frames, ignore_index=True)
    else:  # the empty list, typed as before
        breached = pd.DataFrame(columns=_BREACH_COLUMNS)
        owners_of = {p.id: p for p in policies.policies}
        breached["policy_name"] = breached["policy_id"].map(lambda p: owners_of[p].name)
        breached["owner_team"] = breached["policy_id"].map(lambda p: owners_of[p].owner_team)
        breached["policy_order"] = breached["policy_id"].map({p: i for i, p in enumerate(policies.ids)})
        breached = breached.sort_values(["policy_order", "missed_by", "item"], ascending=[True, False, True])
    breached["missed_by_unit"] = breached["unit"]
    breached["missed_by_text"] = _missed_texts(breached["unit"], breached["missed_by"], breached["resolved_at"])
    columns = ["policy_id", "policy_name", "owner_team", "owner_id", "owner_name", "item", "lead_id",
               "segment", "period_start", "started_at", "due_at", "resolved_at", "missed_by",
               "missed_by_unit", "missed_by_text"]
    return breached[columns].reset_index(drop=True)


def _worst_first(missed_by: np.ndarray, items) -> np.ndarray:
    """The order of one policy's breaches as `sort_values(["missed_by", "item"], ascending=[False,
    True])` gives it (missing last, ties in their own order), as one numpy lexsort on the misses
    and the items' ranks (Arrow ranks the text, in the same byte order pandas sorts it)."""
    key = -np.asarray(missed_by, dtype=float)
    key[np.isnan(key)] = np.inf
    text = pa.array(items, from_pandas=True)
    if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
        text = text.cast(pa.large_string())
    rank = pc.rank(text, sort_keys="ascending", tiebreaker="dense").to_numpy()  # missing text ranks last
    return np.lexsort((rank, key))


@db.computed_query(
    "sla__live_queue",
    "One row per MQL not yet followed up and still inside its follow-up window at the data's latest "
    "timestamp, most urgent first: its owner, when it is due and the hours left (clock and business).",
    LIST_DECLARATIONS.strip() + "\n" + POLICIES_DECLARATION,
    cache_key=_policy_file_version,
)
def live_queue_query(params: dict, db_path: str) -> pd.DataFrame:
    """The live queue: the whole backlog as of now, whatever the window."""
    policies = policies_from_param(params.get("policies"))
    as_of = latest_timestamp(db_path)
    columns = ["policy_id", "lead_id", "owner_id", "owner_name", "region", "segment", "channel", "score",
               "mql_at", "due_at", "hours_left", "business_hours_left", "clock", "threshold_hours"]
    if as_of is None:
        return pd.DataFrame(columns=columns)
    follow_ups = policies.of_kind("follow_up")
    if not follow_ups:
        return pd.DataFrame(columns=columns)
    # Only MQLs recent enough to be still inside a window can wait in the queue: read from the
    # earliest day any follow-up policy's longest window could have started.
    now = pd.Timestamp(as_of).to_datetime64().astype("datetime64[us]")
    earliest = min(
        policies.clock.earliest_start(now, max(tier.hours for tier in policy.tiers)) if policy.clock == "business"
        else (now - np.timedelta64(int(np.ceil(max(t.hours for t in policy.tiers) * 3600 + 1)), "s")).astype(
            "datetime64[D]") - np.timedelta64(1, "D")
        for policy in follow_ups)
    recent = {**_filters_of(params), "start": earliest.astype("datetime64[D]").item()}
    mqls = db.run_query("sla__mqls", recent, db=db_path, unanswered_only=True)
    frames = []
    for policy in follow_ups:
        # Judge every unanswered MQL, then build rows only for those still waiting.
        verdicts = judge_mqls(policy, mqls, policies.clock, as_of)
        rows = verdicts.status == PENDING
        waiting = evaluate_mql_policy(policy, mqls[rows], policies.clock, as_of)
        waiting["mql_at"] = waiting["started_at"]
        waiting["threshold_hours"] = waiting["threshold"]
        waiting["business_hours_left"] = waiting["threshold"] - waiting["measured"]
        waiting["hours_left"] = (waiting["due_at"] - as_of) / pd.Timedelta(hours=1)
        frames.append(waiting)
    if not frames:
        return pd.DataFrame(columns=columns)
    queue = pd.concat(frames, ignore_index=True).sort_values(["due_at", "lead_id"])
    return queue[columns].reset_index(drop=True)


def response_band(hours: np.ndarray) -> np.ndarray:
    """The response-time band of each follow-up in hours (NaN = never followed up).

    < 5 min, 5–60 min (up to but not including 60), 1–24 h (including 24 h), > 24 h.
    """
    hours = np.asarray(hours, dtype=float)
    conditions = [np.isnan(hours), hours < 5 / 60, hours < 1.0, hours <= 24.0]
    return np.select(conditions, [NEVER_BAND, *BAND_LABELS[:3]], default=BAND_LABELS[3]).astype(object)


def _follow_up_policy(policies: Policies, policy_id: str | None) -> Policy | None:
    if policy_id:
        policy = policies.get(policy_id)
        if policy.kind != "follow_up":
            raise ParameterError(f"policy {policy_id!r} is a {policy.kind} policy, not a follow-up policy")
        return policy
    follow_ups = policies.of_kind("follow_up")
    return follow_ups[0] if follow_ups else None


def _judged_follow_ups(params: dict, db_path: str) -> tuple[Policy | None, WindowEvaluation, MqlVerdicts | None]:
    """The chosen follow-up policy (on the chosen clock) and its verdicts on the window's MQLs."""
    window = evaluate_window(params, db_path)
    policy = _follow_up_policy(window.policies, params.get("policy_id"))
    if policy is None or window.as_of is None:
        return policy, window, None
    if params.get("clock") in CLOCKS and params["clock"] != policy.clock:
        policy = dataclasses.replace(policy, clock=params["clock"])
        return policy, window, _judged_verdicts(policy, window.mqls, window.policies.clock, window.as_of,
                                                window.db_path)
    return policy, window, window.verdicts[policy.id]


@db.computed_query(
    "sla__response_bands",
    "One row per response-time band of a follow-up policy (< 5 min, 5–60 min, 1–24 h, > 24 h, never; "
    "on the policy's clock): MQLs, their share, and how many reached SQL and Won. MQLs not followed "
    "up but still inside their window are left out.",
    FILTER_DECLARATIONS + POLICIES_DECLARATION
    + "-- $policy_id text = null  the follow-up policy; NULL = the first one"
    + "\n" + CLOCK_DECLARATION,
    cache_key=_policy_file_version,
)
def response_bands_query(params: dict, db_path: str) -> pd.DataFrame:
    """The effect of speed: conversion by response band."""
    policy, window, verdicts = _judged_follow_ups(params, db_path)
    if verdicts is None:
        judged = np.zeros(0, dtype=bool)
        hours, sql, won = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        judged = verdicts.status != PENDING
        resolved = ~np.isnat(verdicts.resolved_at[judged])
        hours = np.where(resolved, verdicts.measured[judged], np.nan)
        sql = window.mqls["reached_sql"].to_numpy(dtype=bool)[judged].astype(np.int64)
        won = window.mqls["reached_won"].to_numpy(dtype=bool)[judged].astype(np.int64)
    labels = [*BAND_LABELS, NEVER_BAND]
    # Each follow-up's band as a number (the order of `labels`), as `response_band` draws them.
    band = np.select([np.isnan(hours), hours < 5 / 60, hours < 1.0, hours <= 24.0], [4, 0, 1, 2], default=3)
    out = pd.DataFrame({
        "band": pd.array(labels, dtype="str"),
        "mql_count": np.bincount(band, minlength=len(labels)).astype(np.int64),
        "sql_count": np.bincount(band, weights=sql, minlength=len(labels)).astype(np.int64),
        "won_count": np.bincount(band, weights=won, minlength=len(labels)).astype(np.int64),
    })
    out.insert(0, "band_order", np.arange(1, len(labels) + 1))
    out.insert(0, "policy_id", policy.id if policy else None)
    out["share_rate"] = out["mql_count"] / max(int(out["mql_count"].sum()), 1)
    out["mql_to_sql_rate"] = out["sql_count"] / out["mql_count"].where(out["mql_count"] > 0)
    out["mql_to_won_rate"] = out["won_count"] / out["mql_count"].where(out["mql_count"] > 0)
    out["clock"] = policy.clock if policy else None
    columns = ["policy_id", "band_order", "band", "clock", "mql_count", "share_rate", "sql_count",
               "mql_to_sql_rate", "won_count", "mql_to_won_rate"]
    return out[columns] if policy else pd.DataFrame(columns=columns)


@db.computed_query(
    "sla__response_time",
    "One row: a follow-up policy's response time on its clock: MQLs, followed up, never followed up, "
    "still waiting inside the window, and the median and 90th percentile hours of those followed up.",
    FILTER_DECLARATIONS + POLICIES_DECLARATION
    + "-- $policy_id text = null  the follow-up policy; NULL = the first one"
    + "\n" + CLOCK_DECLARATION,
    cache_key=_policy_file_version,
)
def response_time_query(params: dict, db_path: str) -> pd.DataFrame:
    """Median and p90 speed to lead on the policy's clock."""
    policy, _, verdicts = _judged_follow_ups(params, db_path)
    columns = ["policy_id", "clock", "mql_count", "responded_count", "never_count", "waiting_count",
               "median_response_hours", "p90_response_hours"]
    if policy is None:
        return pd.DataFrame(columns=columns)
    if verdicts is None:
        total, responded, waiting = 0, pd.Series(dtype=float), 0
    else:
        is_resolved = ~np.isnat(verdicts.resolved_at)
        total = len(verdicts.status)
        responded = pd.Series(verdicts.measured[is_resolved].astype(float))
        waiting = int(((verdicts.status == PENDING) & ~is_resolved).sum())
    return pd.DataFrame([{
        "policy_id": policy.id, "clock": policy.clock, "mql_count": total,
        "responded_count": len(responded),
        "never_count": total - len(responded) - waiting, "waiting_count": waiting,
        "median_response_hours": float(responded.median()) if len(responded) else np.nan,
        "p90_response_hours": float(responded.quantile(0.9)) if len(responded) else np.nan,
    }], columns=columns)
