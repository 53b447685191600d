"""Satisfaction callbacks: plans, deterministic sampling, the due list, recording, results.

Every test runs on a frozen clock (MONDAY_10) and, with HELPDESK_TEST_PG_URL, on
PostgreSQL too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, PermissionDenied, UsageError
from helpdesk_tui.services import rbac, surveys
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.surveys import DEFAULT_QUESTIONS, Question
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Audit, Department, Interaction, Requester, Ticket
from helpdesk_tui.store.models.surveys import ImprovementItem, Survey
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()


def closed_ticket(
    desk: Desk,
    at: datetime,
    *,
    requester: str | None = "Jane Roe",
    category: str = "network",
    title: str = "VPN drops",
) -> int:
    """A ticket closed at `at` (status set directly: closure rules are part 4's business)."""
    data = NewTicket(
        title=title, requester=requester, category=category, category_reason="as recorded"
    )
    created = at - timedelta(hours=3)

    def work(session: Any) -> int:
        ticket = create_ticket(session, desk.admin, data, rules=RULES, now=created)
        ticket.status, ticket.resolved_at, ticket.closed_at = "closed", at, at
        session.flush()
        assert ticket.id is not None
        return ticket.id

    return desk.store.run_write(work)


def add_plan(desk: Desk, name: str = "standard", **kwargs: Any) -> surveys.PlanView:
    options: dict[str, Any] = {
        "rate": 1.0,
        "delay_hours": 48,
        "since": MONDAY_10 - timedelta(days=30),
        "now": MONDAY_10 - timedelta(days=30),
    } | kwargs
    return desk.store.run_write(lambda s: surveys.add_plan(s, desk.admin, name, **options))


def schedule(desk: Desk, now: datetime = MONDAY_10) -> surveys.ScheduleReport:
    return desk.store.run_write(lambda s: surveys.schedule_surveys(s, now))


def all_surveys(desk: Desk) -> list[Survey]:
    with desk.store.read() as s:
        return list(s.scalars(sa.select(Survey).order_by(col(Survey.id))))


def due(desk: Desk, actor: Actor | None = None, now: datetime = MONDAY_10) -> list[Any]:
    with desk.store.read() as s:
        return surveys.callbacks_due(s, actor or desk.admin, now)


def record(desk: Desk, survey_id: int, outcome: str, consent: bool, **kw: Any) -> Any:
    actor = kw.pop("actor", desk.admin)
    now = kw.pop("now", MONDAY_10)
    return desk.store.run_write(
        lambda s: surveys.record_survey(s, actor, survey_id, outcome, consent, now=now, **kw)
    )


# -- sampling ------------------------------------------------------------------------------
def test_sampling_is_deterministic_and_follows_the_rate() -> None:
    points = [surveys.sample_point(n) for n in range(1, 4001)]
    assert points == [surveys.sample_point(n) for n in range(1, 4001)]
    assert all(0 <= p < 1 for p in points)
    share = sum(surveys.is_sampled(n, 0.25) for n in range(1, 4001)) / 4000
    assert 0.22 < share < 0.28
    assert all(surveys.is_sampled(n, 1.0) for n in range(1, 100))
    # A ticket sampled at a lower rate is sampled at every higher rate too.
    assert all(surveys.is_sampled(n, 0.5) for n in range(1, 500) if surveys.is_sampled(n, 0.2))


def test_schedule_samples_by_rate_and_reruns_agree(desk: Desk) -> None:
    add_plan(desk, rate=0.5)
    ids = [closed_ticket(desk, MONDAY_10 - timedelta(hours=n + 1)) for n in range(24)]
    report = schedule(desk)
    assert report.considered == 24
    planned = {s.ticket_id for s in all_surveys(desk)}
    assert planned == {t for t in ids if surveys.is_sampled(t, 0.5)}
    assert 0 < len(planned) < 24
    # Idempotent: a second run, and one after the watermark's overlap, plan nothing new.
    assert schedule(desk).created == []
    assert schedule(desk, MONDAY_10 + timedelta(minutes=5)).created == []
    assert {s.ticket_id for s in all_surveys(desk)} == planned


def test_delay_method_and_requester(desk: Desk) -> None:
    add_plan(desk, delay_hours=72, method="email")
    closed_at = MONDAY_10 - timedelta(hours=2)
    tid = closed_ticket(desk, closed_at)
    schedule(desk)
    [survey] = all_surveys(desk)
    assert survey.ticket_id == tid and survey.status == "due" and survey.method == "email"
    assert survey.due_at == closed_at + timedelta(hours=72)
    with desk.store.read() as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None and survey.requester_id == ticket.requester_id


def test_plan_starts_when_created_not_in_the_past(desk: Desk) -> None:
    closed_ticket(desk, MONDAY_10 - timedelta(days=3))
    desk.store.run_write(
        lambda s: surveys.add_plan(
            s, desk.admin, "new", rate=1.0, delay_hours=0, now=MONDAY_10 - timedelta(days=1)
        )
    )
    later = closed_ticket(desk, MONDAY_10 - timedelta(hours=5))
    schedule(desk)
    assert [s.ticket_id for s in all_surveys(desk)] == [later]


def test_tickets_closed_after_the_run_wait_for_the_next(desk: Desk) -> None:
    add_plan(desk)
    future = closed_ticket(desk, MONDAY_10 + timedelta(hours=2))
    assert schedule(desk).created == []
    schedule(desk, MONDAY_10 + timedelta(hours=3))
    assert [s.ticket_id for s in all_surveys(desk)] == [future]


def test_a_run_with_nothing_newly_closed_writes_nothing(desk: Desk) -> None:
    add_plan(desk)
    closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    schedule(desk)
    with desk.store.read() as s:
        [before] = surveys.list_plans(s, desk.admin)
    assert before.scheduled_until == MONDAY_10 - timedelta(hours=1)  # the newest closure
    assert schedule(desk, MONDAY_10 + timedelta(hours=5)).created == []
    with desk.store.read() as s:
        [after] = surveys.list_plans(s, desk.admin)
        audits = s.scalar(
            sa.select(sa.func.count())
            .select_from(Audit)
            .where(col(Audit.action) == "survey.schedule")
        )
    assert after.scheduled_until == before.scheduled_until and audits == 1


def test_only_closed_tickets_with_a_requester(desk: Desk) -> None:
    add_plan(desk)
    nobody = closed_ticket(desk, MONDAY_10 - timedelta(hours=1), requester=None)
    cancelled = closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    desk.store.run_write(
        lambda s: s.execute(
            sa.update(Ticket).where(col(Ticket.id) == cancelled).values(status="cancelled")
        )
    )
    schedule(desk)
    assert {s.ticket_id for s in all_surveys(desk)} & {nobody, cancelled} == set()


def test_scope_by_category_department_and_vip(desk: Desk) -> None:
    def setup(session: Any) -> None:
        session.add(Department(name="Finance"))
        session.flush()
        session.add(Requester(name="Vera Vip", vip=True))
        session.add(
            Requester(
                name="Fred Finance",
                department_id=session.scalar(sa.select(col(Department.id))),
            )
        )

    desk.store.run_write(setup)
    add_plan(desk, "network", categories=["network"])
    add_plan(desk, "finance", department="Finance")
    add_plan(desk, "vip", vip_only=True)
    at = MONDAY_10 - timedelta(hours=1)
    network = closed_ticket(desk, at, category="network")
    hardware = closed_ticket(desk, at, category="hardware")
    finance = closed_ticket(desk, at, category="hardware", requester="Fred Finance")
    vip = closed_ticket(desk, at, category="software", requester="Vera Vip")
    schedule(desk)
    by_ticket = {s.ticket_id: s.plan_id for s in all_surveys(desk)}
    assert set(by_ticket) == {network, finance, vip}
    assert hardware not in by_ticket


def test_overlapping_plans_give_one_survey_per_ticket(desk: Desk) -> None:
    add_plan(desk, "all", rate=1.0)
    add_plan(desk, "network", rate=1.0, categories=["network"])
    closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    schedule(desk)
    assert len(all_surveys(desk)) == 1


def test_disabled_plan_schedules_nothing(desk: Desk) -> None:
    add_plan(desk)
    desk.store.run_write(lambda s: surveys.set_plan_active(s, desk.admin, "standard", False))
    closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    assert schedule(desk).created == []
    with desk.store.read() as s:
        [plan] = surveys.list_plans(s, desk.admin)
    assert plan.active is False


def test_plan_validation(desk: Desk) -> None:
    def bad(**kw: Any) -> str:
        with pytest.raises(UsageError) as err:
            add_plan(desk, **kw)
        assert "\n" not in str(err.value)
        return str(err.value)

    assert "rate" in bad(rate=0)
    assert "rate" in bad(rate=1.5)
    assert "unknown method 'fax'" in bad(method="fax")
    assert "unknown category 'toasters'" in bad(categories=["toasters"])
    assert "unknown department 'Nowhere'" in bad(department="Nowhere")
    assert "negative" in bad(delay_hours=-1)
    add_plan(desk)
    with pytest.raises(Conflict):
        add_plan(desk)
    assert surveys.parse_delay("2d") == 48 and surveys.parse_delay("36h") == 36
    assert surveys.parse_delay("3 days") == 72
    with pytest.raises(UsageError, match="needs a unit"):
        surveys.parse_delay("2")


def test_only_supervisors_plan(desk: Desk) -> None:
    agent = desk.add_agent("alice", "agent")
    with pytest.raises(PermissionDenied):
        desk.store.run_write(lambda s: surveys.add_plan(s, agent, "x", rate=0.1, delay_hours=1))
    supervisor = desk.add_agent("sue", "supervisor")
    desk.store.run_write(lambda s: surveys.add_plan(s, supervisor, "x", rate=0.1, delay_hours=1))


# -- the callbacks list ---------------------------------------------------------------------
def test_due_list_is_oldest_first_until_the_end_of_the_desks_day(desk: Desk) -> None:
    add_plan(desk, delay_hours=24)
    # Closed 3 days, 2 days and 5 hours ago; the desk's day (Berlin) ends 23:00 UTC.
    oldest = closed_ticket(desk, MONDAY_10 - timedelta(days=3), title="Oldest")
    middle = closed_ticket(desk, MONDAY_10 - timedelta(days=2), title="Middle")
    late_today = closed_ticket(desk, MONDAY_10 - timedelta(hours=12, minutes=30))
    tomorrow = closed_ticket(desk, MONDAY_10 - timedelta(hours=5))
    schedule(desk)
    rows = due(desk)
    assert [r.ticket_id for r in rows] == [oldest, middle, late_today]
    assert tomorrow not in [r.ticket_id for r in rows]
    assert [r.overdue for r in rows] == [True, True, False]
    first = rows[0]
    assert first.requester == "Jane Roe" and first.ticket_title == "Oldest"
    assert first.method == "phone" and first.plan == "standard"
    assert set(first.to_dict()) >= {"survey_id", "phone", "email", "due_at", "requester"}


def test_recorded_callbacks_leave_the_list(desk: Desk) -> None:
    add_plan(desk, delay_hours=0)
    closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    schedule(desk)
    [row] = due(desk)
    record(desk, row.survey_id, "unreachable", False, comment="no answer twice")
    assert due(desk) == []


def test_requesters_contacts_need_survey_permission(desk: Desk) -> None:
    engineer = desk.add_agent("eve", "engineer")
    assert due(desk, engineer) == []  # engineers record callbacks too
    with desk.store.read() as s:
        nobody = Actor(agent_id=None, login="nobody", name="nobody")
        with pytest.raises(PermissionDenied):
            surveys.callbacks_due(s, nobody, MONDAY_10)


def test_scheduling_as_an_agent_needs_survey_permission_before_it_writes(desk: Desk) -> None:
    """Issue 11's permission table: `survey due` as an agent without a survey permission
    planned the callbacks, then was refused the list (exit 3 with the desk changed)."""
    add_plan(desk, delay_hours=0)
    closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    desk.add_agent("norole", "agent")
    desk.store.run_write(lambda s: rbac.revoke_roles(s, desk.admin, "norole", ["agent"]))
    nobody = desk.actor("norole")
    with pytest.raises(PermissionDenied, match="survey.record"):
        desk.store.run_write(lambda s: surveys.schedule_surveys(s, MONDAY_10, actor=nobody))
    assert all_surveys(desk) == []
    agent = desk.add_agent("lena", "agent")  # first line records callbacks
    report = desk.store.run_write(lambda s: surveys.schedule_surveys(s, MONDAY_10, actor=agent))
    assert len(report.created) == 1 == len(all_surveys(desk))


# -- recording -------------------------------------------------------------------------------
@pytest.fixture
def one_due(desk: Desk) -> int:
    add_plan(desk, delay_hours=0)
    closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    schedule(desk)
    return all_surveys(desk)[0].id or 0


def test_record_done_with_consent(desk: Desk, one_due: int) -> None:
    agent = desk.add_agent("alice", "agent")
    answers = {"overall": 5, "response_time": 4}
    view = record(desk, one_due, "done", True, answers=answers, comment="quick!", actor=agent)
    assert view.status == "done" and view.consent is True and view.consent_at == MONDAY_10
    assert view.answers == {"response_time": 4, "overall": 5}  # questionnaire order
    assert view.agent == "alice" and view.recorded_at == MONDAY_10 and view.comment == "quick!"
    with desk.store.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ImprovementItem)) == 0
        audit = s.scalars(sa.select(Audit).where(col(Audit.action) == "survey.record")).one()
        assert json.loads(audit.detail)["consent"] is True
        texts = s.scalars(sa.select(col(Interaction.text)).where(col(Interaction.kind) == "system"))
        assert "satisfaction callback done: response_time 4, overall 5" in list(texts)


