"""`helpdesk survey ...`: satisfaction callbacks per the service agreement (issue 6 part 5).

`survey plan add|list|disable|enable` plans them, `survey due` schedules freshly closed
tickets and lists whom to call today, `survey record` stores a call's outcome, `survey
list|improvements|results` are for the supervisor, `survey questions [set|reset]` shows
and changes the questionnaire (desk policy in the database).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from helpdesk_tui.cli.common import echo, parse_when, print_json, print_records, state, stdout
from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import surveys
from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.types import utcnow
from helpdesk_tui.text import plain

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

app = typer.Typer(help="Satisfaction callbacks: plans, due calls, answers.", no_args_is_help=True)
plan_app = typer.Typer(help="Survey plans (sampling, delay, method, scope).", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
questions_app = typer.Typer(
    help="The questionnaire of the callbacks; `set` and `reset` change it (supervisors).",
    invoke_without_command=True,
)
app.add_typer(questions_app, name="questions")


def register(root: typer.Typer) -> None:
    """Add `survey` to the root app."""
    root.add_typer(app, name="survey")


def _local(value: str | None) -> str:
    """An ISO time from the services, shown in local time for tables."""
    return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


# -- plans --------------------------------------------------------------------------------
@plan_app.command("add")
def plan_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="plan name, e.g. 'network 10%'")],
    rate: Annotated[float, typer.Option("--rate", help="share of closed tickets, 0-1 (0.1 = 10%)")],
    delay: Annotated[str, typer.Option("--delay", help="after closure: 48h, 2d")] = "2d",
    method: Annotated[str, typer.Option(help="phone, email, online or in_person")] = "phone",
    category: Annotated[
        list[str] | None, typer.Option("--category", help="in scope (repeatable; default: all)")
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="only requesters of this department")
    ] = None,
    vip_only: Annotated[bool, typer.Option("--vip-only", help="only VIP requesters")] = False,
    owner: Annotated[
        str | None, typer.Option(help="supervisor who gets improvement items (default: you)")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="also sample tickets closed since (ISO; default: now)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan satisfaction callbacks for a share of closed tickets."""
    hours = surveys.parse_delay(delay)
    start = parse_when(since, "--since")
    view = state(ctx).write(
        lambda session, actor: surveys.add_plan(
            session,
            actor,
            name,
            rate=rate,
            delay_hours=hours,
            method=method,
            categories=category or (),
            department=department,
            vip_only=vip_only,
            owner=owner,
            since=start,
        )
    )
    if as_json:
        print_json(view.to_dict())
    else:
        echo(f"planned {view.name!r}: {view.rate:.0%} of closed tickets ({view.scope})")


