"""The queue: the screen a hotline agent lives in (DESIGN §5).

A window onto SQL: the table holds one keyset page; moving past its edges fetches the
neighbouring page in a worker. Counts and the search come from SQL too.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.services.queue_types import VIEWS, NearestBreach, PageKey, QueuePage, QueueQuery
from helpdesk_tui.services.vocab import PRIORITIES, STATUSES
from helpdesk_tui.widgets.header import DeskHeader
from helpdesk_tui.widgets.queue_table import QueueTable

VIEW_KEYS = list(VIEWS)


def rows_per_page(visible_rows: int) -> int:
    """The default page: two screens of `visible_rows`, at least 60 rows."""
    return max(60, 2 * visible_rows)


@dataclass(frozen=True)
class PageRequest:
    """How the page on screen was fetched, so a refresh fetches the same window."""

    kind: str = "first"  # first | after | before | last
    key: PageKey | None = None


class QueueScreen(DeskScreen[None]):
    """Tickets in the chosen view, SLA due first."""

    NAMESPACE = "queue"
    BINDINGS = [
        Binding("enter", "open_ticket", _("Open"), id="queue.open", priority=True),
        # Priority for the two keys that move the typing elsewhere: the app runs them
        # before it routes the next key, so "/toner" or "nZoe" typed in one burst (a
        # fast typist, one SSH packet) lands in the search box or the intake form.
        # Typed in the search box, both are its own text (see _typed_in_search).
        Binding("n", "new_ticket", _("New"), id="queue.new", priority=True),
        Binding("slash", "search", _("Search"), id="queue.search", priority=True),
        Binding("t", "take", _("Take"), id="queue.take"),
        Binding("v", "next_view", _("View"), id="queue.view"),
        Binding("f", "filter", _("Filter"), id="queue.filter"),
        Binding("r", "refresh", _("Refresh"), show=False, id="queue.refresh"),
        Binding(
            "ctrl+u", "clear_search", _("Clear search and filters"), show=False, id="queue.clear"
        ),
        *[
            Binding(str(n), f"view('{view}')", VIEWS[view], show=False, id=f"queue.view.{view}")
            for n, view in enumerate(VIEW_KEYS, start=1)
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = QueueQuery(view="open")
        self.page: QueuePage | None = None
        self.request = PageRequest()
        self.row_offset = 0
        self.total: int | None = None
        #: The result being counted right now (its total is not known yet).
        self.counting: QueueQuery | None = None
        self.counts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name, id="header")
        yield Static(id="views")
        # Always on screen (one line): showing it on "/" would race the keys typed next.
        yield Input(placeholder=_("/ search tickets…"), id="search", compact=True)
        yield QueueTable(id="queue")
        yield Static(id="queue-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.query_one(QueueTable).focus()
        self.render_views()
        opening = self.helpdesk.opening
        if opening is None:
            self.load_page(PageRequest())
            self.load_counts()
            return
        # The launch frame: the first page read without the ORM goes on screen now, and
        # the desk starts loading once it is drawn (the import would slow the drawing).
        # When the desk is ready the app reloads every screen, this one included.
        self.query_state = opening.query
        self.show_page(opening.query, PageRequest(), opening.page, None, 0)
        self.call_after_refresh(self.helpdesk.start_loading_desk)

    # -- loading ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="queue-page", exit_on_error=False)
    def load_page(
        self, request: PageRequest, cursor: str | int | None = 0, count: bool = True
    ) -> None:
        """Fetch one page off the UI thread and show it; then (if asked) count the result.

        The page goes on screen first: counting a million closed tickets takes longer
        than fetching a page, and moving (End, Home, paging) reuses the known total.
        """
        query = self.query_state
        page = self.desk.queue_page(
            query,
            after=request.key if request.kind == "after" else None,
            before=request.key if request.kind == "before" else None,
            last=request.kind == "last",
            limit=self.page_limit(),
        )
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self.show_page, query, request, page, self.total, cursor)
        if count:
            self.app.call_from_thread(self.count_result, query)

    def count_result(self, query: QueueQuery) -> None:
        """Count `query` unless a count of it is already under way.

        Keys pressed while a million rows are counted (End, Home right after switching
        views) ask again; a second count of the same result would only compete with
        the page fetches for the database and the CPU.
        """
        if self.counting == query:
            return
        self.counting = query
        self.load_total(query)

    @work(thread=True, exclusive=True, group="queue-count", exit_on_error=False)
    def load_total(self, query: QueueQuery) -> None:
        """Count the result off the UI thread (a newer count cancels this one)."""
        total = self.desk.queue_count(query)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.counted, query, total)

    def counted(self, query: QueueQuery, total: int) -> None:
        """A count arrived: the next request for this result counts again."""
        if self.counting == query:
            self.counting = None
        self.show_total(query, total)

    def page_limit(self) -> int:
        """Rows per page: as configured, else two screens of the table (at least 60).

        Small on purpose: swapping a page makes the table lay out every row it holds,
        while keyset paging fetches a neighbouring page in a few milliseconds.
        """
        if self.helpdesk.page_size is not None:
            return self.helpdesk.page_size
        return rows_per_page(self.query_one(QueueTable).size.height)

    def show_total(self, query: QueueQuery, total: int) -> None:
        """The count arrived: fix the position shown for a last page, repaint the status."""
        if query != self.query_state:
            return
        self.total = total
        if self.request.kind == "last" and self.page is not None:
            self.row_offset = max(0, total - len(self.page.rows))
        self.render_status()

    def show_page(
        self,
        query: QueueQuery,
        request: PageRequest,
        page: QueuePage,
        total: int | None,
        cursor: str | int | None,
    ) -> None:
        """Put a fetched page on screen; `cursor` is a row index, a ticket id (str), -1
        (the last row) or None (the ticket under the cursor now, else the same row)."""
        if query != self.query_state:
            return  # the agent changed the view meanwhile; a newer page is coming
        if cursor is None:
            cursor = self.current_id() or 0
        previous = self.page
        self.page, self.request, self.total = page, request, total
        if request.kind == "first":
            self.row_offset = 0
        elif request.kind == "last":
            self.row_offset = max(0, (total or 0) - len(page.rows))
        elif request.kind == "after" and previous is not None and cursor == 0:
            self.row_offset += len(previous.rows)
        elif request.kind == "before" and cursor == -1:
            self.row_offset = max(0, self.row_offset - len(page.rows))
        table = self.query_one(QueueTable)
        row = 0
        if isinstance(cursor, str):
            ids = [str(r.id) for r in page.rows]
            row = ids.index(cursor) if cursor in ids else min(table.cursor_row, len(ids) - 1)
        elif cursor == -1:
            row = len(page.rows) - 1
        elif isinstance(cursor, int):
            row = cursor
        table.show_rows(page.rows, max(row, 0))
        self.render_status()

    @work(thread=True, exclusive=True, group="queue-counts", exit_on_error=False)
    def load_counts(self) -> None:
        """View counts and the header's nearest breach."""
        counts = {
            view: self.desk.queue_count(QueueQuery(view=view)) for view in VIEWS if view != "closed"
        }
        breach = self.desk.nearest_breach()
        now = self.desk.now()
        self.app.call_from_thread(self.show_counts, counts, breach, now)

    def show_counts(
        self, counts: dict[str, int], breach: NearestBreach | None, now: object
    ) -> None:
        """Repaint the view tabs and the header."""
        from datetime import datetime

        self.counts = counts
        self.render_views()
        if isinstance(now, datetime):
            self.helpdesk.set_header_state(breach, now, counts.get("open"))

    def on_data_changed(self) -> None:
        """Someone committed: reload the same window, keeping the cursor on its ticket."""
        self.counting = None  # a count under way may predate the change: count again
        self.load_page(self.request, cursor=None)
        self.load_counts()

    # -- rendering --------------------------------------------------------------------
    def render_views(self) -> None:
        """The row of views with their counts; the current one highlighted."""
        line = Text()
        for n, view in enumerate(VIEW_KEYS, start=1):
            label = f" {n} {VIEWS[view]}"
            if view in self.counts:
                label += f" {self.counts[view]:,}"
            label += " "
            active = view == self.query_state.view
            line.append(label, style="reverse bold" if active else "dim")
        self.query_one("#views", Static).update(line)

    def render_status(self) -> None:
        """Where in the whole result the page is, and the active filters."""
        q = self.query_state
        rows = len(self.page.rows) if self.page else 0
        total = f"{self.total:,}" if self.total is not None else "…"  # still counting
        text = Text()
        if rows:
            text.append(
                f"{self.row_offset + 1:,}–{self.row_offset + rows:,} " + _("of") + f" {total}"
            )
        else:
            text.append(_("no tickets"))
        sort = _("closed, newest first") if q.view == "closed" else _("SLA due first")
        text.append(f" · {sort}", style="dim")
        filters = [
            f"{name}={value}"
            for name, value in (
                ("category", q.category),
                ("priority", q.priority),
                ("status", q.status),
            )
            if value
        ]
        if q.search:
            filters.append(_("search") + f" '{q.search}'")
        if filters:
            text.append(" · " + ", ".join(filters), style="yellow")
        self.query_one("#queue-status", Static).update(text)

    # -- navigation -------------------------------------------------------------------
    def current_id(self) -> str | None:
        """The ticket id (row key) under the cursor."""
        return self.query_one(QueueTable).cursor_key

    @on(QueueTable.EdgeReached)
    def edge(self, event: QueueTable.EdgeReached) -> None:
        """Fetch the neighbouring, first or last page."""
        page = self.page
        if page is None:
            return
        if event.where == "next" and page.has_after and page.last_key:
            self.load_page(PageRequest("after", page.last_key), cursor=0, count=False)
        elif event.where == "previous" and page.has_before and page.first_key:
            self.load_page(PageRequest("before", page.first_key), cursor=-1, count=False)
        elif event.where == "first":
            self.load_page(PageRequest("first"), cursor=0, count=self.total is None)
        elif event.where == "last":
            self.load_page(PageRequest("last"), cursor=-1, count=self.total is None)

    def set_query(self, query: QueueQuery) -> None:
        """Show another view, filter or search: first page of the new result."""
        self.query_state = query
        self.total = None  # a new result: counted again after its first page shows
        self.render_views()
        self.load_page(PageRequest(), cursor=0)

    def action_view(self, view: str) -> None:
        """Switch to a view (keys 1-7)."""
        self.set_query(self.query_state.with_(view=view, status=None))

    def action_next_view(self) -> None:
        """Cycle through the views."""
        index = VIEW_KEYS.index(self.query_state.view)
        self.action_view(VIEW_KEYS[(index + 1) % len(VIEW_KEYS)])

    def action_refresh(self) -> None:
        """Reload the page and counts now."""
        self.on_data_changed()

    def action_search(self) -> None:
        """Show and focus the search box (search as you type)."""
        if self._typed_in_search("/"):
            return
        box = self.query_one("#search", Input)
        # Synchronously (Widget.focus() is deferred): the next key goes to the box.
        self.set_focus(box, scroll_visible=False)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.set_query(self.query_state.with_(search=event.value))

    @on(Input.Submitted, "#search")
    def search_done(self) -> None:
        self.query_one(QueueTable).focus()

    def action_clear_search(self) -> None:
        """Drop the search text and every filter."""
        box = self.query_one("#search", Input)
        box.value = ""
        self.query_one(QueueTable).focus()
        self.set_query(QueueQuery(view=self.query_state.view))

    def action_filter(self) -> None:
        """Filter by category, priority or status."""
        from helpdesk_tui.screens.modals import ChoiceModal

        def chosen(value: str | None) -> None:
            if not value:
                return
            field, _sep, choice = value.partition("=")
            current = self.query_state
            self.set_query(current.with_(**{field: None if choice == "*" else choice}))

        options: list[tuple[str, str]] = [
            ("category=*", _("any category")),
            ("priority=*", _("any priority")),
            ("status=*", _("any status")),
        ]
        options += [(f"category={c}", _("category") + f": {c}") for c in self.desk.categories()]
        options += [(f"priority={p}", _("priority") + f": {p}") for p in PRIORITIES]
        options += [(f"status={s}", _("status") + f": {s}") for s in STATUSES]
        self.app.push_screen(ChoiceModal(_("Filter the queue"), options), chosen)

    # -- actions on the ticket under the cursor ------------------------------------------
    def action_open_ticket(self) -> None:
        """Open the ticket under the cursor."""
        if self.focused is not None and self.focused.id == "search":
            self.search_done()
            return
        ticket_id = self.current_id()
        if ticket_id is not None:
            self.helpdesk.open_ticket(int(ticket_id))

    @on(QueueTable.RowSelected)
    def row_selected(self, event: QueueTable.RowSelected) -> None:
        self.helpdesk.open_ticket(int(event.row_key))

    def action_new_ticket(self) -> None:
        """Hotline intake: record a new ticket."""
        from helpdesk_tui.screens.new_ticket import NewTicketScreen

        if self._typed_in_search("n"):
            return
        self.app.push_screen(NewTicketScreen())

    def _typed_in_search(self, char: str) -> bool:
        """A priority key pressed in the search box is text: insert it there."""
        box = self.query_one("#search", Input)
        if self.focused is not box:
            return False
        box.insert_text_at_cursor(char)
        return True

    def action_take(self) -> None:
        """Take the ticket under the cursor."""
        ticket_id = self.current_id()
        if ticket_id is not None:
            self.take(int(ticket_id))

    @work(thread=True, exit_on_error=False, group="queue-take")
    def take(self, ticket_id: int) -> None:
        self.desk.take(ticket_id)
        self.app.call_from_thread(
            self.notify, _("Ticket") + f" #{ticket_id} " + _("is yours"), timeout=3
        )
        self.app.call_from_thread(self.on_data_changed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("take", "open_ticket") and self.page is not None and not self.page.rows:
            return None  # shown dimmed: nothing under the cursor
        return True
