"""Pilot tests of the notifications screen and the header's unread count (issue 6)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from helpdesk_tui.screens.notifications import NotificationsScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.services import monitor, rbac
from helpdesk_tui.services.context import SYSTEM
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Agent
from helpdesk_tui.store.models.monitoring import Notification
from tests.tui.conftest import NOW, AppFactory
from tests.tui.helpers import screen_text, settle

#: (ticket id, kind, text, minutes before NOW); ticket 9 has the hostile title.
NOTICES = [
    (1, "sla_warning", "resolution SLA at 75 % (due 2026-11-23 12:30 UTC)", 50),
    (9, "sla_breach", "response SLA breached (due 2026-11-23 09:45 UTC)", 20),
    (5, "escalation", "escalated to L3 Infrastructure by auto-escalation rule 'p1'", 10),
]


def notify(store: Store, notices: list[tuple[int, str, str, int]] = NOTICES) -> None:
    """Notifications for the OS account's agent, as the watcher would write them."""

    def write(session: sa.orm.Session) -> None:
        me = session.scalar(sa.select(col(Agent.id)).where(col(Agent.login) == rbac.os_login()))
        assert me is not None
        for ticket_id, kind, text, minutes in notices:
            session.add(
                Notification(
                    agent_id=me,
                    ticket_id=ticket_id,
                    kind=kind,
                    text=text,
                    created_at=NOW - timedelta(minutes=minutes),
                )
            )

    store.run_write(write)


def unread(store: Store) -> int:
    with store.read() as s:
        return monitor.unread_count(s, rbac.resolve_actor(s, rbac.os_login()))


async def test_header_shows_the_unread_count_only_when_there_is_one(
    make_app: AppFactory, seeded: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "🔔" not in screen_text(pilot)
        notify(seeded)
        app.data_changed()  # what the poll does when it sees a commit
        await settle(pilot)
        assert "🔔 3" in screen_text(pilot)


async def test_list_unread_first_and_marking_read(make_app: AppFactory, seeded: Store) -> None:
    notify(seeded)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        assert [r.ticket_id for r in screen.rows] == [5, 9, 1]  # newest first
        text = screen_text(pilot)
        assert "3 unread" in text and "Notifications" in text
        await pilot.press("r")  # the top one read, cursor moves on
        await settle(pilot)
        assert unread(seeded) == 2
        assert [r.read_at is None for r in screen.rows] == [True, True, False]  # unread first
        assert "🔔 2" in screen_text(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert unread(seeded) == 0
        text = screen_text(pilot)
        assert "0 unread" in text and "🔔" not in text
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, NotificationsScreen)


async def test_enter_opens_the_ticket_and_counts_as_read(
    make_app: AppFactory, seeded: Store
) -> None:
    notify(seeded)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("down")  # the breach on ticket 9
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 9
        assert unread(seeded) == 2
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, NotificationsScreen)
        assert [r.read_at is None for r in app.screen.rows] == [True, True, False]


async def test_hostile_title_is_plain_text(make_app: AppFactory, seeded: Store) -> None:
    notify(seeded)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        text = screen_text(pilot)
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
        assert "␛]52;c;" in text  # shown, made visible, never sent
        assert app.is_running


async def test_notifications_from_the_watcher(make_app: AppFactory, seeded: Store) -> None:
    """End to end: a supervisor gets the watcher's notices in the list."""
    with seeded.read() as s:
        admin = rbac.resolve_actor(s, rbac.os_login())
    seeded.run_write(
        lambda s: rbac.set_agent_roles(s, admin, rbac.os_login(), ["admin", "supervisor"])
    )
    report = seeded.run_write(
        lambda s: monitor.watch_once(s, NOW + timedelta(days=1), actor=SYSTEM)
    )
    assert report.events
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert f"🔔 {report.notifications}" in screen_text(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        assert len(screen.rows) == report.notifications


async def test_empty_list(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert "no notifications" in screen_text(pilot)
        await pilot.press("enter")  # nothing to open: no crash
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
