"""Attribution queries on a hand-made company whose journeys and credits are worked out in comments.

Journeys (touches in time order; LC = lead-creation touch, OC = opportunity-creation touch):
  D1 (L1, won 1000.00, created 1 Feb 10:00, closed 21 Feb): T1-1 paid_search, T1-2 webinar,
     T1-3 paid_search form at lead creation (LC), T1-4 call, T1-5 demo at deal creation (OC),
     T1-6 email, T1-7 meeting (closing); T1-8 after the close does not count.
  D2 (L2, won 500.00): one touch, webinar, at lead creation.
  D3 (L3, won 300.00): T3-1 webinar before the lead, T3-2 paid_search form = LC = OC = closing.
  D4 (L4, won 250.00): no touches at all → unattributed.
  D5 (L5, won 100.01): T5-1 outbound_sdr email = first = LC (coinciding), T5-2 call, T5-3 demo = OC,
     T5-4 meeting = closing.
  D6 (L6, lost 400.00, created 10 Jan): T6-1 email after the lead was created (no touch at or
     before creation: LC falls back to the first touch), T6-2 webinar.
  D8 (L8, open 200.00, sales-sourced, created 12 Jan): T8-1 events (marketing), T8-2 partner (LC).
  L7: a lead created 3 Feb without a deal: T7-1 paid_search, T7-2 call (a non-converting journey).
Revenue in February 2026 (won deals closed 1 Feb – 1 Mar): D1, D2, D3, D4, D5 = 2,150.01.
Pipeline in January 2026 (deals created 1 Jan – 1 Feb): D2, D3, D4, D5, D6, D8 = 1,750.01.
"""

import datetime as dt

import pandas as pd
import pytest

from handoff import attribution, cache, db
from handoff.attribution import journeys
from handoff.attribution import view as attribution_view
from handoff.attribution.models import MODEL_LABELS, MODELS
from handoff.filters import Filters
from tests.fixtures import ts, write_db

D = dt.date
FEB = Filters(start=D(2026, 2, 1), end=D(2026, 3, 1))
JAN = Filters(start=D(2026, 1, 1), end=D(2026, 2, 1))

PEOPLE = [
    {"person_id": "P-SDR", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "P-AE", "name": "Ava", "team": "sales", "role": "ae", "region": "NA"},
]
CAMPAIGNS = [
    {
        "campaign_id": "C-PS",
        "name": "Search",
        "channel": "paid_search",
        "owner_team": "marketing",
        "start_date": D(2025, 12, 1),
        "cost": 100,
    },
    {
        "campaign_id": "C-WB",
        "name": "Webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": D(2025, 12, 1),
        "cost": 100,
    },
    {
        "campaign_id": "C-EM",
        "name": "Newsletter",
        "channel": "email",
        "owner_team": "marketing",
        "start_date": D(2025, 12, 1),
        "cost": 100,
    },
    {
        "campaign_id": "C-OB",
        "name": "Sequence",
        "channel": "outbound_sdr",
        "owner_team": "sales",
        "start_date": D(2025, 12, 1),
        "cost": 100,
    },
]


def lead(lead_id, created, channel, sourced_by="marketing", segment="smb"):
    return {
        "lead_id": lead_id,
        "created_at": ts(created),
        "channel": channel,
        "sourced_by": sourced_by,
        "segment": segment,
        "region": "NA",
        "owner_id": "P-SDR",
        "score": 50,
    }


LEADS = [
    lead("L1", "2026-01-10 10:00", "paid_search"),
    lead("L2", "2026-01-15 09:00", "webinar"),
    lead("L3", "2026-01-20 12:00", "paid_search"),
    lead("L4", "2026-01-05 09:00", "outbound_sdr", "sales"),
    lead("L5", "2026-01-03 08:00", "outbound_sdr", "sales", "enterprise"),
    lead("L6", "2026-01-02 09:00", "email"),
    lead("L7", "2026-02-03 09:00", "paid_search"),
    lead("L8", "2026-01-10 09:00", "partner", "sales"),
]


