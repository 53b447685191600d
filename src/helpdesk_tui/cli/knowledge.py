"""`helpdesk sop ...` and `helpdesk kb ...`: the SOP library and the knowledge base."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from helpdesk_tui.cli.common import echo, print_json, print_records, state, stdout
from helpdesk_tui.cli.inputs import read_stdin
from helpdesk_tui.config import Settings
from helpdesk_tui.errors import HelpdeskError, UsageError
from helpdesk_tui.services import kb, kb_files, sop
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.sop_files import lint_library, shipped_sop_dir
from helpdesk_tui.services.tickets import active_categories
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES
from helpdesk_tui.text import plain

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
DirOpt = Annotated[
    Path | None, typer.Option("--dir", help="SOP folder (default: the shipped library)")
]

sop_app = typer.Typer(help="The SOP library (Markdown files in sop/).", no_args_is_help=True)
kb_app = typer.Typer(help="The knowledge base.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `sop` and `kb` to the root app."""
    app.add_typer(sop_app, name="sop")
    app.add_typer(kb_app, name="kb")


def sop_dir(ctx: typer.Context, given: Path | None) -> Path:
    """The SOP folder: --dir, else `[desk] sop_dir` in config, else the shipped library."""
    return given if given is not None else library_dir(state(ctx).settings)


def library_dir(settings: Settings) -> Path:
    """The desk's SOP folder: `[desk] sop_dir` in config, else the shipped library."""
    return settings.sop_dir or shipped_sop_dir()


@sop_app.command("lint")
def sop_lint(ctx: typer.Context, directory: DirOpt = None) -> None:
    """Check every SOP file; print problems as file:line: message (exit 1 if any)."""
    folder = sop_dir(ctx, directory)
    categories: list[str] = list(DEFAULT_CATEGORIES)
    # No desk (or no readable one) yet: lint against the default categories.
    with suppress(HelpdeskError, DBAPIError), state(ctx).store().read() as session:
        categories = active_categories(session)
    problems = lint_library(folder, categories)
    for problem in problems:
        echo(str(problem), err=True)
    if problems:
        raise typer.Exit(1)
    echo(f"{len(list(folder.glob('*.md')))} SOPs in {folder}: no problems")


@sop_app.command("sync")
def sop_sync(ctx: typer.Context, directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Index the SOP files into the database (new, changed and removed files)."""
    folder = sop_dir(ctx, directory)
    report = state(ctx).write(lambda session, actor: sop.sync_sops(session, actor, folder))
    if as_json:
        print_json(report.to_dict())
        return
    echo(
        f"added {len(report.added)}, updated {len(report.updated)}, "
        f"retired {len(report.retired)}, unchanged {report.unchanged}"
    )


@sop_app.command("list")
def sop_list(
    ctx: typer.Context,
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """List the SOPs of the desk (`init` loads the library; `sop sync` after changes)."""
    rows = state(ctx).read(
        lambda session, actor: [v.to_dict() for v in sop.list_sops(session, category=category)]
    )
    print_records(rows, ["id", "category", "title", "version"], "json" if as_json else fmt)


@sop_app.command("show")
def sop_show(
    ctx: typer.Context,
    sop_id: Annotated[str, typer.Argument(help="SOP id")],
    as_json: JsonOpt = False,
) -> None:
    """Show one SOP with its steps and escalation criteria."""
    view = state(ctx).read(lambda session, actor: sop.get_sop(session, sop_id))
    if as_json:
        print_json(view.to_dict())
        return
    console = stdout()
    console.print(
        plain(f"{view.id} v{view.version}: {view.title} [{view.category}]", "bold", one_line=True)
    )
    for n, step in enumerate(view.steps, 1):
        console.print(plain(f"  {n:2}. [ ] {step}", one_line=True))
    if view.escalate_if:
        console.print("Escalate if:")
        for item in view.escalate_if:
            console.print(plain(f"  - {item}", one_line=True))


def _draft(
    title: str, body: str, category: str, tags: list[str] | None, language: str, visibility: str
) -> kb.ArticleDraft:
    if body == "-":
        body = read_stdin()
    return kb.ArticleDraft(
        title=title,
        body=body,
        category=category,
        tags=tags or [],
        language=language,
        visibility=visibility,
    )


@kb_app.command("new")
def kb_new(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", "-t", help="article title")],
    body: Annotated[str, typer.Option("--body", "-b", help="Markdown body, or - for stdin")],
    category: Annotated[str, typer.Option(help="category")] = "other",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="repeatable")] = None,
    language: Annotated[str, typer.Option(help="language tag, e.g. en, de")] = "en",
    visibility: Annotated[str, typer.Option(help="internal or public")] = "internal",
    translation_of: Annotated[int | None, typer.Option(help="article id this translates")] = None,
    from_ticket: Annotated[int | None, typer.Option(help="resolved ticket it came from")] = None,
    publish: Annotated[bool, typer.Option(help="publish at once (needs kb.publish)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a knowledge article (a draft unless --publish)."""
    draft = _draft(title, body, category, tag, language, visibility)

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        article = kb.create_article(
            session, actor, draft, translation_of=translation_of, source_ticket_id=from_ticket
        )
        if publish:
            kb.set_status(session, actor, article.id or 0, "published")
        return kb.article_dict(article)

    data = state(ctx).write(work)
    if as_json:
        print_json(data)
    else:
        echo(str(data["id"]))


@kb_app.command("list")
def kb_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="draft, published or retired")] = None,
    language: Annotated[str | None, typer.Option(help="language tag")] = None,
    search: Annotated[str, typer.Option("--search", "-s", help="full-text search")] = "",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """List articles, newest first."""
    if status is not None and status not in kb.STATUSES:
        raise UsageError(f"unknown article status {status!r}; valid: {', '.join(kb.STATUSES)}")
    rows = state(ctx).read(
        lambda session, actor: [
            kb.article_dict(a)
            for a in kb.list_articles(session, status=status, language=language, search=search)
        ]
    )
    print_records(
        rows, ["id", "status", "language", "category", "title", "uses"], "json" if as_json else fmt
    )


