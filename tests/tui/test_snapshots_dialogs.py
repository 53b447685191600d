"""SVG snapshots at 80x24 of the dialogs and pushed screens that had none (issue 10.1-10.3).

The note, priority, resolve, escalation review, callback and conflict dialogs have theirs
in the other snapshot files. Update after an intended change with
`pytest tests/tui/test_snapshots_dialogs.py --snapshot-update` and look at the pictures.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from helpdesk_tui.store.engine import Store
from tests.tui import test_dialog_fit as dialogs
from tests.tui.conftest import AppFactory
from tests.tui.helpers import settle
from tests.tui.test_callbacks import prepare_callbacks
from tests.tui.test_dialog_fit import Opener, on_ticket, opener, press
from tests.tui.test_knowledge_screens import publish_article


async def quiet(pilot: Pilot[Any]) -> None:
    """No blinking cursor and no toast in the picture (a toast leaves after a few seconds
    of wall time, so whether it is still there depends on how busy the machine is)."""
    await settle(pilot)
    pilot.app.clear_notifications()
    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False
        if isinstance(widget, TextArea):
            # Its line cache keys the cursor only while blinking: the cursor's line may be
            # cached from a blink's "off" phase and would stay without the cursor.
            widget._line_cache.clear()
            widget.refresh()
    await pilot.pause()


async def last_escalation_target(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "e", "end")


async def call_with_minutes(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "l", *"called back, fixed", "tab", "1", "2")


async def kb_from_ticket(pilot: Pilot[Any]) -> None:
    await on_ticket(pilot, "k", ticket_id=1)


async def restored_intake(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await press(pilot, "n", *"jane ro", "ctrl+r", "enter", *"Printer jams", "escape", "n")


SNAPSHOTS: list[tuple[str, Opener]] = [
    ("call", call_with_minutes),
    ("priority_reason", dialogs.priority_reason),
    ("category", opener("c")),
    ("which_sop", opener("u")),
    ("escalation_last_target", last_escalation_target),
    ("reopen_reason", dialogs.reopen_reason),
    ("ask_whom", opener("m")),
    ("ask_question", dialogs.ask_question),
    ("sop_finish", dialogs.sop_finish),
    ("queue_filter", dialogs.queue_filter),
    ("discard", dialogs.discard),
    ("quit", dialogs.quit_asks),
    ("help", dialogs.help_keys),
    ("kb_from_ticket", kb_from_ticket),
    ("intake_draft_restored", restored_intake),
]


@pytest.mark.parametrize("open_it", [s[1] for s in SNAPSHOTS], ids=[s[0] for s in SNAPSHOTS])
def test_dialog_at_80x24(
    snap_compare: Any, make_app: AppFactory, seeded: Store, open_it: Opener
) -> None:
    prepare_callbacks(seeded)
    publish_article(seeded, "VPN won't connect from home", "Reinstall the VPN profile.")

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await open_it(pilot)
        await quiet(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)
