"""The joint review's queries (review__sales_cycle, review__win_rate) on a hand-made company whose
answers are worked out in the comments, and their properties on generated companies (hypothesis)."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import db
from handoff.cli import main
from handoff.filters import Filters
from tests.fixtures import ROOT, ts, write_db

D = dt.date
BY = ("company", "owner", "manager", "product", "segment")
CYCLE_COLUMNS = [
    "group_by",
    "group_value",
    "group_label",
    "closed_count",
    "won_count",
    "lost_count",
    "median_cycle_days_closed",
    "mean_cycle_days_closed",
    "median_cycle_days_won",
    "mean_cycle_days_won",
]
WIN_RATE_COLUMNS = [
    "group_by",
    "group_value",
    "group_label",
    "won_count",
    "lost_count",
    "closed_count",
    "win_rate",
    "bookings_usd",
    "average_won_usd",
    "open_count",
    "pipeline_usd",
]

# Two managers; Ava and Cal report to Mia, Ben to Max. Sam (an SDR) owns every lead.
PEOPLE = [
    {"person_id": "M1", "name": "Mia", "team": "sales", "role": "manager", "region": "NA"},
    {"person_id": "M2", "name": "Max", "team": "sales", "role": "manager", "region": "NA"},
    {"person_id": "A1", "name": "Ava", "team": "sales", "role": "ae", "region": "NA", "manager_id": "M1"},
    {"person_id": "A2", "name": "Ben", "team": "sales", "role": "ae", "region": "NA", "manager_id": "M2"},
    {"person_id": "A3", "name": "Cal", "team": "sales", "role": "ae", "region": "NA", "manager_id": "M1"},
    {"person_id": "S1", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA", "manager_id": "M1"},
]


def lead(lead_id, segment):
    return {
        "lead_id": lead_id,
        "created_at": ts("2025-10-01 09:00"),
        "channel": "webinar",
        "sourced_by": "marketing",
        "segment": segment,
        "region": "NA",
        "owner_id": "S1",
    }


LEADS = [lead("L1", "smb"), lead("L2", "enterprise"), lead("L3", "smb"), lead("L4", "enterprise")]


def deal(deal_id, lead_id, created, closed, stage, amount, owner, product):
    return {
        "deal_id": deal_id,
        "lead_id": lead_id,
        "created_at": ts(created),
        "closed_at": ts(closed) if closed else None,
        "stage": stage,
        "amount": amount,
        "owner_id": owner,
        "lost_reason": "price" if stage == "lost" else None,
        "product": product,
    }


# Closed in Q1 2026: D1–D6 (cycle in days at the end of each line); D7 and D9 are open now.
DEALS = [
    deal("D1", "L1", "2026-01-01 00:00", "2026-01-11 00:00", "won", 1000, "A1", "Core"),  # 10
    deal("D2", "L2", "2026-01-05 00:00", "2026-02-04 00:00", "won", 3000, "A1", "Core"),  # 30
    deal("D3", "L3", "2026-01-10 00:00", "2026-01-24 00:00", "lost", 500, "A1", "Plus"),  # 14
    deal("D4", "L4", "2026-02-01 00:00", "2026-03-13 00:00", "won", 4000, "A2", "Plus"),  # 40
    deal("D5", "L1", "2026-02-10 00:00", "2026-02-15 12:00", "lost", 800, "A3", "Core"),  # 5.5
    deal("D6", "L2", "2026-01-20 00:00", "2026-02-14 00:00", "won", 2000, None, "Plus"),  # 25, no owner
    deal("D7", "L3", "2026-03-01 00:00", None, "open", 7000, "A2", None),  # open, no product
    # Won in December: before the window.
    deal("D8", "L4", "2025-11-01 00:00", "2025-12-01 00:00", "won", 9000, "A1", "Core"),
    deal("D9", "L2", "2025-12-15 00:00", None, "open", 1500, "A1", "Plus"),  # open since before the window
    # Lost at the window's end, 1 April 00:00: the window is half-open, so not in Q1.
    deal("D10", "L1", "2026-03-02 00:00", "2026-04-01 00:00", "lost", 600, "A2", "Core"),
]
Q1 = Filters(start=D(2026, 1, 1), end=D(2026, 4, 1))


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    return write_db(
        tmp_path_factory.mktemp("review") / "company.duckdb",
        {"people": PEOPLE, "leads": LEADS, "deals": DEALS},
    )


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rows(company, name, by, filters=Q1) -> list[tuple]:
    """The query's rows as tuples (NaN and NA as None), after checking its columns."""
    frame = db.run_query(name, filters, db=company, by=by)
    assert list(frame.columns) == (CYCLE_COLUMNS if name == "review__sales_cycle" else WIN_RATE_COLUMNS)
    frame = frame.astype(object).where(frame.notna(), None)
    return [tuple(_clean(v) for v in row) for row in frame.itertuples(index=False)]


