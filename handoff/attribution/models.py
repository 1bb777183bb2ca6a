"""The mathematics of attribution, free of any database: model ids, the Markov removal effect solved
as an absorbing chain, the Shapley value by coalitions, cent-exact rounding and the shift-share.

Everything here works on whole arrays (numpy, pandas); a loop runs over channels, bits or models,
never over touches or journeys.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from handoff.labels import MODEL_LABELS  # noqa: F401 (the models' names live with every other label)

# The contract ids, in the order every table and chart lists them.
MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)
# Models computed per touch from its position and time (in SQL); the other two are population models.
RULE_MODELS = MODELS[:7]
POPULATION_MODELS = ("markov", "shapley")
# The layers of a team's range: the single-touch models are by construction its extremes; the
# multi-touch ones (position- and time-based, then data-driven) are where a meeting can agree.
SINGLE_TOUCH_MODELS = ("first_touch", "last_touch")
POSITION_MODELS = ("linear", "time_decay", "u_shaped", "w_shaped", "full_path")
MULTI_TOUCH_MODELS = POSITION_MODELS + POPULATION_MODELS
# Models that make sense on bare paths (no timestamps, no CRM milestones).
PATH_MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "markov", "shapley")

UNATTRIBUTED = "unattributed"
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
# Exact Shapley enumerates 2^n coalitions; beyond this many players we use the equal-split identity.
MAX_SHAPLEY_PLAYERS = 15
# Below this many converting journeys the data-driven models (Markov, Shapley) are unstable.
THIN_JOURNEYS = 200


# ---------------------------------------------------------------------------------------------
# Cent-exact rounding


def round_to_cents(exact_cents, total_cents: int) -> np.ndarray:
    """Whole cents for `exact_cents` that sum to exactly `total_cents` (largest remainder).

    Each share is floored, then the cents still missing go one by one to the largest remainders
    (ties to the earlier entry). Float noise that pushes the sum off by more than the number of
    shares is absorbed the same way, so the total always holds.
    """
    exact = np.asarray(exact_cents, dtype=float)
    if exact.size == 0:
        return np.zeros(0, dtype=np.int64)
    floors = np.floor(exact + 1e-9)
    remainders = exact - floors
    missing = int(total_cents) - int(floors.sum())
    base, extra = divmod(missing, exact.size)
    order = np.argsort(-remainders, kind="stable")
    bonus = np.zeros(exact.size, dtype=np.int64)
    bonus[order[:extra]] = 1
    return floors.astype(np.int64) + base + bonus


def round_groups_to_cents(exact_cents: pd.Series, groups: pd.Series, totals: pd.Series) -> pd.Series:
    """`round_to_cents` within each group at once: `totals` maps a group to its cents.

    Ties between equal remainders go to the earlier entry, as in `round_to_cents`. On numpy arrays:
    it runs once per credit query on a few hundred rows, where pandas' per-call cost would dominate."""
    exact = exact_cents.to_numpy(dtype=float)
    code, names = pd.factorize(groups.to_numpy())
    floors = np.floor(exact + 1e-9)
    remainders = exact - floors
    whole = floors.astype(np.int64)
    floor_sums = np.zeros(len(names), dtype=np.int64)
    np.add.at(floor_sums, code, whole)
    sizes = np.bincount(code, minlength=len(names))
    missing = totals.reindex(names).to_numpy(dtype=np.int64) - floor_sums
    base, extra = np.divmod(missing, np.maximum(sizes, 1))
    # Each entry's place within its group: by remainder (largest first), then by position.
    order = np.lexsort((np.arange(len(exact)), -remainders, code))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(len(exact), dtype=np.int64)
    rank[order] = np.arange(len(exact)) - starts[code[order]]
    cents = whole + base[code] + (rank < extra[code])
    return pd.Series(cents, index=exact_cents.index)


# ---------------------------------------------------------------------------------------------
# Markov chain: removal effects, solved exactly


