"""Business-time arithmetic for SLA clocks: opening hours, weekends, holidays, time zones.

A `BusinessCalendar` says when an SLA clock runs. Two kinds exist in practice:

- **24x7** (`BusinessCalendar.twenty_four_seven()`): every real second counts. A calendar
  day across a DST change therefore has 23 or 25 hours; nothing here is done in local time.
- **Opening hours** (`BusinessCalendar.business_hours(...)`): one window a day, on the
  listed weekdays, minus holidays, in *local wall time* of an IANA time zone. A Berlin
  desk open 08:00-18:00 is open 08:00-18:00 on the Monday after the clocks change too,
  so its business day is still 10 hours.

Rules worth knowing (tested in tests/test_calendar.py):

- All inputs must be aware datetimes (naive ones raise `ValueError`: guessing a zone for
  an SLA timestamp is how due times silently shift by hours). Outputs are aware UTC.
- A window is ``[opens, closes)`` local time; ``closes == 00:00`` means midnight at the end
  of the day, so ``opens == closes == 00:00`` is the whole day. Overnight windows such as
  22:00-06:00 are not supported: one window per day keeps the arithmetic simple, and a
  night desk can use opens 22:00 / closes 00:00 or the whole day.
- Business time inside a window is *real elapsed time* between the instants the window
  opens and closes. Only a window that contains a DST change (say a whole-day calendar, or
  hours 01:00-05:00) is shorter or longer than its wall-clock length that day.
- A window edge that falls in a DST gap or fold is resolved with zoneinfo's ``fold=0``
  convention (PEP 495): in a fold the *first* occurrence is used; in a gap the wall time
  is read with the offset from *before* the change, so 02:30 on Berlin's spring-forward
  day means 03:30 CEST. Each day's window is then clamped to that day's local midnights,
  which keeps windows ordered and non-overlapping even in zones that change at midnight.

Internally instants are integer microseconds since the Unix epoch, so `add` and `between`
are exact inverses (no float drift) and a day's window can be cached. The cost is one
step per calendar day (a few µs the first time, under 1 µs once cached): `between` over
ten years takes ~15 ms cold, ~2 ms warm. 24x7 calendars are plain arithmetic. There is no
whole-week shortcut: a week's length depends on where DST changes fall, which zoneinfo
does not expose. Spans longer than two weeks (tickets overdue for months, in every queue
page and report) use running totals instead (`calendar_totals`): built once per calendar
for the years asked about, then two bisections per call. The TOML and database form of
a calendar is read and written by `calendar_config`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.calendar_totals import RunningTotals

__all__ = ["ADD_HORIZON", "MIDNIGHT", "WEEKDAY_NAMES", "BusinessCalendar"]

#: Weekday abbreviations, index = `date.weekday()` (0 = Monday).
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
#: A window closing at 00:00 closes at midnight at the end of its day.
MIDNIGHT = time(0, 0)
_US_PER_S = 1_000_000
#: The last instant a datetime can hold, in epoch microseconds.
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _ONE_US

#: How far ahead `BusinessCalendar.add` looks before giving up (200 years).
ADD_HORIZON = timedelta(days=200 * 365)
_HORIZON_US = ADD_HORIZON // _ONE_US
_DAY_US = 86_400 * _US_PER_S
#: Spans up to this long walk their few windows; longer ones use running totals.
_TOTALS_FROM_US = 14 * _DAY_US
#: Running totals reach this far beyond what was asked, so nearby spans reuse them.
_TOTALS_PAD_US = 400 * _DAY_US
#: Totals are kept for spans within 1900-2200 only (no absurd multi-century builds).
_TOTALS_RANGE = (
    (datetime(1900, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_US,
    (datetime(2200, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_US,
)


# --------------------------------------------------------------------------- instants


def _to_us(at: datetime, what: str = "datetime") -> int:
    """Epoch microseconds of an aware datetime; naive ones are refused."""
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    # Subtracting aware datetimes uses each side's offset, so no astimezone (which can
    # overflow near year 1 / 9999) is needed.
    return (at - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    """Aware UTC datetime for epoch microseconds (OverflowError outside year 1..9999)."""
    return _EPOCH + timedelta(microseconds=us)


def _wall_us(tz: ZoneInfo, day: date, at: time) -> int:
    """Epoch microseconds of local wall time `day at` in `tz`, fold=0 (see module doc)."""
    return (datetime.combine(day, at, tzinfo=tz) - _EPOCH) // _ONE_US


@lru_cache(maxsize=16384)
def _window(tz: ZoneInfo, day: date, opens: time, closes: time) -> tuple[int, int]:
    """The ``[open, close)`` instants of `day`'s opening hours, possibly empty.

    Cached across calendars: reports call `between` for thousands of tickets whose spans
    share the same few weeks, and the zoneinfo conversions dominate the cost.
    """
    lo = _wall_us(tz, day, MIDNIGHT)
    try:
        hi = _wall_us(tz, day + _ONE_DAY, MIDNIGHT)
    except OverflowError:  # 9999-12-31: nothing exists after it anyway
        hi = _MAX_US + 1
    # Clamp to the day's own midnights: fold=0 is not monotonic across a gap, and an
    # unclamped window could overlap its neighbour in a zone that changes at midnight.
    start = max(lo, _wall_us(tz, day, opens))
    end = hi if closes == MIDNIGHT else min(hi, _wall_us(tz, day, closes))
    return start, max(start, end)


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """When an SLA clock runs: 24x7, or daily opening hours in a time zone.

    Construct with `twenty_four_seven()`, `business_hours(...)` or `calendar_from_dict`.
    Every construction path is validated; a bad value raises `UsageError` with one line.
    """

    name: str = "24x7"
    timezone: str = "UTC"  # IANA name, resolved with zoneinfo
    weekdays: frozenset[int] = frozenset(range(7))  # 0 = Monday .. 6 = Sunday
    opens: time = time(0, 0)
    closes: time = time(0, 0)  # 00:00 = midnight at the end of the day
    holidays: frozenset[date] = frozenset()
    _tz: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    # Running totals for long spans, replaced whole when a span outside them is asked for
    # (a plain attribute swap, so concurrent worker threads at worst build it twice).
    _totals: RunningTotals | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        """Validate and normalise the fields (lists become frozensets, times fold=0)."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise UsageError("a calendar needs a non-empty name")
        label = f"calendar {self.name!r}"
        object.__setattr__(self, "_tz", _zone(self.timezone, label))
        object.__setattr__(self, "weekdays", _checked_weekdays(self.weekdays, label))
        object.__setattr__(self, "holidays", _checked_holidays(self.holidays, label))
        opens = _checked_time(self.opens, "opens", label)
        closes = _checked_time(self.closes, "closes", label)
        if closes != MIDNIGHT and opens >= closes:
            raise UsageError(
                f"{label}: opens {opens:%H:%M} must be before closes {closes:%H:%M} "
                "(overnight hours are not supported; 00:00 closes at midnight)"
            )
        object.__setattr__(self, "opens", opens)
        object.__setattr__(self, "closes", closes)

    # ----------------------------------------------------------------- construction

    @classmethod
    def twenty_four_seven(cls, name: str = "24x7") -> BusinessCalendar:
        """A calendar where every real second counts (UTC, no holidays)."""
        return cls(name=name)

    @classmethod
    def business_hours(
        cls,
        name: str,
        timezone: str,
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        opens: time = time(8),
        closes: time = time(18),
        holidays: Iterable[date] = (),
    ) -> BusinessCalendar:
        """Opening hours `opens`-`closes` local time on `weekdays`, minus `holidays`.

        Raises `UsageError` for an unknown time zone, a weekday outside 0..6, no weekdays
        at all, or `opens` not before `closes` (unless `closes` is 00:00 = midnight).
        """
        return cls(name, timezone, _as_frozenset(weekdays), opens, closes, frozenset(holidays))

    # ----------------------------------------------------------------- queries

    @property
    def always_open(self) -> bool:
        """True for a 24x7 calendar: every weekday, the whole day, no holidays.

        The time zone does not matter then, because whole local days back to back cover
        every real second (23 or 25 of them on DST days).
        """
        return (
            len(self.weekdays) == 7
            and self.opens == MIDNIGHT
            and self.closes == MIDNIGHT
            and not self.holidays
        )

    def is_open(self, at: datetime) -> bool:
        """Whether the clock runs at the instant `at` (opening edge in, closing edge out)."""
        us = _to_us(at, "at")
        if self.always_open:
            return True
        for start, end in self._windows_from(self._day_before(us)):
            if start > us:
                return False
            if us < end:
                return True
        return False

    def next_open(self, at: datetime) -> datetime:
        """The first instant at or after `at` when the clock runs (`at` itself if open)."""
        us = _to_us(at, "at")
        if self.always_open:
            return _from_us(us)
        try:
            for start, end in self._windows_from(self._day_before(us)):
                if end > us:
                    return _from_us(max(start, us))
        except OverflowError:
            pass
        raise OverflowError(f"calendar {self.name!r} does not open again before year 10000")

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of business time have elapsed after `start`.

        Counting starts at `start` if open, else at the next opening. A target that is
        used up exactly at closing time is due at the closing instant (Friday 17:00 + 1 h
        in 08:00-18:00 is Friday 18:00, not Monday 08:00). ``seconds == 0`` returns
        `start` itself (in UTC), even when closed: nothing has to elapse.

        Raises `ValueError` for a naive `start` or a negative or non-finite `seconds`,
        and `OverflowError` if the result would lie more than `ADD_HORIZON` after `start`
        (or beyond the year 9999): no SLA is due centuries ahead, and the bound keeps an
        absurd target from walking millions of days.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        begin = _to_us(start, "start")
        remaining = round(seconds * _US_PER_S)
        if remaining == 0:
            return _from_us(begin)
        horizon = min(_MAX_US, begin + _HORIZON_US)
        # Business time never exceeds real time, so a target longer than the horizon
        # fails at once instead of after a long walk.
        if remaining > horizon - begin:
            raise self._too_far(start, seconds)
        if self.always_open:
            return _from_us(begin + remaining)
        try:
            for open_us, close_us in self._windows_from(self._day_before(begin)):
                if close_us <= begin:
                    continue
                if open_us > horizon:
                    break
                open_us = max(open_us, begin)
                available = close_us - open_us
                if remaining <= available:
                    return _from_us(open_us + remaining)
                remaining -= available
        except OverflowError:
            pass
        raise self._too_far(start, seconds)

    def between(self, start: datetime, end: datetime) -> float:
        """Business seconds in ``[start, end)``; ``-between(end, start)`` if `end` < `start`.

        Exact to the microsecond: ``between(s, add(s, x)) == x`` for any `x` that is a
        whole number of microseconds.
        """
        lo = _to_us(start, "start")
        hi = _to_us(end, "end")
        if hi < lo:
            return -self._between_us(hi, lo) / _US_PER_S
        return self._between_us(lo, hi) / _US_PER_S

    # ----------------------------------------------------------------- internals

    def _between_us(self, lo: int, hi: int) -> int:
        """Business microseconds in ``[lo, hi)`` for ``lo <= hi``."""
        if lo == hi:
            return 0
        if self.always_open:
            return hi - lo
        if hi - lo > _TOTALS_FROM_US and _TOTALS_RANGE[0] <= lo and hi <= _TOTALS_RANGE[1]:
            return self._running_totals(lo, hi).between(lo, hi)
        total = 0
        for start, end in self._windows_from(self._day_before(lo)):
            if start >= hi:
                break
            if end > lo:
                total += min(end, hi) - max(start, lo)
        return total

    def _running_totals(self, lo: int, hi: int) -> RunningTotals:
        """Totals covering ``[lo, hi]``: the kept ones, or new ones over a wider span."""
        kept = self._totals
        if kept is not None and kept.covers(lo, hi):
            return kept
        lo = max(_TOTALS_RANGE[0], lo - _TOTALS_PAD_US)
        hi = min(_TOTALS_RANGE[1], hi + _TOTALS_PAD_US)
        if kept is not None:  # grow, so alternating old and new spans do not rebuild
            lo, hi = min(lo, kept.lo), max(hi, kept.hi)
        totals = RunningTotals.build(lo, hi, self._windows_from(self._day_before(lo)))
        object.__setattr__(self, "_totals", totals)  # a cache, not part of the value
        return totals

    def _too_far(self, start: datetime, seconds: float) -> OverflowError:
        return OverflowError(
            f"{seconds:g} s of business time on calendar {self.name!r} after "
            f"{start.isoformat()} ends more than {ADD_HORIZON.days // 365} years ahead"
        )

    def _day_before(self, us: int) -> date:
        """The local date before the instant's own, where the window search starts.

        A day early because an instant's local date can be one day ahead of the window
        that contains it: when a DST gap spans midnight, the first minutes of the new date
        precede that date's (fold=0) midnight and still belong to the day before.
        Clamped at datetime's range.
        """
        try:
            return _from_us(us).astimezone(self._tz).date() - _ONE_DAY
        except OverflowError:
            return date.max if us > 0 else date.min

    def _windows_from(self, first: date) -> Iterator[tuple[int, int]]:
        """Non-empty opening windows of business days from `first` on, in time order.

        Ends quietly after 9999-12-31.
        """
        tz, opens, closes = self._tz, self.opens, self.closes
        weekdays, holidays = self.weekdays, self.holidays
        day = first
        while True:
            if day.weekday() in weekdays and day not in holidays:
                start, end = _window(tz, day, opens, closes)
                if start < end:
                    yield start, end
            if day == date.max:
                return
            day += _ONE_DAY


