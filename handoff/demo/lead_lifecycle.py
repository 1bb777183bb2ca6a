"""The demo's leads: when they arrive, who they are, how far each gets, and the deals they open."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from handoff.demo import company
from handoff.demo.company import (
    CHANNELS,
    COMPANY_SIZE_SEGMENT,
    COMPANY_SIZE_SHARE,
    COMPANY_SIZES,
    DAY,
    HOUR,
    INDUSTRIES,
    LEAD_REJECT_REASONS,
    LOST_REASONS,
    MISSED_MQL_QUARTER,
    MQL_REJECT_REASONS,
    PRODUCTS,
    REGION_SHARE,
    REGION_UTC_OFFSET_HOURS,
    REGIONS,
    SAL_DISQUALIFY_REASONS,
    SDR_MEDIAN_RESPONSE_HOURS,
    SEGMENT_CYCLE_MEDIAN_DAYS,
    SEGMENT_DEAL_MEDIAN_USD,
    SEGMENT_PRODUCT,
    SEGMENT_SCORE_BONUS,
    SEGMENT_WIN_FACTOR,
    SEGMENTS,
    SLIPPED_FOLLOW_UP_QUARTER,
    SQL_DISQUALIFY_REASONS,
)
from handoff.filters import add_months


def draw_leads(
    rng, count: int, start: dt.date, as_of: dt.date, windows: company.CampaignWindows, people
) -> dict:
    created, channel, region, quarter = _lead_arrivals(rng, count, start, as_of)
    return _lead_attributes(rng, count, created, channel, region, quarter, windows, people)


def _lead_arrivals(rng, count: int, start: dt.date, as_of: dt.date) -> tuple[np.ndarray, ...]:
    """When each lead arrived, from which channel and region, in time order: (created, channel, region,
    quarter). The paid channels' quarter without budget is thinned."""
    months = company.month_starts(start, as_of)
    weights = company.month_weights(months, as_of)
    # Draw more than needed, thin the quarter where paid marketing paused, keep the first `count`.
    draw = int(count * 1.25) + 100
    month_index = rng.choice(len(months), size=draw, p=weights / weights.sum())
    month_start = np.array([np.datetime64(m, "us") for m in months])
    month_end = np.array(
        [np.datetime64(min(add_months(m, 1), as_of + dt.timedelta(days=1)), "us") for m in months]
    )
    region = rng.choice(len(REGIONS), size=draw, p=REGION_SHARE)
    span_days = (month_end - month_start)[month_index] / DAY
    day = np.floor(rng.random(draw) * span_days).astype(np.int64)
    local_hour = np.clip(rng.normal(13.0, 3.2, draw), 0, 23.99)
    offset = np.array(REGION_UTC_OFFSET_HOURS)[region]
    created = (
        month_start[month_index]
        + day * DAY
        + ((local_hour - offset) * 3600e6).astype(np.int64).astype("timedelta64[us]")
    )
    # Most inbound arrives on weekdays: move two thirds of weekend leads to the Monday after.
    weekday = (created.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    weekend = (weekday >= 5) & (rng.random(draw) < 0.67)
    created = np.where(weekend, created + (7 - weekday) * DAY, created)
    created = np.clip(created, month_start[0], np.datetime64(as_of, "us") + DAY - HOUR)

    channel_share = np.array([c.share for c in CHANNELS])
    channel = rng.choice(len(CHANNELS), size=draw, p=channel_share / channel_share.sum())
    quarter = company.quarter_index(created, start)
    paused = (quarter == MISSED_MQL_QUARTER) & np.isin(
        channel, company.channel_indices("paid_search", "social", "events")
    )
    keep = ~(paused & (rng.random(draw) < 0.6))
    pick = np.flatnonzero(keep)[:count]  # the draw is i.i.d., so the first `count` are a fair sample
    if len(pick) < count:
        raise RuntimeError("demo draw came up short; raise the oversampling factor")
    pick = pick[np.argsort(created[pick], kind="stable")]
    return created[pick], channel[pick], region[pick], quarter[pick]


def _lead_attributes(
    rng, count: int, created, channel, region, quarter, windows: company.CampaignWindows, people
) -> dict:
    """Each lead's company (size, segment, industry), score and owner, with its arrival."""
    size = rng.choice(len(COMPANY_SIZES), size=count, p=COMPANY_SIZE_SHARE)
    segment = np.array(COMPANY_SIZE_SEGMENT)[size]
    quality = np.array([c.quality for c in CHANNELS])[channel] + np.array(SEGMENT_SCORE_BONUS)[segment]
    concentration = 9.0
    a = np.clip(quality, 0.05, 0.95) * concentration
    score = np.clip(np.round(100 * rng.beta(a, concentration - a)), 0, 100).astype(np.int64)
    industry_index = rng.integers(0, len(INDUSTRIES), size=count)
    industry = np.where(segment == 3, "consumer", np.array(INDUSTRIES, dtype=object)[industry_index])
    sdrs = company.role_ids(people, "sdr")
    owner_slot = rng.integers(0, len(sdrs[0]), size=count)
    owner = np.empty(count, dtype=object)
    for r in range(len(REGIONS)):
        mask = region == r
        owner[mask] = sdrs[r][owner_slot[mask]]
    sourced_by = np.array([c.sourced_by for c in CHANNELS], dtype=object)[channel]
    return {
        "count": count,
        "created_at": created,
        "channel_index": channel,
        "channel": np.array([c.name for c in CHANNELS], dtype=object)[channel],
        "source_campaign_id": windows.campaign_of(channel, created),
        "sourced_by": sourced_by,
        "is_marketing_sourced": sourced_by == "marketing",
        "segment_index": segment,
        "segment": np.array(SEGMENTS, dtype=object)[segment],
        "region_index": region,
        "region": np.array(REGIONS, dtype=object)[region],
        "industry": industry,
        "company_size": np.array(COMPANY_SIZES, dtype=object)[size],
        "score": score,
        "owner_slot": owner_slot,
        "owner_id": owner,
        "quarter": quarter,
    }


# ---------------------------------------------------------------------------------------------
# Lifecycle


def lifecycle(rng, lead: dict, start: dt.date, people) -> dict:
    follow_up = _qualify_and_follow_up(rng, lead, start)
    progress = _accept_and_advance(rng, lead, follow_up)
    reason, disqualified_at = _exits(rng, lead, follow_up, progress)
    nat = np.datetime64("NaT")
    return {
        "is_mql": follow_up["is_mql"],
        "mql_at": np.where(follow_up["is_mql"], follow_up["mql_at"], nat),
        "has_response": follow_up["has_response"],
        "response_at": np.where(follow_up["has_response"], follow_up["response_at"], nat),
        "speed_factor": follow_up["speed_factor"],
        "is_sal": progress["is_sal"],
        "sal_at": np.where(progress["is_sal"], progress["decision_at"], nat),
        "rejected": progress["rejected"],
        "is_sql": progress["is_sql"],
        "sql_at": np.where(progress["is_sql"], progress["sql_at"], nat),
        "is_opportunity": progress["is_opportunity"],
        "opportunity_at": np.where(progress["is_opportunity"], progress["opportunity_at"], nat),
        "disqualified_at": disqualified_at,
        "disqualify_reason": reason,
    }


def _qualify_and_follow_up(rng, lead: dict, start: dt.date) -> dict:
    n = lead["count"]
    marketing = lead["is_marketing_sourced"]
    created = lead["created_at"]

    # MQL: marketing-sourced leads qualify by score; sales-sourced leads skip MQL.
    mql_probability = 0.88 / (1 + np.exp(-(lead["score"] - 44) / 9.0))
    mql_probability = np.where(lead["quarter"] == MISSED_MQL_QUARTER, mql_probability * 0.85, mql_probability)
    is_mql = marketing & (rng.random(n) < mql_probability)
    mql_at = created + company.hours(company.lognormal_hours(rng, 20.0, 1.1, n))

    # Follow-up: each SDR has a typical speed; a hiring freeze slowed everyone for a quarter.
    rep_median = np.array(SDR_MEDIAN_RESPONSE_HOURS)[lead["owner_slot"]]
    slipped = company.quarter_index(mql_at, start) == SLIPPED_FOLLOW_UP_QUARTER
    rep_median = np.where(slipped, rep_median * 4.0 + 6.0, rep_median)
    response_hours = company.lognormal_hours(rng, rep_median, 1.0, n)
    never_followed = rng.random(n) < np.where(slipped, 0.12, 0.035)
    response_at = np.where(is_mql, mql_at, created) + company.hours(response_hours)
    # Sales-sourced leads are created by the rep's own outreach, so their "response" is immediate.
    response_at = np.where(marketing, response_at, created + company.hours(rng.uniform(0.5, 48.0, n)))
    return {
        "is_mql": is_mql,
        "mql_at": mql_at,
        "response_at": response_at,
        "has_response": np.where(marketing, is_mql & ~never_followed, True),
        "speed_factor": np.where(marketing, 0.42 + 0.58 * np.exp(-response_hours / 6.0), 0.8),
    }


def _accept_and_advance(rng, lead: dict, follow_up: dict) -> dict:
    n = lead["count"]
    score = lead["score"] / 100.0
    # Acceptance: sales accepts or rejects the MQL with a reason, usually within a day or two.
    decision_at = follow_up["response_at"] + company.hours(company.lognormal_hours(rng, 5.0, 1.3, n))
    accept_probability = np.where(lead["is_marketing_sourced"], 0.45 + 0.5 * score, 0.72)
    decided = follow_up["has_response"] & (rng.random(n) < 0.97)
    is_sal = decided & (rng.random(n) < accept_probability)

    # Qualification depends on both lead quality and how fast sales got there.
    sql_probability = (0.12 + 0.75 * score) * follow_up["speed_factor"]
    is_sql = is_sal & (rng.random(n) < sql_probability)
    sql_at = decision_at + company.hours(company.lognormal_hours(rng, 96.0, 0.8, n))
    is_opportunity = is_sql & (rng.random(n) < 0.78)
    opportunity_at = sql_at + company.hours(company.lognormal_hours(rng, 60.0, 0.7, n))
    return {
        "decision_at": decision_at,
        "is_sal": is_sal,
        "rejected": decided & ~is_sal,
        "is_sql": is_sql,
        "sql_at": sql_at,
        "is_opportunity": is_opportunity,
        "opportunity_at": opportunity_at,
    }


def _exits(rng, lead: dict, follow_up: dict, progress: dict) -> tuple[np.ndarray, np.ndarray]:
    """Why leads leave, and when: each exit gets the reason a CRM would record."""
    n = lead["count"]
    score = lead["score"] / 100.0
    created = lead["created_at"]
    decision_at, sql_at = progress["decision_at"], progress["sql_at"]
    reason = np.full(n, None, dtype=object)
    disqualified_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    junk = ~follow_up["is_mql"] & lead["is_marketing_sourced"] & (rng.random(n) < 0.18)
    reason[junk] = np.array(LEAD_REJECT_REASONS, dtype=object)[rng.integers(0, 3, n)][junk]
    disqualified_at[junk] = (created + company.hours(company.lognormal_hours(rng, 30.0, 0.8, n)))[junk]
    # Low scores get rejected as not a fit; the rest for data and routing reasons.
    rejected = progress["rejected"]
    reject_pick = np.where(rng.random(n) < 0.85 - 0.6 * score, 0, rng.integers(1, len(MQL_REJECT_REASONS), n))
    reason[rejected] = np.array(MQL_REJECT_REASONS, dtype=object)[reject_pick][rejected]
    disqualified_at[rejected] = decision_at[rejected]
    dropped_sal = progress["is_sal"] & ~progress["is_sql"]
    reason[dropped_sal] = np.array(SAL_DISQUALIFY_REASONS, dtype=object)[rng.integers(0, 4, n)][dropped_sal]
    disqualified_at[dropped_sal] = (decision_at + company.hours(company.lognormal_hours(rng, 240.0, 0.6, n)))[
        dropped_sal
    ]
    dropped_sql = progress["is_sql"] & ~progress["is_opportunity"]
    reason[dropped_sql] = np.array(SQL_DISQUALIFY_REASONS, dtype=object)[rng.integers(0, 2, n)][dropped_sql]
    disqualified_at[dropped_sql] = (sql_at + company.hours(company.lognormal_hours(rng, 200.0, 0.5, n)))[
        dropped_sql
    ]
    return reason, disqualified_at


def draw_deals(rng, lead: dict, life: dict, people) -> pd.DataFrame:
    rows = np.flatnonzero(life["is_opportunity"])
    n = len(rows)
    segment = lead["segment_index"][rows]
    score = lead["score"][rows] / 100.0
    speed = life["speed_factor"][rows]
    created = life["opportunity_at"][rows]
    amount = np.round(
        np.exp(np.log(np.array(SEGMENT_DEAL_MEDIAN_USD)[segment]) + 0.55 * rng.standard_normal(n)), -1
    )
    cycle_days = company.lognormal_hours(rng, np.array(SEGMENT_CYCLE_MEDIAN_DAYS)[segment], 0.5, n)
    closed = created + company.hours(24.0 * cycle_days)
    segment_odds = np.array(SEGMENT_WIN_FACTOR)[segment]  # big deals are harder to win
    win_probability = np.clip((0.08 + 0.45 * score + 0.3 * (speed - 0.42)) * segment_odds, 0.02, 0.9)
    won = rng.random(n) < win_probability
    aes = company.role_ids(people, "ae")
    owner = np.empty(n, dtype=object)
    slot = rng.integers(0, len(aes[0]), n)
    region = lead["region_index"][rows]
    for r in range(len(REGIONS)):
        mask = region == r
        owner[mask] = aes[r][slot[mask]]
    return pd.DataFrame(
        {
            "deal_number": np.arange(1, n + 1),
            "lead_number": rows + 1,
            "lead_row": rows,
            "created_at": created,
            "closed_at": closed,
            "stage": np.where(won, "won", "lost").astype(object),
            "amount": amount,
            "owner_id": owner,
            "lost_reason": np.where(won, None, np.array(LOST_REASONS, dtype=object)[rng.integers(0, 6, n)]),
            "product": np.array(PRODUCTS, dtype=object)[np.array(SEGMENT_PRODUCT)[segment]],
        }
    )
