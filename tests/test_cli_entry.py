"""The console script: `helpdesk` alone opens the TUI without building the whole CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpdesk_tui.cli.main import wants_command


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], False),
        (["--db", "x.db"], False),
        (["--db=x.db", "--as", "bob"], False),
        (["--db", "ticket"], False),  # "ticket" is the value of --db here
        (["--version"], False),
        (["ticket", "list"], True),
        (["--db", "x.db", "where"], True),
        (["--help"], True),
        (["--bogus"], True),  # let the full CLI report the unknown option
    ],
)
def test_wants_command(argv: list[str], expected: bool) -> None:
    assert wants_command(argv) is expected


def test_the_tui_path_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from helpdesk_tui.cli.main import _root_app\n"
        "_root_app()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('helpdesk_tui.cli.'))\n"
        "print(' '.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "helpdesk_tui.cli.ticket" not in out and "helpdesk_tui.cli.admin" not in out, out


def test_the_full_cli_is_there_for_commands() -> None:
    from helpdesk_tui.cli import app

    names = {info.name for info in app.registered_groups} | {
        c.name for c in app.registered_commands
    }
    assert {"ticket", "sla", "survey", "kb", "sop", "db"} <= names