def _zone(key: object, label: str) -> ZoneInfo:
    """Load an IANA zone, turning every way it can fail into one UsageError."""
    if not isinstance(key, str) or not key:
        raise UsageError(f"{label}: time zone must be an IANA name like 'Europe/Berlin'")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: malformed or absolute keys; OSError: a directory such as "America".
        raise UsageError(f"{label}: unknown time zone {key!r}") from None


def _as_frozenset(items: Iterable[object]) -> frozenset[int]:
    """frozenset of `items`, with a UsageError (not TypeError) for unhashable junk."""
    try:
        return frozenset(items)  # type: ignore[arg-type]  # checked in __post_init__
    except TypeError:
        raise UsageError(f"weekdays must be a list of numbers 0-6, got {items!r}") from None


def _checked_weekdays(value: object, label: str) -> frozenset[int]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise UsageError(f"{label}: weekdays must be a collection of numbers 0-6")
    days = _as_frozenset(value)
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise UsageError(f"{label}: weekday {day!r} is out of range 0 (Mon) .. 6 (Sun)")
    if not days:
        raise UsageError(f"{label}: no working days (weekdays is empty)")
    return days


def _checked_holidays(value: object, label: str) -> frozenset[date]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise UsageError(f"{label}: holidays must be a collection of dates")
    days = frozenset(value)
    for day in days:
        # datetime is a subclass of date; a holiday with a time of day is a mistake.
        if not isinstance(day, date) or isinstance(day, datetime):
            raise UsageError(f"{label}: holiday {day!r} is not a date")
    return days


def _checked_time(value: object, what: str, label: str) -> time:
    if not isinstance(value, time):
        raise UsageError(f"{label}: {what} must be a time of day, got {value!r}")
    if value.tzinfo is not None:
        raise UsageError(f"{label}: {what} is local to the calendar's zone; drop its tzinfo")
    # fold=1 would silently pick the second occurrence in a fold; one convention only.
    return value.replace(fold=0)
