"""Pilot tests of hotline intake: requester lookup, triage prefill, one-chord submit."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk_tui.screens.modals import TextModal
from helpdesk_tui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Requester
from tests.tui.conftest import AppFactory
from tests.tui.helpers import screen_text, settle, ticket


async def test_intake_with_existing_requester(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        await pilot.press(*"jane ro")
        await settle(pilot)
        assert "Jane Roe" in screen_text(pilot)
        await pilot.press("ctrl+r", "enter")
        await settle(pilot)
        await pilot.press(*"wifi keeps dropping in meeting room 4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        assert screen.query_one("#category").value == "network"  # type: ignore[attr-defined]
        assert "Suggested" in screen_text(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        new_id = app.screen.ticket_id
        created = ticket(seeded, new_id)
        assert created.title == "wifi keeps dropping in meeting room 4"
        assert created.category == "network"
        with seeded.read() as s:
            assert s.get(Requester, created.requester_id).name == "Jane Roe"  # type: ignore[union-attr]


async def test_intake_creates_requester_inline(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", *"Zoe Newcomer", "tab")
        await pilot.press("tab", "tab")  # channel, kind
        await pilot.press(*"monitor shows no signal")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
    with seeded.read() as s:
        names = list(s.scalars(sa.select(Requester.name)))
    assert "Zoe Newcomer" in names


async def test_intake_needs_a_title(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        assert any("title" in n.message for n in app._notifications)


async def test_priority_override_at_intake_asks_why(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", "tab", "tab", "tab", *"keyboard sticky keys")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        screen.query_one("#priority").value = "critical"  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        await pilot.press(*"CFO's keyboard", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        created = ticket(seeded, app.screen.ticket_id)
        assert created.priority == "critical" and created.priority_overridden
