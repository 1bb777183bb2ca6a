"""Blame-free attribution: every model over the same journeys, credit to the cent.

A deal's journey is its lead's touches up to the conversion point (deals.closed_at of won deals
for basis revenue, deals.created_at for basis pipeline). `queries/attribution__touch_weights.sql`
gives each touch its roles and its weight under the seven rule-based models; the Markov chain
(`attribution__channel_transitions.sql`, solved with numpy) and the Shapley value are played over
channels and handed down to the touches, so every model rolls up to channel, campaign and team the
same way. Deals with no touch before the conversion point go to the `unattributed` key. Credits
are rounded with the largest-remainder method so each model sums to the scope's total to the cent.

The journeys, their weights and the Markov chain's visits are built once, when the database is
written (`handoff/derived/20_attribution_journeys.sql`); the queries scan a window's rows of it. The
models read them as numbers (`attribution__journey_touches`, `attribution__journey_keys`: one load
per scope, cached and shared by every level and model), the totals and the deal picker one row per
deal (`attribution__journey_deals`), the receipt only its deal's touches.

Computed queries: attribution__credit (the contract), attribution__receipt (one deal, every
model), attribution__deals (the scope's deals) and attribution__scope_totals. Command: `python -m handoff attribution-paths FILE.csv`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from handoff import db
from handoff.attribution_models import (
    MODEL_LABELS,
    MODELS,
    POPULATION_MODELS,
    RULE_MODELS,
    THIN_JOURNEYS,
    UNATTRIBUTED,
    markov_removal_effects,
    round_groups_to_cents,
    shapley,
)

LEVELS = ("channel", "campaign", "team")
BASES = ("revenue", "pipeline")
NO_CAMPAIGN = "(no campaign)"
SCOPE_PARAMS = ("basis", "start", "end", "segments", "regions", "channels", "teams", "owners", "campaigns")

_SCOPE_DECLARATIONS = """\
-- $basis      text in (revenue, pipeline) = revenue   revenue: won deals by closed_at; pipeline: deals by created_at
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
"""


def _scope(params: dict) -> dict:
    return {name: params[name] for name in SCOPE_PARAMS if name in params}


def journey_deals(params: dict, db_path) -> pd.DataFrame:
    """attribution__journey_deals: the scope's deals, one row each (cached by the runner)."""
    return db.run_query("attribution__journey_deals", db=db_path, **_scope(params))


def removal_effects(params: dict, db_path) -> pd.Series:
    """Each channel's Markov removal effect over the scope's converting and non-converting journeys."""
    transitions = db.run_query("attribution__channel_transitions", db=db_path, **_scope(params))
    effects, _ = markov_removal_effects(transitions)
    return effects


