"""`?`: every key of the current screen; and the 'terminal too small' screen."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Center, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.dialog import dialog_keys


def _screen_keys_first(item: tuple[str, ActiveBinding]) -> tuple[int, str]:
    """The screen's own keys first, then the app's (app.*), then the widgets' (no id)."""
    key, active = item
    binding_id = active.binding.id
    if not binding_id:
        return (2, key)
    return (1 if binding_id.startswith("app.") else 0, binding_id)


class HelpScreen(ModalScreen[None]):
    """Lists every binding active on the screen it was opened from."""

    BINDINGS = [
        Binding("escape,question_mark,q", "close", _("Close"), id="help.close"),
    ]

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        table = Table(title=_("Keys"), show_edge=False, expand=True)
        table.add_column(_("key"), style="bold cyan", no_wrap=True)
        table.add_column(_("action"))
        table.add_column(_("id"), style="dim")
        seen: set[tuple[str, str]] = set()
        for key, active in sorted(self.target.active_bindings.items(), key=_screen_keys_first):
            binding = active.binding
            if not binding.description:
                continue
            entry = (binding.action, key)
            if entry in seen:
                continue
            seen.add(entry)
            table.add_row(
                self.app.get_key_display(binding), Text(binding.description), binding.id or ""
            )
        with Vertical(classes="dialog help"):
            with VerticalScroll(classes="dialog-body", id="help-body"):
                yield Static(table)
            with Vertical(classes="dialog-foot"):
                yield dialog_keys(
                    _("↑/↓ scroll · esc closes · remap keys by id in config.toml [keymap]")
                )

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)


class TooSmallScreen(ModalScreen[None]):
    """Shown while the terminal is below 80x24.

    Modal, so the F-keys cannot switch modes beneath it and leave it behind on a stack.
    """

    def compose(self) -> ComposeResult:
        with Center():
            yield Static(
                Text(_("Terminal too small: helpdesk needs at least 80x24."), style="bold"),
                id="too-small",
            )
