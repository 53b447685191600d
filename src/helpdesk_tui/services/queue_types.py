"""What the queue shows: views, the query, page keys and pages; the nearest breach.

Plain values free of the ORM (no SQLAlchemy import): the screens and the launch frame
(services/opening.py) use them before the store is loaded. The SQL is in `queue`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from helpdesk_tui.errors import invalid_choice
from helpdesk_tui.services.rows import TicketRow
from helpdesk_tui.services.vocab import PRIORITIES, STATUSES

__all__ = ["PAGE_SIZE", "VIEWS", "NearestBreach", "PageKey", "QueuePage", "QueueQuery"]

#: View id -> title shown on the queue's tabs.
VIEWS: Final[dict[str, str]] = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "group": "Group",
    "escalated": "Escalated",
    "waiting": "Waiting",
    "open": "Open",
    "closed": "Closed",
}

#: Default page size: a screenful many times over, still cheap to fetch.
PAGE_SIZE: Final = 200


@dataclass(frozen=True)
class QueueQuery:
    """What the agent is looking at: a view, optional filters and a search text."""

    view: str = "open"
    category: str | None = None
    priority: str | None = None
    status: str | None = None
    search: str = ""

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise invalid_choice("view", self.view, VIEWS)
        if self.priority is not None and self.priority not in PRIORITIES:
            raise invalid_choice("priority", self.priority, PRIORITIES)
        if self.status is not None and self.status not in STATUSES:
            raise invalid_choice("status", self.status, STATUSES)

    def with_(self, **changes: Any) -> QueueQuery:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class PageKey:
    """The sort key of one row: where a page starts or ends."""

    at: datetime | None
    id: int


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and whether more rows lie before or after it."""

    rows: list[TicketRow]
    has_before: bool
    has_after: bool

    @property
    def first_key(self) -> PageKey | None:
        """Key of the first row (for paging backwards)."""
        return _key(self.rows[0]) if self.rows else None

    @property
    def last_key(self) -> PageKey | None:
        """Key of the last row (for paging forwards)."""
        return _key(self.rows[-1]) if self.rows else None


def _key(row: TicketRow) -> PageKey:
    if row.status in ("closed", "cancelled"):
        return PageKey(row.closed_at, row.id)
    return PageKey(row.sla.resolve_due, row.id)


@dataclass(frozen=True)
class NearestBreach:
    """The open ticket (mine or unassigned) whose resolution is due soonest."""

    ticket_id: int
    due: datetime
