"""Holiday lists as desks get them: iCalendar feeds (.ics) or one date per line (CSV/text).

`parse_holiday_file(text, source)` returns the sorted dates; every problem is one
`UsageError` line naming the source and line. No database, no file I/O (the CLI reads
the file): `helpdesk sla calendar holiday import NAME FILE`.

- iCalendar: every VEVENT's DTSTART (an all-day `VALUE=DATE` such as `20261225`, or the
  date of a date-time) up to its DTEND (exclusive, as RFC 5545 defines all-day events),
  so a two-day event gives two holidays. Recurring events (RRULE) are refused: a public
  holiday feed lists each year's dates, and expanding rules is a calendar program's job.
- Text or CSV: the first field of each line (`,`, `;` or tab separated) is an ISO date
  (`2026-12-25`); the rest (a holiday's name) is ignored, as are blank lines, lines
  starting with `#`, and a header on the first line.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from helpdesk_tui.errors import UsageError

__all__ = ["MAX_EVENT_DAYS", "parse_holiday_file"]

#: Longest single event taken as holidays (a company shutdown, not a mistake of years).
MAX_EVENT_DAYS: Final = 366

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ICS_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SEPARATORS = re.compile(r"[,;\t]")


def parse_holiday_file(text: str, source: str) -> list[date]:
    """The holiday dates in `text` (iCalendar or one date per line), sorted, unique."""
    if text.lstrip("\ufeff \t\r\n").upper().startswith("BEGIN:VCALENDAR"):
        days = _from_ics(text, source)
    else:
        days = _from_lines(text, source)
    if not days:
        raise UsageError(f"{source}: no holiday dates found")
    return sorted(days)


def _from_lines(text: str, source: str) -> set[date]:
    days: set[date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        first = _SEPARATORS.split(line, maxsplit=1)[0].strip().strip('"')
        if not _ISO_DATE.fullmatch(first):
            if number == 1 and not any(ch.isdigit() for ch in first):
                continue  # a header such as "date,name"
            raise UsageError(f"{source}:{number}: {first!r} is not a date like 2026-12-25")
        try:
            days.add(date.fromisoformat(first))
        except ValueError:
            raise UsageError(
                f"{source}:{number}: {first!r} is not a date of the calendar"
            ) from None
    return days


def _unfolded(text: str) -> list[tuple[int, str]]:
    """Content lines with RFC 5545 folding undone, each with its first line number."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + raw[1:])
        else:
            lines.append((number, raw.lstrip("\ufeff")))
    return lines


def _ics_date(value: str, source: str, number: int) -> date:
    match = _ICS_DATE.match(value.strip())
    if match is None:
        raise UsageError(f"{source}:{number}: {value.strip()!r} is not an iCalendar date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise UsageError(f"{source}:{number}: {value.strip()!r} is not a date") from None


def _from_ics(text: str, source: str) -> set[date]:
    days: set[date] = set()
    event: dict[str, tuple[int, str]] | None = None
    for number, line in _unfolded(text):
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.split(";", 1)[0].strip().upper()
        if key == "BEGIN" and value.strip().upper() == "VEVENT":
            event = {"BEGIN": (number, "")}
        elif key == "END" and value.strip().upper() == "VEVENT" and event is not None:
            days.update(_event_days(event, source))
            event = None
        elif event is not None and key in ("DTSTART", "DTEND", "RRULE"):
            event[key] = (number, value)
    return days


def _event_days(event: dict[str, tuple[int, str]], source: str) -> list[date]:
    begin = event["BEGIN"][0]
    if "RRULE" in event:
        raise UsageError(
            f"{source}:{event['RRULE'][0]}: recurring events (RRULE) are not supported; "
            "use a feed that lists each year's dates"
        )
    if "DTSTART" not in event:
        raise UsageError(f"{source}:{begin}: an event without DTSTART")
    number, value = event["DTSTART"]
    start = _ics_date(value, source, number)
    end = start + timedelta(days=1)
    if "DTEND" in event:
        number, value = event["DTEND"]
        end = max(end, _ics_date(value, source, number))
    if (end - start).days > MAX_EVENT_DAYS:
        raise UsageError(
            f"{source}:{begin}: an event of {(end - start).days} days; at most {MAX_EVENT_DAYS}"
        )
    return [start + timedelta(days=n) for n in range((end - start).days)]
