"""The SLA tables built at import (queries/derived/sla_*.sql): sla_mql_facts holds each MQL's facts,
sla_monthly_actuals what counts against each monthly target and sla_as_of the latest timestamp, on a
hand-made company whose answers are worked out below; and, on the demo company, the lean
sla__mql_clock and sla__mql_labels are sla__mqls' rows, sla__mql_groups names every MQL once, and a
window cut out of a wider evaluation answers as a fresh one.

The hand-made company (2026; people P1 Ada and P2 Ben; campaigns C1 "Spring webinar", C2 "Newsletter"):

| lead | sourced | MQL | score | region, segment, channel, campaign, owner | sales touches | decision, stages |
|---|---|---|---|---|---|---|
| M0 | mkt | 1 Feb 10:00 | 70 | NA smb webinar – P1 | none | none |
| M1 | mkt | 1 Feb 10:00 | 85 | NA smb webinar C1 P1 | 09:00 (before the MQL), 11:00; a marketing one at 10:30 | SAL 2 Feb 09:00, SQL 3 Feb; D1 created 10 Feb, won 5 Mar 09:00, 1,000 |
| M2 | mkt | 2 Feb 12:00 | – | EMEA enterprise paid_search – – | none | rejected 3 Feb 12:00: not_a_fit |
| M3 | mkt | 3 Feb 09:00 | 40 | NA smb email C2 P2 | 5 Feb 09:00 | disqualified 4 Feb 09:00 with no reason |
| M4 | mkt | 4 Feb 09:00 | 55 | APAC mid_market webinar C1 P1 | none | disqualified 4 Feb 10:00 (duplicate), SAL 4 Feb 12:00 |
| M5 | mkt | 1 Mar 09:00 | 90 | NA smb webinar C1 P2 | none | none |
| K1 | mkt | – (skipped) | 60 | NA smb webinar – P1 | none | SAL 28 Feb 22:00 (the last hours of February) |
| S1 | sales | – (a CRM stamped 5 Feb) | 75 | NA enterprise outbound_sdr – P2 | none | SAL 7 Feb, SQL 8 Feb; D2 created 9 Feb, won 20 Feb, 5,000 |
| N1 | mkt | – | – | NA smb webinar – – | none | none |

An MQL is a marketing-sourced lead with an mql_at (not S1, whatever its CRM says; not K1, which has
none). Its first sales touch is the first at or after mql_at; it is accepted with a sal_at, rejected
when disqualified with a reason and never accepted, and decided at the first of sal_at and a
disqualification that gave its reason.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from handoff import db, sla
from handoff.sla import window as sla_window
from tests.fixtures import ts, write_db

T = pd.Timestamp
FEB = {"start": dt.date(2026, 2, 1), "end": dt.date(2026, 3, 1)}
PEOPLE = [
    {"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "P2", "name": "Ben", "team": "sales", "role": "sdr", "region": "NA"},
]
CAMPAIGNS = [
    {
        "campaign_id": "C1",
        "name": "Spring webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": dt.date(2026, 1, 1),
        "cost": 0,
    },
    {
        "campaign_id": "C2",
        "name": "Newsletter",
        "channel": "email",
        "owner_team": "marketing",
        "start_date": dt.date(2026, 1, 1),
        "cost": 0,
    },
]


def lead(lead_id, score, region, segment, channel, campaign, owner, sourced_by="marketing", **stages):
    return {
        "lead_id": lead_id,
        "created_at": ts("2026-01-20 08:00"),
        "sourced_by": sourced_by,
        "score": score,
        "region": region,
        "segment": segment,
        "channel": channel,
        "source_campaign_id": campaign,
        "owner_id": owner,
        **{k: ts(v) if k.endswith("_at") else v for k, v in stages.items()},
    }


def touch(touch_id, lead_id, at, team="sales"):
    return {
        "touch_id": touch_id,
        "lead_id": lead_id,
        "touched_at": ts(at),
        "team": team,
        "channel": "direct_sales" if team == "sales" else "email",
        "kind": "call",
    }


LEADS = [
    lead("M0", 70, "NA", "smb", "webinar", None, "P1", mql_at="2026-02-01 10:00"),
    lead(
        "M1",
        85,
        "NA",
        "smb",
        "webinar",
        "C1",
        "P1",
        mql_at="2026-02-01 10:00",
        sal_at="2026-02-02 09:00",
        sql_at="2026-02-03 09:00",
    ),
    lead(
        "M2",
        None,
        "EMEA",
        "enterprise",
        "paid_search",
        None,
        None,
        mql_at="2026-02-02 12:00",
        disqualified_at="2026-02-03 12:00",
        disqualify_reason="not_a_fit",
    ),
    lead(
        "M3",
        40,
        "NA",
        "smb",
        "email",
        "C2",
        "P2",
        mql_at="2026-02-03 09:00",
        disqualified_at="2026-02-04 09:00",
    ),
    lead(
        "M4",
        55,
        "APAC",
        "mid_market",
        "webinar",
        "C1",
        "P1",
        mql_at="2026-02-04 09:00",
        disqualified_at="2026-02-04 10:00",
        disqualify_reason="duplicate",
        sal_at="2026-02-04 12:00",
    ),
    lead("M5", 90, "NA", "smb", "webinar", "C1", "P2", mql_at="2026-03-01 09:00"),
    lead("K1", 60, "NA", "smb", "webinar", None, "P1", sal_at="2026-02-28 22:00"),
    lead(
        "S1",
        75,
        "NA",
        "enterprise",
        "outbound_sdr",
        None,
        "P2",
        sourced_by="sales",
        mql_at="2026-02-05 09:00",
        sal_at="2026-02-07 09:00",
        sql_at="2026-02-08 09:00",
    ),
    lead("N1", None, "NA", "smb", "webinar", None, None),
]
TOUCHES = [
    touch("T1", "M1", "2026-02-01 09:00"),
    touch("T2", "M1", "2026-02-01 10:30", team="marketing"),
    touch("T3", "M1", "2026-02-01 11:00"),
    touch("T4", "M3", "2026-02-05 09:00"),
]
DEALS = [
    {
        "deal_id": "D1",
        "lead_id": "M1",
        "created_at": ts("2026-02-10 09:00"),
        "closed_at": ts("2026-03-05 09:00"),
        "stage": "won",
        "amount": 1000,
    },
    {
        "deal_id": "D2",
        "lead_id": "S1",
        "created_at": ts("2026-02-09 09:00"),
        "closed_at": ts("2026-02-20 09:00"),
        "stage": "won",
        "amount": 5000,
    },
]


def target(month, team, metric, value, segment=None):
    return {
        "period_start": dt.date(2026, month, 1),
        "team": team,
        "metric": metric,
        "segment": segment,
        "value": value,
    }


TARGETS = [
    target(2, "marketing", "mqls", 6),
    target(2, "marketing", "mqls", 4, "smb"),
    target(2, "marketing", "mqls", 1, "enterprise"),
    target(2, "sales", "sals", 3),
    target(2, "sales", "sqls", 2),
    target(2, "marketing", "pipeline", 2000),
    target(2, "sales", "pipeline", 5000),
    target(2, "marketing", "bookings", 100),
    target(2, "sales", "bookings", 100),
    target(2, "marketing", "nps", 50),
    target(3, "marketing", "mqls", 2),
    target(3, "marketing", "bookings", 500),
    target(3, "sales", "bookings", 500, "smb"),
]


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    path = write_db(
        tmp_path_factory.mktemp("sla-derived") / "company.duckdb",
        {
            "people": PEOPLE,
            "campaigns": CAMPAIGNS,
            "leads": LEADS,
            "touches": TOUCHES,
            "deals": DEALS,
            "targets": TARGETS,
        },
    )
    yield path
    db.close_connections()


def mql_ids(company, **params) -> list[str]:
    return db.run_query("sla__mqls", db=company, **params)["lead_id"].tolist()


def test_each_mql_with_its_facts(company):
    frame = db.run_query("sla__mqls", db=company, **FEB)
    assert frame.columns.tolist() == [
        "lead_id",
        "mql_at",
        "score",
        "region",
        "segment",
        "channel",
        "source_campaign_id",
        "campaign_name",
        "sourced_by",
        "owner_id",
        "owner_name",
        "first_sales_touch_at",
        "decided_at",
        "is_accepted",
        "is_rejected",
        "reached_sql",
        "reached_won",
    ]
    got = [
        tuple(None if not isinstance(v, str) and pd.isna(v) else v for v in row)
        for row in frame.itertuples(index=False)
    ]
    assert got == [
        # M0 and M1 share their mql_at: by lead_id. M0: nothing happened yet.
        (
            "M0",
            T("2026-02-01 10:00"),
            70,
            "NA",
            "smb",
            "webinar",
            None,
            None,
            "marketing",
            "P1",
            "Ada",
            None,
            None,
            False,
            False,
            False,
            False,
        ),
        # M1: its first sales touch at or after the MQL is 11:00 (09:00 came before, 10:30 was marketing's);
        # accepted at its SAL; SQL and a won deal.
        (
            "M1",
            T("2026-02-01 10:00"),
            85,
            "NA",
            "smb",
            "webinar",
            "C1",
            "Spring webinar",
            "marketing",
            "P1",
            "Ada",
            T("2026-02-01 11:00"),
            T("2026-02-02 09:00"),
            True,
            False,
            True,
            True,
        ),
        # M2: no score, owner or campaign; rejected with a reason, decided then.
        (
            "M2",
            T("2026-02-02 12:00"),
            None,
            "EMEA",
            "enterprise",
            "paid_search",
            None,
            None,
            "marketing",
            None,
            None,
            None,
            T("2026-02-03 12:00"),
            False,
            True,
            False,
            False,
        ),
        # M3: disqualified without a reason: neither accepted nor rejected, and not decided.
        (
            "M3",
            T("2026-02-03 09:00"),
            40,
            "NA",
            "smb",
            "email",
            "C2",
            "Newsletter",
            "marketing",
            "P2",
            "Ben",
            T("2026-02-05 09:00"),
            None,
            False,
            False,
            False,
            False,
        ),
        # M4: accepted (a SAL), so not rejected; decided at the first of the SAL (12:00) and the reasoned
        # disqualification (10:00).
        (
            "M4",
            T("2026-02-04 09:00"),
            55,
            "APAC",
            "mid_market",
            "webinar",
            "C1",
            "Spring webinar",
            "marketing",
            "P1",
            "Ada",
            None,
            T("2026-02-04 10:00"),
            True,
            False,
            False,
            False,
        ),
    ]


def test_mqls_under_each_filter(company):
    assert mql_ids(company) == [
        "M0",
        "M1",
        "M2",
        "M3",
        "M4",
        "M5",
    ]  # no window: M5 (March) too; never K1, S1, N1
    assert mql_ids(company, start=dt.date(2026, 3, 1)) == ["M5"]
    assert mql_ids(company, segments=["smb"], **FEB) == ["M0", "M1", "M3"]
    assert mql_ids(company, regions=["EMEA", "APAC"], **FEB) == ["M2", "M4"]
    assert mql_ids(company, channels=["webinar"], **FEB) == ["M0", "M1", "M4"]
    assert mql_ids(company, teams=["sales"]) == []  # S1's stamped mql_at does not make it an MQL
    assert mql_ids(company, owners=["P2"]) == ["M3", "M5"]
    assert mql_ids(company, campaigns=["C1"], **FEB) == ["M1", "M4"]
    assert mql_ids(company, unanswered_only=True, **FEB) == ["M0", "M2", "M4"]  # no sales touch after the MQL


def test_target_attainment_counts_each_months_entries(company):
    frame = db.run_query("sla__target_attainment", db=company)
    got = [
        (
            row.period_start.month,
            row.team,
            row.metric,
            None if pd.isna(row.segment) else row.segment,
            None if pd.isna(row.actual_value) else row.actual_value,
        )
        for row in frame.itertuples()
    ]
    assert got == [
        (2, "marketing", "bookings", None, 0.0),  # D2, the only deal won in February, is sales-sourced
        # MQLs entered in February: M0…M4 and K1, which skipped MQL and entered it with its SAL; never S1.
        (2, "marketing", "mqls", None, 6.0),
        (2, "marketing", "mqls", "enterprise", 1.0),  # M2
        (2, "marketing", "mqls", "smb", 4.0),  # M0, M1, M3, K1 (M4 is mid_market)
        (2, "marketing", "nps", None, None),  # a metric Handoff does not know
        (2, "marketing", "pipeline", None, 1000.0),  # D1; D2 is sales-sourced
        (2, "sales", "bookings", None, 5000.0),  # D2: sales' money targets count every deal
        (2, "sales", "pipeline", None, 6000.0),  # D1 + D2
        (2, "sales", "sals", None, 4.0),  # M1, M4, K1, and S1 joining at SAL
        (2, "sales", "sqls", None, 2.0),  # M1, S1
        (3, "marketing", "bookings", None, 1000.0),  # D1, won 5 March
        (3, "marketing", "mqls", None, 1.0),  # M5
        (3, "sales", "bookings", "smb", 1000.0),  # D1's lead M1 is smb
    ]
    march = db.run_query("sla__target_attainment", db=company, start=dt.date(2026, 3, 1))
    assert march["actual_value"].tolist() == [1000.0, 1.0, 1000.0]
    smb = db.run_query("sla__target_attainment", db=company, segments=["smb"])
    assert smb["actual_value"].tolist() == [4.0, 1000.0]


def test_latest_timestamp_is_the_latest_anywhere(company, make_db):
    # D1's close (5 Mar 09:00) is later than every lead, touch and other deal timestamp.
    assert db.run_query("sla__latest_timestamp", db=company)["as_of_at"].tolist() == [T("2026-03-05 09:00")]
    # Here the latest is a lead's disqualification, after its creation and its only touch.
    path = make_db(
        {
            "leads": [
                lead(
                    "X1",
                    50,
                    "NA",
                    "smb",
                    "webinar",
                    None,
                    None,
                    mql_at="2026-01-21 08:00",
                    disqualified_at="2026-01-30 08:00",
                )
            ],
            "touches": [touch("X1-1", "X1", "2026-01-25 08:00")],
        }
    )
    assert db.run_query("sla__latest_timestamp", db=path)["as_of_at"].tolist() == [T("2026-01-30 08:00")]


FILTER_SETS = [
    {},
    {"start": dt.date(2026, 4, 1), "end": dt.date(2026, 7, 1)},
    {"start": dt.date(2025, 11, 15), "end": dt.date(2026, 2, 10), "segments": ["enterprise", "smb"]},
    {
        "start": dt.date(2026, 1, 1),
        "end": dt.date(2026, 4, 1),
        "regions": ["NA"],
        "channels": ["webinar", "paid_search"],
    },
    {"teams": ["sales"], "unanswered_only": True},
]


@pytest.mark.parametrize("params", [p for p in FILTER_SETS if "unanswered_only" not in p])
def test_clock_and_labels_are_the_rows_of_mqls(demo_db, params):
    mqls = db.run_query("sla__mqls", params, db=demo_db)
    clock = db.run_query("sla__mql_clock", params, db=demo_db)
    pd.testing.assert_frame_equal(clock.drop(columns="mql_number"), mqls[clock.columns.drop("mql_number")])
    pairs = {
        "owner": ("owner_id", "owner_name"),
        "lead": ("lead_id", "segment"),
        "channel": ("channel", "channel"),
        "campaign": ("source_campaign_id", "campaign_name"),
    }
    for label, (key, text) in pairs.items():
        labels = db.run_query("sla__mql_labels", params, db=demo_db, label=label)
        assert labels["mql_number"].tolist() == clock["mql_number"].tolist()
        assert labels["key_text"].tolist() == mqls[key].tolist()
        assert labels["label_text"].tolist() == mqls[text].tolist()


WINDOW_QUERIES = [
    "sla__compliance",
    "sla__scorecard",
    "sla__compliance_by_rep",
    "sla__compliance_by_source",
    "sla__breaches",
    "sla__response_bands",
    "sla__response_time",
]


@pytest.mark.parametrize("wider", [{}, {"start": dt.date(2025, 7, 1), "end": dt.date(2026, 7, 1)}])
def test_a_window_cut_out_of_a_wider_one_answers_as_a_fresh_one(demo_db, wider, monkeypatch):
    window = {"start": dt.date(2026, 1, 15), "end": dt.date(2026, 4, 1), "segments": ["enterprise", "smb"]}
    fresh = {}
    for name in WINDOW_QUERIES:
        db.RESULTS.clear()
        sla.clear_caches()
        fresh[name] = db.run_query(name, window, db=demo_db)
    db.RESULTS.clear()
    sla.clear_caches()
    sla.evaluate_window({**wider, "segments": ["enterprise", "smb"]}, str(demo_db))
    fresh_evaluations = []
    monkeypatch.setattr(sla_window, "_evaluate", lambda *args: fresh_evaluations.append(args))
    for name in WINDOW_QUERIES:
        pd.testing.assert_frame_equal(db.run_query(name, window, db=demo_db), fresh[name])
    assert not fresh_evaluations  # every window (and the scorecard's previous one) was cut out
    sla.clear_caches()


@pytest.mark.parametrize("params", [p for p in FILTER_SETS if "unanswered_only" not in p])
def test_groups_name_every_mql_once(demo_db, params):
    mqls = db.run_query("sla__mqls", params, db=demo_db)
    clock = db.run_query("sla__mql_clock", params, db=demo_db)
    place = {number: row for row, number in enumerate(clock["mql_number"])}
    pairs = {
        "owner": ("owner_id", "owner_name"),
        "channel": ("channel", "channel"),
        "campaign": ("source_campaign_id", "campaign_name"),
        "segment": ("segment", "segment"),
    }
    for group, (key, text) in pairs.items():
        groups = db.run_query("sla__mql_groups", params, db=demo_db, group=group)
        keys, texts = [None] * len(clock), [None] * len(clock)
        for key_text, label_text, members in groups.itertuples(index=False):
            for number in members:
                assert keys[place[number]] is None  # once
                keys[place[number]], texts[place[number]] = (key_text, label_text)
        missing = lambda values: [None if pd.isna(v) else v for v in values]  # noqa: E731
        assert missing(keys) == missing(mqls[key]) and missing(texts) == missing(mqls[text])
        firsts = [min(members) for members in groups["mql_numbers"]]
        assert firsts == sorted(firsts)  # in order of first appearance
