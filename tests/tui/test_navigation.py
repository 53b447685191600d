"""Every pushed screen has a back key the footer shows; the F-keys never trap (issue 10.1).

All at 80x24, keyboard only, as an agent works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from helpdesk_tui.screens.kb import KbArticleScreen, KbEditScreen, KbScreen
from helpdesk_tui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.screens.notifications import NotificationsScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.sop_library import SopLibraryScreen
from helpdesk_tui.screens.sop_run import SopRunScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory
from tests.tui.fit import footer_text
from tests.tui.helpers import settle
from tests.tui.test_knowledge_screens import publish_article
from tests.tui.test_ticket_screen import open_ticket

Opener = Callable[[Pilot[Any]], Awaitable[None]]


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def kb_from_ticket(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 1)
    await press(pilot, "k")


async def article_from_ticket(pilot: Pilot[Any]) -> None:
    await kb_from_ticket(pilot)
    await press(pilot, "enter")


async def kb_editor(pilot: Pilot[Any]) -> None:
    await press(pilot, "f5", "n")


async def sop_run(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 1)
    await press(pilot, "u", "enter")


async def notifications(pilot: Pilot[Any]) -> None:
    await press(pilot, "f6")


async def intake(pilot: Pilot[Any]) -> None:
    await press(pilot, "n")


async def ticket(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 1)


#: (how to get there, the screen, the back key shown in the footer)
PUSHED: list[tuple[str, Opener, type, str]] = [
    ("ticket", ticket, TicketScreen, "esc Back"),
    ("kb from ticket", kb_from_ticket, KbScreen, "esc Back"),
    ("article from ticket", article_from_ticket, KbArticleScreen, "esc Back"),
    ("kb editor", kb_editor, KbEditScreen, "esc Cancel"),
    ("sop run", sop_run, SopRunScreen, "esc Back"),
    ("notifications", notifications, NotificationsScreen, "esc Back"),
    ("intake", intake, NewTicketScreen, "esc Back"),
]


@pytest.mark.parametrize(
    ("opener", "screen_type", "shown"),
    [p[1:] for p in PUSHED],
    ids=[p[0] for p in PUSHED],
)
async def test_every_pushed_screen_shows_its_back_key_and_leaves_on_it(
    make_app: AppFactory, seeded: Store, opener: Opener, screen_type: type, shown: str
) -> None:
    publish_article(seeded, "VPN won't connect from home", "Reinstall the VPN profile.")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await opener(pilot)
        screen = app.screen
        assert isinstance(screen, screen_type)
        below = app.screen_stack[-2]
        assert shown in await footer_text(pilot)
        await press(pilot, "escape")
        assert app.screen is below


@pytest.mark.parametrize("key", ["escape", "q", "backspace"])
async def test_knowledge_search_from_a_ticket_goes_back_to_the_ticket(
    make_app: AppFactory, key: str
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await kb_from_ticket(pilot)
        assert isinstance(app.screen, KbScreen)
        await press(pilot, key)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 1


async def test_the_kb_mode_itself_has_no_back_key(make_app: AppFactory) -> None:
    """F5's knowledge base is a place of its own (a mode), not a screen pushed on one."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f5")
        assert isinstance(app.screen, KbScreen)
        assert "Back" not in await footer_text(pilot)
        await press(pilot, "escape")
        assert isinstance(app.screen, KbScreen)


async def test_f3_from_a_pushed_screen_goes_to_the_queue(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await kb_from_ticket(pilot)
        await press(pilot, "f3")
        assert isinstance(app.screen, QueueScreen)
        assert len(app.screen_stack) == 1


async def test_another_mode_and_back_returns_to_where_the_agent_was(
    make_app: AppFactory,
) -> None:
    """F4 then F3: the ticket's knowledge search is still there, and esc leaves it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await kb_from_ticket(pilot)
        await press(pilot, "f4")
        assert isinstance(app.screen, SopLibraryScreen)
        await press(pilot, "f3")
        assert isinstance(app.screen, KbScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, TicketScreen)
        await press(pilot, "f3")
        assert isinstance(app.screen, QueueScreen)


@pytest.mark.parametrize("key", ["f3", "f4", "f5", "f6", "f7", "question_mark"])
async def test_mode_keys_do_nothing_under_a_dialog(make_app: AppFactory, key: str) -> None:
    """A dialog is finished or cancelled first; F-keys never leave one behind, half-typed."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 1)
        await press(pilot, "n", *"half a note")
        dialog = app.screen
        await press(pilot, key)
        assert app.screen is dialog


async def test_terminal_too_small_is_not_left_behind_by_a_mode_key(
    make_app: AppFactory,
) -> None:
    from helpdesk_tui.screens.help import TooSmallScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        await press(pilot, "f4")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await press(pilot, "f3", "f4", "f3")
        for mode in ("queue", "sops"):
            stack = app.get_screen_stack(mode)
            assert not any(isinstance(s, TooSmallScreen) for s in stack)


async def test_the_mode_key_asks_before_leaving_a_half_written_article(
    make_app: AppFactory,
) -> None:
    from helpdesk_tui.screens.confirm import DiscardModal

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f5", "n", *"Map a drive", "f5")
        assert isinstance(app.screen, DiscardModal)
        await press(pilot, "escape")
        editor = app.screen
        assert isinstance(editor, KbEditScreen)
        await press(pilot, "f3", "f5")  # away and back: the editor is still there
        assert app.screen is editor
        await press(pilot, "f5", "d")
        assert isinstance(app.screen, KbScreen) and len(app.screen_stack) == 1


async def test_the_mode_key_keeps_the_intake_draft(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "tab", "tab", "tab", *"Printer jams", "f3")
        assert isinstance(app.screen, QueueScreen)
        await press(pilot, "n")
        assert app.screen.query_one("#title").value == "Printer jams"  # type: ignore[attr-defined]
