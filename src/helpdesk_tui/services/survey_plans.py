"""Survey plans (split from `surveys`, which re-exports all of it).

What a supervisor sets up (`add_plan`: sampling rate, delay after closure, method,
scope), listed and switched on and off here. The questionnaire is `survey_questions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, PermissionDenied, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.tickets import active_categories
from helpdesk_tui.store.models import Agent, Department
from helpdesk_tui.store.models.surveys import SurveyPlan
from helpdesk_tui.store.types import pk, utcnow

#: How a callback is made.
METHODS: Final = ("phone", "email", "online", "in_person")
_DELAY = re.compile(r"^\s*(\d+)\s*(h|d|hours?|days?)\s*$", re.IGNORECASE)


# -- plans ----------------------------------------------------------------------------
def parse_delay(text: str) -> int:
    """'48h', '2d', '3 days' -> hours. A unit is required: '2' could mean either."""
    match = _DELAY.match(text)
    if match is None:
        raise UsageError(f"delay {text!r} needs a unit: hours (48h) or days (2d)")
    amount, unit = int(match.group(1)), match.group(2).lower()
    return amount * 24 if unit.startswith("d") else amount


@dataclass(frozen=True)
class PlanView:
    """A survey plan for display and JSON."""

    id: int
    name: str
    rate: float
    delay_hours: int
    method: str
    categories: list[str]
    department: str | None
    vip_only: bool
    active: bool
    owner: str | None
    created_at: datetime
    scheduled_until: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["scheduled_until"] = self.scheduled_until.isoformat()
        return data

    @property
    def scope(self) -> str:
        """The scope in words, for tables."""
        parts = [", ".join(self.categories) if self.categories else "all categories"]
        if self.department:
            parts.append(f"dept {self.department}")
        if self.vip_only:
            parts.append("VIP only")
        return "; ".join(parts)


def _plan_view(session: Session, plan: SurveyPlan) -> PlanView:
    department = session.get(Department, plan.department_id) if plan.department_id else None
    owner = session.get(Agent, plan.owner_id) if plan.owner_id else None
    return PlanView(
        id=pk(plan),
        name=plan.name,
        rate=plan.rate,
        delay_hours=plan.delay_hours,
        method=plan.method,
        categories=list(json.loads(plan.categories)),
        department=department.name if department else None,
        vip_only=plan.vip_only,
        active=plan.active,
        owner=owner.login if owner else None,
        created_at=plan.created_at,
        scheduled_until=plan.scheduled_until,
    )


def add_plan(
    session: Session,
    actor: Actor,
    name: str,
    *,
    rate: float,
    delay_hours: int,
    method: str = "phone",
    categories: Sequence[str] = (),
    department: str | None = None,
    vip_only: bool = False,
    owner: str | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> PlanView:
    """Plan satisfaction callbacks (permission `survey.manage`).

    Tickets closed after `since` (default: now) are sampled; improvement items go to
    `owner` (default: the planning supervisor).
    """
    actor.require("survey.manage")
    now = now or utcnow()
    name = name.strip()
    if not name:
        raise UsageError("a survey plan needs a name")
    if not 0 < rate <= 1:
        raise UsageError(f"sampling rate must be above 0 and at most 1 (0.1 = 10%), got {rate}")
    if delay_hours < 0:
        raise UsageError("the delay after closure cannot be negative")
    if method not in METHODS:
        raise invalid_choice("method", method, METHODS)
    valid = active_categories(session)
    for category in categories:
        if category not in valid:
            raise invalid_choice("category", category, valid)
    department_id = None
    if department is not None:
        department_id = session.scalar(
            sa.select(col(Department.id)).where(col(Department.name) == department)
        )
        if department_id is None:
            names = session.scalars(sa.select(col(Department.name)).order_by(col(Department.name)))
            raise invalid_choice("department", department, names)
    owner_id = actor.agent_id
    if owner is not None:
        owner_id = session.scalar(sa.select(col(Agent.id)).where(col(Agent.login) == owner))
        if owner_id is None:
            raise NotFound(f"no agent with login {owner!r}")
    if session.scalar(sa.select(col(SurveyPlan.id)).where(col(SurveyPlan.name) == name)):
        raise Conflict(f"a survey plan named {name!r} exists already")
    plan = SurveyPlan(
        name=name,
        rate=rate,
        delay_hours=delay_hours,
        method=method,
        categories=json.dumps(sorted(set(categories))),
        department_id=department_id,
        vip_only=vip_only,
        owner_id=owner_id,
        created_at=now,
        scheduled_until=since or now,
    )
    session.add(plan)
    session.flush()
    view = _plan_view(session, plan)
    detail = view.to_dict()
    for key in ("id", "created_at", "scheduled_until"):
        detail.pop(key)
    record_audit(session, actor, "survey.plan.add", "survey_plan", plan.id, detail, now=now)
    return view


def list_plans(session: Session, actor: Actor, *, include_inactive: bool = True) -> list[PlanView]:
    """Survey plans, oldest first (permission `survey.manage` or `survey.record`)."""
    _require_any(actor, "survey.manage", "survey.record")
    query = sa.select(SurveyPlan).order_by(col(SurveyPlan.id))
    if not include_inactive:
        query = query.where(col(SurveyPlan.active))
    return [_plan_view(session, p) for p in session.scalars(query)]


def set_plan_active(
    session: Session, actor: Actor, ref: str, active: bool, *, now: datetime | None = None
) -> PlanView:
    """Disable (or enable again) a plan by name or id; surveys already planned stay due."""
    actor.require("survey.manage")
    plan = _find_plan(session, ref)
    now = now or utcnow()
    if plan.active != active:
        plan.active = active
        if active:
            # Re-enabled: start from now, not from the day it was disabled, so the pause
            # does not turn into a burst of old callbacks.
            plan.scheduled_until = max(plan.scheduled_until, now)
        action = "survey.plan.enable" if active else "survey.plan.disable"
        record_audit(session, actor, action, "survey_plan", plan.id, {"name": plan.name}, now=now)
    session.flush()
    return _plan_view(session, plan)


def _find_plan(session: Session, ref: str) -> SurveyPlan:
    ref = ref.strip()
    plan = session.scalars(sa.select(SurveyPlan).where(col(SurveyPlan.name) == ref)).first()
    if plan is None and ref.removeprefix("#").isdigit():
        plan = session.get(SurveyPlan, int(ref.removeprefix("#")))
    if plan is None:
        raise NotFound(f"no survey plan {ref!r}")
    return plan


def _require_any(actor: Actor, *permissions: str) -> None:
    if not any(actor.can(p) for p in permissions):
        raise PermissionDenied(f"{actor.login} lacks the permission {permissions[0]!r}")
