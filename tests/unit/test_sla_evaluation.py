"""SLA evaluation without a database: hand-made cases at the edges, and invariants over random MQLs."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import sla
from handoff.sla import judging, lists

POLICIES = sla.parse_policies("""
[regions.NA]
time_zone = "America/New_York"
[[policies]]
id = "follow_up"
name = "Follow up"
owner_team = "sales"
kind = "follow_up"
clock = "business"
tiers = [{ min_score = 80, hours = 1 }, { min_score = 0, hours = 24 }]
[[policies]]
id = "decide"
name = "Decide"
owner_team = "sales"
kind = "acceptance_decision"
days = 2
[[policies]]
id = "volume"
name = "Volume"
owner_team = "marketing"
kind = "volume"
per_segment = false
min_attainment_pct = 90
[[policies]]
id = "quality"
name = "Quality"
owner_team = "marketing"
kind = "quality"
min_acceptance_pct = 50
settle_days = 3
""")
FOLLOW_UP, DECIDE, VOLUME, QUALITY = (POLICIES.get(i) for i in ("follow_up", "decide", "volume", "quality"))


def mqls(rows):
    """An sla__mqls-shaped frame from (lead_id, region, score, mql_at, first touch, decision, accepted?,
    rejected?)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "lead_id",
            "region",
            "score",
            "mql_at",
            "first_sales_touch_at",
            "decided_at",
            "is_accepted",
            "is_rejected",
        ],
    )
    for column in ("mql_at", "first_sales_touch_at", "decided_at"):
        frame[column] = pd.to_datetime(frame[column], format="mixed").astype("datetime64[us]")
    return frame.assign(
        segment="smb",
        channel="email",
        source_campaign_id=None,
        campaign_name=None,
        owner_id="P1",
        owner_name="Ada",
        reached_sql=False,
        reached_won=False,
    )


def statuses(policy, frame, as_of):
    items = sla.evaluate_mql_policy(policy, frame, POLICIES.clock, pd.Timestamp(as_of))
    return dict(zip(items["lead_id"], items["status"], strict=True))


def test_follow_up_at_the_edges_of_its_window():
    # Monday 12 January 2026 10:00 UTC in the default (UTC, 09–17) calendar; score 90 → 1 h.
    frame = mqls(
        [
            ("exactly", "EMEA", 90, "2026-01-12 10:00", "2026-01-12 11:00", None, False, False),
            ("a second late", "EMEA", 90, "2026-01-12 10:00", "2026-01-12 11:00:01.000", None, False, False),
            ("waiting", "EMEA", 90, "2026-01-12 10:00", None, None, False, False),
            ("touched before mql", "EMEA", 90, "2026-01-12 10:00", "2026-01-12 09:00", None, False, False),
        ]
    )
    assert statuses(FOLLOW_UP, frame, "2026-01-12 11:00") == {
        "exactly": "met",
        "a second late": "breached",
        "waiting": "pending",
        "touched before mql": "met",
    }
    # One second after the deadline the waiting MQL has breached.
    assert statuses(FOLLOW_UP, frame, "2026-01-12 11:00:01.000")["waiting"] == "breached"


def test_acceptance_needs_a_decision_within_days_on_the_wall_clock():
    frame = mqls(
        [
            ("accepted in 47 h", "NA", 10, "2026-01-09 22:00", None, "2026-01-11 21:00", True, False),
            ("rejected in 49 h", "NA", 10, "2026-01-09 22:00", None, "2026-01-11 23:00", False, True),
            ("undecided", "NA", 10, "2026-01-09 22:00", None, None, False, False),
        ]
    )
    got = statuses(DECIDE, frame, "2026-01-11 22:00")
    assert got == {"accepted in 47 h": "met", "rejected in 49 h": "breached", "undecided": "pending"}
    items = sla.evaluate_mql_policy(DECIDE, frame, POLICIES.clock, pd.Timestamp("2026-01-11 22:00"))
    assert items["due_at"].tolist() == [pd.Timestamp("2026-01-11 22:00")] * 3
    assert items.loc[items["lead_id"] == "rejected in 49 h", "missed_by"].tolist() == [1.0]


