"""SLA policies per priority: list them, set their targets (`helpdesk sla policy ...`).

A policy is a response and a resolution target counted on a calendar. Changing one
applies to tickets recorded (or re-prioritised) from then on, as OLA changes do; with
`recompute_open` the open tickets of that priority get due times from the new terms
too. `recompute_open_due` is also what a calendar change runs (`sla_calendars`): the
calendar says when the desk works, which holds for every clock that is running.

Reading needs `ticket.read`; changing needs `config.manage` and writes an audit row.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.sla import SlaBook
from helpdesk_tui.services.vocab import OPEN_STATUSES, PRIORITIES
from helpdesk_tui.store.models import Calendar, SlaPolicy, Ticket
from helpdesk_tui.store.types import pk, utcnow

__all__ = [
    "MAX_TARGET_MINUTES",
    "PolicyView",
    "format_minutes",
    "list_policies",
    "parse_minutes",
    "recompute_open_due",
    "set_policy_targets",
]

#: A target beyond a year of business time is a typo (and a long calendar walk).
MAX_TARGET_MINUTES: Final = 525_600
_DURATION = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?$")


def parse_minutes(text: str, what: str) -> int:
    """'30m', '8h', '1h30m' or a plain number of minutes -> minutes (business time).

    Days are refused on purpose: a business day is the calendar's opening hours, not
    24 hours, and an SLA written in days means different things to different people.
    """
    value = text.strip().lower()
    if value.isdigit():
        minutes = int(value)
    else:
        match = _DURATION.fullmatch(value)
        if not value or match is None or not any(match.groups()):
            raise UsageError(
                f"{what}: {text!r} is not a duration like 30m, 8h or 1h30m "
                "(business time; days are ambiguous, give hours)"
            )
        minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if not 1 <= minutes <= MAX_TARGET_MINUTES:
        raise UsageError(f"{what}: must be from 1 minute to {MAX_TARGET_MINUTES // 60} hours")
    return minutes


def format_minutes(minutes: int) -> str:
    """45 -> '45m', 480 -> '8h', 90 -> '1h30m'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"


@dataclass(frozen=True)
class PolicyView:
    """An active SLA policy as `sla policy list` shows it."""

    priority: str
    name: str
    response_minutes: int
    resolve_minutes: int
    calendar: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        return {
            "priority": self.priority,
            "name": self.name,
            "response_minutes": self.response_minutes,
            "resolve_minutes": self.resolve_minutes,
            "calendar": self.calendar,
        }


def _views(session: Session) -> dict[str, PolicyView]:
    rows = session.execute(
        sa.select(SlaPolicy, col(Calendar.name))
        .join(Calendar, col(Calendar.id) == col(SlaPolicy.calendar_id))
        .where(col(SlaPolicy.active))
        .order_by(col(SlaPolicy.id))
    )
    views: dict[str, PolicyView] = {}
    for policy, calendar in rows:  # the last active policy of a priority wins, as in SlaBook
        views[policy.priority] = PolicyView(
            policy.priority, policy.name, policy.response_minutes, policy.resolve_minutes, calendar
        )
    return views


def list_policies(session: Session, actor: Actor) -> list[PolicyView]:
    """The active policy of each priority, most urgent first (permission `ticket.read`)."""
    actor.require("ticket.read")
    views = _views(session)
    return [views[p] for p in PRIORITIES if p in views]


