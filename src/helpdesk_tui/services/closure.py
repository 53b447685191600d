"""Verified closure: resolution codes, the requester's confirmation, auto-close, reopening, FCR.

A resolved ticket is not closed by the agent: it waits for the requester to confirm the
fix (by phone, mail or chat: `confirm_resolution`) or closes itself after N days without
reply (`close_unconfirmed`, called by the SLA watcher or a cron through
`helpdesk ticket autoclose`). Within `reopen_days` of its resolution a ticket may be
reopened, back to whoever resolved it; later, a new ticket referencing it is the way.
Both limits are desk policy in the database (`services/desk_policy.py`, set with
`helpdesk policy set --auto-close-days N --reopen-days N`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.ticket_access import Move
from helpdesk_tui.services.ticket_access import require as require_may
from helpdesk_tui.services.tickets import lock_ticket, log, touch
from helpdesk_tui.store.models import Agent, Ticket
from helpdesk_tui.store.types import utcnow

#: Resolution codes: what kind of solution it was (FCR, knowledge and problem reports).
RESOLUTION_CODES: Final[dict[str, str]] = {
    "solved_permanent": "solved: permanent fix",
    "solved_workaround": "solved: workaround (the cause remains)",
    "fulfilled": "service request fulfilled",
    "not_reproducible": "could not be reproduced",
    "user_error": "user error, explained",
    "duplicate": "duplicate of another ticket",
    "out_of_scope": "outside the desk's services",
}

#: How the requester may confirm a resolution.
CONFIRM_CHANNELS: Final = ("phone", "mail", "chat")

DEFAULT_AUTO_CLOSE_DAYS: Final = 5
DEFAULT_REOPEN_DAYS: Final = 10

#: The longest wait before an unconfirmed ticket closes itself (ten years: past that a
#: date computed from it can leave the calendar).
MAX_CLOSURE_DAYS: Final = 3_650
#: Log kinds that are a contact with the requester (for first-contact resolution).
CONTACT_KINDS: Final = frozenset({"call", "email", "chat"})


def check_resolution_code(code: str | None) -> str:
    """The code, if it is one of RESOLUTION_CODES; else a usage error listing them."""
    if not code:
        raise UsageError(
            "resolving a ticket needs a resolution code (--code); valid: "
            + ", ".join(RESOLUTION_CODES)
        )
    if code not in RESOLUTION_CODES:
        raise invalid_choice("resolution code", code, RESOLUTION_CODES)
    return code


def mark_resolved(ticket: Ticket, actor: Actor, code: str, summary: str, now: datetime) -> None:
    """Set what resolving sets; the resolver is remembered for a reopen."""
    ticket.resolved_at = now
    ticket.resolution = summary
    ticket.resolution_code = code
    ticket.confirmed_at = None
    ticket.confirmation_channel = None
    ticket.previous_assignee_id = ticket.assignee_id or actor.agent_id


def check_reopen_window(ticket: Ticket, now: datetime, reopen_days: int) -> None:
    """Raise Conflict when the ticket was resolved more than `reopen_days` ago."""
    resolved = ticket.resolved_at or ticket.closed_at or now
    if now - resolved > timedelta(days=reopen_days):
        raise Conflict(
            f"ticket #{ticket.id} was resolved more than {reopen_days} days ago and can no "
            f"longer be reopened; record a new ticket referencing #{ticket.id}"
        )


def reopen(session: Session, ticket: Ticket, now: datetime, reopen_days: int) -> None:
    """Reopen a resolved or closed ticket within the window, back to its previous assignee."""
    check_reopen_window(ticket, now, reopen_days)
    ticket.reopen_count += 1
    ticket.resolved_at = ticket.closed_at = ticket.confirmed_at = None
    ticket.confirmation_channel = ticket.resolution_code = None
    if ticket.previous_assignee_id is not None:
        active = session.scalar(
            sa.select(col(Agent.active)).where(col(Agent.id) == ticket.previous_assignee_id)
        )
        if active:
            ticket.assignee_id = ticket.previous_assignee_id


def confirm_resolution(
    session: Session,
    actor: Actor,
    ticket_id: int,
    via: str,
    *,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record the requester's confirmation (phone, mail or chat) and close the ticket.

    First line confirms (it verifies closure with the requester, also for the tickets it
    escalated), and so do the agents who worked the ticket, its group and supervisors.
    """
    actor.require("ticket.status")
    if via not in CONFIRM_CHANNELS:
        raise invalid_choice("confirmation channel", via, CONFIRM_CHANNELS)
    now = now or utcnow()
    ticket = lock_ticket(session, ticket_id, expected_version)
    if ticket.status != "resolved":
        raise Conflict(
            f"ticket #{ticket_id} is {ticket.status}; only resolved tickets await confirmation"
        )
    require_may(session, actor, ticket, Move.CONFIRM, verb="confirm")
    ticket.status = "closed"
    ticket.closed_at = ticket.confirmed_at = now
    ticket.confirmation_channel = via
    touch(ticket, now)
    text = f"resolved -> closed: the requester confirmed the resolution by {via}"
    log(
        session,
        actor,
        ticket_id,
        "status",
        text + (f": {note.strip()}" if note.strip() else ""),
        now,
    )
    record_audit(session, actor, "ticket.confirm", "ticket", ticket_id, {"via": via}, now=now)
    return ticket


