"""The parts every dialog is built from, so each one fits 80x24 (issue 10 item 3).

A dialog is a `Vertical.dialog` with: a head docked on top (title, maybe a short note that
scrolls), a foot docked at the bottom (the error line and the keys, always on screen),
and one body between them that gets the height left and scrolls (app.tcss).
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import events
from textual.containers import VerticalScroll
from textual.widgets import Select, Static


class DialogBody(VerticalScroll, can_focus=False):
    """The scrolling middle of a dialog. Not a stop for Tab itself: focusing a field
    scrolls it into view, so Tab goes from field to field."""


def dialog_keys(text: str) -> Static:
    """A dialog's line of keys (docked at its bottom, so it is always on screen)."""
    return Static(Text(text, style="dim"), classes="dialog-keys")


class TypingSelect(Select[str]):
    """A select that answers typing while closed, as a desktop select does.

    Textual's Select ignores letters while closed (space opens it), so a word typed on it
    by mistake vanished without a sign. Here letters pick the first option whose label
    starts with what was typed (a pause of a second starts over); letters no option
    starts with ring the bell.
    """

    #: Seconds after which typing starts a new search.
    RESET_SECONDS = 1.0

    def __init__(self, options: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._choices = [(label.lower(), value) for label, value in options]
        self._typed = ""
        self._typed_at = 0.0

    def on_key(self, event: events.Key) -> None:
        """Letters and digits on the closed select choose by label."""
        character = event.character
        if self.expanded or not event.is_printable or not character or character == " ":
            return
        event.stop()
        event.prevent_default()
        now = time.monotonic()
        if now - self._typed_at > self.RESET_SECONDS:
            self._typed = ""
        self._typed_at = now
        self._typed += character.lower()
        for label, value in self._choices:
            if label.startswith(self._typed):
                self.value = value
                return
        self.app.bell()
