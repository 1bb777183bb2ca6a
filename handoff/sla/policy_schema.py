"""The policy file's schema (pydantic), and its errors in people's words.

The models below say what each table of the file may hold: every key, its type, its bounds and its
default; a key no model knows is an error. `read_policies` validates the file's data (TOML, or the
JSON of `Policies.to_text`) and builds the policies; pydantic's first error becomes one line that
names the key and the problem, e.g. `policies[1] (acceptance_decision).days: must be more than 0,
got -3` (`problem_of`, the one place where errors get their words).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from handoff.sla.clock import WEEKDAYS, Calendar, RegionalClock, countries, public_holidays
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

_ID = r"^[a-z][a-z0-9_]*$"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _error(kind: str, **ctx) -> PydanticCustomError:
    """A problem pydantic does not name itself; `problem_of` words it (by `kind`)."""
    return PydanticCustomError(kind, kind, ctx or None)


def _rule(problem: str, *at: str | int) -> PydanticCustomError:
    """A rule across keys broken, at the key `at` below the table that checks it."""
    return PydanticCustomError("rule", "{problem}", {"problem": problem, "at": at})


# ---------------------------------------------------------------------------------------------
# Values


def _text(value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        raise _error("text")
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise _error("whole_number")
    return int(value)


def _time_of_day(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    match = _TIME.match(value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
        raise _error("time_of_day")
    return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _error("time_zone") from None
    return value


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise _error("date")
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        raise _error("date") from None


def _removal(value: object) -> dt.date | str:
    """A public holiday worked anyway: a day (a date, or text like 2026-12-28), or a holiday's name."""
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value.strip()
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise _error("removal")
    return value


def _country(value: str) -> str:
    if value not in countries():
        raise _error("country")
    return value


def _weekday(value: object) -> object:
    if value not in WEEKDAYS:
        raise _error("weekday")
    return value


def _list(kind: str, non_empty: bool = False) -> Callable[[object], tuple]:
    """A list (of the kind `problem_of` names), as a tuple."""

    def check(value: object) -> tuple:
        if not isinstance(value, list) or (non_empty and not value):
            raise _error(kind)
        return tuple(value)

    return check


def _choice(*choices: str):
    return Annotated[Literal[choices], BeforeValidator(_text)]


Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, BeforeValidator(_text), StringConstraints(pattern=_ID)]
TimeZone = Annotated[str, BeforeValidator(_text), AfterValidator(_time_zone)]
Country = Annotated[str, BeforeValidator(_text), AfterValidator(_country)]
TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]
Dates = Annotated[tuple[Annotated[dt.date, BeforeValidator(_date)], ...], BeforeValidator(_list("dates"))]
Removals = Annotated[
    tuple[Annotated[dt.date | str, BeforeValidator(_removal)], ...], BeforeValidator(_list("removals"))
]
Weekdays = Annotated[
    tuple[Annotated[str, BeforeValidator(_weekday)], ...], BeforeValidator(_list("weekdays", non_empty=True))
]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Clock = _choice(*CLOCKS)
Team = _choice(*TEAMS)
Kind = _choice(*KINDS)
VolumeMetric = _choice(*VOLUME_METRICS)
MoneyMetric = _choice(*MONEY_METRICS)


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# ---------------------------------------------------------------------------------------------
# The tables


class _Scorecard(_Table):
    amber_points: Percent = 10.0


class _CalendarKeys(_Table):
    time_zone: TimeZone = "UTC"
    country: Country | None = None
    subdivision: Text | None = None
    opens: TimeOfDay = dt.time(9)
    closes: TimeOfDay = dt.time(17)
    days: Weekdays = WEEKDAYS[:5]
    holidays: Dates = ()  # days off besides the country's public holidays
    remove_holidays: Removals = ()  # public holidays of the country worked anyway: days or names

    @model_validator(mode="after")
    def _public_holidays(self) -> _CalendarKeys:
        """A subdivision or removed holiday belongs to the country named in the same table."""
        for key in ("subdivision", "remove_holidays"):
            if getattr(self, key) and self.country is None:
                raise _rule('needs a country in the same table (like country = "US")', key)
        known = countries()[self.country] if self.country else ()
        if self.subdivision is not None and self.subdivision not in known:
            raise _rule(
                f"is not a subdivision of {self.country} the holidays package knows (one of: "
                f"{', '.join(known) or 'none'}), got {self.subdivision!r}",
                "subdivision",
            )
        for index, removal in enumerate(self.remove_holidays):
            _check_removal(removal, self.country, self.subdivision, index)
        return self

    def keys(self) -> dict:
        return {key: getattr(self, key) for key in _CalendarKeys.model_fields}


