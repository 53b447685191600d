"""Bulk loading for imports and demo data (DESIGN §4 and §9 "ORM objects for bulk work").

Rows are plain tuples in a fixed column order, sent with the driver's `executemany`
(SQLite) or `COPY` (PostgreSQL with psycopg) inside the caller's write transaction. No
ORM objects and no per-value type processing: timestamps are encoded once per value by
`timestamp_encoder` into exactly what `UTCDateTime` stores, so rows written here read
back through the ORM like any other.

Full-text search: on SQLite the `ticket_fts_ai` trigger indexes each row as it lands.
Measured on this machine (SQLite 3.40, 200,000 tickets of about 40 words): 47 s with the
trigger against 12.8 s with the trigger dropped and the new rows indexed by one
`INSERT ... SELECT` afterwards (5 s without any FTS). `fts_bulk_mode` does the latter
inside the caller's transaction, so a failure or a crash rolls the trigger back in with
everything else: the schema is never left without it. PostgreSQL's `tsvector` is a
generated column and needs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

import sqlalchemy as sa

__all__ = [
    "BULK_CACHE_KIB",
    "INTERACTION_COLUMNS",
    "REQUESTER_COLUMNS",
    "TICKET_COLUMNS",
    "bulk_cache",
    "bulk_insert",
    "epoch_us",
    "fts_bulk_mode",
    "reserve_ids",
    "timestamp_encoder",
]

#: The columns of `ticket` bulk rows carry, in this order. Any other column must be
#: nullable without a default (tests/test_import.py checks it against the model).
TICKET_COLUMNS: Final = (
    "id", "external_ref", "kind", "title", "body", "category", "suggested_category", "impact",
    "urgency", "priority", "suggested_priority", "priority_overridden", "status", "channel",
    "requester_id", "assignee_id", "group_id", "created_by_id", "sla_policy_id", "occurred_at",
    "impact_scope", "affected_users", "affected_system", "error_codes", "tried", "diagnosis",
    "created_at", "updated_at", "first_response_at", "response_due", "resolve_due",
    "sla_paused_at", "sla_paused_s", "resolved_at", "closed_at", "resolution", "reopen_count",
    "escalation_count", "version",
)  # fmt: skip
#: Columns of `interaction` rows (the id is left to the database: nothing refers to it).
INTERACTION_COLUMNS: Final = (
    "ticket_id", "kind", "text", "agent_id", "created_at", "handle_seconds", "public",
)  # fmt: skip
#: Columns of `requester` rows.
REQUESTER_COLUMNS: Final = (
    "id", "name", "email", "phone", "department_id", "vip", "created_at",
)  # fmt: skip

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_FTS_TRIGGER: Final = "ticket_fts_ai"
#: Page cache for a bulk load on SQLite, in KiB (negative pragma value = KiB).
BULK_CACHE_KIB: Final = 256 * 1024

Row = Sequence[Any]


def epoch_us(at: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (naive ones are refused)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (at - _EPOCH) // _ONE_US


#: "MM:SS" for every second of an hour, and "YYYY-MM-DD HH:" per hour since the epoch:
#: formatting a timestamp is then two lookups and a join, about half the cost of strftime.
_MMSS: Final = [f"{s // 60:02d}:{s % 60:02d}" for s in range(3600)]
_HOUR_PREFIX: dict[int, str] = {}


def _hour_prefix(hours: int) -> str:
    if len(_HOUR_PREFIX) > 200_000:  # a decade of hours; keep memory bounded
        _HOUR_PREFIX.clear()
    days, hour = divmod(hours, 24)
    text = _HOUR_PREFIX[hours] = (
        f"{date.fromordinal(_EPOCH_ORDINAL + days).isoformat()} {hour:02d}:"
    )
    return text


def sqlite_timestamp(us: int) -> str:
    """The text `UTCDateTime` stores on SQLite (naive UTC, always with microseconds).

    The same format as SQLAlchemy's SQLite DATETIME, so that comparisons with values bound
    through the ORM stay correct: text compares character by character.
    """
    hours, rest = divmod(us, 3_600_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    prefix = _HOUR_PREFIX.get(hours) or _hour_prefix(hours)
    return f"{prefix}{_MMSS[seconds]}.{micro:06d}"


def _aware(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def timestamp_encoder(conn: sa.Connection) -> Callable[[int], Any]:
    """A function from epoch microseconds to the value a bulk row carries on this backend."""
    return sqlite_timestamp if conn.dialect.name == "sqlite" else _aware


def reserve_ids(conn: sa.Connection, table: sa.Table, count: int) -> Sequence[int]:
    """Ids for `count` new rows of `table`, so that rows referring to them can be built first.

    SQLite: the ids after the current maximum, safe because the caller's write
    transaction (BEGIN IMMEDIATE) keeps every other writer out until it commits.
    PostgreSQL: drawn from the column's sequence, safe alongside concurrent writers.
    """
    if count <= 0:
        return range(0)
    if conn.dialect.name == "postgresql":
        ids = conn.execute(
            sa.select(
                sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, "id"))
            ).select_from(sa.func.generate_series(1, count))
        ).scalars()
        return [int(i) for i in ids]
    top = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    return range(int(top) + 1, int(top) + 1 + count)


def bulk_insert(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Row]
) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; returns the number written.

    Runs in the caller's transaction. Values must already be in storage form: timestamps
    from `timestamp_encoder`, booleans as `bool`.
    """
    if not rows:
        return 0
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_rows(conn, table, columns, rows)
    elif conn.dialect.name == "sqlite":
        sql, order = _insert_sql(conn.dialect, table, tuple(columns))
        if order is not None:
            rows = [tuple(row[i] for i in order) for row in rows]
        conn.exec_driver_sql(sql, list(rows))
    else:  # any other backend: plain Core executemany with the column types applied
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
    return len(rows)


