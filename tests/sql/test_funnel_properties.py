"""Properties of the funnel queries that hold for any data and any filters (hypothesis).

Generated companies have leads with any mix of stage timestamps (skipped stages, stages out of
order, deals open, won or lost) and are queried with any window, segment filter and mode.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import db
from handoff.filters import Filters
from tests.fixtures import write_db

BASE = dt.datetime(2026, 1, 1)
SEGMENTS = ("smb", "enterprise", "consumer")


def _at(hours: int | None) -> dt.datetime | None:
    return None if hours is None else BASE + dt.timedelta(hours=hours)


maybe_hours = st.one_of(st.none(), st.integers(0, 24 * 200))
deal = st.fixed_dictionaries(
    {
        "created": st.integers(0, 24 * 200),
        "stage": st.sampled_from(["open", "won", "lost"]),
        "closed_after": st.integers(0, 24 * 60),
    }
)
lead = st.fixed_dictionaries(
    {
        "created": st.integers(0, 24 * 200),
        "segment": st.sampled_from(SEGMENTS),
        "sourced_by": st.sampled_from(["marketing", "sales"]),
        "mql": maybe_hours,
        "sal": maybe_hours,
        "sql": maybe_hours,
        "disqualified": st.booleans(),
        "deals": st.lists(deal, max_size=2),
    }
)
window = st.one_of(
    st.just((None, None)),
    st.tuples(st.integers(-20, 220), st.integers(1, 200)).map(
        lambda t: (BASE.date() + dt.timedelta(days=t[0]), BASE.date() + dt.timedelta(days=t[0] + t[1]))
    ),
)
segment_filter = st.one_of(
    st.none(), st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=2, unique=True)
)


def _tables(leads: list[dict]) -> dict:
    rows, deals = [], []
    for number, item in enumerate(leads):
        lead_id = f"L{number}"
        rows.append(
            {
                "lead_id": lead_id,
                "created_at": _at(item["created"]),
                "channel": "web",
                "segment": item["segment"],
                "sourced_by": item["sourced_by"],
                "region": "NA",
                "mql_at": _at(item["mql"]),
                "sal_at": _at(item["sal"]),
                "sql_at": _at(item["sql"]),
                "disqualified_at": _at(item["created"] + 5) if item["disqualified"] else None,
                "disqualify_reason": "not_a_fit" if item["disqualified"] else None,
            }
        )
        for index, d in enumerate(item["deals"]):
            closed = None if d["stage"] == "open" else _at(d["created"] + d["closed_after"])
            deals.append(
                {
                    "deal_id": f"{lead_id}-D{index}",
                    "lead_id": lead_id,
                    "created_at": _at(d["created"]),
                    "closed_at": closed,
                    "stage": d["stage"],
                    "amount": 100,
                    "lost_reason": "price" if d["stage"] == "lost" else None,
                }
            )
    return {"leads": rows, "deals": deals}


def _matching(leads: list[dict], filters: Filters, *, in_window: bool) -> int:
    """Leads that pass the segment filter (and, if asked, were created in the window): counted by hand."""
    count = 0
    for item in leads:
        created = _at(item["created"])
        if filters.segments and item["segment"] not in filters.segments:
            continue
        if in_window and filters.start and created < dt.datetime.combine(filters.start, dt.time()):
            continue
        if in_window and filters.end and created >= dt.datetime.combine(filters.end, dt.time()):
            continue
        count += 1
    return count


def _counts(frame: pd.DataFrame, column: str = "reached_count") -> list[int]:
    return frame.sort_values("stage_order")[column].tolist()


def _entries(item: dict) -> dict[int, dt.datetime]:
    """DESIGN.md's two paths, written out independently of the SQL: the stages a generated lead reached
    and when it entered each (its own timestamp, else the first later one)."""
    won = [_at(d["created"] + d["closed_after"]) for d in item["deals"] if d["stage"] == "won"]
    stamps = {
        2: _at(item["mql"]),
        3: _at(item["sal"]),
        4: _at(item["sql"]),
        5: min((_at(d["created"]) for d in item["deals"]), default=None),
        6: min(won, default=None),
    }
    if item["sourced_by"] == "marketing":
        path = range(2, 7)
    else:  # never an MQL, whatever its timestamps say: it joins at its first sales stage
        path = range(min((k for k in (3, 4, 5, 6) if stamps[k] is not None), default=7), 7)
    entries = {1: _at(item["created"])}
    for k in path:
        later = [stamps[j] for j in range(k, 7) if stamps[j] is not None]
        if later:
            entries[k] = later[0]
    return entries


def _joined(item: dict) -> int | None:
    """The stage where a sales-sourced lead joined the path (None for marketing-sourced leads)."""
    if item["sourced_by"] != "sales":
        return None
    return min((k for k in _entries(item) if k >= 3), default=None)


def _expected(leads: list[dict], filters: Filters, mode: str) -> dict[str, list[int]]:
    """reached, marketing-sourced and joined counts per stage, counted lead by lead."""
    start = dt.datetime.combine(filters.start, dt.time()) if filters.start else None
    end = dt.datetime.combine(filters.end, dt.time()) if filters.end else None

    def inside(at: dt.datetime) -> bool:
        return (start is None or at >= start) and (end is None or at < end)

    out = {"reached": [0] * 6, "marketing": [0] * 6, "joined": [0] * 6}
    for item in leads:
        if filters.segments and item["segment"] not in filters.segments:
            continue
        if mode == "cohort" and not inside(_at(item["created"])):
            continue
        for k, at in _entries(item).items():
            if mode == "period" and not inside(at):
                continue
            out["reached"][k - 1] += 1
            out["marketing"][k - 1] += item["sourced_by"] == "marketing"
            out["joined"][k - 1] += _joined(item) == k
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    leads=st.lists(lead, max_size=12), window=window, segments=segment_filter, stage_order=st.integers(1, 6)
)
def test_funnel_invariants(leads, window, segments, stage_order):
    filters = Filters(start=window[0], end=window[1], segments=tuple(segments) if segments else None)
    with tempfile.TemporaryDirectory() as folder:
        path = write_db(Path(folder) / "generated.duckdb", _tables(leads))
        try:
            _check(path, leads, filters, stage_order)
        finally:
            db.close_connections()


def _check(path: Path, leads: list[dict], filters: Filters, stage_order: int) -> None:
    cohort = db.run_query("funnel__stage_counts", filters, db=path, mode="cohort")
    period = db.run_query("funnel__stage_counts", filters, db=path, mode="period")
    reached = _counts(cohort)

    # Both funnels count what DESIGN.md's two paths say, lead by lead, per path and joined.
    for mode, frame in (("cohort", cohort), ("period", period)):
        expected = _expected(leads, filters, mode)
        assert _counts(frame) == expected["reached"]
        assert _counts(frame, "marketing_sourced_count") == expected["marketing"]
        assert _counts(frame, "joined_count") == expected["joined"]
        sales = _counts(frame, "sales_sourced_count")
        assert [m + s for m, s in zip(expected["marketing"], sales)] == expected["reached"]
        # The rates: Lead → MQL over marketing-sourced leads, then (reached − joined) ÷ previous.
        bases = [expected["marketing"][0], *expected["reached"][1:5]]
        for k in range(2, 7):
            got, base = frame.sort_values("stage_order")["from_previous_rate"].iloc[k - 1], bases[k - 2]
            want = (expected["reached"][k - 1] - expected["joined"][k - 1]) / base if base else None
            assert (pd.isna(got) and want is None) or got == pytest.approx(want)

    # The cohort funnel starts with exactly the leads created in the window; no sales-sourced lead is
    # an MQL; the marketing path is monotonic and so is each step from SAL on (joiners apart).
    marketing, joined = _counts(cohort, "marketing_sourced_count"), _counts(cohort, "joined_count")
    assert reached[0] == _matching(leads, filters, in_window=True)
    assert reached[1] == marketing[1] and marketing == sorted(marketing, reverse=True)
    assert reached[1] <= marketing[0]
    assert all(reached[k] - joined[k] <= reached[k - 1] for k in range(2, 6))
    rates = cohort[["from_previous_rate", "from_first_rate"]].stack().dropna()
    assert ((rates >= 0) & (rates <= 1)).all()

    # A period funnel counts each lead at most once per stage: never more than the leads there are.
    assert max(_counts(period)) <= _matching(leads, filters, in_window=False)
    if filters.start is None and filters.end is None:
        assert _counts(period) == reached  # over all time, entries and reached leads are the same thing

    # A breakdown adds up to the whole, in both modes.
    for mode, whole in (("cohort", cohort), ("period", period)):
        grouped = db.run_query("funnel__stage_counts", filters, db=path, mode=mode, group_by="segment")
        summed = grouped.groupby("stage_order")["reached_count"].sum().reindex(range(1, 7), fill_value=0)
        assert summed.tolist() == _counts(whole)

    # The drill-down lists exactly the leads a stage counts.
    for mode, whole in (("cohort", reached), ("period", _counts(period))):
        listed = db.run_query("funnel__leads", filters, db=path, mode=mode, stage_order=stage_order)
        assert len(listed) == whole[stage_order - 1] and listed["lead_id"].is_unique

    # Every lead of the cohort ends somewhere exactly once: won or one exit; what flows into a stage is
    # what reached it (a sales-sourced lead flows from Lead straight to where it joined).
    exits = db.run_query("funnel__exits", filters, db=path)
    moves = exits[exits["to_stage_order"].notna()]
    into = moves.groupby("to_stage_order")["lead_count"].sum().reindex(range(2, 7), fill_value=0)
    assert into.tolist() == reached[1:]
    assert not moves[(moves["to_stage_order"] == 2)]["from_stage_order"].ne(1).any()
    ended = exits.loc[exits["to_stage_order"].isna(), "lead_count"].sum() + reached[5]
    assert ended == reached[0]