@kb_app.command("show")
def kb_show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="article id")],
    as_json: JsonOpt = False,
) -> None:
    """Show one article."""
    data = state(ctx).read(
        lambda session, actor: kb.article_dict(kb.get_article(session, article_id))
    )
    if as_json:
        print_json(data)
        return
    console = stdout()
    console.print(
        plain(
            f"#{data['id']} {data['title']} ({data['status']}, {data['language']})",
            "bold",
            one_line=True,
        )
    )
    console.print(
        f"feedback: {data['helpful']} helpful, {data['not_helpful']} not helpful; "
        f"used as a solution: {data['uses']}"
    )
    console.print(plain(data["body"]))


#: `kb feedback` verdicts and what they store (helpful = True).
FEEDBACK = {"helpful": True, "not-helpful": False}


@kb_app.command("feedback")
def kb_feedback(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="article id")],
    verdict: Annotated[str, typer.Argument(metavar="helpful|not-helpful", help="your verdict")],
    as_json: JsonOpt = False,
) -> None:
    """Mark an article helpful or not helpful (one vote per agent; a new one replaces it)."""
    if verdict not in FEEDBACK:
        raise UsageError(f"unknown verdict {verdict!r}; valid: {', '.join(FEEDBACK)}")
    data = state(ctx).write(
        lambda session, actor: kb.article_dict(
            kb.vote(session, actor, article_id, FEEDBACK[verdict])
        )
    )
    if as_json:
        print_json({key: data[key] for key in ("id", "title", "helpful", "not_helpful")})
        return
    echo(f"article #{article_id}: {data['helpful']} helpful, {data['not_helpful']} not helpful")


@kb_app.command("publish")
def kb_publish(
    ctx: typer.Context, article_id: Annotated[int, typer.Argument(help="article id")]
) -> None:
    """Publish a draft article."""
    state(ctx).write(lambda session, actor: kb.set_status(session, actor, article_id, "published"))
    echo(f"article #{article_id} published")


@kb_app.command("retire")
def kb_retire(
    ctx: typer.Context, article_id: Annotated[int, typer.Argument(help="article id")]
) -> None:
    """Retire an article (kept, no longer suggested)."""
    state(ctx).write(lambda session, actor: kb.set_status(session, actor, article_id, "retired"))
    echo(f"article #{article_id} retired")


@kb_app.command("export")
def kb_export(
    ctx: typer.Context, directory: Annotated[Path, typer.Argument(help="target folder")]
) -> None:
    """Write every article to a folder of Markdown files."""
    paths = state(ctx).read(
        lambda session, actor: kb_files.export_folder(session, actor, directory)
    )
    echo(f"{len(paths)} articles written to {directory}")


@kb_app.command("import")
def kb_import(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="folder of .md files")],
    as_json: JsonOpt = False,
) -> None:
    """Create or update articles from a folder of Markdown files (all or nothing)."""
    report = state(ctx).write(
        lambda session, actor: kb_files.import_folder(session, actor, directory)
    )
    if as_json:
        print_json(report.to_dict())
    else:
        echo(f"created {len(report.created)}, updated {len(report.updated)}")
