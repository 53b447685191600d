"""Satisfaction callbacks per the service agreement (DESIGN §2 item 5, issue 6 part 5).

The flow: a supervisor plans surveys (`add_plan`: sampling rate, delay after closure,
method, scope); `schedule_surveys` samples freshly closed tickets into surveys due at
closure + delay; `callbacks_due` is "whom to call today"; an agent records each call
with `record_survey` (consent, 1-5 scores on the configured questionnaire, comment,
outcome); a score <= 2 opens an improvement item for the supervisor; `survey_results`
summarises the answers for reports.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, PermissionDenied, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.tickets import active_categories, log
from helpdesk_tui.store.models import Agent, Calendar, Department, Requester, Ticket
from helpdesk_tui.store.models.surveys import ImprovementItem, Survey, SurveyPlan
from helpdesk_tui.store.types import pk, utcnow

#: How a callback is made.
METHODS: Final = ("phone", "email", "online", "in_person")
#: How a callback ended.
OUTCOMES: Final = ("done", "declined", "unreachable")
#: A survey is due until one of the outcomes is recorded.
SURVEY_STATUSES: Final = ("due", *OUTCOMES)
IMPROVEMENT_STATUSES: Final = ("open", "done")
#: The score scale and the threshold at or below which the supervisor must follow up.
MIN_SCORE, MAX_SCORE, LOW_SCORE = 1, 5, 2
#: Tickets closed this long before a plan's watermark are looked at again: a ticket whose
#: closing transaction committed after the previous run started would otherwise be
#: missed. Re-looking is harmless: sampling is deterministic and one survey per ticket.
SCHEDULE_OVERLAP: Final = timedelta(hours=1)
MAX_COMMENT = 4000

_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DELAY = re.compile(r"^\s*(\d+)\s*(h|d|hours?|days?)\s*$", re.IGNORECASE)


# -- the questionnaire -----------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """One 1-5 question of the questionnaire."""

    id: str
    text: str


#: The questionnaire when config.toml has no `[[survey.question]]`.
DEFAULT_QUESTIONS: Final = (
    Question("response_time", "How satisfied were you with how quickly we responded?"),
    Question("problem_solving", "How well was your problem solved?"),
    Question("communication", "How well did we keep you informed?"),
    Question("overall", "Overall, how satisfied are you with the service desk?"),
)


def questionnaire_from_config(raw: Mapping[str, Any]) -> tuple[Question, ...]:
    """The questionnaire from config.toml's `[[survey.question]]` tables (else the default).

    Each question needs an `id` (lowercase letters, digits, `_`) and a `text`. Every
    mistake is one UsageError line naming the question, so `helpdesk` exits 2 on it.
    """
    section = raw.get("survey")
    if section is None:
        return DEFAULT_QUESTIONS
    if not isinstance(section, Mapping):
        raise UsageError("config.toml: [survey] must be a table")
    entries = section.get("question")
    if entries is None:
        return DEFAULT_QUESTIONS
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise UsageError("config.toml: survey questions must be [[survey.question]] tables")
    if not entries:
        raise UsageError("config.toml: [[survey.question]] is empty; give at least one question")
    questions: list[Question] = []
    for n, entry in enumerate(entries, start=1):
        where = f"config.toml: survey question {n}"
        unknown = sorted(set(entry) - {"id", "text"})
        if unknown:
            raise UsageError(f"{where}: unknown key {unknown[0]!r}; valid: id, text")
        qid, text = entry.get("id"), entry.get("text")
        if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
            raise UsageError(f"{where}: id must be lowercase letters, digits and _ (got {qid!r})")
        if not isinstance(text, str) or not text.strip():
            raise UsageError(f"{where} ({qid}): text must be a non-empty string")
        if any(q.id == qid for q in questions):
            raise UsageError(f"{where}: duplicate id {qid!r}")
        questions.append(Question(qid, text.strip()))
    return tuple(questions)


def parse_answers(items: Iterable[str]) -> dict[str, int]:
    """`["overall=4", "communication=2"]` (the CLI's --answer values) as a dict."""
    answers: dict[str, int] = {}
    for item in items:
        qid, sep, score = item.partition("=")
        qid = qid.strip()
        if not sep or not qid:
            raise UsageError(f"answer {item!r} is not QUESTION=SCORE (e.g. overall=4)")
        try:
            answers[qid] = int(score.strip())
        except ValueError:
            raise UsageError(
                f"score of {qid} must be a whole number {MIN_SCORE}-{MAX_SCORE}"
            ) from None
    return answers


def validate_answers(answers: Mapping[str, int], questions: Sequence[Question]) -> dict[str, int]:
    """Answers checked against the questionnaire: known questions, whole scores 1-5.

    A requester may skip a question, so not every question needs an answer.
    """
    known = [q.id for q in questions]
    checked: dict[str, int] = {}
    for qid, score in answers.items():
        if qid not in known:
            raise invalid_choice("question", qid, known)
        if isinstance(score, bool) or not isinstance(score, int):
            raise UsageError(f"score of {qid} must be a whole number {MIN_SCORE}-{MAX_SCORE}")
        if not MIN_SCORE <= score <= MAX_SCORE:
            raise UsageError(f"score of {qid} must be {MIN_SCORE}-{MAX_SCORE}, got {score}")
        checked[qid] = score
    # Stored in questionnaire order, so JSON output and reports read the same way.
    return {qid: checked[qid] for qid in known if qid in checked}


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
    are skipped (there is nobody to call). A system job: no permission needed, and
    audited only when it planned something.
    """
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


# -- one survey -----------------------------------------------------------------------
@dataclass(frozen=True)
class SurveyView:
    """A survey with what the caller needs: requester, ticket, answers, outcome."""

    id: int
    ticket_id: int
    ticket_title: str
    plan: str
    requester: str
    phone: str | None
    email: str | None
    method: str
    due_at: datetime
    status: str
    consent: bool
    consent_at: datetime | None
    answers: dict[str, int]
    comment: str
    agent: str | None
    recorded_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        data = asdict(self)
        for key in ("due_at", "consent_at", "recorded_at"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        return data


def _survey_query() -> Any:
    # Typed Any: the 16-column Select's precise type adds nothing but noise here.
    return (
        sa.select(
            col(Survey.id),
            col(Survey.ticket_id),
            col(Ticket.title),
            col(SurveyPlan.name),
            col(Requester.name),
            col(Requester.phone),
            col(Requester.email),
            col(Survey.method),
            col(Survey.due_at),
            col(Survey.status),
            col(Survey.consent),
            col(Survey.consent_at),
            col(Survey.answers),
            col(Survey.comment),
            col(Agent.login),
            col(Survey.recorded_at),
        )
        .join(Ticket, col(Ticket.id) == col(Survey.ticket_id))
        .join(Requester, col(Requester.id) == col(Survey.requester_id))
        .join(SurveyPlan, col(SurveyPlan.id) == col(Survey.plan_id))
        .outerjoin(Agent, col(Agent.id) == col(Survey.agent_id))
    )


def _survey_view(row: Sequence[Any]) -> SurveyView:
    values = list(row)
    values[12] = json.loads(values[12] or "{}")
    return SurveyView(*values)


def get_survey(session: Session, actor: Actor, survey_id: int) -> SurveyView:
    """One survey (permission `survey.record` or `survey.manage`)."""
    _require_any(actor, "survey.record", "survey.manage")
    row = session.execute(_survey_query().where(col(Survey.id) == survey_id)).first()
    if row is None:
        raise NotFound(f"no survey #{survey_id}")
    return _survey_view(row)


def list_surveys(
    session: Session, actor: Actor, *, status: str | None = None, limit: int = 200
) -> list[SurveyView]:
    """Surveys, newest due first, optionally of one status."""
    _require_any(actor, "survey.record", "survey.manage")
    query = _survey_query().order_by(col(Survey.due_at).desc(), col(Survey.id).desc())
    if status is not None:
        if status not in SURVEY_STATUSES:
            raise invalid_choice("survey status", status, SURVEY_STATUSES)
        query = query.where(col(Survey.status) == status)
    return [_survey_view(row) for row in session.execute(query.limit(limit))]


def record_survey(
    session: Session,
    actor: Actor,
    survey_id: int,
    outcome: str,
    consent: bool,
    answers: Mapping[str, int] | None = None,
    comment: str = "",
    *,
    questions: Sequence[Question] = DEFAULT_QUESTIONS,
    now: datetime | None = None,
) -> SurveyView:
    """Record how a callback went (permission `survey.record`).

    `done` needs the requester's consent and at least one answer; `declined` and
    `unreachable` carry no answers (and no consent). A score <= 2 opens an improvement
    item for the plan's supervisor. A survey is recorded once: a second caller gets a
    Conflict, never a silent overwrite.
    """
    actor.require("survey.record")
    now = now or utcnow()
    if outcome not in OUTCOMES:
        raise invalid_choice("outcome", outcome, OUTCOMES)
    answers = dict(answers or {})
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise UsageError(f"the comment is longer than {MAX_COMMENT} characters")
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"no survey #{survey_id}")
    if survey.status != "due":
        raise Conflict(f"survey #{survey_id} was already recorded ({survey.status})")
    if outcome == "done":
        if not consent:
            raise UsageError(
                "answers are recorded only with the requester's consent; "
                "ask first (--consent) or record --outcome declined"
            )
        if not answers:
            raise UsageError("a done callback needs at least one answer (QUESTION=SCORE)")
        answers = validate_answers(answers, questions)
    else:
        if consent and outcome == "unreachable":
            raise UsageError("an unreachable requester cannot have given consent")
        if consent:
            raise UsageError("a declined callback has no consent; record --outcome done")
        if answers:
            raise UsageError(f"a {outcome} callback has no answers")
    # The conditional update is the lock: of two agents recording the same call, one
    # wins and the other gets the Conflict below.
    result = session.execute(
        sa.update(Survey)
        .where(col(Survey.id) == survey_id, col(Survey.status) == "due")
        .values(
            status=outcome,
            consent=consent,
            consent_at=now if consent else None,
            answers=json.dumps(answers),
            comment=comment,
            agent_id=actor.agent_id,
            recorded_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict(f"survey #{survey_id} was recorded by someone else meanwhile")
    session.expire(survey)
    titles = {q.id: q.text for q in questions}
    low = {qid: score for qid, score in answers.items() if score <= LOW_SCORE}
    scores = ", ".join(f"{qid} {score}" for qid, score in answers.items())
    log(
        session,
        actor,
        survey.ticket_id,
        "system",
        f"satisfaction callback {outcome}" + (f": {scores}" if scores else ""),
        now,
    )
    item_id = None
    if low:
        plan = session.get(SurveyPlan, survey.plan_id)
        lines = [f"{titles.get(qid, qid)} ({qid}): {score}" for qid, score in low.items()]
        text = f"Low satisfaction on ticket #{survey.ticket_id}: " + "; ".join(lines)
        if comment:
            text += f". Comment: {comment}"
        item = ImprovementItem(
            survey_id=survey_id,
            ticket_id=survey.ticket_id,
            text=text,
            owner_id=plan.owner_id if plan else None,
            created_at=now,
        )
        session.add(item)
        session.flush()
        item_id = item.id
    record_audit(
        session,
        actor,
        "survey.record",
        "survey",
        survey_id,
        {"outcome": outcome, "consent": consent, "answers": answers, "improvement": item_id},
        now=now,
    )
    return get_survey(session, actor, survey_id)


# -- improvements -----------------------------------------------------------------------
@dataclass(frozen=True)
class ImprovementView:
    """An improvement item for the supervisor."""

    id: int
    survey_id: int
    ticket_id: int
    text: str
    status: str
    owner: str | None
    created_at: datetime
    done_at: datetime | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["done_at"] = self.done_at.isoformat() if self.done_at else None
        return data


def list_improvements(
    session: Session, actor: Actor, *, status: str | None = "open"
) -> list[ImprovementView]:
    """Improvement items, oldest first (permission `survey.manage`); status None = all."""
    actor.require("survey.manage")
    query = (
        sa.select(
            col(ImprovementItem.id),
            col(ImprovementItem.survey_id),
            col(ImprovementItem.ticket_id),
            col(ImprovementItem.text),
            col(ImprovementItem.status),
            col(Agent.login),
            col(ImprovementItem.created_at),
            col(ImprovementItem.done_at),
            col(ImprovementItem.note),
        )
        .outerjoin(Agent, col(Agent.id) == col(ImprovementItem.owner_id))
        .order_by(col(ImprovementItem.id))
    )
    if status is not None:
        if status not in IMPROVEMENT_STATUSES:
            raise invalid_choice("improvement status", status, IMPROVEMENT_STATUSES)
        query = query.where(col(ImprovementItem.status) == status)
    return [
        ImprovementView(
            id=int(r[0] or 0),
            survey_id=r[1],
            ticket_id=r[2],
            text=r[3],
            status=r[4],
            owner=r[5],
            created_at=r[6],
            done_at=r[7],
            note=r[8],
        )
        for r in session.execute(query)
    ]


def close_improvement(
    session: Session, actor: Actor, item_id: int, note: str, *, now: datetime | None = None
) -> ImprovementView:
    """Mark an improvement item done with what was done about it (`survey.manage`)."""
    actor.require("survey.manage")
    now = now or utcnow()
    if not note.strip():
        raise UsageError("say what was done about it (--note)")
    item = session.get(ImprovementItem, item_id)
    if item is None:
        raise NotFound(f"no improvement item #{item_id}")
    if item.status == "done":
        raise Conflict(f"improvement item #{item_id} is done already")
    item.status, item.done_at, item.note = "done", now, note.strip()
    session.flush()
    record_audit(session, actor, "survey.improvement.done", "improvement_item", item_id, now=now)
    return next(i for i in list_improvements(session, actor, status=None) if i.id == item_id)


# -- results ----------------------------------------------------------------------------
def survey_results(
    session: Session,
    actor: Actor,
    *,
    questions: Sequence[Question] = DEFAULT_QUESTIONS,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """CSAT figures for surveys due in [since, until): counts, response rate, averages.

    The response rate is done / (done + declined + unreachable): of the callbacks
    attempted, how many got answers. Questions no longer in the questionnaire still
    count, under their id. Needs `report.view` or `survey.manage`.
    """
    _require_any(actor, "report.view", "survey.manage")
    window = []
    if since is not None:
        window.append(col(Survey.due_at) >= since)
    if until is not None:
        window.append(col(Survey.due_at) < until)
    counts = {status: 0 for status in SURVEY_STATUSES}
    for status, n in session.execute(
        sa.select(col(Survey.status), sa.func.count()).where(*window).group_by(col(Survey.status))
    ):
        counts[status] = int(n)
    totals: dict[str, list[int]] = {q.id: [] for q in questions}
    for (raw,) in session.execute(
        sa.select(col(Survey.answers)).where(col(Survey.status) == "done", *window)
    ):
        for qid, score in json.loads(raw or "{}").items():
            totals.setdefault(qid, []).append(int(score))
    titles = {q.id: q.text for q in questions}
    attempted = counts["done"] + counts["declined"] + counts["unreachable"]
    open_items = session.scalar(
        sa.select(sa.func.count())
        .select_from(ImprovementItem)
        .where(col(ImprovementItem.status) == "open")
    )
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "scheduled": sum(counts.values()),
        **counts,
        "response_rate": round(counts["done"] / attempted, 4) if attempted else None,
        "questions": [
            {
                "id": qid,
                "text": titles.get(qid, qid),
                "answers": len(scores),
                "average": round(sum(scores) / len(scores), 2) if scores else None,
                "low": sum(1 for s in scores if s <= LOW_SCORE),
            }
            for qid, scores in totals.items()
        ],
        "improvements_open": int(open_items or 0),
    }
