"""`helpdesk policy show|set|import`: the desk-wide settings in the database.

Closure days and the watcher's backlog window used to be read from each user's
config.toml; they are desk policy now, shown to every agent and changed by admins
(`config.manage`, audited). `policy import` moves an old config.toml's policy tables
(`[closure]`, `[sla]` with its rules, `[[survey.question]]`) into the database once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from helpdesk_tui.cli.common import echo, print_json, state
from helpdesk_tui.config import read_config_file
from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import desk_policy
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.policy_import import import_legacy_policy
from helpdesk_tui.text import sanitize

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

app = typer.Typer(
    help="Desk-wide policy: auto-close and reopen days, the SLA watcher's backlog window.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    """Add `policy` to the root app."""
    root.add_typer(app, name="policy")


@app.command("show")
def show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every setting with its value, its default, and who set it when."""

    def work(session: Session, actor: Actor) -> list[dict[str, object]]:
        actor.require("ticket.read")
        return desk_policy.policy_rows(session)

    rows = state(ctx).read(work)
    if as_json:
        print_json({str(row["setting"]): row for row in rows})
        return
    for row in rows:
        when = row["set_at"]
        origin = (
            f"set {when:%Y-%m-%d %H:%M} UTC by {sanitize(str(row['set_by']))}"
            if isinstance(when, datetime)
            else "never set"
        )
        echo(f"{row['setting']} = {row['value']:g}  (default {row['default']:g}, {origin})")
        echo(f"  {row['meaning']}")


@app.command("set")
def set_(
    ctx: typer.Context,
    auto_close_days: Annotated[
        int | None,
        typer.Option("--auto-close-days", help="close resolved tickets unconfirmed this long"),
    ] = None,
    reopen_days: Annotated[
        int | None,
        typer.Option("--reopen-days", help="after this, record a new ticket instead"),
    ] = None,
    backlog_hours: Annotated[
        float | None,
        typer.Option("--backlog-hours", help="older crossings are summarised to supervisors"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change desk policy (permission config.manage, audited)."""
    changes: dict[str, object] = {
        name: value
        for name, value in (
            ("auto_close_days", auto_close_days),
            ("reopen_days", reopen_days),
            ("backlog_hours", backlog_hours),
        )
        if value is not None
    }
    if not changes:
        raise UsageError(
            "nothing to change; give --auto-close-days, --reopen-days or --backlog-hours"
        )
    policy = state(ctx).write(
        lambda session, actor: desk_policy.set_policy(session, actor, changes)
    )
    if as_json:
        print_json(policy.to_dict())
        return
    echo(", ".join(f"{name} = {getattr(policy, name):g}" for name in changes))


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="an old config.toml (default: yours)", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move [closure], [sla] and [[survey.question]] of an old config.toml into the database.

    Permission config.manage (survey.manage for the questionnaire). Rules whose name the
    desk has already are kept. Afterwards, delete those tables from the file.
    """
    cli = state(ctx)
    path = file if file is not None else cli.settings.config_file
    try:
        missing = not path.exists()
    except OSError as exc:  # a directory on the way that this account cannot enter
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if missing:
        raise UsageError(f"{path}: no such file")
    raw = read_config_file(path)
    report = cli.write(lambda session, actor: import_legacy_policy(session, actor, raw))
    if as_json:
        print_json(report.to_dict())
        return
    for name, value in report.settings.items():
        echo(f"{name} = {value}")
    for name in report.rules_added:
        echo(f"rule {sanitize(name)!r} added")
    for name in report.rules_kept:
        echo(f"rule {sanitize(name)!r} kept: the desk has a rule of that name already")
    if report.questions is not None:
        echo(f"questionnaire: {', '.join(report.questions)}")
    echo(f"imported from {sanitize(str(path))}; now delete those tables from it")