def markov_removal_effects(transitions: pd.DataFrame) -> tuple[pd.Series, float]:
    """Each channel's removal effect, and the chain's probability of converting from the start.

    `transitions` has from_state, to_state and journey_count; the special states are `(start)`,
    `(conversion)` and `(null)`. The chain is absorbing: with Q the channel-to-channel and r the
    channel-to-conversion probabilities, the conversion probability from each channel is
    h = (I − Q)⁻¹ r and from the start p·h. Removing a channel sends every step into it to
    `(null)` (its column of Q and p is zeroed); its removal effect is 1 − p'h' / p h.
    """
    frame = transitions[transitions["journey_count"] > 0]
    from_states = frame["from_state"].tolist()
    to_states = frame["to_state"].tolist()
    states = sorted((set(from_states) | set(to_states)) - {START, CONVERSION, NULL})
    if not states:
        return pd.Series(dtype=float), 0.0
    index = {state: i for i, state in enumerate(states)}
    n = len(states)
    counts = np.zeros((n + 1, n + 2))  # rows: channels then start; columns: channels, conversion, null
    row_of, column_of = {**index, START: n}, {**index, CONVERSION: n, NULL: n + 1}
    rows = np.array([row_of[state] for state in from_states], dtype=np.int64)
    columns = np.array([column_of[state] for state in to_states], dtype=np.int64)
    np.add.at(counts, (rows, columns), frame["journey_count"].to_numpy(dtype=float))
    out = counts.sum(axis=1, keepdims=True)
    probabilities = np.divide(counts, out, out=np.zeros_like(counts), where=out > 0)
    q, r, start = probabilities[:n, :n], probabilities[:n, n], probabilities[n, :n]

    def converting(q_matrix: np.ndarray, start_row: np.ndarray) -> float:
        return float(start_row @ np.linalg.solve(np.eye(n) - q_matrix, r))

    base = converting(q, start)
    effects = np.zeros(n)
    if base > 0:
        for i in range(n):  # one solve per channel
            q_removed, start_removed = q.copy(), start.copy()
            q_removed[:, i] = 0.0
            start_removed[i] = 0.0
            effects[i] = 1.0 - converting(q_removed, start_removed) / base
    return pd.Series(np.clip(effects, 0.0, 1.0), index=states, name="removal_effect"), base


# ---------------------------------------------------------------------------------------------
# Shapley value over channels


def shapley_values(masks: np.ndarray, worths: np.ndarray, players: int) -> np.ndarray:
    """Exact Shapley values of the game v(S) = Σ worth of the journeys whose channel set ⊆ S.

    `masks[j]` is journey j's set of channels as a bitmask over `players` players, `worths[j]`
    one or more columns of what it brought (conversions, value). Enumerates all 2^players
    coalitions: v by a subset-sum transform, then φ_i = Σ_{S∌i} |S|!(n−|S|−1)!/n! (v(S∪i) − v(S)).
    Returns one row per player, one column per worth column.
    """
    if players > MAX_SHAPLEY_PLAYERS:
        raise ValueError(f"exact Shapley is limited to {MAX_SHAPLEY_PLAYERS} players (got {players})")
    worths = np.asarray(worths, dtype=float)
    worths = worths.reshape(len(worths), -1)
    size = 1 << players
    value = np.zeros((size, worths.shape[1]))
    np.add.at(value, np.asarray(masks, dtype=np.int64), worths)
    coalitions = np.arange(size)
    for bit in (1 << i for i in range(players)):  # subset sums: v(S) = Σ_{T⊆S} worth(T)
        with_bit = coalitions[(coalitions & bit) != 0]
        value[with_bit] += value[with_bit ^ bit]
    sizes = _popcount(coalitions)
    factorial = np.array([math.factorial(k) for k in range(players + 1)], dtype=float)
    phi = np.zeros((players, worths.shape[1]))
    for i in range(players):
        bit = 1 << i
        without = coalitions[(coalitions & bit) == 0]
        s = sizes[without]
        weight = factorial[s] * factorial[players - s - 1] / factorial[players]
        phi[i] = (weight[:, None] * (value[without | bit] - value[without])).sum(axis=0)
    return phi


def _popcount(values: np.ndarray) -> np.ndarray:
    counts = np.zeros(values.shape, dtype=np.int64)
    work = values.copy()
    while work.any():
        counts += work & 1
        work >>= 1
    return counts


def shapley_by_equal_split(masks: np.ndarray, worths: np.ndarray, players: int) -> np.ndarray:
    """The same Shapley values by the identity they obey: v is a sum of unanimity games, one per
    journey, so each journey's worth is split equally among its distinct channels. Exact for any
    number of players; the tests check it against `shapley_values`."""
    worths = np.asarray(worths, dtype=float).reshape(len(masks), -1)
    masks = np.asarray(masks, dtype=np.int64)
    sizes = _popcount(masks).astype(float)
    phi = np.zeros((players, worths.shape[1]))
    for i in range(players):
        has = (masks >> i) & 1 == 1
        phi[i] = (worths[has] / sizes[has, None]).sum(axis=0)
    return phi


def shapley(masks: np.ndarray, worths: np.ndarray, players: int) -> np.ndarray:
    """Shapley values: by enumeration up to MAX_SHAPLEY_PLAYERS players, by the identity above."""
    if players <= MAX_SHAPLEY_PLAYERS:
        return shapley_values(masks, worths, players)
    return shapley_by_equal_split(masks, worths, players)
