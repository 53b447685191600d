"""Dialogs: pick one of several values, write a text, confirm a conflict."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.text import plain


class ChoiceModal(DeskModal[str | None]):
    """Pick one value; the suggestion is preselected and its reason shown."""

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="dialog.cancel"),
        Binding("ctrl+g", "cancel", _("Cancel"), show=False, id="dialog.cancel2"),
    ]

    def __init__(
        self,
        title: str,
        options: list[tuple[str, str]],
        *,
        selected: str | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.selected = selected
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text, "bold", one_line=True))
            if self.note:
                yield Static(plain(self.note), classes="dialog-note")
            yield OptionList(
                *[Option(plain(label, one_line=True), id=value) for value, label in self.options]
            )
            yield Static(Text(_("enter: choose · esc: cancel"), style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        ids = [value for value, _label in self.options]
        if self.selected in ids:
            options.highlighted = ids.index(self.selected)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


@dataclass(frozen=True)
class TextResult:
    """What a text dialog returns: the text and (for calls and notes) minutes spent."""

    text: str
    minutes: float = 0.0


class TextModal(DeskModal[TextResult | None]):
    """Write a note, a call summary, a resolution or a reason. ctrl+s saves."""

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="dialog.save", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="dialog.cancel"),
    ]

    def __init__(
        self,
        title: str,
        *,
        required: bool = True,
        minutes: bool = False,
        multiline: bool = True,
        initial: str = "",
        hint: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.required = required
        self.minutes = minutes
        self.multiline = multiline
        self.initial = initial
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text, "bold", one_line=True))
            if self.hint:
                yield Static(plain(self.hint), classes="dialog-note")
            if self.multiline:
                yield TextArea(self.initial, id="text", soft_wrap=True, show_line_numbers=False)
            else:
                yield Input(self.initial, id="text")
            if self.minutes:
                with Horizontal(classes="field"):
                    yield Label(_("Minutes spent"))
                    yield Input("", id="minutes", type="number", placeholder="0")
            yield Static(id="dialog-error")
            yield Static(Text(_("ctrl+s: save · esc: cancel"), style="dim"))

    def on_mount(self) -> None:
        self.query_one("#text").focus()

    def _text(self) -> str:
        widget = self.query_one("#text")
        return widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]

    @on(Input.Submitted, "#text")
    def submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        """Return the text, if it is acceptable."""
        text = self._text().strip()
        if self.required and not text:
            self.query_one("#dialog-error", Static).update(
                Text(_("This cannot be empty."), style="bold red")
            )
            return
        minutes = 0.0
        if self.minutes:
            raw = self.query_one("#minutes", Input).value.strip()
            try:
                minutes = float(raw) if raw else 0.0
            except ValueError:
                minutes = -1
            if minutes < 0:
                self.query_one("#dialog-error", Static).update(
                    Text(_("Minutes must be a positive number."), style="bold red")
                )
                return
        self.dismiss(TextResult(text, minutes))

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class ConflictModal(DeskModal[bool]):
    """Someone else changed the ticket: show what, and offer to apply ours again."""

    BINDINGS = [
        Binding("enter", "reapply", _("Re-apply mine"), id="dialog.reapply", priority=True),
        Binding("escape", "discard", _("Discard mine"), id="dialog.discard"),
    ]

    def __init__(self, what: str, changes: list[str]) -> None:
        super().__init__()
        self.what = what
        self.changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(_("Changed by someone else meanwhile"), style="bold yellow"))
            body = Text()
            for line in self.changes or [_("(the ticket's version moved)")]:
                body.append("• ")
                body.append_text(plain(line, one_line=True))
                body.append("\n")
            body.append(_("Your change: "), style="bold")
            body.append_text(plain(self.what, one_line=True))
            yield Static(body)
            with Horizontal(classes="buttons"):
                yield Button(_("Re-apply mine (enter)"), id="reapply", variant="primary")
                yield Button(_("Discard mine (esc)"), id="discard")

    @on(Button.Pressed, "#reapply")
    def action_reapply(self) -> None:
        """Apply the change on top of the other agent's."""
        self.dismiss(True)

    @on(Button.Pressed, "#discard")
    def action_discard(self) -> None:
        """Keep the other agent's version."""
        self.dismiss(False)
