"""Engine and unit-of-work factory (DESIGN §4).

No engine exists at import time: the CLI (or a test) builds a `Store` from a URL and
hands it down. SQLite gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout on
every connection, and every write transaction starts with `BEGIN IMMEDIATE` so that
concurrent writers queue on the lock instead of failing half-way with SQLITE_BUSY.
A new SQLite file is created with the store's file modes (store/files.py) just before
SQLite would create it with its own (0644 less the umask).

A database the account may only read (a read-only directory or file, a copy on read-only
media) still opens for reading; writing to it fails with the database's "read-only"
error, which the CLI turns into one line. A URL that names no database SQLAlchemy and
this program can use is a usage error, not a traceback.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk_tui.errors import StoreUnavailable, UsageError, one_line
from helpdesk_tui.store.files import PRIVATE, FileModes, create_file
from helpdesk_tui.store.limits import check_flush, storable

T = TypeVar("T")

#: Milliseconds SQLite waits for a lock before giving up (DESIGN §4: at least 5 s).
BUSY_TIMEOUT_MS = 10_000
#: Times a write unit of work is retried after a lock timeout or a serialisation failure.
WRITE_RETRIES = 8
#: PostgreSQL SQLSTATEs that mean "try the whole transaction again".
_PG_RETRYABLE = {"40001", "40P01", "55P03"}
#: The backends a desk can live on (DESIGN §4).
BACKENDS = ("sqlite", "postgresql")
#: What to install for a backend's driver when it is missing.
_DRIVER_HINT = {"postgresql": "pip install 'helpdesk-tui[pg]' (psycopg)"}


class _SQLiteHintCompiler(SQLiteCompiler):
    """SQLite's compiler, rendering `with_hint(table, "INDEXED BY ...", "sqlite")`.

    SQLAlchemy's SQLite dialect drops table hints; SQLite's own `INDEXED BY` is the one
    way to make its planner walk a partial index in order (the queue's "all open" view:
    0.4 ms instead of 30 ms at a million tickets, where it would sort every open ticket).
    """

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def connect_sqlite(path: Path, **kwargs: Any) -> sqlite3.Connection:
    """Open an SQLite file, read-only when that is all this account can do.

    A WAL database needs its `-shm` index file; when it does not exist and the directory
    is read-only, SQLite cannot create it and even a read fails ("unable to open database
    file"). No `-shm` file means no connection has the database open, so it is then
    opened immutable and read-only: reads work, writes say the database is read-only.
    """
    conn: sqlite3.Connection = sqlite3.connect(path, **kwargs)
    if not path.exists():
        return conn  # a new database: nothing to read yet
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError:
        shm = path.with_name(path.name + "-shm")
        if shm.exists() or not os.access(path, os.R_OK):
            raise
        conn.close()
        uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
        read_only: sqlite3.Connection = sqlite3.connect(uri, **{**kwargs, "uri": True})
        return read_only
    return conn


def _set_wal(cur: sqlite3.Cursor) -> None:
    """Switch a file database to WAL once; a read-only one stays in its own mode."""
    if cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return  # already: setting it again would be a write a read-only file refuses
    try:
        cur.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc).lower():
            raise


def _install_sqlite_hooks(engine: Engine, new_file: Path | None, modes: FileModes) -> None:
    """Set the pragmas and take over BEGIN from pysqlite, which would emit a deferred one.

    `new_file`, when given, is created with `modes` if it does not exist when a
    connection is made (SQLite would create it with 0644 less the umask, and gives its
    -wal and -shm files the database's mode), and opened read-only when that is all this
    account can do (`connect_sqlite`).
    """
    if new_file is not None:

        @event.listens_for(engine, "do_connect")
        def _do_connect(_dialect: Any, _rec: Any, _cargs: Any, cparams: Any) -> Any:
            assert new_file is not None
            if not new_file.exists():
                create_file(new_file, modes)
            return connect_sqlite(new_file, **cparams)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, see _on_begin
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            _set_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("helpdesk_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def database_url(url: str | sa.URL) -> sa.URL:
    """The parsed URL of a desk's database; a usage error for anything else.

    A desk lives on SQLite or PostgreSQL; a URL SQLAlchemy cannot parse, or another
    backend, is refused here with one line (the value is not echoed: it may hold a
    password).
    """
    if isinstance(url, str) and not storable(url):
        raise UsageError("the database URL or path is not text (a NUL or a byte that is not UTF-8)")
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise UsageError(
            "not a database URL or file path (e.g. postgresql+psycopg://user@host/db): "
            f"{one_line(str(exc))}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise UsageError(
            f"unsupported database {backend!r}: a desk lives on {' or '.join(BACKENDS)}"
        )
    return parsed


def _is_retryable(exc: DBAPIError) -> bool:
    """True for a lock timeout (SQLite) or a serialisation failure/deadlock (PostgreSQL)."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in _PG_RETRYABLE:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database is busy" in message


class Store:
    """The database: an engine plus read and write unit-of-work factories."""

    def __init__(
        self, url: str | sa.URL, *, echo: bool = False, file_modes: FileModes = PRIVATE
    ) -> None:
        self.url = database_url(url)
        #: The modes of a new SQLite file and its directory (store/files.py).
        self.file_modes = file_modes
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            # One connection per thread; the TUI's workers each get their own.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = sa.create_engine(self.url, **kwargs)
        except ImportError as exc:  # the backend's driver is not installed
            hint = _DRIVER_HINT.get(self.url.get_backend_name(), "install it")
            raise UsageError(
                f"no driver for {self.url.drivername} ({exc.name or exc}); {hint}"
            ) from None
        except sa.exc.ArgumentError as exc:
            raise UsageError(f"cannot use the database URL {self.describe()}: {exc}") from None
        if self.is_sqlite:
            self.engine.dialect.statement_compiler = _SQLiteHintCompiler
            # A `file:` URI (uri=true) may say mode=ro and the like: SQLite decides then.
            new_file = None if "uri" in self.url.query else self.sqlite_path
            _install_sqlite_hooks(self.engine, new_file, file_modes)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(helpdesk_write=True), expire_on_commit=False
        )
        for factory in (self._read, self._write):
            event.listen(factory, "before_flush", check_flush)

    @property
    def is_sqlite(self) -> bool:
        """True when the store is an SQLite file (or memory) database."""
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for SQLite stores, else None."""
        if not self.is_sqlite or self.url.database in (None, "", ":memory:"):
            return None
        return Path(str(self.url.database))

    def missing_file(self) -> Path | None:
        """The SQLite file when it does not exist yet (None: it exists, or not SQLite).

        A directory on the way that this account cannot enter is a one-line error, not
        the PermissionError `Path.exists` raises.
        """
        path = self.sqlite_path
        if path is None:
            return None
        try:
            return None if path.exists() else path
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot reach the database {path}: {exc.strerror or exc} "
                "(a directory on the way is not open to this account)"
            ) from None

    def describe(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only snapshot. Never keep one open while a person types."""
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE on SQLite); commits on success.

        Prefer `run_write`, which also retries after a lock timeout.
        """
        with self._write() as session, session.begin():
            yield session

    def run_write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a write transaction, retrying the whole unit after lock timeouts.

        `work` must be safe to run again: it sees a fresh session each time.
        """
        for attempt in range(WRITE_RETRIES):
            try:
                with self.write() as session:
                    return work(session)
            except (OperationalError, DBAPIError) as exc:
                if not _is_retryable(exc):
                    raise
                if attempt == WRITE_RETRIES - 1:
                    raise StoreUnavailable(
                        f"the database at {self.describe()} stayed locked; try again"
                    ) from exc
                # Jitter so that colliding writers do not collide again in lock step.
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
