"""Recording tickets and changing their facts (the lifecycle moves are in `workflow`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.priority import impact_for_scope, more_severe, priority_for
from helpdesk_tui.services.requesters import find_or_create_requester
from helpdesk_tui.services.sla import SlaBook, start_clock
from helpdesk_tui.services.triage import Triage
from helpdesk_tui.services.triage_rules import RuleSet, TriageInput, TriageResult
from helpdesk_tui.services.vocab import CHANNELS, IMPACT_SCOPES, KINDS, LEVELS, PRIORITIES
from helpdesk_tui.store.models import Agent, Category, Interaction, SupportGroup, Ticket
from helpdesk_tui.store.types import utcnow

#: Channels where the agent is talking to the requester as the ticket is recorded, so
#: recording it is the first response.
LIVE_CHANNELS = frozenset({"phone", "chat", "walk_in"})


@dataclass
class NewTicket:
    """What an agent records at intake. Unset category/priority come from triage.

    A category other than triage's suggestion, or a priority other than the impact x
    urgency matrix's, is an override and needs its reason (`category_reason`,
    `priority_reason`), as when it is changed later.
    """

    title: str
    body: str = ""
    requester: str | None = None
    channel: str = "phone"
    kind: str = "incident"
    category: str | None = None
    priority: str | None = None
    priority_reason: str = ""
    category_reason: str = ""
    urgency: str | None = None
    impact_scope: str = "one_user"
    affected_users: int = 1
    affected_system: str | None = None
    error_codes: str = ""
    tried: str = ""
    diagnosis: str = ""
    occurred_at: datetime | None = None
    group: str | None = None
    handle_seconds: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def active_categories(session: Session) -> list[str]:
    """The desk's active categories, in display order."""
    return list(
        session.scalars(
            sa.select(col(Category.name))
            .where(col(Category.active))
            .order_by(col(Category.position), col(Category.name))
        )
    )


def check_choice(what: str, value: str, valid: list[str] | tuple[str, ...]) -> None:
    """Raise the standard usage error unless `value` is one of `valid`."""
    if value not in valid:
        raise invalid_choice(what, value, valid)


def log(
    session: Session,
    actor: Actor,
    ticket_id: int,
    kind: str,
    text: str,
    now: datetime,
    *,
    handle_seconds: int = 0,
    public: bool = False,
) -> Interaction:
    """Append an entry to a ticket's interaction log."""
    entry = Interaction(
        ticket_id=ticket_id,
        kind=kind,
        text=text,
        agent_id=actor.agent_id,
        created_at=now,
        handle_seconds=handle_seconds,
        public=public,
    )
    session.add(entry)
    return entry


def triage_input(data: NewTicket, vip: bool = False) -> TriageInput:
    """What triage looks at, from what the agent recorded."""
    return TriageInput(
        title=data.title,
        body=data.body,
        vip=vip,
        affected_users=data.affected_users,
        affected_system=data.affected_system,
        impact_scope=data.impact_scope,
    )


def triage_ticket(
    rules: RuleSet | Triage, data: NewTicket, categories: list[str], vip: bool = False
) -> TriageResult:
    """Run triage (rules, plus the learned model when given a Triage) over a new ticket."""
    if isinstance(rules, Triage):
        return rules.evaluate(triage_input(data, vip), categories).result
    return rules.evaluate(triage_input(data, vip), categories)


def _group_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    gid = session.scalars(
        sa.select(col(SupportGroup.id)).where(col(SupportGroup.name) == name)
    ).first()
    if gid is None:
        raise invalid_choice(
            "group", name, list(session.scalars(sa.select(col(SupportGroup.name))))
        )
    return gid


