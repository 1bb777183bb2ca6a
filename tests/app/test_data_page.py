"""The Data page in AppTest: data health, the upload → check → confirm flow, quarantine, the size
limit, an uploaded mapping, regenerating the demo, the admin gate, and Olist through to the Funnel."""

from __future__ import annotations

import shutil

import pytest

from handoff import db, ingest
from tests.app.conftest import no_exception, read, said
from tests.fixtures import REAL_DATA, ROOT, require_real_data
from tests.support import PAGES

DATA = ROOT / "tests" / "data" / "import"
HUBSPOT = sorted(DATA.glob("hubspot-*.csv"))
OLIST_DIR = REAL_DATA / "olist-marketing-funnel"
OLIST = sorted(OLIST_DIR.glob("*.csv"))


@pytest.fixture
def writable(monkeypatch, demo_db, tmp_path):
    """A copy of the demo database for the page to replace, and uploads kept in tmp_path."""
    path = tmp_path / "handoff.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("HANDOFF_DB", str(path))
    monkeypatch.setattr(ingest.view, "UPLOADS_DIR", tmp_path / "uploads")
    return path


def texts(at) -> str:
    return " ".join(
        str(e.value)
        for kind in (at.success, at.error, at.warning, at.info, at.caption, at.markdown)
        for e in kind
    )


def upload(at, paths, key="data_uploads"):
    at.file_uploader(key=key).set_value([(p.name, p.read_bytes(), "text/csv") for p in paths])
    return at.run()


def test_the_page_shows_health_tiles_tables_and_failing_records(app):
    at = app("data")
    no_exception(at)
    assert at.title[0].value == "Data"
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Leads with a source"] == "100.0 %" and tiles["Orphans"] == "0"
    assert "first_sales_touch_at" in read(at.metric[2].help)  # each tile says how it is computed
    assert len(at.dataframe) >= 3  # tables, checks, failing records
    # The demo has MQLs still waiting for a response, so that check opens first, with its records.
    assert at.selectbox(key="data_check").value == "mqls_with_response"
    assert at.dataframe[2].value["Table"].eq("leads").all()


def test_choosing_another_check_shows_its_records(app):
    at = app("data", data_check="Deals with a lead")  # the URL carries the label shown
    no_exception(at)
    assert "Every record passes this check." in texts(at)
    at.selectbox(key="data_check").set_value("mqls_with_response").run()
    assert "Every record passes this check." not in texts(at)
    failing = at.dataframe[2].value
    tile = at.metric[2].value  # MQLs responded to, e.g. "94.8 %": failing records exist
    assert len(failing) > 0 and tile != "100.0 %"


def test_an_empty_database_renders_without_numbers_that_mean_nothing(app, make_db, monkeypatch):
    monkeypatch.setenv(
        "HANDOFF_DB",
        str(
            make_db(
                {
                    "leads": [
                        {
                            "lead_id": "L1",
                            "created_at": "2026-01-01",
                            "channel": "x",
                            "sourced_by": "sales",
                            "segment": "smb",
                            "region": "NA",
                        }
                    ]
                }
            )
        ),
    )
    at = app("data")
    no_exception(at)
    assert {m.label: m.value for m in at.metric}["Deals with a lead"] in ("–", "—", "n/a", "")


def test_upload_check_confirm_replaces_the_database(app, writable):
    at = app("data")
    at.selectbox(key="data_mapping").set_value("hubspot")
    upload(at, HUBSPOT)
    at.button(key="data_check_files").click().run()
    no_exception(at)
    assert "rows mapped" in at.success[0].value and "Nothing has been written yet" in at.success[0].value
    assert db.run_query("data__table_counts", db=writable).iloc[2]["row_count"] == 4000  # not yet
    at.checkbox(key="data_import_sure").check().run()
    at.button(key="data_confirm").click().run()
    no_exception(at)
    assert "Imported 6 people, 22 leads, 21 touches, 8 deals" in texts(at)
    assert db.run_query("data__table_counts", db=writable).iloc[2]["row_count"] == 22
    # The page now reads the new file: the last import and its warnings are listed.
    assert "With the mapping “hubspot”" in texts(at)
    problems = next(df.value for df in at.dataframe if "Problem" in df.value.columns)
    assert "stage timestamps out of order" in set(problems["Problem"])


