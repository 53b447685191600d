"""CLI commands of issue 6 (escalation and verified closure).

On the `ticket` group: `escalate`, `handback`, `ask`, `confirm`, `autoclose`, `handoff`.
On the root: `ola list|set` (the resolver groups' OLA targets).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from helpdesk_tui.cli.common import FORMATS, echo, print_json, print_records, state, stdout
from helpdesk_tui.cli.inputs import read_stdin
from helpdesk_tui.cli.ticket import JsonOpt, VersionOpt
from helpdesk_tui.cli.ticket import app as ticket_app
from helpdesk_tui.errors import NotFound, UsageError, invalid_choice
from helpdesk_tui.services import closure, escalation, views
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.desk_policy import load_policy
from helpdesk_tui.store.models import Ticket
from helpdesk_tui.store.types import utcnow
from helpdesk_tui.text import plain

ola_app = typer.Typer(help="OLA targets of the L2/L3 groups.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app (the ticket ones are added on import)."""
    app.add_typer(ola_app, name="ola")


def _read_text(value: str | None) -> str | None:
    """`-` reads standard input; any other value is the text itself."""
    if value == "-":
        return read_stdin()
    return value


def _detail(ctx: typer.Context, ticket_id: int) -> dict[str, Any]:
    return state(ctx).read(
        lambda session, actor: views.ticket_detail(session, actor, ticket_id, utcnow())
    )


@ticket_app.command("escalate")
def escalate(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="why first line cannot solve it")],
    to: Annotated[str | None, typer.Option("--to", help="L2/L3 group (functional)")] = None,
    to_supervisor: Annotated[
        bool, typer.Option("--to-supervisor", help="to a supervisor (hierarchical)")
    ] = False,
    supervisor: Annotated[
        str | None, typer.Option(help="which supervisor (default: least loaded available)")
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(help="reviewed handoff package text ('-' reads stdin; default: generated)"),
    ] = None,
    if_version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Escalate with a handoff package; prints the SLA terms and escalate_if criteria."""
    text = _read_text(package)
    if supervisor is not None:
        to_supervisor = True

    def work(session: Session, actor: Actor) -> list[str]:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket #{ticket_id}")
        brief = views.escalation_brief(session, ticket, utcnow()).lines()
        escalation.escalate_ticket(
            session,
            actor,
            ticket_id,
            to,
            reason=reason,
            package=text,
            to_supervisor=to_supervisor,
            supervisor=supervisor,
            expected_version=if_version,
        )
        return brief

    brief = state(ctx).write(work)
    detail = _detail(ctx, ticket_id)
    if as_json:
        print_json(detail | {"brief": brief})
        return
    console = stdout()
    for line in brief:
        console.print(plain(line, one_line=True))
    where = detail["group"] if to is not None else f"supervisor {detail['assignee']}"
    ola = detail["ola"]
    due = f"; OLA resolve by {ola['resolve_due']}" if ola and to is not None else ""
    console.print(plain(f"ticket #{ticket_id} escalated to {where}{due}", one_line=True))


@ticket_app.command("handoff")
def handoff(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    draft: Annotated[
        bool, typer.Option("--draft", help="the package escalating would store")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a ticket's handoffs (or the draft package to review before escalating)."""
    if draft:
        text = state(ctx).read(
            lambda session, actor: views.handoff_package(session, actor, ticket_id, utcnow())
        )
        if as_json:
            print_json({"ticket": ticket_id, "package": text})
        else:
            stdout().print(plain(text))
        return
    rows = _detail(ctx, ticket_id)["handoffs"]
    if as_json:
        print_json(rows)
        return
    console = stdout()
    for row in rows:
        target = row["to_group"] or row["to_agent"] or "-"
        head = f"{row['at'][:16]} {row['kind']} by {row['from_agent'] or '-'} -> {target}"
        console.print(plain(f"{head}: {row['reason']}", "bold", one_line=True))
        if row["kind"] != "handback":
            console.print(plain(row["package"]))


