"""`helpdesk triage`: suggested category and priority for a text, with the reasons."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
import typer
from typer.core import TyperGroup

from helpdesk_tui.cli.common import echo, print_json, state, stdout
from helpdesk_tui.cli.inputs import read_stdin
from helpdesk_tui.cli.ticket import load_rules
from helpdesk_tui.errors import HelpdeskError, UsageError
from helpdesk_tui.services.learning import load_active_model
from helpdesk_tui.services.tickets import active_categories
from helpdesk_tui.services.triage import Triage
from helpdesk_tui.services.triage_rules import RuleSet, TriageInput
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.migrate import check_schema
from helpdesk_tui.store.models import SopEntry
from helpdesk_tui.text import plain

if TYPE_CHECKING:
    from helpdesk_tui.services.matcher import Matcher


class TriageGroup(TyperGroup):
    """`helpdesk triage TEXT` runs the hidden `suggest` command; named subcommands still work."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["suggest", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=TriageGroup,
    help="Suggest category and priority for a ticket text (rules), with the reasons.",
)


def register(root: typer.Typer) -> None:
    """Add `triage` to the root app."""
    root.add_typer(app, name="triage")


def _desk(ctx: typer.Context) -> Store | None:
    """The desk's store if a database exists; triage also works without one."""
    try:
        store = state(ctx).store(check=False)
        check_schema(store)
    except Exception:  # no desk yet: rules and the shipped SOPs still work
        return None
    return store


def _engine(rules: RuleSet, store: Store | None) -> Triage:
    """Rules plus the desk's learned model when it has one (and numpy is installed)."""
    model = None
    if store is not None:
        with store.read() as session:
            try:
                model = load_active_model(session)
            except HelpdeskError as exc:  # e.g. without the [ml] extra: rules only, said so
                echo(f"helpdesk: learned model not used: {exc}", err=True)
    return Triage(rules, model)


def _knowledge(store: Store | None) -> Matcher:
    """SOPs and published articles from the desk, else the shipped SOP library."""
    # rapidfuzz loads only when suggestions are asked for (reports stay fast to start).
    from helpdesk_tui.services.matcher import Matcher
    from helpdesk_tui.services.sop_files import load_library, shipped_sop_dir
    from helpdesk_tui.services.suggestions import load_matcher

    if store is not None:
        with store.read() as session:
            if session.scalar(sa.select(sa.func.count()).select_from(SopEntry)):
                return load_matcher(session)
    return Matcher.from_sops(load_library(shipped_sop_dir()))


@app.command("suggest", hidden=True)
def suggest(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="ticket text, or - for standard input")] = None,
    vip: Annotated[bool, typer.Option(help="the requester is a VIP")] = False,
    affected_users: Annotated[int | None, typer.Option(help="number of affected users")] = None,
    system: Annotated[str | None, typer.Option("--system", help="affected system")] = None,
    impact_scope: Annotated[str | None, typer.Option(help="one_user ... organisation")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    batch: Annotated[
        Path | None,
        typer.Option("--batch", help="CSV with a text (and id) column: id,category,confidence out"),
    ] = None,
) -> None:
    """Suggest category and priority for TEXT (or standard input with -)."""
    if batch is not None:
        from helpdesk_tui.cli.learning import batch as run_batch

        run_batch(ctx, batch)
        return
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise UsageError("give the ticket text as an argument, or - to read standard input")
        text = read_stdin()
    if not text.strip():
        raise UsageError("no text to triage")
    rules = load_rules(ctx)
    store = _desk(ctx)
    categories = list(DEFAULT_CATEGORIES)
    if store is not None:
        with store.read() as session:
            categories = active_categories(session)
    title, _, body = text.strip().partition("\n")
    engine = _engine(rules, store)
    advice = engine.evaluate(
        TriageInput(
            title=title,
            body=body,
            vip=vip,
            affected_users=affected_users,
            affected_system=system,
            impact_scope=impact_scope,
        ),
        categories,
    )
    data: dict[str, Any] = advice.to_dict()
    matches = _knowledge(store).match(text, limit=6)
    data["sops"] = [m.to_dict() for m in matches if m.kind == "sop"][:3]
    data["kb"] = [m.to_dict() for m in matches if m.kind == "kb"][:3]
    if as_json:
        print_json(data)
        return
    console = stdout()
    confidence = f" ({data['confidence']:.0%}, {data['source']})" if data["category"] else ""
    low = "  LOW CONFIDENCE: check it" if data["low_confidence"] else ""
    console.print(f"category  {data['category'] or '(none: nothing matched)'}{confidence}{low}")
    console.print(
        f"priority  {data['priority']} (impact {data['impact']}, urgency {data['urgency']})"
    )
    for reason in data["reasons"]:
        console.print(plain(f"  - {reason['rule']}: {reason['text']}", one_line=True))
    for label, key in (("SOPs", "sops"), ("articles", "kb")):
        if data[key]:
            console.print(label)
        for match in data[key]:
            matched = ", ".join(match["matched"])
            line = f"  {match['score']:5.1f}  {match['id']}: {match['title']} ({matched})"
            console.print(plain(line, one_line=True))
