"""`helpdesk demo` and `helpdesk import tickets`: bulk data from the shell."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlmodel import col

from helpdesk_tui.cli.common import CliState, echo, is_terminal, print_json, state, stdout
from helpdesk_tui.cli.knowledge import library_dir
from helpdesk_tui.errors import HelpdeskError, UsageError
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.demo_kb import load_demo_articles
from helpdesk_tui.services.identity import current_identity
from helpdesk_tui.services.setup import (
    initialise_desk,
    load_library_if_empty,
    refuse_foreign_sqlite,
)
from helpdesk_tui.services.sop_files import load_library
from helpdesk_tui.store import migrate
from helpdesk_tui.store.models import Ticket
from helpdesk_tui.text import sanitize_line

#: Bad rows printed by `import tickets` before "... and K more".
SHOW_PROBLEMS = 20
#: The biggest demo desk (10 million tickets take about ten minutes here).
MAX_DEMO_TICKETS = 10_000_000
#: Files at least this big get a progress bar on a terminal.
BAR_FROM_BYTES = 2_000_000

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

import_app = typer.Typer(help="Bring data in from other tools.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the data commands to the root app."""
    app.command("demo")(demo)
    app.add_typer(import_app, name="import")


@contextmanager
def _bar(show: bool, label: str, total: int) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on a terminal, as a `progress(stage, done, total)` callback."""
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stdout(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(stage: str, done: int, of: int) -> None:
            bar.update(task, description=stage, completed=done, total=of)

        yield update


def _acting(cli: CliState) -> Actor:
    with cli.store().read() as session:
        return cli.actor(session)


def demo(
    ctx: typer.Context,
    tickets: Annotated[
        int, typer.Option("--tickets", "-n", min=0, max=MAX_DEMO_TICKETS, help="tickets to make")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="same seed, same desk (for a fixed clock)")] = 0,
    append: Annotated[
        bool, typer.Option("--append", help="add to a desk that has tickets")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fill the database with a realistic synthetic desk (creating the database if needed).

    Refuses (exit 1) when the desk already has tickets, unless --append. Needs the
    permission demo.generate (admins have it; a new database makes you its admin).
    """
    from helpdesk_tui.services.demo import generate_demo

    cli = state(ctx)
    store = cli.store(check=False)
    folder = library_dir(cli.settings)
    refuse_foreign_sqlite(store)  # before anything opens (and so changes) the file
    sops = 0
    if store.missing_file() is not None or migrate.current_revision(store) is None:
        who = current_identity()
        sops = initialise_desk(
            store, who.login, who.name, cli.settings.timezone, sops=lambda: load_library(folder)
        ).sops_loaded
    actor = _acting(cli)
    actor.require("demo.generate")
    with store.read() as session:
        has_tickets = session.scalar(sa.select(col(Ticket.id)).limit(1)) is not None
    if has_tickets and not append:
        raise HelpdeskError(
            f"{store.describe()} already has tickets; use --append to add demo tickets to them"
        )
    with _bar(is_terminal() and not as_json, "tickets", tickets) as bar:
        progress = None if bar is None else (lambda done: bar("tickets", done, tickets))
        summary = generate_demo(store, tickets=tickets, seed=seed, progress=progress, actor=actor)
    more_sops, articles = store.run_write(
        lambda session: (
            load_library_if_empty(session, actor, lambda: load_library(folder)),
            load_demo_articles(session, actor),
        )
    )
    sops += more_sops
    if as_json:
        print_json(summary.to_dict() | {"sops_loaded": sops, "kb_articles_loaded": articles})
        return
    rate = summary.tickets / summary.seconds if summary.seconds else 0.0
    echo(
        f"demo desk: {summary.tickets:,} tickets, {summary.requesters:,} requesters, "
        f"{summary.agents} agents, {summary.interactions:,} log entries in "
        f"{summary.seconds:.1f} s ({rate:,.0f} tickets/s)"
    )
    if sops or articles:
        echo(f"loaded {sops} SOPs and {articles} published knowledge articles")


def _mapping(values: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        column, sep, target = value.partition("=")
        if not sep or not column.strip():
            raise UsageError(f"--map wants column=field, got {value!r}")
        mapping[column.strip()] = target.strip()
    return mapping


@import_app.command("tickets")
def import_tickets_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="a .csv (header row) or .jsonl file")
    ],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="COLUMN=FIELD",
            help="rename a column to a field, repeatable; COLUMN=ignore drops it",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="any bad row: import nothing")] = False,
    create_categories: Annotated[
        bool, typer.Option("--create-categories", help="add unknown categories to the desk")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import ticket history from CSV or JSONL, all good rows in one transaction.

    Columns named like ticket fields need no options: id, title, body, text, category,
    priority, status, kind, channel, requester, created_at, first_response_at,
    resolved_at, closed_at, assignee, impact_scope, affected_users, affected_system,
    error_codes (the id also as ticket_id, number, issue_key, reference, ...); others
    are ignored and listed. A row without a status is imported as closed.

    Importing a file again is safe: a row whose ticket is already on the desk (same id,
    or for a row without an id the same content) is skipped, not updated, and counted
    as "already imported".

    Bad rows are printed on stderr as `row N: problem` (the CSV header is row 1).
    Exit status: 0 when tickets landed, even if bad rows were left out (they are listed),
    or when nothing was bad; 1 when there were bad rows and nothing landed, or when
    --strict refused the file because of them (then nothing is imported).
    """
    from helpdesk_tui.services.importer import import_tickets

    cli = state(ctx)
    mapping = _mapping(map_ or [])
    actor = _acting(cli)
    size = file.stat().st_size if file.is_file() else 0
    show = is_terminal() and not as_json and size >= BAR_FROM_BYTES
    with _bar(show, "reading", size) as bar:
        report = import_tickets(
            cli.store(),
            actor,
            file,
            mapping=mapping,
            strict=strict,
            create_categories=create_categories,
            progress=bar,
        )
    if as_json:
        print_json(report.to_dict())
    else:
        extras = [f"{report.duplicates:,} already imported, skipped"] if report.duplicates else []
        if report.problems:
            extras.append(f"{len(report.problems):,} bad rows left out")
        if report.created_categories:
            extras.append("new categories: " + ", ".join(report.created_categories))
        if report.ignored_columns:
            names = (sanitize_line(name, 40) for name in report.ignored_columns)
            extras.append("ignored columns: " + ", ".join(names))
        detail = f" ({'; '.join(extras)})" if extras else ""
        echo(f"imported {report.imported:,} tickets from {file.name}{detail}")
        for problem in report.problems[:SHOW_PROBLEMS]:
            echo(str(problem), err=True)
        if len(report.problems) > SHOW_PROBLEMS:
            echo(f"... and {len(report.problems) - SHOW_PROBLEMS:,} more", err=True)
    if report.problems and not report.imported:
        raise typer.Exit(1)