class Journeys:
    """The scope's journey rows as the models read them: attribution__journey_touches (numbers only,
    in attribution__touch_weights' order) and the names of its touch keys (attribution__journey_keys).

    `channel` is each attributed row's channel as a number in sorted name order (`channels` names
    them), so grouping on it sums the same rows in the same order as grouping on the names would.
    """

    def __init__(self, rows: pd.DataFrame, keys: pd.DataFrame) -> None:
        self.rows = rows
        self.keys = keys.set_index("touch_key")
        self.attributed = rows["touch_key"].notna().to_numpy()
        key = rows["touch_key"].to_numpy()
        self.key = np.where(self.attributed, np.nan_to_num(key, nan=0), -1).astype(np.int64)
        self.channels = sorted(self.keys["channel"].unique())
        channel_of_key = pd.Series(range(len(self.channels)), index=self.channels).reindex(
            self.keys["channel"]).to_numpy()
        lookup = np.zeros(int(self.keys.index.max()) + 1 if len(self.keys) else 0, dtype=np.int64)
        lookup[self.keys.index.to_numpy()] = channel_of_key
        self.channel = np.where(self.attributed, lookup[np.maximum(self.key, 0)] if len(lookup) else -1, -1)
        self.amount = rows["amount_cents"].to_numpy()
        self.deal = rows["deal_number"].to_numpy()

    @classmethod
    def load(cls, params: dict, db_path) -> Journeys:
        return cls(db.run_query("attribution__journey_touches", db=db_path, **_scope(params)),
                   db.run_query("attribution__journey_keys", db=db_path, **_scope(params)))

    @property
    def empty(self) -> bool:
        return self.rows.empty

    def total_cents(self) -> int:
        """What every model shares out: the amount of each deal once."""
        return int(self.rows["amount_cents"][self.rows["touch_number"].to_numpy() <= 1].sum())

    def level_groups(self, level: str) -> tuple[np.ndarray, pd.MultiIndex]:
        """What each row rolls up to at `level`: a group number per row, and each group's (key, team);
        unattributed rows are the group (`unattributed`, `unattributed`)."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        names = {"channel": self.keys["channel"], "campaign": self.keys["campaign_id"].fillna(NO_CAMPAIGN),
                 "team": self.keys["team"]}[level]
        slots = (int(self.keys.index.max()) + 1 if len(self.keys) else 0) + 1  # the last: unattributed
        key_names = np.full(slots, UNATTRIBUTED, dtype=object)
        team_names = key_names.copy()
        key_names[self.keys.index.to_numpy()] = names.astype(object).to_numpy()
        team_names[self.keys.index.to_numpy()] = self.keys["team"].astype(object).to_numpy()
        slot_group, groups = pd.MultiIndex.from_arrays([key_names, team_names], names=["key", "team"]).factorize()
        return slot_group[self.key], groups  # key -1 picks the last slot


# ---------------------------------------------------------------------------------------------
# Credit per touch under every model


def _journey_shapes(deal: pd.Series, channel: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Per attributed touch: the deal's amount, its distinct channels and this channel's touches.

    Counted on numbers (any deal and channel values): each (deal, channel) pair is one bin."""
    shapes = pd.DataFrame({"deal_id": deal, "channel": channel, "amount_cents": amount})
    deal_code, deal_names = pd.factorize(deal.to_numpy())
    channel_code, channel_names = pd.factorize(channel.to_numpy())
    pair = deal_code * len(channel_names) + channel_code
    pair_touches = np.bincount(pair, minlength=len(deal_names) * len(channel_names))
    shapes["channel_touches"] = pair_touches[pair]
    deal_channels = (pair_touches.reshape(len(deal_names), len(channel_names)) > 0).sum(axis=1)
    shapes["deal_channels"] = deal_channels[deal_code]
    return shapes


def touch_credit(journeys: Journeys, models, effects=None) -> pd.DataFrame:
    """Exact (unrounded) cents each journey row earns under `models`; one column per model.

    Rule-based models: the deal's amount times the touch's weight. Markov: the attributed total
    shared by the channels' removal effects (`effects`, a function giving them, is called only for
    Markov), Shapley: the Shapley value of each channel (players: the channels of the converting
    journeys; a coalition is worth the amount of the journeys that touched only its channels). A
    channel's Markov or Shapley credit then goes to its touches: each journey through the channel
    in proportion to its amount (Shapley: its amount over its distinct channels), split equally over
    the journey's touches of that channel. Unattributed rows keep their deal's whole amount under
    every model.
    """
    rows = journeys.rows
    amount = rows["amount_cents"].to_numpy(dtype=float)
    credit = pd.DataFrame({model: amount * rows[f"{model}_weight"].to_numpy()
                           for model in models if model in RULE_MODELS}, index=rows.index)
    population = [m for m in models if m in POPULATION_MODELS]
    for model in population:
        credit[model] = np.where(journeys.attributed, 0.0, amount)
    attributed = journeys.attributed
    if not population or not attributed.any():
        return credit[list(models)]
    index = rows.index[attributed]
    shapes = _journey_shapes(pd.Series(journeys.deal[attributed], index=index),
                             pd.Series(journeys.channel[attributed], index=index),
                             pd.Series(journeys.amount[attributed], index=index))
    deals = shapes.drop_duplicates("deal_id")
    present = np.unique(shapes["channel"].to_numpy())  # the channels by number, in name order
    equal = 1.0 / shapes["channel_touches"]

    if "markov" in models:
        # Markov: the attributed total shared by removal effect, among channels that converted.
        named = effects().reindex([journeys.channels[c] for c in present], fill_value=0.0)
        effect = pd.Series(named.to_numpy(), index=present)
        share = effect / effect.sum() if effect.sum() > 0 else pd.Series(1.0 / len(present), index=present)
        channel_credit = deals["amount_cents"].sum() * share
        per_journey = shapes["amount_cents"] / shapes["channel_touches"]
        credit.loc[index, "markov"] = _hand_down(channel_credit, shapes["channel"], per_journey, equal)

    if "shapley" in models:
        # Shapley over channels, handed down by each journey's equal split.
        bits = pd.Series(1 << np.arange(len(present), dtype=np.int64), index=present)
        distinct = shapes.drop_duplicates(["deal_id", "channel"])
        masks = bits.reindex(distinct["channel"]).groupby(distinct["deal_id"].to_numpy()).sum()
        worth = deals.set_index("deal_id")["amount_cents"].reindex(masks.index).to_numpy(dtype=float)
        values = pd.Series(shapley(masks.to_numpy(), worth, len(present))[:, 0], index=present)
        per_journey = shapes["amount_cents"] / shapes["deal_channels"] / shapes["channel_touches"]
        credit.loc[index, "shapley"] = _hand_down(values, shapes["channel"], per_journey, equal)
    return credit[list(models)]


