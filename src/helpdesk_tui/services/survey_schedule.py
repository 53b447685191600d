"""Sampling closed tickets into surveys, and the callbacks-due list (split from `surveys`).

`schedule_surveys` samples freshly closed tickets into surveys due at closure + delay;
`callbacks_due` is "whom to call today". `surveys` re-exports every public name here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.survey_plans import _require_any
from helpdesk_tui.store.models import Calendar, Requester, Ticket
from helpdesk_tui.store.models.surveys import Survey, SurveyPlan
from helpdesk_tui.store.types import pk, utcnow

#: Tickets closed this long before a plan's watermark are looked at again: a ticket whose
#: closing transaction committed after the previous run started would otherwise be
#: missed. Re-looking is harmless: sampling is deterministic and one survey per ticket.
SCHEDULE_OVERLAP: Final = timedelta(hours=1)


# -- scheduling -----------------------------------------------------------------------
def sample_point(ticket_id: int) -> float:
    """A stable pseudo-random number in [0, 1) for a ticket.

    Derived from the ticket id only, so every run (and every process) agrees, and a
    ticket in several plans' scopes is sampled at the highest of their rates instead of
    once per plan.
    """
    digest = hashlib.sha256(f"survey:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_sampled(ticket_id: int, rate: float) -> bool:
    """True when the plan with this rate calls back the ticket."""
    return sample_point(ticket_id) < rate


@dataclass(frozen=True)
class ScheduleReport:
    """What one `schedule_surveys` run did."""

    considered: int = 0
    created: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"considered": self.considered, "created": list(self.created)}


def _insert_ignoring_duplicate(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a survey unless the ticket has one; returns the new id or None.

    ON CONFLICT DO NOTHING keeps two concurrent schedulers (cron and a supervisor on
    PostgreSQL) from failing on the one-survey-per-ticket constraint.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Survey)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["ticket_id"])
        .returning(col(Survey.id))
    )
    new_id = session.execute(stmt).scalar()
    return int(new_id) if new_id is not None else None


def schedule_surveys(
    session: Session, now: datetime | None = None, *, actor: Actor = SYSTEM
) -> ScheduleReport:
    """Sample tickets closed since each active plan's last run into due surveys.

    Idempotent: sampling is a function of the ticket id, a ticket has at most one
    survey, and each plan remembers up to when it looked. Tickets without a requester
    are skipped (there is nobody to call). Audited only when it planned something.
    The system account may always run it; an agent needs what the due list needs
    (`survey.record` or `survey.manage`), checked before anything is written: `survey
    due` and the callbacks screen schedule, then list.
    """
    _require_any(actor, "survey.record", "survey.manage")
    now = now or utcnow()
    plans = session.scalars(
        sa.select(SurveyPlan)
        .where(col(SurveyPlan.active))
        .order_by(col(SurveyPlan.rate).desc(), col(SurveyPlan.id))
    ).all()
    latest = session.scalar(
        sa.select(sa.func.max(col(Ticket.closed_at))).where(
            col(Ticket.status) == "closed", col(Ticket.closed_at) <= now
        )
    )
    considered = 0
    created: list[int] = []
    for plan in plans:
        query = (
            sa.select(col(Ticket.id), col(Ticket.closed_at), col(Ticket.requester_id))
            .join(Requester, col(Requester.id) == col(Ticket.requester_id))
            .where(
                col(Ticket.status) == "closed",
                col(Ticket.closed_at) > plan.scheduled_until - SCHEDULE_OVERLAP,
                col(Ticket.closed_at) <= now,
                ~sa.exists().where(col(Survey.ticket_id) == col(Ticket.id)),
            )
            .order_by(col(Ticket.closed_at), col(Ticket.id))
        )
        categories = json.loads(plan.categories)
        if categories:
            query = query.where(col(Ticket.category).in_(categories))
        if plan.department_id is not None:
            query = query.where(col(Requester.department_id) == plan.department_id)
        if plan.vip_only:
            query = query.where(col(Requester.vip))
        planned: list[int] = []
        for ticket_id, closed_at, requester_id in session.execute(query):
            considered += 1
            if ticket_id is None or closed_at is None or requester_id is None:
                continue
            if not is_sampled(ticket_id, plan.rate):
                continue
            new_id = _insert_ignoring_duplicate(
                session,
                {
                    "ticket_id": ticket_id,
                    "plan_id": pk(plan),
                    "requester_id": requester_id,
                    "due_at": closed_at + timedelta(hours=plan.delay_hours),
                    "status": "due",
                    "method": plan.method,
                    "consent": False,
                    "answers": "{}",
                    "comment": "",
                    "created_at": now,
                },
            )
            if new_id is not None:
                planned.append(new_id)
        # The watermark moves to the newest closure, not to `now`: a run when nothing
        # closed writes nothing, so a screen that schedules does not wake the others.
        if latest is not None and latest > plan.scheduled_until:
            plan.scheduled_until = latest
        if planned:
            record_audit(
                session,
                actor,
                "survey.schedule",
                "survey_plan",
                plan.id,
                {"surveys": planned},
                now=now,
            )
        created += planned
    session.flush()
    return ScheduleReport(considered=considered, created=created)


# -- the callbacks list -----------------------------------------------------------------
def desk_timezone(session: Session) -> ZoneInfo:
    """The desk's time zone (its business calendar's), which decides what 'today' is."""
    name = session.scalar(sa.select(col(Calendar.timezone)).where(col(Calendar.name) == "business"))
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def end_of_day(now: datetime, tz: ZoneInfo) -> datetime:
    """The instant the desk's day containing `now` ends (local midnight), aware UTC."""
    local = now.astimezone(tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    return midnight.astimezone(now.tzinfo)


@dataclass(frozen=True)
class CallbackRow:
    """One callback to make: who, how to reach them, about which ticket, since when."""

    survey_id: int
    ticket_id: int
    ticket_title: str
    requester_id: int
    requester: str
    phone: str | None
    email: str | None
    method: str
    plan: str
    due_at: datetime
    overdue: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        data = asdict(self)
        data["due_at"] = self.due_at.isoformat()
        return data


def callbacks_due(
    session: Session,
    actor: Actor,
    now: datetime | None = None,
    *,
    until: datetime | None = None,
    limit: int = 500,
) -> list[CallbackRow]:
    """Whom to call today: due surveys up to the end of the desk's day, oldest first.

    Callbacks already overdue come first, so nobody waits longer than the agreement
    says. Needs `survey.record` (the list holds requesters' phone numbers).
    """
    _require_any(actor, "survey.record", "survey.manage")
    now = now or utcnow()
    until = until or end_of_day(now, desk_timezone(session))
    rows = session.execute(
        sa.select(
            col(Survey.id),
            col(Survey.ticket_id),
            col(Ticket.title),
            col(Survey.requester_id),
            col(Requester.name),
            col(Requester.phone),
            col(Requester.email),
            col(Survey.method),
            col(SurveyPlan.name),
            col(Survey.due_at),
        )
        .join(Ticket, col(Ticket.id) == col(Survey.ticket_id))
        .join(Requester, col(Requester.id) == col(Survey.requester_id))
        .join(SurveyPlan, col(SurveyPlan.id) == col(Survey.plan_id))
        .where(col(Survey.status) == "due", col(Survey.due_at) < until)
        .order_by(col(Survey.due_at), col(Survey.id))
        .limit(limit)
    )
    return [
        CallbackRow(
            survey_id=int(r[0] or 0),
            ticket_id=r[1],
            ticket_title=r[2],
            requester_id=r[3],
            requester=r[4],
            phone=r[5],
            email=r[6],
            method=r[7],
            plan=r[8],
            due_at=r[9],
            overdue=r[9] <= now,
        )
        for r in rows
    ]
