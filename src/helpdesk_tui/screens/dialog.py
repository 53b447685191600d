"""The parts every dialog is built from, so each one fits 80x24 (issue 10 item 3).

A dialog is a `Vertical.dialog` with: a head docked on top (title, maybe a short note that
scrolls), a foot docked at the bottom (the error line and the keys, always on screen),
and one body between them that gets the height left and scrolls (app.tcss).
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static


class DialogBody(VerticalScroll, can_focus=False):
    """The scrolling middle of a dialog. Not a stop for Tab itself: focusing a field
    scrolls it into view, so Tab goes from field to field."""


def dialog_keys(text: str) -> Static:
    """A dialog's line of keys (docked at its bottom, so it is always on screen)."""
    return Static(Text(text, style="dim"), classes="dialog-keys")
