"""The attribution queries computed in Python, each registered with the runner as a named query.

attribution__credit (the contract: credit per model and key, to the cent), attribution__touch_credit
(the exact cents per journey row it rolls up, cached per scope and model), attribution__receipt (one
deal, every model), attribution__deals (the scope's deals, for the receipt's picker) and
attribution__scope_totals. Credits are rounded with the largest-remainder method, so each model sums
to the scope's total to the cent; deals with no touch before the conversion point go to the
`unattributed` key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from handoff import db
from handoff.attribution.credit import group_sums, journey_shapes, touch_credit
from handoff.attribution.journeys import SCOPE_DECLARATIONS, Journeys, journey_deals, removal_effects, scope
from handoff.attribution.models import MODELS, RULE_MODELS, THIN_JOURNEYS, UNATTRIBUTED, round_groups_to_cents


def _models(params: dict) -> tuple[str, ...]:
    return MODELS if params["model"] in (None, "all") else (params["model"],)


_MODEL_DECLARATION = (
    "-- $model      text in (all, " + ", ".join(MODELS) + ") = all   one model or all of them\n"
)


@db.computed_query(
    "attribution__touch_credit",
    "One row per row of attribution__journey_touches (same scope, same order): the exact, unrounded cents "
    "it earns under the model asked, or under every model (one column per model). What attribution__credit "
    "rolls up to channel, campaign or team, computed once per scope and model.",
    _MODEL_DECLARATION + SCOPE_DECLARATIONS,
)
def touch_credit_query(params: dict, db_path) -> pd.DataFrame:
    """touch_credit over the scope's journeys, for the runner to cache."""
    return touch_credit(
        Journeys.load(params, db_path), _models(params), effects=lambda: removal_effects(params, db_path)
    )


@db.computed_query(
    "attribution__credit",
    "One row per (model, key, team): the credit a channel, campaign or team earns under an "
    "attribution model, in USD and as a share of the scope's revenue (won deals closed in the window) or "
    "pipeline (deals created in the window). Each model's credits sum to the scope's total to the cent; "
    "deals with no touch before the conversion point are the key `unattributed`.",
    _MODEL_DECLARATION
    + "-- $level      text in (channel, campaign, team) = channel   what credit rolls up to\n"
    + SCOPE_DECLARATIONS,
)
def credit(params: dict, db_path) -> pd.DataFrame:
    """The contract query: model, level, key, team, credit_usd, share_rate."""
    columns = ["model", "level", "key", "team", "credit_usd", "share_rate"]
    journeys = Journeys.load(params, db_path)
    if journeys.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="float64" if c.endswith(("_usd", "_rate")) else "str") for c in columns}
        )
    models = _models(params)
    # Per row, shared by every level (the runner caches it per scope and model).
    per_touch = db.run_query("attribution__touch_credit", db=db_path, model=params["model"], **scope(params))
    group, key_names, team_names = journeys.level_groups(params["level"])
    # Each group's rows summed in row order, as by name; only the groups that have rows.
    sums = group_sums(per_touch.to_numpy(), group, len(key_names))  # its columns: the models, in order
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
    cents[order] = round_groups_to_cents(
        pd.Series(exact_cents[order]),
        pd.Series(model[order]),
        pd.Series(total_cents, index=range(len(models))),
    ).to_numpy()
    credit_usd = cents / 100.0
    share_rate = cents / total_cents if total_cents else np.zeros(len(cents))
    model_order = np.array([MODELS.index(m) for m in models])[model]
    final = np.lexsort((team_rank, key_rank, -credit_usd, model_order))
    return pd.DataFrame(
        {
            "model": pd.array(np.array(models, dtype=object)[model[final]], dtype="str"),
            "level": pd.array(np.full(len(final), params["level"], dtype=object), dtype="str"),
            "key": pd.array(np.tile(key, len(models))[final], dtype="str"),
            "team": pd.array(np.tile(team, len(models))[final], dtype="str"),
            "credit_usd": credit_usd[final],
            "share_rate": share_rate[final],
        }
    )


ROLE_NAMES = (
    ("is_first", "first"),
    ("is_lead_creation", "lead_creation"),
    ("is_opportunity_creation", "opportunity_creation"),
    ("is_closing", "closing"),
)


def touch_roles(touches: pd.DataFrame) -> pd.Series:
    """Each touch's roles joined by ' + ' (e.g. 'first + lead_creation'); 'middle' if none."""
    flags = np.column_stack(
        [touches[column].fillna(False).astype(bool).to_numpy() for column, _ in ROLE_NAMES]
    )
    names = [name for _, name in ROLE_NAMES]
    labels = [" + ".join(name for name, flag in zip(names, row) if flag) or "middle" for row in flags]
    labels = np.where(touches["touch_id"].notna().to_numpy(), np.array(labels, dtype=object), UNATTRIBUTED)
    return pd.Series(labels, index=touches.index, dtype="str")


def _largest_deal(params: dict, db_path) -> str | None:
    """The receipt's deal when none is asked: the largest in scope; of equal ones, the first by deal_id."""
    deals = journey_deals(params, db_path)
    amount = deals["amount_cents"].to_numpy()
    return min(deals["deal_id"].to_numpy()[amount == amount.max()]) if len(deals) else None


