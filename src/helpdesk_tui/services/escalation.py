"""Escalation: OLA targets per resolver group, the handoff package, the handoff itself.

Two kinds exist (ITIL):

- **functional**: to an L2/L3 group (tier >= 2). The group is set, the assignee cleared,
  status `escalated`, and the group's OLA clock starts (`escalated_at`; accept within the
  OLA response target, resolve within its resolution target, on the OLA's calendar).
- **hierarchical**: to a supervisor, for authority rather than skill (a VIP complaint, a
  breach about to happen, a decision first line cannot make). The ticket is assigned to
  one agent holding the `supervisor` role (the one asked for, else the least loaded
  available one); its group and OLA stay as they were, status `escalated`.

Both store the agent-reviewed handoff package (`handoff` table), log it and tell the
requester: a public `email` interaction with the expected time is *recorded* on the ticket.
Nothing is sent: the desk has no mail yet; the mail module will send public entries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.lifecycle import check_transition
from helpdesk_tui.services.sla import (
    SlaBook,
    SlaTerms,
    calendar_of,
    pause_clock,
    resume_clock,
    sla_status,
)
from helpdesk_tui.services.ticket_access import Move
from helpdesk_tui.services.ticket_access import require as require_may
from helpdesk_tui.services.tickets import lock_ticket, log, touch
from helpdesk_tui.store.models import (
    Agent,
    AgentRole,
    Calendar,
    Role,
    SupportGroup,
    Ticket,
)
from helpdesk_tui.store.models.escalation import Handoff, OlaPolicy
from helpdesk_tui.store.types import pk, utcnow

#: Default OLA per group tier: (calendar, response minutes, resolution minutes). L2 must
#: accept within 30 business minutes and solve within a business day; L3 gets more room.
DEFAULT_OLAS: Final[dict[int, tuple[str, int, int]]] = {
    2: ("business", 30, 10 * 60),
    3: ("business", 2 * 60, 3 * 10 * 60),
}

#: Prefix of the log note that stores a confirmed package (views leaves it out of excerpts).
PACKAGE_NOTE: Final = "handoff package:"


def _utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


# -- OLA ------------------------------------------------------------------------------
def seed_olas(session: Session) -> None:
    """Create the default OLA of every L2/L3 group that has none (idempotent).

    Done lazily, on the first escalation, because groups are seeded after migrations.
    """
    have = set(session.scalars(sa.select(col(OlaPolicy.group_id))))
    groups = [
        g for g in session.scalars(sa.select(SupportGroup)) if g.tier >= 2 and g.id not in have
    ]
    if not groups:
        return
    calendars = {c.name: pk(c) for c in session.scalars(sa.select(Calendar))}
    if "24x7" not in calendars:
        row = Calendar(name="24x7")
        session.add(row)
        session.flush()
        calendars["24x7"] = pk(row)
    for group in groups:
        cal, response, resolve = DEFAULT_OLAS[min(group.tier, 3)]
        session.add(
            OlaPolicy(
                group_id=pk(group),
                response_minutes=response,
                resolve_minutes=resolve,
                calendar_id=calendars.get(cal, calendars["24x7"]),
            )
        )
    session.flush()


def list_olas(session: Session) -> list[dict[str, Any]]:
    """Every OLA policy with its group and calendar (`helpdesk ola list`)."""
    seed_olas(session)
    rows = session.execute(
        sa.select(OlaPolicy, col(SupportGroup.name), col(SupportGroup.tier), col(Calendar.name))
        .join(SupportGroup, col(SupportGroup.id) == col(OlaPolicy.group_id))
        .join(Calendar, col(Calendar.id) == col(OlaPolicy.calendar_id))
        .order_by(col(SupportGroup.tier), col(SupportGroup.name))
    )
    return [
        {
            "group": name,
            "tier": tier,
            "response_minutes": policy.response_minutes,
            "resolve_minutes": policy.resolve_minutes,
            "calendar": calendar,
            "active": policy.active,
        }
        for policy, name, tier, calendar in rows
    ]


def set_ola(
    session: Session,
    actor: Actor,
    group: str,
    *,
    response_minutes: int,
    resolve_minutes: int,
    calendar: str | None = None,
) -> OlaPolicy:
    """Set a resolver group's OLA targets; applies to escalations from now on."""
    actor.require("config.manage")
    if response_minutes < 1 or resolve_minutes < response_minutes:
        raise UsageError("OLA minutes: response >= 1 and resolution >= response")
    target = _group(session, group)
    if target.tier < 2:
        raise UsageError(f"{group} is a first-line group; OLAs are for L2/L3 groups")
    seed_olas(session)
    policy = session.scalars(sa.select(OlaPolicy).where(col(OlaPolicy.group_id) == target.id)).one()
    if calendar is not None:
        names = {c.name: pk(c) for c in session.scalars(sa.select(Calendar))}
        if calendar not in names:
            raise invalid_choice("calendar", calendar, sorted(names))
        policy.calendar_id = names[calendar]
    policy.response_minutes, policy.resolve_minutes = response_minutes, resolve_minutes
    record_audit(
        session,
        actor,
        "ola.set",
        "support_group",
        target.id,
        {"response": response_minutes, "resolve": resolve_minutes, "calendar": calendar},
    )
    return policy


