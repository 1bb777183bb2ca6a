"""Credit per touch under every model: the exact (unrounded) cents each journey row earns.

Rule-based models multiply the deal's amount by the touch's weight (computed when the database is
written). Markov and Shapley are played over channels and handed down to the touches: each journey
through a channel in proportion to its amount (Shapley: its amount over its distinct channels), split
equally over the journey's touches of that channel. Everything runs on numpy arrays with group
numbers; a loop runs over models, never over touches or journeys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from handoff.attribution.journeys import Journeys
from handoff.attribution.models import POPULATION_MODELS, RULE_MODELS, shapley


def journey_shapes(deal: pd.Series, channel: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Per attributed touch: the deal's amount, its distinct channels and this channel's touches.

    Counted on numbers (any deal and channel values): each (deal, channel) pair is one bin."""
    shapes = pd.DataFrame({"deal_id": deal, "channel": channel, "amount_cents": amount})
    deal_code, deal_names = pd.factorize(deal.to_numpy())
    channel_code, channel_names = pd.factorize(channel.to_numpy())
    channel_touches, deal_channels = _touch_counts(
        deal_code, len(deal_names), channel_code, len(channel_names)
    )
    shapes["channel_touches"] = channel_touches
    shapes["deal_channels"] = deal_channels
    return shapes


def _touch_counts(
    deal_code: np.ndarray, deals: int, channel_code: np.ndarray, channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per touch: how many touches its journey has on its channel, and how many distinct channels
    its journey has (codes 0…deals−1 and 0…channels−1)."""
    pair = deal_code * channels + channel_code
    pair_touches = np.bincount(pair, minlength=deals * channels)
    deal_channels = (pair_touches.reshape(deals, channels) > 0).sum(axis=1)
    return pair_touches[pair], deal_channels[deal_code]


def group_sums(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Each group's sum of `values` (a column, or one per column of a 2-d array), as pandas' groupby
    sums them (compensated, in row order), so the credit stays bit for bit what it was; `group`
    numbers the groups 0…groups−1, and a group without rows sums to 0."""
    by = pd.Categorical.from_codes(group, categories=range(groups))  # numbered already: no hashing
    return (
        pd.DataFrame(values)
        .groupby(by, observed=False)
        .sum()
        .to_numpy()
        .reshape((groups,) + np.shape(values)[1:])
    )


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
        played = _ChannelGame(journeys, attributed)
        if "markov" in models:
            credit[models.index("markov"), attributed] = played.markov(effects())
        if "shapley" in models:
            credit[models.index("shapley"), attributed] = played.shapley()
    return pd.DataFrame(credit.T, index=rows.index, columns=list(models), copy=False)


class _ChannelGame:
    """The attributed rows on numbers, for the models played over channels: deals by code in deal
    order, channels by number in name order, and per row its journey's shape."""

    def __init__(self, journeys: Journeys, attributed: np.ndarray) -> None:
        deal = journeys.deal[attributed]
        if (deal[1:] >= deal[:-1]).all():  # rows come in deal order: a deal's code counts the deals before
            self.deal_code = np.cumsum(np.concatenate(([True], deal[1:] != deal[:-1]))) - 1
        else:
            self.deal_code = np.unique(deal, return_inverse=True)[1]
        self.deals = int(self.deal_code.max()) + 1
        self.names = journeys.channels
        self.channel = journeys.channel[attributed]
        self.channels = len(journeys.channels)
        self.row_amount = journeys.amount[attributed]
        self.deal_amount = np.zeros(self.deals, dtype=self.row_amount.dtype)
        self.deal_amount[self.deal_code] = self.row_amount
        self.channel_touches, self.deal_channels = _touch_counts(
            self.deal_code, self.deals, self.channel, self.channels
        )
        self.present = np.flatnonzero(np.bincount(self.channel, minlength=self.channels))  # in name order
        self.equal = 1.0 / self.channel_touches

    def markov(self, effects: pd.Series) -> np.ndarray:
        """Each row's Markov credit: the attributed total shared by removal effect (`effects`, by
        channel name), among the channels that converted."""
        present = self.present
        named = effects.reindex([self.names[c] for c in present], fill_value=0.0)
        effect = pd.Series(named.to_numpy(), index=present)
        share = effect / effect.sum() if effect.sum() > 0 else pd.Series(1.0 / len(present), index=present)
        channel_credit = np.zeros(self.channels)
        channel_credit[present] = (self.deal_amount.sum() * share).to_numpy()
        per_journey = self.row_amount / self.channel_touches
        return _hand_down(channel_credit, self.channel, self.channels, per_journey, self.equal)

    def shapley(self) -> np.ndarray:
        """Each row's Shapley credit: the channels' Shapley values, handed down by each journey's
        equal split."""
        masks = np.zeros(self.deals, dtype=np.int64)
        np.bitwise_or.at(masks, self.deal_code, np.left_shift(1, np.searchsorted(self.present, self.channel)))
        values = shapley(masks, self.deal_amount.astype(float), len(self.present))[:, 0]
        channel_credit = np.zeros(self.channels)
        channel_credit[self.present] = values
        per_journey = self.row_amount / self.deal_channels / self.channel_touches
        return _hand_down(channel_credit, self.channel, self.channels, per_journey, self.equal)


def _hand_down(
    channel_credit: np.ndarray, channel: np.ndarray, channels: int, weight: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Share each channel's credit among its touches in proportion to `weight`, or to `fallback`
    for a channel whose touches all weigh 0 (journeys of zero amount still carry Markov credit)."""
    total = group_sums(weight, channel, channels)
    if not (total[channel] > 0).all():
        weight = np.where(total[channel] > 0, weight, fallback)
        total = group_sums(weight, channel, channels)
    return channel_credit[channel] * (weight / total[channel])