def approx(*values):
    return tuple(pytest.approx(v) if isinstance(v, float) else v for v in values)


# ---------------------------------------------------------------------------------------------
# review__sales_cycle


def test_sales_cycle_for_the_company(company):
    # Closed in Q1: D1–D6; won D1, D2, D4, D6; lost D3, D5. D8 (December) and D10 (1 April) are out.
    # Closed cycles 5.5, 10, 14, 25, 30, 40: median (14 + 25) / 2 = 19.5, mean 124.5 / 6 = 20.75.
    # Won cycles 10, 25, 30, 40: median (25 + 30) / 2 = 27.5, mean 105 / 4 = 26.25.
    assert rows(company, "review__sales_cycle", "company") == [
        approx("company", "all", "All deals", 6, 4, 2, 19.5, 20.75, 27.5, 26.25)
    ]


def test_sales_cycle_by_owner(company):
    assert rows(company, "review__sales_cycle", "owner") == [
        # Ava: D1 won 10, D2 won 30, D3 lost 14: closed median 14, mean 54 / 3 = 18; won 10, 30: 20.
        approx("owner", "A1", "Ava", 3, 2, 1, 14.0, 18.0, 20.0, 20.0),
        # Ben: D4 won 40 (D10 closed on the window's end does not count).
        approx("owner", "A2", "Ben", 1, 1, 0, 40.0, 40.0, 40.0, 40.0),
        # Cal: D5 lost after 5.5 days (12 hours count); nothing won, so no won cycle.
        approx("owner", "A3", "Cal", 1, 0, 1, 5.5, 5.5, None, None),
        # D6 has no owner: won after 25 days; ties on closed_count sort by group_value, NULL last.
        approx("owner", None, "No owner", 1, 1, 0, 25.0, 25.0, 25.0, 25.0),
    ]


def test_sales_cycle_by_manager(company):
    assert rows(company, "review__sales_cycle", "manager") == [
        # Mia manages Ava and Cal: D1 10, D2 30, D3 14, D5 5.5: closed median (10 + 14) / 2 = 12,
        # mean 59.5 / 4 = 14.875; won D1, D2: median and mean 20.
        approx("manager", "M1", "Mia", 4, 2, 2, 12.0, 14.875, 20.0, 20.0),
        # Max manages Ben: D4 won 40.
        approx("manager", "M2", "Max", 1, 1, 0, 40.0, 40.0, 40.0, 40.0),
        # D6 has no owner, so no manager.
        approx("manager", None, "No manager", 1, 1, 0, 25.0, 25.0, 25.0, 25.0),
    ]