def close_unconfirmed(
    session: Session,
    now: datetime,
    days: int = DEFAULT_AUTO_CLOSE_DAYS,
    *,
    actor: Actor = SYSTEM,
    limit: int = 1000,
) -> list[int]:
    """Close resolved tickets whose requester stayed silent `days` days (exactly N closes).

    For the SLA watcher or a cron; returns the ids closed. A desk-wide action: it needs
    `ticket.autoclose` (supervisors and admins; the watcher runs it as the system
    account). Each close is a conditional UPDATE, so a confirmation or reopen that lands
    meanwhile wins. At most `limit` per call keeps the write transaction short; the next
    run takes the rest.
    """
    actor.require("ticket.autoclose")
    if not 1 <= days <= MAX_CLOSURE_DAYS:
        raise UsageError(f"auto-close takes 1 to {MAX_CLOSURE_DAYS:,} days, not {days:,}")
    cutoff = now - timedelta(days=days)
    ids = [
        int(found)
        for found in session.scalars(
            sa.select(col(Ticket.id))
            .where(col(Ticket.status) == "resolved", col(Ticket.resolved_at) <= cutoff)
            .order_by(col(Ticket.resolved_at), col(Ticket.id))
            .limit(limit)
        )
        if found is not None
    ]
    closed: list[int] = []
    for ticket_id in ids:
        result = session.execute(
            sa.update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.status) == "resolved")
            .values(
                status="closed",
                closed_at=now,
                confirmation_channel="auto",
                updated_at=now,
                version=col(Ticket.version) + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            closed.append(ticket_id)
            text = f"resolved -> closed: no reply from the requester within {days} days"
            log(session, actor, ticket_id, "status", text, now)
    if closed:
        record_audit(
            session,
            actor,
            "ticket.autoclose",
            "ticket",
            None,
            {"ids": closed, "days": days},
            now=now,
        )
    return closed


class _Entry(Protocol):
    """A log line: `views.LogEntry` or an `Interaction` row."""

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...


def first_contact_resolution(ticket: Ticket, log: Sequence[_Entry]) -> bool:
    """True when the ticket was solved in its first contact (ITIL FCR).

    That is: resolved (not cancelled), never escalated, never reopened, never put on hold
    waiting for the customer, and at most one contact with the requester (call, mail,
    chat) logged before the resolution: the first contact itself.
    """
    if ticket.resolved_at is None or ticket.status not in ("resolved", "closed"):
        return False
    if ticket.escalation_count or ticket.reopen_count or ticket.sla_paused_s > 0:
        return False
    contacts = 0
    for entry in log:
        if entry.kind == "resolution":
            break
        if entry.kind in CONTACT_KINDS:
            contacts += 1
        if entry.kind == "status" and "-> waiting_customer" in entry.text:
            return False
    return contacts <= 1
