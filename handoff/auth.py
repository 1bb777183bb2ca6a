"""Who may see Handoff, and who may change its data.

Sign-in is optional. Without an `[auth]` section in `.streamlit/secrets.toml` the app has no
accounts: whoever can reach it (127.0.0.1 by default) may read and import. With one, Streamlit's
`st.login` signs people in through an OpenID Connect provider, every page asks for sign-in, and only
the administrators listed under `[handoff] admins` may import data or rebuild the database:

    [auth]                      # one provider, or [auth.<name>] sections for several
    redirect_uri = "http://localhost:8501/oauth2callback"
    cookie_secret = "<a long random string>"
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"

    [handoff]
    admins = ["ana@example.com"]

This module reads plain mappings (the secrets, the signed-in user's claims) and has no Streamlit
import; `handoff.ui` hands it `st.secrets` and `st.user`. A configuration it cannot make sense of
fails closed: sign-in stays required and nobody is an administrator. An administrator's address must
be one the provider vouches for: its identity token's `email_verified` claim is exactly `true`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ADMIN_SECTION = "handoff"
# What st.login needs besides the provider's own settings.
SHARED_AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class SignInConfig:
    """What the secrets say about sign-in: whether it is on, with which providers, who administers."""

    required: bool
    providers: tuple[str | None, ...] = ()  # None: the settings sit directly in [auth]
    admins: frozenset[str] = frozenset()
    problem: str | None = None  # a mistake in the configuration, in one line

    @property
    def usable(self) -> bool:
        """Sign-in is configured well enough to send people to a provider."""
        return self.required and self.problem is None and bool(self.providers)


NO_SIGN_IN = SignInConfig(required=False)


def sign_in_config(secrets: Mapping[str, Any]) -> SignInConfig:
    """Read the `[auth]` and `[handoff]` sections of the secrets (a plain mapping)."""
    auth = secrets.get("auth")
    if auth is None:
        return NO_SIGN_IN
    admins = _admins(secrets.get(ADMIN_SECTION, {}))
    if not isinstance(auth, Mapping):
        return SignInConfig(True, admins=admins, problem="[auth] in secrets.toml must be a table")
    missing = [key for key in SHARED_AUTH_KEYS if not auth.get(key)]
    if missing:
        return SignInConfig(True, admins=admins, problem=f"[auth] in secrets.toml lacks {', '.join(missing)}")
    named = tuple(name for name, value in auth.items() if isinstance(value, Mapping))
    if named:
        incomplete = [name for name in named if not all(auth[name].get(k) for k in PROVIDER_KEYS)]
        problem = (
            f"[auth.{incomplete[0]}] in secrets.toml needs {', '.join(PROVIDER_KEYS)}" if incomplete else None
        )
        if any("_" in name for name in named):  # st.login cannot take a provider name with "_"
            problem = f"provider names in [auth] may not contain '_' ({', '.join(named)})"
        return SignInConfig(True, tuple(sorted(named)), admins, problem)
    if not all(auth.get(key) for key in PROVIDER_KEYS):
        return SignInConfig(
            True,
            admins=admins,
            problem=f"[auth] in secrets.toml needs {', '.join(PROVIDER_KEYS)} "
            "(or one [auth.<provider>] section per provider)",
        )
    return SignInConfig(True, (None,), admins)


def _admins(section: Any) -> frozenset[str]:
    """The administrators' e-mail addresses, compared case-insensitively; anything else: nobody."""
    if not isinstance(section, Mapping):
        return frozenset()
    listed = section.get("admins", ())
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, Iterable):
        return frozenset()
    return frozenset(str(email).strip().lower() for email in listed if str(email).strip())


@dataclass(frozen=True)
class Viewer:
    """The person looking at the app, as far as the app can tell."""

    sign_in_required: bool
    signed_in: bool = False
    email: str | None = None
    name: str | None = None
    is_admin: bool = False

    @property
    def may_view(self) -> bool:
        """Pages are open to everyone without sign-in, and to signed-in people with it."""
        return not self.sign_in_required or self.signed_in

    @property
    def label(self) -> str:
        """How the sidebar names the viewer."""
        return self.name or self.email or "signed in"


ANONYMOUS = Viewer(sign_in_required=False)


def viewer(config: SignInConfig, user: Mapping[str, Any]) -> Viewer:
    """Who is looking, from the sign-in configuration and the identity claims (`st.user`)."""
    if not config.required:
        return ANONYMOUS
    if not config.usable or not user.get("is_logged_in"):
        return Viewer(sign_in_required=True)
    email = str(user.get("email") or "").strip() or None
    # Only the provider's JSON `true` counts: "FALSE", "0", a missing claim are not a verification.
    verified = user.get("email_verified") is True
    is_admin = bool(email) and verified and email.lower() in config.admins
    return Viewer(True, True, email, user.get("name") or None, is_admin)


def may_write(who: Viewer | None) -> bool:
    """Whether `who` may import data or replace the database.

    Without sign-in, everyone who can reach the app may; with it, only the listed administrators.
    `None` is a caller outside the app (the CLI, tests), which has the files anyway.
    """
    if who is None:
        return True
    if not who.sign_in_required:
        return True
    return who.signed_in and who.is_admin