class _Hours(_CalendarKeys):
    """[business_hours]: the working week of every region the file does not list."""

    @model_validator(mode="after")
    def _closes_after_opens(self) -> _Hours:
        _check_hours(self.opens, self.closes, ())
        return self


class _RegionHours(_CalendarKeys):
    """[regions.X]: a region's own calendar; what it leaves out comes from [business_hours] (checked
    with what it inherits, by `_PolicyFile`)."""

    time_zone: TimeZone

    def resolved(self, base: _Hours) -> dict:
        """The calendar's keys, each from this table or, left out, from `base`: the holidays typed in
        are both tables'; the public holidays are this table's country's, or without one, the base's."""
        keys = {
            key: getattr(self if key in self.model_fields_set else base, key)
            for key in ("opens", "closes", "days")
        }
        public = self if "country" in self.model_fields_set else base
        return {
            "time_zone": self.time_zone,
            **keys,
            "holidays": (*self.holidays, *base.holidays),
            "country": public.country,
            "subdivision": public.subdivision,
            "remove_holidays": public.remove_holidays,
        }


def _check_removal(removal: dt.date | str, country: str, subdivision: str | None, index: int) -> None:
    """A removed day must be a public holiday; a removed name, one of the country's holidays."""
    public = public_holidays(country, subdivision)
    where = country + (f" ({subdivision})" if subdivision else "")
    if isinstance(removal, dt.date):
        if removal not in public:
            raise _rule(f"{removal} is not a public holiday of {where}", "remove_holidays", index)
        return
    names = sorted(set().union(*public.values()))
    if removal not in names:
        close = difflib.get_close_matches(removal, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _rule(
            f"{removal!r} is not the name of a public holiday of {where}{hint}", "remove_holidays", index
        )


def _check_hours(opens: dt.time, closes: dt.time, at: tuple) -> None:
    if closes <= opens:
        raise _rule(f"must be after opens ({opens:%H:%M}), got {closes:%H:%M}", *at, "closes")


class _Tier(_Table):
    min_score: Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=100)]
    hours: Positive


class _Common(_Table):
    """The keys of every policy; on its own, the model of a policy whose kind is unknown."""

    model_config = ConfigDict(extra="ignore")  # its kind is the problem
    id: Id
    name: Text
    owner_team: Team
    kind: Kind
    goal_pct: Percent = 90.0

    def common(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "owner_team": self.owner_team,
            "kind": self.kind,
            "goal_pct": self.goal_pct,
        }


class _Kind(_Common):
    model_config = ConfigDict(extra="forbid")


class _FollowUp(_Kind):
    kind: Literal["follow_up"]
    clock: Clock = "business"
    tiers: Annotated[tuple[_Tier, ...], BeforeValidator(_list("tiers", non_empty=True))]

    @field_validator("tiers")
    @classmethod
    def _every_lead_has_one(cls, tiers: tuple[_Tier, ...]) -> tuple[_Tier, ...]:
        scores = [tier.min_score for tier in tiers]
        if len(set(scores)) != len(scores):
            raise _rule(f"two tiers share a min_score ({', '.join(map(str, scores))})")
        if 0 not in scores:
            raise _rule("needs a tier with min_score = 0, so every lead has a deadline")
        return tiers

    def policy(self) -> Policy:
        tiers = sorted((Tier(tier.min_score, tier.hours) for tier in self.tiers), key=lambda t: -t.min_score)
        return Policy(**self.common(), clock=self.clock, tiers=tuple(tiers))


class _AcceptanceDecision(_Kind):
    kind: Literal["acceptance_decision"]
    days: Positive
    clock: Clock = "wall"

    def policy(self) -> Policy:
        return Policy(**self.common(), days=self.days, clock=self.clock)


class _Target(_Kind):
    metric: VolumeMetric = "mqls"
    target_team: Team = "marketing"
    per_segment: bool = True
    min_attainment_pct: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = 100.0

    def policy(self) -> Policy:
        return Policy(
            **self.common(),
            metric=self.metric,
            target_team=self.target_team,
            per_segment=self.per_segment,
            min_attainment_pct=self.min_attainment_pct,
        )


class _Volume(_Target):
    kind: Literal["volume"]


class _Pipeline(_Target):
    kind: Literal["pipeline"]
    metric: MoneyMetric = "pipeline"


