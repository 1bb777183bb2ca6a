"""Import and export: round trips, the presets against counts taken straight from their files,
quarantine, file formats, and the atomic swap."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from handoff import db, ingest
from handoff.cli import main
from handoff.ingest.canonical import CANONICAL, TABLE_ORDER
from tests.fixtures import REAL_DATA, ROOT, require_real_data

DATA = ROOT / "tests" / "data" / "import"
CANONICAL_SAMPLE = sorted((DATA / "canonical").glob("*.csv"))
OLIST = REAL_DATA / "olist-marketing-funnel"
OLIST_FILES = sorted(OLIST.glob("*.csv"))


def rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    """A CSV file's rows, read with the standard library (an independent reading of the file)."""
    with path.open(newline="", encoding=encoding) as handle:
        return list(csv.DictReader(handle))


def table(path: Path, name: str) -> pd.DataFrame:
    order = "all" if name == "targets" else ", ".join(CANONICAL[name].key)
    return db.execute(f"select * from {name} order by {order}", db=path)


@pytest.fixture(autouse=True)
def _close():
    yield
    db.close_connections()


# ---------------------------------------------------------------------------------------------
# Export and the canonical round trip


def test_export_then_import_round_trips_the_demo_database_exactly(demo_db, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    written = ingest.export(demo_db, first)
    assert [p.name for p in written] == [f"{t}.csv" for t in TABLE_ORDER] + ["handoff_meta.csv"]
    copy = tmp_path / "copy.duckdb"
    plan, result = ingest.import_files(sorted(first.glob("*.csv")), "canonical", copy)
    assert not plan.report.errors
    ingest.export(copy, second)
    # The same bytes out, table by table.
    for path in first.iterdir():
        assert filecmp.cmp(path, second / path.name, shallow=False), path.name
    # And the same values in, including the derived table and the as-of date the periods count from.
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(table(demo_db, name), table(copy, name))
    milestones = "select * from lead_milestones order by lead_id"
    pd.testing.assert_frame_equal(db.execute(milestones, db=demo_db), db.execute(milestones, db=copy))
    assert db.read_meta(copy)["as_of"] == db.read_meta(demo_db)["as_of"] == "2026-06-30"
    assert result.loaded["leads"] == 4000


def test_export_writes_one_canonical_csv_per_table_with_canonical_columns(demo_db, tmp_path):
    ingest.export(demo_db, tmp_path)
    for name in TABLE_ORDER:
        with (tmp_path / f"{name}.csv").open() as handle:
            assert next(csv.reader(handle)) == CANONICAL[name].column_names
    assert rows(tmp_path / "handoff_meta.csv") == [{"key": "as_of", "value": "2026-06-30"}]


def test_the_export_command_writes_the_files_and_says_where(demo_db, tmp_path, capsys):
    assert main(["export", "--db", str(demo_db), str(tmp_path / "out")]) == 0
    assert "wrote 7 files" in capsys.readouterr().out
    assert len(rows(tmp_path / "out" / "leads.csv")) == 4000


def test_canonical_mapping_matches_the_schema(demo_db):
    """The importer's idea of the tables is the schema's: names, order, types and NOT NULLs."""
    columns = db.execute(
        "select table_name, column_name, data_type, is_nullable from information_schema.columns "
        "where table_name in ('people', 'campaigns', 'leads', 'touches', 'deals', 'targets') "
        "order by table_name, ordinal_position",
        db=demo_db,
    )
    types = {
        "text": "VARCHAR",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "integer": "INTEGER",
        "decimal": "DECIMAL(18,2)",
    }
    for name, frame in columns.groupby("table_name"):
        table_def = CANONICAL[name]
        assert list(frame["column_name"]) == table_def.column_names
        for row in frame.itertuples():
            column = table_def.column(row.column_name)
            assert types[column.type] == row.data_type, row
            assert (row.is_nullable == "NO") == (
                column.required
                or name == "deals"
                and column.name == "amount"
                or column.name in CANONICAL[name].key[:1]
            ), row


# ---------------------------------------------------------------------------------------------
# Olist: real data, checked against counts computed straight from the CSV files


@pytest.fixture(scope="module")
def olist_db(tmp_path_factory) -> Path:
    require_real_data(OLIST)
    path = tmp_path_factory.mktemp("olist") / "olist.duckdb"
    ingest.import_files(OLIST_FILES, "olist", path)
    return path


def test_olist_imports_with_the_preset_and_keeps_every_row(olist_db):
    require_real_data(OLIST)
    mqls = rows(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    won = rows(OLIST / "olist_closed_deals_dataset.csv")
    counts = db.run_query("data__table_counts", db=olist_db).set_index("table_name")["row_count"]
    assert (len(mqls), len(won)) == (8000, 842)
    assert counts["leads"] == len(mqls) and counts["deals"] == len(won)
    srs, sdrs = {r["sr_id"] for r in won if r["sr_id"]}, {r["sdr_id"] for r in won if r["sdr_id"]}
    assert counts["people"] == len(srs | sdrs)
    # A seller who is an SR on some deals and an SDR on others is one person in both roles (13 are).
    roles = db.execute("select person_id, role from people", db=olist_db).set_index("person_id")["role"]
    assert {p for p, role in roles.items() if role == "ae and sdr"} == srs & sdrs
    # Each closed lead is owned by the SDR who worked it.
    owners = db.execute("select lead_id, owner_id from leads where owner_id is not null", db=olist_db)
    assert dict(zip(owners["lead_id"], owners["owner_id"], strict=True)) == {
        r["mql_id"]: r["sdr_id"] for r in won
    }


def test_olist_funnel_counts_match_the_csv_files(olist_db):
    require_real_data(OLIST)
    mqls = rows(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    won = rows(OLIST / "olist_closed_deals_dataset.csv")
    # Cohort by month of first contact: every MQL reached MQL; Won = its mql_id is in the deals file.
    won_ids = {r["mql_id"] for r in won}
    expected = Counter()
    for r in mqls:
        month = r["first_contact_date"][:7]
        expected[(month, "mql")] += 1
        expected[(month, "won")] += r["mql_id"] in won_ids
    got = db.execute(
        "select strftime(created_at, '%Y-%m') as month, count(*) filter (where reached_mql) as mql, "
        "count(*) filter (where reached_won) as won from lead_milestones group by all order by 1",
        db=olist_db,
    )
    for row in got.itertuples():
        assert (row.mql, row.won) == (expected[(row.month, "mql")], expected[(row.month, "won")]), row.month
    assert got["mql"].sum() == 8000 and got["won"].sum() == 842
    # Won by original source (origin), the channel filter of every page.
    origin = {r["mql_id"]: r["origin"] or "unknown" for r in mqls}
    expected_by_channel = Counter(origin[r["mql_id"]] for r in won)
    by_channel = db.execute(
        "select l.channel, count(*) as won from lead_milestones m join leads l using (lead_id) "
        "where m.reached_won group by all",
        db=olist_db,
    )
    assert dict(zip(by_channel["channel"], by_channel["won"], strict=True)) == dict(expected_by_channel)


def test_olist_funnel_query_shows_lead_mql_to_won(olist_db):
    require_real_data(OLIST)
    """The Funnel page's own query, on the whole cohort and on two months, against the CSV files."""
    if "funnel__stage_counts" not in db.list_queries():
        pytest.skip("funnel__stage_counts is not there yet")
    mqls = rows(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    won_ids = {r["mql_id"] for r in rows(OLIST / "olist_closed_deals_dataset.csv")}
    for start, end in [(None, None), ("2018-01-01", "2018-02-01"), ("2017-06-01", "2017-09-01")]:
        cohort = [r for r in mqls if start is None or start <= r["first_contact_date"] < end]
        frame = db.run_query("funnel__stage_counts", db=olist_db, start=start, end=end)
        reached = dict(zip(frame["stage"], frame["reached_count"], strict=True))
        won = sum(r["mql_id"] in won_ids for r in cohort)
        # Every Olist lead is an MQL; a won deal means the lead reached SAL, SQL and Opportunity too.
        assert (reached["Lead"], reached["MQL"]) == (len(cohort), len(cohort)), (start, end)
        assert reached["SAL"] == reached["SQL"] == reached["Opportunity"] == reached["Won"] == won, (
            start,
            end,
        )


def test_olist_one_deal_won_before_its_first_contact_loads_with_a_warning(olist_db):
    require_real_data(OLIST)
    problems = db.run_query("data__import_problems", db=olist_db)
    negative = problems[problems["problem"] == "negative cycle time"]
    assert negative["problem_count"].tolist() == [1]
    assert "closed 2018-03-06 19:38, created 2018-03-08 00:00" in negative["value"].iloc[0]


# ---------------------------------------------------------------------------------------------
# HubSpot and Salesforce samples, checked against the sample files


def test_hubspot_contacts_and_deals_map_onto_leads_deals_and_owners(tmp_path):
    files = sorted(DATA.glob("hubspot-*.csv"))
    plan, _ = ingest.import_files(files, "hubspot", tmp_path / "h.duckdb")
    contacts = rows(DATA / "hubspot-crm-exports-all-contacts-2026-04-01.csv")
    deals = rows(DATA / "hubspot-crm-exports-all-deals-2026-04-01.csv")
    path = tmp_path / "h.duckdb"
    leads = table(path, "leads").set_index("lead_id")
    assert len(leads) == len(contacts)
    assert leads["mql_at"].notna().sum() == sum(
        1 for c in contacts if c["Became a Marketing Qualified Lead Date"]
    )
    assert leads.loc["5110", "sourced_by"] == "sales"  # Original Source "Offline Sources"
    assert leads.loc["5104", "channel"] == "unknown"  # no Original Source
    assert leads.loc["5112", "score"] == 100  # HubSpot Score 120, clipped to 0-100
    assert leads.loc["5108", "segment"] == "enterprise" and leads.loc["5121", "region"] == "Iceland"
    # First Name + Last Name, and Company Name, as the queues show them.
    assert leads.loc["5101", ["lead_name", "company_name"]].tolist() == ["Priya Raman", "Northwind Labs"]
    got = table(path, "deals").set_index("deal_id")
    assert len(got) == len(deals)
    assert got.loc["9002", "lead_id"] == "5102"  # the first of "5102;5107"
    stages = Counter(got["stage"])
    assert stages == Counter(
        "won" if d["Deal Stage"] == "Closed Won" else "lost" if d["Deal Stage"] == "Closed Lost" else "open"
        for d in deals
    )
    assert (
        got.loc[got["stage"] == "open", "closed_at"].isna().all()
    )  # an open deal's Close Date is a forecast
    assert float(got.loc["9003", "amount"]) == 96500.50 and float(got.loc["9006", "amount"]) == 0
    owners = {c["Contact owner"] for c in contacts if c["Contact owner"]} | {d["Deal owner"] for d in deals}
    activities = [
        DATA / f"hubspot-crm-exports-all-{kind}-2026-04-01.csv"
        for kind in ("calls", "emails", "meetings", "tasks")
    ]
    loggers = {a["Activity assigned to"] for f in activities for a in rows(f)}
    people = table(path, "people").set_index("person_id")
    assert set(people.index) == owners | loggers  # and Rita Gomez, who only logs calls
    assert people.loc["Rita Gomez", "role"] == "rep" and people.loc["Alex Moreau", "role"] == "ae"
    warned = {(p.kind, p.where) for p in plan.report.warnings}
    assert ("stages_out_of_order", "leads.mql_at") in warned  # 5111 became an MQL before it was created
    assert ("default_used", "deals.amount") in warned


def test_salesforce_reports_skip_the_footer_and_link_opportunities_to_converted_leads(tmp_path):
    files = sorted(DATA.glob("salesforce-*.csv"))
    plan, _ = ingest.import_files(files, "salesforce", tmp_path / "s.duckdb")
    path = tmp_path / "s.duckdb"
    leads_file = rows(DATA / "salesforce-leads-report.csv", "cp1252")
    real_leads = [r for r in leads_file if r["Lead ID"].startswith("00Q")]
    reads = {f.name: f for f in plan.report.files}
    assert reads["salesforce-leads-report.csv"].rows == len(real_leads)
    assert reads["salesforce-leads-report.csv"].encoding == "Windows-1252"
    assert reads["salesforce-leads-report.csv"].footer_rows == 2
    assert reads["salesforce-campaign-members-report.csv"].encoding == "UTF-8 with BOM"
    deals = table(path, "deals").set_index("deal_id")
    converted = {
        r["Converted Opportunity ID"]: r["Lead ID"] for r in real_leads if r["Converted Opportunity ID"]
    }
    assert deals["lead_id"].to_dict() == converted
    assert float(deals.loc["0065g00000Xy2AAA", "amount"]) == 210000.00  # "210,000.00"
    members = rows(DATA / "salesforce-campaign-members-report.csv", "utf-8-sig")
    contacts = {r["Converted Contact ID"] for r in real_leads if r["Converted Contact ID"]}
    responded = [
        m for m in members if (m["Lead ID"] or m["Contact ID"] in contacts) and m["First Responded Date"]
    ]
    touches = table(path, "touches")
    assert (touches["team"] == "marketing").sum() == len(responded)
    leads = table(path, "leads").set_index("lead_id")
    assert leads.loc["00Q5g00000Ab1AAA", "created_at"] == pd.Timestamp("2026-02-02 09:14")  # 2/2/2026 9:14 AM
    assert leads.loc["00Q5g00000Ab5AAA", "created_at"] == pd.Timestamp("2026-02-11 16:55")  # 4:55 PM
    assert leads.loc["00Q5g00000Ab3AAA", "segment"] == "enterprise"  # 2400 employees
    assert leads.loc["00Q5g00000Ab1AAA", ["lead_name", "company_name"]].tolist() == [
        "José García",
        "Almacenes García",
    ]
    assert not plan.report.errors


# ---------------------------------------------------------------------------------------------
# Quarantine


def test_rejects_sets_bad_rows_aside_with_what_depends_on_them_and_loads_the_rest(tmp_path, capsys):
    src = tmp_path / "in"
    shutil.copytree(DATA / "canonical", src)
    leads = (src / "leads.csv").read_text().replace("L3,2026-03-04 09:00:00", "L3,yesterday")
    (src / "leads.csv").write_text(leads)
    target = tmp_path / "h.duckdb"
    code = main(
        [
            "import",
            "--db",
            str(target),
            "--mapping",
            "canonical",
            "--rejects",
            str(tmp_path / "rejects.csv"),
            *map(str, sorted(src.glob("*.csv"))),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    # L3 has a bad date; its touch T4 and its deal D2 depend on it.
    assert sorted(table(target, "leads")["lead_id"]) == ["L1", "L2", "L4"]
    assert sorted(table(target, "touches")["touch_id"]) == ["T1", "T2", "T3"]
    assert sorted(table(target, "deals")["deal_id"]) == ["D1"]
    rejects = rows(tmp_path / "rejects.csv")
    assert [(r["file"], r["row"], r["table"], r["problem"]) for r in rejects] == [
        ("deals.csv", "3", "deals", "depends on a row set aside"),
        ("leads.csv", "4", "leads", "timestamp does not parse"),
        ("touches.csv", "5", "touches", "depends on a row set aside"),
    ]
    assert rejects[1]["value"] == "yesterday" and rejects[1]["column"] == "created_at"
    assert "3 rows set aside" in out
    problems = db.run_query("data__import_problems", db=target)
    assert set(problems["severity"]) >= {"rejected"}


def test_check_only_writes_nothing(tmp_path, capsys):
    target = tmp_path / "h.duckdb"
    assert (
        main(
            ["import", "--check", "--db", str(target), "--mapping", "canonical", *map(str, CANONICAL_SAMPLE)]
        )
        == 0
    )
    assert not target.exists()
    assert "4 mapped, 4 to load" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# File formats


LEADS_HEADER = ["lead_id", "created_at", "channel", "sourced_by", "segment", "region", "industry"]
LEADS_ROWS = [
    ["L1", "2026-03-02 09:00:00", "webinar", "marketing", "smb", "EMEA", 'Café; "Brasserie", Lyon'],
    ["L2", "2026-03-03 09:00:00", "paid_search", "sales", "mid_market", "NA", "line one\nline two"],
    ["L3", "2026-03-04", "email", "marketing", "smb", "APAC", ""],
]


def write_variant(path: Path, encoding: str, delimiter: str, newline: str, quoting: int) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline, quoting=quoting)
        writer.writerow(LEADS_HEADER)
        writer.writerows(LEADS_ROWS)


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1252", ";"), ("utf-16", "\t")])
def test_any_common_encoding_and_delimiter_reads_the_same(encoding, delimiter, tmp_path):
    path = tmp_path / "leads.csv"
    write_variant(path, encoding, delimiter, "\r\n" if delimiter == ";" else "\n", csv.QUOTE_MINIMAL)
    plan = ingest.check([path], "canonical")
    assert not plan.report.errors, plan.report.as_text()
    leads = plan.tables["leads"]
    assert leads["industry"].tolist()[:2] == ['Café; "Brasserie", Lyon', "line one\nline two"]
    assert leads["created_at"].tolist()[2] == pd.Timestamp("2026-03-04")
    assert plan.report.files[0].delimiter == delimiter


def test_parquet_files_import_like_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2"],
            "created_at": pd.to_datetime(["2026-03-02 09:00", "2026-03-03 10:30"]),
            "channel": ["webinar", "email"],
            "sourced_by": ["marketing", "sales"],
            "segment": ["smb", "smb"],
            "region": ["EMEA", "NA"],
            "score": pd.array([80, None], dtype="Int64"),
        }
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "leads.parquet")
    ingest.import_files([tmp_path / "leads.parquet"], "canonical", tmp_path / "p.duckdb")
    leads = table(tmp_path / "p.duckdb", "leads")
    assert leads["created_at"].tolist() == frame["created_at"].tolist()
    assert leads["score"].tolist()[0] == 80 and pd.isna(leads["score"].tolist()[1])


def test_progress_is_reported_from_start_to_finish(tmp_path):
    seen = []
    ingest.import_files(
        CANONICAL_SAMPLE,
        "canonical",
        tmp_path / "h.duckdb",
        progress=lambda fraction, message: seen.append((fraction, message)),
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(m.startswith("reading leads.csv") for _, m in seen)
    assert any(m.startswith("writing touches") for _, m in seen)


def test_a_successful_import_replaces_the_database_the_app_is_reading(demo_db, tmp_path):
    target = tmp_path / "h.duckdb"
    shutil.copy(demo_db, target)
    before = db.db_identity(target)
    assert db.run_query("data__table_counts", db=target).iloc[2]["row_count"] == 4000
    ingest.import_files(CANONICAL_SAMPLE, "canonical", target)
    assert db.db_identity(target) != before
    assert db.run_query("data__table_counts", db=target).iloc[2]["row_count"] == 4
    assert db.read_meta(target)["source"] == "import:canonical"


# ---------------------------------------------------------------------------------------------
# Parsing


def test_timestamps_parse_in_each_format_and_convert_to_utc():
    text = pd.Series(["2026-03-01 09:00", "3/14/2026 9:05 PM", "2026-07-01T12:00:00+02:00", "", "soon"])
    values, bad = ingest.parse_timestamps(text, ["iso", "%m/%d/%Y %I:%M %p"], "America/New_York")
    # New York is UTC-5 in March (before the 8 March switch), UTC-4 from then on; an offset wins.
    assert values.tolist()[:3] == [
        pd.Timestamp("2026-03-01 14:00"),
        pd.Timestamp("2026-03-15 01:05"),
        pd.Timestamp("2026-07-01 10:00"),
    ]
    assert pd.isna(values[3]) and bad.tolist() == [False, False, False, False, True]


def test_numbers_accept_currency_and_thousands_but_not_an_ambiguous_comma():
    _, canonical, bad = ingest.parse_numbers(
        pd.Series(["$1,234.50", "USD 99", "12,5", "-3", "1e3", "", "n/a"])
    )
    assert canonical.fillna("-").tolist()[:5] == ["1234.50", "99", "-", "-3", "1000.000000"]
    assert bad.tolist() == [False, False, True, False, False, False, True]
    _, canonical, bad = ingest.parse_numbers(pd.Series(["1.234,50", "12,5"]), decimal=",")
    assert canonical.tolist() == ["1234.50", "12.5"] and not bad.any()


def test_upload_limit_message_names_the_limit(monkeypatch):
    monkeypatch.setenv("HANDOFF_MAX_UPLOAD_MB", "2")
    assert ingest.too_large([("a.csv", 1_000_000)]) is None
    message = ingest.too_large([("big.csv", 2_500_000)])
    assert "big.csv (2.5 MB) is over the 2 MB upload limit" in message


def test_uploads_are_saved_under_data_uploads_and_kept_out_of_git(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.view, "UPLOADS_DIR", tmp_path / "uploads")
    folder = ingest.uploads_dir()
    saved = ingest.save_upload(folder, "../../etc/evil name?.csv", b"x")
    assert saved.parent == folder and saved.name == "evil name_.csv"
    assert (tmp_path / "uploads" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_may_import_is_open_without_sign_in():
    assert ingest.may_import() is True


def test_a_date_column_keeps_the_day(tmp_path):
    plan = ingest.check(CANONICAL_SAMPLE, "canonical")
    assert plan.tables["campaigns"]["start_date"].tolist()[0] == pd.Timestamp(dt.date(2026, 3, 1))
