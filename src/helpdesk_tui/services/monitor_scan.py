"""The SLA watcher's candidate search: which open tickets may have crossed a threshold.

`_candidates` narrows the open tickets in SQL to those that can have crossed a warning
or breach not recorded yet (a horizon per priority or OLA policy, computed on its
calendar by `_horizon`) or that may trigger a no-response auto-escalation rule.
`_recorded` reads what is already recorded for them, and `_levels` / `_crossed` do the
exact business-time check in Python on those few candidates. `monitor.watch_once`
records, notifies and escalates; this module only reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.monitor_config import AutoEscalateRule
from helpdesk_tui.services.sla import WARNING_FRACTION, SlaBook, SlaTerms
from helpdesk_tui.services.vocab import OPEN_STATUSES, PRIORITIES
from helpdesk_tui.store.models import Ticket
from helpdesk_tui.store.models.monitoring import SlaAutoEscalation, SlaEvent

#: Ids per `IN (...)` list: far below every backend's bound-parameter limit.
_CHUNK: Final = 500


@dataclass
class _Candidate:
    id: int
    priority: str
    category: str
    status: str
    created_at: datetime
    response_due: datetime | None
    resolve_due: datetime | None
    first_response_at: datetime | None
    paused_at: datetime | None
    paused_s: float
    assignee_id: int | None
    group_id: int | None
    escalated_at: datetime | None
    ola_policy_id: int | None
    ola_response_due: datetime | None
    ola_due: datetime | None
    ola_accepted_at: datetime | None
    ola_stopped_at: datetime | None

    def due(self, clock: str) -> datetime | None:
        """The due time of one clock."""
        return {
            "response": self.response_due,
            "resolution": self.resolve_due,
            "ola_response": self.ola_response_due,
            "ola": self.ola_due,
        }[clock]


_COLUMNS = (
    col(Ticket.id),
    col(Ticket.priority),
    col(Ticket.category),
    col(Ticket.status),
    col(Ticket.created_at),
    col(Ticket.response_due),
    col(Ticket.resolve_due),
    col(Ticket.first_response_at),
    col(Ticket.sla_paused_at),
    col(Ticket.sla_paused_s),
    col(Ticket.assignee_id),
    col(Ticket.group_id),
    col(Ticket.escalated_at),
    col(Ticket.ola_policy_id),
    col(Ticket.ola_response_due),
    col(Ticket.ola_due),
    col(Ticket.ola_accepted_at),
    col(Ticket.ola_stopped_at),
)


class _Terms:
    """The SLA book and the OLA policies, as clock terms (loaded once per pass)."""

    def __init__(self, session: Session) -> None:
        from helpdesk_tui.services.escalation import ola_terms
        from helpdesk_tui.store.models.escalation import OlaPolicy

        self.book = SlaBook.load(session)
        self.ola: dict[int, SlaTerms] = {}
        for policy_id in session.scalars(sa.select(col(OlaPolicy.id))):
            terms = ola_terms(session, policy_id)
            if terms is not None and policy_id is not None:
                self.ola[policy_id] = terms

    def sla(self, priority: str) -> SlaTerms:
        """The SLA terms of a priority (the book's fallback for an unknown one)."""
        return self.book.terms(priority)

    def for_clock(self, clock: str, ticket: _Candidate) -> SlaTerms | None:
        """The terms a ticket's clock runs on (None: an OLA whose policy is gone)."""
        if clock in ("ola", "ola_response"):
            return self.ola.get(ticket.ola_policy_id) if ticket.ola_policy_id else None
        return self.sla(ticket.priority)


def _horizon(calendar: BusinessCalendar, now: datetime, seconds: float) -> datetime:
    """The latest due time a clock can have and still be within `seconds` of business time.

    Business time runs slower than wall time, so a wall-time bound (now + seconds) would
    miss a ticket due Monday 09:00 seen on Friday evening: only an hour of business time
    is left, but 63 wall hours. `add` walks the calendar forward; `next_open` covers a due
    time inside the closed gap that follows (no business time passes there either).
    """
    try:
        return calendar.next_open(calendar.add(now, seconds))
    except OverflowError:
        return datetime.max.replace(tzinfo=now.tzinfo)


def _horizons(terms: Mapping[Any, SlaTerms], now: datetime, target: str) -> dict[Any, datetime]:
    """Per key (priority or OLA policy), the latest due time that may be in warning."""
    rest = 1.0 - WARNING_FRACTION
    return {key: _horizon(t.calendar, now, rest * getattr(t, target)) for key, t in terms.items()}


def _not_recorded(clock: str, level: str) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        col(SlaEvent.ticket_id) == col(Ticket.id),
        col(SlaEvent.clock) == clock,
        col(SlaEvent.level) == level,
    )