def test_sales_cycle_by_product(company):
    assert rows(company, "review__sales_cycle", "product") == [
        # Core: D1 won 10, D2 won 30, D5 lost 5.5: closed median 10, mean 45.5 / 3; won 10, 30: 20.
        approx("product", "Core", "Core", 3, 2, 1, 10.0, 45.5 / 3, 20.0, 20.0),
        # Plus: D3 lost 14, D4 won 40, D6 won 25: closed median 25, mean 79 / 3; won 25, 40: 32.5.
        approx("product", "Plus", "Plus", 3, 2, 1, 25.0, 79 / 3, 32.5, 32.5),
        # D7, the only deal with no product, is open: no row.
    ]


def test_sales_cycle_by_segment(company):
    assert rows(company, "review__sales_cycle", "segment") == [
        # Enterprise (L2, L4): D2 won 30, D4 won 40, D6 won 25: median 30, mean 95 / 3, all won.
        approx("segment", "enterprise", "enterprise", 3, 3, 0, 30.0, 95 / 3, 30.0, 95 / 3),
        # SMB (L1, L3): D1 won 10, D3 lost 14, D5 lost 5.5: median 10, mean 29.5 / 3; won D1: 10.
        approx("segment", "smb", "smb", 3, 1, 2, 10.0, 29.5 / 3, 10.0, 10.0),
    ]


def test_sales_cycle_of_an_empty_window_has_no_rows(company):
    # Nothing closed in May 2026 (D7 and D9 are open; open deals have no cycle yet).
    may = Filters(start=D(2026, 5, 1), end=D(2026, 6, 1))
    for by in BY:
        assert rows(company, "review__sales_cycle", by, may) == []


# ---------------------------------------------------------------------------------------------
# review__win_rate


def test_win_rate_for_the_company(company):
    # Won 4 of 6 closed: 0.6667; bookings D1 + D2 + D4 + D6 = 1,000 + 3,000 + 4,000 + 2,000 = 10,000,
    # 2,500 a won deal; open now D7 7,000 + D9 1,500 = 8,500 (D8's 9,000 was won in December).
    assert rows(company, "review__win_rate", "company") == [
        approx("company", "all", "All deals", 4, 2, 6, 4 / 6, 10000.0, 2500.0, 2, 8500.0)
    ]


def test_win_rate_by_owner(company):
    assert rows(company, "review__win_rate", "owner") == [
        # Ava: D1, D2 won (4,000), D3 lost: 2 of 3; open D9 1,500.
        approx("owner", "A1", "Ava", 2, 1, 3, 2 / 3, 4000.0, 2000.0, 1, 1500.0),
        # Ben: D4 won 4,000 (D10 lost on 1 April is not in Q1); open D7 7,000.
        approx("owner", "A2", "Ben", 1, 0, 1, 1.0, 4000.0, 4000.0, 1, 7000.0),
        # Cal: D5 lost: 0 of 1, no bookings, so no average won deal.
        approx("owner", "A3", "Cal", 0, 1, 1, 0.0, 0.0, None, 0, 0.0),
        # D6 without an owner: won 2,000.
        approx("owner", None, "No owner", 1, 0, 1, 1.0, 2000.0, 2000.0, 0, 0.0),
    ]


def test_win_rate_by_manager(company):
    assert rows(company, "review__win_rate", "manager") == [
        # Mia (Ava + Cal): won D1, D2, lost D3, D5: 2 of 4 = 0.5; bookings 4,000; open D9 1,500.
        approx("manager", "M1", "Mia", 2, 2, 4, 0.5, 4000.0, 2000.0, 1, 1500.0),
        # Max (Ben): D4 won 4,000; open D7 7,000.
        approx("manager", "M2", "Max", 1, 0, 1, 1.0, 4000.0, 4000.0, 1, 7000.0),
        approx("manager", None, "No manager", 1, 0, 1, 1.0, 2000.0, 2000.0, 0, 0.0),
    ]


