"""Callbacks due: whom the desk calls back today for satisfaction surveys (issue 6 part 5).

A mode of the app. The list is the supervisor's "whom to call today": requester, phone,
ticket, method, due (overdue first). Enter opens the record dialog: consent, a 1-5 score
per question (digit keys), comment, outcome; ctrl+s saves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Label, Select, Static, Switch
from textual.worker import get_current_worker

from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskModal, DeskScreen
from helpdesk_tui.services.surveys import (
    LOW_SCORE,
    MAX_SCORE,
    MIN_SCORE,
    OUTCOMES,
    CallbackRow,
    Question,
    SurveyView,
)
from helpdesk_tui.text import plain, sanitize_line
from helpdesk_tui.widgets.header import DeskHeader

log = logging.getLogger(__name__)


#: (key, label, width) of the list's columns; the ticket takes the width left over.
COLUMNS: list[tuple[str, str, int]] = [
    ("due", _("Due"), 9),
    ("requester", _("Requester"), 16),
    ("contact", _("Contact"), 15),
    ("method", _("Method"), 9),
    ("ticket", _("Ticket"), 0),
]


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
        self.fit_columns()
        self.query_one("#callbacks-table", DataTable).focus()
        self.load(schedule=True)

    def on_resize(self) -> None:
        self.fit_columns()
        self.show(self.rows)

    def fit_columns(self) -> None:
        """(Re)create the columns so the ticket title takes the width left over.

        A fixed width also keeps a long (or hostile) title from widening the table into
        a horizontal scrollbar.
        """
        table = self.query_one("#callbacks-table", DataTable)
        # One column of padding either side of each cell, and 2 for the scrollbar.
        fixed = sum(w for _k, _l, w in COLUMNS) + 2 * len(COLUMNS) + 2
        rest = max(12, table.size.width - fixed) if table.size.width else 30
        table.clear(columns=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width or rest)

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
        table.clear()
        now = self.desk.now()
        for row in rows:
            ticket = Text(f"#{row.ticket_id} ", style="dim")
            ticket.append_text(plain(row.ticket_title, one_line=True))
            table.add_row(
                due_label(row, now),
                plain(row.requester, one_line=True),
                plain(row.phone or row.email or "-", one_line=True),
                Text(_(row.method.replace("_", " "))),
                ticket,
                key=str(row.survey_id),
            )
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


class ScoreField(Widget, can_focus=True):
    """A 1-5 score: digit keys set it (and move on), left/right adjust, 0 clears."""

    DEFAULT_CSS = """
    ScoreField { width: 11; height: 1; padding: 0 1; }
    ScoreField:focus { background: $accent 30%; }
    ScoreField:disabled { opacity: 50%; }
    """
    BINDINGS = [
        *[
            Binding(str(n), f"set_score({n})", str(n), show=False, id=f"dialog.score{n}")
            for n in range(MIN_SCORE, MAX_SCORE + 1)
        ],
        Binding("0,backspace,delete", "set_score(0)", _("Clear"), show=False, id="dialog.clear"),
        Binding("left", "step(-1)", _("Lower"), show=False, id="dialog.lower"),
        Binding("right", "step(1)", _("Higher"), show=False, id="dialog.higher"),
    ]

    score: reactive[int] = reactive(0)

    def render(self) -> Text:
        line = Text()
        for n in range(MIN_SCORE, MAX_SCORE + 1):
            chosen = n == self.score
            style = "reverse bold" if chosen else "dim"
            if chosen and n <= LOW_SCORE:
                style += " red"
            if n > MIN_SCORE:
                line.append(" ")
            line.append(str(n), style=style)
        return line

    def action_set_score(self, score: int) -> None:
        """Set the score (0 = not answered); a digit moves on to the next field."""
        self.score = score
        if score:
            self.screen.focus_next()

    def action_step(self, delta: int) -> None:
        """One point lower or higher."""
        self.score = min(MAX_SCORE, max(MIN_SCORE, (self.score or 3) + delta))


@dataclass(frozen=True)
class CallbackInput:
    """What the dialog collected."""

    outcome: str
    consent: bool
    answers: dict[str, int]
    comment: str


class RecordCallbackModal(DeskModal[SurveyView | None]):
    """Record one callback; saving happens here so a mistake keeps what was typed."""

    DEFAULT_CSS = """
    RecordCallbackModal .dialog { width: 76; max-width: 100%; }
    RecordCallbackModal .row { height: auto; }
    RecordCallbackModal .row Label { width: 1fr; }
    RecordCallbackModal #consent-row { margin: 1 0; }
    RecordCallbackModal Switch { height: 1; border: none; padding: 0 1; width: 11; }
    RecordCallbackModal .scores { height: auto; }
    RecordCallbackModal .scores.-off { opacity: 50%; }
    RecordCallbackModal .field-row { height: 1; margin-top: 1; }
    RecordCallbackModal .field-row Label { width: 10; }
    RecordCallbackModal #comment { width: 1fr; }
    RecordCallbackModal #outcome { width: 24; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="dialog.save", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="dialog.cancel"),
    ]

    def __init__(self, row: CallbackRow, questions: tuple[Question, ...]) -> None:
        super().__init__()
        self.row = row
        self.questions = questions

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog"):
            contact = " · ".join(x for x in (row.phone, row.email) if x)
            title = Text.assemble(
                (_("Callback") + f" #{row.survey_id} · ", "bold"),
                plain(row.requester, "bold", one_line=True),
                " · " if contact else "",
                plain(contact, one_line=True),
            )
            yield Label(title)
            ticket = Text(_("Ticket") + f" #{row.ticket_id}: ", style="dim")
            ticket.append_text(plain(row.ticket_title, one_line=True))
            yield Label(ticket)
            with Horizontal(classes="row", id="consent-row"):
                yield Label(_("The requester agrees to answer (consent)"))
                yield Switch(False, id="consent", animate=False)
            with Vertical(classes="scores"):
                for question in self.questions:
                    with Horizontal(classes="row"):
                        yield Label(plain(question.text, one_line=True))
                        yield ScoreField(id=f"score-{question.id}")
            with Horizontal(classes="field-row"):
                yield Label(_("Comment"))
                yield Input(placeholder=_("optional"), id="comment", compact=True, max_length=4000)
            with Horizontal(classes="field-row"):
                yield Label(_("Outcome"))
                yield Select(
                    [(_(o), o) for o in OUTCOMES],
                    value="done",
                    allow_blank=False,
                    compact=True,
                    id="outcome",
                )
            yield Static(id="dialog-error")
            yield Static(
                Text(_("1-5: score · tab: next · ctrl+s: save · esc: cancel"), style="dim")
            )

    def on_mount(self) -> None:
        self.query_one("#consent", Switch).focus()
        self.sync_outcome()

    @on(Select.Changed, "#outcome")
    def outcome_changed(self) -> None:
        self.sync_outcome()

    def outcome(self) -> str:
        value = self.query_one("#outcome", Select).value
        return value if isinstance(value, str) else "done"

    def sync_outcome(self) -> None:
        """Declined and unreachable calls have no answers: their fields are switched off."""
        answering = self.outcome() == "done"
        self.query_one("#consent", Switch).disabled = not answering
        for field in self.query(ScoreField):
            field.disabled = not answering
        self.query_one(".scores").set_class(not answering, "-off")

    def collected(self) -> CallbackInput:
        """The form's values; answers and consent only count for a done call."""
        outcome = self.outcome()
        answering = outcome == "done"
        answers = {q.id: self.query_one(f"#score-{q.id}", ScoreField).score for q in self.questions}
        return CallbackInput(
            outcome=outcome,
            consent=answering and self.query_one("#consent", Switch).value,
            answers={k: v for k, v in answers.items() if v} if answering else {},
            comment=self.query_one("#comment", Input).value,
        )

    @on(Input.Submitted, "#comment")
    def comment_done(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        """Record the call; the service validates (consent, answers) and may refuse."""
        self.query_one("#dialog-error", Static).update("")
        self.save(self.collected())

    @work(thread=True, exclusive=True, group="callback-save", exit_on_error=False)
    def save(self, data: CallbackInput) -> None:
        from helpdesk_tui.app import HelpdeskApp

        app = self.app
        assert isinstance(app, HelpdeskApp)
        try:
            view = app.desk.record_callback(
                self.row.survey_id, data.outcome, data.consent, data.answers, data.comment
            )
        except HelpdeskError as error:
            self.app.call_from_thread(self.show_error, str(error))
            return
        except Exception as error:
            # A modal's worker errors reach no screen handler: show them here, never lose them.
            log.exception("recording a callback failed")
            self.app.call_from_thread(self.show_error, f"{type(error).__name__}: {error}")
            return
        self.app.call_from_thread(self.dismiss, view)

    def show_error(self, message: str) -> None:
        """Keep the dialog open with the reason, so nothing typed is lost."""
        self.query_one("#dialog-error", Static).update(
            Text(sanitize_line(message), style="bold red")
        )

    def action_cancel(self) -> None:
        """Close without recording."""
        self.dismiss(None)
