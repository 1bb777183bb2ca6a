"""Secure by default: what a viewer types (URL parameters, filters, uploads, SQL) can neither write
outside data/, read other files nor reach the network; the server's settings say so too.

Hostile inputs carry a unique token; after each attempt no file with that token may exist anywhere
under /tmp, the project's parent folder or the working directory, and the database is unchanged.
"""

from __future__ import annotations

import os
import shutil
import socket
import tomllib
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from handoff import cli, db, ingest
from handoff.errors import HandoffError, QueryError
from tests.fixtures import ROOT
from tests.support import PAGES

TOKEN = f"hoffesc{uuid.uuid4().hex[:10]}"
SEARCHED = [Path("/tmp"), ROOT.parent, Path.cwd()]

# Every URL key a page binds, plus the shared filter bar's.
URL_KEYS = {
    "overview": [],
    "review": ["review"],
    "campaigns": ["campaigns_model", "campaigns_detail"],
    "funnel": ["funnel_mode", "funnel_group_by", "funnel_sort", "funnel_view", "funnel_stage"],
    "sla": ["sla_group_by", "sla_breach_policy", "sla_speed_clock", "sla_follow_up_tier_0_hours"],
    "attribution": ["attribution_basis", "attribution_level", "attribution_unit"],
    "explore": [
        "explore_dim1",
        "explore_dim2",
        "explore_mode",
        "explore_measures",
        "explore_chart",
        "explore_records",
    ],
    "data": ["data_check", "data_mapping"],
    "definitions": [],
}
SHARED_KEYS = ["period", "start", "end", "segment", "region", "channel", "team", "owner"]
HOSTILE_VALUES = [
    f"../../../../../tmp/{TOKEN}.csv",
    f"/tmp/{TOKEN}.duckdb",
    f"x' or '1'='1'; copy leads to '/tmp/{TOKEN}.csv'; --",
    f"http://192.0.2.1/{TOKEN}.csv",
]


