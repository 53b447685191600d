"""The README's command table matches the CLI (issue 10: the table must not drift).

Every command in the "Main commands" table exists in the typer app with the options and
the number of arguments shown, and every top-level command of the app is in the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from helpdesk_tui.cli import app

README = Path(__file__).parents[1] / "README.md"
ROOT = typer.main.get_command(app)


def table_cells() -> list[str]:
    """The first cell of each row of the "Main commands" table, pipes unescaped."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Main commands", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "no command table under '## Main commands'"
    return [re.split(r"(?<!\\)\|", row)[1].replace("\\|", "|") for row in rows]


@dataclass
class Usage:
    """One command as the table shows it: words after `helpdesk`."""

    cell: str
    words: list[str]
    continued: bool = False  # options added to the command before (arguments not shown)


def usages() -> Iterator[Usage]:
    """Each code span of the table's first column; a span that starts with an option
    continues the command before it (`... --to GROUP` / `--to-supervisor`)."""
    for cell in table_cells():
        previous: list[str] = []
        for span in re.findall(r"`([^`]+)`", cell):
            words = span.split()
            if words[0] == "helpdesk":
                words = words[1:]
            continued = bool(words and words[0].startswith("-") and previous)
            if continued:
                words = previous + words
            previous = [w for w in words if not w.startswith(("-", "["))][:2]
            yield Usage(cell, words, continued)


def _options(command: Any) -> dict[str, Any]:
    """The options a command shows (hidden ones are not for the README)."""
    return {
        name: p
        for p in command.params
        if not getattr(p, "hidden", False)
        for name in (*p.opts, *p.secondary_opts)
    }


GLOBAL = _options(ROOT)


def _default_of(group: Any) -> Any | None:
    """The hidden command a group runs for words it does not know (`triage TEXT`)."""
    hidden = [c for c in group.commands.values() if c.hidden]
    return hidden[0] if len(hidden) == 1 else None


def check(usage: Usage) -> None:
    command = ROOT
    words = [w.strip("[]") for w in usage.words]
    words = [w for w in words if w and w not in ("...", "/")]
    while words and hasattr(command, "commands"):
        names = words[0].split("|")
        if all(name in command.commands for name in names):
            if len(names) > 1:  # `kb new|list|show`: each exists; nothing more to check
                return
            command = command.commands[words.pop(0)]
            continue
        default = _default_of(command)
        if default is None:
            if words[0].startswith("-") and words[0] in _options(command):
                break  # an option of the group itself (`notifications --unread`)
            raise AssertionError(f"{usage.cell}: no command {words[0]!r} under {command.name!r}")
        command = default
    options = {**GLOBAL, **_options(command)}
    positional = 0
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-"):
            positional += 1
            continue
        param = options.get(word.split("=")[0])
        assert param is not None, f"{usage.cell}: {command.name} has no option {word}"
        if not param.is_flag and "=" not in word and index < len(words):
            index += not words[index].startswith("-")  # skip its value
    if usage.continued:
        return
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    variadic = any(p.nargs == -1 for p in arguments)
    assert variadic or positional <= len(arguments), f"{usage.cell}: too many arguments"
    required = sum(1 for p in arguments if p.required)
    assert positional >= required, f"{usage.cell}: {command.name} needs {required} arguments"


@pytest.mark.parametrize("usage", list(usages()), ids=lambda u: " ".join(u.words) or "helpdesk")
def test_each_command_in_the_readme_exists_with_its_options(usage: Usage) -> None:
    check(usage)


def test_every_top_level_command_is_in_the_table() -> None:
    listed = {u.words[0].split("|")[0] for u in usages() if u.words}
    missing = sorted(
        name for name, command in ROOT.commands.items() if not command.hidden and name not in listed
    )
    assert missing == []


@pytest.mark.parametrize(
    "words",
    [
        ["user", "roles", "LOGIN", "--role", "R"],  # hidden: says "use user grant" and exits
        ["user", "rename", "LOGIN"],  # a command that does not exist
        ["kb", "feedback", "ID"],  # too few arguments
        ["ticket", "show", "ID", "EXTRA"],  # too many
        ["ticket", "list", "--formats", "csv"],  # an option the command lacks
    ],
)
def test_the_checker_catches_drift(words: list[str]) -> None:
    with pytest.raises(AssertionError):
        check(Usage("test", words))
