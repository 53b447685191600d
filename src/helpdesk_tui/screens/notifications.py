"""My notifications: SLA warnings and breaches, auto-escalations (issue 6, part 3).

The watcher (`helpdesk sla watch`, a service or cron job) writes them; this screen only
reads and marks them read. Unread first, newest first; enter opens the ticket (and marks
that notification read), r marks the highlighted one read, R all of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.header import DeskHeader

#: kind -> (short label, style) in the list.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "sla_breach": (_("breach"), "bold red"),
    "sla_warning": (_("warning"), "yellow"),
    "escalation": (_("escalated"), "bold magenta"),
    "sla_backlog": (_("backlog"), "dim"),
}

#: Widths of the fixed columns: unread mark, when, ticket, kind.
_FIXED = (1, 11, 7, 9)


class NotificationsScreen(DeskScreen[None]):
    """The acting agent's notifications."""

    NAMESPACE = "notifications"
    BINDINGS = [
        Binding("enter", "open", _("Open ticket"), id="notifications.open", priority=True),
        Binding("r", "mark_read", _("Read"), id="notifications.read"),
        Binding("R", "mark_all_read", _("All read"), id="notifications.all_read"),
        Binding("escape,backspace,q", "back", _("Back"), id="notifications.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        #: What is on screen, in table order (monitor.NotificationRow).
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Static(Text(_("Notifications"), style="bold"), id="notifications-title")
        yield DataTable(id="notifications", cursor_type="row", zebra_stripes=True)
        yield Static(id="notifications-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        table = self.query_one(DataTable)
        table.focus()
        self.load()

    def on_data_changed(self) -> None:
        """A commit somewhere (the watcher, another terminal): reload."""
        self.load()

    def on_resize(self) -> None:
        if self.rows:
            self.show(self.rows)

    # -- loading ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="notifications", exit_on_error=False)
    def load(self) -> None:
        """Fetch my notifications off the UI thread."""
        rows = self.desk.notifications()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[Any]) -> None:
        """Fill the table, keeping the cursor on the same notification if it is still there."""
        table = self.query_one(DataTable)
        current = self.current()
        keep = current.id if current is not None else None
        self.rows = rows
        table.clear(columns=True)
        text_width = max(20, self.size.width - sum(_FIXED) - 2 * (len(_FIXED) + 1) - 2)
        for label, width in zip(
            ("", _("When"), _("Ticket"), _("Kind"), _("Notification")),
            (*_FIXED, text_width),
            strict=True,
        ):
            table.add_column(label, width=width)
        for row in rows:
            table.add_row(*self.cells(row), key=str(row.id))
        if rows:
            ids = [r.id for r in rows]
            table.move_cursor(row=ids.index(keep) if keep in ids else 0)
        self.render_status()

    def cells(self, row: Any) -> tuple[Text, ...]:
        """One row's cells: plain `Text` only (the ticket title is untrusted, DESIGN §5)."""
        unread = row.read_at is None
        label, style = KIND_LABELS.get(row.kind, (row.kind, ""))
        when: datetime = row.created_at
        what = Text()
        if row.ticket_title:
            what.append_text(plain(row.ticket_title, "bold" if unread else "", one_line=True))
            what.append(" · ", style="dim")
        what.append_text(plain(row.text, "" if unread else "dim", one_line=True))
        return (
            Text("●" if unread else " ", style="bold yellow"),
            Text(when.astimezone().strftime("%m-%d %H:%M"), style="" if unread else "dim"),
            Text(f"#{row.ticket_id}" if row.ticket_id is not None else "", style="dim"),
            Text(label, style=style if unread else "dim"),
            what,
        )

    def render_status(self) -> None:
        """How many are unread, or that there are none at all."""
        unread = sum(1 for r in self.rows if r.read_at is None)
        text = Text()
        if not self.rows:
            text.append(_("no notifications"), style="dim")
        else:
            text.append(f"{unread:,} " + _("unread"), style="bold yellow" if unread else "dim")
            text.append(f" · {len(self.rows):,} " + _("shown") + " · ", style="dim")
            text.append(_("unread first, newest first"), style="dim")
        self.query_one("#notifications-status", Static).update(text)

    def current(self) -> Any | None:
        """The highlighted notification, if any."""
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- actions ----------------------------------------------------------------------
    def action_open(self) -> None:
        """Open the highlighted notification's ticket (and count it as read)."""
        row = self.current()
        if row is None:
            return
        if row.read_at is None:
            self.mark([row.id])
        if row.ticket_id is not None:
            self.helpdesk.open_ticket(row.ticket_id)

    @on(DataTable.RowSelected, "#notifications")
    def selected(self) -> None:
        self.action_open()

    def action_mark_read(self) -> None:
        """Mark the highlighted notification read and move to the next one."""
        row = self.current()
        if row is None or row.read_at is not None:
            return
        self.mark([row.id])
        table = self.query_one(DataTable)
        table.move_cursor(row=min(table.cursor_row + 1, len(self.rows) - 1))

    def action_mark_all_read(self) -> None:
        """Mark every notification of mine read."""
        if any(r.read_at is None for r in self.rows):
            self.mark(None)

    def action_back(self) -> None:
        """Back to where F6 was pressed."""
        self.app.pop_screen()

    @work(thread=True, group="notifications-read", exit_on_error=False)
    def mark(self, ids: list[int] | None) -> None:
        """Store the read marks, then reload the list and the header's count."""
        self.desk.mark_read(ids)
        self.app.call_from_thread(self._marked)

    def _marked(self) -> None:
        self.load()
        self.helpdesk.load_unread()
