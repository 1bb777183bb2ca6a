"""`mapping init`: a starting mapping drafted from hand-made exports, matched by name and by content."""

from __future__ import annotations

import textwrap
import tomllib

import pytest

from handoff import ingest
from handoff.cli import main
from handoff.ingest.draft import draft_mapping, render
from handoff.ingest.mapping import load_mapping, parse_mapping, parse_mapping_file
from handoff.ingest.profile import NAMES, normalise
from tests.fixtures import ROOT

LEADS = """\
Lead Number,Created (dd/mm/yyyy),Source,Employees,Owner
L-1,14/01/2026,Google Ads,12,Ana Silva
L-2,15/01/2026,Webinar,250,Ana Silva
L-3,20/01/2026,Google Ads,1500,Ben Okafor
L-4,02/02/2026,Outbound,40,Ben Okafor
L-5,03/02/2026,Webinar,,Ana Silva
L-6,13/02/2026,Newsletter,800,
"""
DEALS = """\
Opp Number,Lead Number,Stage,Value,Close Date
D-1,L-1,Won,1200.50,20/02/2026
D-2,L-3,Lost,900,25/02/2026
D-3,L-4,Negotiation,5000,
D-4,L-2,Won,300.00,01/03/2026
"""


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def exports(tmp_path):
    return [write(tmp_path, "leads.csv", LEADS), write(tmp_path, "deals.csv", DEALS)]


def comment_above(text: str, line: str) -> str:
    """The comment lines of `text` just above `line`, joined (a long comment wraps onto '#   ' lines)."""
    lines = text.splitlines()
    above: list[str] = []
    for previous in reversed(lines[: lines.index(line)]):
        if not previous.startswith("#"):
            break
        above.insert(0, previous.removeprefix("#").strip())
    return " ".join(above)


def test_columns_are_matched_by_name_and_the_date_format_by_content(exports):
    draft = draft_mapping(exports)
    document = tomllib.loads(draft.text)
    assert document["date_formats"] == ["%d/%m/%Y"]
    assert document["sources"] == {
        "leads": {"files": ["leads*"], "required": True},
        "deals": {"files": ["deals*"]},
    }
    leads = document["tables"]["leads"]
    assert leads["from"] == "leads"
    assert leads["columns"] == {
        "lead_id": "Lead Number",
        "created_at": "Created (dd/mm/yyyy)",
        "channel": {
            "column": "Source",
            # values the presets know take their codes (Outbound), the others a code of their own
            "map": {"Google Ads": "google_ads", "Webinar": "webinar", "Outbound": "outbound_sdr", "Newsletter": "newsletter"},
            "default": "unknown",
        },
        "sourced_by": {"column": "Source", "map": {"Outbound": "sales"}, "other": "marketing", "default": "marketing"},
        "segment": {"column": "Employees", "bins": [[0, "smb"], [200, "mid_market"], [1000, "enterprise"]], "default": "unknown"},
        "region": {"value": "unknown"},
        "company_size": "Employees",
        "owner_id": "Owner",
    }  # fmt: skip
    deals = document["tables"]["deals"]["columns"]
    assert deals == {
        "deal_id": "Opp Number",
        "lead_id": "Lead Number",
        # no date the deal was opened: its lead's
        "created_at": {
            "column": "Lead Number",
            "lookup": {"source": "leads", "key": "Lead Number", "value": "Created (dd/mm/yyyy)"},
        },
        "closed_at": {"column": "Close Date", "when": {"column": "Stage", "in": ["Won", "Lost"]}},
        "stage": {"column": "Stage", "map": {"Won": "won", "Lost": "lost", "Negotiation": "open"}, "other": "open"},
        "amount": {"column": "Value", "default": "0"},
    }  # fmt: skip
    people = document["tables"]["people"]
    assert people["where"] == {"column": "Owner", "not_empty": True} and people["distinct"] is True
    assert people["columns"] == {"person_id": "Owner", "name": "Owner", "team": {"value": "sales"}, "role": {"value": "sdr"}}  # fmt: skip


def test_a_required_column_with_nothing_to_make_it_is_a_todo_and_a_guess_is_unsure(exports):
    text = draft_mapping(exports).text
    assert comment_above(text, 'region = { value = "unknown" }') == (
        "TODO: no region or country column found: every lead is 'unknown' until you name yours "
        '(region = "Country")'
    )
    lookup = next(line for line in text.splitlines() if line.startswith("created_at = { column"))
    assert comment_above(text, lookup).startswith("unsure: no date the deal was opened")
    assert "not found (optional): industry, score, mql_at" in text.replace("\n#   ", " ")