def test_a_target_is_met_as_soon_as_reached_and_breached_only_after_the_month():
    attainment = pd.DataFrame(
        {
            "period_start": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-02-01", "2026-03-01", "2026-03-01"]
            ),
            "team": "marketing",
            "metric": "mqls",
            "segment": [None, None, "smb", None, None],
            "target_value": [100.0, 100.0, 10.0, 100.0, 100.0],
            "actual_value": [89.0, 90.0, 1.0, 20.0, 0.0],
        }
    )
    attainment.loc[4, "metric"] = "sals"  # another metric: not this policy's
    items = sla.evaluate_target_policy(VOLUME, attainment, pd.Timestamp("2026-02-10 12:00"))
    # January 89 < 90 (90 % of 100), month over: breached by 1. February 90 already ≥ 90: met while
    # the month is open. The smb row is dropped (per_segment = false); March has not started.
    assert items[["item", "status", "missed_by"]].to_dict("list") == {
        "item": ["2026-01 · all segments", "2026-02 · all segments"],
        "status": ["breached", "met"],
        "missed_by": [pytest.approx(1.0), pytest.approx(np.nan, nan_ok=True)],
    }


def test_quality_waits_for_the_month_to_settle():
    frame = mqls(
        [
            ("a", "EMEA", 50, "2026-01-05 10:00", None, "2026-01-06 10:00", True, False),
            ("b", "EMEA", 50, "2026-01-06 10:00", None, "2026-01-07 10:00", False, True),
            ("c", "EMEA", 50, "2026-01-07 10:00", None, "2026-01-08 10:00", False, True),
        ]
    )
    # 1 accepted of 3 decided = 33 % < 50 %. January settles on 1 Feb + 3 days = 4 Feb 00:00.
    waiting = sla.quality_months(frame, QUALITY, pd.Timestamp("2026-02-03 23:59"))
    assert waiting["status"].tolist() == ["pending"]
    settled = sla.quality_months(frame, QUALITY, pd.Timestamp("2026-02-04 00:00"))
    assert settled[["status", "acceptance_rate", "missed_by"]].values.tolist() == [
        ["breached", 1 / 3, pytest.approx(50 / 3)]
    ]


def test_response_bands_boundaries():
    hours = np.array([0, 4.99 / 60, 5 / 60, 0.999, 1.0, 24.0, 24.001, np.nan])
    assert sla.response_band(hours).tolist() == [
        "< 5 min",
        "< 5 min",
        "5–60 min",
        "5–60 min",
        "1–24 h",
        "1–24 h",
        "> 24 h",
        "never",
    ]


# --- Invariants over random MQLs ----------------------------------------------------------------

START = dt.datetime(2026, 1, 1)


