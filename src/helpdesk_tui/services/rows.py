"""Ticket list rows: what the queue, `ticket list` and the launch frame display.

Free of the ORM on purpose (no SQLAlchemy import): the TUI's first frame builds these
rows from a standard-library read (services/opening.py) before the store is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk_tui.services.sla import SlaBook, SlaStatus, sla_status

__all__ = ["TicketRow", "rows_to_ticket_rows"]


@dataclass(frozen=True)
class TicketRow:
    """One line of a ticket list."""

    id: int
    priority: str
    status: str
    category: str
    title: str
    assignee: str | None
    requester: str | None
    created_at: datetime
    updated_at: datetime
    sla: SlaStatus
    closed_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "id": self.id,
            "priority": self.priority,
            "status": self.status,
            "category": self.category,
            "title": self.title,
            "assignee": self.assignee,
            "requester": self.requester,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "sla": self.sla.to_dict(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


def rows_to_ticket_rows(rows: Any, book: SlaBook, now: datetime) -> list[TicketRow]:
    """Turn result tuples of `list_select()` into TicketRows with their SLA state."""
    out = []
    for row in rows:
        status = sla_status(
            book.terms(row[1]),
            now=now,
            created_at=row[7],
            response_due=row[9],
            resolve_due=row[10],
            first_response_at=row[11],
            resolved_at=row[12],
            paused_at=row[13],
        )
        out.append(
            TicketRow(
                id=row[0],
                priority=row[1],
                status=row[2],
                category=row[3],
                title=row[4],
                assignee=row[5],
                requester=row[6],
                created_at=row[7],
                updated_at=row[8],
                sla=status,
                closed_at=row[14],
            )
        )
    return out
