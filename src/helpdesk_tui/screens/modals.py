"""Dialogs: pick one of several values, write a text, confirm a conflict."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from helpdesk_tui.errors import UsageError
from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.screens.dialog import DialogBody, dialog_keys
from helpdesk_tui.services.quantities import MAX_HANDLE_MINUTES, handle_seconds
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
        with Vertical(classes="dialog choice"):
            with Vertical(classes="dialog-head"):
                yield Label(plain(self.title_text, "bold", one_line=True))
                if self.note:
                    # A long note (the SLA brief) scrolls in a few rows; the list below
                    # gets the rest of the height and scrolls to its highlight itself.
                    with VerticalScroll(classes="dialog-note", id="choice-note"):
                        yield Static(plain(self.note))
            yield OptionList(
                *[Option(plain(label, one_line=True), id=value) for value, label in self.options]
            )
            with Vertical(classes="dialog-foot"):
                yield dialog_keys(_("↑/↓: move · enter: choose · esc: cancel"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        ids = [value for value, _label in self.options]
        if self.selected in ids:
            options.highlighted = ids.index(self.selected)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


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
            yield Label(plain(self.title_text, "bold", one_line=True), classes="dialog-title")
            with DialogBody(classes="dialog-body"):
                if self.hint:
                    yield Static(plain(self.hint), classes="dialog-note")
                if self.multiline:
                    yield TextArea(self.initial, id="text", soft_wrap=True, show_line_numbers=False)
                else:
                    yield Input(self.initial, id="text")
                if self.minutes:
                    with Horizontal(classes="field"):
                        yield Label(_("Minutes spent"))
                        yield Input("", id="minutes", type="number", placeholder="0", compact=True)
            with Vertical(classes="dialog-foot"):
                yield Static(id="dialog-error")
                keys = _("ctrl+s: save · esc: cancel")
                if self.minutes:
                    keys = _("tab: minutes · ") + keys
                yield dialog_keys(keys)

    def on_mount(self) -> None:
        self.query_one("#text").focus()

    def _text(self) -> str:
        widget = self.query_one("#text")
        return widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]

    def unsaved(self) -> str | None:
        """The text (or minutes) typed here, if any: cancelling asks before losing it."""
        text = self._text()
        minutes = self.query_one("#minutes", Input).value.strip() if self.minutes else ""
        if text.strip() == self.initial.strip() and not minutes:
            return None
        return f"{self.title_text}: {text.strip() or minutes}"

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
                handle_seconds(minutes)  # in range: 0 to a day, not inf or nan
            except (ValueError, UsageError):
                self.query_one("#dialog-error", Static).update(
                    Text(
                        _("Minutes must be a number from 0 to {most}.").format(
                            most=MAX_HANDLE_MINUTES
                        ),
                        style="bold red",
                    )
                )
                return
        self.dismiss(TextResult(text, minutes))


class ConflictModal(DeskModal[bool]):
    """Someone else changed the ticket: show what, and offer to apply ours again."""

    # Not on Esc: "mine" may be a typed note or summary, and a bare Esc (DESIGN §5) must
    # not throw it away. `d` says so; enter keeps it.
    BINDINGS = [
        Binding("enter", "reapply", _("Re-apply mine"), id="dialog.reapply", priority=True),
        Binding("d", "discard", _("Discard mine"), id="dialog.discard"),
    ]

    def __init__(self, what: str, changes: list[str]) -> None:
        super().__init__()
        self.what = what
        self.changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                Text(_("Changed by someone else meanwhile"), style="bold yellow"),
                classes="dialog-title",
            )
            with DialogBody(classes="dialog-body"):
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
                    yield Button(_("Discard mine (d)"), id="discard")
            with Vertical(classes="dialog-foot"):
                yield dialog_keys(_("enter: re-apply mine · d: discard mine"))

    @on(Button.Pressed, "#reapply")
    def action_reapply(self) -> None:
        """Apply the change on top of the other agent's."""
        self.dismiss(True)

    @on(Button.Pressed, "#discard")
    def action_discard(self) -> None:
        """Keep the other agent's version."""
        self.dismiss(False)
