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
models read them as numbers (`attribution__journey_touches`: one load per scope, cached and shared
by every level and model; the names behind its touch keys, `attribution__journey_keys`, once per
database file), the totals and the deal picker one row per deal (`attribution__journey_deals`), the
receipt only its deal's touches.

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


class TouchKeys:
    """The names behind every touch key of a database (attribution__journey_keys), arranged for the
    models: each key's channel as a number in sorted name order (`channels` names them), and per
    level the group each key rolls up to. A key number is a slot; the slot after the last is for
    rows without a touch (key −1: `unattributed`)."""

    def __init__(self, keys: pd.DataFrame) -> None:
        self.keys = keys
        key_ids = keys["touch_key"].to_numpy(dtype=np.int64)
        slots = int(key_ids.max()) + 2 if len(keys) else 1
        self.channels = sorted(set(keys["channel"]))
        number = {channel: i for i, channel in enumerate(self.channels)}
        self.slot_channel = np.full(slots, -1, dtype=np.int64)
        self.slot_channel[key_ids] = [number[channel] for channel in keys["channel"]]
        self._levels: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for level in LEVELS:
            names = {"channel": keys["channel"], "campaign": keys["campaign_id"].fillna(NO_CAMPAIGN),
                     "team": keys["team"]}[level]
            groups: dict[tuple[str, str], int] = {}
            key_group = [groups.setdefault(pair, len(groups)) for pair in zip(names, keys["team"])]
            unattributed = groups.setdefault((UNATTRIBUTED, UNATTRIBUTED), len(groups))
            slot_group = np.full(slots, unattributed, dtype=np.int64)
            slot_group[key_ids] = key_group
            self._levels[level] = (slot_group, np.array([key for key, _ in groups], dtype=object),
                                   np.array([team for _, team in groups], dtype=object))

    def level(self, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """At `level`: each slot's group number, and each group's key and team (names by number)."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        return self._levels[level]


# The touch keys of each database file, with the file's identity: (identity, TouchKeys) by path.
_touch_keys: dict[str, tuple[db.DbIdentity, TouchKeys]] = {}


def touch_keys(db_path) -> TouchKeys:
    """The touch keys of the database at `db_path`. They are numbered once when the file is written
    and hold for every scope, so they are read once per file (by its identity: a rebuilt or swapped
    file is read again), not once per scope as the runner's cache would."""
    identity = db.db_identity(db_path)
    held = _touch_keys.get(identity.path)
    if held is None or held[0] != identity:
        held = (identity, TouchKeys(db.run_query("attribution__journey_keys", db=identity.path)))
        _touch_keys.pop(identity.path, None)
        while len(_touch_keys) >= 8:  # a handful of files at most (tests make many)
            _touch_keys.pop(next(iter(_touch_keys)), None)
        _touch_keys[identity.path] = held
    return held[1]


class Journeys:
    """The scope's journey rows as the models read them: attribution__journey_touches (numbers only,
    in attribution__touch_weights' order) and the database's touch keys.

    `channel` is each attributed row's channel as a number in sorted name order (`channels` names
    every channel of the database), so grouping on it sums the same rows in the same order as
    grouping on the names would.
    """

    def __init__(self, rows: pd.DataFrame, keys: TouchKeys) -> None:
        self.rows = rows
        self.keys = keys
        self.channels = keys.channels
        self.attributed = rows["touch_key"].notna().to_numpy()
        key = rows["touch_key"].to_numpy()
        self.key = np.where(self.attributed, np.nan_to_num(key, nan=0), -1).astype(np.int64)
        self.channel = keys.slot_channel[self.key]  # key −1: the last slot, channel −1
        self.amount = rows["amount_cents"].to_numpy()
        self.deal = rows["deal_number"].to_numpy()

    @classmethod
    def load(cls, params: dict, db_path) -> Journeys:
        rows = db.run_query("attribution__journey_touches", db=db_path, **_scope(params))
        return cls(rows, touch_keys(db_path))

    @property
    def empty(self) -> bool:
        return self.rows.empty

    def total_cents(self) -> int:
        """What every model shares out: the amount of each deal once."""
        return int(self.amount[self.rows["touch_number"].to_numpy() <= 1].sum())

    def level_groups(self, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What each row rolls up to at `level`: a group number per row, and each group's key and
        team (arrays of names by group number); unattributed rows are the group (`unattributed`,
        `unattributed`)."""
        slot_group, key_names, team_names = self.keys.level(level)
        return slot_group[self.key], key_names, team_names


# ---------------------------------------------------------------------------------------------
# Credit per touch under every model


def _journey_shapes(deal: pd.Series, channel: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Per attributed touch: the deal's amount, its distinct channels and this channel's touches.

    Counted on numbers (any deal and channel values): each (deal, channel) pair is one bin."""
    shapes = pd.DataFrame({"deal_id": deal, "channel": channel, "amount_cents": amount})
    deal_code, deal_names = pd.factorize(deal.to_numpy())
    channel_code, channel_names = pd.factorize(channel.to_numpy())
    channel_touches, deal_channels = _touch_counts(deal_code, len(deal_names), channel_code,
                                                   len(channel_names))
    shapes["channel_touches"] = channel_touches
    shapes["deal_channels"] = deal_channels
    return shapes


def _touch_counts(deal_code: np.ndarray, deals: int, channel_code: np.ndarray,
                  channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per touch: how many touches its journey has on its channel, and how many distinct channels
    its journey has (codes 0…deals−1 and 0…channels−1)."""
    pair = deal_code * channels + channel_code
    pair_touches = np.bincount(pair, minlength=deals * channels)
    deal_channels = (pair_touches.reshape(deals, channels) > 0).sum(axis=1)
    return pair_touches[pair], deal_channels[deal_code]


def _group_sums(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Each group's sum of `values` (a column, or one per column of a 2-d array), as pandas' groupby
    sums them (compensated, in row order), so the credit stays bit for bit what it was; `group`
    numbers the groups 0…groups−1, and a group without rows sums to 0."""
    by = pd.Categorical.from_codes(group, categories=range(groups))  # numbered already: no hashing
    return pd.DataFrame(values).groupby(by, observed=False).sum().to_numpy().reshape(
        (groups,) + np.shape(values)[1:])


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
    # One row per model while computing: the frame then holds them as one block, without a copy.
    credit = np.empty((len(models), len(rows)))
    for i, model in enumerate(models):
        if model in RULE_MODELS:
            np.multiply(amount, rows[f"{model}_weight"].to_numpy(), out=credit[i])
        else:
            credit[i] = np.where(journeys.attributed, 0.0, amount)
    attributed = np.flatnonzero(journeys.attributed)
    if any(m in POPULATION_MODELS for m in models) and len(attributed):
        # The attributed rows on numbers: deals by code in deal order, channels by number in name order.
        deal = journeys.deal[attributed]
        if (deal[1:] >= deal[:-1]).all():  # rows come in deal order: a deal's code counts the deals before
            deal_code = np.cumsum(np.concatenate(([True], deal[1:] != deal[:-1]))) - 1
        else:
            deal_code = np.unique(deal, return_inverse=True)[1]
        deals = int(deal_code.max()) + 1
        channel = journeys.channel[attributed]
        channels = len(journeys.channels)
        row_amount = journeys.amount[attributed]
        deal_amount = np.zeros(deals, dtype=row_amount.dtype)
        deal_amount[deal_code] = row_amount
        channel_touches, deal_channels = _touch_counts(deal_code, deals, channel, channels)
        present = np.flatnonzero(np.bincount(channel, minlength=channels))  # by number, in name order
        equal = 1.0 / channel_touches

        if "markov" in models:
            # Markov: the attributed total shared by removal effect, among channels that converted.
            named = effects().reindex([journeys.channels[c] for c in present], fill_value=0.0)
            effect = pd.Series(named.to_numpy(), index=present)
            share = (effect / effect.sum() if effect.sum() > 0
                     else pd.Series(1.0 / len(present), index=present))
            channel_credit = np.zeros(channels)
            channel_credit[present] = (deal_amount.sum() * share).to_numpy()
            per_journey = row_amount / channel_touches
            credit[models.index("markov"), attributed] = _hand_down(channel_credit, channel, channels,
                                                                    per_journey, equal)

        if "shapley" in models:
            # Shapley over channels, handed down by each journey's equal split.
            masks = np.zeros(deals, dtype=np.int64)
            np.bitwise_or.at(masks, deal_code, np.left_shift(1, np.searchsorted(present, channel)))
            values = shapley(masks, deal_amount.astype(float), len(present))[:, 0]
            channel_credit = np.zeros(channels)
            channel_credit[present] = values
            per_journey = row_amount / deal_channels / channel_touches
            credit[models.index("shapley"), attributed] = _hand_down(channel_credit, channel, channels,
                                                                     per_journey, equal)
    return pd.DataFrame(credit.T, index=rows.index, columns=list(models), copy=False)


def _hand_down(channel_credit: np.ndarray, channel: np.ndarray, channels: int, weight: np.ndarray,
               fallback: np.ndarray) -> np.ndarray:
    """Share each channel's credit among its touches in proportion to `weight`, or to `fallback`
    for a channel whose touches all weigh 0 (journeys of zero amount still carry Markov credit)."""
    total = _group_sums(weight, channel, channels)
    if not (total[channel] > 0).all():
        weight = np.where(total[channel] > 0, weight, fallback)
        total = _group_sums(weight, channel, channels)
    return channel_credit[channel] * (weight / total[channel])


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
    group, key_names, team_names = journeys.level_groups(params["level"])
    # Each group's rows summed in row order, as by name; only the groups that have rows.
    sums = _group_sums(per_touch.to_numpy(), group, len(key_names))  # its columns: the models, in order
    present = np.flatnonzero(np.bincount(group, minlength=len(key_names)))
    # One row per (model, group) from here on: a few hundred rows, ordered and rounded on numpy arrays.
    key, team = key_names[present], team_names[present]
    key_rank = np.tile(np.unique(key, return_inverse=True)[1], len(models))
    team_rank = np.tile(np.unique(team, return_inverse=True)[1], len(models))
    model = np.repeat(np.arange(len(models)), len(present))
    exact_cents = sums[present].T.reshape(-1)
    total_cents = journeys.total_cents()
    # Within a model, the cents left over go to the largest remainders, ties to the larger credit,
    # then by key and team.
    order = np.lexsort((team_rank, key_rank, -exact_cents, model))
    cents = np.empty(len(order), dtype=np.int64)
    cents[order] = round_groups_to_cents(pd.Series(exact_cents[order]), pd.Series(model[order]),
                                         pd.Series(total_cents, index=range(len(models)))).to_numpy()
    credit_usd = cents / 100.0
    share_rate = cents / total_cents if total_cents else np.zeros(len(cents))
    model_order = np.array([MODELS.index(m) for m in models])[model]
    final = np.lexsort((team_rank, key_rank, -credit_usd, model_order))
    return pd.DataFrame({
        "model": pd.array(np.array(models, dtype=object)[model[final]], dtype="str"),
        "level": pd.array(np.full(len(final), params["level"], dtype=object), dtype="str"),
        "key": pd.array(np.tile(key, len(models))[final], dtype="str"),
        "team": pd.array(np.tile(team, len(models))[final], dtype="str"),
        "credit_usd": credit_usd[final],
        "share_rate": share_rate[final],
    })


ROLE_NAMES = (("is_first", "first"), ("is_lead_creation", "lead_creation"),
              ("is_opportunity_creation", "opportunity_creation"), ("is_closing", "closing"))


def touch_roles(touches: pd.DataFrame) -> pd.Series:
    """Each touch's roles joined by ' + ' (e.g. 'first + lead_creation'); 'middle' if none."""
    flags = np.column_stack([touches[column].fillna(False).astype(bool).to_numpy()
                             for column, _ in ROLE_NAMES])
    names = [name for _, name in ROLE_NAMES]
    labels = [" + ".join(name for name, flag in zip(names, row) if flag) or "middle" for row in flags]
    labels = np.where(touches["touch_id"].notna().to_numpy(), np.array(labels, dtype=object), UNATTRIBUTED)
    return pd.Series(labels, index=touches.index, dtype="str")


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
        deals = journey_deals(params, db_path)
        amount = deals["amount_cents"].to_numpy()
        # The largest deal; of equal ones, the first by deal_id.
        deal_id = min(deals["deal_id"].to_numpy()[amount == amount.max()]) if len(deals) else None
    touches = db.run_query("attribution__touch_weights", db=db_path, **_scope(params), deal_id=deal_id)
    touches = touches[touches["deal_id"] == deal_id]
    amount = touches["amount_cents"].to_numpy(dtype=float)
    # One row per model, one column per touch: a deal has a few dozen touches at most.
    exact = np.empty((len(MODELS), len(touches)))
    for i, model in enumerate(MODELS):
        exact[i] = amount * touches[f"{model}_weight"].to_numpy() if model in RULE_MODELS else amount
    attributed = touches["touch_id"].notna().to_numpy()  # a deal without touches stays whole
    if attributed.any():
        journey = touches[attributed]
        shapes = _journey_shapes(journey["deal_id"], journey["channel"], journey["amount_cents"])
        effect = removal_effects(params, db_path).reindex(shapes["channel"], fill_value=0.0).to_numpy()
        deal_effect = pd.Series(effect, index=shapes.index).div(shapes["channel_touches"]).sum()
        within = effect / deal_effect if deal_effect > 0 else 1.0 / shapes["deal_channels"].to_numpy()
        exact[MODELS.index("markov"), attributed] = (shapes["amount_cents"] * within
                                                     / shapes["channel_touches"])
        exact[MODELS.index("shapley"), attributed] = (shapes["amount_cents"] / shapes["deal_channels"]
                                                      / shapes["channel_touches"])
    total = int(touches["amount_cents"].iloc[0]) if len(touches) else 0
    # Every model at once: each model's row is one group holding the deal's amount.
    cents = round_groups_to_cents(pd.Series(exact.reshape(-1)), pd.Series(np.repeat(MODELS, len(touches))),
                                  pd.Series(total, index=list(MODELS))).to_numpy().reshape(len(MODELS), -1)
    frame = pd.DataFrame({
        "deal_id": touches["deal_id"],
        "touch_id": touches["touch_id"].astype("str"),
        **{column: touches[column] for column in ("touch_number", "touched_at", "hours_before_conversion",
                                                  "channel", "campaign_id", "team", "kind", "person_id")},
        "role": touch_roles(touches),
        **{f"{model}_usd": pd.Series(cents[i] / 100.0, index=touches.index)
           for i, model in enumerate(MODELS)},
    })
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
