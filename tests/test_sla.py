"""SLA state with a frozen clock: thresholds, pause and resume, response clock, policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.sla import SlaBook, SlaTerms, sla_status
from tests.conftest import Desk

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
H = 3600.0


def terms(
    resolve_h: float = 4, response_h: float = 1, cal: BusinessCalendar | None = None
) -> SlaTerms:
    return SlaTerms(None, "t", "high", response_h * H, resolve_h * H, cal or BusinessCalendar())


def status(t: SlaTerms, now: datetime, **kw: object):  # type: ignore[no-untyped-def]
    cal = t.calendar
    args: dict[str, object] = {
        "now": now,
        "created_at": T0,
        "response_due": cal.add(T0, t.response_s),
        "resolve_due": cal.add(T0, t.resolve_s),
        "first_response_at": None,
        "resolved_at": None,
        "paused_at": None,
    }
    args.update(kw)
    return sla_status(t, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "state"),
    [
        (0, "ok"),
        (179, "ok"),
        (180, "warning"),
        (239, "warning"),
        (240, "breached"),
        (600, "breached"),
    ],
)
def test_resolution_thresholds(minutes: int, state: str) -> None:
    t = terms()
    got = status(t, T0 + timedelta(minutes=minutes), first_response_at=T0)
    assert got.state == state
    assert got.used == pytest.approx(minutes / 240)


def test_response_clock_breach_shows_even_when_resolution_is_fine() -> None:
    t = terms(resolve_h=40, response_h=1)
    got = status(t, T0 + timedelta(minutes=61))
    assert got.response_state == "breached" and got.state == "breached"
    answered = status(t, T0 + timedelta(minutes=61), first_response_at=T0 + timedelta(minutes=30))
    assert answered.response_state == "met" and answered.state == "ok"


def test_response_warning_at_75_percent() -> None:
    t = terms(resolve_h=40, response_h=1)
    assert status(t, T0 + timedelta(minutes=45)).state == "warning"


def test_paused_clock_is_frozen() -> None:
    t = terms()
    paused_at = T0 + timedelta(hours=1)
    much_later = T0 + timedelta(days=3)
    got = status(t, much_later, first_response_at=T0, paused_at=paused_at)
    assert got.paused and got.state == "ok"
    assert got.remaining_s == pytest.approx(3 * H)


def test_resolved_in_time_is_met_and_late_is_breached() -> None:
    t = terms()
    assert (
        status(
            t, T0 + timedelta(days=9), first_response_at=T0, resolved_at=T0 + timedelta(hours=3)
        ).state
        == "met"
    )
    late = status(
        t, T0 + timedelta(days=9), first_response_at=T0, resolved_at=T0 + timedelta(hours=5)
    )
    assert late.state == "breached" and late.used == pytest.approx(5 / 4)


def test_business_hours_clock_stops_overnight() -> None:
    cal = BusinessCalendar.business_hours("b", "Europe/Berlin")  # 08:00-18:00 local
    t = terms(resolve_h=8, cal=cal)
    created = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 16:00 Berlin
    due = cal.add(created, t.resolve_s)
    assert due == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 14:00 Berlin
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    got = sla_status(
        t,
        now=saturday,
        created_at=created,
        response_due=None,
        resolve_due=due,
        first_response_at=created,
        resolved_at=None,
        paused_at=None,
    )
    assert got.remaining_s == pytest.approx(6 * H)  # 2 h were used on Friday
    assert got.state == "ok"


def test_default_policies_are_seeded(desk: Desk) -> None:
    with desk.store.read() as session:
        book = SlaBook.load(session)
    assert set(book.by_priority) == {"critical", "high", "medium", "low", "informational"}
    assert book.terms("critical").calendar.always_open
    assert not book.terms("low").calendar.always_open
    assert book.terms("low").calendar.timezone == "Europe/Berlin"
    resolve = [
        book.terms(p).resolve_s for p in ("critical", "high", "medium", "low", "informational")
    ]
    assert resolve == sorted(resolve)
