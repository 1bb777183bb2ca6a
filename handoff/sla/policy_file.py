"""Reading the policy file: text to validated policies, the file loaded, the last good policies kept.

Policies live in `data/sla_policies.toml`, a file people edit. `load_policies` validates it and
names the key that is wrong; `load_policies_or_last_good` keeps the last good policies in use when
the file breaks, so the page keeps working. The pages hand the `sla__*` queries the policies as
text (`Policies.to_text`); `policies_from_param` reads that text, or the file when there is none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import tomllib
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handoff import cache
from handoff.paths import DATA_DIR, ROOT
from handoff.sla.clock import WEEKDAYS, Calendar, RegionalClock
from handoff.sla.policies import (
    CLOCKS,
    KINDS,
    MONEY_METRICS,
    TEAMS,
    VOLUME_METRICS,
    Policies,
    Policy,
    PolicyError,
    Tier,
)

# Read at each call (never imported by value), so a test or a tool may point it elsewhere.
POLICY_FILE = DATA_DIR / "sla_policies.toml"

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
    return _PARSED.get(text) or _PARSED.put(text, _parse_policies(text, source))


_PARSED = cache.Cache("sla.parsed_policies", max_items=32)


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


# Not a cache: the policies that stay in use while the file is broken must not be forgotten to make
# room (one entry per policy file).
_last_good: dict[str, tuple[Policies, float]] = {}
_last_good_lock = threading.Lock()


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def file_version() -> tuple[str, int | None]:
    """The policy file and its modification time (None if it is missing): what is computed from the
    file is computed again when someone edits it."""
    try:
        return str(POLICY_FILE), POLICY_FILE.stat().st_mtime_ns
    except OSError:
        return str(POLICY_FILE), None


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
