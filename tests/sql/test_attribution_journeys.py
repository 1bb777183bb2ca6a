"""The derived attribution_journeys table on a hand-made company whose every answer is worked out below:
each touch's roles and rule weights (read through attribution__touch_weights) on both bases and on every
degenerate journey, the Markov chain's steps (attribution__channel_transitions), sourced vs influenced,
and the filters riding on the lead's columns.

Dates are 2026 at 00:00 unless said otherwise. Channels: ps paid_search, wb webinar, em email, ev events
(marketing); ds direct_sales, ob outbound_sdr, pa partner (sales). Window: January ([1 Jan, 1 Feb)).

| lead | created | sourced | segment, region, channel, owner, campaign | touches (time order) | deal |
|---|---|---|---|---|---|
| L-A | 15 Jan | mkt | mid_market NA paid_search P1 C-PS | A1 ps 1 Jan, A2 wb 8 Jan, A3 ps 15 Jan, A4 ds 22 Jan, A5 em 29 Jan, A6 em 30 Jan | D-A created 22 Jan, won 29 Jan, 3,100 |
| L-B | 10 Jan | mkt | smb EMEA webinar P2 C-WB | B1 wb 10 Jan | D-B created 12 Jan, won 20 Jan, 500 |
| L-C | 5 Jan | mkt | smb NA events P1 – | C1 ev 29 Dec 2025, C2 ps 5 Jan | D-C created 6 Jan, won 19 Jan, 300 |
| L-D | 1 Jan | sales | enterprise NA outbound_sdr P2 – | D1 ob 1 Jan, D2 ds 8 Jan, D3 ds 15 Jan, D4 ds 22 Jan | D-D created 15 Jan, won 22 Jan, 1,000 |
| L-E | 3 Jan | mkt | smb NA webinar P1 – | E-a wb and E-b em, both 12 Jan (a tie: by touch_id) | D-E created 4 Jan, won 26 Jan, 200 |
| L-F | 6 Jan | sales | smb EMEA outbound_sdr P2 – | none | D-F created 7 Jan, won 21 Jan, 250 |
| L-G | 4 Jan | mkt | smb NA email P1 – | G1 em 4 Jan, G2 em 5 Jan, G3 wb 9 Jan, G4 ds 20 Jan | D-G created 10 Jan, lost 18 Jan, 400 |
| L-H | 8 Jan | sales | smb NA events P2 – | H1 ev 8 Jan, H2 pa 9 Jan | D-H created 11 Jan, open, 600 |
| L-I | 20 Jan | mkt | smb NA paid_search P1 C-PS | I1 ps 20 Jan, I2 ps 21 Jan, I3 ds 25 Jan, I4 em 1 Feb | none |
| L-J | 25 Jan | mkt | smb NA webinar P1 C-WB | J1 wb 25 Jan | D-J created 10 Feb, won 20 Feb, 700 |
| L-K | 10 Dec 2025 | mkt | smb NA paid_search P1 C-PS | K1 ps 10 Dec 2025 | none |
| L-M | 13 Jan | sales | smb NA webinar P2 – | M1 wb 14 Jan | D-M created 14 Jan, open, 50 |
| L-N | 20 Feb | mkt | smb NA webinar P1 C-WB | N1 wb 2 Feb, N2 ps 8 Feb, N3 ds 15 Feb, N4 em 22 Feb | D-N created 10 Feb (before its lead, as CRMs allow), won 25 Feb, 800 |

Revenue in January (won deals closed in it): D-A, D-B, D-C, D-D, D-E, D-F. Pipeline in January (deals
created in it): D-A, D-B, D-C, D-D, D-E, D-F, D-G, D-H, D-M. A journey is the lead's touches at or
before the conversion point (closed_at for revenue, created_at for pipeline); its key touches are the
first, the lead-creation touch (the last at or before leads.created_at, else the first), the
opportunity-creation touch (the last at or before deals.created_at, else the first) and the closing
touch (the last). Time decay weighs a touch 2^(−age / 7 days), age = conversion point − touch, normalised.
"""

import datetime as dt

import pandas as pd
import pytest

from handoff import db
from handoff.filters import Filters
from tests.fixtures import ts, write_db

