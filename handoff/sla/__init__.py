"""SLA compliance, both directions: the policy file, the business-hours clock and the `sla__*` queries.

The package's modules build on each other one way (each imports only those above it):

- `clock`: the business-hours clock, each region's working week and public holidays;
- `policies`: the policy model (policies, tiers, calendars, the colour rule) and its rules in words;
- `policy_file`: the policy file read and validated, the last good policies kept when it breaks;
- `what_if`: the thresholds a page may change (never saved);
- `judging`: each policy's items with a status (met, breached, pending), on whole columns;
- `window`: one window of filters judged once, kept, and cut out of wider ones;
- `scorecard`: the contract table and the scorecard from counts;
- `queries`: the computed `sla__*` queries of the scorecard and the effect of speed (registered with
  the runner on import), and the declarations every `sla__*` query shares;
- `lists`: the computed `sla__*` lists: compliance per rep and per source, the breach list, the live
  queue (registered on import too);
- `view`: what the SLA page shows (headings, badges, tables for people, charts).

Importing `handoff.sla` registers the queries and offers the names callers use, below. The policy
file is `handoff.sla.policy_file.POLICY_FILE`, read at each call: set it there to point elsewhere.
"""

from handoff.sla import lists  # noqa: F401  (registers the sla__* lists)
from handoff.sla.judging import (
    ITEM_COLUMNS,
    MqlVerdicts,
    count_statuses,
    evaluate,
    evaluate_mql_policy,
    evaluate_quality_policy,
    evaluate_target_policy,
    judge_mqls,
    month_start,
    quality_months,
)
from handoff.sla.policies import (
    CLOCKS,
    KINDS,
    MQL_KINDS,
    PERIOD_KINDS,
    STATUSES,
    TEAMS,
    Policies,
    Policy,
    PolicyError,
    Tier,
    answered_before_opening,
    describe_rule,
    hours_text,
    response_text,
)
from handoff.sla.policy_file import (
    POLICY_FILE,
    PolicyLoad,
    default_policies,
    load_policies,
    load_policies_or_last_good,
    parse_policies,
    policies_from_param,
)
from handoff.sla.queries import BAND_LABELS, NEVER_BAND, response_band
from handoff.sla.scorecard import scorecard
from handoff.sla.view import for_people
from handoff.sla.what_if import Threshold, apply_thresholds, editable_thresholds
from handoff.sla.window import WindowEvaluation, clear_caches, evaluate_window, latest_timestamp

__all__ = [
    "BAND_LABELS",
    "CLOCKS",
    "ITEM_COLUMNS",
    "KINDS",
    "MQL_KINDS",
    "NEVER_BAND",
    "PERIOD_KINDS",
    "POLICY_FILE",
    "STATUSES",
    "TEAMS",
    "MqlVerdicts",
    "Policies",
    "Policy",
    "PolicyError",
    "PolicyLoad",
    "Threshold",
    "Tier",
    "WindowEvaluation",
    "answered_before_opening",
    "apply_thresholds",
    "clear_caches",
    "count_statuses",
    "default_policies",
    "describe_rule",
    "editable_thresholds",
    "evaluate",
    "evaluate_mql_policy",
    "evaluate_quality_policy",
    "evaluate_target_policy",
    "evaluate_window",
    "for_people",
    "hours_text",
    "judge_mqls",
    "latest_timestamp",
    "load_policies",
    "load_policies_or_last_good",
    "month_start",
    "parse_policies",
    "policies_from_param",
    "quality_months",
    "response_band",
    "response_text",
    "scorecard",
]
