"""The demo's touches: every marketing and sales interaction with each lead, drawn as integer codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from handoff.demo import company
from handoff.demo.company import (
    CHANNELS,
    DAY,
    DIRECT_SALES,
    HOUR,
)

CHANNEL_NAMES = (*(c.name for c in CHANNELS), DIRECT_SALES)
DIRECT_SALES_CODE = len(CHANNELS)
TEAMS = ("marketing", "sales")
TOUCH_KINDS = tuple(sorted({c.touch_kind for c in CHANNELS} | {"form", "call", "email", "meeting", "demo"}))


def _kind(*names: str) -> np.ndarray:
    return np.array([TOUCH_KINDS.index(name) for name in names], dtype=np.int8)


MARKETING_TEAM, SALES_TEAM = 0, 1


def draw_touches(
    rng,
    lead: dict,
    life: dict,
    deals: pd.DataFrame,
    windows: company.CampaignWindows,
    people,
    as_of_end: np.datetime64,
) -> pd.DataFrame:
    """Every interaction up to the as-of date, built as blocks of integer codes.

    Codes (channel, team, kind, campaign, person) keep millions of touches cheap to draw, sort
    and load; they become text through pandas categoricals only at the end.
    """
    touches = _TouchBlocks(rng, lead, life, deals, windows, people["person_id"].to_numpy())
    # The draws run in this order so one seed always gives the same company.
    touches.before_the_lead()
    touches.lead_creation()
    touches.nurture()
    touches.sales_follow_up()
    touches.deal_touches()
    return touches.frame(as_of_end)


class _TouchBlocks:
    """Touches collected block by block, one block per kind of moment in a lead's life."""

    def __init__(
        self,
        rng,
        lead: dict,
        life: dict,
        deals: pd.DataFrame,
        windows: company.CampaignWindows,
        person_ids: np.ndarray,
    ):
        self.rng, self.lead, self.life, self.deals, self.windows = rng, lead, life, deals, windows
        self.person_ids = person_ids
        self.channel_kind = _kind(*(c.touch_kind for c in CHANNELS))
        self.lead_owner = pd.Categorical(lead["owner_id"], categories=person_ids).codes.astype(np.int16)
        self.deal_owner = pd.Categorical(deals["owner_id"], categories=person_ids).codes.astype(np.int16)
        self.blocks: list[tuple[np.ndarray, ...]] = []

    def add(self, rows, at, channel, team, kind, person=-1) -> None:
        rows = np.asarray(rows)
        size = rows.shape
        channel = np.broadcast_to(np.asarray(channel, dtype=np.int16), size)
        is_campaign = channel != DIRECT_SALES_CODE
        campaign = np.where(
            is_campaign, self.windows.campaign_code(np.minimum(channel, DIRECT_SALES_CODE - 1), at), -1
        )
        self.blocks.append(
            (
                rows,
                at,
                channel,
                np.broadcast_to(np.asarray(team, dtype=np.int8), size),
                np.broadcast_to(np.asarray(kind, dtype=np.int8), size),
                campaign,
                np.broadcast_to(np.asarray(person, dtype=np.int16), size),
            )
        )

    def before_the_lead(self) -> None:
        """Anonymous marketing touches before the lead exists, later stitched to it."""
        rng, lead = self.rng, self.lead
        marketing_channels = np.array(
            company.channel_indices(*[c.name for c in CHANNELS if c.sourced_by == "marketing"])
        )
        rows = np.repeat(
            np.arange(lead["count"]), rng.poisson(np.where(lead["is_marketing_sourced"], 1.1, 0.4))
        )
        at = lead["created_at"][rows] - company.hours(rng.uniform(1.0, 24.0 * 45, len(rows)))
        same = rng.random(len(rows)) < 0.45
        channel = np.where(same, lead["channel_index"][rows], rng.choice(marketing_channels, len(rows)))
        self.add(rows, at, channel, MARKETING_TEAM, self.channel_kind[channel])

    def lead_creation(self) -> None:
        """The lead-creation touch, exactly at created_at, on the source channel."""
        lead = self.lead
        marketing = lead["is_marketing_sourced"]
        self.add(
            np.arange(lead["count"]),
            lead["created_at"],
            lead["channel_index"],
            np.where(marketing, MARKETING_TEAM, SALES_TEAM),
            np.where(marketing, _kind("form")[0], self.channel_kind[lead["channel_index"]]),
            person=np.where(marketing, -1, self.lead_owner),
        )

    def nurture(self) -> None:
        """Nurture between creation and MQL (or the next month for leads that never qualify)."""
        rng, lead, life = self.rng, self.lead, self.life
        created = lead["created_at"]
        rows = np.repeat(
            np.arange(lead["count"]), rng.poisson(np.where(lead["is_marketing_sourced"], 1.4, 0.5))
        )
        horizon = np.where(life["is_mql"], life["mql_at"] - created, 30 * DAY)[rows]
        at = created[rows] + (horizon * rng.uniform(0.05, 0.95, len(rows))).astype("timedelta64[us]")
        channel = rng.choice(company.channel_indices("email", "content", "webinar"), len(rows))
        self.add(rows, at, channel, MARKETING_TEAM, self.channel_kind[channel])

    def sales_follow_up(self) -> None:
        """Sales follow-up on MQLs: the first response, then calls and emails until qualified."""
        rng, life = self.rng, self.life
        rows = np.flatnonzero(life["has_response"] & life["is_mql"])
        self.add(
            rows,
            life["response_at"][rows],
            DIRECT_SALES_CODE,
            SALES_TEAM,
            rng.choice(_kind("call", "email"), len(rows)),
            person=self.lead_owner[rows],
        )
        working = rng.poisson(np.where(life["is_sal"], 2.2, 0.6))
        rows = np.repeat(np.flatnonzero(life["has_response"]), working[life["has_response"]])
        end = np.where(life["is_sql"], life["sql_at"], life["response_at"] + 14 * DAY)[rows]
        span = end - life["response_at"][rows]
        at = life["response_at"][rows] + (span * rng.uniform(0.02, 0.98, len(rows))).astype("timedelta64[us]")
        self.add(
            rows,
            at,
            DIRECT_SALES_CODE,
            SALES_TEAM,
            rng.choice(_kind("call", "email", "meeting"), len(rows)),
            person=self.lead_owner[rows],
        )

    def deal_touches(self) -> None:
        """Deals: the demo that opens the opportunity, marketing air cover, the closing meeting."""
        rng, deals, deal_owner = self.rng, self.deals, self.deal_owner
        rows = deals["lead_row"].to_numpy()
        deal_created = deals["created_at"].to_numpy()
        cycle = (deals["closed_at"] - deals["created_at"]).to_numpy()
        self.add(rows, deal_created, DIRECT_SALES_CODE, SALES_TEAM, _kind("demo")[0], person=deal_owner)
        deal_index = np.repeat(np.arange(len(rows)), rng.poisson(0.9, len(rows)))
        at = deal_created[deal_index] + (cycle[deal_index] * rng.uniform(0.05, 0.9, len(deal_index))).astype(
            "timedelta64[us]"
        )
        channel = rng.choice(
            company.channel_indices("webinar", "events", "content", "email"), len(deal_index)
        )
        self.add(rows[deal_index], at, channel, MARKETING_TEAM, self.channel_kind[channel])
        deal_index = np.repeat(np.arange(len(rows)), rng.poisson(1.3, len(rows)))
        at = deal_created[deal_index] + (cycle[deal_index] * rng.uniform(0.1, 0.95, len(deal_index))).astype(
            "timedelta64[us]"
        )
        self.add(
            rows[deal_index],
            at,
            DIRECT_SALES_CODE,
            SALES_TEAM,
            _kind("meeting")[0],
            person=deal_owner[deal_index],
        )
        closing = np.maximum(
            deals["closed_at"].to_numpy() - company.hours(rng.uniform(1.0, 72.0, len(rows))),
            deal_created + HOUR,
        )
        self.add(rows, closing, DIRECT_SALES_CODE, SALES_TEAM, _kind("meeting")[0], person=deal_owner)

    def frame(self, as_of_end: np.datetime64) -> pd.DataFrame:
        """The touches seen by the as-of date, in time order, codes turned into text."""
        lead_row, at, channel, team, kind, campaign, person = (
            np.concatenate(parts) for parts in zip(*self.blocks, strict=True)
        )
        seen = at < as_of_end
        order = np.flatnonzero(seen)[np.lexsort((lead_row[seen], at[seen]))]

        def text(codes: np.ndarray, names) -> pd.Categorical:
            return pd.Categorical.from_codes(codes[order], categories=list(names))

        return pd.DataFrame(
            {
                "touch_number": np.arange(1, len(order) + 1),
                "lead_number": lead_row[order] + 1,
                "campaign_id": text(campaign, self.windows.all_ids),
                "channel": text(channel, CHANNEL_NAMES),
                "team": text(team, TEAMS),
                "kind": text(kind, TOUCH_KINDS),
                "touched_at": at[order],
                "person_id": text(person, self.person_ids),
            }
        )
