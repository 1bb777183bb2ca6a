"""The scope's journeys as the models read them: its deals, its journey rows as numbers, and the
names behind the touch keys.

The journeys are built once, when the database is written (`queries/derived/attribution_journeys.sql`).
A scope reads its own rows of them (`attribution__journey_touches`, cached by the runner and shared by
every level and model) and its deals (`attribution__journey_deals`); the names behind the touch keys
(`attribution__journey_keys`) hold for every scope, so they are read once per database file and kept
in the shared cache (`handoff.cache`) until the file changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from handoff import cache, db
from handoff.attribution.models import UNATTRIBUTED, markov_removal_effects

LEVELS = ("channel", "campaign", "team")
BASES = ("revenue", "pipeline")
NO_CAMPAIGN = "(no campaign)"
SCOPE_PARAMS = ("basis", "start", "end", "segments", "regions", "channels", "teams", "owners", "campaigns")

SCOPE_DECLARATIONS = """\
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


def scope(params: dict) -> dict:
    """The scope parameters among `params` (what the journey queries take)."""
    return {name: params[name] for name in SCOPE_PARAMS if name in params}


def journey_deals(params: dict, db_path) -> pd.DataFrame:
    """attribution__journey_deals: the scope's deals, one row each (cached by the runner)."""
    return db.run_query("attribution__journey_deals", db=db_path, **scope(params))


def removal_effects(params: dict, db_path) -> pd.Series:
    """Each channel's Markov removal effect over the scope's converting and non-converting journeys."""
    transitions = db.run_query("attribution__channel_transitions", db=db_path, **scope(params))
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
            names = {
                "channel": keys["channel"],
                "campaign": keys["campaign_id"].fillna(NO_CAMPAIGN),
                "team": keys["team"],
            }[level]
            groups: dict[tuple[str, str], int] = {}
            key_group = [groups.setdefault(pair, len(groups)) for pair in zip(names, keys["team"])]
            unattributed = groups.setdefault((UNATTRIBUTED, UNATTRIBUTED), len(groups))
            slot_group = np.full(slots, unattributed, dtype=np.int64)
            slot_group[key_ids] = key_group
            self._levels[level] = (
                slot_group,
                np.array([key for key, _ in groups], dtype=object),
                np.array([team for _, team in groups], dtype=object),
            )

    def level(self, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """At `level`: each slot's group number, and each group's key and team (names by number)."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        return self._levels[level]

    def nbytes(self) -> int:
        """About how many bytes it holds (for the shared cache's bound)."""
        arrays = [self.slot_channel, *(array for arrays in self._levels.values() for array in arrays)]
        return cache.frame_bytes(self.keys) + sum(cache.sizeof(array) for array in arrays)


# The touch keys of each database file, by path, with the file's identity: (identity, TouchKeys).
# A handful of files at most (the tests make many).
TOUCH_KEYS = cache.Cache(
    "attribution touch keys", max_items=8, sizer=lambda held: cache.sizeof(held[0]) + held[1].nbytes()
)


def touch_keys(db_path) -> TouchKeys:
    """The touch keys of the database at `db_path`. They are numbered once when the file is written
    and hold for every scope, so they are read once per file (by its identity: a rebuilt or swapped
    file is read again), not once per scope as the runner's cache would."""
    identity = db.db_identity(db_path)
    held = TOUCH_KEYS.get(identity.path)
    if held is None or held[0] != identity:
        held = TOUCH_KEYS.put(
            identity.path, (identity, TouchKeys(db.run_query("attribution__journey_keys", db=identity.path)))
        )
    return held[1]


def clear_file_caches() -> None:
    """Forget what attribution keeps per database file (the touch keys): a server just started."""
    TOUCH_KEYS.clear()


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
        """The journeys of the scope in `params` on the database at `db_path`."""
        rows = db.run_query("attribution__journey_touches", db=db_path, **scope(params))
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