def create_ticket(
    session: Session,
    actor: Actor,
    data: NewTicket,
    *,
    rules: RuleSet | Triage,
    now: datetime | None = None,
) -> Ticket:
    """Record a ticket: validate, triage, start the SLA clock, log and audit it."""
    actor.require("ticket.create")
    now = now or utcnow()
    if not data.title.strip():
        raise UsageError("a ticket needs a title")
    check_choice("kind", data.kind, KINDS)
    check_choice("channel", data.channel, CHANNELS)
    check_choice("impact scope", data.impact_scope, IMPACT_SCOPES)
    if data.urgency is not None:
        check_choice("urgency", data.urgency, LEVELS)
    if data.affected_users < 1:
        raise UsageError("affected users must be at least 1")
    categories = active_categories(session)
    if data.category is not None:
        check_choice("category", data.category, categories)
    if data.priority is not None:
        check_choice("priority", data.priority, PRIORITIES)

    requester = None
    if data.requester:
        requester = find_or_create_requester(session, actor, data.requester)
    triage = triage_ticket(rules, data, categories, vip=bool(requester and requester.vip))
    urgency = more_severe(triage.urgency, data.urgency) if data.urgency else triage.urgency
    impact = more_severe(triage.impact, impact_for_scope(data.impact_scope))
    matrix_priority = priority_for(impact, urgency)
    suggested_category = triage.category or "other"
    category = data.category or (suggested_category if suggested_category in categories else None)
    if category is None:
        category = "other" if "other" in categories else categories[0]
    priority = data.priority or matrix_priority
    overridden = priority != matrix_priority
    if overridden:
        actor.require("ticket.priority.override")
        if not data.priority_reason.strip():
            raise UsageError(
                f"priority {priority} overrides the matrix ({matrix_priority}); give a reason"
                " (--reason)"
            )
    category_overridden = (
        data.category is not None
        and triage.category is not None
        and data.category != triage.category
    )
    if category_overridden and not data.category_reason.strip():
        raise UsageError(
            f"category {data.category} overrides the suggested {triage.category}; give a reason"
            " (--reason)"
        )

    ticket = Ticket(
        kind=data.kind,
        title=data.title.strip(),
        body=data.body,
        category=category,
        suggested_category=triage.category,
        impact=impact,
        urgency=urgency,
        priority=priority,
        suggested_priority=matrix_priority,
        priority_overridden=overridden,
        status="new",
        channel=data.channel,
        requester_id=requester.id if requester else None,
        group_id=_group_id(session, data.group),
        created_by_id=actor.agent_id,
        occurred_at=data.occurred_at,
        impact_scope=data.impact_scope,
        affected_users=data.affected_users,
        affected_system=data.affected_system,
        error_codes=data.error_codes,
        tried=data.tried,
        diagnosis=data.diagnosis,
        created_at=now,
        updated_at=now,
        first_response_at=now if data.channel in LIVE_CHANNELS else None,
    )
    start_clock(ticket, SlaBook.load(session).terms(priority))
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    suggested = f" (suggested {triage.category})" if triage.category else ""
    log(
        session,
        actor,
        ticket.id,
        "created",
        f"recorded via {data.channel}: category {category}{suggested}, priority {priority} "
        f"(impact {impact} x urgency {urgency})",
        now,
        handle_seconds=data.handle_seconds,
    )
    if category_overridden:
        log(
            session,
            actor,
            ticket.id,
            "category",
            f"category {data.category} chosen over suggested {triage.category}; reason: "
            f"{data.category_reason.strip()}",
            now,
        )
    if overridden:
        log(
            session,
            actor,
            ticket.id,
            "priority",
            f"priority overridden: {matrix_priority} -> {priority}; reason: "
            f"{data.priority_reason.strip()}",
            now,
        )
    record_audit(
        session,
        actor,
        "ticket.create",
        "ticket",
        ticket.id,
        {"title": ticket.title, "category": category, "priority": priority},
        now=now,
    )
    return ticket


def get_ticket(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    """Read one ticket (permission `ticket.read`)."""
    actor.require("ticket.read")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    return ticket


def lock_ticket(session: Session, ticket_id: int, expected_version: int | None = None) -> Ticket:
    """Load a ticket for changing it inside a write transaction.

    The row is locked (`FOR UPDATE` on PostgreSQL; SQLite's write lock is already held
    from `BEGIN IMMEDIATE`). With `expected_version`, a ticket someone else changed since
    is a Conflict instead of a silent overwrite.
    """
    ticket = session.scalars(
        sa.select(Ticket).where(col(Ticket.id) == ticket_id).with_for_update()
    ).first()
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    if expected_version is not None and ticket.version != expected_version:
        raise StaleTicket(ticket_id, expected_version, ticket.version)
    return ticket


class StaleTicket(Conflict):
    """The ticket changed since the agent loaded it (optimistic concurrency)."""

    def __init__(self, ticket_id: int, expected: int, current: int) -> None:
        super().__init__(
            f"ticket #{ticket_id} was changed by someone else (version {current}, "
            f"you had {expected}); reload it and apply your change again"
        )
        self.ticket_id = ticket_id
        self.expected = expected
        self.current = current


def touch(ticket: Ticket, now: datetime, *, bump: bool = True) -> None:
    """Mark a ticket changed: new updated_at and (for field changes) a new version."""
    ticket.updated_at = now
    if bump:
        ticket.version += 1


def agent_id_by_login(session: Session, login: str) -> int:
    """The id of the active agent with this login, or a usage error listing agents."""
    agent_id = session.scalars(
        sa.select(col(Agent.id)).where(col(Agent.login) == login, col(Agent.active))
    ).first()
    if agent_id is None:
        logins = session.scalars(
            sa.select(col(Agent.login)).where(col(Agent.active)).order_by(col(Agent.login))
        )
        raise invalid_choice("agent", login, list(logins))
    return agent_id
