"""Data-health queries on a small hand-made database whose every flaw is known."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from handoff import db
from tests.fixtures import ts


@pytest.fixture
def flawed(make_db):
    """Four leads, three deals, two touches, each flaw placed on purpose (see the comments)."""
    return make_db(
        {
            "people": [
                {
                    "person_id": "P1",
                    "name": "Ana",
                    "team": "sales",
                    "role": "sdr",
                    "manager_id": "P9",
                },  # P9: nobody
                {"person_id": "P2", "name": "Ben", "team": "sales", "role": "ae"},
            ],
            "campaigns": [
                {
                    "campaign_id": "C1",
                    "name": "Webinar",
                    "channel": "webinar",
                    "owner_team": "marketing",
                    "start_date": dt.date(2025, 12, 1),
                    "end_date": dt.date(2026, 1, 31),
                    "cost": 100,
                },
                {
                    "campaign_id": "C2",
                    "name": "Unused ads",
                    "channel": "paid_search",
                    "owner_team": "marketing",
                    "start_date": dt.date(2026, 1, 1),
                    "cost": 0,
                },
            ],
            "leads": [
                # L1: clean, from C1, MQL at 10:00 answered by T1 at 11:00.
                {
                    "lead_id": "L1",
                    "created_at": ts("2026-01-01 09:00"),
                    "channel": "webinar",
                    "source_campaign_id": "C1",
                    "sourced_by": "marketing",
                    "segment": "smb",
                    "region": "NA",
                    "mql_at": ts("2026-01-01 10:00"),
                    "sal_at": ts("2026-01-01 12:00"),
                    "sql_at": ts("2026-01-02 09:00"),
                    "owner_id": "P2",
                },
                # L2: source unknown; MQL (08:00 on the 1st) before it was created (the 2nd).
                {
                    "lead_id": "L2",
                    "created_at": ts("2026-01-02 00:00"),
                    "channel": "unknown",
                    "sourced_by": "marketing",
                    "segment": "smb",
                    "region": "NA",
                    "mql_at": ts("2026-01-01 08:00"),
                },
                # L3: an MQL nobody from sales touched.
                {
                    "lead_id": "L3",
                    "created_at": ts("2026-01-03 00:00"),
                    "channel": "email",
                    "sourced_by": "marketing",
                    "segment": "smb",
                    "region": "NA",
                    "mql_at": ts("2026-01-03 10:00"),
                },
                # L4: its deal D2 opened (the 3rd) before the lead was created (the 4th).
                {
                    "lead_id": "L4",
                    "created_at": ts("2026-01-04 00:00"),
                    "channel": "outbound_sdr",
                    "sourced_by": "sales",
                    "segment": "smb",
                    "region": "NA",
                },
            ],
            "touches": [
                {
                    "touch_id": "T1",
                    "lead_id": "L1",
                    "channel": "direct_sales",
                    "team": "sales",
                    "kind": "call",
                    "touched_at": ts("2026-01-01 11:00"),
                    "person_id": "P2",
                },
                {
                    "touch_id": "T2",
                    "lead_id": "L2",
                    "channel": "direct_sales",
                    "team": "sales",
                    "kind": "call",
                    "touched_at": ts("2026-01-02 00:00"),
                    "person_id": "P1",
                },
            ],
            "deals": [
                # D1: closed (the 4th) before it opened (the 5th).
                {
                    "deal_id": "D1",
                    "lead_id": "L1",
                    "created_at": ts("2026-01-05 00:00"),
                    "closed_at": ts("2026-01-04 00:00"),
                    "stage": "won",
                    "amount": 1000,
                },
                {
                    "deal_id": "D2",
                    "lead_id": "L4",
                    "created_at": ts("2026-01-03 00:00"),
                    "stage": "open",
                    "amount": 500,
                },
                # D3: won, but no close date.
                {
                    "deal_id": "D3",
                    "lead_id": "L1",
                    "created_at": ts("2026-01-06 00:00"),
                    "stage": "won",
                    "amount": 200,
                },
            ],
        }
    )


def test_health_checks_count_each_placed_flaw(flawed):
    checks = db.run_query("data__health_checks", db=flawed).set_index("check_name")
    got = {name: (row.checked_count, row.issue_count, row.sample_ids) for name, row in checks.iterrows()}
    assert got == {
        "leads_with_source": (4, 1, "L2"),  # channel 'unknown'
        "deals_with_lead": (3, 0, ""),  # every deal's lead exists
        "mqls_with_response": (3, 1, "L3"),  # MQLs L1, L2, L3; T1 answers L1, T2 (after 08:00) answers L2
        "lead_stages_in_order": (4, 2, "L2, L4"),  # L2 MQL before created; L4 first deal before created
        "deal_cycle_not_negative": (1, 1, "D1"),  # only D1 has a close date, and it is before it opened
        "won_deals_dated": (2, 1, "D3"),  # D1 and D3 are won; D3 has no close date
        # References: L1 owner, L1 campaign, T1 and T2 lead, T1 and T2 person, P1 manager, three deals' leads
        # = 10; only P1's manager P9 does not exist.
        "references_resolve": (10, 1, "P1"),
        "campaigns_used": (2, 1, "C2"),  # C1 is L1's source; nothing refers to C2
    }
    assert checks.loc["leads_with_source", "ok_rate"] == pytest.approx(0.75)
    assert list(checks["check_order"]) == list(range(1, 9))


def test_health_check_rows_say_what_is_wrong(flawed):
    frame = db.run_query("data__health_check_rows", db=flawed, check="lead_stages_in_order")
    assert frame.to_dict("records") == [
        {
            "record_id": "L2",
            "table_name": "leads",
            "detail": "mql_at 2026-01-01 08:00 is before created_at 2026-01-02 00:00",
        },
        {
            "record_id": "L4",
            "table_name": "leads",
            "detail": "first deal opened 2026-01-03 00:00, before the lead was created 2026-01-04 00:00",
        },
    ]
    orphans = db.run_query("data__health_check_rows", db=flawed, check="references_resolve")
    assert orphans.to_dict("records") == [
        {"record_id": "P1", "table_name": "people", "detail": "manager_id P9 is not a person"}
    ]
    assert db.run_query("data__health_check_rows", db=flawed, check="mqls_with_response")[
        "record_id"
    ].tolist() == ["L3"]
    assert db.run_query("data__health_check_rows", db=flawed, check="won_deals_dated")["detail"].tolist() == [
        "won, with no close date"
    ]
    assert db.run_query("data__health_check_rows", db=flawed, check="deals_with_lead").empty


def test_health_check_rows_respect_the_limit(flawed):
    assert len(db.run_query("data__health_check_rows", db=flawed, check="lead_stages_in_order", limit=1)) == 1


def test_table_health_counts_rows_spans_and_freshness(flawed):
    frame = db.run_query("data__table_health", db=flawed, today="2026-01-10").set_index("table_name")
    assert frame["row_count"].to_dict() == {
        "people": 2,
        "campaigns": 2,
        "leads": 4,
        "touches": 2,
        "deals": 3,
        "targets": 0,
    }
    # Leads: newest created the 4th, 6 days before the 10th. Deals: newest date is D3 opening the 6th -> 4.
    # Touches: T2 on the 2nd -> 8. Campaigns run to 31 January, ahead of the 10th -> 0. No dates -> NULL.
    assert frame.loc["leads", "days_since_latest"] == 6
    assert frame.loc["deals", "days_since_latest"] == 4
    assert frame.loc["touches", "days_since_latest"] == 8
    assert frame.loc["campaigns", "days_since_latest"] == 0
    assert pd.isna(frame.loc["people", "days_since_latest"]) and pd.isna(
        frame.loc["targets", "days_since_latest"]
    )
    assert frame.loc["deals", "earliest_at"] == pd.Timestamp("2026-01-03")


def test_health_checks_on_an_empty_database_divide_by_nothing(make_db):
    path = make_db({})
    checks = db.run_query("data__health_checks", db=path)
    assert checks["checked_count"].sum() == 0 and checks["ok_rate"].isna().all()


IMPORT_META = {
    "import_mapping": "hubspot",
    "imported_at": "2026-04-01T10:00:00Z",
    "import_files": json.dumps(
        [
            {
                "file_name": "contacts.csv",
                "source_name": "contacts",
                "rows_read": 22,
                "encoding": "UTF-8",
                "delimiter": "comma",
            }
        ]
    ),
    "import_problems": json.dumps(
        [
            {
                "problem_order": 0,
                "severity": "warning",
                "kind": "stages_out_of_order",
                "problem": "stage timestamps out of order",
                "table_name": "leads",
                "column_name": "mql_at",
                "expected": "mql_at at or after",
                "problem_count": 3,
                "samples": [
                    {
                        "file_name": "contacts.csv",
                        "row_number": 12,
                        "source_column": "MQL Date",
                        "value": "x",
                    },
                    {"file_name": "contacts.csv", "row_number": 4, "source_column": "MQL Date", "value": "y"},
                ],
            },
            {
                "problem_order": 1,
                "severity": "rejected",
                "kind": "depends_on_rejected",
                "problem": "depends on a row set aside",
                "table_name": "deals",
                "column_name": "lead_id",
                "expected": "its leads row",
                "problem_count": 1,
                "samples": [
                    {"file_name": "deals.csv", "row_number": 3, "source_column": "lead", "value": "L9"}
                ],
            },
        ]
    ),
}


def test_import_problems_unpack_the_recorded_examples(make_db):
    path = make_db({}, meta=IMPORT_META)
    frame = db.run_query("data__import_problems", db=path)
    # Two examples of the first problem (ordered by row), one of the second.
    assert frame[["problem_order", "row_number", "value", "problem_count"]].values.tolist() == [
        [0, 4, "y", 3],
        [0, 12, "x", 3],
        [1, 3, "L9", 1],
    ]
    assert db.run_query("data__import_problems", db=path, severity="rejected")["kind"].tolist() == [
        "depends_on_rejected"
    ]
    files = db.run_query("data__import_files", db=path)
    assert files.to_dict("records") == [
        {
            "file_name": "contacts.csv",
            "source_name": "contacts",
            "rows_read": 22,
            "encoding": "UTF-8",
            "delimiter": "comma",
            "mapping_name": "hubspot",
            "imported_at": pd.Timestamp("2026-04-01 10:00:00"),
        }
    ]


def test_import_report_queries_are_empty_for_a_database_that_was_not_imported(demo_db):
    assert db.run_query("data__import_problems", db=demo_db).empty
    assert db.run_query("data__import_files", db=demo_db).empty


# ---------------------------------------------------------------------------------------------
# The failures, the checks and the filter options are stored when the file is written (queries/derived/)


def test_stored_health_failures_are_each_placed_flaw(flawed, make_db):
    failures = db.execute("select * from data_health_failures order by check_name, record_id", db=flawed)
    assert failures.to_dict("records") == [
        {
            "check_name": "campaigns_used",
            "record_id": "C2",
            "table_name": "campaigns",
            "detail": "no lead or touch refers to Unused ads",
        },
        {
            "check_name": "deal_cycle_not_negative",
            "record_id": "D1",
            "table_name": "deals",
            "detail": "closed 2026-01-04 00:00, opened 2026-01-05 00:00",
        },
        {
            "check_name": "lead_stages_in_order",
            "record_id": "L2",
            "table_name": "leads",
            "detail": "mql_at 2026-01-01 08:00 is before created_at 2026-01-02 00:00",
        },
        {
            "check_name": "lead_stages_in_order",
            "record_id": "L4",
            "table_name": "leads",
            "detail": "first deal opened 2026-01-03 00:00, before the lead was created 2026-01-04 00:00",
        },
        {
            "check_name": "leads_with_source",
            "record_id": "L2",
            "table_name": "leads",
            "detail": "channel is 'unknown'",
        },
        {
            "check_name": "mqls_with_response",
            "record_id": "L3",
            "table_name": "leads",
            "detail": "MQL at 2026-01-03 10:00, no sales touch since",
        },
        {
            "check_name": "references_resolve",
            "record_id": "P1",
            "table_name": "people",
            "detail": "manager_id P9 is not a person",
        },
        {
            "check_name": "won_deals_dated",
            "record_id": "D3",
            "table_name": "deals",
            "detail": "won, with no close date",
        },
    ]
    assert db.execute("select * from data_health_failures", db=make_db({})).empty
    assert db.run_query("data__health_checks", db=flawed).columns.tolist() == [
        "check_order",
        "check_name",
        "check_label",
        "table_name",
        "checked_count",
        "issue_count",
        "ok_rate",
        "sample_ids",
    ]


def test_every_writer_stores_the_health_checks(demo_db, tmp_path):
    from handoff import ingest

    exported = ingest.export(demo_db, tmp_path / "export")
    copy = tmp_path / "imported.duckdb"
    ingest.import_files(sorted(p for p in exported if p.suffix == ".csv"), "canonical", copy)
    pd.testing.assert_frame_equal(
        db.run_query("data__health_checks", db=copy),
        db.run_query("data__health_checks", db=demo_db),
        check_exact=True,
    )
    assert db.run_query("data__health_checks", db=demo_db)["checked_count"].iloc[0] == 4000


def test_stored_filter_options_are_what_the_data_offers(flawed, demo_db, make_db):
    # Every lead is smb in NA; three were sourced by marketing; only Ben (P2) owns one (L1), Ana none;
    # campaigns are listed even when no lead came from them (C2). By dimension, then most leads first.
    options = db.run_query("filters__options", db=flawed)
    assert options.columns.tolist() == ["dimension", "value", "label", "lead_count"]
    assert [tuple(row) for row in options.itertuples(index=False)] == [
        ("campaign", "C1", "Webinar", 1),
        ("campaign", "C2", "Unused ads", 0),
        ("channel", "email", "email", 1),
        ("channel", "outbound_sdr", "outbound_sdr", 1),
        ("channel", "unknown", "unknown", 1),
        ("channel", "webinar", "webinar", 1),
        ("owner", "P2", "Ben (ae)", 1),
        ("region", "NA", "NA", 4),
        ("segment", "smb", "smb", 4),
        ("team", "marketing", "marketing", 3),
        ("team", "sales", "sales", 1),
    ]
    assert db.run_query("filters__options", db=make_db({})).empty
    options = db.run_query("filters__options", db=demo_db)
    assert options.loc[options["dimension"] == "segment", "lead_count"].sum() == 4000
