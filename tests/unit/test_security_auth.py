"""handoff.auth: reading the sign-in configuration and deciding who may write, on plain mappings."""

from __future__ import annotations

import pytest

from handoff import auth

PROVIDER = {"client_id": "id", "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known"}
SHARED = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c"}


def test_no_auth_section_means_no_sign_in_and_everyone_may_write():
    config = auth.sign_in_config({"other": {"x": 1}})
    assert not config.required
    who = auth.viewer(config, {"email": "anyone@example.com"})
    assert who.may_view and auth.may_write(who)


def test_the_cli_and_tests_outside_the_app_may_write():
    assert auth.may_write(None)


def test_one_provider_in_the_auth_section():
    config = auth.sign_in_config({"auth": SHARED | PROVIDER, "handoff": {"admins": [" Ana@Example.com "]}})
    assert config.usable and config.providers == (None,)
    assert config.admins == {"ana@example.com"}


def test_named_providers_each_need_their_settings():
    config = auth.sign_in_config({"auth": SHARED | {"okta": PROVIDER, "google": PROVIDER}})
    assert config.usable and config.providers == ("google", "okta")
    broken = auth.sign_in_config({"auth": SHARED | {"okta": {"client_id": "x"}}})
    assert broken.required and not broken.usable and "auth.okta" in broken.problem


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ({}, "redirect_uri, cookie_secret"),
        (SHARED, "client_id"),
        ("not a table", "must be a table"),
        (SHARED | {"my_idp": PROVIDER}, "'_'"),
    ],
)
def test_a_broken_configuration_fails_closed(section, needle):
    config = auth.sign_in_config({"auth": section, "handoff": {"admins": ["ana@example.com"]}})
    assert config.required and not config.usable and needle in config.problem
    who = auth.viewer(config, {"is_logged_in": True, "email": "ana@example.com"})
    assert not who.may_view and not auth.may_write(who)


@pytest.mark.parametrize(
    ("user", "may_view", "may_write"),
    [
        ({}, False, False),
        ({"is_logged_in": False, "email": "ana@example.com"}, False, False),
        ({"is_logged_in": True, "email": "vic@example.com"}, True, False),
        ({"is_logged_in": True, "email": "ANA@example.com", "email_verified": True}, True, True),
        ({"is_logged_in": True, "email": "ana@example.com", "email_verified": False}, True, False),
        ({"is_logged_in": True}, True, False),
    ],
)
def test_who_may_view_and_who_may_write(user, may_view, may_write):
    config = auth.sign_in_config({"auth": SHARED | PROVIDER, "handoff": {"admins": ["ana@example.com"]}})
    who = auth.viewer(config, user)
    assert who.may_view is may_view
    assert auth.may_write(who) is may_write


@pytest.mark.parametrize("admins", [None, 42, {"ana": 1}, ""])
def test_admins_that_are_not_a_list_of_addresses_make_nobody_admin(admins):
    config = auth.sign_in_config({"auth": SHARED | PROVIDER, "handoff": {"admins": admins}})
    who = auth.viewer(config, {"is_logged_in": True, "email": "ana@example.com"})
    assert who.may_view and not auth.may_write(who)


def test_a_single_address_is_accepted_as_a_list_of_one():
    config = auth.sign_in_config({"auth": SHARED | PROVIDER, "handoff": {"admins": "ana@example.com"}})
    assert auth.may_write(
        auth.viewer(config, {"is_logged_in": True, "email": "ana@example.com", "email_verified": True})
    )


UNVERIFIED = object()  # the claim left out of the token altogether


@pytest.mark.parametrize(
    ("claim", "is_admin"),
    [
        (UNVERIFIED, False),
        (None, False),
        (False, False),
        ("false", False),
        ("FALSE", False),
        ("False", False),
        ("0", False),
        (0, False),
        (1, False),
        ("1", False),
        ("true", False),
        ("True", False),
        ("yes", False),
        ("", False),
        ([True], False),
        (True, True),
    ],
)
def test_only_an_email_verified_claim_that_is_exactly_true_makes_an_administrator(claim, is_admin):
    config = auth.sign_in_config({"auth": SHARED | PROVIDER, "handoff": {"admins": ["ana@example.com"]}})
    user = {"is_logged_in": True, "email": "ana@example.com"}
    if claim is not UNVERIFIED:
        user["email_verified"] = claim
    who = auth.viewer(config, user)
    assert who.is_admin is is_admin and auth.may_write(who) is is_admin
    # An unverified address still signs in and may read the pages; only writing is withheld.
    assert who.signed_in and who.may_view