def test_the_import_says_what_it_replaces_and_waits_for_a_confirmation(app, writable):
    now = db.run_query("data__table_counts", db=writable).set_index("table_name")["row_count"]
    at = app("data")
    at.selectbox(key="data_mapping").set_value("hubspot")
    upload(at, HUBSPOT)
    at.button(key="data_check_files").click().run()
    no_exception(at)
    # The HubSpot exports hold 5 owners and a rep who only logs calls, 22 contacts, 21 touches (17 of
    # logged activities, a call with two contacts counted twice; 2 form submissions and 2 e-mail clicks)
    # and 8 deals; the newest date is a deal closed on 31 Mar 2026 (data__as_of's rule); the rest is empty.
    after = {"people": 6, "campaigns": 0, "leads": 22, "touches": 21, "deals": 8, "targets": 0}
    changes = "; ".join(f"{table} {now[table]:,} → {n:,}" for table, n in after.items())
    assert said(at, "warning") == (
        f"Importing replaces everything in handoff.duckdb: {changes}. "
        "The as-of day moves from 30 Jun 2026 to 31 Mar 2026."
    )
    replaced = next(df.value for df in at.dataframe if "Rows after" in df.value.columns)
    assert replaced.to_dict("list") == {
        "Table": list(after),
        "Rows now": [int(now[t]) for t in after],
        "Rows after": list(after.values()),
    }
    assert at.button(key="data_confirm").disabled  # until the box is ticked
    at.checkbox(key="data_import_sure").check().run()
    assert not at.button(key="data_confirm").disabled
    at.button(key="data_confirm").click().run()
    no_exception(at)
    done = said(at, "success")
    assert "Imported 6 people, 22 leads, 21 touches, 8 deals." in done
    assert (
        f"It replaced {now['people']:,} people, {now['campaigns']:,} campaigns, {now['leads']:,} leads"
        in done
    )
    assert str(db.run_query("data__as_of", db=writable)["as_of_date"].iloc[0])[:10] == "2026-03-31"


def test_every_page_warns_when_the_newest_record_is_old(app, monkeypatch):
    # The demo's newest record is from 30 Jun 2026, months before today.
    monkeypatch.setenv("HANDOFF_STALE_AFTER_DAYS", "30")
    for page in PAGES:
        at = app(page)
        no_exception(at)
        banner = [read(w.value) for w in at.warning if "may be out of date" in w.value]
        assert len(banner) == 1, page
        assert banner[0].startswith("The data may be out of date: its newest record is from 30 Jun 2026, ")
        assert "(more than 30). Import fresh exports on the Data page." in banner[0]
    monkeypatch.setenv("HANDOFF_STALE_AFTER_DAYS", "36500")
    assert not [w for w in app("overview").warning if "may be out of date" in w.value]


def test_errors_refuse_until_rows_are_set_aside(app, writable, tmp_path):
    bad = tmp_path / "in"
    shutil.copytree(DATA / "canonical", bad)
    (bad / "leads.csv").write_text(
        (bad / "leads.csv").read_text().replace("L3,2026-03-04 09:00:00", "L3,soon")
    )
    at = app("data")
    upload(at, sorted(bad.glob("*.csv")))
    at.button(key="data_check_files").click().run()
    no_exception(at)
    assert "1 error of 1 kind" in at.error[0].value
    assert "data_confirm" not in [b.key for b in at.button]  # refused until rows are set aside
    at.checkbox(key="data_quarantine").check().run()
    at.checkbox(key="data_import_sure").check().run()
    at.button(key="data_confirm").click().run()
    no_exception(at)
    assert "3 rows set aside" in texts(at)
    assert sorted(db.execute("select lead_id from leads", db=writable)["lead_id"]) == ["L1", "L2", "L4"]
    folder = next(path for path in (tmp_path / "uploads").iterdir() if path.is_dir())
    assert (folder / "rejects.csv").exists()


def test_a_file_over_the_size_limit_is_refused_with_the_limit_named(app, writable, monkeypatch):
    monkeypatch.setenv("HANDOFF_MAX_UPLOAD_MB", "0.001")  # 1,000 bytes
    at = app("data")
    before = writable.read_bytes()
    at.file_uploader(key="data_uploads").set_value(("leads.csv", b"lead_id\n" + b"L1\n" * 600, "text/csv"))
    at.run()
    no_exception(at)
    assert "over the 0.001 MB upload limit" in at.error[0].value and "leads.csv (0.0 MB)" in at.error[0].value
    assert not any(b.key == "data_check_files" for b in at.button)
    assert writable.read_bytes() == before


