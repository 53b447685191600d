"""Health checks for `helpdesk doctor`: database, WAL, permissions and file modes, the
database password, keyring, terminal."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from helpdesk_tui.config import Settings
from helpdesk_tui.store import migrate
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.files import mode_of


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


def check_keyring(secrets_dir: Path | None = None) -> Check:
    """Whether a real keyring backend exists (headless servers often have none)."""
    from helpdesk_tui.services.secrets import ENV_PREFIX, keyring_status

    backend, name = keyring_status()
    if backend is None:
        where = f" in {secrets_dir}" if secrets_dir else ""
        return Check(
            "keyring",
            "warn",
            f"{name}: secrets come from {ENV_PREFIX}<NAME> or 0600 files{where}",
        )
    if "plaintext" in name.lower():
        return Check("keyring", "warn", f"{name} keeps secrets unencrypted on disk")
    return Check("keyring", "ok", name)


def check_db_password(settings: Settings, db_option: str | None) -> Check | None:
    """Where the database password comes from (a `--db` password is visible in `ps`)."""
    from helpdesk_tui.services.db_password import password_report

    report = password_report(settings, db_option)
    return None if report is None else Check("db password", report.status, report.detail)


def check_file_modes(store: Store) -> Check | None:
    """The modes of the SQLite file, its -wal/-shm and its directory against the setting
    (private: 0600/0700; group: 0640/0750); None on a server database or a missing file."""
    path = store.sqlite_path
    if path is None or mode_of(path) is None:
        return None
    modes = store.file_modes
    seen: list[str] = []
    wide: dict[int, list[str]] = {}  # wanted mode -> paths to chmod
    for item, is_dir in (
        (path.parent, True),
        (path, False),
        (path.with_name(path.name + "-wal"), False),
        (path.with_name(path.name + "-shm"), False),
    ):
        mode = mode_of(item)
        if mode is None:
            continue
        seen.append(f"{item.name or item} {mode:04o}")
        # A shared sticky directory (/tmp) is not ours to tighten.
        if modes.excess(mode, is_dir=is_dir) and not (is_dir and mode & stat.S_ISVTX):
            wide.setdefault(modes.directory if is_dir else modes.file, []).append(str(item))
    if wide:
        fixes = "; ".join(f"chmod {mode:o} {' '.join(paths)}" for mode, paths in wide.items())
        return Check("file modes", "warn", f"wider than {modes.name} ({', '.join(seen)}): {fixes}")
    return Check("file modes", "ok", f"{modes.name}: {', '.join(seen)}")


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


def run_checks(
    store: Store, settings: Settings | None = None, db_option: str | None = None
) -> list[Check]:
    """All checks, in the order they are shown (`db_option`: the `--db` value, if any)."""
    checks: list[Check | None] = [*check_database(store), check_file_modes(store)]
    if settings is not None:
        checks.append(check_db_password(settings, db_option))
    checks.append(check_keyring(settings.config_dir / "secrets" if settings else None))
    checks.append(check_terminal())
    return [check for check in checks if check is not None]


def count_tickets(store: Store) -> int:
    """Number of tickets (for `where`/doctor summaries)."""
    from helpdesk_tui.store.models import Ticket

    with store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)
