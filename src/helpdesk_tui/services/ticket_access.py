"""Who may do what with a ticket: the one decision the CLI, the TUI and the watcher share.

Role permissions (`services/rbac.py`) say what kind of move an agent may make at all;
this module says whether they may make it on *this* ticket, given whose it is and which
group has it. The desk's rule, as the README's "Who may work a ticket" states it:

- A supervisor (`ticket.supervise`) may do anything the lifecycle allows.
- **Take or accept**: an open, unassigned first-line ticket, anyone with `ticket.take`;
  a ticket escalated to an L2/L3 group, only that group's members.
- **Work it** (move, resolve, escalate, hand back, ask the requester, cancel, reassign
  within a resolver group): its assignee; while unassigned, whoever may take it.
- **Back to work after waiting** (the requester answered): also first line, who take the
  requester's calls.
- **Confirm the resolution or reopen**: first line (it verifies closure with the
  requester, for the tickets it escalated too), the ticket's assignee, its resolver, the
  agents who escalated it and the members of its group; not engineers of other groups.

Notes, calls and corrections of facts stay open to every agent: what a requester tells the
hotline about any ticket belongs in its log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import NotFound, PermissionDenied
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.vocab import OPEN_STATUSES
from helpdesk_tui.store.models import Agent, SupportGroup, Ticket
from helpdesk_tui.store.models.escalation import Handoff

#: The permission that lifts the who-rules (supervisor and admin by default).
SUPERVISE: Final = "ticket.supervise"


class Move(StrEnum):
    """The kinds of move the who-rules tell apart."""

    TAKE = "take"
    WORK = "work"
    RESUME = "resume"
    CONFIRM = "confirm"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Decision:
    """Whether a move is allowed and, if not, one line saying why (for CLI and TUI)."""

    allowed: bool
    why_not: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"allowed": self.allowed, "why_not": self.why_not or None}


ALLOWED: Final = Decision(True)


@dataclass(frozen=True)
class TicketPlace:
    """Where a ticket sits: whose it is, which group has it, who worked it."""

    id: int
    status: str
    assignee_id: int | None
    assignee: str | None
    group_id: int | None
    group: str | None
    #: True when the group is an L2/L3 resolver group (tier >= 2).
    with_resolver: bool
    #: Agents who worked it: assignee, resolver, the agents who escalated it.
    people: frozenset[int]


def place_of(session: Session, ticket: Ticket) -> TicketPlace:
    """Read where `ticket` sits (two small queries)."""
    group = session.get(SupportGroup, ticket.group_id) if ticket.group_id else None
    assignee = (
        session.scalar(sa.select(col(Agent.login)).where(col(Agent.id) == ticket.assignee_id))
        if ticket.assignee_id is not None
        else None
    )
    escalators = session.scalars(
        sa.select(col(Handoff.from_agent_id)).where(
            col(Handoff.ticket_id) == ticket.id,
            col(Handoff.kind) != "handback",
            col(Handoff.from_agent_id).is_not(None),
        )
    )
    people = {ticket.assignee_id, ticket.previous_assignee_id, *escalators}
    return TicketPlace(
        id=int(ticket.id or 0),
        status=ticket.status,
        assignee_id=ticket.assignee_id,
        assignee=assignee,
        group_id=ticket.group_id,
        group=group.name if group else None,
        with_resolver=group is not None and group.tier >= 2,
        people=frozenset(p for p in people if p is not None),
    )


def is_first_line(session: Session, actor: Actor) -> bool:
    """True for an agent of a tier-1 group, or of no group at all (a desk without groups)."""
    if not actor.group_ids:
        return True
    tiers = session.scalars(
        sa.select(col(SupportGroup.tier)).where(col(SupportGroup.id).in_(actor.group_ids))
    )
    return any(tier < 2 for tier in tiers)


def decide(
    actor: Actor, place: TicketPlace, move: Move, *, first_line: bool, verb: str = ""
) -> Decision:
    """The who-rule for `move` on the ticket at `place` (see the module docstring).

    Pure: role permissions are checked by the caller; `verb` words the refusal
    ("resolve", "escalate", ...). Taking a ticket someone else has is a conflict, not a
    permission question: the caller's conditional update reports it.
    """
    me = actor.agent_id
    if actor.can(SUPERVISE) or (me is not None and place.assignee_id == me):
        return ALLOWED
    verb = verb or str(move)
    member = place.group_id is not None and place.group_id in actor.group_ids
    worked = me is not None and me in place.people
    tid = f"ticket #{place.id}"
    if move in (Move.CONFIRM, Move.REOPEN):
        if first_line or member or worked:
            return ALLOWED
        where = place.group or "first line"
        return Decision(
            False,
            f"{tid} is with {where}; first line, the agents who worked it, its group or a "
            f"supervisor may {verb} it",
        )
    if move is Move.RESUME and (first_line or member or worked):
        return ALLOWED  # the requester answered, at the hotline or to the group
    if place.assignee_id is not None and move is not Move.TAKE:
        owner = place.assignee or "another agent"
        return Decision(
            False, f"{tid} is assigned to {owner}; only {owner} or a supervisor may {verb} it"
        )
    if not place.with_resolver or member:
        return ALLOWED
    return Decision(
        False, f"{tid} is with {place.group}; only its members or a supervisor may {verb} it"
    )


def require(session: Session, actor: Actor, ticket: Ticket, move: Move, *, verb: str = "") -> None:
    """Raise PermissionDenied unless `actor` may make `move` on `ticket`."""
    if actor.can(SUPERVISE):
        return
    decision = decide(
        actor,
        place_of(session, ticket),
        move,
        first_line=is_first_line(session, actor),
        verb=verb,
    )
    if not decision:
        raise PermissionDenied(decision.why_not)


def status_move(current: str, target: str) -> tuple[Move, str]:
    """The kind of move `current -> target` is, and the verb that words a refusal."""
    if current in ("resolved", "closed") and target == "in_progress":
        return Move.REOPEN, "reopen"
    if current == "waiting_customer" and target in ("in_progress", "escalated"):
        return Move.RESUME, "take back to work"
    verbs = {"resolved": "resolve", "cancelled": "cancel", "waiting_customer": "put on hold"}
    return Move.WORK, verbs.get(target, "move")


# -- what the screens ask: every action on one ticket ----------------------------------
_WORKABLE: Final = ("new", "in_progress", "waiting_customer", "escalated")


def _lifecycle(
    tid: int, status: str, action: str, reopen_until: datetime | None, now: datetime
) -> Decision:
    """Whether the ticket's status allows a screen action at all, and why not."""
    final = status in ("closed", "cancelled")
    if action in ("take", "resolve", "escalate", "ask") and status not in OPEN_STATUSES:
        hint = "; reopen it first" if status in ("resolved", "closed") else ""
        return Decision(False, f"ticket #{tid} is {status}{hint}")
    if action == "waiting" and status not in ("new", "in_progress", "escalated"):
        return Decision(False, f"ticket #{tid} is {status}; it cannot wait on the customer")
    if action == "in_progress" and status not in ("waiting_customer", "escalated", "new"):
        return Decision(False, f"ticket #{tid} is {status}; it is not waiting or escalated")
    if action == "close" and status != "resolved":
        return Decision(False, f"ticket #{tid} is {status}; only resolved tickets are confirmed")
    if action == "reopen":
        if status not in ("resolved", "closed"):
            return Decision(False, f"ticket #{tid} is {status}; only resolved or closed reopen")
        if reopen_until is not None and now > reopen_until:
            return Decision(
                False, f"ticket #{tid} is past its reopen window; record a new ticket instead"
            )
    if action in ("priority", "category") and final:
        return Decision(False, f"ticket #{tid} is {status} and can no longer change")
    return ALLOWED