def test_win_rate_by_product(company):
    assert rows(company, "review__win_rate", "product") == [
        # Core: D1, D2 won (4,000), D5 lost: 2 of 3; nothing Core is open (D8, D10 are outside Q1).
        approx("product", "Core", "Core", 2, 1, 3, 2 / 3, 4000.0, 2000.0, 0, 0.0),
        # Plus: D4, D6 won (6,000), D3 lost: 2 of 3, 3,000 a won deal; open D9 1,500.
        approx("product", "Plus", "Plus", 2, 1, 3, 2 / 3, 6000.0, 3000.0, 1, 1500.0),
        # No product: only the open D7, so nothing closed and no win rate.
        approx("product", None, "No product", 0, 0, 0, None, 0.0, None, 1, 7000.0),
    ]


def test_win_rate_by_segment(company):
    assert rows(company, "review__win_rate", "segment") == [
        # Enterprise: D2, D4, D6 won: 3 of 3, 9,000, 3,000 a deal; open D9 1,500.
        approx("segment", "enterprise", "enterprise", 3, 0, 3, 1.0, 9000.0, 3000.0, 1, 1500.0),
        # SMB: D1 won 1,000, D3 and D5 lost: 1 of 3 = 0.3333; open D7 7,000.
        approx("segment", "smb", "smb", 1, 2, 3, 1 / 3, 1000.0, 1000.0, 1, 7000.0),
    ]


@pytest.mark.parametrize("segments", [None, ("smb",), ("enterprise",)])
def test_the_company_row_is_the_overviews_win_rate_and_bookings(company, segments):
    scope = Filters(start=Q1.start, end=Q1.end, segments=segments)
    kpis = db.run_query("overview__kpis", scope, db=company).iloc[0]
    (row,) = [
        dict(zip(WIN_RATE_COLUMNS, r, strict=True))
        for r in rows(company, "review__win_rate", "company", scope)
    ]
    # All: 4 of 6, 10,000; SMB: 1 of 3, 1,000; enterprise: 3 of 3, 9,000.
    assert row["win_rate"] == pytest.approx(kpis["win_rate"])
    assert (row["won_count"], row["lost_count"]) == (kpis["won_count"], kpis["lost_count"])
    assert row["bookings_usd"] == pytest.approx(kpis["bookings_usd"])


def test_the_open_pipeline_is_the_registrys_open_pipeline_now(company):
    coverage = db.run_query("overview__pipeline_coverage", db=company)
    # D7 7,000 + D9 1,500 whatever the window: the Overview's open pipeline summed over segments.
    assert coverage["open_pipeline_usd"].sum() == 8500
    for window in (Q1, Filters(start=D(2024, 1, 1), end=D(2024, 2, 1)), Filters()):
        (row,) = rows(company, "review__win_rate", "company", window)
        assert row[-2:] == (2, 8500.0)


def test_a_shared_filter_narrows_the_rows(company):
    smb = Filters(start=Q1.start, end=Q1.end, segments=("smb",))
    assert rows(company, "review__win_rate", "owner", smb) == [
        # SMB deals: D1 won and D3 lost (Ava), D5 lost (Cal), D7 open (Ben); D6 (no owner) is enterprise.
        approx("owner", "A1", "Ava", 1, 1, 2, 0.5, 1000.0, 1000.0, 0, 0.0),
        approx("owner", "A3", "Cal", 0, 1, 1, 0.0, 0.0, None, 0, 0.0),
        approx("owner", "A2", "Ben", 0, 0, 0, None, 0.0, None, 1, 7000.0),
    ]
    assert rows(company, "review__sales_cycle", "owner", smb) == [
        # Ava: D1 10, D3 14: median and mean 12; won D1 10. Cal: D5 5.5. Ben closed nothing SMB.
        approx("owner", "A1", "Ava", 2, 1, 1, 12.0, 12.0, 10.0, 10.0),
        approx("owner", "A3", "Cal", 1, 0, 1, 5.5, 5.5, None, None),
    ]
    # The lead's owner (Sam owns every lead), as $owners means everywhere, not the deal's.
    assert (
        rows(company, "review__win_rate", "company", Filters(start=Q1.start, end=Q1.end, owners=("A1",)))
        == []
    )
    (row,) = rows(company, "review__win_rate", "company", Filters(start=Q1.start, end=Q1.end, owners=("S1",)))
    assert row[3:6] == (4, 2, 6)