def ola_terms(session: Session, policy_id: int | None) -> SlaTerms | None:
    """An OLA policy as clock terms (the same arithmetic as SLAs), or None."""
    policy = session.get(OlaPolicy, policy_id) if policy_id is not None else None
    if policy is None:
        return None
    calendar = session.get(Calendar, policy.calendar_id)
    group = session.get(SupportGroup, policy.group_id)
    return SlaTerms(
        policy_id=policy.id,
        name=f"OLA {group.name if group else policy.group_id}",
        priority="",
        response_s=policy.response_minutes * 60.0,
        resolve_s=policy.resolve_minutes * 60.0,
        calendar=calendar_of(calendar) if calendar else BusinessCalendar.twenty_four_seven(),
    )


def start_ola(session: Session, ticket: Ticket, group: SupportGroup, now: datetime) -> None:
    """Start the group's OLA clock on the ticket (escalation time = its start)."""
    seed_olas(session)
    policy_id = session.scalar(
        sa.select(col(OlaPolicy.id)).where(
            col(OlaPolicy.group_id) == group.id, col(OlaPolicy.active)
        )
    )
    terms = ola_terms(session, policy_id)
    ticket.escalated_at = now
    ticket.ola_accepted_at = None
    ticket.ola_stopped_at = None
    ticket.ola_policy_id = policy_id
    if terms is None:
        ticket.ola_response_due = ticket.ola_due = None
        return
    ticket.ola_response_due = terms.calendar.add(now, terms.response_s)
    ticket.ola_due = terms.calendar.add(now, terms.resolve_s)


def stop_ola(ticket: Ticket, now: datetime) -> None:
    """Stop a running OLA clock (the group resolved or handed the ticket back)."""
    if ticket.ola_due is not None and ticket.ola_stopped_at is None:
        ticket.ola_stopped_at = now


def shift_ola_for_pause(session: Session, ticket: Ticket, now: datetime) -> None:
    """Waiting on the customer pauses the OLA like the SLA: push its due by the pause."""
    if ticket.sla_paused_at is None or ticket.ola_due is None or ticket.ola_stopped_at:
        return
    terms = ola_terms(session, ticket.ola_policy_id)
    if terms is not None:
        paused = max(0.0, terms.calendar.between(ticket.sla_paused_at, now))
        ticket.ola_due = terms.calendar.add(ticket.ola_due, paused)


def ola_state(session: Session, ticket: Ticket, now: datetime) -> dict[str, Any] | None:
    """The OLA clock as JSON (`ola` in `ticket show --json`), or None if never escalated.

    `state` is ok / warning (>= 75% used) / breached while the group works it, met or
    breached once it stopped; `response_state` is about accepting it.
    """
    if ticket.ola_due is None:
        return None
    terms = ola_terms(session, ticket.ola_policy_id)
    if terms is None:
        return None
    status = sla_status(
        terms,
        now=now,
        created_at=ticket.escalated_at or ticket.created_at,
        response_due=ticket.ola_response_due,
        resolve_due=ticket.ola_due,
        first_response_at=ticket.ola_accepted_at,
        resolved_at=ticket.ola_stopped_at,
        paused_at=ticket.sla_paused_at,
    )
    data = status.to_dict()
    data["policy"] = terms.name
    data["escalated_at"] = ticket.escalated_at.isoformat() if ticket.escalated_at else None
    data["accepted_at"] = ticket.ola_accepted_at.isoformat() if ticket.ola_accepted_at else None
    data["stopped_at"] = ticket.ola_stopped_at.isoformat() if ticket.ola_stopped_at else None
    return data


# -- escalating -----------------------------------------------------------------------
def _group(session: Session, name: str) -> SupportGroup:
    group = session.scalars(sa.select(SupportGroup).where(col(SupportGroup.name) == name)).first()
    if group is None:
        names = list(
            session.scalars(sa.select(col(SupportGroup.name)).order_by(col(SupportGroup.name)))
        )
        raise invalid_choice("group", name, names)
    return group


