"""Attribution over aggregated paths, for journeys that live outside a CRM.

Input is the ChannelAttribution format: one row per path, channels joined by `>`, with
total_conversions, total_conversion_value and total_null (journeys on that path that did not
convert). Only the models that need nothing but the order of channels apply: first touch, last
touch, linear, U-shaped (40/20/40 over first, middle, last), Markov (needs total_null) and
Shapley. Time decay, W-shaped and full path need timestamps or CRM milestones and are left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from handoff.attribution.models import (
    CONVERSION,
    MODELS,
    NULL,
    PATH_MODELS,
    START,
    markov_removal_effects,
    shapley,
)
from handoff.errors import HandoffError

PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
SEPARATOR = ">"


class PathFileError(HandoffError):
    """The paths file is missing, unreadable or not in the expected format."""


def read_paths(file: str | Path) -> pd.DataFrame:
    """Read and check a paths CSV: `path` and `total_conversions` are required, the value and the
    null counts optional (without `total_null` the Markov model is left out)."""
    file = Path(file)
    if not file.is_file():
        raise PathFileError(f"no paths file at {file}")
    try:
        frame = pd.read_csv(file, dtype={"path": "str"})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PathFileError(f"{file} is not a readable CSV ({str(exc).strip().splitlines()[0]})") from None
    missing = [c for c in ("path", "total_conversions") if c not in frame.columns]
    if missing:
        raise PathFileError(
            f"{file.name} lacks the column(s) {', '.join(missing)}; expected {', '.join(PATH_COLUMNS)}"
        )
    for column in PATH_COLUMNS[1:]:
        if column not in frame.columns:
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | (numbers < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 2  # +1 for the header, +1 for counting from 1
            raise PathFileError(
                f"{file.name} line {row}: {column} must be a number ≥ 0, got {frame[column].iloc[row - 2]!r}"
            )
        frame[column] = numbers.astype(float)
    paths = frame["path"].fillna("").str.strip()
    empty = paths.str.contains(r"(?:^|>)\s*(?:>|$)", regex=True)  # an empty path or an empty step
    if empty.any():
        row = int(np.flatnonzero(empty)[0]) + 2
        raise PathFileError(f"{file.name} line {row}: a path needs channel names joined by '{SEPARATOR}'")
    frame["path"] = paths
    return frame


def explode_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """One row per step: journey (the input row), position (from 0), steps in the path, channel."""
    channels = paths["path"].str.split(SEPARATOR).explode().str.strip()
    steps = pd.DataFrame({"journey": channels.index.to_numpy(), "channel": channels.to_numpy()})
    steps["position"] = steps.groupby("journey").cumcount()
    steps["steps"] = steps.groupby("journey")["channel"].transform("size")
    return steps


def rule_weights(steps: pd.DataFrame) -> pd.DataFrame:
    """The weight of each step (summing to 1 per path) under the position-based models."""
    position, count = steps["position"].to_numpy(), steps["steps"].to_numpy()
    is_first, is_last = position == 0, position == count - 1
    middle = np.maximum(count - 2, 1)
    u_end = np.where(count <= 2, 0.5, 0.4)
    return pd.DataFrame(
        {
            "first_touch": is_first.astype(float),
            "last_touch": is_last.astype(float),
            "linear": 1.0 / count,
            # 40 % first, 40 % last, 20 % over the middle; one or two steps share everything equally.
            "u_shaped": np.where(
                is_first | is_last, u_end * (is_first.astype(int) + is_last.astype(int)), 0.2 / middle
            ),
        },
        index=steps.index,
    )


def path_transitions(paths: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """The Markov chain's step counts: every journey on a path (converted or not) walks it once;
    a channel repeated in a row is one visit."""
    journeys = paths["total_conversions"] + paths["total_null"]
    visits = steps[steps["channel"].ne(steps.groupby("journey")["channel"].shift())].copy()
    visits["next"] = visits.groupby("journey")["channel"].shift(-1)
    visits["journeys"] = journeys.reindex(visits["journey"]).to_numpy()
    first = visits.drop_duplicates("journey")
    moves = [
        pd.DataFrame({"from_state": START, "to_state": first["channel"], "journey_count": first["journeys"]}),
        visits.dropna(subset=["next"]).rename(
            columns={"channel": "from_state", "next": "to_state", "journeys": "journey_count"}
        ),
    ]
    last = visits[visits["next"].isna()]
    for state, counts in ((CONVERSION, paths["total_conversions"]), (NULL, paths["total_null"])):
        moves.append(
            pd.DataFrame(
                {
                    "from_state": last["channel"],
                    "to_state": state,
                    "journey_count": counts.reindex(last["journey"]).to_numpy(),
                }
            )
        )
    frame = pd.concat([m[["from_state", "to_state", "journey_count"]] for m in moves], ignore_index=True)
    return frame.groupby(["from_state", "to_state"], as_index=False)["journey_count"].sum()


def path_credit(paths: pd.DataFrame) -> pd.DataFrame:
    """Every path model's credit per channel: model, channel, conversions, value.

    Within a model, conversions add up to total_conversions and value to total_conversion_value.
    """
    has_value = "total_conversion_value" in paths.columns
    conversions = paths["total_conversions"].to_numpy(dtype=float)
    value = paths["total_conversion_value"].to_numpy(dtype=float) if has_value else np.zeros(len(paths))
    steps = explode_paths(paths)
    channels = sorted(steps["channel"].unique())
    frames = _rule_credit(steps, conversions, value)
    if "total_null" in paths.columns:
        frames += _markov_credit(paths, steps, channels, conversions, value)
    frames += _shapley_credit(steps, conversions, value)
    return _credit_table(frames, channels, has_value)


def _rule_credit(steps: pd.DataFrame, conversions: np.ndarray, value: np.ndarray) -> list[pd.DataFrame]:
    """The position-based models' credit, one row per step: the path's totals times the step's weight."""
    weights = rule_weights(steps)
    journey = steps["journey"].to_numpy()
    return [
        pd.DataFrame(
            {
                "model": model,
                "channel": steps["channel"],
                "conversions": conversions[journey] * weights[model].to_numpy(),
                "value": value[journey] * weights[model].to_numpy(),
            }
        )
        for model in weights.columns
    ]


