"""Noticing other agents' changes cheaply (DESIGN §5: live within a few seconds).

SQLite: `PRAGMA data_version` on one dedicated connection changes whenever another
connection commits. PostgreSQL: triggers NOTIFY `helpdesk_changes`; a dedicated
connection LISTENs. Either way a poll is one cheap call and no repaint unless changed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from helpdesk_tui.store.engine import BUSY_TIMEOUT_MS, Store, connect_sqlite

CHANNEL = "helpdesk_changes"


class ChangeWatcher:
    """`changed()` is True when someone committed since the last call."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._version: int | None = None

    def _open(self) -> None:
        path = self._store.sqlite_path
        if self._store.is_sqlite:
            if path is None:
                return
            # Its own connection: data_version only reports *other* connections' commits.
            self._sqlite = connect_sqlite(
                path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._version = self._read_version()
        else:
            import psycopg

            url = self._store.url.set(drivername="postgresql")
            self._pg = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            self._pg.execute(f"LISTEN {CHANNEL}")

    def _read_version(self) -> int:
        assert self._sqlite is not None
        row = self._sqlite.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def changed(self) -> bool:
        """True if another connection committed since the previous call (first call: False)."""
        if self._sqlite is None and self._pg is None:
            self._open()
            return False
        if self._sqlite is not None:
            version = self._read_version()
            moved = version != self._version
            self._version = version
            return moved
        moved = False
        for _ in self._pg.notifies(timeout=0.0):
            moved = True
        return moved

    def close(self) -> None:
        """Close the dedicated connection."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            self._pg.close()
            self._pg = None