def test_the_draft_parses_and_imports_without_errors(exports, tmp_path):
    path = tmp_path / "draft.toml"
    path.write_text(draft_mapping(exports).text)
    mapping = parse_mapping_file(path)
    assert [f"{t}:{f.source}" for t, feeds in mapping.feeds.items() for f in feeds] == [
        "people:leads",
        "leads:leads",
        "deals:deals",
    ]
    plan = ingest.check(exports, mapping)
    assert not plan.report.fatal and not plan.report.errors
    assert plan.report.tables["leads"]["mapped"] == 6 and plan.report.tables["deals"]["mapped"] == 4
    deals = plan.tables["deals"].set_index("deal_id")
    assert deals.loc["D-1", "created_at"].isoformat() == "2026-01-14T00:00:00"  # its lead's, day first
    assert list(deals["stage"]) == ["won", "lost", "open", "won"]
    leads = plan.tables["leads"].set_index("lead_id")
    assert list(leads["segment"]) == ["smb", "mid_market", "enterprise", "smb", "unknown", "mid_market"]
    assert leads.loc["L-4", "sourced_by"] == "sales"


def test_several_candidates_for_a_column_are_unsure(tmp_path):
    contacts = write(
        tmp_path, "contacts.csv", "Record ID,Create Date,Region,Country\n1,2026-04-03,EMEA,France\n"
    )
    text = draft_mapping([contacts]).text
    # Region comes first among the names of a region, so it is used; Country could be too
    line = 'region = { column = "Region", map = { "EMEA" = "EMEA" }, default = "unknown" }'
    assert comment_above(text, line) == "unsure: 2 columns could be region: 'Region' (used), 'Country'"


def test_dates_that_read_both_ways_are_unsure_unless_another_column_settles_it(tmp_path):
    contacts = write(
        tmp_path,
        "contacts.csv",
        """\
        Record ID,Create Date,MQL Date
        1,03/04/2026,05/04/2026
        2,05/04/2026,06/04/2026
        """,
    )
    text = draft_mapping([contacts]).text
    assert (
        "# unsure: every value in the first rows reads both month first and day first (no day above" in text
    )
    assert tomllib.loads(text)["date_formats"] == ["%m/%d/%Y"]
    # a day above 12 in one column settles the order for the others of the file
    (tmp_path / "contacts.csv").write_text("Record ID,Create Date,MQL Date\n1,03/04/2026,25/04/2026\n")
    text = draft_mapping([contacts]).text
    assert "reads both" not in text
    assert tomllib.loads(text)["date_formats"] == ["%d/%m/%Y"]


def test_us_timestamps_with_am_pm_and_a_salesforce_footer(tmp_path):
    leads = write(
        tmp_path,
        "leads report.csv",
        """\
        "Lead ID","Create Date","Converted Date","Lead Source"
        "00Q1","3/14/2026 9:05 AM","3/20/2026","Web"
        "00Q2","3/15/2026 1:30 PM","","Cold Call"

        "Confidential Information - Do Not Distribute"
        """,
    )
    document = tomllib.loads(draft_mapping([leads]).text)
    assert document["date_formats"] == ["%m/%d/%Y %I:%M %p", "%m/%d/%Y"]
    assert document["sources"]["leads_report"] == {
        "files": ["leads report*"],
        "required": True,
        "stop_at_blank_row": True,
    }
    columns = document["tables"]["leads"]["columns"]
    assert columns["sql_at"] == "Converted Date" and columns["channel"]["map"] == {
        "Web": "organic_search",
        "Cold Call": "outbound_sdr",
    }
    plan = ingest.check([leads], parse_mapping(draft_mapping([leads]).text))
    assert not plan.report.errors
    assert plan.tables["leads"]["created_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2026-03-14 09:05",
        "2026-03-15 13:30",
    ]


def test_an_opportunities_file_alone_gives_one_lead_a_deal_and_an_accounts_file_is_looked_up(tmp_path):
    pipeline = write(
        tmp_path,
        "sales_pipeline.csv",
        """\
        opportunity_id,sales_agent,account,deal_stage,engage_date,close_date,close_value
        O1,Moses Frase,Cancity,Won,2016-10-20,2017-03-01,1054
        O2,Darcel Schlecht,Isdom,Lost,2016-10-25,2017-03-11,0
        O3,Darcel Schlecht,Cancity,Engaging,2016-11-02,,
        """,
    )
    accounts = write(
        tmp_path,
        "accounts.csv",
        """\
        account,sector,employees,office_location
        Cancity,retail,4525,United States
        Isdom,medical,4540,Kenya
        """,
    )
    draft = draft_mapping([pipeline, accounts])
    document = tomllib.loads(draft.text)
    leads = document["tables"]["leads"]
    assert leads["from"] == "sales_pipeline" and leads["columns"]["lead_id"] == "opportunity_id"
    assert "# No leads export among the files: one lead per deal of sales_pipeline.csv" in draft.text
    assert leads["columns"]["created_at"] == "engage_date"
    assert leads["columns"]["industry"] == {
        "column": "account",
        "lookup": {"source": "accounts", "key": "account", "value": "sector"},
    }
    assert leads["columns"]["region"]["map"] == {"United States": "NA", "Kenya": "EMEA"}
    assert document["tables"]["deals"]["columns"]["lead_id"] == "opportunity_id"
    plan = ingest.check([pipeline, accounts], parse_mapping(draft.text))
    assert not plan.report.errors
    assert plan.tables["leads"]["segment"].tolist() == ["enterprise", "enterprise", "enterprise"]