def _markov_credit(
    paths: pd.DataFrame, steps: pd.DataFrame, channels: list[str], conversions: np.ndarray, value: np.ndarray
) -> list[pd.DataFrame]:
    """The Markov model's credit: all conversions shared by removal effect. Nothing when no channel
    has an effect (no path converts), so the model is left out rather than shown as zeros."""
    effects, _ = markov_removal_effects(path_transitions(paths, steps))
    if not effects.sum() > 0:
        return []
    share = (effects / effects.sum()).reindex(channels, fill_value=0.0)
    return [
        pd.DataFrame(
            {
                "model": "markov",
                "channel": channels,
                "conversions": conversions.sum() * share.to_numpy(),
                "value": value.sum() * share.to_numpy(),
            }
        )
    ]


def _shapley_credit(steps: pd.DataFrame, conversions: np.ndarray, value: np.ndarray) -> list[pd.DataFrame]:
    """The Shapley model's credit. The players are the channels on a path worth something; each path
    is the set of them it touches (a bit mask), worth its conversions and value."""
    journey = steps["journey"].to_numpy()
    players = sorted(steps.loc[conversions[journey] + value[journey] > 0, "channel"].unique())
    if not players:
        return []
    bit = pd.Series(1 << np.arange(len(players), dtype=np.int64), index=players)
    distinct = steps[steps["channel"].isin(players)].drop_duplicates(["journey", "channel"])
    masks = distinct.assign(bit=bit.reindex(distinct["channel"]).to_numpy()).groupby("journey")["bit"].sum()
    worth = np.column_stack([conversions, value])[masks.index.to_numpy()]
    phi = shapley(masks.to_numpy(), worth, len(players))
    return [
        pd.DataFrame({"model": "shapley", "channel": players, "conversions": phi[:, 0], "value": phi[:, 1]})
    ]


def _credit_table(frames: list[pd.DataFrame], channels: list[str], has_value: bool) -> pd.DataFrame:
    """The models' credit summed per model and channel, every channel under every model that ran
    (zero where it earned nothing), in the models' order and by value within one; without a value
    column the value is NaN rather than a misleading zero."""
    credit = (
        pd.concat(frames, ignore_index=True)
        .groupby(["model", "channel"], as_index=False)[["conversions", "value"]]
        .sum()
    )
    grid = pd.MultiIndex.from_product(
        [[m for m in PATH_MODELS if m in set(credit["model"])], channels], names=["model", "channel"]
    )
    credit = credit.set_index(["model", "channel"]).reindex(grid, fill_value=0.0).reset_index()
    credit["model_order"] = credit["model"].map({m: i for i, m in enumerate(MODELS)})
    credit = credit.sort_values(
        ["model_order", "value", "conversions", "channel"], ascending=[True, False, False, True]
    )
    if not has_value:
        credit["value"] = np.nan
    return credit.drop(columns="model_order").reset_index(drop=True)