@ticket_app.command("handback")
def handback(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    note: Annotated[str, typer.Option("--note", "-m", help="what first line should know/do")],
    if_version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand an escalated ticket back to first line (the agent who escalated it)."""
    state(ctx).write(
        lambda session, actor: escalation.hand_back(
            session, actor, ticket_id, note, expected_version=if_version
        )
    )
    detail = _detail(ctx, ticket_id)
    if as_json:
        print_json(detail)
        return
    who = detail["assignee"] or "unassigned"
    echo(f"ticket #{ticket_id} handed back to {detail['group'] or '-'} ({who})")


@ticket_app.command("ask")
def ask(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    text: Annotated[str, typer.Argument(help="the question ('-' reads standard input)")],
    whom: Annotated[str, typer.Option("--whom", help="requester or l1")] = "requester",
    as_json: JsonOpt = False,
) -> None:
    """Ask the requester (the ticket then waits on them) or first line for information."""
    question = _read_text(text) or ""
    state(ctx).write(
        lambda session, actor: escalation.ask_information(session, actor, ticket_id, whom, question)
    )
    if as_json:
        print_json(_detail(ctx, ticket_id))
    else:
        echo(f"question to {whom} recorded on ticket #{ticket_id}")


@ticket_app.command("confirm")
def confirm(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(help="ticket id")],
    via: Annotated[str, typer.Option("--via", help="phone, mail or chat")],
    note: Annotated[str, typer.Option("--note", "-m", help="what the requester said")] = "",
    if_version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the requester's confirmation of the resolution and close the ticket."""
    state(ctx).write(
        lambda session, actor: closure.confirm_resolution(
            session, actor, ticket_id, via, note=note, expected_version=if_version
        )
    )
    if as_json:
        print_json(_detail(ctx, ticket_id))
    else:
        echo(f"ticket #{ticket_id} confirmed by {via} and closed")


@ticket_app.command("autoclose")
def autoclose(
    ctx: typer.Context,
    days: Annotated[
        int | None,
        typer.Option(help="days without reply (default: the desk's policy, `policy show`)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Close resolved tickets whose requester did not reply in N days (supervisors; cron)."""

    def work(session: Session, actor: Actor) -> tuple[list[int], int]:
        wait = days if days is not None else load_policy(session).auto_close_days
        return closure.close_unconfirmed(session, utcnow(), wait, actor=actor), wait

    closed, waited = state(ctx).write(work)
    if as_json:
        print_json({"closed": closed, "days": waited})
    else:
        echo(f"{len(closed)} ticket(s) closed after {waited} days without reply")


@ola_app.command("list")
def ola_list(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """The OLA targets of every L2/L3 group (defaults are created on first use)."""
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:  # before the write below: a failed command changes nothing
        raise invalid_choice("format", fmt, FORMATS)
    rows = state(ctx).write(lambda session, actor: escalation.list_olas(session))
    columns = ["group", "tier", "response_minutes", "resolve_minutes", "calendar"]
    print_records(rows, columns, fmt)


@ola_app.command("set")
def ola_set(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="L2/L3 group name")],
    response: Annotated[int, typer.Option("--response", help="minutes to accept")],
    resolve: Annotated[int, typer.Option("--resolve", help="minutes to resolve")],
    calendar: Annotated[str | None, typer.Option(help="calendar name, e.g. business")] = None,
) -> None:
    """Set a group's OLA targets (applies to escalations from now on)."""
    if response < 1:
        raise UsageError("--response must be at least 1 minute")
    state(ctx).write(
        lambda session, actor: escalation.set_ola(
            session,
            actor,
            group,
            response_minutes=response,
            resolve_minutes=resolve,
            calendar=calendar,
        )
    )
    echo(f"OLA of {group}: accept in {response} min, resolve in {resolve} min")
