"""Calendars, holidays and SLA targets set by admins: due times move (issue 10).

The desk fixture's "business" calendar is Mon-Fri 08:00-18:00 Europe/Berlin; MONDAY_10 is
11:00 in Berlin. A high ticket (30 min response, 8 h resolution) recorded then has 7
business hours left on Monday and is due Tuesday 09:00 Berlin (08:00 UTC).
Runs on SQLite and, with HELPDESK_TEST_PG_URL set, on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, PermissionDenied, UsageError
from helpdesk_tui.services import sla_calendars, sla_policies, workflow
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Audit, Ticket
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, UTC (Berlin is UTC+1 then)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def new_ticket(desk: Desk, priority: str = "high", channel: str = "email") -> int:
    data = NewTicket(
        title="VPN down",
        channel=channel,
        priority=priority,
        category="network",
        priority_reason="the scenario's priority",
        category_reason="the scenario's category",
    )
    ticket = desk.store.run_write(
        lambda s: create_ticket(s, desk.admin, data, rules=RULES, now=MONDAY_10)
    )
    assert ticket.id is not None
    return int(ticket.id)


def due(desk: Desk, ticket_id: int) -> tuple[datetime | None, datetime | None]:
    """(response due, resolution due) of a ticket."""
    with desk.store.read() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.response_due, ticket.resolve_due


def test_a_holiday_moves_due_times_of_open_and_new_tickets(desk: Desk) -> None:
    before = new_ticket(desk)
    assert due(desk, before) == (utc(23, 10, 30), utc(24, 8))
    change = desk.store.run_write(
        lambda s: sla_calendars.add_holidays(s, desk.admin, "business", ["2026-11-24"])
    )
    assert change.dates == (date(2026, 11, 24),) and change.recomputed == 1
    assert due(desk, before) == (utc(23, 10, 30), utc(25, 8))  # Tuesday is off now
    after = new_ticket(desk)
    assert due(desk, after) == (utc(23, 10, 30), utc(25, 8))
    desk.store.run_write(
        lambda s: sla_calendars.remove_holidays(s, desk.admin, "business", ["2026-11-24"])
    )
    assert due(desk, before) == due(desk, after) == (utc(23, 10, 30), utc(24, 8))
    later = desk.store.run_write(  # a holiday after both are due moves nothing
        lambda s: sla_calendars.add_holidays(s, desk.admin, "business", ["2027-06-01"])
    )
    assert later.recomputed == 0 and due(desk, before) == (utc(23, 10, 30), utc(24, 8))


def test_changed_hours_move_due_times(desk: Desk) -> None:
    tid = new_ticket(desk)
    change = desk.store.run_write(
        lambda s: sla_calendars.set_calendar(
            s, desk.admin, "business", opens="09:00", closes="17:00"
        )
    )
    assert change.calendar.hours == "09:00-17:00" and change.recomputed == 1
    # Monday 11:00-17:00 is 6 h; the other 2 h run Tuesday 09:00-11:00 Berlin.
    assert due(desk, tid) == (utc(23, 10, 30), utc(24, 10))
    desk.store.run_write(
        lambda s: sla_calendars.set_calendar(s, desk.admin, "business", timezone="UTC")
    )
    # Now 09:00-17:00 UTC: Monday 10:00-17:00 is 7 h, one more on Tuesday.
    assert due(desk, tid) == (utc(23, 10, 30), utc(24, 10))
    desk.store.run_write(
        lambda s: sla_calendars.set_calendar(s, desk.admin, "business", weekdays="mon,wed")
    )
    assert due(desk, tid)[1] == utc(25, 10)


def test_a_given_response_is_not_rejudged(desk: Desk) -> None:
    tid = new_ticket(desk, channel="phone")  # a phone call is its own first response
    response_due, _ = due(desk, tid)
    desk.store.run_write(
        lambda s: sla_calendars.set_calendar(s, desk.admin, "business", opens="12:00")
    )
    assert due(desk, tid)[0] == response_due


def test_paused_time_still_counts_after_a_change(desk: Desk) -> None:
    tid = new_ticket(desk)
    for status, at in (("waiting_customer", MONDAY_10), ("in_progress", utc(23, 15))):
        desk.store.run_write(
            lambda s, status=status, at=at: workflow.change_status(
                s, desk.admin, tid, status, note="asked for logs", now=at
            )
        )
    # 5 business hours paused (11:00-16:00 Berlin): due Tuesday 14:00 Berlin.
    assert due(desk, tid)[1] == utc(24, 13)
    desk.store.run_write(
        lambda s: sla_calendars.add_holidays(s, desk.admin, "business", ["2026-11-24"])
    )
    assert due(desk, tid)[1] == utc(25, 13)


def test_policy_targets_change_due_times_of_new_tickets(desk: Desk) -> None:
    old = new_ticket(desk)
    view, recomputed = desk.store.run_write(
        lambda s: sla_policies.set_policy_targets(
            s, desk.admin, "high", response_minutes=60, resolve_minutes=4 * 60
        )
    )
    assert (view.response_minutes, view.resolve_minutes, view.calendar) == (60, 240, "business")
    assert recomputed == 0
    assert due(desk, old) == (utc(23, 10, 30), utc(24, 8))  # agreed when it was recorded
    new = new_ticket(desk)
    assert due(desk, new) == (utc(23, 11), utc(23, 14))
    _, recomputed = desk.store.run_write(
        lambda s: sla_policies.set_policy_targets(
            s, desk.admin, "high", resolve_minutes=300, calendar="24x7", recompute_open=True
        )
    )
    assert recomputed == 2
    assert due(desk, old) == due(desk, new) == (utc(23, 11), utc(23, 15))
    with desk.store.read() as s:
        audit = s.scalars(
            sa.select(Audit).where(col(Audit.action) == "sla_policy.set").order_by(col(Audit.id))
        ).all()
    detail = json.loads(audit[0].detail)
    assert detail["from"]["resolve_minutes"] == 480 and detail["to"]["resolve_minutes"] == 240


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resolve_minutes": 10}, "shorter than the response target"),
        ({"response_minutes": 0}, "from 1 minute"),
        ({"calendar": "lunar"}, "unknown calendar 'lunar'; valid: 24x7, business"),
        ({}, "nothing to change"),
    ],
)
def test_bad_policy_targets(desk: Desk, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        desk.store.run_write(
            lambda s: sla_policies.set_policy_targets(s, desk.admin, "high", **kwargs)  # type: ignore[arg-type]
        )
    with pytest.raises(UsageError, match="unknown priority 'urgent'"):
        desk.store.run_write(
            lambda s: sla_policies.set_policy_targets(s, desk.admin, "urgent", resolve_minutes=5)
        )


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("8h", 480), ("1h30m", 90), ("45", 45), (" 2H ", 120)]
)
def test_durations(text: str, minutes: int) -> None:
    assert sla_policies.parse_minutes(text, "--resolve") == minutes
    assert sla_policies.parse_minutes(sla_policies.format_minutes(minutes), "x") == minutes


@pytest.mark.parametrize("text", ["2d", "", "h", "1.5h", "0", "-5m", "9999999"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="--resolve"):
        sla_policies.parse_minutes(text, "--resolve")


def test_only_admins_change_calendars_and_targets(desk: Desk) -> None:
    for actor in (desk.add_agent("ann", "agent"), desk.add_agent("sue", "supervisor")):
        with pytest.raises(PermissionDenied, match="config.manage"):
            desk.store.run_write(
                lambda s, a=actor: sla_calendars.add_holidays(s, a, "business", ["2026-12-25"])
            )
        with pytest.raises(PermissionDenied, match="config.manage"):
            desk.store.run_write(
                lambda s, a=actor: sla_policies.set_policy_targets(s, a, "low", resolve_minutes=60)
            )
        with desk.store.read() as s:  # but everybody may read them
            assert [c.name for c in sla_calendars.list_calendars(s, actor)] == ["24x7", "business"]
            assert len(sla_policies.list_policies(s, actor)) == 5


def test_calendar_views_and_audit(desk: Desk) -> None:
    admin: Actor = desk.admin
    desk.store.run_write(
        lambda s: sla_calendars.add_calendar(
            s, admin, "night desk", timezone="Asia/Tokyo", weekdays="mon-sat", opens="22:00",
            closes="24:00",
        )
    )  # fmt: skip
    desk.store.run_write(
        lambda s: sla_policies.set_policy_targets(s, admin, "low", calendar="night desk")
    )
    with desk.store.read() as s:
        view = sla_calendars.get_calendar(s, admin, "night desk")
        business = sla_calendars.get_calendar(s, admin, "business")
        actions = list(
            s.scalars(sa.select(col(Audit.action)).where(col(Audit.entity) == "calendar"))
        )
    assert view.to_dict() == {
        "name": "night desk",
        "timezone": "Asia/Tokyo",
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat"],
        "opens": "22:00",
        "closes": "00:00",
        "holidays": [],
        "sla_priorities": ["low"],
        "ola_groups": [],
    }
    assert (view.days, view.hours) == ("mon-sat", "22:00-24:00")
    assert business.priorities == ("high", "medium", "informational")
    assert actions == ["calendar.add"]


def test_calendar_mistakes(desk: Desk) -> None:
    def run(work):  # type: ignore[no-untyped-def]
        return desk.store.run_write(lambda s: work(s, desk.admin))

    with pytest.raises(Conflict, match="exists already"):
        run(lambda s, a: sla_calendars.add_calendar(s, a, "business", timezone="UTC"))
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Base'"):
        run(lambda s, a: sla_calendars.add_calendar(s, a, "mars", timezone="Mars/Base"))
    with pytest.raises(UsageError, match="opens must be a time like '08:00', got '18'"):
        run(lambda s, a: sla_calendars.set_calendar(s, a, "business", opens="18"))
    with pytest.raises(UsageError, match="opens 18:00 must be before closes 08:00"):
        run(lambda s, a: sla_calendars.set_calendar(s, a, "business", opens="18:00", closes="8:00"))
    with pytest.raises(UsageError, match="whole minutes"):
        run(lambda s, a: sla_calendars.set_calendar(s, a, "business", opens="08:00:30"))
    with pytest.raises(NotFound, match="no calendar named 'lunar'; calendars: 24x7, business"):
        run(lambda s, a: sla_calendars.add_holidays(s, a, "lunar", ["2026-12-25"]))
    with pytest.raises(UsageError, match="'25.12.2026' is not a date like 2026-12-25"):
        run(lambda s, a: sla_calendars.add_holidays(s, a, "business", ["25.12.2026"]))
    with pytest.raises(NotFound, match="not a holiday of calendar 'business': 2026-12-25"):
        run(lambda s, a: sla_calendars.remove_holidays(s, a, "business", ["2026-12-25"]))


def test_importing_a_holiday_list_adds_or_replaces(desk: Desk) -> None:
    def imported(dates: list[date], replace: bool) -> sla_calendars.CalendarChange:
        return desk.store.run_write(
            lambda s: sla_calendars.import_holidays(
                s, desk.admin, "business", dates, replace=replace, source="de.ics"
            )
        )

    desk.store.run_write(
        lambda s: sla_calendars.add_holidays(s, desk.admin, "business", ["2026-10-03"])
    )
    christmas = [date(2026, 12, 24), date(2026, 12, 25)]
    change = imported([*christmas, date(2026, 10, 3)], replace=False)
    assert change.dates == tuple(christmas)
    assert change.calendar.holidays == (date(2026, 10, 3), *christmas)
    change = imported(christmas, replace=True)
    assert change.calendar.holidays == tuple(christmas) and change.dates == ()


@pytest.mark.parametrize("name", ["", " ", "x" * 65, "evil\x1b]0;PWNED\x07", "rtl\u202eoverride"])
def test_calendar_names_are_printable_text(desk: Desk, name: str) -> None:
    with pytest.raises(UsageError, match="1-64 printable characters"):
        desk.store.run_write(
            lambda s: sla_calendars.add_calendar(s, desk.admin, name, timezone="UTC")
        )