@plan_app.command("list")
def plan_list(
    ctx: typer.Context,
    active_only: Annotated[bool, typer.Option("--active", help="only active plans")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the survey plans."""
    views = state(ctx).read(
        lambda session, actor: surveys.list_plans(session, actor, include_inactive=not active_only)
    )
    if as_json:
        print_json([v.to_dict() for v in views])
        return
    records = [
        v.to_dict()
        | {
            "rate": f"{v.rate:.0%}",
            "delay": f"{v.delay_hours}h",
            "scope": v.scope,
            "active": "yes" if v.active else "no",
        }
        for v in views
    ]
    columns = ["id", "name", "rate", "delay", "method", "scope", "owner", "active"]
    print_records(records, columns, "table")


def _set_active(ctx: typer.Context, ref: str, active: bool, as_json: bool) -> None:
    view = state(ctx).write(
        lambda session, actor: surveys.set_plan_active(session, actor, ref, active)
    )
    if as_json:
        print_json(view.to_dict())
    else:
        echo(f"plan {view.name!r} {'enabled' if active else 'disabled'}")


@plan_app.command("disable")
def plan_disable(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="plan name or id")],
    as_json: JsonOpt = False,
) -> None:
    """Stop sampling for a plan (callbacks already planned stay due)."""
    _set_active(ctx, plan, False, as_json)


@plan_app.command("enable")
def plan_enable(
    ctx: typer.Context,
    plan: Annotated[str, typer.Argument(help="plan name or id")],
    as_json: JsonOpt = False,
) -> None:
    """Sample again for a disabled plan (from now on)."""
    _set_active(ctx, plan, True, as_json)


# -- the callbacks ------------------------------------------------------------------------
@app.command("due")
def due(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="at most this many rows")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Whom to call today: schedules freshly closed tickets, then lists due callbacks."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    now = utcnow()
    report = state(ctx).write(
        lambda session, actor: surveys.schedule_surveys(session, now, actor=actor)
    )
    rows = state(ctx).read(
        lambda session, actor: surveys.callbacks_due(session, actor, now, limit=limit)
    )
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    if report.created:
        echo(f"planned {len(report.created)} new callback(s)", err=True)
    records = [
        r.to_dict()
        | {
            "id": r.survey_id,
            "ticket": f"#{r.ticket_id} {r.ticket_title}",
            "due": _local(r.due_at.isoformat()) + (" !" if r.overdue else ""),
            "phone": r.phone or "",
            "email": r.email or "",
        }
        for r in rows
    ]
    columns = ["id", "due", "requester", "phone", "email", "method", "ticket"]
    if not records:
        echo("no callbacks due today")
        return
    print_records(records, columns, "table")


@app.command("record")
def record(
    ctx: typer.Context,
    survey_id: Annotated[int, typer.Argument(help="survey id (from `helpdesk survey due`)")],
    outcome: Annotated[str, typer.Option("--outcome", help="done, declined or unreachable")],
    consent: Annotated[
        bool,
        typer.Option("--consent/--no-consent", help="the requester agreed to answer"),
    ] = False,
    answer: Annotated[
        list[str] | None,
        typer.Option("--answer", "-a", help="QUESTION=SCORE (1-5), repeatable"),
    ] = None,
    comment: Annotated[str, typer.Option(help="the requester's comment or a note")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record how a callback went; a score <= 2 opens an improvement item."""
    answers = surveys.parse_answers(answer or [])
    view = state(ctx).write(
        lambda session, actor: surveys.record_survey(
            session,
            actor,
            survey_id,
            outcome,
            consent,
            answers,
            comment,
        )
    )
    if as_json:
        print_json(view.to_dict())
        return
    low = [qid for qid, score in view.answers.items() if score <= surveys.LOW_SCORE]
    note = f"; improvement item opened ({', '.join(low)})" if low else ""
    echo(f"survey #{view.id} recorded: {view.status}{note}")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", "-s", help="due, done, declined or unreachable")
    ] = None,
    limit: Annotated[int, typer.Option(help="at most this many rows")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """List surveys, newest due first."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    views = state(ctx).read(
        lambda session, actor: surveys.list_surveys(session, actor, status=status, limit=limit)
    )
    if as_json:
        print_json([v.to_dict() for v in views])
        return
    records = [
        v.to_dict()
        | {
            "due": _local(v.due_at.isoformat()),
            "ticket": f"#{v.ticket_id} {v.ticket_title}",
            "scores": " ".join(f"{k}={s}" for k, s in v.answers.items()),
            "consent": "yes" if v.consent else "",
        }
        for v in views
    ]
    columns = ["id", "due", "status", "requester", "method", "consent", "scores", "ticket"]
    print_records(records, columns, "table")


@app.command("improvements")
def improvements(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="open, done or all")] = "open",
    as_json: JsonOpt = False,
) -> None:
    """Improvement items opened by low scores (for the supervisor)."""
    wanted = None if status == "all" else status
    views = state(ctx).read(
        lambda session, actor: surveys.list_improvements(session, actor, status=wanted)
    )
    if as_json:
        print_json([v.to_dict() for v in views])
        return
    records = [v.to_dict() | {"created": _local(v.created_at.isoformat())} for v in views]
    columns = ["id", "created", "status", "owner", "ticket_id", "text"]
    print_records(records, columns, "table")


@app.command("improvement-done")
def improvement_done(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="improvement item id")],
    note: Annotated[str, typer.Option("--note", help="what was done about it")],
    as_json: JsonOpt = False,
) -> None:
    """Close an improvement item with what was done."""
    view = state(ctx).write(
        lambda session, actor: surveys.close_improvement(session, actor, item_id, note)
    )
    if as_json:
        print_json(view.to_dict())
    else:
        echo(f"improvement item #{view.id} done")


@app.command("results")
def results(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="callbacks due from (ISO date)")] = None,
    until: Annotated[str | None, typer.Option(help="callbacks due before (ISO date)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """CSAT from the callbacks: response rate and average score per question."""
    start, end = parse_when(since, "--since"), parse_when(until, "--until")

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        return surveys.survey_results(session, actor, since=start, until=end)

    summary = state(ctx).read(work)
    if as_json:
        print_json(summary)
        return
    rate = summary["response_rate"]
    console = stdout()
    console.print(
        f"callbacks {summary['scheduled']}: done {summary['done']}, declined "
        f"{summary['declined']}, unreachable {summary['unreachable']}, due {summary['due']}"
        f" · response rate {'-' if rate is None else f'{rate:.0%}'}"
        f" · open improvements {summary['improvements_open']}"
    )
    records = [
        q | {"average": "-" if q["average"] is None else f"{q['average']:.2f}"}
        for q in summary["questions"]
    ]
    print_records(records, ["id", "average", "answers", "low", "text"], "table")


@questions_app.callback()
def questions(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the questionnaire (desk policy; the default until a supervisor sets one)."""
    if ctx.invoked_subcommand is not None:
        return
    found = state(ctx).read(lambda session, actor: surveys.load_questionnaire(session))
    _print_questions(found, as_json)


@questions_app.command("set")
def questions_set(
    ctx: typer.Context,
    question: Annotated[
        list[str], typer.Argument(help="ID=TEXT per question, in the order they are asked")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Replace the questionnaire (permission survey.manage, audited).

    IDs are lowercase letters, digits and _; answers are recorded as ID=SCORE.
    """
    wanted = surveys.parse_question_args(question)
    found = state(ctx).write(
        lambda session, actor: surveys.set_questionnaire(session, actor, wanted)
    )
    _print_questions(found, as_json)


@questions_app.command("reset")
def questions_reset(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Go back to the default questionnaire (permission survey.manage, audited)."""
    found = state(ctx).write(lambda session, actor: surveys.set_questionnaire(session, actor, None))
    _print_questions(found, as_json)


def _print_questions(found: tuple[surveys.Question, ...], as_json: bool) -> None:
    if as_json:
        print_json([{"id": q.id, "text": q.text} for q in found])
        return
    for q in found:
        stdout().print(plain(f"{q.id}: {q.text}", one_line=True))
