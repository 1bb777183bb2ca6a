"""`mapping init` on real exports no one here wrote, then the edits docs/import.md shows ("Two real
datasets"), then the import: Maven's opportunities and X Education's leads load, and their figures
equal what pandas computes from the files. Skipped where the shared data folder is absent."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from handoff import db, ingest
from handoff.ingest.draft import draft_mapping
from handoff.ingest.mapping import parse_mapping
from tests.fixtures import REAL_DATA, require_real_data

MAVEN = REAL_DATA / "maven-crm-sales-opportunities"
XEDUCATION = REAL_DATA / "xeducation-lead-scoring"

MANAGERS = """[[tables.people]]
from = "sales_teams"
[tables.people.columns]
person_id = "sales_agent"
name = "sales_agent"
team = { value = "sales" }
role = { value = "ae" }
manager_id = "manager"

[[tables.people]]
from = "sales_teams"
distinct = true
[tables.people.columns]
person_id = "manager"
name = "manager"
team = { value = "sales" }
role = { value = "manager" }

"""

CONVERTED = """
[tables.deals]
from = "leads"
where = { column = "Converted", in = ["1"] }
[tables.deals.columns]
deal_id = "Prospect ID"
lead_id = "Prospect ID"
created_at = { value = "2019-01-01" }
closed_at = { value = "2019-01-01" }
stage = { value = "won" }
amount = { value = "0" }
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text, f"the draft no longer has {old!r}: update docs/import.md's walk-through"
    return text.replace(old, new, 1)


@pytest.fixture(autouse=True)
def _close():
    yield
    db.close_connections()


def test_maven_imports_after_the_three_documented_edits(tmp_path):
    require_real_data(MAVEN)
    files = [MAVEN / "sales_pipeline.csv", MAVEN / "accounts.csv", MAVEN / "sales_teams.csv"]
    text = draft_mapping(files).text
    engaged = 'where = { column = "engage_date", not_empty = true }\n'
    text = edit(
        text,
        '[tables.leads]\nfrom = "sales_pipeline"\n',
        '[tables.leads]\nfrom = "sales_pipeline"\n' + engaged,
    )
    text = edit(
        text,
        '[tables.deals]\nfrom = "sales_pipeline"\n',
        '[tables.deals]\nfrom = "sales_pipeline"\n' + engaged,
    )
    text = edit(
        text,
        '# [sources.sales_teams]\n# files = ["sales_teams*"]',
        '[sources.sales_teams]\nfiles = ["sales_teams*"]',
    )
    text = edit(
        text,
        '[tables.people]\nfrom = "sales_pipeline"',
        MANAGERS + '[[tables.people]]\nfrom = "sales_pipeline"',
    )
    path = tmp_path / "maven.duckdb"
    plan, _ = ingest.import_files(files, parse_mapping(text), path)
    assert not plan.report.errors
    counts = db.run_query("data__table_counts", db=path).set_index("table_name")["row_count"]
    assert (counts["leads"], counts["deals"], counts["people"]) == (8300, 8300, 41)

    # The same figures, straight from the files.
    pipeline = pd.read_csv(MAVEN / "sales_pipeline.csv").dropna(subset=["engage_date"])
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    closed = pipeline[pipeline["deal_stage"].isin(["Won", "Lost"])].merge(teams, on="sales_agent")
    won = closed["deal_stage"] == "Won"
    by_manager = db.run_query("review__win_rate", db=path, by="manager").set_index("group_label")
    expected = closed.assign(won=won).groupby("manager")["won"].agg(["sum", "count"])
    assert by_manager["won_count"].to_dict() == expected["sum"].to_dict()
    assert by_manager["closed_count"].to_dict() == expected["count"].to_dict()
    assert by_manager.loc["Melvin Marxen", ["won_count", "closed_count"]].tolist() == [882, 1418]
    assert (
        by_manager.loc["Melvin Marxen", "bookings_usd"]
        == closed[won & (closed["manager"] == "Melvin Marxen")]["close_value"].sum()
    )
    days = (pd.to_datetime(closed["close_date"]) - pd.to_datetime(closed["engage_date"])).dt.days
    cycle = db.run_query("review__sales_cycle", db=path, by="product").set_index("group_label")
    assert cycle["median_cycle_days_closed"].to_dict() == days.groupby(closed["product"]).median().to_dict()
    assert cycle.loc["GTX Basic", ["median_cycle_days_closed", "median_cycle_days_won"]].tolist() == [50, 61]


def test_x_education_imports_after_the_two_documented_edits(tmp_path):
    require_real_data(XEDUCATION)
    files = [XEDUCATION / "Leads.csv"]
    text = draft_mapping(files).text
    text = edit(text, 'created_at = { value = "???" }', 'created_at = { value = "2019-01-01" }')
    text += CONVERTED
    path = tmp_path / "xeducation.duckdb"
    plan, _ = ingest.import_files(files, parse_mapping(text), path, as_of=dt.date(2019, 1, 31))
    assert not plan.report.errors
    leads = pd.read_csv(files[0])
    counts = db.run_query("data__table_counts", db=path).set_index("table_name")["row_count"]
    assert (
        (counts["leads"], counts["deals"])
        == (len(leads), int((leads["Converted"] == 1).sum()))
        == (9240, 3561)
    )
    rules = db.run_query("data__readiness", db=path).set_index("rule_id")["status"]
    # A converted flag is no win rate: no deal was ever lost, and none has an amount.
    assert rules["lost_deals_recorded"] == "missing" and rules["won_deal_amounts"] == "missing"
