"""The queue's first frame before the services load (DESIGN §8, launch budget).

`open_queue` reads the default view's first page through the standard-library reader in
store/opening.py and turns it into the same `QueuePage` the services would return, SLA
states included. The app shows it at once and loads the services in the background;
their first answer replaces it. No SQLAlchemy is imported here or below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.queue_types import QueuePage, QueueQuery
from helpdesk_tui.services.rows import rows_to_ticket_rows
from helpdesk_tui.services.sla import SlaBook, calendar_of
from helpdesk_tui.store.opening import OpeningRows, read_opening, sqlite_file

__all__ = ["Opening", "open_queue", "opening_page"]

#: Columns of the page rows that hold timestamps (SQLite text, naive UTC).
_TIMESTAMPS = frozenset(range(7, 15))


@dataclass(frozen=True)
class Opening:
    """The agent and the first page of the default view, read at launch."""

    agent_name: str
    presence: str
    query: QueueQuery
    page: QueuePage


@dataclass(frozen=True)
class _StoredCalendar:
    name: str
    timezone: str
    weekdays: str
    opens: str
    closes: str
    holidays: str


def open_queue(db_url: str, login: str, *, limit: int, now: datetime) -> Opening | None:
    """The launch frame for `login` on an SQLite desk, or None: take the ordinary path."""
    path = sqlite_file(db_url)
    if path is None:
        return None
    stored = read_opening(path, login, limit)
    if stored is None:
        return None
    return Opening(
        agent_name=stored.agent_name,
        presence=stored.presence,
        query=QueueQuery(view="open"),
        page=opening_page(stored, limit, now),
    )


def opening_page(stored: OpeningRows, limit: int, now: datetime) -> QueuePage:
    """The rows read at launch as a QueuePage, with their SLA state at `now`."""
    calendars: dict[int | None, BusinessCalendar] = {
        row[0]: calendar_of(_StoredCalendar(*row[1:])) for row in stored.calendars
    }
    book = SlaBook.from_rows(calendars, stored.policies)
    rows = [_decoded(row) for row in stored.tickets[:limit]]
    return QueuePage(
        rows_to_ticket_rows(rows, book, now),
        has_before=False,
        has_after=len(stored.tickets) > limit,
    )


def _decoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite's timestamp text as the aware UTC datetimes the ORM's column type gives."""
    return tuple(
        _utc(value) if i in _TIMESTAMPS and value is not None else value
        for i, value in enumerate(row)
    )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
