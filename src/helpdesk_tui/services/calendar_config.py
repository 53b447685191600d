"""Calendars in their TOML and database form: `calendar_from_dict`, `calendar_to_dict`.

Config files and the `calendar` table spell weekdays, times and holidays loosely
("mon-fri", "24:00", "2024-12-25, 2024-12-26"); this reads them into a validated
`BusinessCalendar` (services/calendar.py) and writes one back in a form that reads
back equal. Every bad value is one `UsageError` naming the calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

from helpdesk_tui.errors import UsageError, invalid_choice
from helpdesk_tui.services.calendar import MIDNIGHT, BusinessCalendar

__all__ = ["calendar_from_dict", "calendar_to_dict"]

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DICT_KEYS = ("name", "timezone", "weekdays", "opens", "closes", "holidays")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def calendar_from_dict(data: Mapping[str, object]) -> BusinessCalendar:
    """Build a calendar from its TOML / database form; missing keys take the defaults.

    Keys: ``name``, ``timezone`` (IANA), ``weekdays`` (list of 0-6 or names such as
    ``"mon"``/``"monday"``, ranges such as ``"mon-fri"``, or one comma-separated string),
    ``opens``/``closes`` (``"08:00"``, ``"08:00:00"`` or a `time`; ``"24:00"`` is accepted
    for closes as midnight), ``holidays`` (list of ``"YYYY-MM-DD"`` or `date`, or one
    comma-separated string). Unknown keys and bad values raise `UsageError`.
    """
    unknown = sorted(set(data) - set(_DICT_KEYS))
    if unknown:
        raise invalid_choice("calendar key", unknown[0], _DICT_KEYS)
    name = data.get("name", "24x7")
    if not isinstance(name, str):
        raise UsageError(f"calendar name must be text, got {name!r}")
    label = f"calendar {name!r}"
    timezone = data.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise UsageError(f"{label}: time zone must be an IANA name, got {timezone!r}")
    return BusinessCalendar(
        name=name,
        timezone=timezone,
        weekdays=_parse_weekdays(data.get("weekdays", range(7)), label),
        opens=_parse_time(data.get("opens", MIDNIGHT), "opens", label),
        closes=_parse_time(data.get("closes", MIDNIGHT), "closes", label),
        holidays=_parse_holidays(data.get("holidays", ()), label),
    )


def calendar_to_dict(calendar: BusinessCalendar) -> dict[str, object]:
    """The TOML/JSON-friendly form `calendar_from_dict` reads back to an equal calendar.

    Weekdays are sorted numbers, times ``"HH:MM"`` (seconds only when present; midnight
    closing is ``"00:00"`` as the database stores it) and holidays sorted ISO dates.
    """
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "weekdays": sorted(calendar.weekdays),
        "opens": _format_time(calendar.opens),
        "closes": _format_time(calendar.closes),
        "holidays": [day.isoformat() for day in sorted(calendar.holidays)],
    }


def _format_time(value: time) -> str:
    if value.second == 0 and value.microsecond == 0:
        return value.isoformat(timespec="minutes")
    return value.isoformat()


def _split(value: object) -> list[object]:
    """A list from a list-like or a comma-separated string (the database form)."""
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        return list(value)
    raise UsageError(f"expected a list or a comma-separated string, got {value!r}")


def _weekday_index(token: str, label: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and 0 <= int(token) <= 6:
        return int(token)
    # "mon", "tues", "Monday": any prefix of a full name from three letters on.
    if len(token) >= 3:
        for index, full in enumerate(_FULL_NAMES):
            if full.startswith(token):
                return index
    raise UsageError(f"{label}: unknown weekday {token!r}; use 0-6 or mon, tue, ... sun")


def _parse_weekdays(value: object, label: str) -> frozenset[int]:
    days: set[int] = set()
    for item in _split(value):
        if isinstance(item, bool):
            raise UsageError(f"{label}: weekday {item!r} is not a day")
        if isinstance(item, int):
            if not 0 <= item <= 6:
                raise UsageError(f"{label}: weekday {item} is out of range 0 (Mon) .. 6 (Sun)")
            days.add(item)
        elif isinstance(item, str):
            first, sep, last = item.partition("-")
            if not sep:
                days.add(_weekday_index(first, label))
                continue
            # A range may wrap the week end: "fri-mon" is Friday to Monday.
            a, b = _weekday_index(first, label), _weekday_index(last, label)
            days.update((a + offset) % 7 for offset in range((b - a) % 7 + 1))
        else:
            raise UsageError(f"{label}: weekday {item!r} is not a day")
    return frozenset(days)


def _parse_time(value: object, what: str, label: str) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise UsageError(f"{label}: {what} must be a time like '08:00', got {value!r}")
    match = _TIME_RE.fullmatch(value.strip())
    if match is None:
        raise UsageError(f"{label}: {what} must be a time like '08:00', got {value!r}")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if what == "closes" and (hour, minute, second) == (24, 0, 0):
        return MIDNIGHT  # "24:00" reads better in a config file than "00:00"
    if hour > 23 or minute > 59 or second > 59:
        raise UsageError(f"{label}: {what} {value!r} is not a time of day")
    return time(hour, minute, second)


def _parse_holidays(value: object, label: str) -> frozenset[date]:
    days: set[date] = set()
    for item in _split(value):
        if isinstance(item, datetime):
            raise UsageError(f"{label}: holiday {item!r} must be a date without a time")
        if isinstance(item, date):
            days.add(item)
            continue
        # fromisoformat alone would also take "20241225" and week dates in 3.11+.
        if isinstance(item, str) and _DATE_RE.fullmatch(item.strip()):
            try:
                days.add(date.fromisoformat(item.strip()))
                continue
            except ValueError:
                pass
        raise UsageError(f"{label}: holiday {item!r} is not a date like '2024-12-25'")
    return frozenset(days)
