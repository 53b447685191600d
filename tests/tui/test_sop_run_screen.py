"""The SOP run screen at 80x24 (issue 10 item 8): whole steps, visible ticks, `space` shown."""

from __future__ import annotations

import re
from typing import Any

from textual.pilot import Pilot

from helpdesk_tui.screens.sop_run import SopRunScreen
from tests.tui.conftest import AppFactory
from tests.tui.fit import footer_text, screen_lines
from tests.tui.helpers import settle
from tests.tui.test_ticket_screen import open_ticket

FIRST_STEP = (
    "Check the status page and the queue for other VPN tickets in the last hour; if "
    "several, follow network-outage-site and link tickets"
)


async def open_run(pilot: Pilot[Any]) -> SopRunScreen:
    await open_ticket(pilot, 1)
    for key in ("u", "enter"):
        await pilot.press(key)
        await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SopRunScreen)
    return screen


def steps_column(pilot: Pilot[Any], screen: SopRunScreen) -> list[str]:
    """The rows of the step list as shown (without the list's border)."""
    steps = screen.query_one("#sop-steps")
    region = steps.content_region
    rows = screen_lines(pilot)[region.y : region.bottom]
    return [row[region.x : region.right].rstrip() for row in rows]


async def test_a_long_step_can_be_read_whole_on_the_run_screen(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(pilot)
        shown = " ".join(line.strip() for line in steps_column(pilot, screen))
        assert "…" not in shown
        assert FIRST_STEP in re.sub(r"\s+", " ", shown)


async def test_ticked_and_open_steps_differ_by_a_mark_not_only_colour(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(pilot)
        await pilot.press("space")
        await settle(pilot)
        rows = [r.strip() for r in steps_column(pilot, screen) if r.strip()]
        assert re.match(r"\[x\] +1\. Check", rows[0])
        second = next(r for r in rows if re.search(r"\b2\. ", r))
        assert re.match(r"\[ \] +2\. Ask", second)
        await pilot.press("up", "space")  # untick step 1 again
        await settle(pilot)
        rows = [r.strip() for r in steps_column(pilot, screen) if r.strip()]
        assert re.match(r"\[ \] +1\. Check", rows[0])
        assert screen.run is not None and screen.run.steps_done == []


async def test_run_screen_footer_shows_space(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_run(pilot)
        shown = await footer_text(pilot)
        assert "space Tick" in shown and "esc Back" in shown and "f Finish" in shown
