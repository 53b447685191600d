"""Per-invocation CLI state: the global options, settings and the store, opened lazily.

Free of SQLAlchemy, typer and the services at import time: `helpdesk` alone opens the
TUI through this without loading them (cli/entry.py, the launch budget of DESIGN §8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from helpdesk_tui.config import Settings
from helpdesk_tui.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from helpdesk_tui.services.context import Actor
    from helpdesk_tui.store.engine import Store

__all__ = ["CliState"]

T = TypeVar("T")


def _check_text(option: str, value: str | None) -> None:
    """A usage error for a global option that is not text (the TUI path has no click).

    A byte that is not UTF-8 reaches Python as a lone surrogate, which no database can
    store or look up; a NUL cannot come from a real command line but can from a test.
    """
    if value is not None and any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in value):
        raise UsageError(f"{option} is not UTF-8 text (it holds a NUL or a byte that is not UTF-8)")


@dataclass
class CliState:
    """Per-invocation state built from the global options; the store opens lazily."""

    db: str | None = None
    as_login: str | None = None
    _settings: Settings | None = None
    #: Where warnings go (one sanitised line each); None: nowhere. The CLI and the TUI's
    #: entry each pass their own writer: this module prints nothing itself.
    warn: Callable[[str], None] | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)
    _notified: bool = field(default=False, repr=False)

    @property
    def settings(self) -> Settings:
        """Settings from config file, environment and `--db`, validated (loaded once)."""
        if self._settings is None:
            self._check_options()
            self._settings = self._warned(Settings.load(self.db))
        return self._settings

    def launch_settings(self) -> Settings:
        """Settings for the TUI's first frame: the schema check is left to `checked_settings`
        (see `Settings.load_for_launch`), unless settings were loaded already."""
        if self._settings is None:
            self._check_options()
            self._settings = self._warned(Settings.load_for_launch(self.db))
        return self._settings

    def checked_settings(self) -> Settings:
        """The settings, validated against the schema now if the launch deferred it."""
        if self._settings is None:
            return self.settings
        if not self._settings.checked:
            self._settings = self._settings.check()
        return self._settings

    def _check_options(self) -> None:
        """Usage errors for global options no command can use (before anything opens).

        An empty `--db` would quietly open the default desk instead: a database the user
        did not name. Every command and the TUI load the settings through here first.
        """
        if self.db is not None and not self.db.strip():
            raise UsageError("--db is empty: give an SQLite file or a database URL")
        _check_text("--db", self.db)
        _check_text("--as", self.as_login)  # the TUI reads it without resolving it here

    def _warned(self, settings: Settings) -> Settings:
        """Say once, on stderr, which policy tables of the config file are ignored now."""
        if not self._notified and self.warn is not None:
            self._notified = True
            for line in settings.notices():
                self.warn(line)
        return settings

    def store(self, *, check: bool = True, password: bool = True) -> Store:
        """The store; with `check`, refuses a missing or outdated schema with a clear message.

        A server URL with a user and no password gets the password from its secret
        (services/db_password.py); `password=False` opens it as written (for `doctor`,
        which reports a refused secret rather than stopping at it).
        """
        if self._store is None:
            from helpdesk_tui.services.db_password import connect_url
            from helpdesk_tui.store.engine import Store
            from helpdesk_tui.store.files import FILE_MODES

            settings = self.checked_settings()  # file modes and the secret name: validated
            url = connect_url(settings) if password else settings.db_url
            self._store = Store(url, file_modes=FILE_MODES[settings.file_mode])
        if check:
            from helpdesk_tui.store.migrate import check_schema

            check_schema(self._store)
        return self._store

    def actor(self, session: Session) -> Actor:
        """The acting agent: the OS account (or the agent sudo ran us for, see
        services/identity.py), or `--as NAME` for admins."""
        from helpdesk_tui.services.identity import agent_login
        from helpdesk_tui.services.rbac import resolve_actor

        return resolve_actor(session, agent_login(), self.as_login)

    def write(self, work: Callable[[Session, Actor], T]) -> T:
        """Run `work(session, actor)` in one retried write transaction."""
        return self.store().run_write(lambda session: work(session, self.actor(session)))

    def read(self, work: Callable[[Session, Actor], T]) -> T:
        """Run `work(session, actor)` in one short read transaction."""
        with self.store().read() as session:
            return work(session, self.actor(session))

    def close(self) -> None:
        """Dispose of the engine, if one was made."""
        if self._store is not None:
            self._store.dispose()