def _hand_down(channel_credit: pd.Series, channel: pd.Series, weight: pd.Series,
               fallback: pd.Series) -> np.ndarray:
    """Share each channel's credit among its touches in proportion to `weight`, or to `fallback`
    for a channel whose touches all weigh 0 (journeys of zero amount still carry Markov credit)."""
    weight = weight.where(weight.groupby(channel).transform("sum") > 0, fallback)
    total = weight.groupby(channel).transform("sum")
    return channel_credit.reindex(channel).to_numpy() * (weight / total).to_numpy()


# ---------------------------------------------------------------------------------------------
# Computed queries


def _models(params: dict) -> tuple[str, ...]:
    return MODELS if params["model"] in (None, "all") else (params["model"],)


_MODEL_DECLARATION = "-- $model      text in (all, " + ", ".join(MODELS) + ") = all   one model or all of them\n"


@db.computed_query(
    "attribution__touch_credit",
    "One row per row of attribution__journey_touches (same scope, same order): the exact, unrounded cents "
    "it earns under the model asked, or under every model (one column per model). What attribution__credit "
    "rolls up to channel, campaign or team, computed once per scope and model.",
    _MODEL_DECLARATION + _SCOPE_DECLARATIONS,
)
def touch_credit_query(params: dict, db_path) -> pd.DataFrame:
    """touch_credit over the scope's journeys, for the runner to cache."""
    return touch_credit(Journeys.load(params, db_path), _models(params),
                        effects=lambda: removal_effects(params, db_path))


@db.computed_query(
    "attribution__credit",
    "One row per (model, key, team): the credit a channel, campaign or team earns under an "
    "attribution model, in USD and as a share of the scope's revenue (won deals closed in the window) or "
    "pipeline (deals created in the window). Each model's credits sum to the scope's total to the cent; "
    "deals with no touch before the conversion point are the key `unattributed`.",
    _MODEL_DECLARATION + "-- $level      text in (channel, campaign, team) = channel   what credit rolls up to\n"
    + _SCOPE_DECLARATIONS,
)
def credit(params: dict, db_path) -> pd.DataFrame:
    """The contract query: model, level, key, team, credit_usd, share_rate."""
    columns = ["model", "level", "key", "team", "credit_usd", "share_rate"]
    journeys = Journeys.load(params, db_path)
    if journeys.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.endswith(("_usd", "_rate")) else "str")
                             for c in columns})
    models = _models(params)
    # Per row, shared by every level (the runner caches it per scope and model).
    per_touch = db.run_query("attribution__touch_credit", db=db_path, model=params["model"], **_scope(params))
    group, names = journeys.level_groups(params["level"])
    grouped = per_touch.groupby(group).sum()  # each group's rows summed in row order, as by name
    grouped.index = pd.MultiIndex.from_arrays([names.get_level_values(0).astype("str")[grouped.index],
                                               names.get_level_values(1).astype("str")[grouped.index]],
                                              names=["key", "team"])
    long = grouped.reset_index().melt(id_vars=["key", "team"], var_name="model", value_name="exact_cents")
    total_cents = journeys.total_cents()
    long = long.sort_values(["model", "exact_cents", "key", "team"], ascending=[True, False, True, True])
    cents = round_groups_to_cents(long["exact_cents"], long["model"], pd.Series(total_cents, index=list(models)))
    long["credit_usd"] = cents / 100.0
    long["share_rate"] = cents / total_cents if total_cents else 0.0
    long["level"] = params["level"]
    long["model_order"] = long["model"].map({m: i for i, m in enumerate(MODELS)})
    long = long.sort_values(["model_order", "credit_usd", "key", "team"], ascending=[True, False, True, True])
    return long[columns].reset_index(drop=True)


