"""A deterministic demo company: two years of leads, touches, deals and targets.

Everything is drawn with numpy, a whole column at a time (never a Python loop per lead), then
loaded into DuckDB, which formats the text ids. The story it tells, so the dashboard has
something to find:

- seasonality (a summer lull, an autumn peak) on a growing business;
- channels that differ in lead quality (score) and in cost per lead;
- SDRs who differ in follow-up speed, and conversion that depends on both score and speed;
- one quarter where marketing missed its MQL volume (paid budget paused), and another where sales
  follow-up slipped (a hiring freeze), both visible against the monthly targets;
- MQLs still waiting for a first response at the as-of date (the SLA live queue).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from handoff import db
from handoff.filters import add_months, quarter_start

Progress = Callable[[float, str], None]

DEFAULT_LEADS = 40_000
DEFAULT_SEED = 42
QUARTERS = 8
MISSED_MQL_QUARTER = 3  # counted from the first quarter of the demo
SLIPPED_FOLLOW_UP_QUARTER = 6

HOUR = np.timedelta64(3_600_000_000, "us")
DAY = 24 * HOUR

REGIONS = ("NA", "EMEA", "APAC")
REGION_SHARE = (0.5, 0.32, 0.18)
REGION_UTC_OFFSET_HOURS = (-5, 0, 8)  # working hours are local; timestamps are stored in UTC


@dataclass(frozen=True)
class Channel:
    """How a channel behaves: volume share, lead quality, cost per lead, the kind of its touch."""

    name: str
    share: float
    quality: float  # mean lead score / 100
    cost_per_lead: float
    touch_kind: str
    campaigns: int
    sourced_by: str = "marketing"


CHANNELS = (
    Channel("paid_search", 0.20, 0.48, 95.0, "ad_click", 6),
    Channel("organic_search", 0.13, 0.52, 18.0, "page_visit", 2),
    Channel("social", 0.12, 0.34, 70.0, "ad_click", 5),
    Channel("email", 0.08, 0.45, 12.0, "email", 5),
    Channel("webinar", 0.08, 0.60, 140.0, "webinar", 5),
    Channel("events", 0.06, 0.58, 310.0, "event", 4),
    Channel("direct_mail", 0.03, 0.42, 220.0, "direct_mail", 3),
    Channel("content", 0.09, 0.44, 45.0, "content_download", 4),
    Channel("referral", 0.05, 0.72, 30.0, "referral", 2),
    Channel("partner", 0.06, 0.64, 160.0, "partner_referral", 3, "sales"),
    Channel("outbound_sdr", 0.10, 0.50, 120.0, "email", 4, "sales"),
)
# Person-to-person sales work (calls, meetings, demos) outside a sequence.
DIRECT_SALES = "direct_sales"

SEGMENTS = ("smb", "mid_market", "enterprise", "consumer")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+", "individual")
COMPANY_SIZE_SHARE = (0.17, 0.22, 0.22, 0.17, 0.09, 0.05, 0.08)
COMPANY_SIZE_SEGMENT = (0, 0, 1, 1, 2, 2, 3)
SEGMENT_SCORE_BONUS = (0.0, 0.04, 0.07, -0.10)
SEGMENT_DEAL_MEDIAN_USD = (9_000.0, 32_000.0, 120_000.0, 1_200.0)
SEGMENT_CYCLE_MEDIAN_DAYS = (21.0, 45.0, 90.0, 7.0)
SEGMENT_WIN_FACTOR = (1.15, 1.0, 0.7, 1.25)
INDUSTRIES = (
    "software", "financial_services", "healthcare", "manufacturing",
    "retail", "education", "media", "professional_services",
)
PRODUCTS = ("Starter", "Growth", "Enterprise", "Consumer")
SEGMENT_PRODUCT = (0, 1, 2, 3)

LEAD_REJECT_REASONS = ("spam", "student_or_job_seeker", "competitor")
MQL_REJECT_REASONS = ("not_a_fit", "bad_contact_data", "duplicate", "wrong_territory", "no_budget")
SAL_DISQUALIFY_REASONS = ("no_response_after_contact", "no_budget", "no_authority", "timing")
SQL_DISQUALIFY_REASONS = ("no_project", "timing")
LOST_REASONS = ("price", "competitor", "no_decision", "timing", "missing_feature", "champion_left")

# Per region: marketers, SDRs, AEs, account managers; plus a manager per team and region.
TEAM_SHAPE = {"marketer": 3, "sdr": 4, "ae": 3, "account_manager": 1}
# Median first-response hours of each SDR within a region, fastest first: the reps differ.
SDR_MEDIAN_RESPONSE_HOURS = (0.15, 0.9, 4.0, 14.0)

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dara", "Emil", "Fatima",
    "Gabe", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo", "Nia",
)
LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Silva", "Kowalski", "Reyes",
    "Nguyen", "Schmidt", "Patel", "Brennan", "Costa", "Ivanova", "Mensah", "Laurent", "Yamada",
    "Fischer", "Alvarez", "Dubois", "Kaur", "Sato", "Rossi", "Jensen", "Osei", "Park", "Weber",
    "Ortiz", "Hughes", "Bauer", "Chen", "Adeyemi", "Larsen", "Vargas", "Kim", "Meyer", "Ali",
    "Romano", "Walsh",
)


def demo_start(as_of: dt.date) -> dt.date:
    """The first day of the demo: the start of the quarter eight quarters before `as_of`'s."""
    return add_months(quarter_start(as_of), -3 * QUARTERS)


