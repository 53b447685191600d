"""Root of the CLI: global options, error handling, command groups.

User errors (`HelpdeskError`) become one line on stderr and their exit code; database
trouble (locked, unreadable) and file-system errors become a clear message too, and so
do click's usage errors (click prints four lines: usage, hint, blank, error). Nothing the
user can cause ends in a traceback: anything else that escapes is a bug, reported as one
line that says so (`HELPDESK_DEBUG=1` shows the traceback).

`helpdesk` alone opens the TUI, and the agent waits for it: then only the root group is
built, without importing the command modules and converting their commands for click
(~0.15 s of a ~1 s launch). Any other invocation builds the full `app`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError

# typer vendors click; NoArgsIsHelpError carries the help text, shown as it is.
from typer._click.exceptions import NoArgsIsHelpError
from typer.core import TyperGroup

from helpdesk_tui import __version__
from helpdesk_tui.cli.common import echo
from helpdesk_tui.cli.entry import database_failure
from helpdesk_tui.cli.inputs import harden
from helpdesk_tui.cli.state import CliState
from helpdesk_tui.errors import HelpdeskError, one_line


def _fail(message: str, code: int) -> typer.Exit:
    """Print `helpdesk: message` as one harmless line on stderr; the Exit to raise."""
    echo(f"helpdesk: {one_line(message)}", err=True)
    return typer.Exit(code)


def _database_error(exc: DBAPIError) -> typer.Exit:
    failure = database_failure(exc)
    assert failure is not None
    return _fail(*failure)


def _usage_error(exc: typer.TyperException) -> typer.Exit:
    """Click's usage error (wrong option, bad value) as one line with where to look.

    Its message quotes the command line ("No such command 'X'"): `_fail` prints it as
    harmlessly as our own messages.
    """
    ctx: typer.Context | None = getattr(exc, "ctx", None)
    message = exc.format_message()
    if ctx is not None:
        command = ctx.command_path.partition(" ")[2]
        hint = f" (see `{ctx.command_path} --help`)"
        message = f"{command}: {message}{hint}" if command else f"{message}{hint}"
    return _fail(message, exc.exit_code)


def _os_error(exc: OSError) -> typer.Exit:
    where = f"{exc.filename}: " if exc.filename else ""
    return _fail(f"{where}{exc.strerror or exc}", 1)


def _bug(exc: BaseException) -> typer.Exit:
    """One line for an exception nobody anticipated: a bug, said as such."""
    if os.environ.get("HELPDESK_DEBUG"):
        raise exc
    return _fail(
        f"internal error ({type(exc).__name__}: {exc}); this is a bug in helpdesk-tui, "
        "HELPDESK_DEBUG=1 shows where",
        1,
    )


class HelpdeskGroup(TyperGroup):
    """The root group: turns user errors into one-line messages and exit codes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        harden(self)  # input no command can use is refused while parsing (cli/inputs.py)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except NoArgsIsHelpError:
            raise  # the help text, as asked for
        except typer.TyperException as exc:  # a bad global option
            raise _usage_error(exc) from None

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, NoArgsIsHelpError):
            raise
        except HelpdeskError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except typer.TyperException as exc:  # click's usage errors of the subcommands
            raise _usage_error(exc) from None
        except DBAPIError as exc:
            raise _database_error(exc) from None
        except KeyboardInterrupt:
            raise _fail("interrupted", 130) from None
        except OSError as exc:
            raise _os_error(exc) from None
        except Exception as exc:
            raise _bug(exc) from None
        finally:
            obj = ctx.obj
            if isinstance(obj, CliState):
                obj.close()


def _root_app() -> typer.Typer:
    """The root group with its global options, no commands yet."""
    root_app = typer.Typer(
        cls=HelpdeskGroup,
        help="A keyboard-first terminal service desk. Without a command, opens the TUI.",
        no_args_is_help=False,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    root_app.callback(invoke_without_command=True)(root)
    return root_app


def _version(value: bool) -> None:
    if value:
        echo(f"helpdesk-tui {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL or SQLite file (default: HELPDESK_DB, config)"),
    ] = None,
    as_login: Annotated[
        str | None, typer.Option("--as", help="act as another agent (admins only, audited)")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """Open the TUI, or run a command."""
    ctx.obj = CliState(
        db=db, as_login=as_login, warn=lambda line: echo(f"helpdesk: warning: {line}", err=True)
    )
    if ctx.invoked_subcommand is None:
        from helpdesk_tui.cli.tui import run_tui

        run_tui(ctx.obj)


def build_app() -> typer.Typer:
    """The whole CLI: the root group and every command group."""
    from helpdesk_tui.cli import (
        admin,
        data,
        escalation,
        knowledge,
        learning,
        monitor,
        policy,
        secret,
        survey,
        ticket,
        triage,
    )

    full = _root_app()
    admin.register(full)
    data.register(full)
    full.add_typer(ticket.app, name="ticket")
    triage.register(full)
    knowledge.register(full)
    learning.register(full)
    escalation.register(full)
    monitor.register(full)
    policy.register(full)
    survey.register(full)
    secret.register(full)
    return full


#: Global options that take a value (the next argument is not a command).
_VALUE_OPTIONS = ("--db", "--as")
_VALUE_PREFIXES = tuple(f"{option}=" for option in _VALUE_OPTIONS)


def wants_command(argv: Sequence[str]) -> bool:
    """True unless `argv` is only global options (then `helpdesk` opens the TUI).

    Only decides which app to build; click still parses everything. `--help` counts as
    a command, since the help lists the commands.
    """
    args = iter(argv)
    for arg in args:
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif arg != "--version" and not arg.startswith(_VALUE_PREFIXES):
            return True
    return False


def __getattr__(name: str) -> typer.Typer:
    # `app` (the whole CLI, for tests and documentation tools) is built on first use.
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(name)


def main() -> None:
    """The full CLI (cli/entry.py opens the TUI itself when no command is given)."""
    import sys

    chosen = build_app() if wants_command(sys.argv[1:]) else _root_app()
    chosen(prog_name="helpdesk")
