"""`helpdesk ticket ...`: record and work tickets from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from helpdesk_tui.cli.common import echo, parse_when, print_json, print_records, state, stdout
from helpdesk_tui.cli.inputs import read_stdin
from helpdesk_tui.config import Settings
from helpdesk_tui.errors import UsageError, invalid_choice
from helpdesk_tui.services import views, workflow
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.quantities import handle_seconds
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.services.vocab import OPEN_STATUSES, PRIORITIES, STATUSES
from helpdesk_tui.store.types import utcnow
from helpdesk_tui.text import plain

app = typer.Typer(help="Record, list, show and work tickets.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
VersionOpt = Annotated[
    int | None,
    typer.Option("--if-version", help="fail with exit 4 if the ticket changed since this version"),
]


def load_rules_for(settings: Settings) -> RuleSet:
    """The shipped triage rules plus the desk's own file, if any."""
    paths = [settings.rules_file] if settings.rules_file.exists() else []
    return RuleSet.load(paths, include_default=True)


def load_rules(ctx: typer.Context) -> RuleSet:
    """The triage rules for this invocation's settings."""
    return load_rules_for(state(ctx).settings)


def _summary(ticket_id: int, ctx: typer.Context) -> dict[str, Any]:
    return state(ctx).read(
        lambda session, actor: views.ticket_detail(session, actor, ticket_id, utcnow())
    )


def _done(ctx: typer.Context, ticket_id: int, as_json: bool, message: str) -> None:
    if as_json:
        print_json(_summary(ticket_id, ctx))
    else:
        echo(message)


