"""The `helpdesk` console script: opens the TUI directly, or hands over to the full CLI.

`helpdesk` alone (with at most `--db` and `--as`) is what an agent runs every morning
and waits for, so it opens the TUI without importing typer, click or SQLAlchemy (the
launch budget of DESIGN §8); anything else, `--help` and `--version` included, goes to
the typer app in cli/main.py, which parses and explains everything properly.

Errors follow DESIGN §6 on both paths: one line on stderr and the error's exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from helpdesk_tui.errors import HelpdeskError, one_line

__all__ = ["database_failure", "main", "tui_options"]

_VALUE_OPTIONS = ("--db", "--as")


def main() -> None:
    """Console-script entry point."""
    options = tui_options(sys.argv[1:])
    if options is None:
        from helpdesk_tui.cli.main import main as full_cli

        full_cli()
        return
    sys.exit(open_tui(*options))


def tui_options(argv: Sequence[str]) -> tuple[str | None, str | None] | None:
    """(db, as_login) when `argv` only opens the TUI; None for anything else.

    Only plain `--db VALUE`, `--db=VALUE`, `--as VALUE` and `--as=VALUE` qualify; a
    missing value, a repeated option or any other word is left to click to parse.
    """
    values: dict[str, str] = {}
    args = iter(argv)
    for arg in args:
        name, sep, value = arg.partition("=")
        if name not in _VALUE_OPTIONS or name in values:
            return None
        if not sep:
            following = next(args, None)
            if following is None or following.startswith("-"):
                return None
            value = following
        values[name] = value
    return values.get("--db"), values.get("--as")


def open_tui(db: str | None, as_login: str | None) -> int:
    """Run the TUI; returns the exit code (user errors print one line on stderr)."""
    from helpdesk_tui.cli.state import CliState
    from helpdesk_tui.cli.tui import run_tui

    state = CliState(db=db, as_login=as_login, warn=lambda line: _say(f"warning: {line}"))
    try:
        run_tui(state)
    except HelpdeskError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        failure = database_failure(exc)
        if failure is None:
            raise
        return _fail(*failure)
    finally:
        state.close()
    return 0


def _fail(message: str, code: int) -> int:
    _say(message)
    return code


def _say(message: str) -> None:
    """One line on stderr. The message may quote outside text (a login, a path): through
    the one sanitiser, imported here so the TUI's launch does not pay for it."""
    from helpdesk_tui.text import sanitize_message

    print(sanitize_message(f"helpdesk: {message}"), file=sys.stderr)


def database_failure(exc: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit code for a database error; None for anything else."""
    if "sqlalchemy" not in sys.modules:
        return None  # no database was opened through SQLAlchemy, so this is not one
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    text = one_line(str(exc.orig) if exc.orig else str(exc))
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return "the database is locked by another process; try again", 1
    if "readonly" in lowered or "read-only" in lowered:
        return f"cannot write the database, it is read-only for this account ({text})", 1
    if "permission" in lowered:
        return f"cannot write the database: {text}", 1
    if "not a database" in lowered or "malformed" in lowered or "unable to open" in lowered:
        return f"cannot read the database: {text}", 1
    if "connection" in lowered or "could not connect" in lowered:
        return f"cannot connect to the database: {text}", 1
    return f"database error: {text}", 1
