"""The queue's table: one page of rows from SQL, asking for more at its edges."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from helpdesk_tui.i18n import _
from helpdesk_tui.services.views import TicketRow
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.formatting import priority_cell, sla_cell, status_cell

#: (key, label, width); None width = takes the rest (the subject).
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("id", _("#"), 7),
    ("prio", _("Pri"), 3),
    ("sla", _("SLA"), 6),
    ("status", _("Status"), 9),
    ("category", _("Category"), 10),
    ("subject", _("Subject"), None),
    ("assignee", _("Agent"), 7),
)


class QueueTable(DataTable[Text]):
    """A DataTable holding one page; moving past an edge posts `EdgeReached`."""

    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False, id="queue.down"),
        Binding("k", "cursor_up", _("Up"), show=False, id="queue.up"),
        Binding("home,g", "first_page", _("First"), show=False, id="queue.first"),
        Binding("end,G", "last_page", _("Last"), show=False, id="queue.last"),
    ]

    @dataclass
    class EdgeReached(Message):
        """The cursor tried to leave the page: `where` is next, previous, first or last."""

        where: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable"
        )
        self.subject_width = 30

    def on_mount(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """(Re)create the columns so the subject takes the width left over."""
        # Each cell has one column of padding on either side; 2 more for the scrollbar.
        fixed = sum(w for _k, _l, w in COLUMNS if w) + 2 * len(COLUMNS) + 2
        self.subject_width = max(12, self.size.width - fixed) if self.size.width else 30
        self.clear(columns=True)
        for key, label, width in COLUMNS:
            self.add_column(label, width=width or self.subject_width, key=key)

    def show_rows(self, rows: list[TicketRow], cursor_row: int | None = None) -> None:
        """Replace the table's rows with one page."""
        self.clear()
        for row in rows:
            self.add_row(*self.cells(row), key=str(row.id))
        if rows and cursor_row is not None:
            self.move_cursor(row=max(0, min(cursor_row, len(rows) - 1)), animate=False)

    def cells(self, row: TicketRow) -> tuple[Text, ...]:
        """The cells of one row; untrusted text goes through the sanitiser as plain Text."""
        return (
            Text(str(row.id), style="bold"),
            priority_cell(row.priority),
            sla_cell(row.sla.state, row.sla.remaining_s, row.sla.paused),
            status_cell(row.status),
            plain(row.category, one_line=True),
            plain(row.title, one_line=True),
            plain(row.assignee or "-", one_line=True),
        )

    # Edges: ask the screen for another page instead of stopping.
    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.EdgeReached("next"))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.EdgeReached("previous"))
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.EdgeReached("next"))
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.EdgeReached("previous"))
            return
        super().action_page_up()

    def action_first_page(self) -> None:
        self.post_message(self.EdgeReached("first"))

    def action_last_page(self) -> None:
        self.post_message(self.EdgeReached("last"))