@app.command("new")
def new(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", "-t", help="one-line summary")],
    body: Annotated[str, typer.Option("--body", "-b", help="description")] = "",
    requester: Annotated[str | None, typer.Option(help="name, e-mail, phone or #id")] = None,
    channel: Annotated[str, typer.Option(help="phone, email, chat, portal, ...")] = "phone",
    kind: Annotated[str, typer.Option(help="incident or service_request")] = "incident",
    category: Annotated[str | None, typer.Option(help="default: triage's suggestion")] = None,
    priority: Annotated[str | None, typer.Option(help="default: impact x urgency")] = None,
    reason: Annotated[
        str,
        typer.Option(
            help="why --category or --priority differs from the suggestion (required then)"
        ),
    ] = "",
    impact_scope: Annotated[
        str, typer.Option(help="one_user, team, department, site, organisation")
    ] = "one_user",
    affected_users: Annotated[int, typer.Option(help="number of affected users")] = 1,
    system: Annotated[str | None, typer.Option("--system", help="affected system")] = None,
    error_codes: Annotated[str, typer.Option(help="error codes seen")] = "",
    tried: Annotated[str, typer.Option(help="what the requester already tried")] = "",
    occurred_at: Annotated[str | None, typer.Option(help="when it started (ISO time)")] = None,
    group: Annotated[str | None, typer.Option(help="support group")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a new ticket and print its id."""
    data = NewTicket(
        title=title,
        body=body,
        requester=requester,
        channel=channel,
        kind=kind,
        category=category,
        priority=priority,
        priority_reason=reason,
        category_reason=reason,
        impact_scope=impact_scope,
        affected_users=affected_users,
        affected_system=system,
        error_codes=error_codes,
        tried=tried,
        occurred_at=parse_when(occurred_at, "--occurred-at"),
        group=group,
    )
    rules = load_rules(ctx)
    ticket_id = state(ctx).write(
        lambda session, actor: create_ticket(session, actor, data, rules=rules).id
    )
    assert ticket_id is not None
    _done(ctx, ticket_id, as_json, str(ticket_id))


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="repeatable; default: open ones")
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="only tickets assigned to me")] = False,
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    priority: Annotated[str | None, typer.Option(help="only this priority")] = None,
    limit: Annotated[int, typer.Option(help="at most this many rows")] = 50,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """List tickets, SLA due first."""
    for value in status or []:
        if value not in STATUSES:
            raise invalid_choice("status", value, STATUSES)
    if priority is not None and priority not in PRIORITIES:
        raise invalid_choice("priority", priority, PRIORITIES)
    if limit < 1:
        raise UsageError("--limit must be at least 1")

    def work(session: Session, actor: Actor) -> list[dict[str, Any]]:
        if category is not None:
            from helpdesk_tui.services.tickets import active_categories, check_choice

            check_choice("category", category, active_categories(session))
        rows = views.list_tickets(
            session,
            actor,
            now=utcnow(),
            statuses=tuple(status) if status else OPEN_STATUSES,
            mine=mine,
            category=category,
            priority=priority,
            limit=limit,
        )
        return [row.to_dict() for row in rows]

    records = state(ctx).read(work)
    if as_json or fmt == "json":
        print_json(records)
        return
    for record in records:
        sla = record["sla"]
        record["sla"] = sla["state"]
        due = sla["resolve_due"]
        record["due"] = (
            datetime.fromisoformat(due).astimezone().strftime("%m-%d %H:%M") if due else ""
        )
    columns = ["id", "priority", "status", "sla", "due", "category", "title", "assignee"]
    print_records(records, columns, fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    as_json: JsonOpt = False,
) -> None:
    """Show one ticket with its SLA and log."""
    detail = _summary(ticket_id, ctx)
    if as_json:
        print_json(detail)
        return
    console = stdout()
    sla = detail["sla"]
    console.print(plain(f"#{detail['id']} {detail['title']}", "bold", one_line=True))
    header = (
        f"{detail['status']} · {detail['priority']} · {detail['category']} · {detail['kind']}"
        f" · via {detail['channel']} · assignee {detail['assignee'] or '-'}"
    )
    console.print(plain(header, one_line=True))
    console.print(
        f"SLA {sla['state']}: respond by {sla['response_due']}, resolve by {sla['resolve_due']}"
    )
    ola = detail["ola"]
    if ola:
        console.print(plain(f"{ola['policy']} {ola['state']}: resolve by {ola['resolve_due']}"))
    if detail["resolution_code"]:
        fcr = " (first-contact resolution)" if detail["fcr"] else ""
        console.print(plain(f"resolution: {detail['resolution_code']}{fcr}", one_line=True))
    if detail["requester"]:
        console.print(plain(f"requester: {detail['requester']['name']}", one_line=True))
    for key, value in detail["facts"].items():
        if value not in (None, "", 1) or key == "impact_scope":
            console.print(plain(f"{key}: {value}", one_line=True))
    if detail["body"]:
        console.print()
        console.print(plain(detail["body"]))
    console.print()
    for entry in detail["log"]:
        line = f"{entry['at'][:16]} {entry['agent'] or '-'} [{entry['kind']}] {entry['text']}"
        console.print(plain(line, one_line=True))


@app.command("update")
def update(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    title: Annotated[str | None, typer.Option(help="new title")] = None,
    body: Annotated[str | None, typer.Option(help="new description")] = None,
    category: Annotated[str | None, typer.Option(help="new category")] = None,
    priority: Annotated[
        str | None, typer.Option(help="new priority (override needs --reason)")
    ] = None,
    urgency: Annotated[str | None, typer.Option(help="high, medium or low")] = None,
    impact_scope: Annotated[str | None, typer.Option(help="one_user ... organisation")] = None,
    affected_users: Annotated[int | None, typer.Option(help="number of affected users")] = None,
    system: Annotated[str | None, typer.Option("--system", help="affected system")] = None,
    error_codes: Annotated[str | None, typer.Option(help="error codes")] = None,
    tried: Annotated[str | None, typer.Option(help="what was already tried")] = None,
    diagnosis: Annotated[str | None, typer.Option(help="initial diagnosis")] = None,
    requester: Annotated[str | None, typer.Option(help="name, e-mail, phone or #id")] = None,
    assignee: Annotated[str | None, typer.Option(help="agent login ('-' to unassign)")] = None,
    group: Annotated[str | None, typer.Option(help="support group ('-' for none)")] = None,
    reason: Annotated[
        str,
        typer.Option(help="why; required to override the suggested category or the priority"),
    ] = "",
    if_version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a ticket's facts, category, priority or assignment."""
    given = {
        "title": title,
        "body": body,
        "category": category,
        "priority": priority,
        "urgency": urgency,
        "impact_scope": impact_scope,
        "affected_users": affected_users,
        "affected_system": system,
        "error_codes": error_codes,
        "tried": tried,
        "diagnosis": diagnosis,
        "requester": requester,
    }
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if assignee is not None:
        changes["assignee"] = None if assignee == "-" else assignee
    if group is not None:
        changes["group"] = None if group == "-" else group
    if not changes:
        raise UsageError("nothing to change; give at least one option (see --help)")
    state(ctx).write(
        lambda session, actor: workflow.update_ticket(
            session, actor, ticket_id, changes, reason=reason, expected_version=if_version
        )
    )
    _done(ctx, ticket_id, as_json, f"ticket #{ticket_id} updated")


@app.command("note")
def note(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    text: Annotated[str, typer.Argument(help="the note ('-' reads standard input)")],
    kind: Annotated[str, typer.Option(help="note, call, email or chat")] = "note",
    minutes: Annotated[float, typer.Option(help="handle time spent, in minutes")] = 0.0,
    public: Annotated[bool, typer.Option(help="visible to the requester")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a note (or a call, mail or chat) to a ticket's log."""
    if text == "-":
        text = read_stdin()
    seconds = handle_seconds(minutes)
    state(ctx).write(
        lambda session, actor: workflow.add_interaction(
            session, actor, ticket_id, kind, text, handle_seconds=seconds, public=public
        )
    )
    _done(ctx, ticket_id, as_json, f"{kind} added to ticket #{ticket_id}")


@app.command("take")
def take(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    as_json: JsonOpt = False,
) -> None:
    """Take a ticket for yourself, or accept one escalated to your group.

    Exit 4 if someone else has it, 3 if it is with a group you are not a member of.
    """
    status = state(ctx).write(
        lambda session, actor: workflow.take_ticket(session, actor, ticket_id).status
    )
    accepted = "accepted: " if status == "escalated" else ""
    _done(ctx, ticket_id, as_json, f"ticket #{ticket_id} {accepted}is yours")


@app.command("status")
def status_(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    status: Annotated[str, typer.Argument(help="new status")],
    note_text: Annotated[
        str,
        typer.Option(
            "--note", "-m", help="note; the resolution summary when resolving, why when reopening"
        ),
    ] = "",
    code: Annotated[
        str | None,
        typer.Option(
            "--code", help="resolution code, required when resolving (e.g. solved_permanent)"
        ),
    ] = None,
    if_version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a ticket to another status.

    Resolving needs --code and --note (the resolution); reopening (in_progress from
    resolved or closed) needs --note (why).
    """
    from helpdesk_tui.services.desk_policy import load_policy

    state(ctx).write(
        lambda session, actor: workflow.change_status(
            session,
            actor,
            ticket_id,
            status,
            note=note_text,
            code=code,
            reopen_days=load_policy(session).reopen_days,
            expected_version=if_version,
        )
    )
    _done(ctx, ticket_id, as_json, f"ticket #{ticket_id} is now {status}")
