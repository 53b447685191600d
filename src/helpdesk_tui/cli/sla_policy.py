"""`helpdesk sla policy ...` (targets per priority) and `helpdesk sla rule ...` (auto-escalation).

Both are desk policy in the database: any agent may list them; changing them needs
`config.manage` (admins) and writes an audit row. The SLA watcher applies the active
rules whoever runs it; no config file has a say any more.
"""

from __future__ import annotations

from typing import Annotated

import typer

from helpdesk_tui.cli.common import echo, print_json, print_records, state
from helpdesk_tui.services import sla_policies, sla_rules
from helpdesk_tui.services.monitor_config import CLOCKS, LEVELS, make_rule
from helpdesk_tui.services.sla_policies import format_minutes, parse_minutes
from helpdesk_tui.text import sanitize

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or json")]
RuleArg = Annotated[str, typer.Argument(help="rule name")]

policy_app = typer.Typer(help="SLA targets per priority and their calendars.", no_args_is_help=True)
rule_app = typer.Typer(
    help="Auto-escalation rules the SLA watcher applies (once per ticket and rule).",
    no_args_is_help=True,
)


# --------------------------------------------------------------------------- sla policy


@policy_app.command("list")
def policy_list(ctx: typer.Context, fmt: FormatOpt = "table", as_json: JsonOpt = False) -> None:
    """The response and resolution targets of each priority (business time)."""
    views = state(ctx).read(lambda session, actor: sla_policies.list_policies(session, actor))
    if as_json or fmt == "json":
        print_json([v.to_dict() for v in views])
        return
    rows = [
        {
            "priority": v.priority,
            "response": format_minutes(v.response_minutes),
            "resolution": format_minutes(v.resolve_minutes),
            "calendar": v.calendar,
        }
        for v in views
    ]
    print_records(rows, ["priority", "response", "resolution", "calendar"], fmt)


@policy_app.command("set")
def policy_set(
    ctx: typer.Context,
    priority: Annotated[str, typer.Argument(help="critical, high, medium, low, informational")],
    response: Annotated[
        str | None, typer.Option("--response", help="first response within, e.g. 30m, 2h")
    ] = None,
    resolve: Annotated[
        str | None, typer.Option("--resolve", help="resolution within, e.g. 8h, 1h30m")
    ] = None,
    calendar: Annotated[
        str | None, typer.Option("--calendar", help="the calendar the clocks count on")
    ] = None,
    recompute_open: Annotated[
        bool,
        typer.Option(
            "--recompute-open", help="also give open tickets of this priority new due times"
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change a priority's targets (permission config.manage, audited).

    Applies to tickets recorded or re-prioritised from now on; --recompute-open also to
    the open ones. Durations are business time on the calendar: 30m, 8h, 1h30m.
    """
    response_minutes = parse_minutes(response, "--response") if response is not None else None
    resolve_minutes = parse_minutes(resolve, "--resolve") if resolve is not None else None
    view, recomputed = state(ctx).write(
        lambda session, actor: sla_policies.set_policy_targets(
            session,
            actor,
            priority,
            response_minutes=response_minutes,
            resolve_minutes=resolve_minutes,
            calendar=calendar,
            recompute_open=recompute_open,
        )
    )
    if as_json:
        print_json(view.to_dict() | {"recomputed_open": recomputed})
        return
    echo(
        f"{view.priority}: respond within {format_minutes(view.response_minutes)}, resolve "
        f"within {format_minutes(view.resolve_minutes)} on calendar {sanitize(view.calendar)!r}"
    )
    if recompute_open:
        echo(f"{recomputed} open ticket{'s' if recomputed != 1 else ''} got new due times")
    else:
        echo("applies to tickets from now on (--recompute-open for the open ones)")


# --------------------------------------------------------------------------- sla rule


@rule_app.command("list")
def rule_list(ctx: typer.Context, fmt: FormatOpt = "table", as_json: JsonOpt = False) -> None:
    """Every auto-escalation rule, in the order the watcher applies them."""
    rows = state(ctx).read(lambda session, actor: sla_rules.list_rules(session, actor))
    records = [r.to_dict() for r in rows]
    if as_json or fmt == "json":
        print_json(records)
        return
    for record, row in zip(records, rows, strict=True):
        scope = [",".join(part) for part in (row.rule.priorities, row.rule.categories) if part]
        record["state"] = "active" if row.active else "off"
        record["scope"] = "; ".join(scope) or "all tickets"
    print_records(records, ["name", "state", "scope", "describe"], fmt)


@rule_app.command("add")
def rule_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="unique name; the rule fires once per ticket")],
    no_response: Annotated[
        int | None,
        typer.Option("--no-response-minutes", help="trigger: no first response after N minutes"),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help=f"trigger: the watcher records {' or '.join(LEVELS)}")
    ] = None,
    clock: Annotated[
        str | None, typer.Option("--clock", help=f"of this clock with --on: {', '.join(CLOCKS)}")
    ] = None,
    to_supervisor: Annotated[
        bool, typer.Option("--to-supervisor", help="target: the least busy supervisor")
    ] = False,
    to_group: Annotated[
        str | None, typer.Option("--to-group", help="target: this L2/L3 group")
    ] = None,
    priority: Annotated[
        list[str] | None, typer.Option("--priority", help="in scope (repeatable; default all)")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="in scope (repeatable; default all)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a rule (permission config.manage): one trigger, one target, an optional scope.

    Example: sla rule add p1-silent --priority critical --no-response-minutes 15
    --to-supervisor
    """
    rule = make_rule(
        name,
        priorities=priority or (),
        categories=category or (),
        no_response_minutes=no_response,
        on=on,
        clock=clock,
        to_supervisor=to_supervisor,
        to_group=to_group,
    )
    state(ctx).write(lambda session, actor: sla_rules.add_rule(session, actor, rule))
    if as_json:
        print_json({"name": rule.name, "describe": rule.describe()})
        return
    echo(f"rule {sanitize(rule.name)!r} added: {sanitize(rule.describe())}")


@rule_app.command("remove")
def rule_remove(ctx: typer.Context, name: RuleArg) -> None:
    """Delete a rule (permission config.manage); what it did stays recorded."""
    state(ctx).write(lambda session, actor: sla_rules.remove_rule(session, actor, name))
    echo(f"rule {sanitize(name)!r} removed")


@rule_app.command("disable")
def rule_disable(ctx: typer.Context, name: RuleArg) -> None:
    """Switch a rule off without losing it (permission config.manage)."""
    changed = state(ctx).write(
        lambda session, actor: sla_rules.set_rule_active(session, actor, name, False)
    )
    echo(f"rule {sanitize(name)!r} {'disabled' if changed else 'was already off'}")


@rule_app.command("enable")
def rule_enable(ctx: typer.Context, name: RuleArg) -> None:
    """Switch a rule on again (permission config.manage)."""
    changed = state(ctx).write(
        lambda session, actor: sla_rules.set_rule_active(session, actor, name, True)
    )
    echo(f"rule {sanitize(name)!r} {'enabled' if changed else 'was already active'}")
