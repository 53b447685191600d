"""Nothing an agent typed is lost on one key (issue 10.2), at 80x24.

Esc on the intake form keeps the draft for the next `n`; Esc in a dialog or the article
editor with typed text asks first; ctrl+q with typed text asks first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from helpdesk_tui.screens.callback_record import RecordCallbackModal
from helpdesk_tui.screens.confirm import DiscardModal, QuitModal
from helpdesk_tui.screens.escalation import EscalationModal, ResolveModal
from helpdesk_tui.screens.kb import KbEditScreen
from helpdesk_tui.screens.modals import ConflictModal, TextModal
from helpdesk_tui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory, other_agent_changes
from tests.tui.helpers import log_entries, settle, ticket
from tests.tui.test_callbacks import open_callbacks, prepare_callbacks
from tests.tui.test_ticket_screen import choose, open_ticket

Typist = Callable[[Pilot[Any]], Awaitable[None]]


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


# -- intake ------------------------------------------------------------------------------
async def test_esc_on_intake_keeps_the_draft_and_n_brings_it_back(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", *"jane ro", "ctrl+r", "enter", *"Printer jams", "tab", *"tray 2")
        screen = app.screen
        assert isinstance(screen, NewTicketScreen) and screen.requester is not None
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)
        assert any("Draft kept" in n.message for n in app._notifications)
        await press(pilot, "n")
        restored = app.screen
        assert isinstance(restored, NewTicketScreen) and restored is not screen
        assert restored.query_one("#requester", Input).value == "Jane Roe"
        assert restored.requester is not None and restored.requester.name == "Jane Roe"
        assert restored.query_one("#title", Input).value == "Printer jams"
        assert restored.query_one("#body", TextArea).text == "tray 2"


async def test_intake_draft_keeps_choices_made_by_hand(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", *"Printer jams")
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        screen.query_one("#priority", Select).focus()
        await settle(pilot)
        screen.query_one("#priority", Select).value = "critical"
        await settle(pilot)
        await press(pilot, "escape", "n")
        restored = app.screen
        assert isinstance(restored, NewTicketScreen)
        assert restored.query_one("#priority", Select).value == "critical"
        assert "priority" in restored.touched


async def test_clearing_the_intake_form_asks_and_then_starts_blank(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "tab", "tab", "tab", *"Printer jams", "ctrl+l")
        assert isinstance(app.screen, DiscardModal)
        await press(pilot, "escape")  # keep editing
        form = app.screen
        assert isinstance(form, NewTicketScreen)
        assert form.query_one("#title", Input).value == "Printer jams"
        await press(pilot, "ctrl+l", "d")
        blank = app.screen
        assert isinstance(blank, NewTicketScreen)
        assert blank.query_one("#title", Input).value == ""
        await press(pilot, "escape", "n")
        assert app.screen.query_one("#title", Input).value == ""


async def test_a_saved_ticket_leaves_no_draft(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "tab", "tab", "tab", *"Printer jams")
        await press(pilot, "ctrl+s")
        if not isinstance(app.screen, TicketScreen):  # the priority override asks why
            await press(pilot, *"caller insists", "ctrl+s")
        assert isinstance(app.screen, TicketScreen)
        await press(pilot, "escape", "n")
        assert app.screen.query_one("#title", Input).value == ""


# -- dialogs -----------------------------------------------------------------------------
async def note(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    await press(pilot, "n", *"asked for the logs")


async def call_minutes_only(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    await press(pilot, "l", "tab", "5")


async def reason(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    await press(pilot, "p")
    await choose(pilot, "critical")
    await press(pilot, *"CEO")


async def resolve_summary(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    await press(pilot, "s", "tab", *"restarted the sync")


async def escalation_reason(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    await press(pilot, "e")
    await choose(pilot, "L2 Network")
    await press(pilot, *"needs the firewall team")


async def escalation_package(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    await press(pilot, "e")
    await choose(pilot, "L2 Network")
    await press(pilot, "tab", "end", *" plus my notes")


async def survey_comment(pilot: Pilot[Any]) -> None:
    await open_callbacks(pilot)
    await press(pilot, "enter")
    app = pilot.app
    app.screen.query_one("#comment", Input).focus()
    await settle(pilot)
    await press(pilot, *"slow")


async def article(pilot: Pilot[Any]) -> None:
    await press(pilot, "f5", "n", *"Map a drive")


DIALOGS: list[tuple[str, Typist, type]] = [
    ("note", note, TextModal),
    ("call minutes", call_minutes_only, TextModal),
    ("priority reason", reason, TextModal),
    ("resolve summary", resolve_summary, ResolveModal),
    ("escalation reason", escalation_reason, EscalationModal),
    ("escalation package", escalation_package, EscalationModal),
    ("survey comment", survey_comment, RecordCallbackModal),
    ("kb editor", article, KbEditScreen),
]


@pytest.mark.parametrize(("typist", "kind"), [d[1:] for d in DIALOGS], ids=[d[0] for d in DIALOGS])
async def test_esc_with_typed_text_asks_before_discarding(
    make_app: AppFactory, seeded: Store, typist: Typist, kind: type
) -> None:
    prepare_callbacks(seeded)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await typist(pilot)
        dialog = app.screen
        assert isinstance(dialog, kind)
        await press(pilot, "escape")
        assert isinstance(app.screen, DiscardModal)
        await press(pilot, "escape")  # a second Esc keeps editing: still nothing lost
        assert app.screen is dialog
        await press(pilot, "escape", "d")
        assert app.screen is not dialog and dialog not in app.screen_stack


async def test_esc_without_typed_text_just_closes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, 3)
        for key in ("n", "l", "s"):
            await press(pilot, key, "escape")
            assert app.screen is screen


async def test_conflict_dialog_does_not_discard_on_esc(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        other_agent_changes(seeded, 3, urgency="high")
        await press(pilot, "w")
        assert isinstance(app.screen, ConflictModal)
        await press(pilot, "escape")
        assert isinstance(app.screen, ConflictModal)
        await press(pilot, "enter")
        assert isinstance(app.screen, TicketScreen)
    assert ticket(seeded, 3).status == "waiting_customer"


async def test_quit_with_typed_text_asks_first(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        await press(pilot, "n", *"half a note", "ctrl+q")
        assert isinstance(app.screen, QuitModal)
        await press(pilot, "escape")
        assert isinstance(app.screen, TextModal)
        await press(pilot, "ctrl+s")
        assert ("note", "half a note", 0) in log_entries(seeded, 3)
        await press(pilot, "ctrl+q")
        assert not app.is_running


async def test_quit_with_a_kept_intake_draft_asks_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", *"Jane", "escape", "f4", "ctrl+q")
        assert isinstance(app.screen, QuitModal)
        await press(pilot, "ctrl+q")
        assert not app.is_running


# -- intake: Tab and typing go where the agent expects -----------------------------------
async def test_tab_from_the_requester_skips_its_matches(make_app: AppFactory) -> None:
    """The matches under the requester are entered with ↓ or ctrl+r, not by Tab: three
    Tabs from the requester reach the title, whether or not there are matches."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", *"jane", "tab", "tab", "tab", *"Printer jams")
        screen = app.screen
        assert isinstance(screen, NewTicketScreen) and screen.hits
        assert screen.query_one("#title", Input).value == "Printer jams"
        screen.query_one("#requester", Input).focus()
        await press(pilot, "down", "enter")
        assert screen.requester is not None and screen.requester.name == "Jane Roe"


async def test_letters_typed_on_a_closed_select_choose_by_label(make_app: AppFactory) -> None:
    """A word typed on a closed select is not swallowed: it picks the option it starts."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "tab", "tab", *"se")  # Kind
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        assert screen.query_one("#kind", Select).value == "service_request"
        screen.query_one("#category", Select).focus()
        await press(pilot, *"net")
        assert screen.query_one("#category", Select).value == "network"
        assert "category" in screen.touched
