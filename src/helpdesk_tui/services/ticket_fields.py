"""Fields of a ticket with rules of their own, for `workflow.update_ticket`.

The priority (re-derived from impact x urgency, or overridden with a reason), whether a
category overrides triage's suggestion, and the assignment (taking it oneself follows the
take rule of `ticket_access`; assigning others needs `ticket.assign`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.priority import impact_for_scope, priority_for
from helpdesk_tui.services.sla import SlaBook, start_clock
from helpdesk_tui.services.ticket_access import Move
from helpdesk_tui.services.ticket_access import require as require_may
from helpdesk_tui.services.tickets import agent_id_by_login, check_choice
from helpdesk_tui.services.vocab import IMPACT_SCOPES, PRIORITIES
from helpdesk_tui.store.models import Ticket


def category_overrides(suggested: str | None, chosen: str) -> bool:
    """True when `chosen` overrides triage's suggestion (and so needs a reason).

    Without a suggestion there is nothing to override. The TUI asks this before it asks why.
    """
    return suggested is not None and chosen != suggested


def apply_priority(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    changes: dict[str, Any],
    reason: str,
    lines: list[tuple[str, str]],
) -> None:
    """Re-derive or override the priority and restart the SLA clock when it changes."""
    if "impact_scope" in changes:
        check_choice("impact scope", changes["impact_scope"], IMPACT_SCOPES)
        if changes["impact_scope"] != ticket.impact_scope:
            lines.append(
                ("update", f"impact scope: {ticket.impact_scope} -> {changes['impact_scope']}")
            )
            ticket.impact_scope = changes["impact_scope"]
            ticket.impact = impact_for_scope(ticket.impact_scope)
    if "urgency" in changes and changes["urgency"] != ticket.urgency:
        check_choice("urgency", changes["urgency"], ("high", "medium", "low"))
        lines.append(("update", f"urgency: {ticket.urgency} -> {changes['urgency']}"))
        ticket.urgency = changes["urgency"]
    matrix = priority_for(ticket.impact, ticket.urgency)
    old = ticket.priority
    if "priority" in changes and changes["priority"] != old:
        new = changes["priority"]
        check_choice("priority", new, PRIORITIES)
        if new != matrix:
            actor.require("ticket.priority.override")
            if not reason.strip():
                raise UsageError(
                    f"priority {new} overrides the matrix ({matrix}); give a reason (--reason)"
                )
            ticket.priority_overridden = True
            lines.append(
                ("priority", f"priority overridden: {old} -> {new}; reason: {reason.strip()}")
            )
        else:
            ticket.priority_overridden = False
            lines.append(("priority", f"priority: {old} -> {new}"))
        ticket.priority = new
    elif not ticket.priority_overridden and matrix != old:
        ticket.priority = matrix
        lines.append(("priority", f"priority: {old} -> {matrix} (impact x urgency)"))
    ticket.suggested_priority = matrix
    if ticket.priority != old:
        start_clock(ticket, SlaBook.load(session).terms(ticket.priority))


def assign(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    login: str | None,
    lines: list[tuple[str, str]],
    now: datetime,
) -> None:
    """Assign (or unassign) the ticket. Assigning it to oneself is taking it: the same rule
    as `take_ticket`; any other assignment needs `ticket.assign`, and on a ticket with an
    L2/L3 group, membership of that group (or a supervisor)."""
    new_id = None if login is None else agent_id_by_login(session, login)
    if new_id == ticket.assignee_id:
        return
    if new_id == actor.agent_id and ticket.assignee_id is None:
        require_may(session, actor, ticket, Move.TAKE, verb="accept")
    else:
        actor.require("ticket.assign")
        require_may(session, actor, ticket, Move.WORK, verb="reassign")
    ticket.assignee_id = new_id
    text = f"assigned to {login}" if login else "unassigned"
    accepting = ticket.status == "escalated" and ticket.ola_due and not ticket.ola_accepted_at
    if new_id is not None and accepting:
        # The group answered the escalation: its OLA response target is met.
        ticket.ola_accepted_at = now
        text += " (accepted)"
    lines.append(("assignment", text))
