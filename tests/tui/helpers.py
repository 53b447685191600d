"""Small helpers for Pilot tests: wait for workers, read the screen, query the store."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from textual.pilot import Pilot

from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Interaction, Ticket
from helpdesk_tui.widgets.queue_table import QueueTable


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker finished and the messages they posted are handled."""
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return


def row_ids(pilot: Pilot[Any]) -> list[int]:
    """Ticket ids in the queue table, top to bottom."""
    table = pilot.app.screen.query_one(QueueTable)
    return [int(key) for key in table.row_keys]


def screen_text(pilot: Pilot[Any]) -> str:
    """Everything on screen as plain text (from the rendered SVG's text)."""
    import re
    from html import unescape

    svg = pilot.app.export_screenshot()
    return unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def ticket(store: Store, ticket_id: int) -> Ticket:
    with store.read() as s:
        found = s.get(Ticket, ticket_id)
        assert found is not None
        return found


def log_entries(store: Store, ticket_id: int) -> list[tuple[str, str, int]]:
    with store.read() as s:
        rows = s.execute(
            sa.select(Interaction.kind, Interaction.text, Interaction.handle_seconds)
            .where(Interaction.ticket_id == ticket_id)
            .order_by(Interaction.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]
