"""config.toml and triage_rules.toml: one line naming the file, the key and the expectation.

Issue 11 item 10: `desk = 5`, `[desk] db = 5`, config.toml being a directory and a
malformed triage_rules.toml each ended in a traceback, in the CLI and the TUI alike. The
schema (pydantic, `config_schema`) is the one judge; the TUI's launch path reads the
few values it needs without importing it (`Settings.load_for_launch`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.cli.entry import open_tui
from helpdesk_tui.config import Settings
from helpdesk_tui.errors import UsageError


def config_dir() -> Path:
    folder = Path(os.environ["HELPDESK_CONFIG_DIR"])  # per test, from conftest
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_config(text: str) -> Path:
    path = config_dir() / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


#: (config.toml text, what the one-line message says after "FILE: ").
BAD_CONFIGS = [
    ("desk = 5", "desk: expected a table [desk], got 5 (a number)"),
    (
        "[desk]\ndb = 5",
        "[desk] db: expected a SQLAlchemy URL or an SQLite file path (text), got 5 (a number)",
    ),
    ('[desk]\ndb = ""', "[desk] db: expected a SQLAlchemy URL or an SQLite file path"),
    (
        '[desk]\ntimezone = "Mars/Base"',
        "[desk] timezone: expected an IANA time zone name such as 'Europe/Berlin' (text), "
        "got 'Mars/Base' (text)",
    ),
    ('[desk]\ndbb = "x.db"', "[desk] dbb: unknown key; valid here: db, timezone, sop_dir"),
    ("colour = 1", "colour: unknown key; valid here: desk, ui, keymap"),
    ('[ui]\nmouse = "yes"', "[ui] mouse: expected true or false"),
    ("[keymap]\nquit = 5", "[keymap] quit: expected a key or comma-separated keys"),
    ('keymap = ["q"]', "keymap: expected a table [keymap] of binding id = key(s), got ['q']"),
    ("[desk\ndb = 1", "invalid TOML: "),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_is_one_line_with_file_key_and_expectation(text: str, message: str) -> None:
    path = write_config(text)
    with pytest.raises(UsageError) as caught:
        Settings.load()
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_in_the_cli_is_exit_2(text: str, message: str) -> None:
    path = write_config(text)
    code, out, err = run("ticket", "list")
    assert code == 2 and out == ""
    assert err.startswith(f"helpdesk: {path}: {message}") and err.count("\n") == 1


def test_config_that_is_a_directory_or_not_text() -> None:
    folder = config_dir() / "config.toml"
    folder.mkdir()
    code, _, err = run("where")
    assert code == 2
    assert err == f"helpdesk: {folder}: is a directory; expected the config file (TOML text)\n"
    folder.rmdir()
    folder.write_bytes(b"[desk]\ndb = '\xff'\n")
    code, _, err = run("where")
    assert code == 2 and err.count("\n") == 1 and "not UTF-8 text" in err


def test_a_good_config_is_typed() -> None:
    write_config(
        '[desk]\ndb = "/srv/desk.db"\ntimezone = "Europe/Berlin"\nsop_dir = "~/sops"\n'
        '[ui]\nmouse = false\n[keymap]\nquit = "ctrl+x"\n'
    )
    settings = Settings.load()
    assert settings.db_url == "sqlite:////srv/desk.db"
    assert settings.timezone == "Europe/Berlin" and settings.mouse is False
    assert settings.keymap == {"quit": "ctrl+x"}
    assert settings.sop_dir == Path("~/sops").expanduser()
    assert settings.checked and settings.notices() == []
    assert Settings.load("other.db").db_url.endswith("/other.db")  # --db wins


def test_moved_policy_tables_are_reported_not_applied() -> None:
    path = write_config("[closure]\nauto_close_days = 2\n[sla]\nbacklog_hours = 1\n")
    settings = Settings.load()
    assert settings.moved == ("sla", "closure")
    first, second = settings.notices()
    assert first.startswith(f"{path}: [sla] is no longer read: ")
    assert "`helpdesk sla rule add ...`" in first and "`helpdesk policy import`" in first
    assert "`helpdesk policy set --auto-close-days N --reopen-days N`" in second


def test_the_launch_reads_a_good_config_without_pydantic(tmp_path: Path) -> None:
    """The fast path of the TUI's launch: pydantic (~60 ms) only after the first frame."""
    write_config('[desk]\ndb = "x.db"\n[ui]\nmouse = false\n[keymap]\nquit = "ctrl+x"\n')
    code = (
        "import sys\n"
        "from helpdesk_tui.config import Settings\n"
        "s = Settings.load_for_launch()\n"
        "assert s.mouse is False and s.keymap == {'quit': 'ctrl+x'} and not s.checked\n"
        "print('pydantic' in sys.modules)\n"
        "s = s.check()\n"
        "print('pydantic' in sys.modules, s.checked)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True", "True"]


def test_the_launch_defers_only_what_it_does_not_read() -> None:
    write_config('[desk]\ndbb = "x"\n')  # every launch value is fine: checked later
    settings = Settings.load_for_launch()
    assert not settings.checked
    with pytest.raises(UsageError, match=r"\[desk\] dbb: unknown key"):
        settings.check()
    write_config("[desk]\ndb = 5\n")  # a launch value of the wrong type: checked at once
    with pytest.raises(UsageError, match=r"\[desk\] db: expected"):
        Settings.load_for_launch()


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS[:3])
def test_bad_config_when_opening_the_tui_is_exit_2(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The values the launch reads are checked before any frame is drawn."""
    path = write_config(text)
    assert open_tui(str(tmp_path / "desk.db"), None) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"helpdesk: {path}: {message}") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nid = 'x'\nany = 5\n", "rule 'x': 'any' must be a list of strings"),
        ("rule = 5\n", "'rule' must be an array of tables: write [[rule]], not [rule]"),
        ("[[rule]\n", "invalid TOML: "),
        (None, "cannot read rules file: Is a directory"),
    ],
)
def test_bad_triage_rules_are_one_line(text: str | None, message: str, tmp_path: Path) -> None:
    path = config_dir() / "triage_rules.toml"
    if text is None:
        path.mkdir()
    else:
        path.write_text(text, encoding="utf-8")
    db = str(tmp_path / "desk.db")
    assert run("--db", db, "init")[0] == 0
    code, out, err = run("--db", db, "triage", "printer is broken")
    assert code == 2 and out == ""
    assert err.startswith(f"helpdesk: {path}: {message}") and err.count("\n") == 1
