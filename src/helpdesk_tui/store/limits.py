"""What a column can hold, checked the same way on SQLite and PostgreSQL (one place).

SQLite stores a 5,000-character title in a VARCHAR(300) and any 64-bit integer in an
INTEGER; PostgreSQL refuses the first ("value too long") and anything past 2^31 - 1 in an
INTEGER ("integer out of range"), and refuses a NUL character in any text; neither can
encode a lone surrogate (what a non-UTF-8 byte in a command-line argument becomes). So a
value one backend takes and the other refuses with a database error is checked here,
from the models' own column types, before it reaches either: the user gets the same
one-line usage error (exit 2) everywhere.

Every ORM write goes through `check_flush` (installed on the store's sessions), so no
service has to remember it; Core statements that write user input call `check_values`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session, UOWTransaction

from helpdesk_tui.errors import UsageError

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "check_flush",
    "check_text",
    "check_values",
    "column_limit",
    "storable",
]

#: The largest value of an INTEGER column on PostgreSQL (`int4`); SQLite's is INT64_MAX.
INT32_MAX: Final = 2**31 - 1
#: The largest value of a BIGINT column (and of any SQLite INTEGER).
INT64_MAX: Final = 2**63 - 1

#: Characters no backend stores as text: NUL (PostgreSQL) and lone surrogates (neither
#: can encode them as UTF-8).
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """True when every backend can store `text` (no NUL, no lone surrogate).

    Fast for the common case: plain ASCII without NUL needs no regular expression.
    """
    if text.isascii() and "\x00" not in text:
        return True
    return _UNSTORABLE.search(text) is None


def _label(table: str, column: str) -> str:
    return f"{table} {column}".replace("_", " ")


def check_text(label: str, value: str, max_length: int | None = None) -> str:
    """`value` if every backend can store it under `max_length`; else a UsageError.

    `label` names the field in the message ("ticket title").
    """
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        if bad.group(0) == "\x00":
            raise UsageError(f"{label} contains a NUL character, which cannot be stored")
        raise UsageError(
            f"{label} contains U+{ord(bad.group(0)):04X}, which is not text "
            "(a lone surrogate: a byte that was not UTF-8, or a broken \\u escape)"
        )
    if max_length is not None and len(value) > max_length:
        raise UsageError(f"{label} is too long: {len(value):,} characters (at most {max_length:,})")
    return value


def _check_number(label: str, value: int | float, bounds: tuple[int, int] | None) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{label} must be a finite number, not {value}")
    if bounds is not None and value > bounds[1]:
        raise UsageError(f"{label} {value:,} is out of range (at most {bounds[1]:,})")
    if bounds is not None and value < bounds[0]:
        raise UsageError(f"{label} {value:,} is out of range (at least {bounds[0]:,})")


def _int_bounds(column_type: sa.types.TypeEngine[Any]) -> tuple[int, int] | None:
    if isinstance(column_type, sa.BigInteger):
        return (-INT64_MAX - 1, INT64_MAX)
    if isinstance(column_type, sa.SmallInteger):
        return (-(2**15), 2**15 - 1)
    if isinstance(column_type, sa.Integer):
        return (-INT32_MAX - 1, INT32_MAX)
    return None


def column_limit(table: sa.Table, column: str) -> int | None:
    """The max_length of a string column of `table` (None: unbounded or not a string)."""
    length = getattr(table.c[column].type, "length", None)
    return length if isinstance(length, int) else None


def _check_value(table: str, column: sa.Column[Any], value: Any) -> None:
    if value is None or isinstance(value, bool):
        return
    label = _label(table, column.name)
    if isinstance(value, str):
        check_text(label, value, getattr(column.type, "length", None))
    elif isinstance(value, int | float):
        _check_number(label, value, _int_bounds(column.type))


def check_values(table: sa.Table, values: Mapping[str, Any]) -> None:
    """Check the values of a Core INSERT/UPDATE of `table` (column name -> value)."""
    for name, value in values.items():
        column = table.c.get(name)
        if column is not None and not isinstance(value, sa.ClauseElement):
            _check_value(table.name, column, value)


def _changed(obj: Any, new: bool) -> Iterable[tuple[sa.Table, sa.Column[Any], Any]]:
    """(table, column, value) of what a flush would write for `obj`."""
    state = sa.inspect(obj)
    mapper = state.mapper
    for attr in mapper.column_attrs:
        if not new and not state.attrs[attr.key].history.has_changes():
            continue  # a value already stored is not this change's to refuse
        value = state.dict.get(attr.key)
        for column in attr.columns:
            if isinstance(column, sa.Column) and isinstance(column.table, sa.Table):
                yield column.table, column, value


def check_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """`before_flush` hook: refuse new or changed values some backend cannot store."""
    for new, objects in ((True, session.new), (False, session.dirty)):
        for obj in objects:
            for table, column, value in _changed(obj, new):
                if not isinstance(value, sa.ClauseElement):
                    _check_value(table.name, column, value)
