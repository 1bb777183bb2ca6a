"""deal_facts (queries/derived/deal_facts.sql) holds every deal with its lead's own attributes, on a
hand-made company, and holds the same after an export and an import of it.

| lead | sourced | created | channel, campaign, segment, region, industry, size, owner | score | MQL | first sales touch | deals |
|---|---|---|---|---|---|---|---|
| LA | marketing | 5 Jan 09:00 | webinar C1 smb NA software 11-50 P1 | 80 | 6 Jan 09:00 | 6 Jan 12:00 (3 h) | DA1 created 10 Jan, won 1 Feb, 1,000.50; DA2 created 20 Jan, open, 200 |
| LB | sales | 7 Jan 09:00 | outbound_sdr – enterprise EMEA retail 1001-5000 P2 | – | a CRM stamped 8 Jan | 8 Jan 10:00 | DB1 created 9 Jan, lost 30 Jan, 300 |
| LC | marketing | 8 Jan 09:00 | email – smb NA – – – | 20 | – | – | none |

A sales-sourced lead is never an MQL (DESIGN.md): LB's deal carries no mql_at and no speed to lead.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from handoff import db, ingest
from tests.fixtures import ts

T = pd.Timestamp
COLUMNS = [
    "deal_id",
    "lead_id",
    "deal_created_at",
    "deal_closed_at",
    "amount",
    "deal_stage",
    "channel",
    "source_campaign_id",
    "segment",
    "region",
    "industry",
    "company_size",
    "owner_id",
    "sourced_by",
    "score",
    "mql_at",
    "speed_to_lead_hours",
]
TABLES = {
    "people": [
        {"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr"},
        {"person_id": "P2", "name": "Ben", "team": "sales", "role": "ae"},
    ],
    "campaigns": [
        {
            "campaign_id": "C1",
            "name": "Spring webinar",
            "channel": "webinar",
            "owner_team": "marketing",
            "start_date": dt.date(2026, 1, 1),
            "cost": 0,
        }
    ],
    "leads": [
        {
            "lead_id": "LA",
            "created_at": ts("2026-01-05 09:00"),
            "channel": "webinar",
            "source_campaign_id": "C1",
            "sourced_by": "marketing",
            "segment": "smb",
            "region": "NA",
            "industry": "software",
            "company_size": "11-50",
            "owner_id": "P1",
            "score": 80,
            "mql_at": ts("2026-01-06 09:00"),
        },
        {
            "lead_id": "LB",
            "created_at": ts("2026-01-07 09:00"),
            "channel": "outbound_sdr",
            "sourced_by": "sales",
            "segment": "enterprise",
            "region": "EMEA",
            "industry": "retail",
            "company_size": "1001-5000",
            "owner_id": "P2",
            "mql_at": ts("2026-01-08 09:00"),
        },
        {
            "lead_id": "LC",
            "created_at": ts("2026-01-08 09:00"),
            "channel": "email",
            "sourced_by": "marketing",
            "segment": "smb",
            "region": "NA",
            "score": 20,
        },
    ],
    "touches": [
        {
            "touch_id": "TA",
            "lead_id": "LA",
            "channel": "direct_sales",
            "team": "sales",
            "kind": "call",
            "touched_at": ts("2026-01-06 12:00"),
            "person_id": "P1",
        },
        {
            "touch_id": "TB",
            "lead_id": "LB",
            "channel": "direct_sales",
            "team": "sales",
            "kind": "call",
            "touched_at": ts("2026-01-08 10:00"),
            "person_id": "P2",
        },
    ],
    "deals": [
        {
            "deal_id": "DA1",
            "lead_id": "LA",
            "created_at": ts("2026-01-10 09:00"),
            "closed_at": ts("2026-02-01 09:00"),
            "stage": "won",
            "amount": 1000.50,
            "owner_id": "P2",
        },
        {
            "deal_id": "DA2",
            "lead_id": "LA",
            "created_at": ts("2026-01-20 09:00"),
            "stage": "open",
            "amount": 200,
        },
        {
            "deal_id": "DB1",
            "lead_id": "LB",
            "created_at": ts("2026-01-09 09:00"),
            "closed_at": ts("2026-01-30 09:00"),
            "stage": "lost",
            "amount": 300,
        },
    ],
}
LA = ("webinar", "C1", "smb", "NA", "software", "11-50", "P1", "marketing", 80, T("2026-01-06 09:00"), 3.0)
EXPECTED = [  # in deal_created_at order; LC has no deal, so no row
    (
        "DB1",
        "LB",
        T("2026-01-09 09:00"),
        T("2026-01-30 09:00"),
        300.0,
        "lost",
        "outbound_sdr",
        None,
        "enterprise",
        "EMEA",
        "retail",
        "1001-5000",
        "P2",
        "sales",
        None,
        None,
        None,
    ),
    ("DA1", "LA", T("2026-01-10 09:00"), T("2026-02-01 09:00"), 1000.5, "won", *LA),
    ("DA2", "LA", T("2026-01-20 09:00"), None, 200.0, "open", *LA),
]


def deal_facts(path) -> list[tuple]:
    frame = db.execute("select * from deal_facts", db=path)
    assert frame.columns.tolist() == COLUMNS
    return [
        tuple(
            None
            if v is None or (not isinstance(v, str) and pd.isna(v))
            else float(v)
            if column == "amount"
            else v
            for column, v in zip(COLUMNS, row, strict=True)
        )
        for row in frame.itertuples(index=False)
    ]


def test_deal_facts_are_each_deal_with_its_leads_attributes(make_db):
    assert deal_facts(make_db(TABLES)) == EXPECTED


def test_deal_facts_after_an_export_and_an_import(make_db, tmp_path):
    exported = ingest.export(make_db(TABLES), tmp_path / "export")
    copy = tmp_path / "imported.duckdb"
    ingest.import_files(sorted(p for p in exported if p.suffix == ".csv"), "canonical", copy)
    assert deal_facts(copy) == EXPECTED
    db.close_connections()
