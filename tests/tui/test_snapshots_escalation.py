"""SVG snapshots of the escalation dialogs, an escalated ticket and the group queue.

Update after an intended change with
`pytest tests/tui/test_snapshots_escalation.py --snapshot-update` and look at the pictures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import NOW, AppFactory
from tests.tui.helpers import settle
from tests.tui.test_escalation_screens import escalate_to_l2

SIZES = [(80, 24), (120, 40)]
#: Keys that open ticket 1 and pick L2 Network (6th of the L2/L3 groups) to escalate to.
TO_L2_NETWORK = ["enter", "e", "down", "down", "down", "down", "down", "enter"]


async def _quiet(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def steps(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await _quiet(pilot)
        for key in keys:
            await pilot.press(key)
            await _quiet(pilot)

    return run


@pytest.fixture
def bob_app(seeded: Store) -> Iterator[HelpdeskApp]:
    """The app of bob (L2 Network engineer) with tickets 1 and 5 escalated to his group."""
    escalate_to_l2(seeded, 1, 5)
    desk = DeskService(seeded, "bob", clock=lambda: NOW)
    yield HelpdeskApp(desk, poll_seconds=0, header_seconds=0)
    desk.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_escalation_target(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("enter", "e"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_escalation_review(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    keys = [*TO_L2_NETWORK, *"printer still offline after the SOP"]
    assert snap_compare(make_app(), terminal_size=size, run_before=steps(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_group_queue(snap_compare: Any, bob_app: HelpdeskApp, size: tuple[int, int]) -> None:
    assert snap_compare(bob_app, terminal_size=size, run_before=steps("3"))


def test_escalated_ticket(snap_compare: Any, bob_app: HelpdeskApp) -> None:
    assert snap_compare(bob_app, terminal_size=(80, 24), run_before=steps("3", "enter", "t"))


def test_resolve_dialog(snap_compare: Any, make_app: AppFactory) -> None:
    keys = ["enter", "s", "enter", "down", "enter", *"reset the VPN profile"]
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps(*keys))