def test_without_a_lead_id_the_draft_says_so(tmp_path):
    notes = write(tmp_path, "notes.csv", "Stage,Comment\nopen,call back\nopen,call back\n")
    draft = draft_mapping([notes])
    assert "# lead_id = ???  # TODO: no column looks like a lead id" in draft.text
    assert draft.notes[0].startswith("no column of notes.csv looks like a lead id")
    tomllib.loads(draft.text)  # still TOML
    with pytest.raises(ingest.MappingError, match="leads needs lead_id"):
        parse_mapping(draft.text)


def test_a_file_with_no_date_gets_a_placeholder_the_import_names(tmp_path):
    leads = write(tmp_path, "leads.csv", "Prospect ID,Lead Source\na1,Google\na2,Olark Chat\n")
    draft = draft_mapping([leads])
    assert comment_above(draft.text, 'created_at = { value = "???" }').startswith(
        "TODO: no date column found; every lead needs one."
    )
    plan = ingest.check([leads], parse_mapping(draft.text))
    assert [(g.kind, g.table, g.column, g.count) for g in plan.report.errors] == [
        ("bad_timestamp", "leads", "created_at", 2)
    ]
    fixed = draft.text.replace('created_at = { value = "???" }', 'created_at = { value = "2026-01-31" }')
    assert not ingest.check([leads], parse_mapping(fixed)).report.errors


def test_strings_are_escaped_for_toml(tmp_path):
    odd = write(tmp_path, "odd.csv", 'Lead ID,"Created ""on""",Source\n1,2026-01-02,"a\\b ""c"""\n')
    draft = draft_mapping([odd])
    document = tomllib.loads(render(draft))
    columns = document["tables"]["leads"]["columns"]
    assert columns["created_at"] == 'Created "on"'
    assert columns["channel"]["map"] == {'a\\b "c"': "a_b_c"}


def test_the_names_include_every_column_the_presets_read_for_leads_and_deals():
    missing = []
    for preset in ("hubspot", "salesforce"):
        for table, feeds in load_mapping(preset).feeds.items():
            for feed in feeds if table in NAMES else ():
                for column, spec in feed.columns.items():
                    if spec.lookup or spec.template or spec.value is not None:
                        continue
                    # who sourced a lead is read from its channel column
                    known = NAMES[table].get("channel" if column == "sourced_by" else column, ())
                    missing += [
                        f"{preset} {table}.{column} {name!r}"
                        for name in spec.columns
                        if normalise(name) not in map(normalise, known)
                    ]
    assert not missing


def test_mapping_init_writes_stdout_or_a_file_and_will_not_overwrite_it(exports, tmp_path, capsys):
    assert main(["mapping", "init", *map(str, exports)]) == 0
    out, err = capsys.readouterr()
    assert tomllib.loads(out)["tables"]["leads"]["columns"]["lead_id"] == "Lead Number"
    assert err.splitlines() == [
        "drafted people from leads.csv, leads from leads.csv, deals from deals.csv; 3 unsure lines, 1 TODO"
    ]
    target = tmp_path / "mine.toml"
    assert main(["mapping", "init", *map(str, exports), "--out", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert parse_mapping_file(target).feeds["leads"][0].source == "leads"
    target.write_text("# edited\n")
    assert main(["mapping", "init", *map(str, exports), "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {target} exists already: pass --force to replace it, or choose another --out\n"
    assert target.read_text() == "# edited\n"
    assert main(["mapping", "init", *map(str, exports), "--out", str(target), "--force"]) == 0
    assert target.read_text().startswith("# Drafted by")


def test_mapping_init_refuses_a_missing_file_in_one_line(tmp_path, capsys):
    assert main(["mapping", "init", str(tmp_path / "nope.csv")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {tmp_path / 'nope.csv'}: no such file\n"


def test_exports_a_preset_reads_are_pointed_to_it(exports):
    samples = ROOT / "tests" / "data" / "import"
    hubspot = draft_mapping(sorted(samples.glob("hubspot-*.csv")))
    assert any(
        note.startswith("these files look like hubspot exports: --mapping hubspot") for note in hubspot.notes
    )
    salesforce = draft_mapping(sorted(samples.glob("salesforce-*.csv")))
    assert any("--mapping salesforce reads them" in note for note in salesforce.notes)
    # The hand-made exports fit no preset: nothing is suggested.
    assert not any("look like" in note for note in draft_mapping(exports).notes)