ROLE_NAMES = (("is_first", "first"), ("is_lead_creation", "lead_creation"),
              ("is_opportunity_creation", "opportunity_creation"), ("is_closing", "closing"))


def touch_roles(touches: pd.DataFrame) -> pd.Series:
    """Each touch's roles joined by ' + ' (e.g. 'first + lead_creation'); 'middle' if none."""
    labels = pd.Series("", index=touches.index, dtype="str")
    for column, name in ROLE_NAMES:
        flag = touches[column].fillna(False).astype(bool)
        labels = labels.where(~flag, labels + np.where(labels == "", "", " + ") + name)
    labels = labels.where(labels != "", "middle")
    return labels.where(touches["touch_id"].notna(), UNATTRIBUTED)


@db.computed_query(
    "attribution__receipt",
    "One row per touch of one deal's journey: when, channel, campaign, team, its roles (first, "
    "lead_creation, opportunity_creation, closing or middle) and its credit in USD under every model "
    "(one `<model>_usd` column each, each column summing to the deal's amount to the cent). Markov and "
    "Shapley are shared within the deal: by its channels' removal effects, and equally among its distinct "
    "channels. Without $deal_id, the largest deal in scope.",
    "-- $deal_id    text = null   the deal; NULL = the largest deal in scope\n" + _SCOPE_DECLARATIONS,
)
def receipt(params: dict, db_path) -> pd.DataFrame:
    """A per-deal receipt: each touch and its credit under every model."""
    deal_id = params.get("deal_id")
    if deal_id is None:
        deals = journey_deals(params, db_path).sort_values(["amount_cents", "deal_id"], ascending=[False, True])
        deal_id = deals["deal_id"].iloc[0] if len(deals) else None
    touches = db.run_query("attribution__touch_weights", db=db_path, **_scope(params), deal_id=deal_id)
    touches = touches[touches["deal_id"] == deal_id].copy()
    frame = touches[["deal_id", "touch_number", "touched_at", "hours_before_conversion", "channel",
                     "campaign_id", "team", "kind", "person_id"]].copy()
    frame.insert(1, "touch_id", touches["touch_id"])
    frame["role"] = touch_roles(touches)
    amount = touches["amount_cents"].to_numpy(dtype=float)
    exact = pd.DataFrame({model: amount * touches[f"{model}_weight"].to_numpy() for model in RULE_MODELS},
                         index=touches.index)
    attributed = touches["touch_id"].notna()
    exact["markov"] = exact["shapley"] = amount  # a deal without touches stays whole
    if attributed.any():
        journey = touches[attributed]
        shapes = _journey_shapes(journey["deal_id"], journey["channel"], journey["amount_cents"])
        effect = removal_effects(params, db_path).reindex(shapes["channel"], fill_value=0.0).to_numpy()
        deal_effect = pd.Series(effect, index=shapes.index).div(shapes["channel_touches"]).sum()
        within = effect / deal_effect if deal_effect > 0 else 1.0 / shapes["deal_channels"].to_numpy()
        exact.loc[shapes.index, "markov"] = shapes["amount_cents"] * within / shapes["channel_touches"]
        exact.loc[shapes.index, "shapley"] = (shapes["amount_cents"] / shapes["deal_channels"]
                                              / shapes["channel_touches"])
    total = int(touches["amount_cents"].iloc[0]) if len(touches) else 0
    # Every model at once: each model's column is one group holding the deal's amount.
    stacked = pd.Series(exact[list(MODELS)].to_numpy().T.reshape(-1))
    cents = round_groups_to_cents(stacked, pd.Series(np.repeat(MODELS, len(touches))),
                                  pd.Series(total, index=list(MODELS))).to_numpy().reshape(len(MODELS), -1)
    for i, model in enumerate(MODELS):
        frame[f"{model}_usd"] = cents[i] / 100.0
    frame["touch_id"] = frame["touch_id"].astype("str")
    return frame.reset_index(drop=True)