@pytest.mark.parametrize(
    ("outcome", "consent", "answers", "message"),
    [
        ("done", False, {"overall": 4}, "consent"),
        ("done", True, {}, "at least one answer"),
        ("done", True, {"speed": 4}, "unknown question 'speed'"),
        ("done", True, {"overall": 0}, "must be 1-5, got 0"),
        ("done", True, {"overall": 6}, "must be 1-5, got 6"),
        ("declined", False, {"overall": 3}, "no answers"),
        ("declined", True, {}, "no consent"),
        ("unreachable", True, {}, "cannot have given consent"),
        ("called", True, {"overall": 3}, "unknown outcome 'called'"),
    ],
)
def test_record_validation(
    desk: Desk, one_due: int, outcome: str, consent: bool, answers: dict[str, int], message: str
) -> None:
    with pytest.raises(UsageError, match=message) as err:
        record(desk, one_due, outcome, consent, answers=answers)
    assert "\n" not in str(err.value)
    assert all_surveys(desk)[0].status == "due"


@pytest.mark.parametrize("outcome", ["declined", "unreachable"])
def test_declined_and_unreachable(desk: Desk, one_due: int, outcome: str) -> None:
    view = record(desk, one_due, outcome, False, comment="asked not to be called")
    assert view.status == outcome and view.consent is False and view.consent_at is None
    assert view.answers == {}


