"""Command-line input no command can use, refused at the door with one line.

Click turns `99999999999999999999` into a Python int and `nan` into a float, and the
value then fails deep down (SQLite cannot bind an int past 64 bits, `round(nan)` raises);
a byte of an argument that is not UTF-8 arrives as a lone surrogate that no database can
store or even look up. Rather than each command guarding each value, `harden` walks the
whole command tree once, when the root group is built, and checks every int, float and
text parameter, so a command added later is covered without doing anything:

- a record id (`ticket_id`, `article_id`, `ids`, `--from-ticket` ...) beyond what an id
  column holds (2^31 - 1 on PostgreSQL) names no record: "no ticket #N", exit 5, the
  same as an id in range that does not exist, on SQLite and PostgreSQL alike;
- any other integer must fit in 64 bits (exit 2); a command with a tighter domain says
  so with `min`/`max` on its option, or its service checks it;
- a float must be finite: `nan` and `inf` are refused (exit 2);
- text must be text: no NUL, no byte that is not UTF-8 (exit 2). File paths are not
  text parameters and keep whatever bytes the file system allows.

`read_stdin` is the same door for `-` (read the value from standard input).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import typer

from helpdesk_tui.errors import NotFound, UsageError
from helpdesk_tui.store.limits import INT32_MAX, INT64_MAX, storable

__all__ = ["harden", "read_stdin", "record_noun"]

#: Parameters that are record ids without ending in `_id`, and the record they name.
_ID_PARAMETERS: Final = {
    "ids": "notification",
    "translation_of": "knowledge article",
    "from_ticket": "ticket",
}
#: Record names where the parameter's own name is not what the services call it.
_NOUNS: Final = {"article": "knowledge article", "item": "improvement item"}

Check = Callable[[Any], None]


def record_noun(param_name: str) -> str | None:
    """The record a parameter names by id ("ticket" for `ticket_id`), or None."""
    if param_name in _ID_PARAMETERS:
        return _ID_PARAMETERS[param_name]
    if param_name.endswith("_id"):
        stem = param_name.removesuffix("_id")
        return _NOUNS.get(stem, stem.replace("_", " "))
    return None


def _id_check(noun: str) -> Check:
    def check(value: int) -> None:
        if not -INT32_MAX - 1 <= value <= INT32_MAX:  # no id column holds it
            raise NotFound(f"no {noun} #{value}")

    return check


def _int_check(value: int) -> None:
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise typer.BadParameter(f"{value} is out of range (at most {INT64_MAX:,})")


def _float_check(value: float) -> None:
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")


def _text_check(value: str) -> None:
    if not storable(value):
        raise typer.BadParameter("is not UTF-8 text (it holds a NUL or a byte that is not UTF-8)")


def _check_for(param: Any) -> Check | None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or param.name is None:
        return None
    annotation = descriptor.annotation
    args = getattr(annotation, "__args__", ())
    item = args[0] if getattr(annotation, "__origin__", None) in (list, tuple) and args else None
    kind = item or annotation
    if kind is int:
        noun = record_noun(param.name)
        return _id_check(noun) if noun is not None else _int_check
    if kind is float:
        return _float_check
    if kind is str:
        return _text_check
    return None


def _add_check(param: Any, check: Check) -> None:
    """Run `check` on each value after click converted it, before the param's callback."""
    original = param.callback

    def callback(ctx: typer.Context, this: Any, value: Any) -> Any:
        values = value if isinstance(value, list | tuple) else [value]
        for one in values:
            if one is not None:
                check(one)
        return value if original is None else original(ctx, this, value)

    param.callback = callback


def harden(command: Any) -> None:
    """Add the input checks to every parameter of `command` and its subcommands."""
    for param in getattr(command, "params", ()):
        check = _check_for(param)
        if check is not None:
            _add_check(param, check)
    for sub in getattr(command, "commands", {}).values():
        harden(sub)


def read_stdin() -> str:
    """Standard input as text (for a `-` argument); not UTF-8 is a one-line usage error."""
    data = typer.get_binary_stream("stdin").read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"standard input is not UTF-8 text (byte {exc.start + 1:,})") from None
