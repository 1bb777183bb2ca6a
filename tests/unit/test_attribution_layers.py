"""A team's attribution range in layers, on hand-made shares: the multi-touch models give the range a
meeting can quote, the single-touch models its outer bounds."""

from __future__ import annotations

import pandas as pd
import pytest

from handoff.attribution import view
from handoff.attribution.models import MODELS, MULTI_TOUCH_MODELS, SINGLE_TOUCH_MODELS

# Marketing's share of the scope under each model; sales has the rest.
MARKETING = {
    "first_touch": 0.77,
    "last_touch": 0.003,
    "linear": 0.40,
    "time_decay": 0.36,
    "u_shaped": 0.45,
    "w_shaped": 0.50,
    "full_path": 0.52,
    "markov": 0.60,
    "shapley": 0.63,
}


@pytest.fixture
def team_credit() -> pd.DataFrame:
    rows = [{"model": m, "key": "marketing", "share_rate": r} for m, r in MARKETING.items()]
    rows += [{"model": m, "key": "sales", "share_rate": 1 - r} for m, r in MARKETING.items()]
    return pd.DataFrame(rows)


def test_the_layers_cover_every_model_once():
    assert sorted(SINGLE_TOUCH_MODELS + MULTI_TOUCH_MODELS) == sorted(MODELS)


def test_the_multi_touch_range_and_the_single_touch_bounds(team_credit):
    marketing = view.team_ranges(team_credit).loc["marketing"]
    assert (marketing.multi_lowest_rate, marketing.multi_lowest_model) == (0.36, "Time decay")
    assert (marketing.multi_highest_rate, marketing.multi_highest_model) == (0.63, "Shapley value")
    assert (marketing.lowest_rate, marketing.lowest_model) == (0.003, "Last touch")
    assert (marketing.highest_rate, marketing.highest_model) == (0.77, "First touch")
    assert view.share_range(marketing.multi_lowest_rate, marketing.multi_highest_rate) == "36–63 %"
    assert view.bounds_caption(marketing) == "Every multi-touch model; with first and last touch: 0.3–77 %."


def test_the_headline_quotes_the_multi_touch_range(team_credit):
    claims = view.robust_claims(team_credit, pd.DataFrame(columns=["model", "key", "share_rate"]), "revenue")
    assert claims[0] == (
        "**Marketing** earns **36–63 %** of won revenue under every multi-touch model (lowest: Time decay; "
        "highest: Shapley value); counting the single-touch models, it ranges from 0.3 % (Last touch) "
        "to 77.0 % (First touch)."
    )
