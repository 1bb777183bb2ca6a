"""The start-up queries, on a hand-made database whose answers are written out below."""

import datetime as dt

import pandas as pd
import pytest

from handoff import cli, db
from tests.fixtures import ts

PEOPLE = [
    {"person_id": "P1", "name": "Ada Okafor", "team": "sales", "role": "sdr", "region": "NA"},
    {"person_id": "P2", "name": "Ben Moreau", "team": "sales", "role": "sdr", "region": "EMEA"},
    {"person_id": "M1", "name": "Mia Chen", "team": "marketing", "role": "marketer", "region": "NA"},
]
CAMPAIGNS = [
    {
        "campaign_id": "C1",
        "name": "Spring webinar",
        "channel": "webinar",
        "owner_team": "marketing",
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 5, 31),
        "cost": 1000,
    },
]
LEADS = [
    {
        "lead_id": "L1",
        "created_at": ts("2026-03-02 09:00"),
        "channel": "webinar",
        "source_campaign_id": "C1",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "owner_id": "P1",
    },
    {
        "lead_id": "L2",
        "created_at": ts("2026-03-03 09:00"),
        "channel": "webinar",
        "source_campaign_id": "C1",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "EMEA",
        "owner_id": "P2",
    },
    {
        "lead_id": "L3",
        "created_at": ts("2026-04-10 15:30"),
        "channel": "outbound_sdr",
        "sourced_by": "sales",
        "segment": "enterprise",
        "region": "NA",
        "owner_id": "P1",
    },
]
DEALS = [
    {
        "deal_id": "D1",
        "lead_id": "L3",
        "created_at": ts("2026-04-20 10:00"),
        "closed_at": ts("2026-05-02 16:00"),
        "stage": "won",
        "amount": 5000,
    }
]


def test_filter_options_list_each_value_with_its_lead_count(make_db):
    path = make_db({"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS})
    rows = db.run_query("filters__options", db=path)
    got = {(r.dimension, r.value, r.label, r.lead_count) for r in rows.itertuples()}
    assert got == {
        ("segment", "smb", "smb", 2),
        ("segment", "enterprise", "enterprise", 1),
        ("region", "NA", "NA", 2),
        ("region", "EMEA", "EMEA", 1),
        ("channel", "webinar", "webinar", 2),
        ("channel", "outbound_sdr", "outbound_sdr", 1),
        ("team", "marketing", "marketing", 2),
        ("team", "sales", "sales", 1),
        # Owners are sales people who own leads; the marketer owns none and is left out.
        ("owner", "P1", "Ada Okafor (sdr)", 2),
        ("owner", "P2", "Ben Moreau (sdr)", 1),
        ("campaign", "C1", "Spring webinar", 2),
    }


def test_names_give_each_person_and_campaign_its_name(make_db):
    path = make_db({"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS})
    rows = db.run_query("data__names", db=path)
    assert list(rows.itertuples(index=False, name=None)) == [
        ("campaign", "C1", "Spring webinar"),
        ("person", "M1", "Mia Chen"),
        ("person", "P1", "Ada Okafor"),
        ("person", "P2", "Ben Moreau"),
    ]


def test_the_cli_table_shows_words_and_names_and_csv_keeps_codes(make_db, capsys):
    path = make_db({"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS})
    args = [
        "query",
        "funnel__leads",
        "--db",
        str(path),
        "--param",
        "start=2026-03-01",
        "--param",
        "end=2026-05-01",
    ]
    assert cli.main(args) == 0
    table = capsys.readouterr().out
    # L3 is sales-sourced outbound enterprise, owned by P1 (Ada Okafor): in words and by name.
    assert "Outbound SDR" in table and "Enterprise" in table and "Ada Okafor" in table
    assert "outbound_sdr" not in table and "P1" not in table and "owner_id" not in table
    assert cli.main([*args, "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert "outbound_sdr" in csv and ",P1," in csv


def test_as_of_prefers_the_recorded_date(make_db):
    path = make_db({"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS}, meta={"as_of": "2026-06-30"})
    assert db.run_query("data__as_of", db=path)["as_of_date"].tolist() == [pd.Timestamp("2026-06-30")]


def test_as_of_falls_back_to_the_latest_timestamp(make_db):
    path = make_db({"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "deals": DEALS})
    # The deal closed on 2 May, after the last lead (10 April).
    assert db.run_query("data__as_of", db=path)["as_of_date"].tolist() == [pd.Timestamp("2026-05-02")]


def test_table_counts_and_spans(make_db):
    path = make_db({"people": PEOPLE, "campaigns": CAMPAIGNS, "leads": LEADS, "deals": DEALS})
    rows = db.run_query("data__table_counts", db=path).set_index("table_name")
    assert rows["row_count"].to_dict() == {
        "people": 3,
        "campaigns": 1,
        "leads": 3,
        "touches": 0,
        "deals": 1,
        "targets": 0,
    }
    assert rows.loc["leads", "earliest_at"] == ts("2026-03-02 09:00")
    assert rows.loc["leads", "latest_at"] == ts("2026-04-10 15:30")
    assert rows.loc["deals", "latest_at"] == ts("2026-05-02 16:00")


@pytest.mark.parametrize("name", ["filters__options", "data__table_counts", "data__as_of"])
def test_an_empty_database_gives_rows_not_errors(make_db, name):
    frame = db.run_query(name, db=make_db({}))
    assert name != "data__as_of" or frame["as_of_date"].notna().all()
