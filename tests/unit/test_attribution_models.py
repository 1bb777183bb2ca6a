"""The attribution mathematics on cases small enough to solve by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.attribution.models import (
    MAX_SHAPLEY_PLAYERS,
    markov_removal_effects,
    round_groups_to_cents,
    round_to_cents,
    shapley,
    shapley_by_equal_split,
    shapley_values,
)


def transitions(*rows):
    return pd.DataFrame(rows, columns=["from_state", "to_state", "journey_count"])


# ---------------------------------------------------------------------------------------------
# Cent-exact rounding


def test_largest_remainder_gives_missing_cents_to_the_largest_remainders():
    # 100 cents in thirds: floors 33+33+33 = 99, the one missing cent goes to the first of the
    # equal remainders; 10.6/20.3/69.1 floor to 10/20/69 = 99, the cent goes to .6.
    assert round_to_cents([100 / 3] * 3, 100).tolist() == [34, 33, 33]
    assert round_to_cents([10.6, 20.3, 69.1], 100).tolist() == [11, 20, 69]
    assert round_to_cents([], 0).tolist() == []


def test_rounding_absorbs_float_noise_beyond_one_cent_per_share():
    # Exact shares that sum 3 cents short (noise from upstream) still end on the total.
    assert round_to_cents([10.0, 10.0], 23).sum() == 23
    assert round_to_cents([12.0, 12.0], 23).tolist() == [12, 11]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30), st.integers(0, 10**9))
def test_rounding_always_hits_the_total(weights, total):
    weights = np.array(weights) + 1e-3
    exact = total * weights / weights.sum()
    cents = round_to_cents(exact, total)
    assert cents.sum() == total
    assert np.all(np.abs(cents - exact) < 1 + 1e-6)


def test_grouped_rounding_hits_each_groups_total():
    exact = pd.Series([100 / 3] * 3 + [0.5, 0.5])
    groups = pd.Series(["a", "a", "a", "b", "b"])
    cents = round_groups_to_cents(exact, groups, pd.Series({"a": 100, "b": 1}))
    assert cents.tolist() == [34, 33, 33, 1, 0]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1e4, allow_nan=False)), min_size=1, max_size=40),
    st.integers(-3, 3),
)
def test_grouped_rounding_is_each_groups_own_rounding(entries, noise):
    # Groups interleaved, ties among equal remainders, totals off by a few cents: within each group
    # the cents are what round_to_cents gives that group's entries in their order.
    groups = pd.Series([group for group, _ in entries])
    exact = pd.Series([value for _, value in entries])
    totals = exact.groupby(groups).sum().round().astype("int64") + noise
    cents = round_groups_to_cents(exact, groups, totals)
    for group, total in totals.items():
        mine = groups == group
        assert cents[mine].tolist() == round_to_cents(exact[mine].to_numpy(), total).tolist()


# ---------------------------------------------------------------------------------------------
# Markov chain


def test_markov_removal_effects_on_a_chain_solved_by_hand():
    # Journeys: A>B converts, A ends null, B ends null, B converts.
    # start→A 1/2, start→B 1/2; A→B 1/2, A→null 1/2; B→conv 2/3, B→null 1/3.
    # h_B = 2/3, h_A = 1/2·2/3 = 1/3, P = 1/2·1/3 + 1/2·2/3 = 1/2.
    # Without A: P = 1/2·2/3 = 1/3, effect 1 − (1/3)/(1/2) = 1/3. Without B nothing converts: 1.
    effects, base = markov_removal_effects(
        transitions(
            ("(start)", "A", 2),
            ("(start)", "B", 2),
            ("A", "B", 1),
            ("A", "(null)", 1),
            ("B", "(conversion)", 2),
            ("B", "(null)", 1),
        )
    )
    assert base == pytest.approx(1 / 2)
    assert effects.to_dict() == pytest.approx({"A": 1 / 3, "B": 1.0})


def test_markov_solves_loops_exactly():
    # Journeys: A>B>A converts, B ends null. A→B 1/2, A→conv 1/2; B→A 1/2, B→null 1/2.
    # h_A = 1/2·h_B + 1/2, h_B = 1/2·h_A → h_A = 2/3, h_B = 1/3, P = 1/2(2/3 + 1/3) = 1/2.
    # Without A: B only leads to A or null, P = 0 → 1. Without B: h_A = 1/2, P = 1/4 → 1/2.
    effects, base = markov_removal_effects(
        transitions(
            ("(start)", "A", 1),
            ("(start)", "B", 1),
            ("A", "B", 1),
            ("B", "A", 1),
            ("A", "(conversion)", 1),
            ("B", "(null)", 1),
        )
    )
    assert base == pytest.approx(1 / 2)
    assert effects.to_dict() == pytest.approx({"A": 1.0, "B": 0.5})


def test_markov_without_conversions_has_no_effects():
    effects, base = markov_removal_effects(transitions(("(start)", "A", 3), ("A", "(null)", 3)))
    assert base == 0 and effects.to_dict() == {"A": 0.0}
    effects, base = markov_removal_effects(transitions())
    assert base == 0 and effects.empty


# ---------------------------------------------------------------------------------------------
# Shapley value


def test_shapley_on_three_channels_by_hand():
    # Journeys worth 10 on {A}, 20 on {A,B}, 30 on {B,C}. v(A)=10, v(B)=v(C)=0, v(AB)=30, v(AC)=10,
    # v(BC)=30, v(ABC)=60. φ_A = 1/3·10 + 1/6·(30−0) + 1/6·(10−0) + 1/3·(60−30) = 20;
    # φ_B = 1/3·0 + 1/6·(30−10) + 1/6·(30−0) + 1/3·(60−10) = 25; φ_C = 60 − 45 = 15.
    masks = np.array([0b001, 0b011, 0b110])
    phi = shapley_values(masks, np.array([10.0, 20.0, 30.0]), 3)
    assert phi[:, 0].tolist() == pytest.approx([20, 25, 15])


def test_shapley_with_one_player_and_several_worth_columns():
    phi = shapley_values(np.array([1, 1]), np.array([[1.0, 5.0], [2.0, 7.0]]), 1)
    assert phi.tolist() == [[3.0, 12.0]]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(1, (1 << n) - 1), st.floats(0, 1e5, allow_nan=False)),
                min_size=1,
                max_size=25,
            ),
        )
    )
)
def test_shapley_by_coalitions_equals_the_equal_split_identity(case):
    players, journeys = case
    masks = np.array([m for m, _ in journeys])
    worth = np.array([w for _, w in journeys])
    exact = shapley_values(masks, worth, players)
    assert exact == pytest.approx(shapley_by_equal_split(masks, worth, players), abs=1e-6)
    assert exact.sum() == pytest.approx(worth.sum(), abs=1e-6)  # efficiency


def test_shapley_switches_to_the_identity_beyond_the_exact_limit():
    players = MAX_SHAPLEY_PLAYERS + 2
    masks = np.array([(1 << players) - 1, 1])
    phi = shapley(masks, np.array([players * 1.0, 4.0]), players)
    assert phi[0, 0] == pytest.approx(5.0) and phi[1:, 0] == pytest.approx([1.0] * (players - 1))
    with pytest.raises(ValueError):
        shapley_values(masks, np.array([1.0, 1.0]), players)
    assert math.isclose(shapley(np.array([3]), np.array([2.0]), 2).sum(), 2.0)
