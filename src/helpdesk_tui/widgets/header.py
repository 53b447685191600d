"""The desk header: agent, presence, nearest SLA breach, clock.

It repaints only when told (data changed, presence toggled) or on a slow timer: no
per-second repaint, which matters over SSH (DESIGN §9).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from helpdesk_tui.i18n import _
from helpdesk_tui.services.queue_types import NearestBreach
from helpdesk_tui.widgets.formatting import wall_countdown

PRESENCE_STYLES = {"available": "bold green", "busy": "bold red", "away": "yellow"}
PRESENCE_DOTS = {"available": "●", "busy": "⛔", "away": "◌"}


class DeskHeader(Static):
    """One line at the top of every screen."""

    DEFAULT_CSS = """
    DeskHeader { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, agent_name: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.agent_name = agent_name
        self.presence = "available"
        self.breach: NearestBreach | None = None
        self.now: datetime | None = None
        self.open_count: int | None = None
        #: Unread notifications (SLA warnings, breaches, escalations); shown only when > 0.
        self.unread = 0

    def show(
        self,
        *,
        presence: str | None = None,
        breach: NearestBreach | None = None,
        now: datetime | None = None,
        open_count: int | None = None,
        unread: int | None = None,
    ) -> None:
        """Update what the header shows and repaint once."""
        if presence is not None:
            self.presence = presence
        if now is not None:
            self.now = now
            self.breach = breach
        if open_count is not None:
            self.open_count = open_count
        if unread is not None:
            self.unread = unread
        self.update(self.header_text())

    def header_text(self) -> Text:
        """The header's text (the agent's name is outside text: plain, never markup)."""
        line = Text()
        line.append("helpdesk", style="bold")
        line.append("  ")
        line.append(self.agent_name)
        line.append("  ")
        line.append(
            f"{PRESENCE_DOTS.get(self.presence, '?')} {_(self.presence)}",
            style=PRESENCE_STYLES.get(self.presence, ""),
        )
        if self.open_count is not None:
            line.append(f"  {self.open_count:,} " + _("open"), style="dim")
        if self.unread:
            line.append(f"  🔔 {self.unread:,}", style="bold yellow")
        if self.now is not None:
            if self.breach is not None:
                left = wall_countdown(self.breach.due, self.now)
                overdue = self.breach.due <= self.now
                label = _("breached") if overdue else _("next breach")
                line.append(
                    f"  {label} #{self.breach.ticket_id} {left}",
                    style="bold red" if overdue else "yellow",
                )
            line.append(f"  {self.now.astimezone().strftime('%H:%M')}", style="dim")
        return line
