"""The policy model: what each team promised, the business-hours clock the promises count on, and
the colour rule; each policy's rule and durations in words.

The bottom of the package after the clock: `policy_file` reads these from the file people edit,
`what_if` changes their thresholds, `judging` and `window` judge the data against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handoff.charts import fmt_hours
from handoff.errors import HandoffError, ParameterError
from handoff.sla.clock import Calendar, RegionalClock

KINDS = ("follow_up", "acceptance_decision", "volume", "quality", "pipeline")
MQL_KINDS = ("follow_up", "acceptance_decision")  # one item per MQL
PERIOD_KINDS = ("volume", "quality", "pipeline")  # one item per month (and segment)
TEAMS = ("sales", "marketing")
CLOCKS = ("business", "wall")
VOLUME_METRICS = ("mqls", "sals", "sqls")
MONEY_METRICS = ("pipeline", "bookings")
STATUSES = ("met", "breached", "pending")


class PolicyError(HandoffError):
    """The policy file (or policy text) is malformed; the message names the key and the problem."""


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
    out = {
        "time_zone": cal.time_zone,
        "opens": cal.opens.strftime("%H:%M:%S" if cal.opens.second else "%H:%M"),
        "closes": cal.closes.strftime("%H:%M:%S" if cal.closes.second else "%H:%M"),
        "days": list(cal.days),
        "holidays": [day.isoformat() for day in cal.holidays],
    }
    if cal.country is not None:  # public holidays: named, not listed
        out["country"] = cal.country
        if cal.subdivision is not None:
            out["subdivision"] = cal.subdivision
        out["remove_holidays"] = [day if isinstance(day, str) else day.isoformat() for day in cal.removed]
    return out


def _policy_dict(policy: Policy) -> dict:
    out: dict = {
        "id": policy.id,
        "name": policy.name,
        "owner_team": policy.owner_team,
        "kind": policy.kind,
        "goal_pct": policy.goal_pct,
    }
    if policy.kind == "follow_up":
        out["clock"] = policy.clock
        out["tiers"] = [{"min_score": tier.min_score, "hours": tier.hours} for tier in policy.tiers]
    elif policy.kind == "acceptance_decision":
        out.update(days=policy.days, clock=policy.clock)
    elif policy.kind in ("volume", "pipeline"):
        out.update(
            metric=policy.metric,
            target_team=policy.target_team,
            per_segment=policy.per_segment,
            min_attainment_pct=policy.min_attainment_pct,
        )
    elif policy.kind == "quality":
        out.update(min_acceptance_pct=policy.min_acceptance_pct, settle_days=policy.settle_days)
    return out


# ---------------------------------------------------------------------------------------------
# In words


def describe_rule(policy: Policy) -> str:
    """The policy's rule in one line, in the business's words."""
    unit = "business h" if policy.clock == "business" else "h"
    if policy.kind == "follow_up":
        parts = [
            f"{_num(t.hours)} {unit}" + (f" (score ≥ {t.min_score})" if t.min_score else " (others)")
            for t in policy.tiers
        ]
        return "First sales touch within " + ", ".join(parts)
    if policy.kind == "acceptance_decision":
        days = "business days" if policy.clock == "business" else "days"
        return f"Accepted or rejected with a reason within {_num(policy.days)} {days}"
    if policy.kind in ("volume", "pipeline"):
        what = {
            "mqls": "MQLs",
            "sals": "SALs",
            "sqls": "SQLs",
            "pipeline": "pipeline created",
            "bookings": "bookings",
        }[policy.metric]
        if policy.kind == "pipeline" and policy.target_team == "marketing":
            what = f"marketing-sourced {what}"
        scope = " (total and each segment with a target)" if policy.per_segment else ""
        share = _num(policy.min_attainment_pct)
        return f"Monthly {what} ≥ {share} % of the {policy.target_team} target{scope}"
    return (
        f"Monthly MQL acceptance ≥ {_num(policy.min_acceptance_pct)} % of decided MQLs "
        f"(judged {_num(policy.settle_days)} days after the month)"
    )


def _num(value: float) -> str:
    return f"{value:g}"


def hours_text(hours: float, clock: str) -> str:
    """A duration for people, saying which clock: '12 min', '3.2 h', '4.5 d', '30 business h'."""
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
