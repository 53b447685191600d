"""SLA clocks: policies per priority, due times in business time, pause and state.

Each policy has a response and a resolution target counted on a calendar. The
resolution due time is `calendar.add(created_at, target + paused)`, where `paused` is the
business time spent waiting on the customer, so pausing, resuming and a change of
priority are all one formula. The state is ok, warning (>= 75% of the target used) or
breached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Final, Protocol

from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.calendar_config import calendar_from_dict
from helpdesk_tui.services.vocab import PRIORITIES

if TYPE_CHECKING:
    # The clock itself needs no ORM: the TUI's launch frame computes SLA states before
    # SQLAlchemy is imported (services/opening.py). Only loading and seeding touch it.
    from sqlalchemy.orm import Session

    from helpdesk_tui.store.models import Ticket

#: Fraction of a target after which the ticket shows a warning.
WARNING_FRACTION: Final = 0.75

#: Shipped policies: priority -> (calendar name, response minutes, resolution minutes).
#: Critical runs round the clock; the rest count business hours (10 h a day by default).
DEFAULT_POLICIES: Final[dict[str, tuple[str, int, int]]] = {
    "critical": ("24x7", 15, 4 * 60),
    "high": ("business", 30, 8 * 60),
    "medium": ("business", 2 * 60, 2 * 10 * 60),
    "low": ("business", 8 * 60, 5 * 10 * 60),
    "informational": ("business", 10 * 60, 10 * 10 * 60),
}


@dataclass(frozen=True)
class SlaTerms:
    """A policy with its calendar, ready for clock arithmetic."""

    policy_id: int | None
    name: str
    priority: str
    response_s: float
    resolve_s: float
    calendar: BusinessCalendar


@dataclass(frozen=True)
class SlaStatus:
    """Where a ticket stands against its SLA at one instant."""

    response_due: datetime | None
    resolve_due: datetime | None
    state: str  # ok | warning | breached | met | paused states combine: see `paused`
    used: float  # fraction of the resolution target used (may exceed 1)
    remaining_s: float | None  # business seconds left on the resolution clock
    paused: bool
    response_state: str  # pending-ok | pending-warning | breached | met

    def to_dict(self) -> dict[str, object]:
        """JSON-able form for `--json` output."""
        return {
            "response_due": self.response_due.isoformat() if self.response_due else None,
            "resolve_due": self.resolve_due.isoformat() if self.resolve_due else None,
            "state": self.state,
            "response_state": self.response_state,
            "used": round(self.used, 4),
            "remaining_seconds": None if self.remaining_s is None else round(self.remaining_s),
            "paused": self.paused,
        }


class CalendarRow(Protocol):
    """The stored form of a calendar: a `Calendar` entity, or a row read without the ORM."""

    @property
    def name(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def weekdays(self) -> str: ...
    @property
    def opens(self) -> str: ...
    @property
    def closes(self) -> str: ...
    @property
    def holidays(self) -> str: ...


def calendar_of(row: CalendarRow) -> BusinessCalendar:
    """Turn a stored calendar row into a BusinessCalendar."""
    return calendar_from_dict(
        {
            "name": row.name,
            "timezone": row.timezone,
            "weekdays": [int(d) for d in row.weekdays.split(",") if d.strip()],
            "opens": row.opens,
            "closes": row.closes,
            "holidays": [d for d in row.holidays.split(",") if d.strip()],
        }
    )


class SlaBook:
    """All active policies and calendars, loaded once per unit of work or page of rows."""

    def __init__(self, terms: dict[str, SlaTerms]) -> None:
        self.by_priority = terms

    @classmethod
    def load(cls, session: Session) -> SlaBook:
        """Read the active policies and their calendars."""
        import sqlalchemy as sa
        from sqlmodel import col

        from helpdesk_tui.store.models import Calendar, SlaPolicy

        calendars = {c.id: calendar_of(c) for c in session.scalars(sa.select(Calendar))}
        policies = session.scalars(
            sa.select(SlaPolicy).where(col(SlaPolicy.active)).order_by(col(SlaPolicy.id))
        )
        return cls.from_rows(
            calendars,
            (
                (p.id, p.name, p.priority, p.response_minutes, p.resolve_minutes, p.calendar_id)
                for p in policies
            ),
        )

    @classmethod
    def from_rows(
        cls,
        calendars: dict[int | None, BusinessCalendar],
        policies: Iterable[tuple[int | None, str, str, int, int, int]],
    ) -> SlaBook:
        """The book from calendars by id and active policy rows (id, name, priority,
        response minutes, resolution minutes, calendar id) in id order: the last policy
        of a priority wins."""
        terms: dict[str, SlaTerms] = {}
        for policy_id, name, priority, response_min, resolve_min, calendar_id in policies:
            terms[priority] = SlaTerms(
                policy_id=policy_id,
                name=name,
                priority=priority,
                response_s=response_min * 60.0,
                resolve_s=resolve_min * 60.0,
                calendar=calendars[calendar_id],
            )
        return cls(terms)

    def terms(self, priority: str) -> SlaTerms:
        """The terms for `priority`; a 24x7 fallback if the desk deleted that policy."""
        found = self.by_priority.get(priority)
        if found is not None:
            return found
        minutes = DEFAULT_POLICIES.get(priority, DEFAULT_POLICIES["medium"])
        return SlaTerms(
            None,
            f"fallback-{priority}",
            priority,
            minutes[1] * 60.0,
            minutes[2] * 60.0,
            BusinessCalendar.twenty_four_seven(),
        )


def seed_sla(session: Session, timezone: str = "UTC", holidays: tuple[date, ...] = ()) -> None:
    """Create the default calendars and policies that do not exist yet (idempotent)."""
    import sqlalchemy as sa
    from sqlmodel import col

    from helpdesk_tui.store.models import Calendar, SlaPolicy
    from helpdesk_tui.store.types import pk

    names = set(session.scalars(sa.select(col(Calendar.name))))
    if "24x7" not in names:
        session.add(Calendar(name="24x7"))
    if "business" not in names:
        hours = BusinessCalendar.business_hours(
            "business", timezone, opens=time(8), closes=time(18), holidays=holidays
        )
        session.add(
            Calendar(
                name="business",
                timezone=hours.timezone,
                weekdays="0,1,2,3,4",
                opens="08:00",
                closes="18:00",
                holidays=",".join(d.isoformat() for d in sorted(hours.holidays)),
            )
        )
    session.flush()
    cal_ids = {c.name: pk(c) for c in session.scalars(sa.select(Calendar))}
    existing = set(session.scalars(sa.select(col(SlaPolicy.priority))))
    for priority in PRIORITIES:
        if priority in existing:
            continue
        cal, response, resolve = DEFAULT_POLICIES[priority]
        session.add(
            SlaPolicy(
                name=f"default-{priority}",
                priority=priority,
                response_minutes=response,
                resolve_minutes=resolve,
                calendar_id=cal_ids[cal],
            )
        )
    session.flush()


def start_clock(ticket: Ticket, terms: SlaTerms) -> None:
    """Set a ticket's policy and due times from its creation (also when its priority changes)."""
    cal = terms.calendar
    ticket.sla_policy_id = terms.policy_id
    ticket.response_due = cal.add(ticket.created_at, terms.response_s)
    ticket.resolve_due = cal.add(ticket.created_at, terms.resolve_s + ticket.sla_paused_s)


