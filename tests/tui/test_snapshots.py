"""SVG snapshots of every screen state at 80x24 and 120x40 (frozen clock, seeded data).

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the pictures in the report before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory, other_agent_changes
from tests.tui.helpers import settle

SIZES = [(80, 24), (120, 40)]


async def _quiet(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def steps(
    *keys: str, before: Callable[[Pilot[Any]], Any] | None = None
) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if before is not None:
            await before(pilot)
        for key in keys:
            await pilot.press(key)
            await _quiet(pilot)

    return run


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_queue(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps())


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_ticket(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("j", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_new_ticket(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    keys = ["n", *"jane", "ctrl+r", "enter", *"vpn will not connect"]
    assert snap_compare(make_app(), terminal_size=size, run_before=steps(*keys))


def test_search(snap_compare: Any, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps("slash", *"vpn"))


def test_help(snap_compare: Any, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=steps("question_mark"))


def test_priority_dialog(snap_compare: Any, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps("enter", "p"))


def test_note_dialog(snap_compare: Any, make_app: AppFactory) -> None:
    keys = ["enter", "n", *"Called back, no answer"]
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps(*keys))


def test_conflict_dialog(snap_compare: Any, make_app: AppFactory, seeded: Store) -> None:
    async def meanwhile(pilot: Pilot[Any]) -> None:
        pilot.app.open_ticket(3)  # type: ignore[attr-defined]
        await settle(pilot)
        other_agent_changes(seeded, 3, error_codes="0x800CCC0E", urgency="high")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps("w", before=meanwhile))


def test_too_small(snap_compare: Any, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(60, 20), run_before=steps())


def test_hostile_ticket(snap_compare: Any, make_app: AppFactory) -> None:
    async def open_hostile(pilot: Pilot[Any]) -> None:
        pilot.app.open_ticket(9)  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=steps(before=open_hostile))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_sop_library(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("f4"))


def test_sop_search(snap_compare: Any, make_app: AppFactory) -> None:
    keys = ["f4", "slash", *"wifi keeps dropping"]
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_sop_run(snap_compare: Any, make_app: AppFactory, size: tuple[int, int]) -> None:
    async def open_vpn(pilot: Pilot[Any]) -> None:
        pilot.app.open_ticket(1)  # type: ignore[attr-defined]
        await settle(pilot)

    keys = ["u", "enter", "space", "space"]  # a tick moves on to the next step
    assert snap_compare(make_app(), terminal_size=size, run_before=steps(*keys, before=open_vpn))


def test_kb_editor_preview(snap_compare: Any, make_app: AppFactory) -> None:
    keys = ["f5", "n", *"Map a network drive", "tab", "tab", "tab", "tab", "tab"]
    keys += [*"## Steps", "enter", *"1. Open File Explorer", "ctrl+t"]
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=steps(*keys))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_launch_frame(snap_compare: Any, seeded: Store, size: tuple[int, int]) -> None:
    """The first frame of `helpdesk`, drawn before the services have loaded."""
    import threading

    from helpdesk_tui.app import HelpdeskApp
    from helpdesk_tui.services import rbac
    from helpdesk_tui.services.desk import DeskService
    from helpdesk_tui.services.opening import open_queue
    from tests.tui.conftest import NOW

    url = seeded.engine.url.render_as_string(hide_password=False)
    opening = open_queue(url, rbac.os_login(), limit=60, now=NOW)
    assert opening is not None
    gate = threading.Event()

    def load() -> DeskService:
        gate.wait(60)  # held back until the picture is taken
        return DeskService(seeded, rbac.os_login(), clock=lambda: NOW)

    app = HelpdeskApp(opening=opening, load_desk=load, poll_seconds=0, header_seconds=0)
    try:
        assert snap_compare(app, terminal_size=size, run_before=steps())
    finally:
        gate.set()
        app.close_desk()