def _may_cross(
    due: Any,
    clock: str,
    now: datetime,
    key: Any,
    horizons: Mapping[Any, datetime],
    *,
    fallback: bool,
) -> sa.ColumnElement[bool]:
    """SQL: the clock may have crossed a threshold not recorded yet.

    A breach is plain wall time (due <= now). A warning needs business time, so the
    filter is the horizon of the ticket's terms (`key` = priority or OLA policy; safe, a
    little wide) and Python decides exactly. Tickets whose crossings are all recorded
    drop out here, which keeps the steady state cheap.
    """
    in_warning = [sa.and_(key == k, due <= h) for k, h in horizons.items()]
    widest = max(horizons.values(), default=now)
    if fallback:
        # A priority outside the vocabulary gets the SLA book's fallback terms.
        in_warning.append(sa.and_(key.not_in(list(horizons)), due <= widest))
    return sa.and_(
        due <= max(widest, now),  # one index range for the planner
        sa.or_(
            sa.and_(due <= now, _not_recorded(clock, "breach")),
            sa.and_(sa.or_(*in_warning), _not_recorded(clock, "warning")),
        ),
    )


def _candidates(
    session: Session, now: datetime, terms: _Terms, rules: Sequence[AutoEscalateRule]
) -> list[_Candidate]:
    """Open tickets that may have crossed a threshold or may trigger a no-response rule.

    `status IN (open)` is answered by ix_ticket_status_due (status, resolve_due, id): one
    index range per open status, so closed tickets (nearly all of a big desk) are never
    read.
    """
    priorities = {p: terms.sla(p) for p in dict.fromkeys([*PRIORITIES, *terms.book.by_priority])}
    priority = col(Ticket.priority)
    is_open = col(Ticket.status).in_(OPEN_STATUSES)
    resolution = sa.select(*_COLUMNS).where(
        is_open,
        col(Ticket.sla_paused_at).is_(None),
        _may_cross(
            col(Ticket.resolve_due),
            "resolution",
            now,
            priority,
            _horizons(priorities, now, "resolve_s"),
            fallback=True,
        ),
    )
    response_clause = _may_cross(
        col(Ticket.response_due),
        "response",
        now,
        priority,
        _horizons(priorities, now, "response_s"),
        fallback=True,
    )
    minutes = [r.no_response_minutes for r in rules if r.no_response_minutes is not None]
    if minutes:
        # Business minutes never exceed wall minutes: a wall-time bound is safe here.
        oldest = now - timedelta(minutes=min(minutes))
        response_clause = sa.or_(response_clause, col(Ticket.created_at) <= oldest)
    response = sa.select(*_COLUMNS).where(
        is_open, col(Ticket.first_response_at).is_(None), response_clause
    )
    selects = [resolution, response]
    if terms.ola:
        # The resolver group's OLA runs while the ticket is with it (status escalated).
        policy = col(Ticket.ola_policy_id)
        selects.append(
            sa.select(*_COLUMNS).where(
                col(Ticket.status) == "escalated",
                col(Ticket.ola_stopped_at).is_(None),
                sa.or_(
                    _may_cross(
                        col(Ticket.ola_due),
                        "ola",
                        now,
                        policy,
                        _horizons(terms.ola, now, "resolve_s"),
                        fallback=False,
                    ),
                    sa.and_(
                        col(Ticket.ola_accepted_at).is_(None),
                        _may_cross(
                            col(Ticket.ola_response_due),
                            "ola_response",
                            now,
                            policy,
                            _horizons(terms.ola, now, "response_s"),
                            fallback=False,
                        ),
                    ),
                ),
            )
        )
    found: dict[int, _Candidate] = {}
    for select in selects:
        for row in session.execute(select):
            ticket = _Candidate(*row)  # type: ignore[arg-type, call-arg]
            found[ticket.id] = ticket
    return [found[k] for k in sorted(found)]


