"""What every command shares: settings, the store, the acting agent, output helpers."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from helpdesk_tui.cli.state import CliState as CliState
from helpdesk_tui.errors import UsageError
from helpdesk_tui.text import plain

T = TypeVar("T")

#: Output formats of commands that print records.
FORMATS = ("table", "csv", "json")


def state(ctx: typer.Context) -> CliState:
    """The CliState the root callback stored on the click context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def stdout() -> Console:
    """A console on stdout that never interprets markup in what we print."""
    return Console(markup=False, highlight=False, soft_wrap=False)


#: Characters that must not reach a terminal raw even inside JSON strings: C1 controls
#: (0x9b acts as CSI on some terminals), bidi overrides, DEL. JSON allows \uXXXX for them.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def print_json(data: Any) -> None:
    """Print JSON with stable keys; readable non-ASCII, but terminal-unsafe code points escaped."""
    text = json.dumps(data, indent=2, default=_json_default, ensure_ascii=False)
    typer.echo(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


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
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow({c: _cell(record.get(c)) for c in columns})
        sys.stdout.write(buffer.getvalue())
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
