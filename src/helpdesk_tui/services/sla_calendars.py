"""The desk's business calendars: opening hours, time zone, holidays (`helpdesk sla calendar`).

A calendar says when SLA and OLA clocks run (`services/calendar.py` does the arithmetic,
`calendar_config` the stored form). Admins (`config.manage`) add calendars, set their
hours and time zone, and add, remove or import holidays; each change is an audit row.
A change also gives the open tickets whose SLA runs on that calendar new due times
(`sla_policies.recompute_open_due`): the calendar says when the desk works, which holds
for clocks already running. OLA due times of escalations in progress are left as they
were set (they carry pauses that are not stored apart); new escalations use the change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.calendar import WEEKDAY_NAMES, BusinessCalendar
from helpdesk_tui.services.calendar_config import calendar_from_dict, calendar_to_dict
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.sla import calendar_of
from helpdesk_tui.services.sla_policies import recompute_open_due
from helpdesk_tui.services.vocab import PRIORITIES
from helpdesk_tui.store.models import Calendar, SlaPolicy, SupportGroup
from helpdesk_tui.store.models.escalation import OlaPolicy
from helpdesk_tui.store.types import utcnow

__all__ = [
    "MAX_HOLIDAYS",
    "CalendarChange",
    "CalendarView",
    "add_calendar",
    "add_holidays",
    "get_calendar",
    "import_holidays",
    "list_calendars",
    "remove_holidays",
    "set_calendar",
]

#: Holidays kept per calendar: decades of public holidays, far from a pasted mistake.
MAX_HOLIDAYS: Final = 2000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CalendarView:
    """A calendar with what uses it."""

    name: str
    timezone: str
    weekdays: tuple[int, ...]
    opens: str
    closes: str
    holidays: tuple[date, ...]
    priorities: tuple[str, ...]  # SLA policies counting on it
    groups: tuple[str, ...]  # OLA policies counting on it

    @property
    def days(self) -> str:
        """Weekdays in words: 'mon-fri', 'every day', 'mon, wed, fri'."""
        return _weekdays_text(self.weekdays)

    @property
    def hours(self) -> str:
        """Opening hours: '08:00-18:00', or 'all day'."""
        if self.opens == "00:00" and self.closes == "00:00":
            return "all day"
        return f"{self.opens}-{'24:00' if self.closes == '00:00' else self.closes}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        return {
            "name": self.name,
            "timezone": self.timezone,
            "weekdays": [WEEKDAY_NAMES[d] for d in self.weekdays],
            "opens": self.opens,
            "closes": self.closes,
            "holidays": [d.isoformat() for d in self.holidays],
            "sla_priorities": list(self.priorities),
            "ola_groups": list(self.groups),
        }


@dataclass(frozen=True)
class CalendarChange:
    """What a change did: the calendar now, and how many open tickets got new due times."""

    calendar: CalendarView
    recomputed: int
    #: Holidays added or removed by this change (empty for hours and time zone).
    dates: tuple[date, ...] = ()


def _weekdays_text(days: tuple[int, ...]) -> str:
    if len(days) == 7:
        return "every day"
    if days and list(days) == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{WEEKDAY_NAMES[days[0]]}-{WEEKDAY_NAMES[days[-1]]}"
    return ", ".join(WEEKDAY_NAMES[d] for d in days)


def _row(session: Session, name: str) -> Calendar:
    row = session.scalars(sa.select(Calendar).where(col(Calendar.name) == name)).first()
    if row is None:
        names = ", ".join(
            session.scalars(sa.select(col(Calendar.name)).order_by(col(Calendar.name)))
        )
        raise NotFound(f"no calendar named {name!r}; calendars: {names}")
    return row


def _view(session: Session, row: Calendar) -> CalendarView:
    calendar = calendar_of(row)
    priorities = set(
        session.scalars(
            sa.select(col(SlaPolicy.priority)).where(
                col(SlaPolicy.calendar_id) == row.id, col(SlaPolicy.active)
            )
        )
    )
    groups = session.scalars(
        sa.select(col(SupportGroup.name))
        .join(OlaPolicy, col(OlaPolicy.group_id) == col(SupportGroup.id))
        .where(col(OlaPolicy.calendar_id) == row.id, col(OlaPolicy.active))
        .order_by(col(SupportGroup.name))
    )
    stored = calendar_to_dict(calendar)
    return CalendarView(
        name=calendar.name,
        timezone=calendar.timezone,
        weekdays=tuple(sorted(calendar.weekdays)),
        opens=str(stored["opens"]),
        closes=str(stored["closes"]),
        holidays=tuple(sorted(calendar.holidays)),
        priorities=tuple(p for p in PRIORITIES if p in priorities),
        groups=tuple(groups),
    )


def list_calendars(session: Session, actor: Actor) -> list[CalendarView]:
    """Every calendar, by name (permission `ticket.read`)."""
    actor.require("ticket.read")
    rows = session.scalars(sa.select(Calendar).order_by(col(Calendar.name)))
    return [_view(session, row) for row in rows]


def get_calendar(session: Session, actor: Actor, name: str) -> CalendarView:
    """One calendar (permission `ticket.read`; NotFound lists the calendars)."""
    actor.require("ticket.read")
    return _view(session, _row(session, name))


def _store(row: Calendar, calendar: BusinessCalendar) -> None:
    """Write a validated calendar into its row (minutes only: the column holds HH:MM)."""
    for what, value in (("opens", calendar.opens), ("closes", calendar.closes)):
        if value.second or value.microsecond:
            raise UsageError(f"calendar {calendar.name!r}: {what} must be whole minutes")
    if len(calendar.holidays) > MAX_HOLIDAYS:
        raise UsageError(
            f"calendar {calendar.name!r}: {len(calendar.holidays)} holidays; at most {MAX_HOLIDAYS}"
        )
    stored = calendar_to_dict(calendar)
    row.timezone = calendar.timezone
    row.weekdays = ",".join(str(d) for d in sorted(calendar.weekdays))
    row.opens, row.closes = str(stored["opens"]), str(stored["closes"])
    row.holidays = ",".join(d.isoformat() for d in sorted(calendar.holidays))


def _changed(
    session: Session,
    actor: Actor,
    row: Calendar,
    action: str,
    detail: dict[str, Any],
    now: datetime | None,
    dates: Iterable[date] = (),
) -> CalendarChange:
    """Flush a changed calendar, recompute the due times it governs, audit the change."""
    session.flush()
    view = _view(session, row)
    recomputed = recompute_open_due(session, view.priorities)
    detail = detail | {"recomputed_open": recomputed}
    record_audit(session, actor, action, "calendar", row.name, detail, now=now or utcnow())
    return CalendarChange(view, recomputed, tuple(sorted(dates)))


def add_calendar(
    session: Session,
    actor: Actor,
    name: str,
    *,
    timezone: str,
    weekdays: object = "mon-fri",
    opens: object = "08:00",
    closes: object = "18:00",
    now: datetime | None = None,
) -> CalendarView:
    """A new calendar (permission `config.manage`); policies can then count on it."""
    actor.require("config.manage")
    name = name.strip()
    # Names end up in tables, logs and audit rows: printable text only.
    if not name or len(name) > 64 or any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise UsageError("a calendar name must be 1-64 printable characters")
    if session.scalar(sa.select(col(Calendar.id)).where(col(Calendar.name) == name)):
        raise Conflict(f"a calendar named {name!r} exists already")
    calendar = calendar_from_dict(
        {"name": name, "timezone": timezone, "weekdays": weekdays, "opens": opens, "closes": closes}
    )
    row = Calendar(name=name)
    _store(row, calendar)
    session.add(row)
    session.flush()
    view = _view(session, row)
    record_audit(session, actor, "calendar.add", "calendar", name, view.to_dict(), now=now)
    return view


def set_calendar(
    session: Session,
    actor: Actor,
    name: str,
    *,
    timezone: str | None = None,
    weekdays: object = None,
    opens: object = None,
    closes: object = None,
    now: datetime | None = None,
) -> CalendarChange:
    """Change a calendar's time zone, working days or hours (permission `config.manage`).

    `opens`/`closes` take '08:00' ('24:00' or '00:00' closes at midnight), `weekdays`
    'mon-fri', 'mon,wed,fri' or numbers 0-6. Open tickets counting on it get new due times.
    """
    actor.require("config.manage")
    if timezone is None and weekdays is None and opens is None and closes is None:
        raise UsageError("nothing to change; give --timezone, --weekdays, --opens or --closes")
    row = _row(session, name)
    before = calendar_to_dict(calendar_of(row))
    data = dict(before)
    for key, value in (("timezone", timezone), ("weekdays", weekdays), ("opens", opens)):
        if value is not None:
            data[key] = value
    if closes is not None:
        data["closes"] = closes
    calendar = calendar_from_dict(data)
    _store(row, calendar)
    after = calendar_to_dict(calendar)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    return _changed(session, actor, row, "calendar.set", changes, now)


def _parse_dates(dates: Iterable[object]) -> list[date]:
    """ISO strings or dates as sorted unique dates; one UsageError for the first bad one."""
    days: set[date] = set()
    for item in dates:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        text = item.strip() if isinstance(item, str) else ""
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError
            days.add(date.fromisoformat(text))
        except ValueError:
            raise UsageError(f"{item!r} is not a date like 2026-12-25") from None
    if not days:
        raise UsageError("give at least one date like 2026-12-25")
    return sorted(days)


def add_holidays(
    session: Session,
    actor: Actor,
    name: str,
    dates: Iterable[object],
    *,
    now: datetime | None = None,
) -> CalendarChange:
    """Add holiday dates (already present ones are left as they are); `dates` are ISO
    strings or dates. Permission `config.manage`."""
    actor.require("config.manage")
    row = _row(session, name)
    calendar = calendar_of(row)
    new = [d for d in _parse_dates(dates) if d not in calendar.holidays]
    _store(row, _with_holidays(calendar, calendar.holidays | set(new)))
    detail = {"added": [d.isoformat() for d in new]}
    return _changed(session, actor, row, "calendar.holidays.add", detail, now, new)


def remove_holidays(
    session: Session,
    actor: Actor,
    name: str,
    dates: Iterable[object],
    *,
    now: datetime | None = None,
) -> CalendarChange:
    """Remove holiday dates; every date must be one of the calendar's holidays (else
    NotFound, nothing changed). Permission `config.manage`."""
    actor.require("config.manage")
    row = _row(session, name)
    calendar = calendar_of(row)
    gone = _parse_dates(dates)
    missing = [d.isoformat() for d in gone if d not in calendar.holidays]
    if missing:
        raise NotFound(f"not a holiday of calendar {name!r}: {', '.join(missing)}")
    _store(row, _with_holidays(calendar, calendar.holidays - set(gone)))
    detail = {"removed": [d.isoformat() for d in gone]}
    return _changed(session, actor, row, "calendar.holidays.remove", detail, now, gone)


def import_holidays(
    session: Session,
    actor: Actor,
    name: str,
    dates: Iterable[date],
    *,
    replace: bool = False,
    source: str = "",
    now: datetime | None = None,
) -> CalendarChange:
    """Import a holiday list (`holiday_files.parse_holiday_file`): add its dates, or with
    `replace` make them the calendar's only holidays. Permission `config.manage`."""
    actor.require("config.manage")
    row = _row(session, name)
    calendar = calendar_of(row)
    wanted = set(_parse_dates(dates))
    result = wanted if replace else calendar.holidays | wanted
    added = sorted(result - calendar.holidays)
    removed = sorted(calendar.holidays - result)
    _store(row, _with_holidays(calendar, result))
    detail = {
        "source": source,
        "replace": replace,
        "added": [d.isoformat() for d in added],
        "removed": [d.isoformat() for d in removed],
    }
    return _changed(session, actor, row, "calendar.holidays.import", detail, now, added)


def _with_holidays(calendar: BusinessCalendar, holidays: Iterable[date]) -> BusinessCalendar:
    return replace(calendar, holidays=frozenset(holidays))