def test_a_survey_is_recorded_once(desk: Desk, one_due: int) -> None:
    record(desk, one_due, "declined", False)
    with pytest.raises(Conflict, match="already recorded"):
        record(desk, one_due, "done", True, answers={"overall": 5})
    with pytest.raises(NotFound):
        record(desk, 999, "declined", False)


def test_low_score_opens_an_improvement_item_for_the_planner(desk: Desk) -> None:
    supervisor = desk.add_agent("sue", "supervisor")
    desk.store.run_write(
        lambda s: surveys.add_plan(
            s, supervisor, "p", rate=1.0, delay_hours=0, since=MONDAY_10 - timedelta(days=1)
        )
    )
    tid = closed_ticket(desk, MONDAY_10 - timedelta(hours=1))
    schedule(desk)
    survey_id = all_surveys(desk)[0].id or 0
    answers = {"response_time": 2, "problem_solving": 4, "overall": 3}
    record(desk, survey_id, "done", True, answers=answers, comment="took ages")
    with desk.store.read() as s:
        [item] = surveys.list_improvements(s, supervisor)
    assert item.ticket_id == tid and item.survey_id == survey_id and item.owner == "sue"
    assert item.status == "open" and "response_time" in item.text and "took ages" in item.text
    assert "problem_solving" not in item.text
    done = desk.store.run_write(
        lambda s: surveys.close_improvement(s, supervisor, item.id, "talked to the team")
    )
    assert done.status == "done" and done.note == "talked to the team"
    with desk.store.read() as s:
        assert surveys.list_improvements(s, supervisor) == []
    with pytest.raises(Conflict):
        desk.store.run_write(lambda s: surveys.close_improvement(s, supervisor, item.id, "again"))