def _exact_receipt_cents(touches: pd.DataFrame, params: dict, db_path) -> np.ndarray:
    """The exact, unrounded cents each of one deal's touches earns: one row per model, one column per
    touch (a deal has a few dozen touches at most). The rule models weigh the touch; Markov and Shapley
    share the deal within it, by its channels' removal effects and equally among its distinct channels.
    A deal without touches stays whole."""
    amount = touches["amount_cents"].to_numpy(dtype=float)
    exact = np.empty((len(MODELS), len(touches)))
    for i, model in enumerate(MODELS):
        exact[i] = amount * touches[f"{model}_weight"].to_numpy() if model in RULE_MODELS else amount
    attributed = touches["touch_id"].notna().to_numpy()
    if attributed.any():
        journey = touches[attributed]
        shapes = journey_shapes(journey["deal_id"], journey["channel"], journey["amount_cents"])
        effect = removal_effects(params, db_path).reindex(shapes["channel"], fill_value=0.0).to_numpy()
        deal_effect = pd.Series(effect, index=shapes.index).div(shapes["channel_touches"]).sum()
        within = effect / deal_effect if deal_effect > 0 else 1.0 / shapes["deal_channels"].to_numpy()
        exact[MODELS.index("markov"), attributed] = (
            shapes["amount_cents"] * within / shapes["channel_touches"]
        )
        exact[MODELS.index("shapley"), attributed] = (
            shapes["amount_cents"] / shapes["deal_channels"] / shapes["channel_touches"]
        )
    return exact


@db.computed_query(
    "attribution__receipt",
    "One row per touch of one deal's journey: when, channel, campaign, team, its roles (first, "
    "lead_creation, opportunity_creation, closing or middle) and its credit in USD under every model "
    "(one `<model>_usd` column each, each column summing to the deal's amount to the cent). Markov and "
    "Shapley are shared within the deal: by its channels' removal effects, and equally among its distinct "
    "channels. Without $deal_id, the largest deal in scope.",
    "-- $deal_id    text = null   the deal; NULL = the largest deal in scope\n" + SCOPE_DECLARATIONS,
)
def receipt(params: dict, db_path) -> pd.DataFrame:
    """A per-deal receipt: each touch and its credit under every model."""
    deal_id = params.get("deal_id")
    if deal_id is None:
        deal_id = _largest_deal(params, db_path)
    touches = db.run_query("attribution__touch_weights", db=db_path, **scope(params), deal_id=deal_id)
    touches = touches[touches["deal_id"] == deal_id]
    exact = _exact_receipt_cents(touches, params, db_path)
    total = int(touches["amount_cents"].iloc[0]) if len(touches) else 0
    # Every model at once: each model's row is one group holding the deal's amount.
    cents = (
        round_groups_to_cents(
            pd.Series(exact.reshape(-1)),
            pd.Series(np.repeat(MODELS, len(touches))),
            pd.Series(total, index=list(MODELS)),
        )
        .to_numpy()
        .reshape(len(MODELS), -1)
    )
    frame = pd.DataFrame(
        {
            "deal_id": touches["deal_id"],
            "touch_id": touches["touch_id"].astype("str"),
            **{
                column: touches[column]
                for column in (
                    "touch_number",
                    "touched_at",
                    "hours_before_conversion",
                    "channel",
                    "campaign_id",
                    "team",
                    "kind",
                    "person_id",
                )
            },
            "role": touch_roles(touches),
            **{
                f"{model}_usd": pd.Series(cents[i] / 100.0, index=touches.index)
                for i, model in enumerate(MODELS)
            },
        }
    )
    return frame.reset_index(drop=True)


@db.computed_query(
    "attribution__deals",
    "One row per deal in the attribution scope, largest first (at most $limit): deal_id, lead_id, "
    "amount_usd, converted_at (closed_at for revenue, created_at for pipeline) and touch_count (touches "
    "before the conversion point; 0 = unattributed). For picking a deal's receipt.",
    "-- $limit      integer = 500   the largest this many deals\n" + SCOPE_DECLARATIONS,
)
def deals(params: dict, db_path) -> pd.DataFrame:
    """The deals of the scope, largest first, for the receipt's picker."""
    frame = journey_deals(params, db_path)[
        ["deal_id", "lead_id", "amount_cents", "converted_at", "touch_count"]
    ]
    frame = frame.sort_values(["amount_cents", "deal_id"], ascending=[False, True]).head(params["limit"])
    frame.insert(2, "amount_usd", frame.pop("amount_cents") / 100.0)
    return frame.reset_index(drop=True)


@db.computed_query(
    "attribution__scope_totals",
    "One row: what the attribution scope holds: deal_count, total_usd (the revenue or pipeline every "
    "model shares out), converting journeys with touches (attributed_deal_count), unattributed deals and "
    "their USD, touch_count, and is_thin (fewer than 200 converting journeys: Markov and Shapley unstable).",
    SCOPE_DECLARATIONS,
)
def scope_totals(params: dict, db_path) -> pd.DataFrame:
    """Totals of the scope the models share out, for KPIs and thin-data warnings."""
    deals = journey_deals(params, db_path)
    unattributed = deals[deals["touch_count"] == 0]
    attributed_deals = len(deals) - len(unattributed)
    return pd.DataFrame(
        [
            {
                "basis": params["basis"],
                "deal_count": len(deals),
                "total_usd": deals["amount_cents"].sum() / 100.0,
                "attributed_deal_count": attributed_deals,
                "unattributed_deal_count": len(unattributed),
                "unattributed_usd": unattributed["amount_cents"].sum() / 100.0,
                "touch_count": int(deals["touch_count"].sum()),
                "is_thin": attributed_deals < THIN_JOURNEYS,
            }
        ]
    )
