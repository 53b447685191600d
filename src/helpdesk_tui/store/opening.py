"""The launch frame's reads, on SQLite, with the standard library alone (DESIGN §8).

`helpdesk` draws its first queue frame from these reads while SQLAlchemy, SQLModel and
the services load in the background: those imports alone take longer than a whole
Textual app takes to start. Only the default view's first page is read here, with the
same SQL the ORM sends for it (tests/test_opening.py compares the two on real data);
everything after the first frame goes through the services.

Anything unexpected (no such file, another schema revision, an unknown or inactive
agent, no permission to read tickets, any SQLite error) gives None, and the caller takes
the ordinary path, which explains the problem properly.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from helpdesk_tui.store.schema import OPEN_PREDICATE, SCHEMA_HEAD

__all__ = ["OpeningRows", "read_opening", "sqlite_file"]

#: The "open" view's first page, SLA due first: `queue.fetch_page` for QueueQuery().
OPEN_PAGE_SQL: Final = f"""
SELECT ticket.id, ticket.priority, ticket.status, ticket.category, ticket.title,
       agent_1.login, requester.name, ticket.created_at, ticket.updated_at,
       ticket.response_due, ticket.resolve_due, ticket.first_response_at,
       ticket.resolved_at, ticket.sla_paused_at, ticket.closed_at
FROM ticket INDEXED BY ix_ticket_open_due
LEFT OUTER JOIN agent AS agent_1 ON agent_1.id = ticket.assignee_id
LEFT OUTER JOIN requester ON requester.id = ticket.requester_id
WHERE ticket.{OPEN_PREDICATE}
ORDER BY ticket.resolve_due ASC, ticket.id ASC
LIMIT ?
"""  # noqa: S608 - constants only; the limit is bound
_CAN_READ: Final = """
SELECT 1 FROM agent_role
JOIN role_permission ON role_permission.role_id = agent_role.role_id
JOIN permission ON permission.id = role_permission.permission_id
WHERE agent_role.agent_id = ? AND permission.name = 'ticket.read'
"""
_BUSY_MS: Final = 2000


@dataclass(frozen=True)
class OpeningRows:
    """What the first frame shows, as stored: timestamps are SQLite's naive UTC text."""

    agent_id: int
    agent_name: str
    presence: str
    #: Rows in `OPEN_PAGE_SQL` column order; one more than asked when more follow.
    tickets: list[tuple[Any, ...]]
    #: (id, name, timezone, weekdays, opens, closes, holidays) of every calendar.
    calendars: list[tuple[Any, ...]]
    #: (id, name, priority, response min, resolve min, calendar id), active, by id.
    policies: list[tuple[Any, ...]]


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL; None for anything else."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix) :]
    return Path(path) if path and path != ":memory:" else None


def read_opening(path: Path, login: str, limit: int) -> OpeningRows | None:
    """The agent and the first `limit` (+1) rows of the open view, or None (see above)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path, timeout=_BUSY_MS / 1000, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA query_only = ON")  # this reader never writes, by construction
        conn.execute("BEGIN")  # one snapshot for every read below
        return _read(conn, login, limit)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, login: str, limit: int) -> OpeningRows | None:
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None or revision[0] != SCHEMA_HEAD:
        return None
    agent = conn.execute(
        "SELECT id, name, presence, active FROM agent WHERE login = ?", (login,)
    ).fetchone()
    if agent is None or not agent[3]:
        return None
    if conn.execute(_CAN_READ, (agent[0],)).fetchone() is None:
        return None
    return OpeningRows(
        agent_id=agent[0],
        agent_name=agent[1],
        presence=agent[2] or "available",
        tickets=conn.execute(OPEN_PAGE_SQL, (limit + 1,)).fetchall(),
        calendars=conn.execute(
            "SELECT id, name, timezone, weekdays, opens, closes, holidays FROM calendar"
        ).fetchall(),
        policies=conn.execute(
            "SELECT id, name, priority, response_minutes, resolve_minutes, calendar_id "
            "FROM sla_policy WHERE active ORDER BY id"
        ).fetchall(),
    )