def test_low_overall_score_alone_opens_an_item(desk: Desk, one_due: int) -> None:
    record(desk, one_due, "done", True, answers={"overall": 1})
    with desk.store.read() as s:
        [item] = surveys.list_improvements(s, desk.admin)
    assert "overall" in item.text


def test_results_summary(desk: Desk) -> None:
    add_plan(desk, delay_hours=0)
    ids = [closed_ticket(desk, MONDAY_10 - timedelta(hours=n + 1)) for n in range(4)]
    schedule(desk)
    survey_ids = [s.id or 0 for s in all_surveys(desk)]
    assert len(survey_ids) == len(ids)
    record(desk, survey_ids[0], "done", True, answers={"overall": 4, "communication": 2})
    record(desk, survey_ids[1], "done", True, answers={"overall": 5})
    record(desk, survey_ids[2], "unreachable", False)
    with desk.store.read() as s:
        result = surveys.survey_results(s, desk.admin)
    assert result["scheduled"] == 4 and result["due"] == 1
    assert result["done"] == 2 and result["unreachable"] == 1 and result["declined"] == 0
    assert result["response_rate"] == pytest.approx(2 / 3, abs=1e-3)
    per = {q["id"]: q for q in result["questions"]}
    assert per["overall"]["average"] == 4.5 and per["overall"]["answers"] == 2
    assert per["communication"]["low"] == 1 and per["response_time"]["average"] is None
    assert result["improvements_open"] == 1
    with desk.store.read() as s:
        later = surveys.survey_results(s, desk.admin, since=MONDAY_10 + timedelta(days=1))
    assert later["scheduled"] == 0 and later["response_rate"] is None


