"""The minutes of a note or call are a number from 0 to a day, in the TUI as in the CLI.

`1e308` minutes used to pass the dialog (it is a number, and not negative) and crash the
ticket screen with an OverflowError when turned into seconds.
"""

from __future__ import annotations

import pytest

from helpdesk_tui.screens.modals import TextModal
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory
from tests.tui.helpers import log_entries, screen_text, settle
from tests.tui.test_ticket_screen import open_ticket


@pytest.mark.parametrize("minutes", ["1e308", "99999"])
async def test_minutes_past_a_day_are_refused_in_the_dialog(
    make_app: AppFactory, seeded: Store, minutes: str
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"rang the user back", "tab", *minutes, "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        assert "Minutes must be a number from 0 to 1440" in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert [k for k, _t, _s in log_entries(seeded, 3)] == ["created"]
