"""Sign-in through Streamlit's testing tools: secrets configure it, `AppTest.user` plays st.user.

Without an [auth] section nothing changes; with one, every page asks for sign-in, and only the
administrators listed under [handoff] admins see the Data page's import and rebuild controls.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from handoff import db
from tests.app.conftest import no_exception, said
from tests.fixtures import ROOT
from tests.support import PAGES

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret-only-for-tests",
    "client_id": "handoff-test",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
SECRETS = {"auth": AUTH, "handoff": {"admins": ["Ana@Example.com"]}}
ADMIN = {"is_logged_in": True, "email": "ana@example.com", "name": "Ana Admin", "email_verified": True}
VIEWER = {"is_logged_in": True, "email": "vic@example.com", "name": "Vic Viewer"}
SIGNED_OUT = {"is_logged_in": False}


@pytest.fixture
def open_as(monkeypatch, demo_db):
    """open_as(page, user, secrets) → an AppTest of app.py run at that page."""
    monkeypatch.setenv("HANDOFF_DB", str(demo_db))

    def run(page: str, user: dict, secrets: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.secrets = dict(secrets or {})
        at.user = dict(user)
        at.run()
        if page != "overview" and not _asks_to_sign_in(at):
            at.switch_page(f"pages/{page}.py")
            at.run()
        return at

    yield run
    db.close_connections()


def _asks_to_sign_in(at: AppTest) -> bool:
    return any(b.label.startswith("Sign in") for b in at.button)


def _writes_offered(at: AppTest) -> bool:
    """The Data page's import and rebuild controls are on screen."""
    return bool(at.get("file_uploader")) or any(b.label == "Build the demo database" for b in at.button)


def test_without_sign_in_configured_everyone_sees_and_may_import(open_as):
    at = open_as("data", {"email": "test@example.com"})
    no_exception(at)
    assert not _asks_to_sign_in(at)
    assert _writes_offered(at)
    assert not any("Signed in as" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_asks_a_signed_out_visitor_to_sign_in(open_as, page):
    at = open_as("overview", SIGNED_OUT, SECRETS)
    no_exception(at)
    assert _asks_to_sign_in(at)
    # Nothing of the data leaks before sign-in: no numbers, tables or filters.
    assert not at.metric and not at.dataframe and not at.sidebar.multiselect
    # Going straight to a page (as a shared URL would) meets the same gate.
    at.switch_page(f"pages/{page}.py")
    at.run()
    no_exception(at)
    assert _asks_to_sign_in(at)
    assert not at.metric and not at.dataframe and not _writes_offered(at)


def test_a_signed_in_viewer_sees_the_pages_but_cannot_import(open_as):
    overview = open_as("overview", VIEWER, SECRETS)
    no_exception(overview)
    assert not _asks_to_sign_in(overview)
    assert overview.metric, "the overview's tiles render for a signed-in viewer"
    assert any("Vic Viewer" in c.value and "administrator" not in c.value for c in overview.sidebar.caption)

    data = open_as("data", VIEWER, SECRETS)
    no_exception(data)
    assert data.dataframe, "data health is for everyone signed in"
    assert not _writes_offered(data)
    assert any("for administrators" in i.value for i in data.info)


def test_an_administrator_may_import_and_rebuild(open_as):
    at = open_as("data", ADMIN, SECRETS)
    no_exception(at)
    assert _writes_offered(at)
    assert any("(administrator)" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("verified", [False, "FALSE", "0", None, "missing"])
def test_an_unverified_admin_address_is_not_an_administrator(open_as, verified):
    user = {k: v for k, v in ADMIN.items() if k != "email_verified"}
    if verified != "missing":
        user["email_verified"] = verified
    at = open_as("data", user, SECRETS)
    no_exception(at)
    assert not _writes_offered(at)
    assert at.dataframe, "an unverified address still signs in and reads the data health"
    assert not any("(administrator)" in c.value for c in at.sidebar.caption)


def test_sign_in_without_any_administrator_listed_lets_nobody_import(open_as):
    at = open_as("data", ADMIN, {"auth": AUTH})
    no_exception(at)
    assert not _writes_offered(at)


def test_a_broken_sign_in_configuration_fails_closed(open_as):
    broken = {"auth": {k: v for k, v in AUTH.items() if k != "cookie_secret"}}
    at = open_as("overview", ADMIN, broken)
    no_exception(at)
    assert "cookie_secret" in said(at, "error")
    assert not at.metric and not _asks_to_sign_in(at)


def test_several_providers_get_a_button_each(open_as):
    providers = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": AUTH["cookie_secret"],
        "google": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
        "okta": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
    }
    at = open_as("overview", SIGNED_OUT, {"auth": providers})
    assert sorted(b.label for b in at.button) == ["Sign in with google", "Sign in with okta"]


@pytest.fixture
def open_without_database(monkeypatch, tmp_path):
    """open_without_database(user, secrets) → (AppTest of app.py, its missing database's path)."""
    missing = tmp_path / "first-start" / "handoff.duckdb"
    monkeypatch.setenv("HANDOFF_DB", str(missing))

    def run(user: dict, secrets: dict) -> tuple[AppTest, object]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.secrets = dict(secrets)
        at.user = dict(user)
        at.run()
        return at, missing

    yield run
    db.close_connections()


@pytest.mark.parametrize("user", [VIEWER, {**ADMIN, "email_verified": "FALSE"}], ids=["viewer", "unverified"])
def test_a_viewer_is_told_the_database_is_missing_and_nothing_is_built(open_without_database, user):
    at, missing = open_without_database(user, SECRETS)
    no_exception(at)
    assert not missing.parent.exists() or not any(missing.parent.iterdir()), "nothing may be written"
    assert f"no database at {missing}" in said(at, "warning")
    assert "ana@example.com" in said(at, "markdown") and "python -m handoff demo" in said(at, "markdown")
    assert not at.metric and not at.get("progress")


def test_without_administrators_a_viewer_is_told_who_runs_handoff(open_without_database):
    at, missing = open_without_database(ADMIN, {"auth": AUTH})
    no_exception(at)
    assert not missing.exists()
    assert any("whoever runs Handoff" in m.value for m in at.markdown)


def test_an_administrator_builds_the_missing_database(open_without_database):
    at, missing = open_without_database(ADMIN, SECRETS)
    no_exception(at)
    assert missing.is_file() and at.metric, "the demo company is built and the overview shows it"