def touch(touch_id, lead_id, at, channel, team="marketing", kind="ad_click", campaign=None, person=None):
    return {
        "touch_id": touch_id,
        "lead_id": lead_id,
        "touched_at": ts(at),
        "channel": channel,
        "team": team,
        "kind": kind,
        "campaign_id": campaign,
        "person_id": person,
    }


TOUCHES = [
    touch("T1-1", "L1", "2026-01-01 10:00", "paid_search", campaign="C-PS"),
    touch("T1-2", "L1", "2026-01-05 10:00", "webinar", kind="webinar", campaign="C-WB"),
    touch("T1-3", "L1", "2026-01-10 10:00", "paid_search", kind="form", campaign="C-PS"),
    touch("T1-4", "L1", "2026-01-12 10:00", "direct_sales", "sales", "call", person="P-SDR"),
    touch("T1-5", "L1", "2026-02-01 10:00", "direct_sales", "sales", "demo", person="P-AE"),
    touch("T1-6", "L1", "2026-02-10 10:00", "email", kind="email", campaign="C-EM"),
    touch("T1-7", "L1", "2026-02-20 10:00", "direct_sales", "sales", "meeting", person="P-AE"),
    touch("T1-8", "L1", "2026-03-01 10:00", "email", kind="email", campaign="C-EM"),
    touch("T2-1", "L2", "2026-01-15 09:00", "webinar", kind="form", campaign="C-WB"),
    touch("T3-1", "L3", "2026-01-18 12:00", "webinar", kind="webinar", campaign="C-WB"),
    touch("T3-2", "L3", "2026-01-20 12:00", "paid_search", kind="form", campaign="C-PS"),
    touch("T5-1", "L5", "2026-01-03 08:00", "outbound_sdr", "sales", "email", campaign="C-OB"),
    touch("T5-2", "L5", "2026-01-04 08:00", "direct_sales", "sales", "call", person="P-SDR"),
    touch("T5-3", "L5", "2026-01-08 08:00", "direct_sales", "sales", "demo", person="P-AE"),
    touch("T5-4", "L5", "2026-01-28 08:00", "direct_sales", "sales", "meeting", person="P-AE"),
    touch("T6-1", "L6", "2026-01-03 09:00", "email", kind="email", campaign="C-EM"),
    touch("T6-2", "L6", "2026-01-09 09:00", "webinar", kind="webinar", campaign="C-WB"),
    touch("T7-1", "L7", "2026-02-03 09:00", "paid_search", kind="form", campaign="C-PS"),
    touch("T7-2", "L7", "2026-02-04 09:00", "direct_sales", "sales", "call", person="P-SDR"),
    touch("T8-1", "L8", "2026-01-09 09:00", "events", kind="event"),
    touch("T8-2", "L8", "2026-01-10 09:00", "partner", "sales", "partner_referral"),
]


def deal(deal_id, lead_id, created, closed, stage, amount):
    return {
        "deal_id": deal_id,
        "lead_id": lead_id,
        "created_at": ts(created),
        "closed_at": ts(closed) if closed else None,
        "stage": stage,
        "amount": amount,
        "owner_id": "P-AE",
    }