def pause_clock(ticket: Ticket, now: datetime) -> None:
    """Stop the resolution clock (waiting on the customer)."""
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now


def resume_clock(ticket: Ticket, terms: SlaTerms, now: datetime) -> None:
    """Restart the resolution clock, pushing the due time by the business time paused."""
    if ticket.sla_paused_at is None:
        return
    ticket.sla_paused_s += max(0.0, terms.calendar.between(ticket.sla_paused_at, now))
    ticket.sla_paused_at = None
    ticket.resolve_due = terms.calendar.add(
        ticket.created_at, terms.resolve_s + ticket.sla_paused_s
    )


def format_duration(seconds: float | None) -> str:
    """A compact signed duration for SLA clocks: `2d04h`, `3h05m`, `12m`, `-1h20m`."""
    if seconds is None:
        return "--"
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    if hours:
        return f"{sign}{hours}h{mins:02d}m"
    return f"{sign}{mins}m"


def _state(used: float) -> str:
    if used >= 1.0:
        return "breached"
    if used >= WARNING_FRACTION:
        return "warning"
    return "ok"


def sla_status(
    terms: SlaTerms,
    *,
    now: datetime,
    created_at: datetime,
    response_due: datetime | None,
    resolve_due: datetime | None,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    paused_at: datetime | None,
) -> SlaStatus:
    """Compute the SLA state of one ticket at `now` (works on rows or column tuples)."""
    cal = terms.calendar
    # Response clock.
    if first_response_at is not None:
        response_state = (
            "met" if response_due is None or first_response_at <= response_due else "breached"
        )
    elif response_due is None:
        response_state = "ok"
    elif now >= response_due:
        response_state = "breached"
    else:
        left = cal.between(now, response_due)
        response_state = _state(1.0 - left / terms.response_s if terms.response_s else 1.0)
    # Resolution clock: stopped at resolution, frozen while paused.
    end = resolved_at or paused_at or now
    if resolve_due is None:
        remaining, used = None, 0.0
    elif end >= resolve_due:
        remaining = -cal.between(resolve_due, end)
        used = 1.0 + (-remaining / terms.resolve_s if terms.resolve_s else 0.0)
    else:
        remaining = cal.between(end, resolve_due)
        used = 1.0 - remaining / terms.resolve_s if terms.resolve_s else 1.0
    state = _state(used)
    if resolved_at is not None:
        state = "met" if used < 1.0 else "breached"
    elif response_state == "breached" or (response_state == "warning" and state == "ok"):
        state = response_state
    return SlaStatus(
        response_due=response_due,
        resolve_due=resolve_due,
        state=state,
        used=max(used, 0.0),
        remaining_s=remaining,
        paused=paused_at is not None and resolved_at is None,
        response_state=response_state,
    )


def ticket_sla(ticket: Ticket, book: SlaBook, now: datetime) -> SlaStatus:
    """The SLA status of a ticket entity."""
    return sla_status(
        book.terms(ticket.priority),
        now=now,
        created_at=ticket.created_at,
        response_due=ticket.response_due,
        resolve_due=ticket.resolve_due,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        paused_at=ticket.sla_paused_at,
    )