@lru_cache(maxsize=64)
def _insert_sql(
    dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]
) -> tuple[str, tuple[int, ...] | None]:
    """The compiled positional INSERT for `columns`, and how to reorder rows to match it."""
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ())
    if set(order) != set(columns):
        # Core added a column we did not pass (one with a Python-side default).
        missing = sorted(set(order) - set(columns))
        raise ValueError(f"bulk rows of {table.name} lack the columns {missing}")
    if order == columns:
        return str(compiled), None
    index = {name: i for i, name in enumerate(columns)}
    return str(compiled), tuple(index[name] for name in order)


def _copy_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """COPY rows in through psycopg: an order of magnitude faster than executemany."""
    from psycopg import sql

    raw: Any = conn.connection.dbapi_connection  # a psycopg.Connection
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def fts_bulk_mode(conn: sa.Connection) -> Iterator[None]:
    """Suspend per-row FTS indexing of tickets for a bulk load in the current transaction.

    On SQLite the insert trigger is dropped, and on a normal exit the tickets added since
    (every id above the maximum at entry: use `reserve_ids`) are indexed in one statement
    and the trigger is recreated from its stored definition. All of it is inside the
    caller's transaction, so a rollback restores the trigger too; on an error the trigger
    is recreated at once anyway, for a caller that catches the error and commits.
    Elsewhere (PostgreSQL, or no FTS table) this does nothing.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    if not conn.in_transaction():
        raise RuntimeError("fts_bulk_mode needs an open write transaction")
    trigger_sql = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _FTS_TRIGGER},
    ).scalar()
    if trigger_sql is None:
        yield
        return
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM ticket").scalar_one()
    conn.exec_driver_sql(f"DROP TRIGGER {_FTS_TRIGGER}")
    try:
        yield
    except BaseException:
        with suppress(Exception):
            conn.exec_driver_sql(str(trigger_sql))
        raise
    conn.exec_driver_sql(
        "INSERT INTO ticket_fts(rowid, title, body) SELECT id, title, body FROM ticket "
        "WHERE id > ?",
        (before,),
    )
    conn.exec_driver_sql(str(trigger_sql))


@contextmanager
def bulk_cache(conn: sa.Connection) -> Iterator[None]:
    """A large SQLite page cache on this connection for the duration of a bulk load.

    The default cache (2 MiB) holds a sliver of eight ticket indexes, so a load of many
    rows evicts and re-reads index pages all the time and spills dirty pages to the WAL
    before the commit. With 256 MiB the raw insert of 200,000 tickets here goes from
    24,000 to 28,000 rows/s. The cache is memory SQLite only takes as pages are touched
    and gives back when the size is restored at the end. Elsewhere this does nothing.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
