"""CLI commands of issue 6 (monitor): `helpdesk sla watch` and `helpdesk notifications`.

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

from helpdesk_tui.cli.common import CliState, echo, print_json, print_records, state
from helpdesk_tui.errors import StoreUnavailable, UsageError
from helpdesk_tui.services import monitor
from helpdesk_tui.services.monitor import WatchConfig, WatchReport
from helpdesk_tui.store.types import utcnow

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

#: Event lines printed per pass before "... and N more" (all of them with --json).
SHOW_EVENTS = 50

sla_app = typer.Typer(help="Watch SLA clocks: warnings, breaches, auto-escalation.")
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


def _pass(cli: CliState, config: WatchConfig, login: str) -> WatchReport:
    """One watcher pass in one retried write transaction."""
    return cli.store().run_write(
        lambda session: monitor.watch_once(
            session, utcnow(), rules=config.rules, backlog=config.backlog, watcher=login
        )
    )


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
        f"{len(report.escalations):,} escalations, {report.notifications:,} notifications"
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


@sla_app.command("watch")
def watch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit (for cron)")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="seconds between passes")
    ] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Record SLA warnings (75 %) and breaches (100 %) once, notify, auto-escalate.

    Auto-escalation rules come from [[sla.auto_escalate]] in config.toml (see README,
    "SLA monitoring"). With --json and without --once, prints one JSON object per pass.
    """
    cli = state(ctx)
    config = monitor.load_watch_config(cli.settings.raw)
    login = cli.read(lambda _session, actor: actor.login)  # fail early if not an agent
    if once:
        _print_report(_pass(cli, config, login), as_json, stream=False)
        return
    stop = threading.Event()

    def _on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()  # finish the pass in progress, then leave the loop

    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        while not stop.is_set():
            try:
                _print_report(_pass(cli, config, login), as_json, stream=True)
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