def test_an_uploaded_mapping_file_is_used(app, writable):
    require_real_data(OLIST_DIR)
    at = app("data")
    at.selectbox(key="data_mapping").set_value("upload").run()
    upload(at, [ROOT / "handoff" / "mappings" / "olist.toml"], key="data_mapping_file")
    upload(at, OLIST)
    at.button(key="data_check_files").click().run()
    no_exception(at)
    assert not at.error and "rows mapped" in at.success[0].value, texts(at)
    at.checkbox(key="data_import_sure").check().run()
    at.button(key="data_confirm").click().run()
    assert "8,000 leads" in texts(at)


def test_a_broken_mapping_file_is_explained(app, writable):
    at = app("data")
    at.selectbox(key="data_mapping").set_value("upload").run()
    upload(at, [DATA / "bad" / "mapping-not-toml.toml"], key="data_mapping_file")
    upload(at, [DATA / "bad" / "leads-valid.csv"])
    at.button(key="data_check_files").click().run()
    no_exception(at)
    assert "is not valid TOML" in at.error[0].value


def test_regenerating_the_demo_replaces_the_database(app, writable):
    at = app("data")
    assert [t.label for t in at.tabs] == ["Import CRM exports", "Demo company"]
    at.number_input(key="data_demo_leads").set_value(300)
    at.checkbox(key="data_demo_sure").check().run()
    at.button(key="data_demo_build").click().run(timeout=120)
    no_exception(at)
    assert "Built the demo company with 300 leads." in texts(at)
    assert db.run_query("data__table_counts", db=writable).iloc[2]["row_count"] == 300


def test_without_the_right_to_import_the_page_only_shows_health(app, monkeypatch):
    monkeypatch.setattr(ingest, "may_import", lambda user=None: False)
    at = app("data")
    no_exception(at)
    assert "for administrators" in texts(at)
    assert not at.file_uploader


def test_olist_imported_then_the_funnel_page_shows_lead_mql_to_won(app, writable):
    require_real_data(OLIST_DIR)
    ingest.import_files(OLIST, "olist", writable)
    at = app("funnel", period="All time")
    no_exception(at)
    tiles = {m.label.split("] ", 1)[-1]: m.value for m in at.metric}
    # 8,000 leads, all MQLs, 842 won: 10.5 % Lead → Won (842 / 8,000).
    assert tiles["Leads created in the period"] == "8,000" and tiles["Won from the period's leads"] == "842"
    assert tiles["Lead → Won from the period's leads"] == "10.5 %"


def test_olist_imported_then_the_sla_page_says_the_follow_up_cannot_be_judged(app, writable):
    # The real Olist export logs no sales touch at all: its follow-up SLA is "no data", never 0 % red.
    require_real_data(OLIST_DIR)
    ingest.import_files(OLIST, "olist", writable)
    at = app("sla", period="All time")
    no_exception(at)
    follow_up = next(m for m in at.metric if "Follow up every MQL fast" in m.label)
    assert follow_up.value == "no data"
    assert "no data: no sales touches recorded" in said(at, "caption")
    assert "Can't be judged" in " ".join(m.value for m in at.markdown)


def test_hubspot_with_activities_then_the_sla_page_judges_the_follow_up(app, writable):
    # 10 of the 15 MQLs were followed up in time (tests/unit/test_crm_activity_presets.py works
    # each one out): 66.7 %, red against the 90 % goal.
    ingest.import_files(sorted(DATA.glob("hubspot-*.csv")), "hubspot", writable)
    at = app("sla", period="All time")
    no_exception(at)
    cards = {
        m.label.split("] ", 1)[-1].split(" · ")[0]: m.value for m in at.metric if " · compliance" in m.label
    }
    assert cards["Follow up every MQL fast"] == "66.7 %"
    # HubSpot has no SAL stage: sales' decisions are not in the export, so that SLA cannot be judged.
    assert cards["Accept or reject every MQL"] == "no data"
    assert "no data: no MQL has an accepted (SAL) or rejected date" in said(at, "caption")
