"""Read models: what `ticket show`, `ticket list` and the screens display.

Lists select columns, not entities (DESIGN §9: 100k entities cost 8x column tuples).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.sla import SlaBook, SlaStatus, sla_status, ticket_sla
from helpdesk_tui.services.tickets import get_ticket
from helpdesk_tui.services.vocab import OPEN_STATUSES
from helpdesk_tui.store.models import Agent, Interaction, Requester, SupportGroup, Ticket


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class LogEntry:
    """One line of a ticket's interaction log, for display."""

    id: int
    at: datetime
    kind: str
    agent: str | None
    text: str
    handle_seconds: int
    public: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


def ticket_log(session: Session, ticket_id: int) -> list[LogEntry]:
    """A ticket's log, oldest first."""
    rows = session.execute(
        sa.select(
            col(Interaction.id),
            col(Interaction.created_at),
            col(Interaction.kind),
            col(Agent.login),
            col(Interaction.text),
            col(Interaction.handle_seconds),
            col(Interaction.public),
        )
        .outerjoin(Agent, col(Agent.id) == col(Interaction.agent_id))
        .where(col(Interaction.ticket_id) == ticket_id)
        .order_by(col(Interaction.id))
    )
    return [LogEntry(r[0] or 0, r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def ticket_detail(
    session: Session, actor: Actor, ticket_id: int, now: datetime, book: SlaBook | None = None
) -> dict[str, Any]:
    """Everything about one ticket as a JSON-able dict (stable keys, `ticket show --json`)."""
    ticket = get_ticket(session, actor, ticket_id)
    book = book or SlaBook.load(session)
    requester = session.get(Requester, ticket.requester_id) if ticket.requester_id else None
    assignee = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
    group = session.get(SupportGroup, ticket.group_id) if ticket.group_id else None
    sla = ticket_sla(ticket, book, now)
    return {
        "id": ticket.id,
        "external_ref": ticket.external_ref,
        "version": ticket.version,
        "kind": ticket.kind,
        "title": ticket.title,
        "body": ticket.body,
        "status": ticket.status,
        "category": ticket.category,
        "suggested_category": ticket.suggested_category,
        "priority": ticket.priority,
        "suggested_priority": ticket.suggested_priority,
        "priority_overridden": ticket.priority_overridden,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "channel": ticket.channel,
        "requester": (
            {
                "id": requester.id,
                "name": requester.name,
                "email": requester.email,
                "phone": requester.phone,
                "vip": requester.vip,
            }
            if requester
            else None
        ),
        "assignee": assignee.login if assignee else None,
        "group": group.name if group else None,
        "facts": {
            "occurred_at": _iso(ticket.occurred_at),
            "impact_scope": ticket.impact_scope,
            "affected_users": ticket.affected_users,
            "affected_system": ticket.affected_system,
            "error_codes": ticket.error_codes,
            "tried": ticket.tried,
            "diagnosis": ticket.diagnosis,
        },
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "first_response_at": _iso(ticket.first_response_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "resolution": ticket.resolution,
        "resolved_by_sop": ticket.resolved_by_sop,
        "solution_kb_id": ticket.solution_kb_id,
        "reopen_count": ticket.reopen_count,
        "escalation_count": ticket.escalation_count,
        "sla": sla.to_dict(),
        "log": [entry.to_dict() for entry in ticket_log(session, ticket_id)],
    }


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


_Assignee = aliased(Agent)

#: Columns a list row needs, in TicketRow order plus the SLA inputs.
LIST_COLUMNS = (
    col(Ticket.id),
    col(Ticket.priority),
    col(Ticket.status),
    col(Ticket.category),
    col(Ticket.title),
    col(_Assignee.login),
    col(Requester.name),
    col(Ticket.created_at),
    col(Ticket.updated_at),
    col(Ticket.response_due),
    col(Ticket.resolve_due),
    col(Ticket.first_response_at),
    col(Ticket.resolved_at),
    col(Ticket.sla_paused_at),
    col(Ticket.closed_at),
)


def list_select() -> Any:
    """The base SELECT of ticket lists, joined to assignee and requester names."""
    return (
        sa.select(*LIST_COLUMNS)
        .select_from(Ticket)
        .outerjoin(_Assignee, col(_Assignee.id) == col(Ticket.assignee_id))
        .outerjoin(Requester, col(Requester.id) == col(Ticket.requester_id))
    )


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


def list_tickets(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    statuses: tuple[str, ...] | None = None,
    mine: bool = False,
    category: str | None = None,
    priority: str | None = None,
    limit: int = 50,
) -> list[TicketRow]:
    """Tickets matching the filters, SLA due first (default: all open tickets)."""
    actor.require("ticket.read")
    query = list_select().where(col(Ticket.status).in_(statuses or OPEN_STATUSES))
    if mine:
        query = query.where(col(Ticket.assignee_id) == actor.agent_id)
    if category:
        query = query.where(col(Ticket.category) == category)
    if priority:
        query = query.where(col(Ticket.priority) == priority)
    query = query.order_by(col(Ticket.resolve_due).asc().nulls_last(), col(Ticket.id)).limit(limit)
    return rows_to_ticket_rows(session.execute(query), SlaBook.load(session), now)
