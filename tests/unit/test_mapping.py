"""Mapping files: the presets parse, mistakes are named, and every way of making a column works."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from handoff import ingest
from handoff.ingest.mapping import MappingError, load_mapping, parse_mapping, preset_names

LEADS_HEAD = """
[sources.crm]
files = ["*.csv"]
[tables.leads]
from = "crm"
[tables.leads.columns]
"""
REQUIRED = """lead_id = "id"
created_at = "created"
sourced_by = { value = "marketing" }
segment = { value = "smb" }
region = { value = "NA" }
"""


def mapping(columns: str, head: str = LEADS_HEAD, extra: str = "") -> str:
    return textwrap.dedent(head) + textwrap.dedent(columns) + textwrap.dedent(extra)


def check_csv(tmp_path, text: str, csv_text: str, name: str = "crm.csv", **files):
    (tmp_path / name).write_text(textwrap.dedent(csv_text).lstrip())
    paths = [tmp_path / name]
    for file_name, content in files.items():
        (tmp_path / file_name.replace("__", ".")).write_text(textwrap.dedent(content).lstrip())
        paths.append(tmp_path / file_name.replace("__", "."))
    return ingest.check(paths, parse_mapping(text))


def test_every_preset_parses():
    assert preset_names() == ["canonical", "hubspot", "olist", "salesforce"]
    for name in preset_names():
        assert load_mapping(name).name == name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'", "the mapping names no sources"),
        ("[sources.crm]\n", "the mapping fills no tables"),
        (
            mapping(REQUIRED.replace('lead_id = "id"\n', "")),
            "leads needs lead_id, channel, but the mapping does not say",
        ),
        (mapping(REQUIRED + 'colour = "red"\n'), "leads has no column 'colour'"),
        (mapping(REQUIRED + 'channel = { column = "c", value = "x" }\n'), "use column or value, not both"),
        (mapping(REQUIRED + 'channel = { map = { a = "b" } }\n'), "say where the value comes from"),
        (
            mapping(REQUIRED + 'channel = { column = "c", pick = "earliest" }\n'),
            "apply to dates and timestamps only",
        ),
        (mapping(REQUIRED + 'score = { column = "s", clip = [0] }\n'), "clip is [lowest, highest]"),
        (
            mapping(REQUIRED + 'segment = { column = "n", bins = [[100, "b"], [0, "a"]] }\n').replace(
                'segment = { value = "smb" }\n', ""
            ),
            "from the lowest number up",
        ),
        (mapping(REQUIRED + 'channel = { column = "c", lookup = { source = "crm" } }\n'), "a lookup needs"),
        (mapping(REQUIRED + 'channel = { template = "no braces" }\n'), "a template names columns in braces"),
        (
            mapping(REQUIRED + 'channel = { column = "c", when = { in = ["x"] } }\n'),
            "a condition needs a column",
        ),
        (
            mapping(
                REQUIRED, head=LEADS_HEAD.replace('files = ["*.csv"]', 'files = ["*.csv"]\ndelimiter = ":"')
            ),
            "is not one of auto",
        ),
        (
            mapping(
                REQUIRED,
                head=LEADS_HEAD.replace('files = ["*.csv"]', 'files = ["*.csv"]\nencoding = "klingon"'),
            ),
            "unknown encoding 'klingon'",
        ),
        (
            mapping(
                REQUIRED,
                head=LEADS_HEAD.replace('files = ["*.csv"]', 'files = ["*.csv"]\ntimezone = "Mars/Base"'),
            ),
            "unknown time zone 'Mars/Base'",
        ),
        (
            mapping(REQUIRED + 'channel = "c"\n', extra="[sources.unused]\n"),
            "[sources.unused]: no table reads this source",
        ),
        (
            mapping(REQUIRED).replace('from = "crm"', 'frm = "crm"'),
            "unknown setting 'frm' (did you mean 'from'?)",
        ),
    ],
)
def test_a_mistake_in_a_mapping_is_named(text, message):
    with pytest.raises(MappingError) as raised:
        parse_mapping(text, name="m")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_constants_maps_defaults_and_other(tmp_path):
    text = mapping(
        REQUIRED
        + textwrap.dedent("""
        channel = { column = "source", map = { "Paid Search" = "paid_search", "Email" = "email" }, other = "other", default = "unknown" }
    """)
    )
    plan = check_csv(
        tmp_path,
        text,
        """
        id,created,source
        1,2026-01-01,paid search
        2,2026-01-02,Billboard
        3,2026-01-03,
    """,
    )
    # Map keys match trimmed and case-insensitively; unmapped values take `other`, empty ones `default`.
    assert plan.tables["leads"]["channel"].tolist() == ["paid_search", "other", "unknown"]
    assert plan.tables["leads"]["sourced_by"].tolist() == ["marketing"] * 3
    assert [p.kind for p in plan.report.warnings] == ["default_used"]


def test_templates_splits_and_conditions(tmp_path):
    text = mapping(
        REQUIRED
        + textwrap.dedent("""
        channel = { template = "{source}-{medium}" }
        owner_id = { column = "owners", split = ";" }
        disqualified_at = { column = "status_date", when = { column = "status", in = ["Unqualified", "Junk"] } }
    """).replace('lead_id = "id"', 'lead_id = "id"'),
        extra="""
        [tables.people]
        from = "crm"
        distinct = true
        where = { column = "owners", not_empty = true }
        [tables.people.columns]
        person_id = { column = "owners", split = ";" }
        name = { column = "owners", split = ";" }
        team = { value = "sales" }
        role = { value = "sdr" }
    """,
    )
    plan = check_csv(
        tmp_path,
        text,
        """
        id,created,source,medium,owners,status,status_date
        1,2026-01-01,google,cpc,;Ann;Bo,unqualified,2026-01-05
        2,2026-01-02,,email,Bo,Working,2026-01-06
        3,2026-01-03,x,y,,Junk,2026-01-07
    """,
    )
    leads = plan.tables["leads"]
    # A template is empty if any column in it is; split takes the first non-empty part.
    assert leads["channel"].fillna("-").tolist() == ["google-cpc", "-", "x-y"]
    assert leads["owner_id"].fillna("-").tolist() == ["Ann", "Bo", "-"]
    assert leads["disqualified_at"].notna().tolist() == [True, False, True]
    assert sorted(plan.tables["people"]["person_id"]) == ["Ann", "Bo"]  # distinct owners, blanks filtered out
    assert ("missing_required", "leads.channel") in {(p.kind, p.where) for p in plan.report.errors}


def test_lookup_takes_a_value_from_another_export(tmp_path):
    text = """
        [sources.crm]
        files = ["crm*"]
        [sources.orders]
        files = ["orders*"]
        [tables.leads]
        from = "crm"
        [tables.leads.columns]
        lead_id = "id"
        created_at = "created"
        channel = { value = "web" }
        sourced_by = { value = "marketing" }
        segment = { value = "smb" }
        region = { value = "NA" }
        [tables.deals]
        from = "orders"
        [tables.deals.columns]
        deal_id = "order"
        lead_id = { column = "order", lookup = { source = "crm", key = "converted_order", value = "id" } }
        created_at = { column = "order", lookup = { source = "crm", key = "converted_order", value = "created" } }
        stage = { value = "won" }
        amount = "total"
        closed_at = "paid"
    """
    plan = check_csv(
        tmp_path,
        textwrap.dedent(text),
        """
        id,created,converted_order
        L1,2026-01-01,O1
        L2,2026-01-02,
    """,
        name="crm.csv",
        orders__csv="""
        order,total,paid
        O1,"1,200.50",2026-01-09
        O2,80,2026-01-10
    """,
    )
    deals = plan.tables["deals"]
    assert deals["lead_id"].fillna("-").tolist() == ["L1", "-"]  # O2 was converted from no lead
    assert deals["created_at"].tolist()[0] == pd.Timestamp("2026-01-01")
    assert deals["amount"].tolist()[0] == "1200.50"
    assert {(p.kind, p.where) for p in plan.report.errors} == {
        ("missing_required", "deals.lead_id"),
        ("missing_required", "deals.created_at"),
    }


def test_bins_pick_clip_and_formats(tmp_path):
    text = mapping(
        textwrap.dedent("""
        lead_id = "id"
        created_at = { column = ["first_seen", "created"], pick = "earliest" }
        mql_at = { column = "mql", format = "%d/%m/%Y %H:%M" }
        sourced_by = { value = "marketing" }
        region = { value = "NA" }
        channel = { value = "web" }
        score = { column = "score", clip = [0, 100] }
        segment = { column = "employees", bins = [[0, "smb"], [200, "mid_market"], [1000, "enterprise"]], other = "unknown" }
    """)
    )
    plan = check_csv(
        tmp_path,
        text,
        """
        id,created,first_seen,mql,score,employees
        1,2026-01-05,2026-01-03,06/01/2026 09:30,150,"1,500"
        2,2026-01-05,,07/01/2026 10:00,-4,199
        3,2026-01-05,2026-01-09,,50,lots
    """,
    )
    leads = plan.tables["leads"]
    assert leads["created_at"].tolist() == [
        pd.Timestamp("2026-01-03"),
        pd.Timestamp("2026-01-05"),
        pd.Timestamp("2026-01-05"),
    ]
    assert leads["mql_at"].tolist()[:2] == [
        pd.Timestamp("2026-01-06 09:30"),
        pd.Timestamp("2026-01-07 10:00"),
    ]
    assert leads["score"].tolist() == [100, 0, 50]
    assert leads["segment"].tolist() == ["enterprise", "smb", "unknown"]
    assert not plan.report.errors


def test_timezone_turns_local_times_into_utc(tmp_path):
    text = mapping(
        REQUIRED + 'channel = { value = "web" }\n',
        head=LEADS_HEAD.replace('files = ["*.csv"]', 'files = ["*.csv"]\ntimezone = "Europe/Paris"'),
    )
    plan = check_csv(
        tmp_path,
        text,
        """
        id,created
        1,2026-01-15 10:00
        2,2026-07-15 10:00
        3,2026-07-15T10:00:00Z
    """,
    )
    # Paris is UTC+1 in winter, UTC+2 in summer; a value with its own offset keeps it.
    assert plan.tables["leads"]["created_at"].tolist() == [
        pd.Timestamp("2026-01-15 09:00"),
        pd.Timestamp("2026-07-15 08:00"),
        pd.Timestamp("2026-07-15 10:00"),
    ]


def test_an_optional_column_may_be_absent_and_a_column_name_is_matched_loosely(tmp_path):
    text = mapping(
        REQUIRED + 'channel = { value = "web" }\nindustry = { column = "Industry", optional = true }\n'
    )
    plan = check_csv(
        tmp_path,
        text.replace('"created"', '"Created"'),
        """
        id , created
        1,2026-01-01
    """,
    )
    assert not plan.report.errors
    assert [p.kind for p in plan.report.warnings] == ["optional_column_absent"]
    assert plan.report.warnings[0].rows["column"].tolist() == ["Industry"]