def test_an_empty_window_closes_nothing_but_keeps_the_open_pipeline(company):
    may = Filters(start=D(2026, 5, 1), end=D(2026, 6, 1))
    # No deal closed in May: no win rate or bookings; the open pipeline is now's, D7 and D9.
    assert rows(company, "review__win_rate", "company", may) == [
        approx("company", "all", "All deals", 0, 0, 0, None, 0.0, None, 2, 8500.0)
    ]
    # Narrowed to deals that have nothing at all: no rows.
    empty = Filters(start=may.start, end=may.end, owners=("nobody",))
    for by in BY:
        assert rows(company, "review__win_rate", by, empty) == []


@pytest.mark.parametrize("name", ["review__win_rate", "review__sales_cycle"])
def test_an_unknown_by_is_one_line_and_a_non_zero_exit(company, capsys, name):
    code = main(["query", name, "--db", str(company), "--param", "by=colour"])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert err.strip() == (
        "error: parameter by='colour' is not one of: company, owner, manager, product, segment"
    )


def test_the_command_line_runs_them_by_name(company, capsys):
    code = main(
        [
            "query",
            "review__win_rate",
            "--db",
            str(company),
            "--param",
            "by=manager",
            "--param",
            "start=2026-01-01",
            "--param",
            "end=2026-04-01",
            "--format",
            "csv",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ",".join(WIN_RATE_COLUMNS)
    assert lines[1].startswith("manager,M1,Mia,2,2,4,0.5,4000.0,2000.0,1,1500.0")


@pytest.mark.parametrize(
    ("name", "columns"), [("review__sales_cycle", CYCLE_COLUMNS), ("review__win_rate", WIN_RATE_COLUMNS)]
)
def test_docs_list_the_columns_scripts_rely_on(name, columns):
    table = (ROOT / "docs" / "queries.md").read_text()
    (line,) = [row for row in table.splitlines() if row.startswith(f"| `{name}` |")]
    assert line.rstrip(" |").endswith(f"`{', '.join(columns)}`")


# ---------------------------------------------------------------------------------------------
# Properties on generated companies

BASE = dt.datetime(2026, 1, 1)
SEGMENTS = ("smb", "enterprise")
OWNERS = (None, "A1", "A2", "A3")  # A3 has no manager
PRODUCTS = (None, "Core", "Plus")
GENERATED_PEOPLE = [
    {"person_id": "M1", "name": "Mia", "team": "sales", "role": "manager", "region": "NA"},
    {"person_id": "A1", "name": "Ava", "team": "sales", "role": "ae", "region": "NA", "manager_id": "M1"},
    {"person_id": "A2", "name": "Ben", "team": "sales", "role": "ae", "region": "NA", "manager_id": "M1"},
    {"person_id": "A3", "name": "Cal", "team": "sales", "role": "ae", "region": "NA"},
]

generated_deal = st.fixed_dictionaries(
    {
        "created": st.integers(0, 24 * 150),
        "stage": st.sampled_from(["open", "won", "lost"]),
        "closed_after": st.integers(0, 24 * 60),
        "amount": st.integers(0, 50),
        "owner": st.sampled_from(OWNERS),
        "product": st.sampled_from(PRODUCTS),
    }
)
generated_lead = st.fixed_dictionaries(
    {"segment": st.sampled_from(SEGMENTS), "deals": st.lists(generated_deal, max_size=3)}
)
window = st.one_of(
    st.just((None, None)),
    st.tuples(st.integers(-20, 200), st.integers(1, 120)).map(
        lambda t: (BASE.date() + dt.timedelta(days=t[0]), BASE.date() + dt.timedelta(days=t[0] + t[1]))
    ),
)
segment_filter = st.one_of(st.none(), st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=1))


def _generated(leads: list[dict]) -> dict:
    rows_, deals = [], []
    for number, item in enumerate(leads):
        lead_id = f"L{number}"
        rows_.append({**lead(lead_id, item["segment"]), "created_at": BASE - dt.timedelta(days=30)})
        for index, d in enumerate(item["deals"]):
            opened = BASE + dt.timedelta(hours=d["created"])
            deals.append(
                {
                    "deal_id": f"{lead_id}-D{index}",
                    "lead_id": lead_id,
                    "created_at": opened,
                    "closed_at": None
                    if d["stage"] == "open"
                    else opened + dt.timedelta(hours=d["closed_after"]),
                    "stage": d["stage"],
                    "amount": 100 * d["amount"],
                    "owner_id": d["owner"],
                    "product": d["product"],
                }
            )
    people = [*GENERATED_PEOPLE, {"person_id": "S1", "name": "Sam", "team": "sales", "role": "sdr"}]
    return {"people": people, "leads": rows_, "deals": deals}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    leads=st.lists(generated_lead, max_size=10),
    scopes=st.lists(st.tuples(window, segment_filter), min_size=1, max_size=3),
)
def test_every_grouping_adds_up_to_the_company(leads, scopes):
    with tempfile.TemporaryDirectory() as folder:
        path = write_db(Path(folder) / "company.duckdb", _generated(leads))
        try:
            for (start, end), segments in scopes:
                _check_groups(
                    path, Filters(start=start, end=end, segments=tuple(segments) if segments else None)
                )
        finally:
            db.close_connections()


