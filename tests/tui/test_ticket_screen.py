"""Pilot tests of the ticket screen: every single-key action, and conflicts."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from helpdesk_tui.screens.escalation import EscalationModal, ResolveModal
from helpdesk_tui.screens.modals import ChoiceModal, ConflictModal, TextModal
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory, other_agent_changes
from tests.tui.helpers import log_entries, screen_text, settle, ticket


async def open_ticket(pilot: Pilot[Any], ticket_id: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.open_ticket(ticket_id)  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def choose(pilot: Pilot[Any], value: str) -> None:
    """Pick `value` in the open ChoiceModal."""
    modal = pilot.app.screen
    assert isinstance(modal, ChoiceModal)
    ids = [v for v, _label in modal.options]
    options = modal.query_one("OptionList")
    options.highlighted = ids.index(value)  # type: ignore[attr-defined]
    await pilot.press("enter")
    await settle(pilot)


async def test_shows_facts_log_and_suggestions(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, 1)
        text = screen_text(pilot)
        assert "#1 VPN won't connect from home" in text
        assert "error 809" in text
        assert "Suggested" in text and "category: network" in text
        assert "created" in text and "resolve by" in text


async def test_take_note_and_call(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        await pilot.press("t")
        await settle(pilot)
        assert ticket(seeded, 3).status == "in_progress"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        await pilot.press(*"asked for logs", "tab", "3", "ctrl+s")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"rang the user back", "tab", "1", ".", "5", "ctrl+s")
        await settle(pilot)
        entries = log_entries(seeded, 3)
        assert ("note", "asked for logs", 180) in entries
        assert ("call", "rang the user back", 90) in entries
        assert "rang the user back" in screen_text(pilot)


async def test_empty_note_is_refused_in_the_dialog(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        await pilot.press("n", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        assert "cannot be empty" in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert [k for k, _t, _s in log_entries(seeded, 3)] == ["created"]


async def test_priority_override_asks_why(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        before = ticket(seeded, 3)
        await pilot.press("p")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        assert modal.selected == before.suggested_priority  # suggestion preselected
        assert "impact" in screen_text(pilot)  # and its reason shown
        await choose(pilot, "critical")
        assert isinstance(app.screen, TextModal)
        await pilot.press(*"CEO is travelling", "enter")
        await settle(pilot)
        after = ticket(seeded, 3)
        assert after.priority == "critical" and after.priority_overridden
        assert any("CEO is travelling" in text for _k, text, _s in log_entries(seeded, 3))


async def test_category_follows_suggestion_without_asking(
    make_app: AppFactory, seeded: Store
) -> None:
    other_agent_changes(seeded, 1, category="other")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 1)
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal) and modal.selected == "network"
        await pilot.press("enter")  # the suggestion: no reason needed
        await settle(pilot)
        assert ticket(seeded, 1).category == "network"


async def test_status_moves(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 2)
        await pilot.press("w")
        await settle(pilot)
        assert ticket(seeded, 2).status == "waiting_customer"
        await pilot.press("i")
        await settle(pilot)
        assert ticket(seeded, 2).status == "in_progress"
        await pilot.press("s", "ctrl+s")  # no code, no summary: refused
        await settle(pilot)
        assert isinstance(app.screen, ResolveModal)
        await pilot.press("enter", "down", "enter")  # the first code: solved_permanent
        await pilot.press(*"replaced the toner", "ctrl+s")
        await settle(pilot)
        resolved = ticket(seeded, 2)
        assert resolved.status == "resolved" and resolved.resolution == "replaced the toner"
        await pilot.press("o")
        await settle(pilot)
        await pilot.press(*"still streaky", "enter")
        await settle(pilot)
        assert ticket(seeded, 2).reopen_count == 1
        await pilot.press("s", "enter", "down", "enter", *"cleaned the drum", "ctrl+s")
        await settle(pilot)
        assert ticket(seeded, 2).resolution_code == "solved_permanent"
        await pilot.press("x")  # the requester confirmed: how?
        await settle(pilot)
        await choose(pilot, "phone")
        closed = ticket(seeded, 2)
        assert closed.status == "closed" and closed.confirmation_channel == "phone"


async def test_escalate_to_group(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 1)
        await pilot.press("e")
        await settle(pilot)
        await choose(pilot, "L2 Network")
        assert isinstance(app.screen, EscalationModal)  # review the handoff package
        await pilot.press(*"needs L2", "ctrl+s")
        await settle(pilot)
        escalated = ticket(seeded, 1)
        assert escalated.status == "escalated" and escalated.group_id is not None


async def test_conflict_shows_what_changed_and_reapplies(
    make_app: AppFactory, seeded: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(pilot, 3)
        other_agent_changes(seeded, 3, error_codes="0x800CCC0E")  # meanwhile, elsewhere
        await pilot.press("p")
        await settle(pilot)
        await choose(pilot, "critical")
        await pilot.press(*"board meeting", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConflictModal)
        text = screen_text(pilot)
        assert "0x800CCC0E" in text and "error_codes" in text
        assert ticket(seeded, 3).priority != "critical"  # nothing overwritten silently
        await pilot.press("enter")  # re-apply mine
        await settle(pilot)
        after = ticket(seeded, 3)
        assert after.priority == "critical" and after.error_codes == "0x800CCC0E"


async def test_conflict_discard_keeps_theirs(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(pilot, 3)
        other_agent_changes(seeded, 3, category="other")
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ConflictModal)
        await pilot.press("escape")
        await settle(pilot)
        assert ticket(seeded, 3).status == "new"
        assert "other" in screen_text(pilot)


async def test_actions_that_do_not_apply_are_disabled(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, 1)
        assert screen.check_action("close", ()) is None
        assert screen.check_action("reopen", ()) is None
        assert screen.check_action("take", ()) is True