def build_demo(
    db_path: str | Path | None = None,
    *,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    """Generate the demo company and write it, atomically, to `db_path`."""
    if leads < 100:
        raise ValueError(f"--leads must be at least 100 (got {leads})")
    as_of = as_of or dt.date.today()
    report = progress or (lambda fraction, message: None)

    def fill(con) -> dict[str, str]:
        tables = generate(leads=leads, seed=seed, as_of=as_of, progress=report)
        steps = [
            ("people", tables["people"], "select * from frame"),
            ("campaigns", tables["campaigns"], "select * from frame"),
            ("leads", tables["leads"], _LEADS_INSERT),
            ("touches", tables["touches"], _TOUCHES_INSERT),
            ("deals", tables["deals"], _DEALS_INSERT),
            ("targets", tables["targets"], "select * from frame"),
        ]
        for index, (table, frame, select) in enumerate(steps):
            report(0.6 + 0.38 * index / len(steps), f"writing {table} ({len(frame):,} rows)")
            con.register("frame", frame)
            con.execute(f"insert into {table} {select}")
            con.unregister("frame")
        report(0.99, "saving the database")
        return {
            "source": "demo",
            "as_of": as_of.isoformat(),
            "seed": str(seed),
            "leads": str(leads),
            "built_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    path = db.build_database(db_path, fill)
    report(1.0, f"demo database ready: {path}")
    return path


# Ids are formatted in SQL: much faster than building millions of Python strings.
_LEADS_INSERT = """
select 'L' || lpad(lead_number::text, 7, '0'), created_at, channel, source_campaign_id, sourced_by,
       segment, region, industry, company_size, score, mql_at, sal_at, sql_at, disqualified_at,
       disqualify_reason, owner_id
from frame
"""
_TOUCHES_INSERT = """
select 'T' || lpad(touch_number::text, 8, '0'), 'L' || lpad(lead_number::text, 7, '0'),
       campaign_id::text, channel::text, team::text, kind::text, touched_at, person_id::text
from frame
"""
_DEALS_INSERT = """
select 'D' || lpad(deal_number::text, 7, '0'), 'L' || lpad(lead_number::text, 7, '0'), created_at,
       closed_at, stage, round(amount, 2)::decimal(18, 2), owner_id, lost_reason, product
from frame
"""


def generate(
    *, leads: int, seed: int, as_of: dt.date, progress: Progress | None = None
) -> dict[str, pd.DataFrame]:
    """All six tables as DataFrames (ids of leads, touches and deals still as numbers)."""
    report = progress or (lambda fraction, message: None)
    rng = np.random.default_rng(seed)
    start = demo_start(as_of)
    as_of_end = np.datetime64(as_of + dt.timedelta(days=1), "us")

    report(0.02, "people and campaigns")
    people = _people()
    campaign_windows = _campaign_windows(start, as_of)

    report(0.08, f"drawing {leads:,} leads")
    lead = _leads(rng, leads, start, as_of, campaign_windows, people)

    report(0.25, "lifecycle: MQL, follow-up, acceptance, qualification")
    life = _lifecycle(rng, lead, start, people)

    report(0.4, "deals")
    deals = _deals(rng, lead, life, people)

    report(0.5, "touches")
    touches = _touches(rng, lead, life, deals, campaign_windows, people, as_of_end)

    campaigns = _campaigns(rng, campaign_windows, lead, touches)
    leads_frame = _censor_leads(lead, life, deals, as_of_end)
    deals_frame = _censor_deals(deals, as_of_end)

    report(0.58, "monthly targets")
    targets = _targets(start, as_of, leads_frame, deals_frame)
    return {
        "people": people,
        "campaigns": campaigns,
        "leads": leads_frame,
        "touches": touches,
        "deals": deals_frame,
        "targets": targets,
    }


# ---------------------------------------------------------------------------------------------
# People and campaigns


def _people() -> pd.DataFrame:
    rows = []
    name_index = 0

    def person(person_id: str, team: str, role: str, region: str | None, manager: str | None):
        nonlocal name_index
        name = f"{FIRST_NAMES[name_index % len(FIRST_NAMES)]} {LAST_NAMES[(name_index * 7) % len(LAST_NAMES)]}"
        name_index += 1
        rows.append((person_id, name, team, role, region, manager))

    person("P-CMO", "marketing", "manager", None, None)
    person("P-CRO", "sales", "manager", None, None)
    for region in REGIONS:
        marketing_manager = f"P-{region}-MKT-MGR"
        sales_manager = f"P-{region}-SALES-MGR"
        person(marketing_manager, "marketing", "manager", region, "P-CMO")
        person(sales_manager, "sales", "manager", region, "P-CRO")
        for role, count in TEAM_SHAPE.items():
            team = "marketing" if role == "marketer" else "sales"
            manager = marketing_manager if team == "marketing" else sales_manager
            for number in range(1, count + 1):
                person(f"P-{region}-{role.upper()}-{number}", team, role, region, manager)
    person("P-CS-1", "sales", "customer_success", None, "P-CRO")
    person("P-CS-2", "sales", "customer_success", None, "P-CRO")
    return pd.DataFrame(rows, columns=["person_id", "name", "team", "role", "region", "manager_id"])


def _role_ids(people: pd.DataFrame, role: str) -> list[np.ndarray]:
    """Per region (in REGIONS order), the ids of the people holding `role`."""
    return [
        people.loc[(people["role"] == role) & (people["region"] == region), "person_id"].to_numpy()
        for region in REGIONS
    ]


@dataclass(frozen=True)
class _CampaignWindows:
    """Each channel's campaigns tile the demo period: campaign k runs over window k."""

    start: np.datetime64
    span: np.timedelta64  # the whole demo period
    ids: list[np.ndarray]  # per channel, its campaign ids in time order
    starts: list[np.ndarray]
    ends: list[np.ndarray]

    @property
    def all_ids(self) -> np.ndarray:
        """Every campaign id, channel after channel: what `campaign_code` indexes."""
        return np.concatenate(self.ids)

    def campaign_code(self, channel_index: np.ndarray, at: np.ndarray) -> np.ndarray:
        """For each (channel, time) pair, the index in `all_ids` of the channel's campaign then."""
        counts = np.array([len(ids) for ids in self.ids])
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        fraction = np.clip((at - self.start) / self.span, 0, 0.999999)
        return (offsets[channel_index] + (fraction * counts[channel_index]).astype(np.int64)).astype(np.int32)

    def campaign_of(self, channel_index: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The campaign id of each (channel, time) pair."""
        return self.all_ids[self.campaign_code(channel_index, at)]


def _campaign_windows(start: dt.date, as_of: dt.date) -> _CampaignWindows:
    first = np.datetime64(start, "us")
    span = np.datetime64(as_of + dt.timedelta(days=1), "us") - first
    ids, starts, ends = [], [], []
    for index, channel in enumerate(CHANNELS):
        edges = first + (span * np.arange(channel.campaigns + 1)) // channel.campaigns
        ids.append(np.array([f"C-{index + 1:02d}-{k + 1}" for k in range(channel.campaigns)], dtype=object))
        starts.append(edges[:-1])
        ends.append(edges[1:])
    return _CampaignWindows(first, span, ids, starts, ends)


CAMPAIGN_THEMES = {
    "paid_search": ("Brand keywords", "Competitor keywords", "Category keywords"),
    "organic_search": ("SEO hub", "Comparison pages"),
    "social": ("LinkedIn lead gen", "Retargeting", "Thought leadership"),
    "email": ("Newsletter", "Product updates", "Re-engagement"),
    "webinar": ("Pipeline masterclass", "Customer panel", "Product deep dive"),
    "events": ("Trade show", "Field dinner series", "User conference"),
    "direct_mail": ("Executive gift box", "Playbook mailer"),
    "content": ("State of RevOps report", "Benchmark ebook", "Template pack"),
    "referral": ("Customer referral", "Advocate program"),
    "partner": ("Reseller program", "Integration partners"),
    "outbound_sdr": ("Enterprise sequence", "Mid-market sequence", "Trigger events"),
}


def _campaigns(rng, windows: _CampaignWindows, lead, touches) -> pd.DataFrame:
    # Cost follows the leads a campaign sourced plus the touches it paid for, at the channel's rate.
    sourced = pd.Series(lead["source_campaign_id"]).value_counts()
    touched = touches["campaign_id"].value_counts()
    rows = []
    for index, channel in enumerate(CHANNELS):
        themes = CAMPAIGN_THEMES[channel.name]
        for k, campaign_id in enumerate(windows.ids[index]):
            start = pd.Timestamp(windows.starts[index][k]).date()
            end = pd.Timestamp(windows.ends[index][k]).date() - dt.timedelta(days=1)
            quarter = f"Q{(start.month - 1) // 3 + 1} {start.year}"
            volume = sourced.get(campaign_id, 0) + 0.1 * touched.get(campaign_id, 0)
            cost = round(float(volume * channel.cost_per_lead * rng.uniform(0.8, 1.2)), 2)
            budget = round(cost * float(rng.uniform(0.95, 1.25)) / 500) * 500
            rows.append((
                campaign_id, f"{themes[k % len(themes)]} — {quarter}", channel.name,
                "sales" if channel.sourced_by == "sales" and channel.name == "outbound_sdr" else "marketing",
                start, end, float(budget), cost,
            ))
    frame = pd.DataFrame(
        rows,
        columns=["campaign_id", "name", "channel", "owner_team", "start_date", "end_date", "budget", "cost"],
    )
    return frame


# ---------------------------------------------------------------------------------------------
# Leads


def _month_starts(start: dt.date, as_of: dt.date) -> list[dt.date]:
    months, month = [], start
    while month <= as_of:
        months.append(month)
        month = add_months(month, 1)
    return months


def _month_weights(months: list[dt.date], as_of: dt.date) -> np.ndarray:
    """Relative lead volume per month: growth, a summer lull, an autumn peak, partial last month."""
    seasonal = {1: 0.95, 2: 1.0, 3: 1.1, 4: 1.0, 5: 1.0, 6: 0.95, 7: 0.78, 8: 0.72,
                9: 1.1, 10: 1.2, 11: 1.15, 12: 0.8}
    weights = []
    for index, month in enumerate(months):
        days = (min(add_months(month, 1), as_of + dt.timedelta(days=1)) - month).days
        full = (add_months(month, 1) - month).days
        weights.append(seasonal[month.month] * (1.0 + 0.025 * index) * days / full)
    return np.array(weights)


def _leads(rng, count: int, start: dt.date, as_of: dt.date, windows: _CampaignWindows, people) -> dict:
    months = _month_starts(start, as_of)
    weights = _month_weights(months, as_of)
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
    quarter = _quarter_index(created, start)
    paused = (quarter == MISSED_MQL_QUARTER) & np.isin(channel, _channel_indices("paid_search", "social", "events"))
    keep = ~(paused & (rng.random(draw) < 0.6))
    pick = np.flatnonzero(keep)[:count]  # the draw is i.i.d., so the first `count` are a fair sample
    if len(pick) < count:
        raise RuntimeError("demo draw came up short; raise the oversampling factor")
    pick = pick[np.argsort(created[pick], kind="stable")]

    created, channel, region, quarter = created[pick], channel[pick], region[pick], quarter[pick]
    size = rng.choice(len(COMPANY_SIZES), size=count, p=COMPANY_SIZE_SHARE)
    segment = np.array(COMPANY_SIZE_SEGMENT)[size]
    quality = np.array([c.quality for c in CHANNELS])[channel] + np.array(SEGMENT_SCORE_BONUS)[segment]
    concentration = 9.0
    a = np.clip(quality, 0.05, 0.95) * concentration
    score = np.clip(np.round(100 * rng.beta(a, concentration - a)), 0, 100).astype(np.int64)
    industry_index = rng.integers(0, len(INDUSTRIES), size=count)
    industry = np.where(segment == 3, "consumer", np.array(INDUSTRIES, dtype=object)[industry_index])
    sdrs = _role_ids(people, "sdr")
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


def _channel_indices(*names: str) -> list[int]:
    return [i for i, c in enumerate(CHANNELS) if c.name in names]


def _quarter_index(at: np.ndarray, start: dt.date) -> np.ndarray:
    months = at.astype("datetime64[M]").astype(np.int64) - np.datetime64(start, "M").astype(np.int64)
    return months // 3


def _lognormal_hours(rng, median_hours, sigma: float, size: int) -> np.ndarray:
    return np.exp(np.log(median_hours) + sigma * rng.standard_normal(size))


def _hours(values: np.ndarray) -> np.ndarray:
    return (values * 3600e6).astype(np.int64).astype("timedelta64[us]")


# ---------------------------------------------------------------------------------------------
# Lifecycle


def _lifecycle(rng, lead: dict, start: dt.date, people) -> dict:
    n = lead["count"]
    score = lead["score"] / 100.0
    marketing = lead["is_marketing_sourced"]
    created = lead["created_at"]

    # MQL: marketing-sourced leads qualify by score; sales-sourced leads skip MQL.
    mql_probability = 0.88 / (1 + np.exp(-(lead["score"] - 44) / 9.0))
    mql_probability = np.where(lead["quarter"] == MISSED_MQL_QUARTER, mql_probability * 0.85, mql_probability)
    is_mql = marketing & (rng.random(n) < mql_probability)
    mql_at = created + _hours(_lognormal_hours(rng, 20.0, 1.1, n))

    # Follow-up: each SDR has a typical speed; a hiring freeze slowed everyone for a quarter.
    rep_median = np.array(SDR_MEDIAN_RESPONSE_HOURS)[lead["owner_slot"]]
    slipped = _quarter_index(mql_at, start) == SLIPPED_FOLLOW_UP_QUARTER
    rep_median = np.where(slipped, rep_median * 4.0 + 6.0, rep_median)
    response_hours = _lognormal_hours(rng, rep_median, 1.0, n)
    never_followed = rng.random(n) < np.where(slipped, 0.12, 0.035)
    response_at = np.where(is_mql, mql_at, created) + _hours(response_hours)
    # Sales-sourced leads are created by the rep's own outreach, so their "response" is immediate.
    response_at = np.where(marketing, response_at, created + _hours(rng.uniform(0.5, 48.0, n)))
    has_response = np.where(marketing, is_mql & ~never_followed, True)
    speed_factor = np.where(marketing, 0.42 + 0.58 * np.exp(-response_hours / 6.0), 0.8)

    # Acceptance: sales accepts or rejects the MQL with a reason, usually within a day or two.
    decision_at = response_at + _hours(_lognormal_hours(rng, 5.0, 1.3, n))
    accept_probability = np.where(marketing, 0.45 + 0.5 * score, 0.72)
    decided = has_response & (rng.random(n) < 0.97)
    is_sal = decided & (rng.random(n) < accept_probability)
    rejected = decided & ~is_sal

    # Qualification depends on both lead quality and how fast sales got there.
    sql_probability = (0.12 + 0.75 * score) * speed_factor
    is_sql = is_sal & (rng.random(n) < sql_probability)
    sql_at = decision_at + _hours(_lognormal_hours(rng, 96.0, 0.8, n))
    is_opportunity = is_sql & (rng.random(n) < 0.78)
    opportunity_at = sql_at + _hours(_lognormal_hours(rng, 60.0, 0.7, n))

    # Why leads leave, and when: each exit gets the reason a CRM would record.
    reason = np.full(n, None, dtype=object)
    disqualified_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    junk = ~is_mql & marketing & (rng.random(n) < 0.18)
    reason[junk] = np.array(LEAD_REJECT_REASONS, dtype=object)[rng.integers(0, 3, n)][junk]
    disqualified_at[junk] = (created + _hours(_lognormal_hours(rng, 30.0, 0.8, n)))[junk]
    # Low scores get rejected as not a fit; the rest for data and routing reasons.
    reject_pick = np.where(rng.random(n) < 0.85 - 0.6 * score, 0, rng.integers(1, len(MQL_REJECT_REASONS), n))
    reason[rejected] = np.array(MQL_REJECT_REASONS, dtype=object)[reject_pick][rejected]
    disqualified_at[rejected] = decision_at[rejected]
    dropped_sal = is_sal & ~is_sql
    reason[dropped_sal] = np.array(SAL_DISQUALIFY_REASONS, dtype=object)[rng.integers(0, 4, n)][dropped_sal]
    disqualified_at[dropped_sal] = (decision_at + _hours(_lognormal_hours(rng, 240.0, 0.6, n)))[dropped_sal]
    dropped_sql = is_sql & ~is_opportunity
    reason[dropped_sql] = np.array(SQL_DISQUALIFY_REASONS, dtype=object)[rng.integers(0, 2, n)][dropped_sql]
    disqualified_at[dropped_sql] = (sql_at + _hours(_lognormal_hours(rng, 200.0, 0.5, n)))[dropped_sql]

    nat = np.datetime64("NaT")
    return {
        "is_mql": is_mql,
        "mql_at": np.where(is_mql, mql_at, nat),
        "has_response": has_response,
        "response_at": np.where(has_response, response_at, nat),
        "speed_factor": speed_factor,
        "is_sal": is_sal,
        "sal_at": np.where(is_sal, decision_at, nat),
        "rejected": rejected,
        "is_sql": is_sql,
        "sql_at": np.where(is_sql, sql_at, nat),
        "is_opportunity": is_opportunity,
        "opportunity_at": np.where(is_opportunity, opportunity_at, nat),
        "disqualified_at": disqualified_at,
        "disqualify_reason": reason,
    }


def _deals(rng, lead: dict, life: dict, people) -> pd.DataFrame:
    rows = np.flatnonzero(life["is_opportunity"])
    n = len(rows)
    segment = lead["segment_index"][rows]
    score = lead["score"][rows] / 100.0
    speed = life["speed_factor"][rows]
    created = life["opportunity_at"][rows]
    amount = np.round(
        np.exp(np.log(np.array(SEGMENT_DEAL_MEDIAN_USD)[segment]) + 0.55 * rng.standard_normal(n)), -1
    )
    cycle_days = _lognormal_hours(rng, np.array(SEGMENT_CYCLE_MEDIAN_DAYS)[segment], 0.5, n)
    closed = created + _hours(24.0 * cycle_days)
    segment_odds = np.array(SEGMENT_WIN_FACTOR)[segment]  # big deals are harder to win
    win_probability = np.clip((0.08 + 0.45 * score + 0.3 * (speed - 0.42)) * segment_odds, 0.02, 0.9)
    won = rng.random(n) < win_probability
    aes = _role_ids(people, "ae")
    owner = np.empty(n, dtype=object)
    slot = rng.integers(0, len(aes[0]), n)
    region = lead["region_index"][rows]
    for r in range(len(REGIONS)):
        mask = region == r
        owner[mask] = aes[r][slot[mask]]
    return pd.DataFrame({
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
    })


# ---------------------------------------------------------------------------------------------
# Touches


CHANNEL_NAMES = (*(c.name for c in CHANNELS), DIRECT_SALES)
DIRECT_SALES_CODE = len(CHANNELS)
TEAMS = ("marketing", "sales")
TOUCH_KINDS = tuple(sorted({c.touch_kind for c in CHANNELS} | {"form", "call", "email", "meeting", "demo"}))


def _kind(*names: str) -> np.ndarray:
    return np.array([TOUCH_KINDS.index(name) for name in names], dtype=np.int8)


def _touches(rng, lead: dict, life: dict, deals: pd.DataFrame, windows: _CampaignWindows, people,
             as_of_end: np.datetime64) -> pd.DataFrame:
    """Every interaction up to the as-of date, built as blocks of integer codes.

    Codes (channel, team, kind, campaign, person) keep millions of touches cheap to draw, sort
    and load; they become text through pandas categoricals only at the end.
    """
    n = lead["count"]
    created = lead["created_at"]
    marketing = lead["is_marketing_sourced"]
    marketing_channels = np.array(_channel_indices(*[c.name for c in CHANNELS if c.sourced_by == "marketing"]))
    channel_kind = _kind(*(c.touch_kind for c in CHANNELS))
    person_ids = people["person_id"].to_numpy()
    lead_owner = pd.Categorical(lead["owner_id"], categories=person_ids).codes.astype(np.int16)
    deal_owner = pd.Categorical(deals["owner_id"], categories=person_ids).codes.astype(np.int16)
    blocks: list[tuple[np.ndarray, ...]] = []

    def block(rows, at, channel, team, kind, person=-1):
        rows = np.asarray(rows)
        size = rows.shape
        channel = np.broadcast_to(np.asarray(channel, dtype=np.int16), size)
        is_campaign = channel != DIRECT_SALES_CODE
        campaign = np.where(is_campaign, windows.campaign_code(np.minimum(channel, DIRECT_SALES_CODE - 1), at), -1)
        blocks.append((rows, at, channel, np.broadcast_to(np.asarray(team, dtype=np.int8), size),
                       np.broadcast_to(np.asarray(kind, dtype=np.int8), size), campaign,
                       np.broadcast_to(np.asarray(person, dtype=np.int16), size)))

    marketing_team, sales_team = 0, 1
    # 1. Before the lead exists: anonymous marketing touches that later get stitched to it.
    rows = np.repeat(np.arange(n), rng.poisson(np.where(marketing, 1.1, 0.4)))
    at = created[rows] - _hours(rng.uniform(1.0, 24.0 * 45, len(rows)))
    same = rng.random(len(rows)) < 0.45
    channel = np.where(same, lead["channel_index"][rows], rng.choice(marketing_channels, len(rows)))
    block(rows, at, channel, marketing_team, channel_kind[channel])

    # 2. The lead-creation touch, exactly at created_at, on the source channel.
    rows = np.arange(n)
    block(rows, created, lead["channel_index"], np.where(marketing, marketing_team, sales_team),
          np.where(marketing, _kind("form")[0], channel_kind[lead["channel_index"]]),
          person=np.where(marketing, -1, lead_owner))

    # 3. Nurture between creation and MQL (or the next month for leads that never qualify).
    rows = np.repeat(np.arange(n), rng.poisson(np.where(marketing, 1.4, 0.5)))
    horizon = np.where(life["is_mql"], life["mql_at"] - created, 30 * DAY)[rows]
    at = created[rows] + (horizon * rng.uniform(0.05, 0.95, len(rows))).astype("timedelta64[us]")
    channel = rng.choice(_channel_indices("email", "content", "webinar"), len(rows))
    block(rows, at, channel, marketing_team, channel_kind[channel])

    # 4. Sales follow-up on MQLs: the first response, then calls and emails until qualified.
    rows = np.flatnonzero(life["has_response"] & life["is_mql"])
    block(rows, life["response_at"][rows], DIRECT_SALES_CODE, sales_team,
          rng.choice(_kind("call", "email"), len(rows)), person=lead_owner[rows])
    working = rng.poisson(np.where(life["is_sal"], 2.2, 0.6))
    rows = np.repeat(np.flatnonzero(life["has_response"]), working[life["has_response"]])
    end = np.where(life["is_sql"], life["sql_at"], life["response_at"] + 14 * DAY)[rows]
    span = end - life["response_at"][rows]
    at = life["response_at"][rows] + (span * rng.uniform(0.02, 0.98, len(rows))).astype("timedelta64[us]")
    block(rows, at, DIRECT_SALES_CODE, sales_team, rng.choice(_kind("call", "email", "meeting"), len(rows)),
          person=lead_owner[rows])

    # 5. Deals: the demo that opens the opportunity, marketing air cover, the closing meeting.
    rows = deals["lead_row"].to_numpy()
    deal_created = deals["created_at"].to_numpy()
    cycle = (deals["closed_at"] - deals["created_at"]).to_numpy()
    block(rows, deal_created, DIRECT_SALES_CODE, sales_team, _kind("demo")[0], person=deal_owner)
    deal_index = np.repeat(np.arange(len(rows)), rng.poisson(0.9, len(rows)))
    at = deal_created[deal_index] + (cycle[deal_index] * rng.uniform(0.05, 0.9, len(deal_index))).astype("timedelta64[us]")
    channel = rng.choice(_channel_indices("webinar", "events", "content", "email"), len(deal_index))
    block(rows[deal_index], at, channel, marketing_team, channel_kind[channel])
    deal_index = np.repeat(np.arange(len(rows)), rng.poisson(1.3, len(rows)))
    at = deal_created[deal_index] + (cycle[deal_index] * rng.uniform(0.1, 0.95, len(deal_index))).astype("timedelta64[us]")
    block(rows[deal_index], at, DIRECT_SALES_CODE, sales_team, _kind("meeting")[0], person=deal_owner[deal_index])
    closing = np.maximum(deals["closed_at"].to_numpy() - _hours(rng.uniform(1.0, 72.0, len(rows))), deal_created + HOUR)
    block(rows, closing, DIRECT_SALES_CODE, sales_team, _kind("meeting")[0], person=deal_owner)

    lead_row, at, channel, team, kind, campaign, person = (np.concatenate(parts) for parts in zip(*blocks, strict=True))
    seen = at < as_of_end
    order = np.flatnonzero(seen)[np.lexsort((lead_row[seen], at[seen]))]

    def text(codes: np.ndarray, names) -> pd.Categorical:
        return pd.Categorical.from_codes(codes[order], categories=list(names))

    return pd.DataFrame({
        "touch_number": np.arange(1, len(order) + 1),
        "lead_number": lead_row[order] + 1,
        "campaign_id": text(campaign, windows.all_ids),
        "channel": text(channel, CHANNEL_NAMES),
        "team": text(team, TEAMS),
        "kind": text(kind, TOUCH_KINDS),
        "touched_at": at[order],
        "person_id": text(person, person_ids),
    })


# ---------------------------------------------------------------------------------------------
# Cut everything at the as-of date, then targets


def _censor_leads(lead: dict, life: dict, deals: pd.DataFrame, as_of_end: np.datetime64) -> pd.DataFrame:
    def seen(at: np.ndarray) -> np.ndarray:
        return np.where(at < as_of_end, at, np.datetime64("NaT"))

    disqualified = seen(life["disqualified_at"])
    return pd.DataFrame({
        "lead_number": np.arange(1, lead["count"] + 1),
        "created_at": lead["created_at"],
        "channel": lead["channel"],
        "source_campaign_id": lead["source_campaign_id"],
        "sourced_by": lead["sourced_by"],
        "segment": lead["segment"],
        "region": lead["region"],
        "industry": lead["industry"],
        "company_size": lead["company_size"],
        "score": lead["score"],
        "mql_at": seen(life["mql_at"]),
        "sal_at": seen(life["sal_at"]),
        "sql_at": seen(life["sql_at"]),
        "disqualified_at": disqualified,
        "disqualify_reason": np.where(np.isnat(disqualified), None, life["disqualify_reason"]),
        "owner_id": lead["owner_id"],
    })


def _censor_deals(deals: pd.DataFrame, as_of_end: np.datetime64) -> pd.DataFrame:
    deals = deals[deals["created_at"].to_numpy() < as_of_end].copy()
    still_open = deals["closed_at"].to_numpy() >= as_of_end
    deals.loc[still_open, "stage"] = "open"
    deals.loc[still_open, "lost_reason"] = None
    deals["closed_at"] = deals["closed_at"].where(~still_open)
    deals["deal_number"] = np.arange(1, len(deals) + 1)
    return deals.drop(columns="lead_row").reset_index(drop=True)


def _targets(start: dt.date, as_of: dt.date, leads: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """Monthly targets set from the plan: the business's trend, without this year's surprises.

    A plan is the typical month scaled by seasonality and growth, so the quarter where
    marketing missed and the quarter where sales slipped show up as gaps against it.
    """
    months = _month_starts(start, as_of)
    plan_months = months + [add_months(months[-1], k) for k in (1, 2)]
    quarter_end = add_months(quarter_start(as_of), 3)
    plan_months = [m for m in plan_months if m < quarter_end]
    full_weights = _month_weights(plan_months, dt.date.max - dt.timedelta(days=1))
    shares = full_weights / full_weights.sum()

    def month_of(values: pd.Series) -> pd.Series:
        return values.dt.to_period("M").dt.start_time.dt.date

    mqls = leads.dropna(subset=["mql_at"])
    series = {
        ("marketing", "mqls", None): month_of(mqls["mql_at"]).value_counts(),
        ("sales", "sals", None): month_of(leads["sal_at"].dropna()).value_counts(),
        ("sales", "sqls", None): month_of(leads["sql_at"].dropna()).value_counts(),
        ("sales", "pipeline", None): deals.groupby(month_of(deals["created_at"]))["amount"].sum(),
        ("marketing", "pipeline", None): deals[
            deals["lead_number"].isin(leads.loc[leads["sourced_by"] == "marketing", "lead_number"])
        ].pipe(lambda d: d.groupby(month_of(d["created_at"]))["amount"].sum()),
        ("sales", "bookings", None): deals[deals["stage"] == "won"].pipe(
            lambda d: d.groupby(month_of(d["closed_at"]))["amount"].sum()
        ),
    }
    won = deals[deals["stage"] == "won"].merge(leads[["lead_number", "segment"]], on="lead_number")
    for segment in SEGMENTS:
        segment_mqls = mqls[mqls["segment"] == segment]
        series[("marketing", "mqls", segment)] = month_of(segment_mqls["mql_at"]).value_counts()
        # Sales quotas are set per segment, so coverage can use each segment's own win rate.
        segment_won = won[won["segment"] == segment]
        series[("sales", "bookings", segment)] = segment_won.groupby(month_of(segment_won["closed_at"]))["amount"].sum()

    shocks = {"mqls": MISSED_MQL_QUARTER, "sals": SLIPPED_FOLLOW_UP_QUARTER, "sqls": SLIPPED_FOLLOW_UP_QUARTER}
    money = {"pipeline", "bookings"}
    rows = []
    for (team, metric, segment), actual in series.items():
        shocked = shocks.get(metric)
        # Deals lag their leads by months, so money plans skip the demo's ramp-up.
        complete = months[4:-1] if metric in money else months[1:-1]
        usable = [m for m in complete if shocked is None or (months.index(m) // 3) != shocked]
        if not usable:
            continue
        # The plan per unit of seasonal weight, from the months the surprises did not touch.
        per_weight = sum(float(actual.get(m, 0)) for m in usable) / sum(
            shares[plan_months.index(m)] for m in usable
        )
        stretch = 1.05  # targets ask a little more than the trend
        for index, month in enumerate(plan_months):
            value = per_weight * shares[index] * stretch
            rows.append((month, team, metric, segment, round(value, 2 if metric in money else 0)))
    return pd.DataFrame(rows, columns=["period_start", "team", "metric", "segment", "value"])