def _recorded(
    session: Session, ids: Sequence[int]
) -> tuple[set[tuple[int, str, str]], set[tuple[int, str]]]:
    """Events and rule firings already recorded for these tickets."""
    events: set[tuple[int, str, str]] = set()
    fired: set[tuple[int, str]] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for tid, clock, level in session.execute(
            sa.select(col(SlaEvent.ticket_id), col(SlaEvent.clock), col(SlaEvent.level)).where(
                col(SlaEvent.ticket_id).in_(chunk)
            )
        ):
            events.add((tid, clock, level))
        for tid, rule in session.execute(
            sa.select(col(SlaAutoEscalation.ticket_id), col(SlaAutoEscalation.rule)).where(
                col(SlaAutoEscalation.ticket_id).in_(chunk)
            )
        ):
            fired.add((tid, rule))
    return events, fired


def _crossed(
    terms: SlaTerms, ticket: _Candidate, clock: str, level: str, due: datetime
) -> datetime:
    """When the threshold was crossed: the due time for a breach, 75 % of it for a warning."""
    if level == "breach":
        return due
    start, target = {
        "response": (ticket.created_at, terms.response_s),
        "resolution": (ticket.created_at, terms.resolve_s),
        "ola_response": (ticket.escalated_at or ticket.created_at, terms.response_s),
        "ola": (ticket.escalated_at or ticket.created_at, terms.resolve_s),
    }[clock]
    extra = ticket.paused_s if clock == "resolution" else 0.0
    try:
        at = terms.calendar.add(start, WARNING_FRACTION * target + extra)
    except OverflowError:
        return due
    # Due times from an older policy (or an OLA shifted by a pause) may come earlier.
    return min(at, due)


def _level(terms: SlaTerms, now: datetime, due: datetime, target_s: float) -> str | None:
    """`breach`, `warning` or None for one running clock: `sla_status`'s arithmetic.

    Written out instead of calling `sla_status` because that also measures how far past
    due a breached clock is, walking the calendar back to the due time: months of days
    for an old backlog, on every candidate. Here a breach is one comparison.
    """
    if now >= due:
        return "breach"
    left = terms.calendar.between(now, due)
    used = 1.0 - left / target_s if target_s else 1.0
    return "warning" if used >= WARNING_FRACTION else None


def _running(ticket: _Candidate) -> list[tuple[str, str]]:
    """(clock, target attribute) of the clocks running on a ticket."""
    clocks = []
    if ticket.first_response_at is None and ticket.response_due is not None:
        clocks.append(("response", "response_s"))
    # A paused clock (waiting on the customer) does not move, so it raises nothing.
    if ticket.paused_at is None and ticket.resolve_due is not None:
        clocks.append(("resolution", "resolve_s"))
    if ticket.status == "escalated" and ticket.ola_stopped_at is None:
        if ticket.ola_accepted_at is None and ticket.ola_response_due is not None:
            clocks.append(("ola_response", "response_s"))
        if ticket.ola_due is not None:
            clocks.append(("ola", "resolve_s"))
    return clocks


def _levels(
    terms: _Terms, ticket: _Candidate, now: datetime
) -> list[tuple[str, str, datetime, SlaTerms]]:
    """(clock, level, due, terms) reached at `now`: a breach implies the warning before it."""
    reached: list[tuple[str, str, datetime, SlaTerms]] = []
    for clock, target in _running(ticket):
        clock_terms = terms.for_clock(clock, ticket)
        due = ticket.due(clock)
        if clock_terms is None or due is None:
            continue
        level = _level(clock_terms, now, due, getattr(clock_terms, target))
        if level is not None:
            reached.append((clock, "warning", due, clock_terms))
        if level == "breach":
            reached.append((clock, "breach", due, clock_terms))
    return reached