class _Quality(_Kind):
    kind: Literal["quality"]
    min_acceptance_pct: Percent
    settle_days: Annotated[float, Field(ge=0, le=366, allow_inf_nan=False)] = 7.0

    def policy(self) -> Policy:
        return Policy(
            **self.common(), min_acceptance_pct=self.min_acceptance_pct, settle_days=self.settle_days
        )


_KIND_MODELS: dict[str, type[_Common]] = {
    "follow_up": _FollowUp,
    "acceptance_decision": _AcceptanceDecision,
    "volume": _Volume,
    "quality": _Quality,
    "pipeline": _Pipeline,
    "unknown": _Common,
}


def _kind_of(value: object) -> str:
    kind = value.get("kind") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) and kind in KINDS else "unknown"


AnyPolicy = Annotated[
    Annotated[_FollowUp, Tag("follow_up")]
    | Annotated[_AcceptanceDecision, Tag("acceptance_decision")]
    | Annotated[_Volume, Tag("volume")]
    | Annotated[_Quality, Tag("quality")]
    | Annotated[_Pipeline, Tag("pipeline")]
    | Annotated[_Common, Tag("unknown")],
    Discriminator(_kind_of),
]


class _PolicyFile(_Table):
    scorecard: _Scorecard = _Scorecard()
    business_hours: _Hours = _Hours()
    regions: dict[str, _RegionHours] = {}
    policies: Annotated[tuple[AnyPolicy, ...], BeforeValidator(_list("policies", non_empty=True))]

    @field_validator("regions")
    @classmethod
    def _regions(cls, regions: dict[str, _RegionHours], info: ValidationInfo) -> dict[str, _RegionHours]:
        base = info.data.get("business_hours")
        for name, region in regions.items() if base is not None else ():
            hours = region.resolved(base)
            _check_hours(hours["opens"], hours["closes"], (name,))
        return regions

    @field_validator("policies")
    @classmethod
    def _unique_ids(cls, policies: tuple[_Common, ...]) -> tuple[_Common, ...]:
        seen = set()
        for index, policy in enumerate(policies):
            if policy.id in seen:
                raise _rule(f"{policy.id!r} is used by an earlier policy; ids must be unique", index, "id")
            seen.add(policy.id)
        return policies


# ---------------------------------------------------------------------------------------------
# Building the policies, and the errors in words


def read_policies(data: object) -> Policies:
    """The policies of the file's data (a dict from TOML or JSON); PolicyError naming the key and the
    problem (without the source, which the caller puts in front)."""
    try:
        file = _PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(problem_of(exc.errors()[0], data)) from None
    base = _calendar(file.business_hours.keys())
    calendars = {
        name: _calendar(region.resolved(file.business_hours)) for name, region in file.regions.items()
    }
    return Policies(
        tuple(policy.policy() for policy in file.policies),
        RegionalClock(calendars, base),
        file.scorecard.amber_points,
    )


def _calendar(keys: dict) -> Calendar:
    days = tuple(day for day in WEEKDAYS if day in keys["days"])
    removals = set(keys["remove_holidays"])
    removed = (
        *sorted(day for day in removals if isinstance(day, dt.date)),
        *sorted(name for name in removals if isinstance(name, str)),
    )  # days first, then names
    holidays = tuple(sorted(set(keys["holidays"])))
    return Calendar(
        keys["time_zone"],
        keys["opens"],
        keys["closes"],
        days,
        holidays,
        keys["country"],
        keys["subdivision"],
        removed,
    )


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _choices(error: dict) -> str:
    return ", ".join(re.findall(r"'[^']*'", error["ctx"]["expected"]))


