"""SVG snapshots of the notifications screen at 80x24 and 120x40 (frozen clock).

Update after an intended change with
`pytest tests/tui/test_snapshots_notifications.py --snapshot-update` and look at the
pictures before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from helpdesk_tui.store.engine import Store
from tests.tui.conftest import AppFactory
from tests.tui.helpers import settle
from tests.tui.test_notifications import notify

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_notifications(
    snap_compare: Any, make_app: AppFactory, seeded: Store, size: tuple[int, int]
) -> None:
    notify(seeded)

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("r")  # one read: both looks on screen
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)
