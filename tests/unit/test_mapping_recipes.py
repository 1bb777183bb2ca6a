"""The mapping recipes docs/import.md teaches for data that does not come shaped like the canonical
tables: one row per key from many (`group_by`), a lookup over many rows (`aggregate`), one row per
associated id (`explode`), "--" for empty, a lookup into an export no file was given for, people in
several roles, and constants written in ISO whatever the export's date formats."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from handoff import ingest
from handoff.ingest.mapping import MappingError, parse_mapping


def write(tmp_path, **files) -> list:
    paths = []
    for name, content in files.items():
        path = tmp_path / name.replace("__", ".")
        path.write_text(textwrap.dedent(content).lstrip())
        paths.append(path)
    return paths


# Maven's shape: one row per opportunity, several per account; prospecting rows have no dates.
PIPELINE = """
    opportunity_id,account,sales_agent,deal_stage,engage_date,close_date,close_value
    O1,Acme,Ann,Won,2026-01-10,2026-02-01,100
    O2,Acme,Bob,Lost,2026-01-05,2026-01-20,0
    O3,Acme,Ann,Engaging,2026-02-15,,
    O4,Beta,Bob,Prospecting,,,
    O5,Beta,Bob,Won,2026-03-01,2026-03-31,"1,250.50"
    O6,Gamma,Ann,Prospecting,,,
