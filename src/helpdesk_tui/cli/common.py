"""What every command shares: settings, the store, the acting agent, output helpers.

Every byte the CLI writes goes out through the helpers here (a test holds the command
modules to it), and each passes outside text through the one sanitiser (text.py):
- `echo`: a line we wrote around outside values (confirmations, errors): one line, every
  control made visible;
- `stdout()`: a Rich console for tables and pages that sanitises every string it renders
  and never reads markup or emoji codes in it;
- `write_csv` / `print_records(..., "csv")`: the data (newlines and tabs inside quoted
  cells), control and bidi characters as visible stand-ins, formula starts neutralised;
- `print_json`: lossless, with every terminal-unsafe code point as a `\\uXXXX` escape.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import typer
from rich.console import Console, HighlighterType, JustifyMethod, OverflowMethod
from rich.style import Style
from rich.table import Table
from rich.text import Text

from helpdesk_tui.cli.state import CliState as CliState
from helpdesk_tui.errors import UsageError
from helpdesk_tui.text import (
    escape_for_json,
    plain,
    sanitize,
    sanitize_data,
    sanitize_message,
    spreadsheet_safe,
)

T = TypeVar("T")

#: Output formats of commands that print records.
FORMATS = ("table", "csv", "json")


def state(ctx: typer.Context) -> CliState:
    """The CliState the root callback stored on the click context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def echo(message: object = "", *, err: bool = False) -> None:
    """Print one line of ours that may quote outside values (a confirmation, an error).

    The whole line passes `sanitize_message`: an escape sequence or a line break in a
    login, a category or a title comes out as a visible stand-in.
    """
    typer.echo(sanitize_message(message), err=err)


class _SafeConsole(Console):
    """A console that sanitises every string it renders (Rich passes ESC, OSC, C1 through)."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        """Sanitised plain `Text`: outside text is never markup, emoji codes or escapes."""
        return super().render_str(
            sanitize(text),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=False,
            markup=False,
            highlight=False,
            highlighter=highlighter,
        )


def stdout() -> Console:
    """A console on stdout that never interprets markup and sanitises what it prints.

    Strings are sanitised as they are rendered; build `Text` only with `text.plain`.
    """
    return _SafeConsole(markup=False, emoji=False, highlight=False, soft_wrap=False)


def print_json(data: Any, *, line: bool = False) -> None:
    """Print JSON with stable keys; readable non-ASCII, terminal-unsafe code points escaped.

    `line` prints one compact object with sorted keys (JSON Lines for a stream).
    """
    if line:
        text = json.dumps(data, default=_json_default, ensure_ascii=False, sort_keys=True)
    else:
        text = json.dumps(data, indent=2, default=_json_default, ensure_ascii=False)
    typer.echo(escape_for_json(text))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def csv_cell(value: Any) -> str:
    """One CSV cell: outside text through `sanitize_data`, formula starts neutralised.

    Numbers the program computed (int, float) go out as numbers: a negative count is
    not an injection, and a spreadsheet must still read it as a number.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return spreadsheet_safe(sanitize_data(_cell(value)))


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write an RFC 4180 CSV (CRLF rows; quoted cells may hold newlines) to stdout."""
    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    writer.writerow([csv_cell(column) for column in columns])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])


def print_records(
    records: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    title: str | None = None,
) -> None:
    """Print records as a table (sanitised plain text), CSV or JSON."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    if fmt == "json":
        print_json(list(records))
        return
    if fmt == "csv":
        write_csv(columns, ([record.get(c) for c in columns] for record in records))
        return
    table = Table(title=title, show_edge=False, header_style="bold", expand=True)
    for column in columns:
        wide = column in ("title", "name", "text")
        table.add_column(
            column,
            no_wrap=True,
            overflow="ellipsis",
            ratio=1 if wide else None,
            min_width=20 if wide else None,
        )
    for record in records:
        table.add_row(*(plain(_cell(record.get(c)), one_line=True) for c in columns))
    stdout().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def parse_when(value: str | None, what: str = "time") -> datetime | None:
    """An ISO date/time from the command line; naive means local time. One-line error."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{what}: not an ISO date/time: {value!r} (e.g. 2026-11-29T09:30)"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()


def is_terminal() -> bool:
    """True when stdout is a terminal (progress bars only then)."""
    return sys.stdout.isatty()