def _escaped_files(allowed: Path | None = None) -> list[Path]:
    """Files or folders named with this run's token, wherever a write could have landed (except
    under `allowed`, where the upload belongs)."""
    found = []
    for base in SEARCHED:
        # os.walk shrugs off folders other processes delete while it looks (rglob does not).
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules")]
            found += [Path(folder, name) for name in dirs + files if TOKEN in name]
    return [p for p in found if not (allowed and allowed in p.parents)]


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to open a socket to anything but this machine."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and "/" not in host:
            attempts.append(address)
            raise OSError(f"network blocked by the test: {address}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "127.0.0.1", "::1", "localhost"):
            attempts.append(host)
            raise OSError(f"name lookup blocked by the test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts


@pytest.fixture
def served_db(demo_db, monkeypatch, tmp_path):
    """The app serves the demo database; uploads go to tmp_path (as they would go to data/uploads/)."""
    monkeypatch.setenv("HANDOFF_DB", str(demo_db))
    monkeypatch.setattr(ingest.view, "UPLOADS_DIR", tmp_path / "uploads")
    yield demo_db
    db.close_connections()


def _run_page(page: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
        for key, value in params.items():  # as a shared link to the page would carry them
            at.query_params[key] = value
        at.run()
    return at


# ---------------------------------------------------------------------------------------------
# The server's settings


def test_the_server_listens_on_localhost_with_xsrf_limited_uploads_and_hidden_errors():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == ingest.MAX_UPLOAD_MB
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert not config.get("global", {}).get("developmentMode", False)


def test_secrets_stay_out_of_git():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".streamlit/secrets.toml" in ignored


def test_a_viewer_sees_no_details_of_an_error():
    at = AppTest.from_string(
        "raise RuntimeError('password=hunter2 in /srv/private/settings.py')", default_timeout=30
    )
    at.run()
    assert at.exception, "the script's error is still reported, as a generic message"
    shown = " ".join(
        str(getattr(e, name, ""))
        for e in at.exception
        for name in ("message", "value", "stack_trace", "type")
    )
    assert "hunter2" not in shown and "/srv/private" not in shown and "RuntimeError" not in shown


# ---------------------------------------------------------------------------------------------
# URL parameters: every key of every page, with hostile values


@pytest.mark.parametrize("page", PAGES)
def test_hostile_url_parameters_write_nothing_read_nothing_and_stay_offline(page, served_db, no_network):
    before = db.db_identity(served_db)
    for value in HOSTILE_VALUES[:2] if page not in ("overview", "explore") else HOSTILE_VALUES:
        at = _run_page(page, {key: value for key in SHARED_KEYS + URL_KEYS[page]})
        assert not at.exception, [e.value for e in at.exception]
        assert at.title, "the page still renders"
        # Unknown values are dropped with a notice, never passed on.
        assert any("link" in w.value for w in at.warning)
    assert not _escaped_files()
    assert not no_network
    assert db.db_identity(served_db) == before


@pytest.mark.parametrize(
    "statement",
    [
        f"copy (select * from leads) to '/tmp/{TOKEN}.csv'",
        "select * from read_text('/etc/passwd')",
        "select * from '/etc/passwd'",
        f"select * from read_csv('http://192.0.2.1/{TOKEN}.csv')",
        f"attach '/tmp/{TOKEN}.duckdb' as other",
        "install httpfs",
        "set enable_external_access = true",
        f"export database '/tmp/{TOKEN}'",
        "select 1; drop table leads",
    ],
)
def test_sql_in_a_shared_url_is_refused_before_it_touches_anything(statement, served_db, no_network):
    before = db.db_identity(served_db)
    at = _run_page("explore", {"explore_view": "SQL console", "explore_sql": statement})
    assert not at.exception
    assert at.error and ("refused" in at.error[0].value or "failed" in at.error[0].value), at.error
    assert not at.dataframe or all("root:" not in str(d.value) for d in at.dataframe)
    assert not _escaped_files() and not no_network
    assert db.db_identity(served_db) == before


def test_a_read_in_a_shared_url_waits_for_run_then_runs(served_db, monkeypatch):
    at = _run_page(
        "explore", {"explore_view": "SQL console", "explore_sql": "select count(*) as n from leads"}
    )
    assert not at.exception and not at.error
    assert not [d for d in at.dataframe if list(d.value.columns) == ["n"]], "nothing runs before Run"
    at.button(key="explore_run").click().run()
    results = [d.value for d in at.dataframe if list(d.value.columns) == ["n"]]
    assert results and int(results[0]["n"].iloc[0]) > 0


# ---------------------------------------------------------------------------------------------
# The runner itself, under the console: even a statement that got past every check cannot escape


@pytest.mark.parametrize(
    "statement",
    [
        f"copy (select 1) to '/tmp/{TOKEN}.csv'",
        "select * from read_text('/etc/hostname')",
        "select * from read_csv('/etc/passwd')",
        f"select * from read_csv('http://192.0.2.1/{TOKEN}.csv')",
        f"attach '/tmp/{TOKEN}.duckdb' as other",
        "set enable_external_access = true",
        "create table stolen as select 1",
        "install httpfs",
    ],
)
def test_the_read_only_connection_refuses_files_network_and_writes(statement, served_db):
    before = db.db_identity(served_db)
    with pytest.raises(QueryError):
        db.execute(statement, db=served_db)
    assert not _escaped_files()
    assert db.db_identity(served_db) == before


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "funnel__stage_counts/../../x",
        "..",
        "data__as_of.sql",
        "DATA__AS_OF",
        "data__as_of\x00",
    ],
)
def test_a_query_name_cannot_point_at_a_file(name):
    with pytest.raises(QueryError):
        db.load_query(name)


def test_parameters_are_bound_never_pasted_into_sql(served_db):
    everyone = db.run_query("funnel__stage_counts", db=served_db)
    injected = db.run_query("funnel__stage_counts", db=served_db, segments=["smb' or '1'='1"])
    assert everyone["reached_count"].iloc[0] > 0
    assert (injected["reached_count"] == 0).all(), "the value matched no segment; it was not SQL"


def test_the_cli_refuses_a_query_name_with_a_path(served_db, capsys):
    assert cli.main(["query", "../../../etc/passwd", "--db", str(served_db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown query") and "root:" not in err


# ---------------------------------------------------------------------------------------------
# Uploads


@pytest.mark.parametrize(
    "name",
    [
        f"../../{TOKEN}.csv",
        f"/tmp/{TOKEN}.csv",
        f"..\\..\\{TOKEN}.csv",
        f"a/../../../{TOKEN}.csv",
        f"{TOKEN}\x00.csv",
        "..",
        "",
        ".",
        f"~/{TOKEN}.csv",
    ],
)
def test_an_upload_name_cannot_leave_its_folder(name, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.view, "UPLOADS_DIR", tmp_path / "data" / "uploads")
    folder = ingest.uploads_dir()
    saved = ingest.save_upload(folder, name, b"lead_id\nL1\n")
    assert saved.parent == folder and saved.read_bytes() == b"lead_id\nL1\n"
    assert saved.name not in (".", "..") and not set(saved.name) & {"/", "\\", "\x00"}
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".gitignore"] == [saved]
    assert not _escaped_files(allowed=folder)
    saved.unlink()  # the token names only escapes for the tests after this one


def test_an_upload_named_to_escape_through_the_data_page_stays_under_uploads(served_db, tmp_path):
    at = _run_page("data", {})
    hostile = [
        (f"../../../../tmp/{TOKEN}-leads.csv", b"lead_id,created_at\nL1,2026-01-01\n", "text/csv"),
        (f"/etc/{TOKEN}.csv", b"lead_id\n", "text/csv"),
    ]
    at.file_uploader(key="data_uploads").set_value(hostile).run()
    at.button(key="data_check_files").click().run()
    assert not at.exception
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all((tmp_path / "uploads") in p.parents for p in written)
    assert not _escaped_files(allowed=tmp_path / "uploads")
    shutil.rmtree(tmp_path / "uploads")


def test_a_mapping_cannot_name_files_outside_the_upload(tmp_path, monkeypatch):
    """A mapping's file patterns match the uploaded names only: a path in it reads nothing else."""
    monkeypatch.setattr(ingest.view, "UPLOADS_DIR", tmp_path / "uploads")
    mapping = (
        b'name = "escape"\n[sources.leads]\nfiles = ["/etc/passwd", "../../*"]\nrequired = true\n'
        b'[tables.leads]\nfrom = "leads"\n[tables.leads.columns]\nlead_id = "root"\n'
        b'created_at = { value = "2026-01-01" }\nchannel = { value = "x" }\n'
        b'sourced_by = { value = "marketing" }\nsegment = { value = "smb" }\nregion = { value = "NA" }\n'
    )
    with pytest.raises(HandoffError) as refused:
        checked = ingest.check_uploads([("leads.csv", b"lead_id\nL1\n")], "upload", ("m.toml", mapping))
        assert checked.has_errors, checked.headline
        raise HandoffError("not writable")
    assert "root:x:" not in str(refused.value)
    assert not _escaped_files()
