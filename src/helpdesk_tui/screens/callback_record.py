"""Recording one satisfaction callback: consent, a 1-5 score per question (digit keys),
a comment and the outcome; ctrl+s saves (issue 6 part 5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.screens.dialog import DialogBody, TypingSelect, dialog_keys
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

log = logging.getLogger(__name__)


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
    RecordCallbackModal #consent-row { margin: 0 0 1 0; }
    /* One row: its own :focus rule would bring the border back and hide the switch. */
    RecordCallbackModal Switch, RecordCallbackModal Switch:focus {
        height: 1; border: none; padding: 0 1; width: 8;
    }
    RecordCallbackModal Switch:focus { background: $accent 30%; }
    RecordCallbackModal #consent-state { width: 4; }
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
            with Vertical(classes="dialog-head"):
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
            with DialogBody(classes="dialog-body"):
                with Horizontal(classes="row", id="consent-row"):
                    yield Label(_("The requester agrees to answer (consent)"))
                    yield Switch(False, id="consent", animate=False)
                    # Said in words too: the switch alone tells on from off by colour.
                    yield Label(_("no"), id="consent-state")
                with Vertical(classes="scores"):
                    for question in self.questions:
                        with Horizontal(classes="row"):
                            yield Label(plain(question.text, one_line=True))
                            yield ScoreField(id=f"score-{question.id}")
                with Horizontal(classes="field-row"):
                    yield Label(_("Comment"))
                    yield Input(
                        placeholder=_("optional"), id="comment", compact=True, max_length=4000
                    )
                with Horizontal(classes="field-row"):
                    yield Label(_("Outcome"))
                    yield TypingSelect(
                        [(_(o), o) for o in OUTCOMES],
                        value="done",
                        allow_blank=False,
                        compact=True,
                        id="outcome",
                    )
            with Vertical(classes="dialog-foot"):
                yield Static(id="dialog-error")
                yield dialog_keys(_("1-5: score · tab: next · ctrl+s: save · esc: cancel"))

    def on_mount(self) -> None:
        self.query_one("#consent", Switch).focus()
        self.sync_outcome()

    @on(Switch.Changed, "#consent")
    def consent_changed(self, event: Switch.Changed) -> None:
        self.query_one("#consent-state", Label).update(_("yes") if event.value else _("no"))

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

    def unsaved(self) -> str | None:
        """Anything entered (consent, a score, a comment, another outcome): ask first."""
        data = self.collected()
        if not (data.consent or data.answers or data.comment.strip() or data.outcome != "done"):
            return None
        return _("Callback") + f" #{self.row.survey_id}: " + (data.comment.strip() or _("answers"))
