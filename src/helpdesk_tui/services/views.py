"""Read models: what `ticket show`, `ticket list` and the screens display.

Lists select columns, not entities (DESIGN §9: 100k entities cost 8x column tuples).
The escalation read models (the brief shown before escalating, the handoff package the
agent reviews, past handoffs) are here too; the moves themselves are in `escalation`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from helpdesk_tui.errors import NotFound
from helpdesk_tui.services.closure import first_contact_resolution
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.escalation import PACKAGE_NOTE, ola_state
from helpdesk_tui.services.rows import TicketRow, rows_to_ticket_rows
from helpdesk_tui.services.sla import SlaBook, format_duration, ticket_sla
from helpdesk_tui.services.sop import get_sop, runs_of_ticket
from helpdesk_tui.services.tickets import get_ticket
from helpdesk_tui.services.vocab import OPEN_STATUSES
from helpdesk_tui.store.models import Agent, Interaction, Requester, SupportGroup, Ticket
from helpdesk_tui.store.models.escalation import Handoff
from helpdesk_tui.store.types import pk

#: Log kinds that make up "actions taken" in the handoff package.
ACTION_KINDS: Final = ("note", "call", "email", "chat", "sop", "kb")
#: How many log entries the package quotes, newest last.
LOG_EXCERPT: Final = 12
ATTACHMENTS_NONE: Final = "none (the desk does not store attachments yet)"


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
    entries = ticket_log(session, ticket_id)
    previous = (
        session.get(Agent, ticket.previous_assignee_id) if ticket.previous_assignee_id else None
    )
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
        "ola": ola_state(session, ticket, now),
        "resolution_code": ticket.resolution_code,
        "confirmed_at": _iso(ticket.confirmed_at),
        "confirmation_channel": ticket.confirmation_channel,
        "previous_assignee": previous.login if previous else None,
        "fcr": first_contact_resolution(ticket, entries),
        "handoffs": handoffs_of(session, ticket_id),
        "log": [entry.to_dict() for entry in entries],
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


def _utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


# -- the handoff package --------------------------------------------------------------
@dataclass(frozen=True)
class EscalationBrief:
    """What the agent checks before escalating: SLA terms, time left, escalate_if."""

    sla_line: str
    escalate_if: list[tuple[str, list[str]]]

    def lines(self) -> list[str]:
        """As text lines (the CLI and the dialog show these)."""
        out = [self.sla_line]
        out += [
            f"escalate if ({sop_id}): " + "; ".join(items) for sop_id, items in self.escalate_if
        ]
        return out


def escalation_brief(
    session: Session, ticket: Ticket, now: datetime, sop_ids: tuple[str, ...] = ()
) -> EscalationBrief:
    """The SLA terms and time left, and `escalate_if` of the SOPs run or matched."""
    book = SlaBook.load(session)
    terms = book.terms(ticket.priority)
    sla = ticket_sla(ticket, book, now)
    state = "paused" if sla.paused else sla.state
    line = (
        f"SLA {terms.name} ({ticket.priority}): respond {int(terms.response_s // 60)} min,"
        f" resolve {int(terms.resolve_s // 60)} min ({terms.calendar.name}); resolve by"
        f" {_utc(sla.resolve_due)}: {state}, {format_duration(sla.remaining_s)} left"
    )
    ids = [run.sop_id for run in runs_of_ticket(session, pk(ticket))] + list(sop_ids)
    criteria: list[tuple[str, list[str]]] = []
    for sop_id in dict.fromkeys(ids):
        try:
            criteria.append((sop_id, get_sop(session, sop_id).escalate_if))
        except NotFound:  # retired since it ran: nothing to show
            continue
    return EscalationBrief(line, criteria)


def handoff_package(
    session: Session, actor: Actor, ticket_id: int, now: datetime, sop_ids: tuple[str, ...] = ()
) -> str:
    """The handoff package as editable plain text, for the agent to review and confirm."""
    actor.require("ticket.read")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    requester = session.get(Requester, ticket.requester_id) if ticket.requester_id else None
    who = "-"
    if requester is not None:
        parts = (requester.name, requester.email, requester.phone)
        who = ", ".join(dict.fromkeys(x for x in parts if x))  # a name may be the address
        who += " (VIP)" if requester.vip else ""
    brief = escalation_brief(session, ticket, now, sop_ids)
    out = [
        f"HANDOFF #{ticket_id}: {ticket.title}",
        "",
        "KEY FACTS",
        f"- kind: {ticket.kind} · category: {ticket.category} · priority: {ticket.priority}"
        f" (impact {ticket.impact} x urgency {ticket.urgency})",
        f"- requester: {who} · via {ticket.channel}",
        f"- occurred: {_utc(ticket.occurred_at)} · recorded: {_utc(ticket.created_at)}",
        f"- scope: {ticket.impact_scope.replace('_', ' ')}, {ticket.affected_users} user(s)"
        f" · system: {ticket.affected_system or '-'}",
        f"- already tried: {ticket.tried or '-'}",
        f"- diagnosis: {ticket.diagnosis or '-'}",
        f"- {brief.sla_line}",
        "",
        "ERROR CODES",
        f"- {ticket.error_codes or 'none recorded'}",
        "",
        "ACTIONS TAKEN (log excerpt)",
    ]
    entries = session.execute(
        sa.select(
            col(Interaction.created_at),
            col(Agent.login),
            col(Interaction.kind),
            col(Interaction.text),
        )
        .outerjoin(Agent, col(Agent.id) == col(Interaction.agent_id))
        .where(
            col(Interaction.ticket_id) == ticket_id,
            col(Interaction.kind).in_(ACTION_KINDS),
            col(Interaction.text).not_like(PACKAGE_NOTE + "%"),
        )
        .order_by(col(Interaction.id).desc())
        .limit(LOG_EXCERPT)
    ).all()
    for at, login, kind, text in reversed(entries):
        one_line = " ".join(str(text).split())
        out.append(f"- {at:%m-%d %H:%M} {login or '-'} {kind}: {one_line[:200]}")
    if not entries:
        out.append("- none logged")
    out += ["", "SOP STEPS DONE"]
    runs = runs_of_ticket(session, ticket_id)
    for run in runs:
        try:
            steps = get_sop(session, run.sop_id).steps
        except NotFound:
            steps = []
        out.append(
            f"- {run.sop_id}: {len(run.steps_done)} of {len(steps)} steps ({run.outcome or 'open'})"
        )
        out += [f"  [x] {n + 1}. {steps[n]}" for n in run.steps_done if n < len(steps)]
    if not runs:
        out.append("- no SOP followed")
    for sop_id, items in brief.escalate_if:
        out.append(f"- escalate if ({sop_id}): " + "; ".join(items))
    out += ["", "ATTACHMENTS", f"- {ATTACHMENTS_NONE}"]
    return "\n".join(out)


def handoffs_of(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's handoffs, oldest first, as JSON-able dicts."""
    rows = session.scalars(
        sa.select(Handoff).where(col(Handoff.ticket_id) == ticket_id).order_by(col(Handoff.id))
    )
    names = dict(session.execute(sa.select(col(SupportGroup.id), col(SupportGroup.name))).all())
    out = []
    for row in rows:
        agents = {
            a.id: a.login
            for a in session.scalars(
                sa.select(Agent).where(col(Agent.id).in_([row.from_agent_id, row.to_agent_id]))
            )
        }
        out.append(
            {
                "id": row.id,
                "kind": row.kind,
                "at": row.created_at.isoformat(),
                "from_agent": agents.get(row.from_agent_id),
                "from_group": names.get(row.from_group_id),
                "to_group": names.get(row.to_group_id),
                "to_agent": agents.get(row.to_agent_id),
                "reason": row.reason,
                "expected_by": row.expected_by.isoformat() if row.expected_by else None,
                "package": row.package,
            }
        )
    return out
