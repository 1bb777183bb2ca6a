"""What-if: the thresholds a page may change to see compliance recompute (never saved)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from handoff.sla.policies import CLOCKS, Policies, Policy, Tier


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


def _maker(p: Policy) -> Callable[..., Threshold]:
    """A maker of policy `p`'s thresholds: each keyed and labelled with the policy's id and name."""

    def make(field, label, value, **kw):
        return Threshold(f"sla_{p.id}_{field}", p.id, field, f"{p.name}: {label}", value, **kw)

    return make


def _follow_up_thresholds(p: Policy) -> list[Threshold]:
    """A follow-up policy's thresholds: the hours of each tier, then the clock."""
    make = _maker(p)
    tiers = [
        make(
            f"tier_{index}_hours",
            f"hours ({who})",
            tier.hours,
            minimum=0.05,
            maximum=720.0,
            step=0.5,
            help=f"First sales touch within this many {p.clock} hours of mql_at, for {who}.",
        )
        for index, tier in enumerate(p.tiers)
        for who in [f"score ≥ {tier.min_score}" if tier.min_score else "other leads"]
    ]
    clock = make(
        "clock",
        "clock",
        p.clock,
        choices=CLOCKS,
        help="business: only the region's working hours count; wall: every hour counts.",
    )
    return [*tiers, clock]


def _thresholds_of(p: Policy) -> list[Threshold]:
    """The thresholds of policy `p` that a what-if may change, by its kind."""
    if p.kind == "follow_up":
        return _follow_up_thresholds(p)
    make = _maker(p)
    if p.kind == "acceptance_decision":
        return [
            make(
                "days",
                "days to decide",
                p.days,
                minimum=0.1,
                maximum=90.0,
                step=0.5,
                help="Accepted (sal_at) or rejected with a reason within this many days of mql_at.",
            )
        ]
    if p.kind in ("volume", "pipeline"):
        return [
            make(
                "min_attainment_pct",
                "% of target",
                p.min_attainment_pct,
                minimum=1.0,
                maximum=200.0,
                step=5.0,
                help="A month meets the policy when the actual reaches this share of its target.",
            )
        ]
    return [
        make(
            "min_acceptance_pct",
            "min acceptance %",
            p.min_acceptance_pct,
            minimum=0.0,
            maximum=100.0,
            step=1.0,
            help="A month meets the policy when accepted / (accepted + rejected) reaches this.",
        )
    ]


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
            updates["tiers"] = tuple(
                Tier(t.min_score, float(edits.get(f"tier_{i}_hours", t.hours)))
                for i, t in enumerate(policy.tiers)
            )
        if "days" in edits:
            updates["days"] = float(edits["days"])
        for field in ("min_attainment_pct", "min_acceptance_pct"):
            if field in edits:
                updates[field] = float(edits[field])
        changed.append(dataclasses.replace(policy, **updates))
    return dataclasses.replace(policies, policies=tuple(changed))