"""

ACCOUNTS = """
[sources.pipeline]
files = ["pipeline*"]
[tables.leads]
from = "pipeline"
group_by = "account"
[tables.leads.columns]
lead_id = "account"
created_at = { column = "engage_date", aggregate = "earliest" }
sql_at = { column = "close_date", aggregate = "latest" }
score = { column = "opportunity_id", aggregate = "count" }
channel = { value = "unknown" }
sourced_by = { value = "sales" }
segment = { value = "unknown" }
region = { value = "NA" }
"""


def test_group_by_makes_one_row_per_key_with_earliest_latest_and_count(tmp_path):
    paths = write(tmp_path, pipeline__csv=PIPELINE)
    plan = ingest.check(paths, parse_mapping(ACCOUNTS.replace("score = ", "# score = ")))
    leads = plan.tables["leads"].set_index("lead_id")
    assert leads.index.tolist() == ["Acme", "Beta", "Gamma"]
    # Acme's opportunities engaged on 01-10, 01-05 and 02-15: the earliest is 01-05.
    assert leads.loc["Acme", "created_at"] == pd.Timestamp("2026-01-05")
    # Beta: only O5 has an engage date; Gamma has none, so the import is refused naming its row.
    assert leads.loc["Beta", "created_at"] == pd.Timestamp("2026-03-01")
    assert pd.isna(leads.loc["Gamma", "created_at"])
    # Acme's close dates 02-01 and 01-20: the latest is 02-01.
    assert leads.loc["Acme", "sql_at"] == pd.Timestamp("2026-02-01")
    [missing] = [p for p in plan.report.errors if p.where == "leads.created_at"]
    assert missing.kind == "missing_required" and missing.rows["row"].tolist() == [7]  # O6's row


def test_group_by_counts_and_sums(tmp_path):
    text = """
        [sources.pipeline]
        files = ["pipeline*"]
        [tables.leads]
        from = "pipeline"
        [tables.leads.columns]
        lead_id = "opportunity_id"
        created_at = { value = "2026-01-01" }
        channel = { value = "unknown" }
        sourced_by = { value = "sales" }
        segment = { value = "unknown" }
        region = { value = "NA" }
        [tables.deals]
        from = "pipeline"
        group_by = "account"
        where = { column = "engage_date", not_empty = true }
        [tables.deals.columns]
        deal_id = "account"
        lead_id = { column = "opportunity_id" }
        created_at = { column = "engage_date", aggregate = "earliest" }
        stage = { value = "won" }
        amount = { column = "close_value", aggregate = "sum", default = "0" }
        product = { column = "opportunity_id", aggregate = "count" }
    """
    plan = ingest.check(write(tmp_path, pipeline__csv=PIPELINE), parse_mapping(textwrap.dedent(text)))
    deals = plan.tables["deals"].set_index("deal_id")
    # Acme: 100 + 0 + (empty) = 100 over 3 rows; Beta: only O5 is engaged, 1,250.50.
    assert deals["amount"].to_dict() == {"Acme": "100", "Beta": "1250.5"}
    assert deals["product"].to_dict() == {"Acme": "3", "Beta": "1"}
    assert deals.loc["Acme", "lead_id"] == "O1"  # the first non-empty of the group
    assert not plan.report.errors


def test_a_lookup_can_aggregate_over_the_other_exports_rows(tmp_path):
    text = """
        [sources.accounts]
        files = ["accounts*"]
        [sources.pipeline]
        files = ["pipeline*"]
        [tables.leads]
        from = "accounts"
        [tables.leads.columns]
        lead_id = "account"
        created_at = { column = "account", lookup = { source = "pipeline", key = "account", value = "engage_date", aggregate = "earliest" }, default = "2026-06-30" }
        channel = { value = "unknown" }
        sourced_by = { value = "sales" }
        segment = "sector"
        region = { value = "NA" }
    """
    paths = write(
        tmp_path,
        accounts__csv="""
            account,sector
            Acme,software
            Beta,retail
            Delta,retail
        """,
        pipeline__csv=PIPELINE,
    )
    plan = ingest.check(paths, parse_mapping(textwrap.dedent(text)))
    created = plan.tables["leads"].set_index("lead_id")["created_at"]
    # Acme's earliest engage date is 01-05, Beta's 03-01; Delta has no opportunity: the default.
    assert created.to_dict() == {
        "Acme": pd.Timestamp("2026-01-05"),
        "Beta": pd.Timestamp("2026-03-01"),
        "Delta": pd.Timestamp("2026-06-30"),
    }
    [default] = [p for p in plan.report.warnings if p.kind == "default_used"]
    assert default.count == 1


def test_a_lookup_into_an_export_without_a_file_is_named(tmp_path):
    text = """
        [sources.pipeline]
        files = ["pipeline*"]
        [sources.accounts]
        files = ["accounts*"]
        [tables.leads]
        from = "pipeline"
        [tables.leads.columns]
        lead_id = "opportunity_id"
        created_at = { value = "2026-01-01" }
        channel = { value = "unknown" }
        sourced_by = { value = "sales" }
        segment = { column = "account", lookup = { source = "accounts", key = "account", value = "sector" }, default = "unknown" }
        region = { value = "NA" }
    """
    plan = ingest.check(write(tmp_path, pipeline__csv=PIPELINE), parse_mapping(textwrap.dedent(text)))
    [error] = plan.report.errors
    assert error.kind == "missing_source"
    assert "no file for the accounts export, which leads.segment looks up" in error.expected
    assert "accounts*" in error.expected
    assert not [p for p in plan.report.warnings if p.kind == "default_used"]  # not 6 "default filled"


ACTIVITIES = """
[sources.calls]
files = ["calls*"]
empty_values = ["--"]
[tables.leads]
from = "calls"
distinct = true
explode = { column = "Contacts", split = ";" }
where = { column = "Contacts", not_empty = true }
[tables.leads.columns]
lead_id = "Contacts"
created_at = "Date"
channel = { value = "unknown" }
sourced_by = { value = "sales" }
segment = { value = "smb" }
region = { column = "Region", default = "unknown" }
[tables.touches]
from = "calls"
explode = { column = "Contacts", split = ";" }
where = { column = "Contacts", not_empty = true }
[tables.touches.columns]
touch_id = { template = "{Call}-{Contacts}" }
lead_id = "Contacts"
channel = { value = "outbound_sdr" }
team = { value = "sales" }
kind = { value = "call" }
touched_at = "Date"
"""


def test_explode_makes_one_row_per_associated_id_and_dashes_are_empty(tmp_path):
    paths = write(
        tmp_path,
        calls__csv="""
            Call,Contacts,Date,Region
            C1,101;102,2026-03-02 09:00,--
            C2,--,2026-03-02 10:00,EMEA
            C3, 103 ;;,2026-03-03 11:00,EMEA
        """,
    )
    plan = ingest.check(paths, parse_mapping(ACTIVITIES))
    touches = plan.tables["touches"]
    # C1 is associated with two contacts: two touches; C2 with none ("--"): no touch; C3 with one.
    assert touches["touch_id"].tolist() == ["C1-101", "C1-102", "C3-103"]
    assert touches["_row"].tolist() == [2, 2, 4]  # problems still name the export's row
    leads = plan.tables["leads"].set_index("lead_id")
    assert leads["region"].to_dict() == {"101": "unknown", "102": "unknown", "103": "EMEA"}  # "--" is empty
    assert not plan.report.errors


def test_a_person_in_two_roles_keeps_both(tmp_path):
    text = """
        [sources.deals]
        files = ["deals*"]
        [[tables.people]]
        from = "deals"
        distinct = true
        [tables.people.columns]
        person_id = "sr"
        name = "sr"
        team = { value = "sales" }
        role = { value = "ae" }
        [[tables.people]]
        from = "deals"
        distinct = true
        [tables.people.columns]
        person_id = "sdr"
        name = "sdr"
        team = { value = "sales" }
        role = { value = "sdr" }
        [tables.leads]
        from = "deals"
        [tables.leads.columns]
        lead_id = "lead"
        created_at = { value = "2026-01-01" }
        channel = { value = "unknown" }
        sourced_by = { value = "marketing" }
        segment = { value = "smb" }
        region = { value = "BR" }
    """
    paths = write(
        tmp_path,
        deals__csv="""
            lead,sr,sdr
            L1,P1,P2
            L2,P2,P3
            L3,P1,P3
        """,
    )
    plan = ingest.check(paths, parse_mapping(textwrap.dedent(text)))
    people = plan.tables["people"].set_index("person_id")["role"]
    # P2 is a sales rep on L2 and an SDR on L1: one person, both roles; P1 and P3 one role each.
    assert people.to_dict() == {"P1": "ae", "P2": "ae and sdr", "P3": "sdr"}


def test_constants_and_defaults_may_be_iso_whatever_the_date_formats(tmp_path):
    text = """
        date_formats = ["%d/%m/%Y"]
        [sources.crm]
        files = ["crm*"]
        [tables.leads]
        from = "crm"
        [tables.leads.columns]
        lead_id = "id"
        created_at = { column = "created", default = "2026-06-30" }
        mql_at = { value = "2026-07-01" }
        channel = { value = "web" }
        sourced_by = { value = "marketing" }
        segment = { value = "smb" }
        region = { value = "NA" }
    """
    paths = write(tmp_path, crm__csv="id,created\nL1,31/01/2026\nL2,\n")
    plan = ingest.check(paths, parse_mapping(textwrap.dedent(text)))
    leads = plan.tables["leads"].set_index("lead_id")
    assert leads["created_at"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-06-30")]
    assert leads["mql_at"].tolist() == [pd.Timestamp("2026-07-01")] * 2
    assert not plan.report.errors


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            'created_at = { column = "created", aggregate = "earliest" }',
            "columns.created_at aggregate: aggregate applies to a feed with group_by",
        ),
        (
            'created_at = { column = "created", lookup = { source = "crm", key = "id", value = "x", aggregate = "most" } }',
            "aggregate is first, earliest, latest, count or sum",
        ),
    ],
)
def test_aggregate_mistakes_are_named(columns, message):
    text = f"""
[sources.crm]
files = ["crm*"]
[tables.leads]
from = "crm"
[tables.leads.columns]
lead_id = "id"
{columns}
channel = {{ value = "web" }}
sourced_by = {{ value = "marketing" }}
segment = {{ value = "smb" }}
region = {{ value = "NA" }}
"""
    with pytest.raises(MappingError, match=message.replace("(", r"\(")):
        parse_mapping(text)
