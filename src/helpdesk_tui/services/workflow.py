"""Working a ticket: notes and calls, taking it, changing its facts and status.

Every change locks the ticket, checks the version the agent saw (if given), writes one
log entry per change and an audit row, all in the caller's transaction. Escalating lives
in `escalation` (re-exported here); an L2/L3 engineer's moves (accept = take, ask for
information, hand back) are here with the other moves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.closure import (
    DEFAULT_REOPEN_DAYS,
    check_reopen_window,
    check_resolution_code,
    mark_resolved,
    reopen,
)
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.escalation import escalate_ticket as escalate_ticket
from helpdesk_tui.services.escalation import shift_ola_for_pause, stop_ola
from helpdesk_tui.services.lifecycle import check_transition, is_reopen, permission_for
from helpdesk_tui.services.requesters import find_or_create_requester
from helpdesk_tui.services.sla import SlaBook, pause_clock, resume_clock
from helpdesk_tui.services.ticket_access import Move, status_move
from helpdesk_tui.services.ticket_access import require as require_may
from helpdesk_tui.services.ticket_fields import apply_priority, assign, category_overrides
from helpdesk_tui.services.tickets import (
    active_categories,
    check_choice,
    lock_ticket,
    log,
    touch,
)
from helpdesk_tui.services.vocab import (
    CHANNELS,
    KINDS,
    OPEN_STATUSES,
)
from helpdesk_tui.store.models import Agent, SupportGroup, Ticket
from helpdesk_tui.store.models.escalation import Handoff
from helpdesk_tui.store.types import utcnow

#: Interaction kinds an agent adds by hand.
LOGGABLE_KINDS = ("note", "call", "email", "chat")

#: Plain fact fields `update_ticket` may change directly.
_FACT_FIELDS = (
    "title",
    "body",
    "kind",
    "channel",
    "affected_users",
    "affected_system",
    "error_codes",
    "tried",
    "diagnosis",
    "occurred_at",
)


def _first_response(ticket: Ticket, actor: Actor, now: datetime) -> None:
    """An agent's first action on a ticket stops its response clock."""
    if ticket.first_response_at is None and actor.agent_id is not None:
        ticket.first_response_at = now


