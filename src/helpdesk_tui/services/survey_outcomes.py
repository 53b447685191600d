"""Recording callback outcomes, improvement items and results (split from `surveys`).

An agent records each call with `record_survey` (consent, 1-5 scores on the configured
questionnaire, comment, outcome); a score <= 2 opens an improvement item for the
supervisor; `survey_results` summarises the answers for reports. `surveys` re-exports
every public name here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.survey_plans import _require_any
from helpdesk_tui.services.survey_questions import (
    LOW_SCORE,
    load_questionnaire,
    validate_answers,
)
from helpdesk_tui.services.tickets import log
from helpdesk_tui.store.models import Agent, Requester, Ticket
from helpdesk_tui.store.models.surveys import ImprovementItem, Survey, SurveyPlan
from helpdesk_tui.store.types import utcnow

#: How a callback ended.
OUTCOMES: Final = ("done", "declined", "unreachable")
#: A survey is due until one of the outcomes is recorded.
SURVEY_STATUSES: Final = ("due", *OUTCOMES)
IMPROVEMENT_STATUSES: Final = ("open", "done")
MAX_COMMENT = 4000


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
    now: datetime | None = None,
) -> SurveyView:
    """Record how a callback went (permission `survey.record`).

    `done` needs the requester's consent and at least one answer; `declined` and
    `unreachable` carry no answers (and no consent). A score <= 2 opens an improvement
    item for the plan's supervisor. A survey is recorded once: a second caller gets a
    Conflict, never a silent overwrite. Answers are checked against the desk's
    questionnaire (`survey_questions.load_questionnaire`).
    """
    actor.require("survey.record")
    now = now or utcnow()
    questions = load_questionnaire(session)
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
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """CSAT figures for surveys due in [since, until): counts, response rate, averages.

    The response rate is done / (done + declined + unreachable): of the callbacks
    attempted, how many got answers. Questions no longer in the questionnaire still
    count, under their id. Needs `report.view` or `survey.manage`.
    """
    _require_any(actor, "report.view", "survey.manage")
    questions = load_questionnaire(session)
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
