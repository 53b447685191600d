"""Business-time arithmetic for SLA clocks (services/calendar.py).

All instants are fixed; nothing reads the wall clock. Dates used below:
Fri 2024-06-07 / Mon 2024-06-10 (no DST anywhere near), Europe/Berlin changes on
Sun 2024-03-31 (+1 -> +2) and Sun 2024-10-27 (+2 -> +1), America/New_York on
Sun 2024-03-10 and Sun 2024-11-03, America/Santiago at midnight on 2024-04-07 and
2024-09-08.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.calendar import ADD_HORIZON, BusinessCalendar
from helpdesk_tui.services.calendar_config import calendar_from_dict, calendar_to_dict

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
HOUR = 3600.0
US = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[arg-type, misc]


ROUND_THE_CLOCK = BusinessCalendar.twenty_four_seven()
OFFICE = BusinessCalendar.business_hours("office", "UTC")  # Mon-Fri 08:00-18:00 UTC
BERLIN_OFFICE = BusinessCalendar.business_hours("berlin", "Europe/Berlin")
BERLIN_DAILY = BusinessCalendar.business_hours("berlin-daily", "Europe/Berlin", weekdays=range(7))
NEW_YORK_OFFICE = BusinessCalendar.business_hours("ny", "America/New_York")
TOKYO_OFFICE = BusinessCalendar.business_hours(
    "tokyo", "Asia/Tokyo", weekdays=range(6), opens=time(9), closes=time(17, 30)
)


def whole_days(tz: str, holiday: date = date(2000, 1, 3)) -> BusinessCalendar:
    """Every day, all day, but with a holiday, so the per-day path (not 24x7) runs."""
    return BusinessCalendar.business_hours(
        f"days-{tz}", tz, weekdays=range(7), opens=time(0), closes=time(0), holidays=[holiday]
    )


# --------------------------------------------------------------------------- 24x7


def test_24x7_counts_real_seconds() -> None:
    friday = utc(2024, 6, 7, 17)
    assert ROUND_THE_CLOCK.always_open
    assert ROUND_THE_CLOCK.add(friday, 2 * HOUR) == utc(2024, 6, 7, 19)
    assert ROUND_THE_CLOCK.add(friday, 3 * 24 * HOUR) == utc(2024, 6, 10, 17)
    assert ROUND_THE_CLOCK.between(friday, utc(2024, 6, 10, 17)) == 72 * HOUR
    assert ROUND_THE_CLOCK.is_open(utc(2024, 6, 8, 3))
    assert ROUND_THE_CLOCK.next_open(utc(2024, 6, 8, 3)) == utc(2024, 6, 8, 3)


def test_results_are_utc_whatever_the_input_zone() -> None:
    start = at(TOKYO, 2024, 6, 7, 17)  # 08:00 UTC
    due = ROUND_THE_CLOCK.add(start, HOUR)
    assert due.tzinfo is UTC
    assert due == utc(2024, 6, 7, 9)
    assert OFFICE.add(start, HOUR).tzinfo is UTC
    assert OFFICE.next_open(start).tzinfo is UTC


@pytest.mark.parametrize(
    ("tz", "saturday", "monday", "hours"),
    [
        (BERLIN, (2024, 3, 30), (2024, 4, 1), 47),
        (BERLIN, (2024, 10, 26), (2024, 10, 28), 49),
        (NEW_YORK, (2024, 3, 9), (2024, 3, 11), 47),
        (NEW_YORK, (2024, 11, 2), (2024, 11, 4), 49),
    ],
)
def test_24x7_across_dst_is_real_elapsed_time(
    tz: ZoneInfo, saturday: tuple[int, int, int], monday: tuple[int, int, int], hours: int
) -> None:
    start, end = at(tz, *saturday), at(tz, *monday)  # local midnight to local midnight
    assert ROUND_THE_CLOCK.between(start, end) == hours * HOUR
    # The zone of a 24x7 calendar is irrelevant: whole days back to back are all time.
    local_24x7 = BusinessCalendar(name="local", timezone=tz.key)
    assert local_24x7.always_open
    assert local_24x7.between(start, end) == hours * HOUR
    assert ROUND_THE_CLOCK.add(start, 48 * HOUR) == end + timedelta(hours=48 - hours)
    # Whole local days through the per-day path agree: a DST Sunday has 23 or 25 hours.
    assert whole_days(tz.key).between(start, end) == hours * HOUR


# --------------------------------------------------------------------------- opening hours


def test_friday_afternoon_plus_two_hours_is_monday_morning() -> None:
    friday = utc(2024, 6, 7, 17)
    assert OFFICE.add(friday, 2 * HOUR) == utc(2024, 6, 10, 9)
    assert OFFICE.between(friday, utc(2024, 6, 10, 9)) == 2 * HOUR


def test_target_used_up_at_closing_is_due_at_closing() -> None:
    assert OFFICE.add(utc(2024, 6, 7, 17), HOUR) == utc(2024, 6, 7, 18)


def test_across_a_night() -> None:
    tuesday = utc(2024, 6, 4, 17)
    assert OFFICE.add(tuesday, 2 * HOUR) == utc(2024, 6, 5, 9)
    assert OFFICE.between(tuesday, utc(2024, 6, 5, 9)) == 2 * HOUR
    assert OFFICE.between(utc(2024, 6, 4, 18), utc(2024, 6, 5, 8)) == 0


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (utc(2024, 6, 3, 6), utc(2024, 6, 3, 9)),  # before opening
        (utc(2024, 6, 3, 20), utc(2024, 6, 4, 9)),  # after closing
        (utc(2024, 6, 3, 18), utc(2024, 6, 4, 9)),  # exactly at closing
        (utc(2024, 6, 8, 12), utc(2024, 6, 10, 9)),  # on a Saturday
        (utc(2024, 6, 9, 23, 59), utc(2024, 6, 10, 9)),  # late on a Sunday
    ],
)
def test_counting_starts_at_the_next_opening(start: datetime, due: datetime) -> None:
    assert OFFICE.add(start, HOUR) == due
    assert OFFICE.between(start, due) == HOUR


def test_zero_seconds_is_the_start_itself_even_when_closed() -> None:
    saturday = utc(2024, 6, 8, 12)
    assert OFFICE.add(saturday, 0) == saturday
    assert OFFICE.add(at(BERLIN, 2024, 6, 8, 12), 0.0) == utc(2024, 6, 8, 10)


def test_full_week_and_weekend() -> None:
    assert OFFICE.between(utc(2024, 6, 3), utc(2024, 6, 10)) == 50 * HOUR
    assert OFFICE.between(utc(2024, 6, 7, 12), utc(2024, 6, 10, 12)) == 10 * HOUR
    assert OFFICE.between(utc(2024, 6, 8), utc(2024, 6, 10)) == 0


def test_is_open_edges() -> None:
    assert OFFICE.is_open(utc(2024, 6, 3, 8))
    assert not OFFICE.is_open(utc(2024, 6, 3, 8) - US)
    assert OFFICE.is_open(utc(2024, 6, 3, 18) - US)
    assert not OFFICE.is_open(utc(2024, 6, 3, 18))
    assert not OFFICE.is_open(utc(2024, 6, 8, 12))


def test_next_open() -> None:
    assert OFFICE.next_open(utc(2024, 6, 3, 12)) == utc(2024, 6, 3, 12)
    assert OFFICE.next_open(utc(2024, 6, 3, 5)) == utc(2024, 6, 3, 8)
    assert OFFICE.next_open(utc(2024, 6, 7, 18)) == utc(2024, 6, 10, 8)
    assert OFFICE.next_open(utc(2024, 6, 8, 12)) == utc(2024, 6, 10, 8)


def test_closing_at_midnight_means_end_of_day() -> None:
    evening = BusinessCalendar.business_hours("late", "UTC", opens=time(16), closes=time(0))
    assert evening.is_open(utc(2024, 6, 3, 23, 59))
    assert not evening.is_open(utc(2024, 6, 4, 0))
    assert evening.between(utc(2024, 6, 3), utc(2024, 6, 4)) == 8 * HOUR
    assert evening.add(utc(2024, 6, 3, 23), 2 * HOUR) == utc(2024, 6, 4, 17)


# --------------------------------------------------------------------------- holidays


def test_holiday_on_the_monday_after_a_weekend() -> None:
    whit_monday = date(2024, 5, 20)
    cal = BusinessCalendar.business_hours("office", "UTC", holidays=[whit_monday])
    friday = utc(2024, 5, 17, 17)
    assert cal.add(friday, 2 * HOUR) == utc(2024, 5, 21, 9)
    assert cal.between(friday, utc(2024, 5, 21, 9)) == 2 * HOUR
    assert not cal.is_open(utc(2024, 5, 20, 12))
    assert cal.next_open(utc(2024, 5, 18, 12)) == utc(2024, 5, 21, 8)


def test_midweek_holidays_and_a_long_gap() -> None:
    christmas = [date(2024, 12, 24), date(2024, 12, 25), date(2024, 12, 26)]
    cal = BusinessCalendar.business_hours("office", "UTC", holidays=christmas)
    # Mon 23rd 17:00 + 2 h: one hour on Monday, then Tue-Thu are holidays.
    assert cal.add(utc(2024, 12, 23, 17), 2 * HOUR) == utc(2024, 12, 27, 9)
    assert cal.between(utc(2024, 12, 23), utc(2024, 12, 30)) == 20 * HOUR


def test_holidays_are_local_dates() -> None:
    # Monday 2024-06-10 in Tokyo starts at 15:00 UTC on Sunday.
    cal = BusinessCalendar.business_hours("jp", "Asia/Tokyo", holidays=[date(2024, 6, 10)])
    assert not cal.is_open(utc(2024, 6, 10, 1))  # Mon 10:00 JST, holiday
    assert cal.next_open(utc(2024, 6, 10, 1)) == utc(2024, 6, 10, 23)  # Tue 08:00 JST


# --------------------------------------------------------------------------- time zones


def test_same_instant_in_new_york_and_tokyo() -> None:
    afternoon = utc(2024, 6, 3, 13)  # Mon 09:00 EDT, Mon 22:00 JST
    assert NEW_YORK_OFFICE.is_open(afternoon)
    assert not TOKYO_OFFICE.is_open(afternoon)
    late = utc(2024, 6, 3, 23, 30)  # Mon 19:30 EDT, Tue 08:30 JST (Tokyo opens at 09:00)
    assert not NEW_YORK_OFFICE.is_open(late)
    assert TOKYO_OFFICE.next_open(late) == utc(2024, 6, 4, 0)
    assert NEW_YORK_OFFICE.next_open(late) == utc(2024, 6, 4, 12)


def test_weekends_are_local() -> None:
    # Friday 17:00 local + 2 h is Monday 09:00 local in each zone.
    assert NEW_YORK_OFFICE.add(at(NEW_YORK, 2024, 6, 7, 17), 2 * HOUR) == utc(2024, 6, 10, 13)
    tokyo_friday = at(TOKYO, 2024, 6, 7, 17)
    assert TOKYO_OFFICE.add(tokyo_friday, 2 * HOUR) == at(TOKYO, 2024, 6, 8, 10, 30)  # Sat open
    assert OFFICE.add(tokyo_friday, 2 * HOUR) == utc(2024, 6, 7, 10)  # 08:00 UTC + 2 h
    # Monday 08:30 in Tokyo is still Sunday in UTC.
    assert BusinessCalendar.business_hours("jp", "Asia/Tokyo").is_open(utc(2024, 6, 9, 23, 30))


# --------------------------------------------------------------------------- DST


@pytest.mark.parametrize(
    ("tz", "friday", "monday", "monday_09_utc"),
    [
        (BERLIN, (2024, 3, 29), (2024, 4, 1), utc(2024, 4, 1, 7)),  # CET -> CEST
        (BERLIN, (2024, 10, 25), (2024, 10, 28), utc(2024, 10, 28, 8)),  # CEST -> CET
        (NEW_YORK, (2024, 3, 8), (2024, 3, 11), utc(2024, 3, 11, 13)),  # EST -> EDT
        (NEW_YORK, (2024, 11, 1), (2024, 11, 4), utc(2024, 11, 4, 14)),  # EDT -> EST
    ],
)
def test_dst_weekend_keeps_local_business_hours(
    tz: ZoneInfo,
    friday: tuple[int, int, int],
    monday: tuple[int, int, int],
    monday_09_utc: datetime,
) -> None:
    cal = BusinessCalendar.business_hours("office", tz.key)
    start = at(tz, *friday, 17)
    assert cal.add(start, 2 * HOUR) == monday_09_utc == at(tz, *monday, 9)
    assert cal.between(start, monday_09_utc) == 2 * HOUR
    # The whole week around the change still has 5 x 10 hours.
    week_start = at(tz, *friday) - timedelta(days=4)
    assert cal.between(week_start, week_start + timedelta(days=7)) == 50 * HOUR


@pytest.mark.parametrize(
    ("sunday", "opening_utc"),
    [((2024, 3, 31), utc(2024, 3, 31, 6)), ((2024, 10, 27), utc(2024, 10, 27, 7))],
)
def test_dst_sunday_is_still_ten_hours(sunday: tuple[int, int, int], opening_utc: datetime) -> None:
    day = at(BERLIN, *sunday)
    assert BERLIN_DAILY.between(day, day + timedelta(days=1)) == 10 * HOUR
    assert BERLIN_DAILY.next_open(day) == opening_utc == at(BERLIN, *sunday, 8)
    assert BERLIN_DAILY.add(day, 10 * HOUR) == at(BERLIN, *sunday, 18)


def test_window_containing_a_dst_change_counts_real_time() -> None:
    # 01:00-05:00 in Berlin includes the change: 3 real hours in spring, 5 in autumn.
    night = BusinessCalendar.business_hours(
        "night", "Europe/Berlin", weekdays=range(7), opens=time(1), closes=time(5)
    )
    spring, autumn = at(BERLIN, 2024, 3, 31), at(BERLIN, 2024, 10, 27)
    assert night.between(spring, spring + timedelta(days=1)) == 3 * HOUR
    assert night.between(autumn, autumn + timedelta(days=1)) == 5 * HOUR
    assert night.add(spring, 3 * HOUR) == at(BERLIN, 2024, 3, 31, 5)


def test_window_edges_in_a_gap_or_fold_use_fold_0() -> None:
    early = BusinessCalendar.business_hours(
        "early", "Europe/Berlin", weekdays=range(7), opens=time(2, 30), closes=time(6)
    )
    # Spring: 02:30 does not exist; fold=0 reads it with CET (+1), i.e. 03:30 CEST.
    assert early.next_open(utc(2024, 3, 31)) == utc(2024, 3, 31, 1, 30)
    assert not early.is_open(utc(2024, 3, 31, 1, 15))  # 03:15 CEST
    assert early.between(at(BERLIN, 2024, 3, 31), at(BERLIN, 2024, 4, 1)) == 2.5 * HOUR
    # Autumn: 02:30 happens twice; fold=0 is the first time (CEST), close 06:00 CET.
    assert early.next_open(utc(2024, 10, 27)) == utc(2024, 10, 27, 0, 30)
    assert early.between(at(BERLIN, 2024, 10, 27), at(BERLIN, 2024, 10, 28)) == 4.5 * HOUR
    # New York's gap is 02:00-03:00 too: 02:30 read as EST is 07:30 UTC (03:30 EDT).
    ny = BusinessCalendar.business_hours("ny-early", "America/New_York", opens=time(2, 30))
    assert ny.next_open(at(NEW_YORK, 2024, 3, 10)) == at(NEW_YORK, 2024, 3, 11, 2, 30)
    ny_daily = BusinessCalendar(
        "ny-daily", "America/New_York", frozenset(range(7)), time(2, 30), time(18)
    )
    assert ny_daily.next_open(at(NEW_YORK, 2024, 3, 10)) == utc(2024, 3, 10, 7, 30)


@pytest.mark.parametrize(
    ("local_day", "hours"), [((2024, 4, 6), 25), ((2024, 9, 8), 23), ((2024, 9, 7), 24)]
)
def test_zone_that_changes_at_midnight(local_day: tuple[int, int, int], hours: int) -> None:
    # Chile moves its clocks at midnight, so day windows touch the change itself.
    santiago = ZoneInfo("America/Santiago")
    cal = whole_days("America/Santiago")
    # Same-zone arithmetic and comparison in Python is wall-clock arithmetic, and an
    # instant in a gap never equals one in another zone (PEP 495): compare in UTC.
    start = at(santiago, *local_day).astimezone(UTC)
    end = (at(santiago, *local_day) + timedelta(days=1)).astimezone(UTC)  # next midnight
    assert cal.between(start, end) == hours * HOUR == (end - start).total_seconds()
    assert cal.add(start, hours * HOUR) == end
    assert cal.is_open(start) and cal.is_open(end - US)


def test_gap_across_midnight_neither_double_counts_nor_loses_time() -> None:
    # Toronto, 1919-03-30 23:30 EST -> 1919-03-31 00:30 EDT (04:30 UTC): midnight never
    # happened. Open 00:30-24:00 daily, the desk is open straight through the jump.
    cal = BusinessCalendar.business_hours(
        "toronto", "America/Toronto", weekdays=range(7), opens=time(0, 30), closes=time(0)
    )
    saturday_open, monday = utc(1919, 3, 30, 5, 30), utc(1919, 4, 1, 4)
    assert cal.between(saturday_open, monday) == (monday - saturday_open).total_seconds()
    # 00:45 EDT on the 31st belongs to the 30th's window (its midnight, read with fold=0,
    # is 05:00 UTC), although its local date is already the 31st.
    assert cal.is_open(utc(1919, 3, 31, 4, 45))
    assert cal.add(saturday_open, 24 * HOUR) == utc(1919, 3, 31, 5, 30)


def test_fold_across_midnight_belongs_to_the_new_day() -> None:
    # Goose Bay, 2010-11-07 00:01 ADT -> 2010-11-06 23:01 AST: Sunday began at the first
    # midnight, so the repeated Saturday hour already counts as Sunday.
    goose_bay = ZoneInfo("America/Goose_Bay")
    sundays = BusinessCalendar.business_hours(
        "sundays", "America/Goose_Bay", weekdays=[6], opens=time(0), closes=time(0)
    )
    repeated = datetime(2010, 11, 6, 23, 30, fold=1, tzinfo=goose_bay)
    assert repeated.astimezone(UTC) == utc(2010, 11, 7, 3, 30)
    assert sundays.is_open(repeated)
    assert not sundays.is_open(repeated.replace(fold=0))
    assert sundays.between(utc(2010, 11, 6), utc(2010, 11, 9)) == 25 * HOUR


# --------------------------------------------------------------------------- sign, range


def test_negative_between() -> None:
    friday, monday = utc(2024, 6, 7, 17), utc(2024, 6, 10, 9)
    assert OFFICE.between(monday, friday) == -2 * HOUR
    assert ROUND_THE_CLOCK.between(monday, friday) == -64 * HOUR
    assert OFFICE.between(friday, friday) == 0


def test_ten_years_in_one_call() -> None:
    start, end = at(BERLIN, 2020, 1, 6), at(BERLIN, 2030, 1, 7)
    days = (end.date() - start.date()).days
    weekdays = sum((start.date() + timedelta(days=n)).weekday() < 5 for n in range(days))
    assert BERLIN_OFFICE.between(start, end) == weekdays * 10 * HOUR
    ten_years = 10 * 365 * 24 * HOUR
    due = BERLIN_OFFICE.add(start, ten_years)
    assert BERLIN_OFFICE.between(start, due) == ten_years
    assert ROUND_THE_CLOCK.add(start, ten_years) == start + timedelta(seconds=ten_years)


def test_absurd_targets_fail_fast() -> None:
    start = utc(2024, 1, 1)
    with pytest.raises(OverflowError):
        OFFICE.add(start, 1e12)
    # Less real time than the horizon but more business time than fits in it.
    with pytest.raises(OverflowError):
        OFFICE.add(start, ADD_HORIZON.total_seconds() * 0.9)
    with pytest.raises(OverflowError):
        ROUND_THE_CLOCK.add(utc(9999, 12, 31), 2 * 24 * HOUR)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("call", ["add", "between", "is_open", "next_open"])
def test_naive_datetimes_are_refused(call: str) -> None:
    naive = datetime(2024, 6, 3, 12)
    aware = utc(2024, 6, 3, 12)
    for cal in (OFFICE, ROUND_THE_CLOCK):
        with pytest.raises(ValueError, match="timezone-aware"):
            if call == "add":
                cal.add(naive, 60)
            elif call == "between":
                cal.between(aware, naive)
            elif call == "is_open":
                cal.is_open(naive)
            else:
                cal.next_open(naive)


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf")])
def test_bad_durations_are_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        OFFICE.add(utc(2024, 6, 3), seconds)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"timezone": "America"}, "unknown time zone"),
        ({"timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"timezone": ""}, "time zone"),
        ({"opens": time(18), "closes": time(8)}, "must be before"),
        ({"opens": time(8), "closes": time(8)}, "must be before"),
        ({"weekdays": [0, 7]}, "out of range"),
        ({"weekdays": [-1]}, "out of range"),
        ({"weekdays": [True]}, "out of range"),
        ({"weekdays": []}, "no working days"),
        ({"holidays": [datetime(2024, 12, 25)]}, "not a date"),
        ({"opens": time(8, tzinfo=UTC)}, "tzinfo"),
    ],
)
def test_business_hours_validation(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"name": "bad", "timezone": "UTC", **kwargs}
    with pytest.raises(UsageError, match=message) as caught:
        BusinessCalendar.business_hours(**args)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(UsageError, match="no working days"):
        BusinessCalendar(weekdays=frozenset())
    with pytest.raises(UsageError, match="name"):
        BusinessCalendar(name="")


def test_calendars_are_values() -> None:
    again = BusinessCalendar.business_hours("berlin", "Europe/Berlin", weekdays=[4, 3, 2, 1, 0])
    assert again == BERLIN_OFFICE
    assert hash(again) == hash(BERLIN_OFFICE)
    assert not BERLIN_OFFICE.always_open
    assert not whole_days("UTC").always_open  # a holiday makes it a business calendar


# --------------------------------------------------------------------------- dict form


def test_from_dict_reads_the_config_forms() -> None:
    cal = calendar_from_dict(
        {
            "name": "berlin",
            "timezone": "Europe/Berlin",
            "weekdays": ["mon-wed", "Thursday", 4],
            "opens": "08:00",
            "closes": time(18),
            "holidays": ["2024-12-25", date(2024, 12, 26)],
        }
    )
    assert cal.weekdays == frozenset(range(5))
    assert (cal.opens, cal.closes) == (time(8), time(18))
    assert cal.holidays == {date(2024, 12, 25), date(2024, 12, 26)}


def test_from_dict_reads_the_database_form() -> None:
    row = {"weekdays": "0,1,2,3,4,5,6", "opens": "00:00", "closes": "00:00", "holidays": ""}
    assert calendar_from_dict({"name": "24x7", "timezone": "UTC", **row}) == ROUND_THE_CLOCK
    assert calendar_from_dict({"name": "24x7"}).always_open
    assert calendar_from_dict({"weekdays": "fri-mon"}).weekdays == {4, 5, 6, 0}
    late = calendar_from_dict({"opens": "16:00:30", "closes": "24:00"})
    assert (late.opens, late.closes) == (time(16, 0, 30), time(0))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekday": [0]}, "unknown calendar key 'weekday'"),
        ({"weekdays": ["funday"]}, "unknown weekday"),
        ({"weekdays": ["mo"]}, "unknown weekday"),
        ({"weekdays": [9]}, "out of range"),
        ({"weekdays": 5}, "expected a list"),
        ({"opens": "8am"}, "time like"),
        ({"opens": "25:00"}, "not a time of day"),
        ({"opens": "24:00"}, "not a time of day"),
        ({"opens": 8}, "time like"),
        ({"holidays": ["2024-02-30"]}, "not a date"),
        ({"holidays": ["20241225"]}, "not a date"),
        ({"holidays": [datetime(2024, 12, 25, 0, 0)]}, "without a time"),
        ({"timezone": 1}, "IANA"),
        ({"name": None}, "name"),
        ({"timezone": "Nowhere/Town"}, "unknown time zone"),
    ],
)
def test_from_dict_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        calendar_from_dict(data)


@pytest.mark.parametrize(
    "cal",
    [
        ROUND_THE_CLOCK,
        BERLIN_OFFICE,
        TOKYO_OFFICE,
        whole_days("America/Santiago"),
        BusinessCalendar.business_hours("odd", "UTC", opens=time(7, 15, 30), closes=time(0)),
    ],
    ids=lambda cal: cal.name,
)
def test_dict_round_trip(cal: BusinessCalendar) -> None:
    data = calendar_to_dict(cal)
    assert calendar_from_dict(data) == cal
    assert all(isinstance(v, str | list) for v in data.values())


def test_to_dict_shape() -> None:
    cal = BusinessCalendar.business_hours(
        "de", "Europe/Berlin", holidays=[date(2024, 12, 26), date(2024, 12, 25)]
    )
    assert calendar_to_dict(cal) == {
        "name": "de",
        "timezone": "Europe/Berlin",
        "weekdays": [0, 1, 2, 3, 4],
        "opens": "08:00",
        "closes": "18:00",
        "holidays": ["2024-12-25", "2024-12-26"],
    }


# --------------------------------------------------------------------------- properties

CALENDARS = [
    ROUND_THE_CLOCK,
    OFFICE,
    BusinessCalendar.business_hours(
        "berlin-holidays",
        "Europe/Berlin",
        holidays=[date(2024, 3, 29), date(2024, 4, 1), date(2024, 12, 25), date(2025, 1, 1)],
    ),
    NEW_YORK_OFFICE,
    TOKYO_OFFICE,
    BusinessCalendar.business_hours(
        "early", "Europe/Berlin", weekdays=range(7), opens=time(2, 30), closes=time(6)
    ),
    whole_days("America/Santiago", holiday=date(2024, 9, 8)),
]
# Calendars whose windows never touch a DST change, so a wall-clock check is exact.
PLAIN_CALENDARS = CALENDARS[1:5]

_LO = int(utc(2023, 10, 1).timestamp())
_HI = int(utc(2025, 4, 1).timestamp())
instants = st.integers(_LO * 10**6, _HI * 10**6).map(
    lambda us: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
)
# Durations in whole microseconds, up to ~6 weeks of business time.
durations = st.integers(0, 1000 * 3600 * 10**6).map(lambda us: us / 10**6)
calendars = st.sampled_from(CALENDARS)
PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(calendars, instants, durations)
def test_between_undoes_add(cal: BusinessCalendar, start: datetime, seconds: float) -> None:
    due = cal.add(start, seconds)
    assert due >= start
    assert cal.between(start, due) == seconds
    if seconds > 0:
        assert cal.is_open(due - US)  # the clock was running up to the due time


@PROPERTY
@given(calendars, instants, instants)
def test_add_undoes_between(cal: BusinessCalendar, a: datetime, b: datetime) -> None:
    start, end = min(a, b), max(a, b)
    elapsed = cal.between(start, end)
    assert cal.between(end, start) == -elapsed
    assert 0 <= elapsed <= (end - start).total_seconds()
    landed = cal.add(start, elapsed)
    # Without a window around `end` the clock stopped earlier: nothing counts after that.
    assert landed <= end
    assert cal.between(landed, end) == 0
    if start < end and cal.is_open(end - US):
        assert landed == end


@PROPERTY
@given(calendars, instants, instants, instants)
def test_between_adds_up(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert cal.between(a, b) + cal.between(b, c) == pytest.approx(cal.between(a, c), abs=1e-6)


@PROPERTY
@given(calendars, instants)
def test_next_open_is_open(cal: BusinessCalendar, moment: datetime) -> None:
    opening = cal.next_open(moment)
    assert opening >= moment
    assert cal.is_open(opening)
    assert cal.between(moment, opening) == 0


def _wall_clock_open(cal: BusinessCalendar, moment: datetime) -> bool:
    """Independent oracle: read the local wall clock, compare with the opening hours."""
    local = moment.astimezone(ZoneInfo(cal.timezone))
    return (
        local.weekday() in cal.weekdays
        and local.date() not in cal.holidays
        and cal.opens <= local.time().replace(tzinfo=None) < cal.closes
    )


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(PLAIN_CALENDARS), instants, st.integers(0, 36 * 60))
def test_matches_a_wall_clock_oracle(cal: BusinessCalendar, start: datetime, minutes: int) -> None:
    start = start.replace(second=0, microsecond=0)
    steps = [start + timedelta(minutes=n) for n in range(minutes)]
    assert cal.between(start, start + timedelta(minutes=minutes)) == 60 * sum(
        _wall_clock_open(cal, step) for step in steps
    )
    for step in steps[:: max(1, minutes // 40)]:
        assert cal.is_open(step) == _wall_clock_open(cal, step)


@settings(max_examples=60, deadline=None)
@given(calendars, instants, instants)
def test_long_spans_from_running_totals_match_the_daily_walk(
    cal: BusinessCalendar, a: datetime, b: datetime
) -> None:
    """Spans over two weeks use running totals; chunks under two weeks walk each day."""
    start, end = min(a, b), max(a, b)
    walked = 0.0
    cursor = start
    while cursor < end:
        step = min(end, cursor + timedelta(days=10))
        walked += cal.between(cursor, step)
        cursor = step
    assert cal.between(start, end) == pytest.approx(walked, abs=1e-6)
