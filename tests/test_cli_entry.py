"""The console script: `helpdesk` alone opens the TUI without building the whole CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk_tui.cli.entry import tui_options
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


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (None, None)),
        (["--db", "x.db"], ("x.db", None)),
        (["--db=x.db", "--as", "bob"], ("x.db", "bob")),
        (["--as=bob"], (None, "bob")),
        (["--db", "ticket"], ("ticket", None)),  # "ticket" is the value of --db here
        (["--db"], None),  # click explains the missing value
        (["--db", "--as", "bob"], None),
        (["--db", "a.db", "--db", "b.db"], None),
        (["--version"], None),
        (["--help"], None),
        (["ticket", "list"], None),
        (["--db", "x.db", "where"], None),
        (["--bogus"], None),
    ],
)
def test_tui_options_take_only_plain_global_options(
    argv: list[str], expected: tuple[str | None, str | None] | None
) -> None:
    assert tui_options(argv) == expected


def _helpdesk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "helpdesk"
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_opening_the_tui_on_no_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = _helpdesk("--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"helpdesk: no database at {tmp_path / 'none.db'}; run `helpdesk init` first"
    ]


def test_opening_the_tui_on_a_broken_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 200)
    result = _helpdesk("--db", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("helpdesk: cannot "), lines


def test_the_missing_value_goes_to_click(tmp_path: Path) -> None:
    result = _helpdesk("--db", cwd=tmp_path)
    assert result.returncode == 2 and "--db" in result.stderr
