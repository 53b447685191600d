"""Every dialog fits 80x24: each field and option on screen when reached, keys visible.

Issue 10 item 3 (the note and call dialogs showed only the top border of Minutes; the
escalation targets ran off the dialog with the highlight on hidden rows) and item 6 (Tab
from the resolution code lost the summary).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select, TextArea

from helpdesk_tui.screens.callback_record import RecordCallbackModal
from helpdesk_tui.screens.confirm import DiscardModal, QuitModal
from helpdesk_tui.screens.escalation import SUPERVISOR, EscalationModal, ResolveModal
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.screens.modals import ChoiceModal, ConflictModal, TextModal
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory, other_agent_changes
from tests.tui.fit import (
    assert_fully_visible,
    assert_option_visible,
    screen_lines,
    walk_fields,
)
from tests.tui.helpers import settle, ticket
from tests.tui.test_callbacks import open_callbacks, prepare_callbacks
from tests.tui.test_ticket_screen import choose, open_ticket

Opener = Callable[[Pilot[Any]], Awaitable[None]]


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def keys_line(screen: Screen[Any]) -> str:
    """The dialog's line of keys, which must be on screen whole."""
    hint = screen.query_one(".dialog-keys")
    assert_fully_visible(hint)
    return str(hint.render())


async def on_ticket(pilot: Pilot[Any], *keys: str, ticket_id: int = 3) -> None:
    await open_ticket(pilot, ticket_id)
    await press(pilot, *keys)


def opener(*keys: str, ticket_id: int = 3) -> Opener:
    async def run(pilot: Pilot[Any]) -> None:
        await on_ticket(pilot, *keys, ticket_id=ticket_id)

    return run


async def escalation_targets(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "e")


async def escalation_review(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "e")
    await choose(pilot, "L2 Network")


async def priority_reason(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "p")
    await choose(pilot, "critical")


async def ask_question(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "m")
    await choose(pilot, "requester")


async def reopen_reason(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "s", "enter", "down", "enter", *"fixed", "ctrl+s", "o")


async def sop_finish(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "u", "enter", "f", ticket_id=1)


async def queue_filter(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await press(pilot, "f")


async def record_callback(pilot: Pilot[Any]) -> None:
    await open_callbacks(pilot)
    await press(pilot, "enter")


async def conflict(pilot: Pilot[Any]) -> None:
    await open_ticket(pilot, 3)
    other_agent_changes(pilot.app.desk.store, 3, urgency="high")  # type: ignore[attr-defined]
    await press(pilot, "w")


async def discard(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "n", *"half a note", "escape")


async def quit_asks(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "n", *"half a note", "ctrl+q")


async def help_keys(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "question_mark")


#: Every dialog of the app: (name, how to open it, its type).
DIALOGS: list[tuple[str, Opener, type]] = [
    ("note", opener("n"), TextModal),
    ("call", opener("l"), TextModal),
    ("priority", opener("p"), ChoiceModal),
    ("priority reason", priority_reason, TextModal),
    ("category", opener("c"), ChoiceModal),
    ("which sop", opener("u"), ChoiceModal),
    ("escalation targets", escalation_targets, ChoiceModal),
    ("escalation review", escalation_review, EscalationModal),
    ("resolve", opener("s"), ResolveModal),
    ("reopen reason", reopen_reason, TextModal),
    ("ask whom", opener("m"), ChoiceModal),
    ("ask question", ask_question, TextModal),
    ("sop finish", sop_finish, ChoiceModal),
    ("queue filter", queue_filter, ChoiceModal),
    ("record callback", record_callback, RecordCallbackModal),
    ("conflict", conflict, ConflictModal),
    ("discard", discard, DiscardModal),
    ("quit", quit_asks, QuitModal),
]


@pytest.mark.parametrize(
    ("open_dialog", "kind"), [d[1:] for d in DIALOGS], ids=[d[0] for d in DIALOGS]
)
async def test_every_dialog_fits_80x24_with_its_keys_visible(
    make_app: AppFactory, seeded: Store, open_dialog: Opener, kind: type
) -> None:
    prepare_callbacks(seeded)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_dialog(pilot)
        dialog = app.screen
        assert isinstance(dialog, kind)
        assert_fully_visible(dialog.query_one(".dialog"))
        assert "esc" in keys_line(dialog) or "enter" in keys_line(dialog)
        for widget in await walk_fields(pilot):
            if isinstance(widget, OptionList):
                for index in range(widget.option_count):
                    widget.highlighted = index
                    await settle(pilot)
                    assert_option_visible(widget)
        keys_line(dialog)


async def test_minutes_field_shows_what_is_typed(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_ticket(pilot, "l", *"called back", "tab", "1", "2")
        minutes = app.screen.query_one("#minutes", Input)
        assert app.screen.focused is minutes
        assert_fully_visible(minutes)
        row = minutes.region.y
        assert "12" in screen_lines(pilot)[row]


async def test_last_escalation_target_is_reachable_and_visible(
    make_app: AppFactory, seeded: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_ticket(pilot, "e")
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        options = modal.query_one(OptionList)
        await press(pilot, "end")
        assert options.highlighted == options.option_count - 1
        assert_option_visible(options)
        text = "\n".join(screen_lines(pilot))
        assert "a supervisor" in text and "enter: choose" in text
        await press(pilot, "enter")
        assert isinstance(app.screen, EscalationModal)
        assert app.screen.target == "a supervisor"
        assert SUPERVISOR  # the value behind the label


async def test_help_fits_and_scrolls(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await help_keys(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert_fully_visible(help_screen.query_one(".dialog"))
        assert "esc closes" in "\n".join(screen_lines(pilot))


# -- item 6: the resolve dialog keeps the summary whatever the keys ------------------------
@pytest.mark.parametrize(
    "keys",
    [
        ["enter", "down", "enter", "tab"],  # choose a code, Tab to the summary
        ["enter", "down", "enter"],  # choose a code, start typing
        ["tab"],  # straight to the summary, the code afterwards
    ],
    ids=["choose-tab-type", "choose-type", "tab-type"],
)
async def test_resolve_summary_is_kept_whatever_the_focus_path(
    make_app: AppFactory, seeded: Store, keys: list[str]
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_ticket(pilot, "s", *keys, *"restarted the sync")
        modal = app.screen
        assert isinstance(modal, ResolveModal)
        summary = modal.query_one("#summary", TextArea)
        assert summary.text == "restarted the sync"
        assert modal.focused is summary
        if keys == ["tab"]:
            await press(pilot, "shift+tab", "enter", "down", "enter")
            assert modal.query_one("#code", Select).value != Select.NULL
        await press(pilot, "ctrl+s")
    resolved = ticket(seeded, 3)
    assert resolved.status == "resolved"