def pick_supervisor(session: Session, login: str | None = None) -> Agent:
    """The supervisor to escalate to: `login`, else the available one with fewest open tickets."""
    supervisors = list(
        session.scalars(
            sa.select(Agent)
            .join(AgentRole, col(AgentRole.agent_id) == col(Agent.id))
            .join(Role, col(Role.id) == col(AgentRole.role_id))
            .where(col(Role.name) == "supervisor", col(Agent.active))
            .order_by(col(Agent.login))
        )
    )
    if login is not None:
        for agent in supervisors:
            if agent.login == login:
                return agent
        raise invalid_choice("supervisor", login, [a.login for a in supervisors])
    if not supervisors:
        raise NotFound("no active agent has the supervisor role; give one that role first")
    load = dict(
        session.execute(
            sa.select(col(Ticket.assignee_id), sa.func.count())
            .where(
                col(Ticket.assignee_id).in_([a.id for a in supervisors]),
                col(Ticket.status).in_(("new", "in_progress", "waiting_customer", "escalated")),
            )
            .group_by(col(Ticket.assignee_id))
        ).all()
    )
    return min(supervisors, key=lambda a: (a.presence != "available", load.get(a.id, 0), a.login))


def expected_time(ticket: Ticket, now: datetime) -> datetime | None:
    """What the requester is told: the SLA resolution due (our promise to them), or the
    OLA due when the SLA is already past, or None ("as soon as possible")."""
    if ticket.resolve_due is not None and ticket.resolve_due > now:
        return ticket.resolve_due
    return ticket.ola_due


