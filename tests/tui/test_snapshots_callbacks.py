"""SVG snapshots of the callbacks-due list and the record dialog at 80x24 and 120x40.

Update after an intended change with
`pytest tests/tui/test_snapshots_callbacks.py --snapshot-update` and look at the pictures.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from helpdesk_tui.screens.callbacks import CallbacksScreen
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory
from tests.tui.helpers import settle
from tests.tui.test_callbacks import prepare_callbacks

SIZES = [(80, 24), (120, 40)]


def callbacks_then(*keys: str) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(CallbacksScreen())
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_callbacks_due(
    snap_compare: Any, make_app: AppFactory, seeded: Store, size: tuple[int, int]
) -> None:
    prepare_callbacks(seeded)
    assert snap_compare(make_app(), terminal_size=size, run_before=callbacks_then())


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_record_dialog(
    snap_compare: Any, make_app: AppFactory, seeded: Store, size: tuple[int, int]
) -> None:
    prepare_callbacks(seeded)
    keys = ["enter", "space", "tab", "4", "5", "2", *"slow first answer"]
    assert snap_compare(make_app(), terminal_size=size, run_before=callbacks_then(*keys))
