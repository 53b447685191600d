"""`helpdesk sla watch` (the SLA watcher) and `helpdesk notifications`; the `sla` group.

The rest of the `sla` group is desk policy: `sla calendar` (cli/sla_calendar.py),
`sla policy` and `sla rule` (cli/sla_policy.py).

`sla watch` is the SLA watcher: `--once` for cron, without it a loop for a service
(systemd, a container). The loop ends cleanly on SIGTERM or Ctrl-C, after the pass in
progress (each pass is one short transaction, so nothing is left half-written).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError

from helpdesk_tui.cli import sla_calendar, sla_policy
from helpdesk_tui.cli.common import CliState, echo, print_json, print_records, state
from helpdesk_tui.errors import StoreUnavailable, UsageError
from helpdesk_tui.services import monitor
from helpdesk_tui.services.monitor import WatchReport
from helpdesk_tui.store.types import utcnow

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

#: Event lines printed per pass before "... and N more" (all of them with --json).
SHOW_EVENTS = 50

sla_app = typer.Typer(
    help="SLA clocks: the watcher, and the desk's calendars, targets and escalation rules.",
    no_args_is_help=True,
)
sla_app.add_typer(sla_calendar.app, name="calendar")
sla_app.add_typer(sla_policy.policy_app, name="policy")
sla_app.add_typer(sla_policy.rule_app, name="rule")
notifications_app = typer.Typer(
    help="List your notifications (SLA warnings, breaches, escalations), unread first, "
    "newest first; `read` marks them read.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(sla_app, name="sla")
    app.add_typer(notifications_app, name="notifications")


# --------------------------------------------------------------------------- sla watch


def _pass(cli: CliState) -> WatchReport:
    """One watcher pass in one retried write transaction, as the agent running it.

    The actor (and so the permission `sla.watch`) is resolved at every pass: an account
    whose role was taken away stops watching at its next pass.
    """
    return cli.write(lambda session, actor: monitor.watch_once(session, utcnow(), actor=actor))


def _print_report(report: WatchReport, as_json: bool, stream: bool) -> None:
    if as_json:
        if stream:  # the loop prints JSON Lines: one compact object per pass
            print_json(report.to_dict(), line=True)
        else:
            print_json(report.to_dict())
        return
    breaches = sum(1 for e in report.events if e.level == "breach")
    echo(
        f"sla watch {report.at:%Y-%m-%d %H:%M:%S} UTC: {report.candidates:,} tickets checked, "
        f"{len(report.events):,} recorded ({breaches:,} breaches, "
        f"{len(report.events) - breaches:,} warnings, {report.backlog:,} backlog), "
        f"{len(report.escalations):,} escalations, {report.notifications:,} notifications, "
        f"{len(report.auto_closed):,} auto-closed"
    )
    for event in report.events[:SHOW_EVENTS]:
        late = "" if event.notified else " (backlog: summarised to supervisors)"
        echo(
            f"  #{event.ticket_id} {event.clock} {event.level} "
            f"crossed {event.crossed_at:%Y-%m-%d %H:%M} UTC{late}"
        )
    if len(report.events) > SHOW_EVENTS:
        echo(f"  ... and {len(report.events) - SHOW_EVENTS:,} more (--json lists all)")
    for hit in report.escalations:
        echo(f"  #{hit.ticket_id} auto-escalated by rule {hit.rule!r}: {hit.action}")
    if report.auto_closed:
        shown = ", ".join(f"#{tid}" for tid in report.auto_closed[:SHOW_EVENTS])
        more = len(report.auto_closed) - SHOW_EVENTS
        tail = f" and {more:,} more" if more > 0 else ""
        echo(f"  auto-closed (no confirmation within the policy's days): {shown}{tail}")


@sla_app.command("watch")
def watch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit (for cron)")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="seconds between passes")
    ] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Record SLA warnings (75 %) and breaches (100 %) once, notify, auto-escalate, auto-close.

    Needs the permission sla.watch (supervisors, admins). What it applies is desk policy
    in the database: `sla rule ...` (auto-escalation), `policy set` (backlog window,
    auto-close days). With --json and without --once, prints one JSON object per pass.
    """
    cli = state(ctx)
    cli.read(lambda _session, actor: actor.require("sla.watch"))  # fail before the loop
    if once:
        _print_report(_pass(cli), as_json, stream=False)
        return
    stop = threading.Event()

    def _on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # finish the pass in progress, then leave the loop

    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        while not stop.is_set():
            try:
                _print_report(_pass(cli), as_json, stream=True)
            except (StoreUnavailable, DBAPIError) as exc:
                # A service keeps going through a locked or restarting database.
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                echo(f"helpdesk: sla watch: pass failed: {reason}", err=True)
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not as_json:
        echo("sla watch: stopped")


# --------------------------------------------------------------------------- notifications


@notifications_app.callback()
def notifications(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="only unread ones")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="at most this many")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """List your notifications, unread first, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    rows = state(ctx).read(
        lambda session, actor: monitor.list_notifications(
            session, actor, unread_only=unread, limit=limit
        )
    )
    records: list[dict[str, Any]] = [r.to_dict() for r in rows]
    if as_json:
        print_json(records)
        return
    if not records:
        echo("no unread notifications" if unread else "no notifications")
        return
    for record, row in zip(records, rows, strict=True):
        record["state"] = "unread" if row.unread else "read"
        record["when"] = row.created_at
        record["ticket"] = f"#{row.ticket_id}" if row.ticket_id is not None else ""
        record["title"] = row.ticket_title or ""
    columns = ["id", "state", "when", "ticket", "kind", "text", "title"]
    print_records(records, columns, "table")


@notifications_app.command("read")
def read(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="notification ids")] = None,
    all_: Annotated[bool, typer.Option("--all", help="mark every notification read")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mark notifications read (by id, or --all)."""
    if bool(ids) == all_:
        raise UsageError("give notification ids or --all (not both)")
    now = utcnow()
    changed = state(ctx).write(
        lambda session, actor: monitor.mark_read(session, actor, None if all_ else ids, now=now)
    )
    if as_json:
        print_json({"marked_read": changed})
        return
    echo(f"{changed} notification{'s' if changed != 1 else ''} marked read")