DEALS = [
    deal("D1", "L1", "2026-02-01 10:00", "2026-02-21 10:00", "won", 1000),
    deal("D2", "L2", "2026-01-20 09:00", "2026-02-05 09:00", "won", 500),
    deal("D3", "L3", "2026-01-25 09:00", "2026-02-10 09:00", "won", 300),
    deal("D4", "L4", "2026-01-06 09:00", "2026-02-15 09:00", "won", 250),
    deal("D5", "L5", "2026-01-08 08:00", "2026-02-01 08:00", "won", 100.01),
    deal("D6", "L6", "2026-01-10 09:00", "2026-02-12 09:00", "lost", 400),
    deal("D8", "L8", "2026-01-12 09:00", None, "open", 200),
]


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    path = write_db(
        tmp_path_factory.mktemp("attribution") / "hand.duckdb",
        {"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "touches": TOUCHES, "deals": DEALS},
        meta={"as_of": "2026-03-31"},
    )
    yield path
    db.close_connections()


def weights(company, deal_id, basis="revenue", window=FEB):
    frame = db.run_query("attribution__touch_weights", window, db=company, basis=basis)
    return frame[frame["deal_id"] == deal_id].set_index("touch_id")


def credit(company, model, level="channel", basis="revenue", window=FEB, **filters):
    """The non-zero credits of one model as {(key, team): credit_usd}."""
    frame = db.run_query(
        "attribution__credit", window, db=company, model=model, level=level, basis=basis, **filters
    )
    return {(row.key, row.team): row.credit_usd for row in frame.itertuples() if row.credit_usd != 0}


def cents(values):
    return sum(round(v * 100) for v in values)


# ---------------------------------------------------------------------------------------------
# attribution__touch_weights: roles and weights per journey


def test_a_long_journey_gets_every_model_by_hand(company):
    d1 = weights(company, "D1")
    assert list(d1.index) == [
        "T1-1",
        "T1-2",
        "T1-3",
        "T1-4",
        "T1-5",
        "T1-6",
        "T1-7",
    ]  # T1-8 is after the close
    assert d1["is_lead_creation"].tolist() == [False, False, True, False, False, False, False]
    assert d1["is_opportunity_creation"].tolist() == [False, False, False, False, True, False, False]
    assert d1["first_touch_weight"].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert d1["last_touch_weight"].tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert d1["linear_weight"].tolist() == pytest.approx([1 / 7] * 7)
    # U-shaped ends at the LC touch (T1-3): 40 first, 40 LC, 20 on T1-2 between them.
    assert d1["u_shaped_weight"].tolist() == pytest.approx([0.4, 0.2, 0.4, 0, 0, 0, 0])
    # W-shaped ends at OC (T1-5): 30 each on T1-1, T1-3, T1-5; 10 over T1-2 and T1-4.
    assert d1["w_shaped_weight"].tolist() == pytest.approx([0.3, 0.05, 0.3, 0.05, 0.3, 0, 0])
    # Full path: 22.5 on first, LC, OC, closing; 10 over T1-2, T1-4, T1-6.
    assert d1["full_path_weight"].tolist() == pytest.approx(
        [0.225, 0.1 / 3, 0.225, 0.1 / 3, 0.225, 0.1 / 3, 0.225]
    )
    # Time decay halves every 7 days before the close (21 Feb 10:00): T1-7 is 1 day out, T1-6 11 days,
    # T1-1 (1 Jan) 51 days.
    decay = d1["time_decay_weight"]
    assert decay.sum() == pytest.approx(1)
    assert decay["T1-7"] / decay["T1-6"] == pytest.approx(2 ** (10 / 7))
    assert decay["T1-6"] / decay["T1-1"] == pytest.approx(2 ** (40 / 7))


def test_one_touch_takes_everything_under_every_model(company):
    d2 = weights(company, "D2")
    assert len(d2) == 1
    assert d2[[f"{m}_weight" for m in MODELS[:7]]].iloc[0].tolist() == [1.0] * 7
    assert d2[["is_first", "is_lead_creation", "is_opportunity_creation", "is_closing"]].iloc[0].all()


def test_two_touches_share_by_their_roles(company):
    # T3-1 first; T3-2 is LC, OC and closing. U: no touch between → 50/50. W: three slots of 1/3
    # (30 % + a third of the unused 10 %), two on T3-2. Full path: four slots of 25 %, three on T3-2.
    d3 = weights(company, "D3")
    assert d3["u_shaped_weight"].tolist() == pytest.approx([0.5, 0.5])
    assert d3["w_shaped_weight"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert d3["full_path_weight"].tolist() == pytest.approx([0.25, 0.75])
    assert d3["linear_weight"].tolist() == pytest.approx([0.5, 0.5])


def test_coinciding_first_and_lead_creation_touch_gets_both_roles(company):
    # T5-1 is first and LC: U gives it both 40 % slots and the unused 20 % → 100 %. W: 60 % on T5-1,
    # 30 % on the OC demo T5-3, 10 % on T5-2 (between first and OC), nothing after OC.
    # Full path: 45 % on T5-1, 22.5 % on T5-3 and on the closing T5-4, 10 % on T5-2.
    d5 = weights(company, "D5")
    assert d5["u_shaped_weight"].tolist() == pytest.approx([1, 0, 0, 0])
    assert d5["w_shaped_weight"].tolist() == pytest.approx([0.6, 0.1, 0.3, 0])
    assert d5["full_path_weight"].tolist() == pytest.approx([0.45, 0.1, 0.225, 0.225])


def test_a_deal_without_touches_is_one_unattributed_row(company):
    d4 = weights(company, "D4").reset_index()
    assert len(d4) == 1 and pd.isna(d4["touch_id"].iloc[0]) and d4["amount_cents"].iloc[0] == 25000
    assert d4[[f"{m}_weight" for m in MODELS[:7]]].iloc[0].tolist() == [1.0] * 7


def test_pipeline_journeys_end_at_deal_creation(company):
    # D1 created 1 Feb 10:00: its journey is T1-1..T1-5 (the demo at that very minute counts).
    # The last touch is both OC and closing: full path 22.5 first, 22.5 LC, 45 on T1-5, 5 + 5 between.
    d1 = weights(company, "D1", basis="pipeline", window=FEB)
    assert list(d1.index) == ["T1-1", "T1-2", "T1-3", "T1-4", "T1-5"]
    assert d1["full_path_weight"].tolist() == pytest.approx([0.225, 0.05, 0.225, 0.05, 0.45])
    # D6 (pipeline, January): no touch at or before lead creation, so LC falls back to the first touch.
    d6 = weights(company, "D6", basis="pipeline", window=JAN)
    assert d6["is_lead_creation"].tolist() == [True, False]
    assert d6["u_shaped_weight"].tolist() == pytest.approx([1, 0])


def test_every_deals_weights_sum_to_one(company):
    for basis, window in (("revenue", FEB), ("pipeline", JAN), ("pipeline", Filters())):
        frame = db.run_query("attribution__touch_weights", window, db=company, basis=basis)
        sums = frame.groupby("deal_id")[[f"{m}_weight" for m in MODELS[:7]]].sum()
        assert (sums.round(12) == 1).all().all()


# ---------------------------------------------------------------------------------------------
# attribution__credit: the contract


def test_credit_prints_the_contract_columns_for_every_model(company):
    frame = db.run_query("attribution__credit", FEB, db=company)
    assert list(frame.columns) == ["model", "level", "key", "team", "credit_usd", "share_rate"]
    assert list(dict.fromkeys(frame["model"])) == list(MODELS)
    # Every model lists the same keys (0 where it gives nothing), so models line up side by side.
    keys = frame.groupby("model")["key"].apply(frozenset)
    assert keys.nunique() == 1 and len(keys.iloc[0]) == 6
    for _, rows in frame.groupby("model"):
        assert cents(rows["credit_usd"]) == 215001  # 2,150.01 to the cent
        assert rows["share_rate"].sum() == pytest.approx(1)


def test_first_and_last_touch_by_channel(company):
    # First: D1 paid_search (T1-1) 1000, D2 webinar 500, D3 webinar (T3-1) 300, D5 outbound_sdr 100.01.
    assert credit(company, "first_touch") == {
        ("paid_search", "marketing"): 1000.0,
        ("webinar", "marketing"): 800.0,
        ("outbound_sdr", "sales"): 100.01,
        ("unattributed", "unattributed"): 250.0,
    }
    # Last: D1 and D5 end on a sales meeting; D2 webinar; D3 paid_search.
    assert credit(company, "last_touch") == {
        ("direct_sales", "sales"): 1100.01,
        ("webinar", "marketing"): 500.0,
        ("paid_search", "marketing"): 300.0,
        ("unattributed", "unattributed"): 250.0,
    }


def test_linear_rounds_to_the_cent_by_largest_remainder(company):
    # Exact cents: paid_search 2/7·100000 + 15000 = 43571.43; webinar 1/7·100000 + 50000 + 15000 =
    # 79285.71; direct_sales 3/7·100000 + 3/4·10001 = 50357.88; email 14285.71; outbound_sdr 2500.25;
    # unattributed 25000. Floors sum to 214998; the 3 missing cents go to .88, .71 (webinar) and .71
    # (email).
    assert credit(company, "linear") == {
        ("webinar", "marketing"): 792.86,
        ("direct_sales", "sales"): 503.58,
        ("paid_search", "marketing"): 435.71,
        ("unattributed", "unattributed"): 250.0,
        ("email", "marketing"): 142.86,
        ("outbound_sdr", "sales"): 25.0,
    }


def test_team_and_campaign_levels(company):
    # First touch by team: D1, D2, D3 start with marketing (1800), D5 with sales (100.01).
    assert credit(company, "first_touch", level="team") == {
        ("marketing", "marketing"): 1800.0,
        ("sales", "sales"): 100.01,
        ("unattributed", "unattributed"): 250.0,
    }
    # Last touch by campaign: the sales meetings have no campaign.
    assert credit(company, "last_touch", level="campaign") == {
        ("(no campaign)", "sales"): 1100.01,
        ("C-WB", "marketing"): 500.0,
        ("C-PS", "marketing"): 300.0,
        ("unattributed", "unattributed"): 250.0,
    }


def test_shapley_splits_each_deal_equally_among_its_channels(company):
    # D1 touches 4 channels: 250 each; D2 webinar 500; D3 webinar/paid_search 150 each; D5
    # outbound_sdr/direct_sales 50.005 each.
    assert credit(company, "shapley") == pytest.approx(
        {
            ("paid_search", "marketing"): 400.0,
            ("webinar", "marketing"): 900.0,
            ("email", "marketing"): 250.0,
            ("direct_sales", "sales"): 300.0,
            ("outbound_sdr", "sales"): 50.01,
            ("unattributed", "unattributed"): 250.0,
        },
        abs=0.011,
    )


def test_markov_credit_adds_up_and_favours_the_channel_every_conversion_needs(company):
    markov = credit(company, "markov")
    assert cents(markov.values()) == 215001
    assert markov[("unattributed", "unattributed")] == 250.0
    assert all(value > 0 for value in markov.values())


def test_filters_and_windows_change_the_scope(company):
    # Enterprise leads: only L5 → D5's 100.01 in February.
    assert credit(company, "linear", segments=["enterprise"]) == {
        ("outbound_sdr", "sales"): 25.0,
        ("direct_sales", "sales"): 75.01,
    }
    # Pipeline in January: D2, D3, D4, D5, D6, D8 = 1750.01.
    frame = db.run_query("attribution__credit", JAN, db=company, basis="pipeline", model="first_touch")
    assert cents(frame["credit_usd"]) == 175001
    # An empty window has no rows.
    assert db.run_query(
        "attribution__credit", Filters(start=D(2030, 1, 1), end=D(2030, 2, 1)), db=company
    ).empty


# ---------------------------------------------------------------------------------------------
# attribution__receipt and attribution__scope_totals


def test_receipt_lists_each_touch_with_its_roles_and_credit_under_every_model(company):
    receipt = db.run_query("attribution__receipt", FEB, db=company, deal_id="D5").set_index("touch_id")
    assert receipt["role"].tolist() == ["first + lead_creation", "middle", "opportunity_creation", "closing"]
    # 100.01 under W-shaped: 60.006 → 60.01, 10.001 → 10.00, 30.003 → 30.00, 0.
    assert receipt["w_shaped_usd"].tolist() == [60.01, 10.0, 30.0, 0.0]
    # Linear: 25.0025 each: 2500 cents each, the one missing cent to the first.
    assert receipt["linear_usd"].tolist() == [25.01, 25.0, 25.0, 25.0]
    for model in MODELS:
        assert cents(receipt[f"{model}_usd"]) == 10001, model
    # Shapley within the deal: half to outbound_sdr, half over the three direct_sales touches.
    assert receipt["shapley_usd"].tolist() == pytest.approx([50.01, 16.67, 16.67, 16.66], abs=0.011)
    # For people: full model names, roles in words, and a Total row that is the deal under every model.
    shown = attribution_view.receipt_table(receipt.reset_index(), {})
    assert {"W-shaped", "U-shaped", "Time decay", "Shapley value"} <= set(shown.columns)
    assert shown["Role"].iloc[0] == "First + lead creation"
    assert shown["Touch"].iloc[-1] == "Total"
    assert {shown[MODEL_LABELS[m]].iloc[-1] for m in MODELS} == {"$100"}


def test_receipt_of_an_unattributed_deal_and_the_default_deal(company):
    d4 = db.run_query("attribution__receipt", FEB, db=company, deal_id="D4")
    assert d4["role"].tolist() == ["unattributed"] and d4["markov_usd"].tolist() == [250.0]
    assert db.run_query("attribution__receipt", FEB, db=company)["deal_id"].iloc[0] == "D1"  # the largest
    assert db.run_query("attribution__receipt", FEB, db=company, deal_id="D6").empty  # lost: not revenue


def test_scope_totals(company):
    totals = db.run_query("attribution__scope_totals", FEB, db=company).iloc[0]
    assert totals["deal_count"] == 5 and totals["total_usd"] == pytest.approx(2150.01)
    assert totals["attributed_deal_count"] == 4 and totals["unattributed_usd"] == 250.0
    assert totals["touch_count"] == 7 + 1 + 2 + 4 and bool(totals["is_thin"])


# ---------------------------------------------------------------------------------------------
# attribution__channel_transitions: the Markov chain's input


def test_transitions_count_converting_and_non_converting_journeys(company):
    # Converting (revenue, February), repeats collapsed: D1 ps>wb>ps>ds>em>ds, D2 wb, D3 wb>ps,
    # D5 ob>ds. Not converting: L7 (created in February, no deal) ps>ds; D6 (lost in February) em>wb.
    frame = db.run_query("attribution__channel_transitions", FEB, db=company)
    got = {(r.from_state, r.to_state): r.journey_count for r in frame.itertuples()}
    assert got == {
        ("(start)", "paid_search"): 2,
        ("(start)", "webinar"): 2,
        ("(start)", "outbound_sdr"): 1,
        ("(start)", "email"): 1,
        ("paid_search", "webinar"): 1,
        ("webinar", "paid_search"): 2,
        ("paid_search", "direct_sales"): 2,
        ("direct_sales", "email"): 1,
        ("email", "direct_sales"): 1,
        ("outbound_sdr", "direct_sales"): 1,
        ("email", "webinar"): 1,
        ("direct_sales", "(conversion)"): 2,
        ("webinar", "(conversion)"): 1,
        ("paid_search", "(conversion)"): 1,
        ("direct_sales", "(null)"): 1,
        ("webinar", "(null)"): 1,
    }


# ---------------------------------------------------------------------------------------------
# attribution__sourced_influenced


def test_sourced_adds_up_and_influenced_stands_apart(company):
    # Pipeline in January: marketing-sourced D2 500 + D3 300 + D6 400 = 1200; sales-sourced
    # D4 250 + D5 100.01 + D8 200 = 550.01. Influenced (a marketing touch before the deal was
    # created): D2, D3, D6 and the sales-sourced D8 (events touch) = 1400; D4 has no touch, D5 only sales.
    frame = db.run_query("attribution__sourced_influenced", JAN, db=company).set_index("measure")
    assert frame["amount_usd"].to_dict() == pytest.approx(
        {
            "marketing_sourced": 1200.0,
            "sales_sourced": 550.01,
            "total": 1750.01,
            "marketing_influenced": 1400.0,
            "influenced_sales_sourced": 200.0,
        }
    )
    assert frame["deal_count"].tolist() == [3, 3, 6, 4, 1]
    assert frame.loc["marketing_sourced", "share_rate"] == pytest.approx(1200 / 1750.01)
    # Revenue in February: D1, D2, D3 marketing (1800), D4, D5 sales (350.01).
    revenue = db.run_query("attribution__sourced_influenced", FEB, db=company, basis="revenue").set_index(
        "measure"
    )
    assert revenue.loc[
        ["marketing_sourced", "sales_sourced", "total"], "amount_usd"
    ].tolist() == pytest.approx([1800.0, 350.01, 2150.01])


def test_a_zero_amount_journey_still_carries_its_markov_credit(make_db):
    # Two won deals in the window: 100.00 on channel A, 0.00 on channel B. The chain: start→A→conv,
    # start→B→conv, so removing either channel halves conversion: both removal effects are 1/2 and
    # Markov gives each channel half of the 100.00, B's half going to its zero-amount journey.
    path = make_db(
        {
            "people": PEOPLE,
            "leads": [lead("LA", "2026-02-01 09:00", "webinar"), lead("LB", "2026-02-01 09:00", "webinar")],
            "touches": [
                touch("TA", "LA", "2026-02-01 09:00", "A"),
                touch("TB", "LB", "2026-02-01 09:00", "B"),
            ],
            "deals": [
                deal("DA", "LA", "2026-02-02 09:00", "2026-02-03 09:00", "won", 100),
                deal("DB", "LB", "2026-02-02 09:00", "2026-02-03 09:00", "won", 0),
            ],
        }
    )
    assert credit(path, "markov") == {("A", "marketing"): 50.0, ("B", "marketing"): 50.0}
    assert credit(path, "shapley") == {("A", "marketing"): 100.0}


def test_touch_key_names_are_read_again_when_the_database_file_changes(tmp_path):
    # The names behind the touch keys are kept per database file (they hold for every scope); a file
    # rebuilt at the same path with another channel behind the same key number gets the new names.
    path = tmp_path / "rebuilt.duckdb"

    def credit_with(channel):
        write_db(
            path,
            {
                "people": PEOPLE,
                "leads": [lead("LA", "2026-02-01 09:00", "webinar")],
                "touches": [touch("TA", "LA", "2026-02-01 09:00", channel)],
                "deals": [deal("DA", "LA", "2026-02-02 09:00", "2026-02-03 09:00", "won", 100)],
            },
        )
        return credit(path, "markov")

    assert credit_with("webinar") == {("webinar", "marketing"): 100.0}
    assert credit_with("events") == {("events", "marketing"): 100.0}
    db.close_connections()


def test_touch_keys_live_in_the_shared_cache_and_clear_per_file(company, monkeypatch):
    # The names behind the touch keys are one entry of the shared store per database file: read once,
    # then kept (a second scope reads no keys), forgotten by clear_file_caches (a server just started).
    read = []
    run_query = db.run_query
    monkeypatch.setattr(
        db, "run_query", lambda name, *a, **k: (read.append(name), run_query(name, *a, **k))[1]
    )
    attribution.clear_file_caches()
    credit(company, "linear")
    credit(company, "linear", level="team", window=JAN, basis="pipeline")
    assert read.count("attribution__journey_keys") == 1
    held = [key for key in cache.STORE.items if key[0] == journeys.TOUCH_KEYS.name]
    assert held == [(journeys.TOUCH_KEYS.name, str(db.db_identity(company).path))]
    attribution.clear_file_caches()
    assert len(journeys.TOUCH_KEYS) == 0
    db.RESULTS.clear()
    credit(company, "linear")
    assert read.count("attribution__journey_keys") == 2