#: Screen action -> (role permission, move, verb). `None` move: no who-rule.
SCREEN_ACTIONS: Final[dict[str, tuple[str, Move | None, str]]] = {
    "take": ("ticket.take", Move.TAKE, "accept"),
    "resolve": ("ticket.status", Move.WORK, "resolve"),
    "waiting": ("ticket.status", Move.WORK, "put on hold"),
    "in_progress": ("ticket.status", Move.WORK, "move"),
    "escalate": ("ticket.escalate", Move.WORK, "escalate"),
    "hand_back": ("ticket.status", Move.WORK, "hand back"),
    "close": ("ticket.status", Move.CONFIRM, "confirm"),
    "reopen": ("ticket.status", Move.REOPEN, "reopen"),
    "ask": ("ticket.note", None, "ask about"),
    "note": ("ticket.note", None, "add to"),
    "priority": ("ticket.update", None, "change"),
    "category": ("ticket.update", None, "change"),
}


def ticket_actions(
    session: Session,
    actor: Actor,
    ticket_id: int,
    *,
    now: datetime,
    reopen_days: int | None = None,
) -> dict[str, Decision]:
    """What `actor` may do with the ticket now, per screen action, each with its reason.

    The ticket screen asks this instead of deciding itself, so a key the services would
    refuse says why before any dialog opens. Keys are those of `SCREEN_ACTIONS`.
    """
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    place = place_of(session, ticket)
    first_line = is_first_line(session, actor)
    resolved = ticket.resolved_at or ticket.closed_at
    until = resolved + timedelta(days=reopen_days) if resolved and reopen_days else None
    out: dict[str, Decision] = {}
    for action, (permission, move, verb) in SCREEN_ACTIONS.items():
        decision = _lifecycle(place.id, place.status, action, until, now)
        if decision and not actor.can(permission):
            decision = Decision(False, f"{actor.login} lacks the permission {permission!r}")
        if decision and action == "take" and place.assignee_id is not None:
            mine = place.assignee_id == actor.agent_id
            decision = Decision(
                False,
                f"ticket #{place.id} is already yours"
                if mine
                else f"ticket #{place.id} is already taken by {place.assignee or 'someone'}",
            )
        if decision and action == "hand_back" and not place.with_resolver:
            decision = Decision(False, f"ticket #{place.id} is not with an L2/L3 group")
        if decision and move is not None:
            if action == "in_progress" and place.status == "waiting_customer":
                move, verb = Move.RESUME, "take back to work"
            decision = decide(actor, place, move, first_line=first_line, verb=verb)
        out[action] = decision
    return out
