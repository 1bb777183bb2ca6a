"""The demo company: who works there, what it sells and to whom, its channels and campaigns, and the
calendar of its two years. What `handoff.demo` draws its leads, touches and deals from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handoff.filters import add_months, quarter_start

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
    "software",
    "financial_services",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "media",
    "professional_services",
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
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dara",
    "Emil",
    "Fatima",
    "Gabe",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
)


LAST_NAMES = (
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Novak",
    "Haddad",
    "Silva",
    "Kowalski",
    "Reyes",
    "Nguyen",
    "Schmidt",
    "Patel",
    "Brennan",
    "Costa",
    "Ivanova",
    "Mensah",
    "Laurent",
    "Yamada",
    "Fischer",
    "Alvarez",
    "Dubois",
    "Kaur",
    "Sato",
    "Rossi",
    "Jensen",
    "Osei",
    "Park",
    "Weber",
    "Ortiz",
    "Hughes",
    "Bauer",
    "Chen",
    "Adeyemi",
    "Larsen",
    "Vargas",
    "Kim",
    "Meyer",
    "Ali",
    "Romano",
    "Walsh",
)


def demo_start(as_of: dt.date) -> dt.date:
    """The first day of the demo: the start of the quarter eight quarters before `as_of`'s."""
    return add_months(quarter_start(as_of), -3 * QUARTERS)


def people_table() -> pd.DataFrame:
    rows = []
    name_index = 0

    def person(person_id: str, team: str, role: str, region: str | None, manager: str | None):
        nonlocal name_index
        name = (
            f"{FIRST_NAMES[name_index % len(FIRST_NAMES)]} {LAST_NAMES[(name_index * 7) % len(LAST_NAMES)]}"
        )
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


def role_ids(people: pd.DataFrame, role: str) -> list[np.ndarray]:
    """Per region (in REGIONS order), the ids of the people holding `role`."""
    return [
        people.loc[(people["role"] == role) & (people["region"] == region), "person_id"].to_numpy()
        for region in REGIONS
    ]


@dataclass(frozen=True)
class CampaignWindows:
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


def campaign_windows(start: dt.date, as_of: dt.date) -> CampaignWindows:
    first = np.datetime64(start, "us")
    span = np.datetime64(as_of + dt.timedelta(days=1), "us") - first
    ids, starts, ends = [], [], []
    for index, channel in enumerate(CHANNELS):
        edges = first + (span * np.arange(channel.campaigns + 1)) // channel.campaigns
        ids.append(np.array([f"C-{index + 1:02d}-{k + 1}" for k in range(channel.campaigns)], dtype=object))
        starts.append(edges[:-1])
        ends.append(edges[1:])
    return CampaignWindows(first, span, ids, starts, ends)


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


def campaigns_table(rng, windows: CampaignWindows, lead, touches) -> pd.DataFrame:
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
            rows.append(
                (
                    campaign_id,
                    f"{themes[k % len(themes)]} — {quarter}",
                    channel.name,
                    "sales"
                    if channel.sourced_by == "sales" and channel.name == "outbound_sdr"
                    else "marketing",
                    start,
                    end,
                    float(budget),
                    cost,
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=["campaign_id", "name", "channel", "owner_team", "start_date", "end_date", "budget", "cost"],
    )
    return frame


def month_starts(start: dt.date, as_of: dt.date) -> list[dt.date]:
    months, month = [], start
    while month <= as_of:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_weights(months: list[dt.date], as_of: dt.date) -> np.ndarray:
    """Relative lead volume per month: growth, a summer lull, an autumn peak, partial last month."""
    seasonal = {
        1: 0.95,
        2: 1.0,
        3: 1.1,
        4: 1.0,
        5: 1.0,
        6: 0.95,
        7: 0.78,
        8: 0.72,
        9: 1.1,
        10: 1.2,
        11: 1.15,
        12: 0.8,
    }
    weights = []
    for index, month in enumerate(months):
        days = (min(add_months(month, 1), as_of + dt.timedelta(days=1)) - month).days
        full = (add_months(month, 1) - month).days
        weights.append(seasonal[month.month] * (1.0 + 0.025 * index) * days / full)
    return np.array(weights)


def channel_indices(*names: str) -> list[int]:
    return [i for i, c in enumerate(CHANNELS) if c.name in names]


def quarter_index(at: np.ndarray, start: dt.date) -> np.ndarray:
    months = at.astype("datetime64[M]").astype(np.int64) - np.datetime64(start, "M").astype(np.int64)
    return months // 3


def lognormal_hours(rng, median_hours, sigma: float, size: int) -> np.ndarray:
    return np.exp(np.log(median_hours) + sigma * rng.standard_normal(size))


def hours(values: np.ndarray) -> np.ndarray:
    return (values * 3600e6).astype(np.int64).astype("timedelta64[us]")