@st.composite
def random_mqls(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for index in range(n):
        mql_at = START + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
        touch = draw(st.one_of(st.none(), st.integers(0, 60 * 24 * 10)))
        decision = draw(st.one_of(st.none(), st.integers(0, 60 * 24 * 10)))
        accepted = draw(st.booleans())
        region = draw(st.sampled_from(["NA", "EMEA"]))
        rows.append(
            (
                f"L{index}",
                region,
                draw(st.one_of(st.none(), st.integers(0, 100))),
                mql_at,
                None if touch is None else mql_at + dt.timedelta(minutes=touch),
                None if decision is None else mql_at + dt.timedelta(minutes=decision),
                decision is not None and accepted,
                decision is not None and not accepted,
            )
        )
    latest = max(max(t for t in row[3:6] if t is not None) for row in rows)
    as_of = latest + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
    return mqls(rows), pd.Timestamp(as_of)


EMPTY_TARGETS = pd.DataFrame(
    columns=["period_start", "team", "metric", "segment", "target_value", "actual_value"]
)


@settings(max_examples=25, deadline=None)
@given(data=random_mqls())
def test_counts_add_up_and_pending_is_never_met_or_breached(data):
    frame, as_of = data
    items = sla.evaluate(POLICIES, frame, EMPTY_TARGETS, as_of)
    counts = sla.count_statuses(items, ["policy_id", "period_start"])
    parts = counts["met_count"] + counts["breached_count"] + counts["pending_count"]
    assert (counts["due_count"] == parts).all()
    rate = counts["compliance_rate"].dropna()
    assert ((rate >= 0) & (rate <= 1)).all()
    judged = counts["met_count"] + counts["breached_count"]
    assert (counts["compliance_rate"].isna() == (judged == 0)).all()
    # A pending item is unresolved and still inside its window; a resolved one is never pending.
    per_mql = items[items["policy_id"].isin(["follow_up", "decide"])]
    pending = per_mql[per_mql["status"] == "pending"]
    assert pending["resolved_at"].isna().all()
    assert (pending["measured"] <= pending["threshold"] + 1e-9).all()
    assert (pending["due_at"] >= as_of).all()


@settings(max_examples=25, deadline=None)
@given(data=random_mqls(), extra=st.floats(0.5, 100))
def test_a_looser_threshold_never_lowers_compliance(data, extra):
    frame, as_of = data
    looser = sla.apply_thresholds(
        POLICIES,
        {
            "sla_follow_up_tier_0_hours": 1 + extra,
            "sla_follow_up_tier_1_hours": 24 + extra,
            "sla_decide_days": 2 + extra,
        },
    )
    before = sla.evaluate(POLICIES, frame, EMPTY_TARGETS, as_of)
    after = sla.evaluate(looser, frame, EMPTY_TARGETS, as_of)
    for policy_id in ("follow_up", "decide"):
        was = before[before["policy_id"] == policy_id].set_index("item")["status"]
        now = after[after["policy_id"] == policy_id].set_index("item")["status"]
        assert not ((was == "met") & (now != "met")).any()
        assert (now == "breached").sum() <= (was == "breached").sum()


@settings(max_examples=25, deadline=None)
@given(data=random_mqls(), later=st.integers(1, 60 * 24 * 30))
def test_time_only_turns_pending_into_breached(data, later):
    frame, as_of = data
    now = sla.evaluate(POLICIES, frame, EMPTY_TARGETS, as_of).set_index(["policy_id", "item"])["status"]
    then = sla.evaluate(POLICIES, frame, EMPTY_TARGETS, as_of + pd.Timedelta(minutes=later))
    then = then.set_index(["policy_id", "item"])["status"].reindex(now.index)
    per_mql = now.index.get_level_values(0).isin(["follow_up", "decide"])
    changed = per_mql & (now != then).to_numpy()
    assert set(now[changed]) <= {"pending"} and set(then[changed]) <= {"breached"}


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([0.5, 1.0, 2.0, -0.0, 0.0, np.nan, 3.25]),
            st.sampled_from(["a", "b", "B", "é", "ab", "", None, "z9", "Z"]),
        ),
        max_size=40,
    )
)
def test_the_breach_list_order_is_the_sort_it_replaces(rows):
    missed = np.array([m for m, _ in rows], dtype=float)
    items = pd.array([i for _, i in rows], dtype="str")
    frame = pd.DataFrame({"missed_by": missed, "item": items})
    expected = frame.sort_values(["missed_by", "item"], ascending=[False, True]).index.to_numpy()
    assert lists._worst_first(missed, items).tolist() == expected.tolist()


def test_a_judged_mql_is_judged_once_per_database_file(demo_db, monkeypatch):
    """Verdicts kept per file: a window overlapping judged ones judges only its new MQLs, and
    every window answers as a fresh judgement would."""
    from handoff import db

    policies = sla.load_policies()
    quarter = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 4, 1)}
    half = {"start": dt.date(2025, 12, 1), "end": dt.date(2026, 5, 1), "regions": ["EMEA", "NA"]}
    judged_sizes = []
    real_judge = sla.judge_mqls
    monkeypatch.setattr(
        judging,
        "judge_mqls",
        lambda policy, mqls, *a: judged_sizes.append(len(mqls)) or real_judge(policy, mqls, *a),
    )
    sla.clear_caches(per_file=True)
    as_of = sla.latest_timestamp(str(demo_db))
    for window in (quarter, half):
        mqls = db.run_query("sla__mql_clock", window, db=demo_db)
        for policy in policies.of_kind(*sla.MQL_KINDS):
            kept = judging.judged_verdicts(policy, mqls, policies.clock, as_of, str(demo_db))
            alone = real_judge(policy, mqls, policies.clock, as_of)
            for field in ("threshold", "measured", "status", "resolved_at", "started_at"):
                np.testing.assert_array_equal(getattr(kept, field), getattr(alone, field))
            np.testing.assert_array_equal(kept.due_at(), alone.due_at())
    quarter_count = len(db.run_query("sla__mql_clock", quarter, db=demo_db))
    half_count = len(db.run_query("sla__mql_clock", half, db=demo_db))
    assert judged_sizes[:2] == [quarter_count, quarter_count]
    assert 0 < judged_sizes[2] < half_count  # the quarter's EMEA and NA MQLs were not judged again
    sla.clear_caches(per_file=True)