D = dt.date
JAN = Filters(start=D(2026, 1, 1), end=D(2026, 2, 1))
MARKETING = {"paid_search", "webinar", "email", "events"}
CAMPAIGN = {"paid_search": "C-PS", "webinar": "C-WB", "email": "C-EM"}
PEOPLE = [
    {"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "P2", "name": "Ben", "team": "sales", "role": "ae", "region": "NA"},
]
CAMPAIGNS = [
    {
        "campaign_id": c,
        "name": c,
        "channel": ch,
        "owner_team": "marketing",
        "start_date": D(2025, 12, 1),
        "cost": 0,
    }
    for ch, c in CAMPAIGN.items()
]


def lead(lead_id, created, sourced_by, segment, region, channel, owner, campaign=None):
    return {
        "lead_id": lead_id,
        "created_at": ts(created),
        "sourced_by": sourced_by,
        "segment": segment,
        "region": region,
        "channel": channel,
        "owner_id": owner,
        "source_campaign_id": campaign,
    }


def touch(touch_id, lead_id, at, channel):
    return {
        "touch_id": touch_id,
        "lead_id": lead_id,
        "touched_at": ts(at),
        "channel": channel,
        "team": "marketing" if channel in MARKETING else "sales",
        "kind": "visit",
        "campaign_id": CAMPAIGN.get(channel),
    }


def deal(deal_id, lead_id, created, closed, stage, amount):
    return {
        "deal_id": deal_id,
        "lead_id": lead_id,
        "created_at": ts(created),
        "closed_at": ts(closed) if closed else None,
        "stage": stage,
        "amount": amount,
    }


LEADS = [
    lead("L-A", "2026-01-15 00:00", "marketing", "mid_market", "NA", "paid_search", "P1", "C-PS"),
    lead("L-B", "2026-01-10 00:00", "marketing", "smb", "EMEA", "webinar", "P2", "C-WB"),
    lead("L-C", "2026-01-05 00:00", "marketing", "smb", "NA", "events", "P1"),
    lead("L-D", "2026-01-01 00:00", "sales", "enterprise", "NA", "outbound_sdr", "P2"),
    lead("L-E", "2026-01-03 00:00", "marketing", "smb", "NA", "webinar", "P1"),
    lead("L-F", "2026-01-06 00:00", "sales", "smb", "EMEA", "outbound_sdr", "P2"),
    lead("L-G", "2026-01-04 00:00", "marketing", "smb", "NA", "email", "P1"),
    lead("L-H", "2026-01-08 00:00", "sales", "smb", "NA", "events", "P2"),
    lead("L-I", "2026-01-20 00:00", "marketing", "smb", "NA", "paid_search", "P1", "C-PS"),
    lead("L-J", "2026-01-25 00:00", "marketing", "smb", "NA", "webinar", "P1", "C-WB"),
    lead("L-K", "2025-12-10 00:00", "marketing", "smb", "NA", "paid_search", "P1", "C-PS"),
    lead("L-M", "2026-01-13 00:00", "sales", "smb", "NA", "webinar", "P2"),
    lead("L-N", "2026-02-20 00:00", "marketing", "smb", "NA", "webinar", "P1", "C-WB"),
]
TOUCHES = [
    touch("A1", "L-A", "2026-01-01 00:00", "paid_search"),
    touch("A2", "L-A", "2026-01-08 00:00", "webinar"),
    touch("A3", "L-A", "2026-01-15 00:00", "paid_search"),
    touch("A4", "L-A", "2026-01-22 00:00", "direct_sales"),
    touch("A5", "L-A", "2026-01-29 00:00", "email"),
    touch("A6", "L-A", "2026-01-30 00:00", "email"),
    touch("B1", "L-B", "2026-01-10 00:00", "webinar"),
    touch("C1", "L-C", "2025-12-29 00:00", "events"),
    touch("C2", "L-C", "2026-01-05 00:00", "paid_search"),
    touch("D1", "L-D", "2026-01-01 00:00", "outbound_sdr"),
    touch("D2", "L-D", "2026-01-08 00:00", "direct_sales"),
    touch("D3", "L-D", "2026-01-15 00:00", "direct_sales"),
    touch("D4", "L-D", "2026-01-22 00:00", "direct_sales"),
    touch("E-b", "L-E", "2026-01-12 00:00", "email"),
    touch("E-a", "L-E", "2026-01-12 00:00", "webinar"),
    touch("G1", "L-G", "2026-01-04 00:00", "email"),
    touch("G2", "L-G", "2026-01-05 00:00", "email"),
    touch("G3", "L-G", "2026-01-09 00:00", "webinar"),
    touch("G4", "L-G", "2026-01-20 00:00", "direct_sales"),
    touch("H1", "L-H", "2026-01-08 00:00", "events"),
    touch("H2", "L-H", "2026-01-09 00:00", "partner"),
    touch("I1", "L-I", "2026-01-20 00:00", "paid_search"),
    touch("I2", "L-I", "2026-01-21 00:00", "paid_search"),
    touch("I3", "L-I", "2026-01-25 00:00", "direct_sales"),
    touch("I4", "L-I", "2026-02-01 00:00", "email"),
    touch("J1", "L-J", "2026-01-25 00:00", "webinar"),
    touch("K1", "L-K", "2025-12-10 00:00", "paid_search"),
    touch("M1", "L-M", "2026-01-14 00:00", "webinar"),
    touch("N1", "L-N", "2026-02-02 00:00", "webinar"),
    touch("N2", "L-N", "2026-02-08 00:00", "paid_search"),
    touch("N3", "L-N", "2026-02-15 00:00", "direct_sales"),
    touch("N4", "L-N", "2026-02-22 00:00", "email"),
]
DEALS = [
    deal("D-A", "L-A", "2026-01-22 00:00", "2026-01-29 00:00", "won", 3100),
    deal("D-B", "L-B", "2026-01-12 00:00", "2026-01-20 00:00", "won", 500),
    deal("D-C", "L-C", "2026-01-06 00:00", "2026-01-19 00:00", "won", 300),
    deal("D-D", "L-D", "2026-01-15 00:00", "2026-01-22 00:00", "won", 1000),
    deal("D-E", "L-E", "2026-01-04 00:00", "2026-01-26 00:00", "won", 200),
    deal("D-F", "L-F", "2026-01-07 00:00", "2026-01-21 00:00", "won", 250),
    deal("D-G", "L-G", "2026-01-10 00:00", "2026-01-18 00:00", "lost", 400),
    deal("D-H", "L-H", "2026-01-11 00:00", None, "open", 600),
    deal("D-J", "L-J", "2026-02-10 00:00", "2026-02-20 00:00", "won", 700),
    deal("D-M", "L-M", "2026-01-14 00:00", None, "open", 50),
    deal("D-N", "L-N", "2026-02-10 00:00", "2026-02-25 00:00", "won", 800),
]
ROLES = ["is_first", "is_lead_creation", "is_opportunity_creation", "is_closing"]
WEIGHTS = [
    "first_touch_weight",
    "last_touch_weight",
    "linear_weight",
    "time_decay_weight",
    "u_shaped_weight",
    "w_shaped_weight",
    "full_path_weight",
]


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    path = write_db(
        tmp_path_factory.mktemp("journeys") / "journeys.duckdb",
        {"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "touches": TOUCHES, "deals": DEALS},
        meta={"as_of": "2026-02-28"},
    )
    yield path
    db.close_connections()


def journey(company, deal_id, basis="revenue", window=JAN):
    """One deal's rows of attribution__touch_weights, by touch_id."""
    frame = db.run_query("attribution__touch_weights", window, db=company, basis=basis)
    return frame[frame["deal_id"] == deal_id].set_index("touch_id")


def roles(rows) -> list[str]:
    """Each touch's roles as letters: F first, L lead-creation, O opportunity-creation, C closing."""
    return [
        "".join(letter for letter, column in zip("FLOC", ROLES, strict=True) if row[column]) or "-"
        for _, row in rows.iterrows()
    ]


def assert_weights(rows, expected: dict[str, list[float]]) -> None:
    """`expected`: model → the weights of the deal's touches in touch order."""
    for model, weights in expected.items():
        assert rows[f"{model}_weight"].tolist() == pytest.approx(weights, abs=1e-12), model


def transitions(company, window=JAN, **params) -> dict[tuple[str, str], int]:
    frame = db.run_query("attribution__channel_transitions", window, db=company, **params)
    return {(row.from_state, row.to_state): row.journey_count for row in frame.itertuples()}


# ---------------------------------------------------------------------------------------------
# Roles and rule weights, revenue (the conversion point is closed_at)


def test_five_touches_with_four_distinct_key_touches(company):
    # D-A closes 29 Jan: A1…A5 (A5 at the very close counts; A6 the day after does not). Lead created
    # 15 Jan (A3 is the last touch at or before it), deal created 22 Jan (A4), closing A5; A2 is middle.
    rows = journey(company, "D-A")
    assert rows.index.tolist() == ["A1", "A2", "A3", "A4", "A5"]
    assert roles(rows) == ["F", "-", "L", "O", "C"]
    assert rows["touch_number"].tolist() == [1, 2, 3, 4, 5] and (rows["touch_count"] == 5).all()
    assert rows["amount_cents"].tolist() == [310000] * 5
    assert (rows["converted_at"] == pd.Timestamp("2026-01-29")).all()
    # Ages 28, 21, 14, 7 and 0 days.
    assert rows["hours_before_conversion"].tolist() == [672.0, 504.0, 336.0, 168.0, 0.0]
    assert_weights(
        rows,
        {
            "first_touch": [1, 0, 0, 0, 0],
            "last_touch": [0, 0, 0, 0, 1],
            "linear": [1 / 5] * 5,
            # 2^(−28/7) … 2^0 = 1/16, 1/8, 1/4, 1/2, 1; their sum is 31/16, so 1/31, 2/31, 4/31, 8/31, 16/31.
            "time_decay": [1 / 31, 2 / 31, 4 / 31, 8 / 31, 16 / 31],
            # U-shaped: 40 % first (A1), 40 % lead-creation (A3), the 20 % over A2 between them; after A3 nothing.
            "u_shaped": [0.4, 0.2, 0.4, 0, 0],
            # W-shaped: 30 % each on A1, A3, A4; the 10 % over A2, the one other touch before A4; A5 nothing.
            "w_shaped": [0.3, 0.1, 0.3, 0.3, 0],
            # Full path: 22.5 % each on A1, A3, A4, A5; the 10 % over A2.
            "full_path": [0.225, 0.1, 0.225, 0.225, 0.225],
        },
    )


def test_one_touch_takes_everything(company):
    # D-B: B1 alone is first, lead-creation (10 Jan, the lead's creation), opportunity-creation and closing.
    rows = journey(company, "D-B")
    assert roles(rows) == ["FLOC"]
    assert rows[WEIGHTS].iloc[0].tolist() == [1.0] * 7


def test_two_touches_first_then_every_other_role(company):
    # D-C closes 19 Jan: C1 (29 Dec) first; C2 (5 Jan, at the lead's creation) is lead-creation,
    # opportunity-creation (the last touch by 6 Jan) and closing.
    rows = journey(company, "D-C")
    assert roles(rows) == ["F", "LOC"]
    assert_weights(
        rows,
        {
            "first_touch": [1, 0],
            "last_touch": [0, 1],
            "linear": [0.5, 0.5],
            # Ages 21 and 14 days: 1/8 and 1/4, normalised 1/3 and 2/3.
            "time_decay": [1 / 3, 2 / 3],
            # No touch between first and lead-creation: the 20 % goes half to each slot, 50 / 50.
            "u_shaped": [0.5, 0.5],
            # No other touch: each of the three 30 % slots gets a third of the 10 %; C2 holds two of them.
            "w_shaped": [1 / 3, 2 / 3],
            # Four slots of 22.5 % + 2.5 %; C2 holds three: 25 / 75.
            "full_path": [0.25, 0.75],
        },
    )


def test_the_first_touch_is_also_the_lead_creation_touch(company):
    # D-D closes 22 Jan: D1 (1 Jan, when the lead was created) is first and lead-creation, D2 middle,
    # D3 (15 Jan, when the deal was created) opportunity-creation, D4 (at the close) closing.
    rows = journey(company, "D-D")
    assert roles(rows) == ["FL", "-", "O", "C"]
    assert_weights(
        rows,
        {
            # Ages 21, 14, 7, 0 days: 1/8, 1/4, 1/2, 1 over 15/8.
            "time_decay": [1 / 15, 2 / 15, 4 / 15, 8 / 15],
            # Both 40 % slots on D1, and nothing between them: the 20 % to the slots too, so all of it.
            "u_shaped": [1, 0, 0, 0],
            # 30 + 30 on D1, 30 on D3, the 10 % on D2 (between first and opportunity-creation); D4 nothing.
            "w_shaped": [0.6, 0.1, 0.3, 0],
            # 22.5 + 22.5 on D1, 22.5 on D3 and on D4, the 10 % on D2.
            "full_path": [0.45, 0.1, 0.225, 0.225],
        },
    )


def test_touches_only_after_the_deal_was_created_and_at_the_same_moment(company):
    # D-E: both touches came on 12 Jan, after the lead (3 Jan) and the deal (4 Jan) were created, so the
    # lead- and opportunity-creation touches fall back to the first touch. The tie goes by touch_id:
    # E-a before E-b.
    rows = journey(company, "D-E")
    assert rows.index.tolist() == ["E-a", "E-b"]
    assert roles(rows) == ["FLO", "C"]
    assert_weights(
        rows,
        {
            "first_touch": [1, 0],
            "last_touch": [0, 1],
            "linear": [0.5, 0.5],
            "time_decay": [0.5, 0.5],  # the same age
            # U- and W-shaped end at E-a, which holds all their slots; full path: three slots of 25 % on E-a.
            "u_shaped": [1, 0],
            "w_shaped": [1, 0],
            "full_path": [0.75, 0.25],
        },
    )


def test_a_deal_created_before_its_lead_has_no_earlier_opportunity_creation_touch(company):
    # D-N (February) was created on 10 Feb, its lead on 20 Feb: N2 is the last touch by the deal's
    # creation, N3 by the lead's. The opportunity-creation touch is never before the lead-creation
    # touch, so N3 holds both roles and N2 stays in the middle.
    rows = journey(company, "D-N", window=Filters(start=D(2026, 2, 1), end=D(2026, 3, 1)))
    assert roles(rows) == ["F", "-", "LO", "C"]
    assert_weights(
        rows,
        {
            "u_shaped": [0.4, 0.2, 0.4, 0],
            # 30 % on N1, 30 + 30 % on N3; the 10 % on N2; nothing after N3.
            "w_shaped": [0.3, 0.1, 0.6, 0],
            # 22.5 % on N1 and N4, 22.5 + 22.5 % on N3, the 10 % on N2.
            "full_path": [0.225, 0.1, 0.45, 0.225],
        },
    )


def test_a_deal_without_a_touch_is_one_unattributed_row(company):
    rows = journey(company, "D-F").reset_index()
    assert len(rows) == 1 and pd.isna(rows["touch_id"].iloc[0]) and pd.isna(rows["channel"].iloc[0])
    assert (rows["touch_number"].iloc[0], rows["touch_count"].iloc[0], rows["amount_cents"].iloc[0]) == (
        0,
        0,
        25000,
    )
    assert rows[WEIGHTS].iloc[0].tolist() == [1.0] * 7
    assert not rows[ROLES].iloc[0].any()


def test_revenue_scope_is_the_won_deals_closed_in_the_window(company):
    frame = db.run_query("attribution__touch_weights", JAN, db=company, basis="revenue")
    # D-G was lost, D-H and D-M are open, D-J closed in February. Ordered by deal, then touch.
    assert frame["deal_id"].drop_duplicates().tolist() == ["D-A", "D-B", "D-C", "D-D", "D-E", "D-F"]
    assert len(frame) == 5 + 1 + 2 + 4 + 2 + 1
    # The window is half-open on closed_at: D-A closed at 29 Jan 00:00.
    just_before = Filters(start=D(2026, 1, 1), end=D(2026, 1, 29))
    from_then = Filters(start=D(2026, 1, 29), end=D(2026, 2, 1))
    assert "D-A" not in set(db.run_query("attribution__touch_weights", just_before, db=company)["deal_id"])
    assert set(db.run_query("attribution__touch_weights", from_then, db=company)["deal_id"]) == {"D-A"}


# ---------------------------------------------------------------------------------------------
# Roles and rule weights, pipeline (the conversion point is created_at)


def test_pipeline_journeys_end_at_the_deals_creation(company):
    # D-A created 22 Jan: A1…A4 (A4 at that very moment counts). A4 is opportunity-creation and closing.
    rows = journey(company, "D-A", basis="pipeline")
    assert rows.index.tolist() == ["A1", "A2", "A3", "A4"]
    assert roles(rows) == ["F", "-", "L", "OC"]
    assert (rows["converted_at"] == pd.Timestamp("2026-01-22")).all()
    assert_weights(
        rows,
        {
            "last_touch": [0, 0, 0, 1],
            "linear": [0.25] * 4,
            # Ages 21, 14, 7, 0 days from 22 Jan.
            "time_decay": [1 / 15, 2 / 15, 4 / 15, 8 / 15],
            "u_shaped": [0.4, 0.2, 0.4, 0],
            # 30 % on A1, A3, A4; the 10 % on A2.
            "w_shaped": [0.3, 0.1, 0.3, 0.3],
            # 22.5 % on A1 and A3, 22.5 + 22.5 on A4 (opportunity-creation and closing); the 10 % on A2.
            "full_path": [0.225, 0.1, 0.225, 0.45],
        },
    )


def test_pipeline_two_touches_first_and_lead_creation_then_the_rest(company):
    # D-H (open, created 11 Jan): H1 (8 Jan, the lead's creation) first and lead-creation; H2 (9 Jan)
    # opportunity-creation and closing.
    rows = journey(company, "D-H", basis="pipeline")
    assert roles(rows) == ["FL", "OC"]
    assert_weights(
        rows,
        {
            # Ages 3 and 2 days: 2^(−3/7) and 2^(−2/7), normalised: 1 / (1 + 2^(1/7)) to the older.
            "time_decay": [1 / (1 + 2 ** (1 / 7)), 2 ** (1 / 7) / (1 + 2 ** (1 / 7))],
            "u_shaped": [1, 0],  # both slots on H1, nothing between
            "w_shaped": [2 / 3, 1 / 3],  # three slots of 1/3: two on H1
            "full_path": [0.5, 0.5],  # four slots of 1/4: two each
        },
    )


def test_pipeline_makes_a_deal_without_earlier_touches_unattributed(company):
    # D-E was created on 4 Jan, before its only touches (12 Jan): under pipeline it has no journey.
    rows = journey(company, "D-E", basis="pipeline").reset_index()
    assert len(rows) == 1 and pd.isna(rows["touch_id"].iloc[0]) and rows["linear_weight"].iloc[0] == 1.0
    # D-M's one touch came at the very moment the deal was created: it counts.
    assert roles(journey(company, "D-M", basis="pipeline")) == ["FLOC"]


def test_pipeline_scope_is_every_deal_created_in_the_window(company):
    frame = db.run_query("attribution__touch_weights", JAN, db=company, basis="pipeline")
    # Lost (D-G) and open (D-H, D-M) deals too; D-J was created in February.
    assert frame["deal_id"].drop_duplicates().tolist() == [
        "D-A",
        "D-B",
        "D-C",
        "D-D",
        "D-E",
        "D-F",
        "D-G",
        "D-H",
        "D-M",
    ]
    # D-G: G1…G3 (G4 came after the deal was created); G1 at the lead's creation.
    g = frame[frame["deal_id"] == "D-G"].set_index("touch_id")
    assert roles(g) == ["FL", "-", "OC"]
    assert_weights(g, {"u_shaped": [1, 0, 0], "w_shaped": [0.6, 0.1, 0.3], "full_path": [0.45, 0.1, 0.45]})


def test_every_journeys_weights_sum_to_one(company):
    for basis in ("revenue", "pipeline"):
        for window in (JAN, Filters()):
            frame = db.run_query("attribution__touch_weights", window, db=company, basis=basis)
            sums = frame.groupby("deal_id")[WEIGHTS].sum()
            assert sums.to_numpy() == pytest.approx(1.0, abs=1e-12)


def test_filters_on_the_leads_columns(company):
    def deals(**filters):
        frame = db.run_query("attribution__touch_weights", JAN, db=company, basis="revenue", **filters)
        return frame["deal_id"].drop_duplicates().tolist()

    assert deals(segments=["smb"]) == ["D-B", "D-C", "D-E", "D-F"]
    assert deals(regions=["EMEA"]) == ["D-B", "D-F"]
    assert deals(channels=["webinar"]) == ["D-B", "D-E"]  # the lead's source channel, not the touches'
    assert deals(teams=["sales"]) == ["D-D", "D-F"]
    assert deals(owners=["P2"]) == ["D-B", "D-D", "D-F"]
    assert deals(campaigns=["C-WB"]) == ["D-B"]


def test_credit_rolls_the_weights_up_to_channels(company):
    # Only L-A is mid_market: D-A's 3,100 by time decay is 100 per 1/31 — paid_search A1 + A3 = 5/31,
    # webinar 2/31, direct_sales 8/31, email 16/31. U-shaped: paid_search 40 + 40 %, webinar 20 %.
    def credit(model):
        frame = db.run_query("attribution__credit", JAN, db=company, model=model, segments=["mid_market"])
        return {row.key: row.credit_usd for row in frame.itertuples() if row.credit_usd}

    assert credit("time_decay") == {
        "paid_search": 500.0,
        "webinar": 200.0,
        "direct_sales": 800.0,
        "email": 1600.0,
    }
    assert credit("u_shaped") == {"paid_search": 2480.0, "webinar": 620.0}


# ---------------------------------------------------------------------------------------------
# The Markov chain's steps: a channel repeated in a row is one visit


def test_revenue_transitions_count_converting_lost_and_deal_less_journeys(company):
    # Converting (revenue, January), as visits:
    #   D-A ps > wb > ps > ds > em   D-B wb   D-C ev > ps   D-D ob > ds (D2…D4 one visit)
    #   D-E wb > em (the tie by touch_id)   D-F: no touch, no step.
    # Not converting: D-G lost on 18 Jan: em > wb (G1, G2 one visit; G4 after the close);
    #   L-I created in January without a deal: ps > ds (I4 at the window end is not before it);
    #   L-J created in January, its deal only in February: wb. L-K was created in December.
    assert transitions(company) == {
        ("(start)", "paid_search"): 2,  # D-A, L-I
        ("(start)", "webinar"): 3,  # D-B, D-E, L-J
        ("(start)", "events"): 1,
        ("(start)", "outbound_sdr"): 1,
        ("(start)", "email"): 1,  # D-C, D-D, D-G
        ("paid_search", "webinar"): 1,
        ("webinar", "paid_search"): 1,  # D-A
        ("paid_search", "direct_sales"): 2,  # D-A, L-I
        ("direct_sales", "email"): 1,  # D-A
        ("events", "paid_search"): 1,  # D-C
        ("outbound_sdr", "direct_sales"): 1,  # D-D
        ("webinar", "email"): 1,  # D-E
        ("email", "webinar"): 1,  # D-G
        ("email", "(conversion)"): 2,  # D-A, D-E
        ("webinar", "(conversion)"): 1,
        ("paid_search", "(conversion)"): 1,  # D-B, D-C
        ("direct_sales", "(conversion)"): 1,  # D-D
        ("webinar", "(null)"): 2,  # D-G, L-J
        ("direct_sales", "(null)"): 1,  # L-I
    }


def test_pipeline_transitions_leave_lost_deals_converting(company):
    # Converting (pipeline, January): D-A ps > wb > ps > ds (A4 at the deal's creation), D-B wb,
    # D-C ev > ps, D-D ob > ds, D-G em > wb (lost, but a deal created), D-H ev > pa, D-M wb; D-E and
    # D-F have no touch by their creation. Not converting: L-I ps > ds, L-J wb.
    assert transitions(company, basis="pipeline") == {
        ("(start)", "paid_search"): 2,  # D-A, L-I
        ("(start)", "webinar"): 3,  # D-B, D-M, L-J
        ("(start)", "events"): 2,  # D-C, D-H
        ("(start)", "outbound_sdr"): 1,
        ("(start)", "email"): 1,  # D-D, D-G
        ("paid_search", "webinar"): 1,
        ("webinar", "paid_search"): 1,  # D-A
        ("paid_search", "direct_sales"): 2,  # D-A, L-I
        ("events", "paid_search"): 1,
        ("outbound_sdr", "direct_sales"): 1,
        ("email", "webinar"): 1,
        ("events", "partner"): 1,  # D-H
        ("direct_sales", "(conversion)"): 2,  # D-A, D-D
        ("webinar", "(conversion)"): 3,  # D-B, D-G, D-M
        ("paid_search", "(conversion)"): 1,
        ("partner", "(conversion)"): 1,  # D-C, D-H
        ("webinar", "(null)"): 1,
        ("direct_sales", "(null)"): 1,  # L-J, L-I
    }


def test_transitions_without_a_window_take_every_journey(company):
    # No window: D-J (won 20 Feb) converts through wb, D-N (won 25 Feb) through wb > ps > ds > em; a lead
    # is deal-less only without any deal at all, so L-J drops out, L-I keeps all its touches
    # (ps > ds > em) and L-K (ps) comes in.
    assert transitions(company, Filters()) == {
        ("(start)", "paid_search"): 3,  # D-A, L-I, L-K
        ("(start)", "webinar"): 4,  # D-B, D-E, D-J, D-N
        ("(start)", "events"): 1,
        ("(start)", "outbound_sdr"): 1,
        ("(start)", "email"): 1,
        ("paid_search", "webinar"): 1,
        ("webinar", "paid_search"): 2,  # D-A; D-A, D-N
        ("paid_search", "direct_sales"): 3,  # D-A, L-I, D-N
        ("direct_sales", "email"): 3,  # D-A, L-I, D-N
        ("events", "paid_search"): 1,
        ("outbound_sdr", "direct_sales"): 1,
        ("webinar", "email"): 1,
        ("email", "webinar"): 1,
        ("email", "(conversion)"): 3,
        ("webinar", "(conversion)"): 2,  # D-A, D-E, D-N; D-B, D-J
        ("paid_search", "(conversion)"): 1,
        ("direct_sales", "(conversion)"): 1,
        ("webinar", "(null)"): 1,
        ("email", "(null)"): 1,
        ("paid_search", "(null)"): 1,  # D-G, L-I, L-K
    }


def test_transitions_follow_the_lead_filters(company):
    # Sales-sourced leads, pipeline: D-D ob > ds, D-H ev > pa, D-M wb (D-F has no touch); no deal-less lead.
    assert transitions(company, basis="pipeline", teams=["sales"]) == {
        ("(start)", "outbound_sdr"): 1,
        ("outbound_sdr", "direct_sales"): 1,
        ("direct_sales", "(conversion)"): 1,
        ("(start)", "events"): 1,
        ("events", "partner"): 1,
        ("partner", "(conversion)"): 1,
        ("(start)", "webinar"): 1,
        ("webinar", "(conversion)"): 1,
    }
    # smb leads, revenue: D-B wb, D-C ev > ps, D-E wb > em; lost D-G em > wb; L-I ps > ds; L-J wb.
    assert transitions(company, segments=["smb"]) == {
        ("(start)", "webinar"): 3,
        ("webinar", "(conversion)"): 1,
        ("(start)", "events"): 1,
        ("events", "paid_search"): 1,
        ("paid_search", "(conversion)"): 1,
        ("webinar", "email"): 1,
        ("email", "(conversion)"): 1,
        ("(start)", "email"): 1,
        ("email", "webinar"): 1,
        ("webinar", "(null)"): 2,
        ("(start)", "paid_search"): 1,
        ("paid_search", "direct_sales"): 1,
        ("direct_sales", "(null)"): 1,
    }


# ---------------------------------------------------------------------------------------------
# Sourced vs influenced


def test_sourced_and_influenced_on_pipeline(company):
    # Deals created in January. Marketing-sourced: D-A 3,100 + D-B 500 + D-C 300 + D-E 200 + D-G 400
    # = 4,500 (5). Sales-sourced: D-D 1,000 + D-F 250 + D-H 600 + D-M 50 = 1,900 (4). Total 6,400 (9).
    # Influenced (a marketing touch strictly before the deal was created): D-A (A1), D-B (B1), D-C (C1),
    # D-G (G1), and the sales-sourced D-H (H1 events) = 4,900 (5). Not: D-D (sales touches only), D-E
    # (touched after), D-F (none), D-M (its webinar touch came at the very moment of creation).
    frame = db.run_query("attribution__sourced_influenced", JAN, db=company).set_index("measure")
    assert frame.index.tolist() == [
        "marketing_sourced",
        "sales_sourced",
        "total",
        "marketing_influenced",
        "influenced_sales_sourced",
    ]
    assert frame["amount_usd"].tolist() == [4500.0, 1900.0, 6400.0, 4900.0, 600.0]
    assert frame["deal_count"].tolist() == [5, 4, 9, 5, 1]
    assert frame["share_rate"].tolist() == pytest.approx(
        [4500 / 6400, 1900 / 6400, 1.0, 4900 / 6400, 600 / 6400]
    )
    assert frame["team"].tolist()[:2] == ["marketing", "sales"] and pd.isna(frame.loc["total", "team"])


def test_sourced_and_influenced_on_revenue(company):
    # Won deals closed in January. Marketing-sourced: D-A, D-B, D-C, D-E = 4,100; sales-sourced: D-D,
    # D-F = 1,250. Influenced: D-A, D-B, D-C = 3,900; none of it sales-sourced.
    frame = db.run_query("attribution__sourced_influenced", JAN, db=company, basis="revenue").set_index(
        "measure"
    )
    assert frame["amount_usd"].tolist() == [4100.0, 1250.0, 5350.0, 3900.0, 0.0]
    assert frame["deal_count"].tolist() == [4, 2, 6, 3, 0]
    # EMEA only: D-B (marketing, influenced) and D-F (sales).
    emea = db.run_query("attribution__sourced_influenced", JAN, db=company, basis="revenue", regions=["EMEA"])
    assert emea["amount_usd"].tolist() == [500.0, 250.0, 750.0, 500.0, 0.0]


# ---------------------------------------------------------------------------------------------
# The leakage queries read each lead's own columns from lead_milestones
#
# MQLs as of 30 June 2026 (times 09:00 unless said otherwise), every one marketing-sourced:
# | lead | MQL | score | segment, region, channel, owner, campaign | first sales touch after the MQL | then |
# |---|---|---|---|---|---|
# | Q1 | 2 Apr | 90 | smb NA webinar P1 C1 | 2 Apr 09:30 (0.5 h) | SAL 3 Apr, SQL 5 Apr, deal won 10 May |
# | Q2 | 3 Apr | 65 | enterprise EMEA paid_search P2 C1 | 3 Apr 11:00 (2 h; a call at 08:00 was before it) | rejected 4 Apr: wrong_territory |
# | Q3 | 4 Apr | 45 | smb EMEA webinar P2 C2 | none (only a marketing email at 10:00) | nothing |
# | Q4 | 5 Apr | – | enterprise NA paid_search P1 C2 | 6 Apr 15:00 (30 h) | SAL 7 Apr, disqualified 20 Apr: timing |
# | Q5 | 6 Apr | 20 | smb NA email P1 – | 6 Apr 13:00 (4 h) | SQL 8 Apr |
# | Q6 | 7 Apr | 82 | smb NA events P2 – | 7 Apr 11:00 (2 h) | nothing |
# | R1 | 3 Mar | 85 | smb NA webinar P1 C1 | none | deal won 20 Mar |
# | R2 | 4 Mar | 62 | enterprise EMEA paid_search P2 C2 | none | nothing |

APRIL = Filters(start=D(2026, 4, 1), end=D(2026, 5, 1))
BANDS = ["80–100", "60–79", "40–59", "0–39", "unscored"]
REASONS = [
    "not_a_fit",
    "data_or_routing",
    "other_rejection",
    "not_worked_in_sla",
    "disqualified_after_contact",
    "still_open",
]


def mql(lead_id, mql_at, score, segment, region, channel, owner, campaign=None, **stages):
    return {
        "lead_id": lead_id,
        "created_at": ts(mql_at) - dt.timedelta(days=1),
        "sourced_by": "marketing",
        "segment": segment,
        "region": region,
        "channel": channel,
        "owner_id": owner,
        "source_campaign_id": campaign,
        "score": score,
        "mql_at": ts(mql_at),
        **{k: ts(v) if k.endswith("_at") else v for k, v in stages.items()},
    }


def call(touch_id, lead_id, at, team="sales"):
    return {
        "touch_id": touch_id,
        "lead_id": lead_id,
        "touched_at": ts(at),
        "team": team,
        "kind": "call",
        "channel": "direct_sales" if team == "sales" else "email",
        "person_id": "P1" if team == "sales" else None,
    }


MQLS = [
    mql(
        "Q1",
        "2026-04-02 09:00",
        90,
        "smb",
        "NA",
        "webinar",
        "P1",
        "C1",
        sal_at="2026-04-03 09:00",
        sql_at="2026-04-05 09:00",
    ),
    mql(
        "Q2",
        "2026-04-03 09:00",
        65,
        "enterprise",
        "EMEA",
        "paid_search",
        "P2",
        "C1",
        disqualified_at="2026-04-04 09:00",
        disqualify_reason="wrong_territory",
    ),
    mql("Q3", "2026-04-04 09:00", 45, "smb", "EMEA", "webinar", "P2", "C2"),
    mql(
        "Q4",
        "2026-04-05 09:00",
        None,
        "enterprise",
        "NA",
        "paid_search",
        "P1",
        "C2",
        sal_at="2026-04-07 09:00",
        disqualified_at="2026-04-20 09:00",
        disqualify_reason="timing",
    ),
    mql("Q5", "2026-04-06 09:00", 20, "smb", "NA", "email", "P1", sql_at="2026-04-08 09:00"),
    mql("Q6", "2026-04-07 09:00", 82, "smb", "NA", "events", "P2"),
    mql("R1", "2026-03-03 09:00", 85, "smb", "NA", "webinar", "P1", "C1"),
    mql("R2", "2026-03-04 09:00", 62, "enterprise", "EMEA", "paid_search", "P2", "C2"),
]
CALLS = [
    call("Q1-1", "Q1", "2026-04-02 09:30"),
    call("Q2-0", "Q2", "2026-04-03 08:00"),
    call("Q2-1", "Q2", "2026-04-03 11:00"),
    call("Q3-1", "Q3", "2026-04-04 10:00", team="marketing"),
    call("Q4-1", "Q4", "2026-04-06 15:00"),
    call("Q5-1", "Q5", "2026-04-06 13:00"),
    call("Q6-1", "Q6", "2026-04-07 11:00"),
]
WINS = [
    deal("DQ1", "Q1", "2026-04-06 09:00", "2026-05-10 09:00", "won", 1000),
    deal("DR1", "R1", "2026-03-10 09:00", "2026-03-20 09:00", "won", 1000),
]


@pytest.fixture(scope="module")
def mqls(tmp_path_factory):
    campaigns = [
        {
            "campaign_id": c,
            "name": c,
            "channel": "webinar",
            "owner_team": "marketing",
            "start_date": D(2026, 1, 1),
            "cost": 0,
        }
        for c in ("C1", "C2")
    ]
    path = write_db(
        tmp_path_factory.mktemp("leakage") / "mqls.duckdb",
        {"people": PEOPLE, "campaigns": campaigns, "leads": MQLS, "touches": CALLS, "deals": WINS},
        meta={"as_of": "2026-06-30"},
    )
    yield path
    db.close_connections()


def test_lead_milestones_carry_what_the_leakage_queries_read(mqls):
    frame = db.execute("select * from lead_milestones", db=mqls).set_index("lead_id")
    q2, q3, q1 = frame.loc["Q2"], frame.loc["Q3"], frame.loc["Q1"]
    # The follow-up is the first sales touch at or after the MQL: Q2's 08:00 call was before it.
    assert q2["first_sales_touch_at"] == pd.Timestamp("2026-04-03 11:00") and q2["speed_to_lead_hours"] == 2.0
    assert (
        q2["score"],
        q2["region"],
        q2["segment"],
        q2["channel"],
        q2["owner_id"],
        q2["source_campaign_id"],
    ) == (65, "EMEA", "enterprise", "paid_search", "P2", "C1")
    assert (q2["disqualify_reason"], q2["disqualified_at"], bool(q2["reached_sql"])) == (
        "wrong_territory",
        pd.Timestamp("2026-04-04 09:00"),
        False,
    )
    # A marketing email is not a follow-up.
    assert pd.isna(q3["first_sales_touch_at"]) and pd.isna(q3["speed_to_lead_hours"])
    assert q1["speed_to_lead_hours"] == 0.5 and q1["won_at"] == pd.Timestamp("2026-05-10 09:00")
    assert bool(q1["reached_sql"]) and bool(q1["reached_won"])
    assert pd.isna(frame.loc["Q4", "score"]) and frame.loc["Q4", "sal_at"] == pd.Timestamp("2026-04-07 09:00")


def loss(mqls, **params) -> dict[str, int]:
    frame = db.run_query("attribution__mql_sql_loss", APRIL, db=mqls, **params)
    assert frame["loss_reason"].tolist() == REASONS
    return {row.loss_reason: row.lead_count for row in frame.itertuples() if row.lead_count}


def test_mql_sql_loss_by_the_leads_own_columns(mqls):
    # Q1 and Q5 reached SQL. Q2 was rejected at the handoff for routing; Q3 (24 h: due 5 Apr 09:00) was
    # never followed up; Q6 scored 82, so 1 h: due 7 Apr 10:00, called at 11:00; Q4 was accepted, then
    # disqualified.
    assert loss(mqls) == {"data_or_routing": 1, "not_worked_in_sla": 2, "disqualified_after_contact": 1}
    frame = db.run_query("attribution__mql_sql_loss", APRIL, db=mqls).set_index("loss_reason")
    assert frame.loc["not_worked_in_sla", "lost_share_rate"] == pytest.approx(2 / 4)
    assert frame.loc["not_worked_in_sla", "mql_rate"] == pytest.approx(2 / 6)
    # A 3 h priority SLA covers Q6's 2 h: it is still open.
    assert loss(mqls, priority_sla_hours=3) == {
        "data_or_routing": 1,
        "not_worked_in_sla": 1,
        "disqualified_after_contact": 1,
        "still_open": 1,
    }
    assert loss(mqls, segments=["enterprise"]) == {
        "data_or_routing": 1,
        "disqualified_after_contact": 1,
    }  # Q2, Q4
    assert loss(mqls, regions=["EMEA"]) == {"data_or_routing": 1, "not_worked_in_sla": 1}  # Q2, Q3
    assert loss(mqls, channels=["webinar"]) == {"not_worked_in_sla": 1}  # Q1 reached SQL, Q3
    assert loss(mqls, owners=["P1"]) == {"disqualified_after_contact": 1}  # Q1, Q4, Q5
    assert loss(mqls, campaigns=["C2"]) == {"not_worked_in_sla": 1, "disqualified_after_contact": 1}  # Q3, Q4
    assert loss(mqls, teams=["sales"]) == {}  # a sales-sourced lead is never an MQL


def grid(mqls, **params) -> dict[tuple[str, str], tuple[int, int, int]]:
    frame = db.run_query("attribution__quality_speed_grid", APRIL, db=mqls, **params)
    assert len(frame) == 5 * 6
    return {
        (r.band, r.speed): (r.mql_count, r.sql_count, r.won_count) for r in frame.itertuples() if r.mql_count
    }


def test_quality_speed_grid_by_the_leads_score_and_first_sales_touch(mqls):
    # Bands by score (Q4 has none), speed by the first sales touch: Q5's 4 h is the first of 4–24 h.
    assert grid(mqls) == {
        ("80–100", "< 1 h"): (1, 1, 1),  # Q1: SQL and won
        ("60–79", "1–4 h"): (1, 0, 0),  # Q2
        ("40–59", "no follow-up"): (1, 0, 0),  # Q3
        ("unscored", "1–3 d"): (1, 0, 0),  # Q4
        ("0–39", "4–24 h"): (1, 1, 0),  # Q5: SQL
        ("80–100", "1–4 h"): (1, 0, 0),  # Q6
    }
    assert grid(mqls, regions=["EMEA"]) == {
        ("60–79", "1–4 h"): (1, 0, 0),
        ("40–59", "no follow-up"): (1, 0, 0),
    }
    assert grid(mqls, owners=["P2"]) == {
        ("60–79", "1–4 h"): (1, 0, 0),
        ("40–59", "no follow-up"): (1, 0, 0),
        ("80–100", "1–4 h"): (1, 0, 0),
    }


def shift_share(mqls, **params):
    return db.run_query(
        "attribution__conversion_shift_share",
        APRIL,
        db=mqls,
        previous_start=D(2026, 3, 1),
        previous_end=D(2026, 4, 1),
        **params,
    )


def test_conversion_shift_share_by_the_leads_score_and_region(mqls):
    # April is watched 61 days after its end (to 1 July), so March's wins count until 1 June: R1's does.
    # March: 80–100 R1 won, 60–79 R2 (shares 1/2, 1/2; rates 1, 0). April: 80–100 Q1 won, Q6; 60–79 Q2;
    # 40–59 Q3; 0–39 Q5; unscored Q4 (shares 1/3, 1/6 × 4; rates 1/2, 0 …).
    frame = shift_share(mqls)
    assert frame["band"].tolist() == BANDS
    assert frame["previous_mql_count"].tolist() == [1, 1, 0, 0, 0]
    assert frame["previous_won_count"].tolist() == [1, 0, 0, 0, 0]
    assert frame["current_mql_count"].tolist() == [2, 1, 1, 1, 1]
    assert frame["current_won_count"].tolist() == [1, 0, 0, 0, 0]
    # Mix Δs·r₀ = (1/3 − 1/2)·1 = −1/6 (other bands convert at 0 before). Rate s₀·Δr = 1/2·(1/2 − 1) = −1/4.
    # Interaction Δs·Δr = (−1/6)(−1/2) = 1/12. Together −1/3 = 1/6 − 1/2, the change of Σ s·r.
    assert frame["mix_effect_rate"].tolist() == pytest.approx([-1 / 6, 0, 0, 0, 0])
    assert frame["rate_effect_rate"].tolist() == pytest.approx([-1 / 4, 0, 0, 0, 0])
    assert frame["interaction_effect_rate"].tolist() == pytest.approx([1 / 12, 0, 0, 0, 0])
    # NA only: March R1 (share 1, rate 1); April Q1 won, Q6 (80–100, share 1/2, rate 1/2), Q5 (0–39), Q4
    # (unscored). Mix (1/2 − 1)·1 = −1/2, rate 1·(1/2 − 1) = −1/2, interaction (−1/2)(−1/2) = 1/4.
    na = shift_share(mqls, regions=["NA"])
    assert na["current_mql_count"].tolist() == [2, 0, 0, 1, 1]
    assert (
        na["mix_effect_rate"].sum(),
        na["rate_effect_rate"].sum(),
        na["interaction_effect_rate"].sum(),
    ) == (pytest.approx(-1 / 2), pytest.approx(-1 / 2), pytest.approx(1 / 4))
    # Enterprise: March R2, April Q2 and Q4; nobody won, so nothing moved.
    enterprise = shift_share(mqls, segments=["enterprise"])
    assert enterprise["previous_mql_count"].tolist() == [0, 1, 0, 0, 0]
    assert enterprise["current_mql_count"].tolist() == [0, 1, 0, 0, 1]
    assert (
        enterprise[["mix_effect_rate", "rate_effect_rate", "interaction_effect_rate"]].abs().sum().sum() == 0
    )
