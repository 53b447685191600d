"""Health checks for `helpdesk doctor`: database, WAL, permissions, keyring, terminal."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from dataclasses import dataclass

import sqlalchemy as sa

from helpdesk_tui.store import migrate
from helpdesk_tui.store.engine import Store


@dataclass(frozen=True)
class Check:
    """One check's outcome: ok, warn or fail, with a one-line explanation."""

    name: str
    status: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """JSON-able form."""
        return {"name": self.name, "status": self.status, "detail": self.detail}


def check_database(store: Store) -> list[Check]:
    """Schema present and current, journal mode, file permissions."""
    checks: list[Check] = []
    try:
        migrate.check_schema(store)
        checks.append(
            Check("database", "ok", f"{store.describe()} at schema {migrate.SCHEMA_HEAD}")
        )
    except Exception as exc:  # every failure here is something to report, not to raise
        checks.append(Check("database", "fail", str(exc)))
        return checks
    path = store.sqlite_path
    if path is None:
        return checks
    with store.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.rollback()
    checks.append(
        Check(
            "wal", "ok" if mode == "wal" else "fail", f"journal_mode={mode}, busy_timeout={busy} ms"
        )
    )
    mode_bits = stat.S_IMODE(path.stat().st_mode)
    if mode_bits & stat.S_IWOTH or mode_bits & stat.S_IROTH:
        checks.append(
            Check(
                "permissions", "warn", f"{path} is readable by others ({oct(mode_bits)}); chmod 600"
            )
        )
    elif not os.access(path, os.W_OK):
        checks.append(Check("permissions", "fail", f"{path} is not writable by this account"))
    else:
        checks.append(Check("permissions", "ok", f"{path} mode {oct(mode_bits)}"))
    return checks


def check_keyring() -> Check:
    """Whether a real keyring backend exists (headless servers often have none)."""
    try:
        import keyring
        from keyring.backends.fail import Keyring as FailKeyring

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not break doctor
        return Check("keyring", "warn", f"keyring unusable: {exc}")
    name = type(backend).__module__ + "." + type(backend).__name__
    if isinstance(backend, FailKeyring) or "fail" in name.lower():
        return Check(
            "keyring",
            "warn",
            "no keyring backend (headless?); secrets fall back to HELPDESK_SECRET_* env vars "
            "or a 0600 file",
        )
    return Check("keyring", "ok", name)


def check_terminal() -> Check:
    """Terminal size and whether we run over SSH (the TUI needs at least 80x24)."""
    size = shutil.get_terminal_size(fallback=(0, 0))
    ssh = " over SSH (mouse off by default)" if os.environ.get("SSH_CONNECTION") else ""
    if not sys.stdout.isatty():
        return Check("terminal", "warn", "standard output is not a terminal" + ssh)
    if size.columns < 80 or size.lines < 24:
        return Check("terminal", "warn", f"{size.columns}x{size.lines} is below 80x24" + ssh)
    term = os.environ.get("TERM", "?")
    return Check("terminal", "ok", f"{size.columns}x{size.lines}, TERM={term}" + ssh)


def run_checks(store: Store) -> list[Check]:
    """All checks, in the order they are shown."""
    return [*check_database(store), check_keyring(), check_terminal()]


def count_tickets(store: Store) -> int:
    """Number of tickets (for `where`/doctor summaries)."""
    from helpdesk_tui.store.models import Ticket

    with store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)