def add_interaction(
    session: Session,
    actor: Actor,
    ticket_id: int,
    kind: str,
    text: str,
    *,
    handle_seconds: int = 0,
    public: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """Add a note, call, mail or chat to a ticket's log.

    Notes do not bump the ticket's version: they never conflict with another agent's edit.
    """
    actor.require("ticket.note")
    check_choice("interaction kind", kind, LOGGABLE_KINDS)
    if not text.strip():
        raise UsageError(f"an empty {kind} was not added")
    if handle_seconds < 0:
        raise UsageError("handle time cannot be negative")
    now = now or utcnow()
    ticket = lock_ticket(session, ticket_id)
    _first_response(ticket, actor, now)
    touch(ticket, now, bump=False)
    log(session, actor, ticket_id, kind, text, now, handle_seconds=handle_seconds, public=public)
    record_audit(
        session, actor, f"ticket.{kind}", "ticket", ticket_id, {"chars": len(text)}, now=now
    )
    return ticket


def take_ticket(
    session: Session, actor: Actor, ticket_id: int, *, now: datetime | None = None
) -> Ticket:
    """Take a ticket for oneself: an atomic conditional update, so two agents never both get it.

    A ticket escalated to an L2/L3 group is accepted only by that group's members or a
    supervisor (`ticket_access`); a first-line ticket by any agent.
    """
    actor.require("ticket.take")
    now = now or utcnow()
    # Locked, so the group the rule is checked against cannot change before the update.
    found = lock_ticket(session, ticket_id)
    # Someone else's ticket is a conflict (exit 4, "taken by"), said by the update below.
    if found.status in OPEN_STATUSES and found.assignee_id in (None, actor.agent_id):
        require_may(session, actor, found, Move.TAKE, verb="accept")
    result = session.execute(
        sa.update(Ticket)
        .where(
            col(Ticket.id) == ticket_id,
            col(Ticket.status).in_(OPEN_STATUSES),
            sa.or_(col(Ticket.assignee_id).is_(None), col(Ticket.assignee_id) == actor.agent_id),
        )
        .values(
            assignee_id=actor.agent_id,
            status=sa.case((col(Ticket.status) == "new", "in_progress"), else_=col(Ticket.status)),
            first_response_at=sa.func.coalesce(col(Ticket.first_response_at), now),
            updated_at=now,
            version=col(Ticket.version) + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket #{ticket_id}")
        if ticket.status not in OPEN_STATUSES:
            raise Conflict(
                f"ticket #{ticket_id} is {ticket.status}; only open tickets can be taken"
            )
        owner = session.get(Agent, ticket.assignee_id)
        raise Conflict(
            f"ticket #{ticket_id} is already taken by {owner.login if owner else 'someone'}"
        )
    session.expire_all()
    ticket = lock_ticket(session, ticket_id)
    text = f"taken by {actor.login}"
    if ticket.status == "escalated" and ticket.ola_due and ticket.ola_accepted_at is None:
        # An engineer accepting an escalated ticket answers the OLA's response target. The
        # status stays `escalated`: it says the ticket is with a resolver group, and the
        # escalated view and the watcher keep seeing it; the assignee says who works it.
        ticket.ola_accepted_at = now
        text = f"accepted by {actor.login}"
    log(session, actor, ticket_id, "assignment", text, now)
    record_audit(session, actor, "ticket.take", "ticket", ticket_id, {}, now=now)
    return ticket


def change_status(
    session: Session,
    actor: Actor,
    ticket_id: int,
    status: str,
    *,
    note: str = "",
    code: str | None = None,
    reopen_days: int = DEFAULT_REOPEN_DAYS,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Move a ticket through its lifecycle.

    Resolving needs a summary (`note`) and a resolution `code` (closure.RESOLUTION_CODES);
    reopening needs a reason (`note`), in the CLI as in the TUI, and works within
    `reopen_days` of the resolution. Who may make the move on this ticket is
    `ticket_access`'s rule. Closing is not a status change: the requester confirms
    (`closure.confirm_resolution`) or the ticket closes itself.
    `escalated` here only returns a ticket a resolver group asked the customer about;
    a new escalation goes through `escalate_ticket` with its handoff package.
    """
    now = now or utcnow()
    ticket = lock_ticket(session, ticket_id, expected_version)
    old = ticket.status
    check_transition(old, status)
    actor.require(permission_for(status))
    if status == "closed":
        raise UsageError(
            f"a resolved ticket closes when the requester confirms: `helpdesk ticket confirm "
            f"{ticket_id} --via phone|mail|chat` (or by itself after the auto-close days)"
        )
    if status == "escalated" and not _with_resolver(session, ticket):
        raise UsageError(
            f"escalate with `helpdesk ticket escalate {ticket_id} --to GROUP --reason TEXT`"
            " (it builds the handoff package)"
        )
    move, verb = status_move(old, status)
    require_may(session, actor, ticket, move, verb=verb)
    if move is Move.REOPEN:
        check_reopen_window(ticket, now, reopen_days)  # too late is said before "why?"
        if not note.strip():
            raise UsageError(f"reopening ticket #{ticket_id} needs a reason (--note)")
    if status == "resolved":
        if not note.strip():
            raise UsageError("resolving a ticket needs a resolution summary")
        code = check_resolution_code(code)
    terms = SlaBook.load(session).terms(ticket.priority)
    if old == "waiting_customer":
        shift_ola_for_pause(session, ticket, now)
        resume_clock(ticket, terms, now)
    if status == "waiting_customer":
        pause_clock(ticket, now)
    if status == "resolved":
        assert code is not None
        mark_resolved(ticket, actor, code, note.strip(), now)
        stop_ola(ticket, now)
    if status == "cancelled":
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
        stop_ola(ticket, now)
    if is_reopen(old, status):
        reopen(session, ticket, now, reopen_days)
    _first_response(ticket, actor, now)
    ticket.status = status
    touch(ticket, now)
    verb = "reopened" if is_reopen(old, status) else f"{old} -> {status}"
    if status == "resolved":
        verb += f" [{code}]"
    text = verb + (f": {note.strip()}" if note.strip() else "")
    log(session, actor, ticket_id, "resolution" if status == "resolved" else "status", text, now)
    record_audit(
        session, actor, "ticket.status", "ticket", ticket_id, {"from": old, "to": status}, now=now
    )
    return ticket


def _with_resolver(session: Session, ticket: Ticket) -> bool:
    """True when the ticket's last handoff was an escalation (not a hand back)."""
    kind = session.scalar(
        sa.select(col(Handoff.kind))
        .where(col(Handoff.ticket_id) == ticket.id)
        .order_by(col(Handoff.id).desc())
        .limit(1)
    )
    return kind is not None and kind != "handback"


def update_ticket(
    session: Session,
    actor: Actor,
    ticket_id: int,
    changes: dict[str, Any],
    *,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Change a ticket's facts, category, priority, requester, assignee or group.

    A priority other than the matrix's is an override: it needs `ticket.priority.override`
    and a reason. A category other than the one triage suggested at intake
    (`suggested_category`) is an override too and needs a reason; both are logged.
    Changing impact scope or urgency re-derives the priority unless it was overridden.
    Each changed field gets one log line.
    """
    actor.require("ticket.update")
    now = now or utcnow()
    ticket = lock_ticket(session, ticket_id, expected_version)
    if ticket.status in ("closed", "cancelled"):
        raise Conflict(f"ticket #{ticket_id} is {ticket.status} and can no longer change")
    unknown = set(changes) - {
        *_FACT_FIELDS,
        "category",
        "priority",
        "impact_scope",
        "urgency",
        "requester",
        "assignee",
        "group",
    }
    if unknown:
        raise UsageError(f"cannot change {', '.join(sorted(unknown))}")
    lines: list[tuple[str, str]] = []
    before = {name: getattr(ticket, name) for name in _FACT_FIELDS}
    for name in _FACT_FIELDS:
        if name in changes and changes[name] != before[name]:
            value = changes[name]
            if name == "title" and not str(value).strip():
                raise UsageError("a ticket needs a title")
            if name == "kind":
                check_choice("kind", value, KINDS)
            if name == "channel":
                check_choice("channel", value, CHANNELS)
            if name == "affected_users" and int(value) < 1:
                raise UsageError("affected users must be at least 1")
            setattr(ticket, name, value)
            shown = "(changed)" if name == "body" else f"{before[name]} -> {value}"
            lines.append(("update", f"{name}: {shown}"))
    if "category" in changes and changes["category"] != ticket.category:
        new = changes["category"]
        check_choice("category", new, active_categories(session))
        if category_overrides(ticket.suggested_category, new) and not reason.strip():
            raise UsageError(
                f"category {new} overrides the suggested {ticket.suggested_category};"
                " give a reason (--reason)"
            )
        why = f"; reason: {reason.strip()}" if reason.strip() else ""
        lines.append(("category", f"category: {ticket.category} -> {new}{why}"))
        ticket.category = new
    apply_priority(session, actor, ticket, changes, reason, lines)
    if "requester" in changes:
        requester = find_or_create_requester(session, actor, str(changes["requester"]))
        if requester.id != ticket.requester_id:
            ticket.requester_id = requester.id
            lines.append(("update", f"requester: {requester.name}"))
    if "assignee" in changes:
        assign(session, actor, ticket, changes["assignee"], lines, now)
    if "group" in changes:
        gid = None
        if changes["group"] is not None:
            gid = session.scalars(
                sa.select(col(SupportGroup.id)).where(col(SupportGroup.name) == changes["group"])
            ).first()
            if gid is None:
                names = list(session.scalars(sa.select(col(SupportGroup.name))))
                check_choice("group", changes["group"], names)
        if gid != ticket.group_id:
            actor.require("ticket.assign")
            require_may(session, actor, ticket, Move.WORK, verb="move to another group")
            ticket.group_id = gid
            lines.append(("assignment", f"group: {changes['group'] or 'none'}"))
    if not lines:
        return ticket
    touch(ticket, now)
    for kind, text in lines:
        log(session, actor, ticket_id, kind, text, now)
    detail = {k: v for k, v in changes.items() if k != "body"}
    if reason:
        detail["reason"] = reason
    record_audit(session, actor, "ticket.update", "ticket", ticket_id, detail, now=now)
    return ticket