def _check_groups(path: Path, scope: Filters) -> None:
    summed = ["won_count", "lost_count", "closed_count", "bookings_usd", "open_count", "pipeline_usd"]
    company = db.run_query("review__win_rate", scope, db=path, by="company")
    total = company[summed].sum()  # no row: nothing closed or open, zeros
    kpis = db.run_query("overview__kpis", scope, db=path).iloc[0]
    assert (total["won_count"], total["lost_count"]) == (kpis["won_count"], kpis["lost_count"])
    assert total["bookings_usd"] == pytest.approx(kpis["bookings_usd"])
    if len(company):
        assert _same(company["win_rate"].iloc[0], kpis["win_rate"])
    cycle_company = db.run_query("review__sales_cycle", scope, db=path, by="company")
    assert cycle_company["closed_count"].sum() == total["closed_count"]
    for by in BY:
        groups = db.run_query("review__win_rate", scope, db=path, by=by)
        assert groups["group_value"].is_unique, by
        for column in summed:
            assert groups[column].sum() == pytest.approx(total[column]), (by, column)
        assert (groups["closed_count"] == groups["won_count"] + groups["lost_count"]).all()
        rates = groups["win_rate"].dropna()
        assert ((rates >= 0) & (rates <= 1)).all(), by
        assert (groups["win_rate"].isna() == (groups["closed_count"] == 0)).all(), by
        cycle = db.run_query("review__sales_cycle", scope, db=path, by=by)
        closed = groups[groups["closed_count"] > 0]
        assert _values(cycle["group_value"]) == _values(closed["group_value"]), by
        for column in ("won_count", "lost_count", "closed_count"):
            assert cycle[column].sum() == total[column], (by, column)
        assert (cycle["median_cycle_days_closed"] >= 0).all()
        assert (cycle["median_cycle_days_won"].isna() == (cycle["won_count"] == 0)).all(), by


def _values(column: pd.Series) -> list[str]:
    """A column's values, sorted, with a missing value as ''."""
    return sorted("" if pd.isna(v) else str(v) for v in column)


def _same(left, right) -> bool:
    """Equal rates, or both undefined (nothing to divide by)."""
    if pd.isna(left) or pd.isna(right):
        return pd.isna(left) and pd.isna(right)
    return left == pytest.approx(right)
