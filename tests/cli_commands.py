"""Every command of the typer app by its path, for the tests that must classify them all.

tests/test_cli_hostile_output.py and tests/test_cli_permissions.py each keep a table that
must name every command: a command added to the CLI fails them until someone puts it in.
"""

from __future__ import annotations

from typing import Any

import typer.main

from helpdesk_tui.cli import app


def cli_commands() -> dict[str, Any]:
    """Every command of the app by its path ("ticket list"), groups with a callback too."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None or (path and command.invoke_without_command):
            found[" ".join(path)] = command
        for name, sub in (subcommands or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found