@db.computed_query(
    "attribution__deals",
    "One row per deal in the attribution scope, largest first (at most $limit): deal_id, lead_id, "
    "amount_usd, converted_at (closed_at for revenue, created_at for pipeline) and touch_count (touches "
    "before the conversion point; 0 = unattributed). For picking a deal's receipt.",
    "-- $limit      integer = 500   the largest this many deals\n" + _SCOPE_DECLARATIONS,
)
def deals(params: dict, db_path) -> pd.DataFrame:
    """The deals of the scope, largest first, for the receipt's picker."""
    frame = journey_deals(params, db_path)[["deal_id", "lead_id", "amount_cents", "converted_at", "touch_count"]]
    frame = frame.sort_values(["amount_cents", "deal_id"], ascending=[False, True]).head(params["limit"])
    frame.insert(2, "amount_usd", frame.pop("amount_cents") / 100.0)
    return frame.reset_index(drop=True)


@db.computed_query(
    "attribution__scope_totals",
    "One row: what the attribution scope holds: deal_count, total_usd (the revenue or pipeline every "
    "model shares out), converting journeys with touches (attributed_deal_count), unattributed deals and "
    "their USD, touch_count, and is_thin (fewer than 200 converting journeys: Markov and Shapley unstable).",
    _SCOPE_DECLARATIONS,
)
def scope_totals(params: dict, db_path) -> pd.DataFrame:
    """Totals of the scope the models share out, for KPIs and thin-data warnings."""
    deals = journey_deals(params, db_path)
    unattributed = deals[deals["touch_count"] == 0]
    attributed_deals = len(deals) - len(unattributed)
    return pd.DataFrame([{
        "basis": params["basis"],
        "deal_count": len(deals),
        "total_usd": deals["amount_cents"].sum() / 100.0,
        "attributed_deal_count": attributed_deals,
        "unattributed_deal_count": len(unattributed),
        "unattributed_usd": unattributed["amount_cents"].sum() / 100.0,
        "touch_count": int(deals["touch_count"].sum()),
        "is_thin": attributed_deals < THIN_JOURNEYS,
    }])


# ---------------------------------------------------------------------------------------------
# Command line


def add_commands(subparsers) -> None:
    """Register `attribution-paths`."""
    parser = subparsers.add_parser(
        "attribution-paths",
        help="every path-level attribution model over aggregated journeys (ChannelAttribution format)",
        description="Read paths (column `path`: channels joined by '>'; total_conversions, "
                    "total_conversion_value, total_null) and print model, channel, conversions, value "
                    "for first_touch, last_touch, linear, u_shaped (40/20/40), markov (needs total_null) "
                    "and shapley. Time decay, W-shaped and full path need CRM milestones and are left out.",
    )
    parser.add_argument("file", help="the paths CSV")
    parser.add_argument("--format", choices=("csv", "table"), default="csv")
    parser.set_defaults(run=_attribution_paths)


def _attribution_paths(args) -> int:
    from handoff.attribution_paths import path_credit, read_paths
    from handoff.cli import write_frame

    credit_frame = path_credit(read_paths(args.file))
    if args.format == "table":
        credit_frame = credit_frame.assign(
            model=credit_frame["model"],
            conversions=credit_frame["conversions"].round(6),
            value=credit_frame["value"].round(6),
        )
    write_frame(credit_frame, args.format)
    return 0


__all__ = ["MODELS", "MODEL_LABELS", "LEVELS", "BASES", "credit", "deals", "receipt", "scope_totals", "touch_credit"]
