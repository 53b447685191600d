"""Health checks for `helpdesk doctor`: database, WAL, permissions and file modes, who
else can write the desk, identity, the database password, keyring, terminal."""

from __future__ import annotations

import grp
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from helpdesk_tui.config import Settings
from helpdesk_tui.services.identity import current_identity
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
    if not os.access(path, os.W_OK):
        checks.append(Check("permissions", "fail", f"{path} is not writable by this account"))
    return checks


def check_write_access(store: Store) -> list[Check]:
    """Who besides the owner can change the database or its folder (one line each).

    Roles live in the database: whoever can write the file (or replace it and plant its
    -wal file, through its folder) can make themselves admin with `sqlite3`, whatever the
    program checks. Group-writable is a warning, writable by everyone a failure; a sticky
    folder (/tmp) counts too, since others can still create the -wal file first.
    """
    path = store.sqlite_path
    if path is None or mode_of(path) is None:
        return []
    checks: list[Check] = []
    for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        problem = _writable_by_others(file, folder=False)
        if problem:
            checks.append(problem)
            break  # SQLite gives -wal and -shm the database's mode: one line says it
    folder = _writable_by_others(path.parent, folder=True)
    if folder:
        checks.append(folder)
    return checks


#: Where the README explains the shared-desk setup that replaces shared write access.
_SETUP_HINT = "give agents the desk through the service account (README: Shared desk)"


def _writable_by_others(path: Path, *, folder: bool) -> Check | None:
    """A warn (group) or fail (everyone) line when others may write `path`, else None."""
    try:
        info = path.stat()
    except OSError:
        return None  # -wal/-shm/-journal exist only while the desk is in use
    mode = stat.S_IMODE(info.st_mode)
    what = f"the folder {path}" if folder else str(path)
    harm = (
        "they can replace the database or plant its -wal file"
        if folder
        else "they can edit roles with sqlite3 and make themselves admin"
    )
    fix = "chmod 700" if folder else "chmod 600"
    if mode & stat.S_IWOTH:
        return Check(
            "write access",
            "fail",
            f"{what} is writable by every user ({mode:04o}): {harm}; {fix} it",
        )
    if mode & stat.S_IWGRP:
        return Check(
            "write access",
            "warn",
            f"{what} is writable by group {_group_name(info.st_gid)} ({mode:04o}): {harm}; "
            f"{fix} it and {_SETUP_HINT}",
        )
    return None


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def check_identity() -> Check:
    """Who the desk takes us for, and why a `SUDO_USER` was not believed."""
    who = current_identity()
    if who.via == "sudo":
        return Check(
            "identity", "ok", f"{who.login} through sudo (service account {who.os_account})"
        )
    if who.ignored:
        return Check(
            "identity",
            "warn",
            f"{who.login}; SUDO_USER is ignored: {who.ignored} (README: Shared desk)",
        )
    return Check("identity", "ok", f"{who.login} (the OS account)")


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
    checks: list[Check | None] = [
        *check_database(store),
        check_file_modes(store),
        *check_write_access(store),
        check_identity(),
    ]
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
