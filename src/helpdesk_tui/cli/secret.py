"""`helpdesk secret set|delete|list`: the account's passwords, in the keyring or a 0600 file.

A value never comes from the command line (`ps` shows arguments to every user): `set`
asks for it twice without echo at a terminal, or reads it from standard input
(`printf %s "$PW" | helpdesk secret set db`). `list` shows names and places, never
values. None of these needs the database: its password is one of the secrets.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from helpdesk_tui.cli.common import echo, print_json, print_records, state, stdout
from helpdesk_tui.errors import NotFound, UsageError
from helpdesk_tui.services.secrets import (
    SecretInfo,
    SecretStore,
    Source,
    check_name,
    check_value,
    env_var,
)
from helpdesk_tui.text import plain, sanitize_line

secret_app = typer.Typer(
    help="Passwords (database, mail) in the keyring, or HELPDESK_SECRET_<NAME> or a 0600 "
    "file where there is no keyring. Lookup order: env var, keyring, file.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="secret name, e.g. db (see [desk] db_secret)")]

_PLACES = {Source.ENV: "environment", Source.KEYRING: "keyring", Source.FILE: "file"}


def register(app: typer.Typer) -> None:
    """Add `secret` to the root app."""
    app.add_typer(secret_app, name="secret")


def _store(ctx: typer.Context) -> SecretStore:
    return SecretStore(state(ctx).settings.config_dir)


def _note(message: str) -> None:
    echo(f"helpdesk: {sanitize_line(message)}", err=True)


def read_value(name: str) -> str:
    """The secret's value: a hidden prompt, twice, at a terminal; else standard input
    (one trailing newline dropped)."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise UsageError("no value: pipe it on standard input or run at a terminal")
    if stdin.isatty():
        try:
            first = getpass.getpass(f"value of secret {name}: ")
            second = getpass.getpass("again: ")
        except EOFError:
            raise UsageError("no value given; nothing stored") from None
        if first != second:
            raise UsageError("the two values differ; nothing stored")
        return first
    text = stdin.read()
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


@secret_app.command("set")
def secret_set(
    ctx: typer.Context,
    name: NameArg,
    to_file: Annotated[
        bool,
        typer.Option("--file", help="keep it in the 0600 file even when a keyring exists"),
    ] = False,
) -> None:
    """Store a secret: asked without echo, or read from standard input; never an argument."""
    check_name(name)
    value = check_value(read_value(name))
    stored = _store(ctx).save(name, value, to_file=to_file)
    if stored.fallback:
        _note(stored.fallback)
    place = "the keyring" if stored.source is Source.KEYRING else "file"
    echo(f"secret {name} stored in {place} {sanitize_line(stored.location)}")
    if stored.shadowed_by:
        _note(
            f"the value in {stored.shadowed_by} still comes first; delete it there to use this one"
        )


@secret_app.command("delete")
def secret_delete(ctx: typer.Context, name: NameArg) -> None:
    """Remove a secret from the keyring and its file (exit 5 if neither has it)."""
    check_name(name)
    secrets = _store(ctx)
    in_env = bool(os.environ.get(env_var(name)))
    try:
        removed = secrets.delete(name)
    except NotFound as exc:
        if in_env:
            raise NotFound(
                f"{exc}; {env_var(name)} is set in the environment: unset it there"
            ) from None
        raise
    places = " and ".join(
        "the keyring" if source is Source.KEYRING else str(secrets.file_of(name))
        for source in removed
    )
    echo(f"secret {name} deleted from {sanitize_line(places)}")
    if in_env:
        _note(f"{env_var(name)} is still set in the environment; unset it there")


@secret_app.command("list")
def secret_list(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Names of the stored secrets and where each is kept; never their values."""
    settings = state(ctx).settings
    infos = _store(ctx).listing(known=(settings.db_secret,))
    if as_json or fmt == "json":
        print_json([info.to_dict() for info in infos])
        return
    if fmt == "csv":
        records = [
            {
                "name": info.name,
                "used": info.used.value if info.used else "",
                "stored": " ".join(source.value for source in info.stored),
                "location": info.location,
                "problem": info.problem,
            }
            for info in infos
        ]
        print_records(records, ["name", "used", "stored", "location", "problem"], fmt)
        return
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r}; valid: table, csv, json")
    _print_table(infos)


def _print_table(infos: list[SecretInfo]) -> None:
    """Short columns stay whole; a long path or problem wraps instead of vanishing."""
    if not infos:
        echo("no secrets stored")
        return
    table = Table(show_edge=False, header_style="bold", expand=False)
    for column in ("name", "used", "stored in"):
        table.add_column(column, no_wrap=True)
    table.add_column("location / problem", overflow="fold")
    for info in infos:
        table.add_row(
            plain(info.name),
            plain(_PLACES[info.used] if info.used else "refused"),
            plain(", ".join(_PLACES[source] for source in info.stored)),
            plain(info.problem or info.location),
        )
    stdout().print(table)