# What is wrong, by pydantic's error type (its own, or `_error`'s kinds), from the error's input.
_PROBLEMS: dict[str, Callable[[dict], str]] = {
    "missing": lambda e: "is missing",
    "text": lambda e: f"must be a non-empty string, got {_describe(e['input'])}",
    "literal_error": lambda e: f"must be one of {_choices(e)}, got {e['input']!r}",
    "string_pattern_mismatch": lambda e: (
        f"must be lower-case letters, digits and underscores, starting with a letter; got {e['input']!r}"
    ),
    "float_type": lambda e: f"must be a number, got {_describe(e['input'])}",
    "whole_number": lambda e: f"must be a whole number, got {_describe(e['input'])}",
    "finite_number": lambda e: f"must be a finite number, got {e['input']!r}",
    "greater_than_equal": lambda e: f"must be at least {e['ctx']['ge']:g}, got {e['input']:g}",
    "greater_than": lambda e: f"must be more than {e['ctx']['gt']:g}, got {e['input']:g}",
    "less_than_equal": lambda e: f"must be at most {e['ctx']['le']:g}, got {e['input']:g}",
    "bool_type": lambda e: f"must be true or false, got {_describe(e['input'])}",
    "time_of_day": lambda e: f'must be a time of day like "09:00", got {_describe(e["input"])}',
    "time_zone": lambda e: (
        f'is not a time zone the tz database knows (like "Europe/London"), got {e["input"]!r}'
    ),
    "country": lambda e: (
        'is not a country the holidays package knows (an ISO 3166 code like "US" or "GB"), '
        f"got {e['input']!r}"
    ),
    "dates": lambda e: f"must be a list of dates like 2026-12-25, got {_describe(e['input'])}",
    "date": lambda e: f"must be a date like 2026-12-25, got {_describe(e['input'])}",
    "removals": lambda e: f"must be a list of dates or holiday names, got {_describe(e['input'])}",
    "removal": lambda e: (
        'must be a date like 2026-12-25 or a holiday\'s name like "Columbus Day", '
        f"got {_describe(e['input'])}"
    ),
    "weekdays": lambda e: (
        f'must be a non-empty list of days like ["mon", "tue"], got {_describe(e["input"])}'
    ),
    "weekday": lambda e: f"must be one of {', '.join(WEEKDAYS)}, got {_describe(e['input'])}",
    "tiers": lambda e: (
        f"must be a non-empty list like [{{ min_score = 0, hours = 24 }}], got {_describe(e['input'])}"
    ),
    "policies": lambda e: f"must be a non-empty list of [[policies]] tables, got {_describe(e['input'])}",
    "model_type": lambda e: f"must be a table, got {_describe(e['input'])}",
    "model_attributes_type": lambda e: f"must be a table, got {_describe(e['input'])}",
    "dict_type": lambda e: f"must be a table, got {_describe(e['input'])}",
    "rule": lambda e: e["ctx"]["problem"],
}


def problem_of(error: dict, data: object) -> str:
    """One pydantic error in words: the key path (`policies[0] (follow_up).tiers[1].hours`) and what
    is wrong with it; `data` is what was validated (for the policy ids in the path)."""
    loc = error["loc"]
    if error["type"] == "extra_forbidden":
        return _unknown_key(loc, data)
    where = _path(_untagged(loc) + tuple(error.get("ctx", {}).get("at", ())), data)
    problem = _PROBLEMS.get(error["type"], lambda e: e["msg"])(error)
    return f"{where}: {problem}" if where else problem


def _unknown_key(loc: tuple, data: object) -> str:
    """`where: unknown key 'x' (expected one of: …; did you mean 'y'?)` for a key no model knows."""
    *table, key = loc
    expected = sorted(_model_at(tuple(table)).model_fields)
    close = difflib.get_close_matches(str(key), expected, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    where = _path(_untagged(tuple(table)), data)
    problem = f"unknown key {key!r} (expected one of: {', '.join(expected)}{hint})"
    return f"{where}: {problem}" if where else problem


def _model_at(loc: tuple) -> type[BaseModel]:
    """The model of the table at a (tagged) error location."""
    if not loc:
        return _PolicyFile
    if loc[0] == "policies":
        return _Tier if "tiers" in loc else _KIND_MODELS[loc[2]]
    return {"scorecard": _Scorecard, "business_hours": _Hours, "regions": _RegionHours}[loc[0]]


def _untagged(loc: tuple) -> tuple:
    """The location without the policy's kind, which pydantic puts after its index."""
    return loc[:2] + loc[3:] if len(loc) > 2 and loc[0] == "policies" else loc


def _path(loc: tuple, data: object) -> str:
    """`policies[1] (acceptance_decision).days`: a policy is named by its id, if it has a good one
    (except where the id itself is the problem)."""
    text = ""
    if len(loc) >= 2 and loc[0] == "policies":
        text = f"policies[{loc[1]}]"
        policy_id = _policy_id(data, loc[1])
        if policy_id and loc[2:3] != ("id",):
            text += f" ({policy_id})"
        loc = loc[2:]
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _policy_id(data: object, index: int) -> str | None:
    policies = data.get("policies") if isinstance(data, dict) else None
    policy = policies[index] if isinstance(policies, list) and index < len(policies) else None
    policy_id = policy.get("id") if isinstance(policy, dict) else None
    return policy_id if isinstance(policy_id, str) and re.match(_ID, policy_id) else None