def set_policy_targets(
    session: Session,
    actor: Actor,
    priority: str,
    *,
    response_minutes: int | None = None,
    resolve_minutes: int | None = None,
    calendar: str | None = None,
    recompute_open: bool = False,
    now: datetime | None = None,
) -> tuple[PolicyView, int]:
    """Change a priority's targets or calendar (permission `config.manage`, audited).

    Returns the new policy and how many open tickets got new due times (0 unless
    `recompute_open`). A priority without an active policy (deleted by hand) gets one.
    """
    actor.require("config.manage")
    if priority not in PRIORITIES:
        raise invalid_choice("priority", priority, PRIORITIES)
    if response_minutes is None and resolve_minutes is None and calendar is None:
        raise UsageError("nothing to change; give --response, --resolve or --calendar")
    now = now or utcnow()
    policy = session.scalars(
        sa.select(SlaPolicy)
        .where(col(SlaPolicy.priority) == priority, col(SlaPolicy.active))
        .order_by(col(SlaPolicy.id).desc())
    ).first()
    calendars = {c.name: pk(c) for c in session.scalars(sa.select(Calendar))}
    if calendar is not None and calendar not in calendars:
        raise invalid_choice("calendar", calendar, sorted(calendars))
    before = _views(session).get(priority)
    if policy is None:
        if calendar is None or response_minutes is None or resolve_minutes is None:
            raise UsageError(f"{priority} has no policy; give --response, --resolve and --calendar")
        policy = SlaPolicy(
            name=f"{priority}",
            priority=priority,
            response_minutes=1,
            resolve_minutes=1,
            calendar_id=calendars[calendar],
        )
        session.add(policy)
    response = response_minutes if response_minutes is not None else policy.response_minutes
    resolve = resolve_minutes if resolve_minutes is not None else policy.resolve_minutes
    for minutes, what in ((response, "response"), (resolve, "resolution")):
        if not 1 <= minutes <= MAX_TARGET_MINUTES:
            raise UsageError(f"the {what} target must be from 1 minute to {MAX_TARGET_MINUTES}")
    if resolve < response:
        raise UsageError(
            f"the resolution target ({format_minutes(resolve)}) is shorter than the response "
            f"target ({format_minutes(response)})"
        )
    policy.response_minutes, policy.resolve_minutes = response, resolve
    if calendar is not None:
        policy.calendar_id = calendars[calendar]
    session.flush()
    after = _views(session)[priority]
    recomputed = recompute_open_due(session, [priority]) if recompute_open else 0
    record_audit(
        session,
        actor,
        "sla_policy.set",
        "sla_policy",
        policy.id,
        {
            "priority": priority,
            "from": before.to_dict() if before else None,
            "to": after.to_dict(),
            "recomputed_open": recomputed,
        },
        now=now,
    )
    return after, recomputed


def recompute_open_due(session: Session, priorities: Collection[str]) -> int:
    """New due times for the open tickets of `priorities` from the current policies.

    The resolution due time is always recomputed (`sla.start_clock`'s formula: creation
    + target + business time paused); the response due time only while no response was
    given, so a response already made is never re-judged. Returns how many tickets' due
    times (or policy) changed; the others are not written. Versions are not bumped:
    nobody edited the ticket's facts, and an agent's next save must not fail as stale
    because a calendar changed.
    """
    if not priorities:
        return 0
    book = SlaBook.load(session)
    table = sa.inspect(Ticket).local_table
    assert isinstance(table, sa.Table)
    rows = session.execute(
        sa.select(
            col(Ticket.id),
            col(Ticket.priority),
            col(Ticket.created_at),
            col(Ticket.sla_paused_s),
            col(Ticket.first_response_at),
            col(Ticket.response_due),
            col(Ticket.resolve_due),
            col(Ticket.sla_policy_id),
        ).where(col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.priority).in_(list(priorities)))
    )
    answered: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    for (
        ticket_id,
        priority,
        created_at,
        paused_s,
        responded,
        old_response,
        old_resolve,
        old_policy,
    ) in rows:
        terms = book.terms(priority)
        try:
            resolve_due = terms.calendar.add(created_at, terms.resolve_s + (paused_s or 0.0))
            response_due: datetime | None = terms.calendar.add(created_at, terms.response_s)
        except OverflowError:
            continue  # an absurd creation date: leave the ticket as it is
        if responded is not None:
            response_due = old_response  # a response given is never re-judged
        if (response_due, resolve_due, terms.policy_id) == (old_response, old_resolve, old_policy):
            continue
        row = {"tid": ticket_id, "new_resolve": resolve_due, "policy": terms.policy_id}
        if responded is None:
            waiting.append(row | {"new_response": response_due})
        else:
            answered.append(row)
    update = sa.update(table).where(table.c.id == sa.bindparam("tid"))
    values: dict[str, Any] = {
        "resolve_due": sa.bindparam("new_resolve"),
        "sla_policy_id": sa.bindparam("policy"),
    }
    if answered:
        session.execute(update.values(values), answered)
    if waiting:
        session.execute(
            update.values(values | {"response_due": sa.bindparam("new_response")}), waiting
        )
    return len(answered) + len(waiting)
