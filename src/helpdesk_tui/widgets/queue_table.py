"""The queue's table: one page of rows from SQL, asking for more at its edges.

A line-API widget rather than a DataTable: the queue swaps whole pages all day (End,
Home, paging through a million tickets), and DataTable lays out and renders every cell
through Rich's full pipeline (~0.25 ms a cell, 60-100 ms a swap). Here a row is one
`Text` cut to fixed column widths and rendered once into a cached `Strip`, so a swap
costs the visible rows only. The page itself is small (the screen keeps a few screens
of rows); scrolling past its edges posts `EdgeReached` and the screen fetches the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from helpdesk_tui.i18n import _
from helpdesk_tui.services.rows import TicketRow
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.formatting import priority_cell, sla_cell, status_cell

#: (key, label, width); None width = takes the rest (the subject).
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("id", _("#"), 7),
    ("prio", _("Pri"), 3),
    ("sla", _("SLA"), 7),  # "-51d13h": overdue by weeks still fits
    ("status", _("Status"), 9),
    ("category", _("Category"), 10),
    ("subject", _("Subject"), None),
    ("assignee", _("Agent"), 7),
)
#: Blank columns on either side of every cell.
PAD = 1


class QueueTable(Widget, can_focus=True):
    """One page of tickets with a row cursor; moving past an edge posts `EdgeReached`."""

    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
        color: $foreground;
        &:focus { background-tint: $foreground 5%; }
        & > .queue-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .queue-table--even-row { background: $surface-lighten-1 50%; }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .queue-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"queue-table--header", "queue-table--even-row", "queue-table--cursor"}

    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False, id="queue.down"),
        Binding("k", "cursor_up", _("Up"), show=False, id="queue.up"),
        Binding("down", "cursor_down", _("Down"), show=False),
        Binding("up", "cursor_up", _("Up"), show=False),
        Binding("pagedown", "page_down", _("Page down"), show=False),
        Binding("pageup", "page_up", _("Page up"), show=False),
        Binding("home,g", "first_page", _("First"), show=False, id="queue.first"),
        Binding("end,G", "last_page", _("Last"), show=False, id="queue.last"),
    ]

    @dataclass
    class EdgeReached(Message):
        """The cursor tried to leave the page: `where` is next, previous, first or last."""

        where: str

    @dataclass
    class RowSelected(Message):
        """A row was chosen with the mouse (a click on the row under the cursor)."""

        row_key: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.subject_width = 30
        self.cursor_row = 0
        self._top = 0  # page row shown on the first line under the header
        self._keys: list[str] = []
        self._cells: list[tuple[Text, ...]] = []
        #: Rendered lines by (page row, has the cursor); the header is row -1.
        self._strips: dict[tuple[int, bool], Strip] = {}

    # -- what the screen reads ---------------------------------------------------------
    @property
    def row_count(self) -> int:
        """Rows on the page."""
        return len(self._keys)

    @property
    def row_keys(self) -> list[str]:
        """The page's ticket ids (row keys), top to bottom."""
        return list(self._keys)

    @property
    def cursor_key(self) -> str | None:
        """The ticket id under the cursor, if the page has rows."""
        return self._keys[self.cursor_row] if self._keys else None

    @property
    def visible_rows(self) -> int:
        """Body lines on screen (the header takes one)."""
        return max(1, self.size.height - 1)

    # -- filling -----------------------------------------------------------------------
    def on_mount(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Give the subject the width left over by the fixed columns."""
        fixed = sum(w for _k, _l, w in COLUMNS if w) + 2 * PAD * len(COLUMNS)
        self.subject_width = max(12, self.size.width - fixed) if self.size.width else 30
        self._repaint()

    def show_rows(self, rows: list[TicketRow], cursor_row: int | None = None) -> None:
        """Replace the table's rows with one page and put the cursor on `cursor_row`."""
        self._keys = [str(row.id) for row in rows]
        self._cells = [self.cells(row) for row in rows]
        self._strips.clear()
        self._top = 0
        self.cursor_row = 0
        self.move_cursor(cursor_row or 0)
        self.refresh()

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

    def move_cursor(self, row: int) -> None:
        """Put the cursor on a page row (clamped) and scroll it into view."""
        if not self._keys:
            self.cursor_row = 0
            return
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(self._keys) - 1))
        top = self._top
        if self.cursor_row < top:
            top = self.cursor_row
        elif self.cursor_row >= top + self.visible_rows:
            top = self.cursor_row - self.visible_rows + 1
        if top != self._top:
            self._top = top
            self.refresh()
        else:  # repaint the two rows whose cursor state changed
            for page_row in (old, self.cursor_row):
                self.refresh(Region(0, page_row - self._top + 1, self.size.width, 1))

    # -- keys and mouse ----------------------------------------------------------------
    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.EdgeReached("next"))
            return
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.EdgeReached("previous"))
            return
        self.move_cursor(self.cursor_row - 1)

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.EdgeReached("next"))
            return
        self.move_cursor(self.cursor_row + self.visible_rows)

    def action_page_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.EdgeReached("previous"))
            return
        self.move_cursor(self.cursor_row - self.visible_rows)

    def action_first_page(self) -> None:
        self.post_message(self.EdgeReached("first"))

    def action_last_page(self) -> None:
        self.post_message(self.EdgeReached("last"))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a click on the cursor's row opens it."""
        row = self._top + event.y - 1
        if event.y < 1 or row >= self.row_count:
            return
        if row == self.cursor_row:
            self.post_message(self.RowSelected(self._keys[row]))
        else:
            self.move_cursor(row)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.action_cursor_down()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.action_cursor_up()

    def on_focus(self) -> None:
        self._repaint()  # the cursor's colours depend on focus

    def on_blur(self) -> None:
        self._repaint()

    def on_resize(self) -> None:
        self.fit_columns()
        self.move_cursor(self.cursor_row)

    def notify_style_update(self) -> None:
        """Theme or CSS changed: the cached rows hold the old colours."""
        self._strips.clear()
        super().notify_style_update()

    # -- rendering ---------------------------------------------------------------------
    def _repaint(self) -> None:
        """Drop every rendered line (widths, focus or colours changed) and redraw."""
        self._strips.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """The header on line 0, else the page row shown there (rendered once, cached)."""
        row = self._top + y - 1 if y else -1
        if row >= len(self._cells):
            return Strip.blank(self.size.width, self.rich_style)
        key = (row, row == self.cursor_row)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._render_row(*key)
        return strip

    def _render_row(self, row: int, cursor: bool) -> Strip:
        """Page row `row` (-1: the header) on its zebra, cursor or header style."""
        if row == -1:
            labels = tuple(Text(label) for _k, label, _w in COLUMNS)
            return self._strip(labels, self.get_component_rich_style("queue-table--header"))
        if cursor:
            style = self.get_component_rich_style("queue-table--cursor")
        elif row % 2:
            style = self.get_component_rich_style("queue-table--even-row")
        else:
            style = self.rich_style
        return self._strip(self._cells[row], style)

    def _strip(self, cells: tuple[Text, ...], style: Style) -> Strip:
        """One line: each cell cut or padded to its column, on the row's style."""
        line = Text(style=style, no_wrap=True, overflow="crop", end="")
        for cell, (_key, _label, width) in zip(cells, COLUMNS, strict=True):
            piece = cell.copy()
            piece.truncate(width or self.subject_width, overflow="crop", pad=True)
            line.append(" " * PAD)
            line.append_text(piece)
            line.append(" " * PAD)
        segments = [s for s in line.render(self.app.console) if s.text != "\n"]
        return Strip(segments).adjust_cell_length(self.size.width, style)
