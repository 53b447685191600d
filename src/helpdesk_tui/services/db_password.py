"""The database password: looked up by name, never written in the URL.

`postgresql+psycopg://helpdesk@db/helpdesk` names a user and no password; the password
is then secret `db` (or `[desk] db_secret`) from the keyring, `HELPDESK_SECRET_DB` or
the 0600 file (services/secrets.py), handed to the driver inside this process. Without
such a secret the driver's own sources apply (`~/.pgpass`, `PGPASSWORD`, peer or trust
authentication), so a desk that never needed a password still opens.

A password written in the URL works too, but a URL given with `--db` is on the command
line, which `ps` shows to every user of the machine: `password_report` says so for
`helpdesk doctor`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa

from helpdesk_tui.config import Settings
from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.services.secrets import SecretStore, env_var
from helpdesk_tui.store.engine import database_url

__all__ = ["PasswordReport", "connect_url", "password_report", "url_origin"]


def _needs_secret(url: sa.URL) -> bool:
    """A server database whose URL names a user but no password."""
    return url.get_backend_name() != "sqlite" and bool(url.username) and url.password is None


def connect_url(settings: Settings) -> sa.URL:
    """The configured database URL, with the password from secret `settings.db_secret`
    when the URL names a user but no password (SQLite URLs as they are)."""
    url = database_url(settings.db_url)  # a bad URL is a one-line usage error
    if not _needs_secret(url):
        return url
    secret = SecretStore(settings.config_dir).lookup(settings.db_secret)
    return url if secret is None else url.set(password=secret.value)


def url_origin(settings: Settings, option: str | None) -> str:
    """Where the database URL came from: `--db`, `HELPDESK_DB`, the config file or the
    default (mirrors `Settings.load`)."""
    if option:
        return "--db"
    if os.environ.get("HELPDESK_DB"):
        return "HELPDESK_DB"
    if settings.db_origin == "config":
        return str(settings.config_file)
    return "default"


@dataclass(frozen=True)
class PasswordReport:
    """What `helpdesk doctor` says about the database password: ok, warn or fail."""

    status: str
    detail: str


def password_report(settings: Settings, option: str | None) -> PasswordReport | None:
    """Where the database password comes from and whether that is safe; None on SQLite."""
    url = database_url(settings.db_url)  # a bad URL is a one-line usage error
    if url.get_backend_name() == "sqlite":
        return None
    name = settings.db_secret
    advice = f"keep it in the keyring instead: `helpdesk secret set {name}`, then drop it"
    if url.password is not None:
        origin = url_origin(settings, option)
        if origin == "--db":
            return PasswordReport(
                "warn",
                f"the password in --db is visible to every user in `ps`; {advice} from the URL",
            )
        if origin == "HELPDESK_DB":
            return PasswordReport(
                "warn",
                "the password in HELPDESK_DB ends up in shell profiles and service files; "
                f"{advice} from the URL",
            )
        return PasswordReport("warn", f"{origin} holds the password in plain text; {advice}")
    if not url.username:
        return PasswordReport("ok", "no user in the URL: the driver's defaults apply")
    try:
        secret = SecretStore(settings.config_dir).lookup(name)
    except HelpdeskError as exc:
        return PasswordReport("fail", str(exc))
    if secret is None:
        return PasswordReport(
            "ok",
            f"no secret {name!r} ({env_var(name)}, keyring or file): ~/.pgpass, PGPASSWORD "
            "or the server's own rules (peer, trust) apply",
        )
    return PasswordReport("ok", f"password from secret {name!r} ({secret.source.value})")
