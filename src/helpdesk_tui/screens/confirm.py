"""Asked before typed text is thrown away: leaving a dialog or screen, or quitting.

Nothing an agent typed is lost on one key (DESIGN §5): Esc (or ctrl+q) on typed text
opens one of these; a second Esc keeps editing, only `d` (or ctrl+q again) discards.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.dialog import DialogBody, dialog_keys
from helpdesk_tui.text import plain


class DiscardModal(ModalScreen[bool]):
    """ "Discard what you typed?": d discards, esc or enter keeps editing."""

    BINDINGS = [
        Binding("d", "discard", _("Discard"), id="confirm.discard"),
        Binding("escape", "keep", _("Keep editing"), id="confirm.keep"),
    ]

    def __init__(self, what: str = "", *, question: str = "") -> None:
        super().__init__()
        #: What would be lost, in the agent's words ("the note", "the typed ticket").
        self.what = what
        self.question = question or _("Discard what you typed?")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Label(Text(self.question, style="bold"), classes="dialog-title")
            with DialogBody(classes="dialog-body"):
                if self.what:
                    yield Static(plain(self.what), classes="dialog-note")
                with Horizontal(classes="buttons"):
                    yield Button(_("Keep editing (esc)"), id="keep", variant="primary")
                    yield Button(_("Discard (d)"), id="discard", variant="error")
            with Vertical(classes="dialog-foot"):
                yield dialog_keys(_("esc / enter: keep editing · d: discard"))

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        """Back to the text, as it was."""
        self.dismiss(False)

    @on(Button.Pressed, "#discard")
    def action_discard(self) -> None:
        """Throw the typed text away."""
        self.dismiss(True)


class QuitModal(ModalScreen[bool]):
    """Quitting would lose typed text: say where, and quit only on ctrl+q again."""

    BINDINGS = [
        Binding("escape", "stay", _("Stay"), id="confirm.stay"),
    ]

    def __init__(self, where: list[str]) -> None:
        super().__init__()
        #: Where the unsaved text is ("intake form (draft kept)", "Add a note").
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Label(
                Text(_("Quit and lose what you typed?"), style="bold"), classes="dialog-title"
            )
            with DialogBody(classes="dialog-body"):
                body = Text()
                for place in self.where:
                    body.append("• ")
                    body.append_text(plain(place, one_line=True))
                    body.append("\n")
                yield Static(body, classes="dialog-note")
                with Horizontal(classes="buttons"):
                    yield Button(_("Stay (esc)"), id="stay", variant="primary")
                    yield Button(_("Quit (ctrl+q)"), id="quit", variant="error")
            with Vertical(classes="dialog-foot"):
                yield dialog_keys(_("esc / enter: stay · ctrl+q: quit anyway"))

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        """Back to work; nothing is lost."""
        self.dismiss(False)

    @on(Button.Pressed, "#quit")
    def quit_anyway(self) -> None:
        """Quit, losing the typed text."""
        self.app.exit()