def escalate_ticket(
    session: Session,
    actor: Actor,
    ticket_id: int,
    group: str | None = None,
    *,
    reason: str,
    package: str | None = None,
    to_supervisor: bool = False,
    supervisor: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Escalate functionally (`group`) or hierarchically (`to_supervisor`); see the module.

    `package` is the reviewed handoff text; without it the generated one is stored.
    """
    actor.require("ticket.escalate")
    now = now or utcnow()
    if not reason.strip():
        raise UsageError("an escalation needs a reason (--reason)")
    if to_supervisor == (group is not None):
        raise UsageError(
            "escalate either to a group (--to GROUP) or to a supervisor (--to-supervisor)"
        )
    target = None if group is None else _group(session, group)
    if target is not None and target.tier < 2:
        raise UsageError(f"{group} is a first-line group; escalate to an L2/L3 group or hand back")
    boss = pick_supervisor(session, supervisor) if to_supervisor else None
    ticket = lock_ticket(session, ticket_id, expected_version)
    # Re-escalating (L2 -> L3, or to a supervisor) is allowed from `escalated` too.
    if ticket.status != "escalated":
        check_transition(ticket.status, "escalated")
    require_may(session, actor, ticket, Move.WORK, verb="escalate")
    if ticket.status == "waiting_customer":
        shift_ola_for_pause(session, ticket, now)
        resume_clock(ticket, SlaBook.load(session).terms(ticket.priority), now)
    if ticket.first_response_at is None and actor.agent_id is not None:
        ticket.first_response_at = now
    if package and package.strip():
        text = package
    else:
        from helpdesk_tui.services.views import handoff_package  # (views imports this module)

        text = handoff_package(session, actor, ticket_id, now)
    from_group = ticket.group_id
    if target is not None:
        stop_ola(ticket, now)  # a previous group's clock ends here
        ticket.group_id = target.id
        ticket.assignee_id = None
        start_ola(session, ticket, target, now)
        where = target.name
    else:
        assert boss is not None
        ticket.assignee_id = boss.id
        where = f"supervisor {boss.login}"
    ticket.status = "escalated"
    ticket.escalation_count += 1
    touch(ticket, now)
    expected = expected_time(ticket, now)
    session.add(
        Handoff(
            ticket_id=ticket_id,
            kind="functional" if target is not None else "hierarchical",
            from_agent_id=actor.agent_id,
            from_group_id=from_group,
            to_group_id=target.id if target is not None else None,
            to_agent_id=boss.id if boss is not None else None,
            reason=reason.strip(),
            package=text,
            expected_by=expected,
            created_at=now,
        )
    )
    log(session, actor, ticket_id, "status", f"escalated to {where}: {reason.strip()}", now)
    log(session, actor, ticket_id, "note", f"{PACKAGE_NOTE}\n{text}", now)
    when = f"by {_utc(expected)}" if expected else "as soon as possible"
    notice = (
        f"Your ticket #{ticket_id} has been passed to our specialists ({where}). "
        f"We expect to resolve it {when} and will keep you informed."
    )
    # Recorded only: the mail module will send public entries once mail is configured.
    log(session, actor, ticket_id, "email", notice, now, public=True)
    record_audit(
        session,
        actor,
        "ticket.escalate",
        "ticket",
        ticket_id,
        {"to": where, "kind": "functional" if target else "hierarchical"},
        now=now,
    )
    return ticket


# -- L2/L3 work -----------------------------------------------------------------------
def ask_information(
    session: Session,
    actor: Actor,
    ticket_id: int,
    whom: str,
    text: str,
    *,
    now: datetime | None = None,
) -> Ticket:
    """Ask the requester (a public mail, recorded; status waiting_customer) or L1 (a note).

    Asking the requester pauses the SLA and OLA clocks until the answer comes in.
    """
    actor.require("ticket.note")
    if whom not in ("requester", "l1"):
        raise invalid_choice("whom to ask", whom, ("requester", "l1"))
    if not text.strip():
        raise UsageError("an empty question was not recorded")
    now = now or utcnow()
    ticket = lock_ticket(session, ticket_id)
    if ticket.status not in ("new", "in_progress", "waiting_customer", "escalated"):
        raise Conflict(f"ticket #{ticket_id} is {ticket.status}; ask on open tickets only")
    if whom == "requester":  # it puts the ticket on hold: a move of whoever works it
        require_may(session, actor, ticket, Move.WORK, verb="ask the requester about")
    if whom == "l1":
        escalator = _escalating_agent(session, ticket_id)
        login = session.get(Agent, escalator).login if escalator else "first line"  # type: ignore[union-attr]
        log(session, actor, ticket_id, "note", f"question for {login}: {text.strip()}", now)
    else:
        # Recorded only: the mail module will send public entries once mail is configured.
        log(session, actor, ticket_id, "email", text.strip(), now, public=True)
        if ticket.status != "waiting_customer":
            check_transition(ticket.status, "waiting_customer")
            pause_clock(ticket, now)
            log(session, actor, ticket_id, "status", f"{ticket.status} -> waiting_customer", now)
            ticket.status = "waiting_customer"
            touch(ticket, now)
    record_audit(session, actor, "ticket.ask", "ticket", ticket_id, {"whom": whom}, now=now)
    return ticket


def _escalating_agent(session: Session, ticket_id: int) -> int | None:
    """The first-line agent who last escalated the ticket out of a tier-1 group (or none)."""
    rows = session.execute(
        sa.select(col(Handoff.from_agent_id), col(SupportGroup.tier))
        .outerjoin(SupportGroup, col(SupportGroup.id) == col(Handoff.from_group_id))
        .where(col(Handoff.ticket_id) == ticket_id, col(Handoff.kind) == "functional")
        .order_by(col(Handoff.id).desc())
    ).all()
    for agent_id, tier in rows:
        if tier is None or tier < 2:
            return int(agent_id) if agent_id is not None else None
    return None


def hand_back(
    session: Session,
    actor: Actor,
    ticket_id: int,
    note: str,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hand an escalated ticket back to first line: the tier-1 group, the L1 agent who
    escalated it (if still active), status in_progress, the OLA clock stopped."""
    actor.require("ticket.status")
    if not note.strip():
        raise UsageError("handing back needs a note for first line")
    now = now or utcnow()
    ticket = lock_ticket(session, ticket_id, expected_version)
    group = session.get(SupportGroup, ticket.group_id) if ticket.group_id else None
    if group is None or group.tier < 2:
        raise Conflict(f"ticket #{ticket_id} is not with an L2/L3 group; nothing to hand back")
    if ticket.status not in ("escalated", "waiting_customer", "in_progress"):
        raise Conflict(f"ticket #{ticket_id} is {ticket.status}; only open tickets go back")
    require_may(session, actor, ticket, Move.WORK, verb="hand back")
    agent_id = _escalating_agent(session, ticket_id)
    if agent_id is not None and not session.scalar(
        sa.select(col(Agent.active)).where(col(Agent.id) == agent_id)
    ):
        agent_id = None
    first_line = session.scalars(
        sa.select(SupportGroup)
        .where(col(SupportGroup.tier) < 2)
        .order_by((col(SupportGroup.name) != "Service Desk"), col(SupportGroup.id))
    ).first()
    if ticket.status == "waiting_customer":
        shift_ola_for_pause(session, ticket, now)
        resume_clock(ticket, SlaBook.load(session).terms(ticket.priority), now)
    stop_ola(ticket, now)
    ticket.group_id = first_line.id if first_line else None
    ticket.assignee_id = agent_id
    ticket.status = "in_progress"
    touch(ticket, now)
    session.add(
        Handoff(
            ticket_id=ticket_id,
            kind="handback",
            from_agent_id=actor.agent_id,
            from_group_id=group.id,
            to_group_id=ticket.group_id,
            to_agent_id=agent_id,
            reason=note.strip(),
            created_at=now,
        )
    )
    login = session.get(Agent, agent_id).login if agent_id else "unassigned"  # type: ignore[union-attr]
    where = f"{first_line.name if first_line else 'first line'} ({login})"
    log(session, actor, ticket_id, "status", f"handed back to {where}: {note.strip()}", now)
    record_audit(session, actor, "ticket.handback", "ticket", ticket_id, {"to": where}, now=now)
    return ticket
