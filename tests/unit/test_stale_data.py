"""The stale-data banner's rule on a hand-made data__table_health: the newest lead, touch or deal,
against the configured number of days."""

from __future__ import annotations

import pandas as pd

from handoff import ingest


def health(**latest: tuple[str, int]) -> pd.DataFrame:
    """data__table_health rows: table → (latest_at, days_since_latest); the others undated."""
    rows = [
        {
            "table_name": t,
            "latest_at": pd.Timestamp(latest[t][0]) if t in latest else pd.NaT,
            "days_since_latest": latest[t][1] if t in latest else None,
        }
        for t in ("people", "campaigns", "leads", "touches", "deals", "targets")
    ]
    return pd.DataFrame(rows)


def test_the_newest_of_leads_touches_and_deals_decides():
    # Targets and campaigns run ahead of the data: they never make it look fresh.
    frame = health(
        leads=("2026-06-01", 30),
        touches=("2026-06-20 14:00", 11),
        deals=("2026-05-02", 60),
        targets=("2026-12-01", 0),
        campaigns=("2026-11-30", 1),
    )
    assert ingest.stale_data_warning(frame, after_days=10) == (
        "The data may be out of date: its newest record is from 20 Jun 2026, 11 days ago (more than 10). "
        "Import fresh exports on the Data page."
    )
    assert ingest.stale_data_warning(frame, after_days=11) is None  # exactly the limit is still fresh


def test_no_banner_without_dated_records_and_the_limit_comes_from_the_environment(monkeypatch):
    assert ingest.stale_data_warning(health(), after_days=0) is None
    monkeypatch.setenv("HANDOFF_STALE_AFTER_DAYS", "3")
    assert ingest.stale_after_days() == 3
    assert "more than 3" in ingest.stale_data_warning(health(leads=("2026-01-01", 4)))
    monkeypatch.delenv("HANDOFF_STALE_AFTER_DAYS")
    assert ingest.stale_after_days() == ingest.STALE_AFTER_DAYS == 14


def test_the_tables_read_as_days_and_a_table_without_dates_as_a_dash():
    frame = health(leads=("2026-06-30 21:51", 155))
    frame["table_order"] = range(1, 7)
    frame["row_count"] = [43, 0, 40000, 0, 0, 0]
    frame["dated_by"] = [
        "no dates",
        "start_date, end_date",
        "created_at",
        "touched_at",
        "created_at",
        "period_start",
    ]
    frame["earliest_at"] = pd.to_datetime([None, None, "2024-04-01 03:21", None, None, None])
    shown = ingest.tables_for_people(frame).set_index("Table")
    assert shown.loc["leads", ["Earliest", "Latest", "Days since latest"]].tolist() == [
        "1 Apr 2024",
        "30 Jun 2026",
        "155",
    ]
    assert shown.loc["people", ["Earliest", "Latest", "Days since latest"]].tolist() == ["–", "–", "–"]
