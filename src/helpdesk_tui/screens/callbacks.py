"""Callbacks due: whom the desk calls back today for satisfaction surveys (issue 6 part 5).

A mode of the app. The list is the supervisor's "whom to call today": due (overdue
first), requester, the contact to call, method, ticket. Enter opens the record dialog
(screens/callback_record.py).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.callback_record import RecordCallbackModal
from helpdesk_tui.services.surveys import LOW_SCORE, CallbackRow, SurveyView
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.header import DeskHeader

#: The list's columns: key and heading, in the order shown.
COLUMNS: list[tuple[str, str]] = [
    ("due", _("Due")),
    ("requester", _("Requester")),
    ("contact", _("Contact")),
    ("method", _("Method")),
    ("ticket", _("Ticket")),
]
#: Who gets width first when 80 columns are not enough for everything: the number or
#: address to call, then when, how and who; the ticket's title takes what is left.
WIDTH_PRIORITY = ("contact", "due", "method", "requester")
#: Widths no column goes below; and the most any one column takes.
MIN_WIDTHS = {"due": 5, "requester": 9, "contact": 7, "method": 6, "ticket": 12}
MAX_WIDTH = 40


def contact_for(row: CallbackRow) -> str:
    """The phone number for a call (or a visit), the address for mail or online forms."""
    if row.method in ("email", "online"):
        return row.email or row.phone or "-"
    return row.phone or row.email or "-"


def method_label(method: str) -> str:
    """The method as the list shows it ("in person")."""
    return _(method.replace("_", " "))


def column_widths(cells: dict[str, list[str]], width: int) -> dict[str, int]:
    """Column widths for a table `width` columns wide, from the cell texts per column.

    Each column first gets its minimum; then, in WIDTH_PRIORITY order, each gets up to
    its longest cell (heading included); the ticket takes whatever is left.
    """
    # One column of padding either side of each cell, and 2 for the scrollbar.
    room = width - 2 * len(COLUMNS) - 2
    wanted = {
        key: min(MAX_WIDTH, max([len(label), *(len(c) for c in cells.get(key, []))]))
        for key, label in COLUMNS
    }
    widths = {key: min(MIN_WIDTHS[key], wanted[key]) for key, _label in COLUMNS}
    widths["ticket"] = MIN_WIDTHS["ticket"]
    left = room - sum(widths.values())
    for key in WIDTH_PRIORITY:
        extra = max(0, min(wanted[key] - widths[key], left))
        widths[key] += extra
        left -= extra
    widths["ticket"] += max(0, left)
    return widths


def due_label(row: CallbackRow, now: datetime) -> Text:
    """When the call is due, as short as the distance allows (overdue in red)."""
    local, today = row.due_at.astimezone(), now.astimezone().date()
    if local.date() == today:
        label = local.strftime("%H:%M")
    elif abs((local.date() - today).days) < 7:
        label = local.strftime("%a %H:%M")
    else:
        label = local.strftime("%d %b")
    return Text(label, style="bold red" if row.overdue else "")


class CallbacksScreen(DeskScreen[None]):
    """The callbacks due today, oldest first; enter records the one under the cursor."""

    NAMESPACE = "callbacks"
    DEFAULT_CSS = """
    #callbacks-title { height: 1; padding: 0 1; }
    #callbacks-table { height: 1fr; }
    #callbacks-status { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("enter", "record", _("Record call"), id="callbacks.record", priority=True),
        Binding("o", "open_ticket", _("Open ticket"), id="callbacks.open"),
        Binding("r", "refresh", _("Refresh"), id="callbacks.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CallbackRow] = []

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Static(Text(_("Callbacks due today"), style="bold"), id="callbacks-title")
        table: DataTable[Text] = DataTable(id="callbacks-table", cursor_type="row")
        yield table
        yield Static(id="callbacks-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.query_one("#callbacks-table", DataTable).focus()
        self.show([])
        self.load(schedule=True)

    def on_resize(self) -> None:
        self.show(self.rows)

    def fit_columns(self, cells: dict[str, list[str]]) -> None:
        """(Re)create the columns, wide enough for the contact first (issue 10.7).

        Fixed widths also keep a long (or hostile) title from widening the table into a
        horizontal scrollbar.
        """
        table = self.query_one("#callbacks-table", DataTable)
        widths = column_widths(cells, table.size.width or self.app.size.width)
        table.clear(columns=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=widths[key])

    def on_data_changed(self) -> None:
        """Someone recorded a call or closed a ticket: reload the list (no scheduling,
        which would write and wake every screen again)."""
        self.load(schedule=False)

    @work(thread=True, exclusive=True, group="callbacks", exit_on_error=False)
    def load(self, schedule: bool = False) -> None:
        """Plan callbacks for freshly closed tickets (on open and refresh), then list."""
        planned = self.desk.schedule_surveys() if schedule else []
        rows = self.desk.callbacks_due()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, rows, len(planned))

    def show(self, rows: list[CallbackRow], planned: int = 0) -> None:
        """Put the list on screen, keeping the cursor on the same callback if it is still due."""
        table = self.query_one("#callbacks-table", DataTable)
        keep = self.current_id()
        self.rows = rows
        now = self.desk.now() if rows else None
        cells = {
            "due": [due_label(row, now) for row in rows if now is not None],
            "requester": [plain(row.requester, one_line=True) for row in rows],
            "contact": [plain(contact_for(row), one_line=True) for row in rows],
            "method": [Text(method_label(row.method)) for row in rows],
            "ticket": [
                Text(f"#{row.ticket_id} ", style="dim").append_text(
                    plain(row.ticket_title, one_line=True)
                )
                for row in rows
            ],
        }
        self.fit_columns({key: [c.plain for c in column] for key, column in cells.items()})
        for index, row in enumerate(rows):
            table.add_row(*(cells[key][index] for key, _l in COLUMNS), key=str(row.survey_id))
        ids = [str(r.survey_id) for r in rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        overdue = sum(1 for r in rows if r.overdue)
        status = Text()
        if rows:
            status.append(f"{len(rows)} " + _("to call"))
            if overdue:
                status.append(f" · {overdue} " + _("overdue"), style="bold red")
        else:
            status.append(_("no callbacks due today"), style="dim")
        if planned:
            status.append(f" · {planned} " + _("newly planned"), style="dim")
        self.query_one("#callbacks-status", Static).update(status)
        self.refresh_bindings()

    def current_id(self) -> str | None:
        """The survey id (row key) under the cursor."""
        table = self.query_one("#callbacks-table", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def current(self) -> CallbackRow | None:
        """The callback under the cursor."""
        key = self.current_id()
        return next((r for r in self.rows if str(r.survey_id) == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("record", "open_ticket") and not self.rows:
            return None  # dimmed: nothing to call
        return True

    def action_record(self) -> None:
        """Record the call under the cursor."""
        row = self.current()
        if row is None:
            return
        self.open_dialog(row)

    @on(DataTable.RowSelected)
    def row_selected(self) -> None:
        self.action_record()

    @work(thread=True, exclusive=True, group="callbacks-dialog", exit_on_error=False)
    def open_dialog(self, row: CallbackRow) -> None:
        """Read the questionnaire (config) off the UI thread, then show the dialog."""
        questions = self.desk.survey_questions()
        self.app.call_from_thread(
            self.app.push_screen, RecordCallbackModal(row, questions), self.recorded
        )

    def recorded(self, view: SurveyView | None) -> None:
        if view is None:
            return
        low = [q for q, score in view.answers.items() if score <= LOW_SCORE]
        message = _("Callback recorded") + f": {_(view.status)}"
        if low:
            message += " · " + _("improvement item opened")
        self.notify(message, timeout=4, markup=False)
        self.load(schedule=False)

    def action_open_ticket(self) -> None:
        """Open the ticket the callback is about."""
        row = self.current()
        if row is not None:
            self.helpdesk.open_ticket(row.ticket_id)

    def action_refresh(self) -> None:
        """Plan callbacks for freshly closed tickets and reload the list."""
        self.load(schedule=True)