# -- the questionnaire: desk policy in the database --------------------------------------------
def test_default_questionnaire(desk: Desk) -> None:
    with desk.store.read() as s:
        assert surveys.load_questionnaire(s) == DEFAULT_QUESTIONS
    assert [q.id for q in DEFAULT_QUESTIONS] == [
        "response_time",
        "problem_solving",
        "communication",
        "overall",
    ]


def set_questions(desk: Desk, actor: Actor, questions: Any) -> Any:
    return desk.store.run_write(lambda s: surveys.set_questionnaire(s, actor, questions))


def test_a_supervisor_sets_the_questionnaire_for_everyone(desk: Desk) -> None:
    sue = desk.add_agent("sue", "supervisor")
    wanted = surveys.parse_question_args(["speed= Fast  enough? ", "overall=Overall?"])
    assert set_questions(desk, sue, wanted) == (
        Question("speed", "Fast enough?"),
        Question("overall", "Overall?"),
    )
    with desk.store.read() as s:
        assert surveys.load_questionnaire(s) == wanted
        audit = s.scalars(sa.select(Audit).where(col(Audit.action) == "survey.questions")).one()
    assert json.loads(audit.detail)["to"] == ["speed", "overall"]
    assert audit.actor_id == sue.agent_id
    assert set_questions(desk, sue, None) == DEFAULT_QUESTIONS  # reset
    with desk.store.read() as s:
        assert surveys.load_questionnaire(s) == DEFAULT_QUESTIONS


def test_agents_may_not_change_the_questionnaire(desk: Desk) -> None:
    ann = desk.add_agent("ann", "agent")
    with pytest.raises(PermissionDenied, match="survey.manage"):
        set_questions(desk, ann, (Question("speed", "Fast?"),))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "at least one question"),
        (["speed"], "not ID=TEXT"),
        (["=Fast?"], "question 1: the id must be"),
        (["Bad Id=x"], "the id must be a lowercase letter"),
        (["speed= "], r"question 1 \(speed\): the text must not be empty"),
        (["a=x", "a=y"], "question 2: duplicate id 'a'"),
        ([f"q{n}=x" for n in range(21)], "at most 20 questions"),
        (["speed=" + "x" * 301], "longer than 300"),
    ],
)
def test_questionnaire_validation(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message) as err:
        surveys.parse_question_args(args)
    assert "\n" not in str(err.value)


def test_a_hand_edited_questionnaire_falls_back_to_the_default(desk: Desk) -> None:
    from helpdesk_tui.services.desk_policy import put_value

    desk.store.run_write(lambda s: put_value(s, desk.admin, "survey.questions", [{"id": 5}]))
    with desk.store.read() as s:
        assert surveys.load_questionnaire(s) == DEFAULT_QUESTIONS


def test_answers_follow_the_desks_questionnaire(desk: Desk, one_due: int) -> None:
    set_questions(desk, desk.admin, (Question("speed", "Fast enough?"),))
    with pytest.raises(UsageError, match="unknown question 'overall'; valid: speed"):
        record(desk, one_due, "done", True, answers={"overall": 4})
    view = record(desk, one_due, "done", True, answers={"speed": 1})
    assert view.answers == {"speed": 1}
    with desk.store.read() as s:
        [item] = surveys.list_improvements(s, desk.admin)
        results = surveys.survey_results(s, desk.admin)
    assert "Fast enough?" in item.text
    assert [(q["id"], q["text"]) for q in results["questions"]] == [("speed", "Fast enough?")]


def test_parse_answers() -> None:
    assert surveys.parse_answers(["overall=4", " speed = 2"]) == {"overall": 4, "speed": 2}
    with pytest.raises(UsageError, match="QUESTION=SCORE"):
        surveys.parse_answers(["overall"])
    with pytest.raises(UsageError, match="whole number"):
        surveys.parse_answers(["overall=great"])
