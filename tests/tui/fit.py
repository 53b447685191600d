"""What an agent at 80x24 actually sees: visible regions, footer keys, a dialog's fields.

Pilot helpers for the "nothing clipped, nothing hidden" tests (issue 10 items 1-3).
"""

from __future__ import annotations

from typing import Any

from textual.containers import ScrollableContainer
from textual.errors import NoWidget
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Select, TextArea
from textual.widgets._footer import FooterKey

from tests.tui.helpers import settle

#: The widgets an agent types into or chooses from.
FIELDS = (Input, TextArea, Select, OptionList)


def visible_region(widget: Widget) -> Region:
    """The part of `widget` on screen: clipped by its containers and by the terminal."""
    screen = widget.screen
    geometry = screen.find_widget(widget)
    return geometry.visible_region.intersection(Region(0, 0, *screen.size))


def assert_fully_visible(widget: Widget) -> None:
    """The widget is on screen whole, with at least one row for its content."""
    region = visible_region(widget)
    assert region == widget.region, f"{widget!r} clipped: {widget.region} shows {region}"
    assert widget.content_region.height >= 1, f"{widget!r} has no row for its content"


def assert_option_visible(options: OptionList, index: int | None = None) -> None:
    """The highlighted (or given) option of a list is inside the visible part of the list."""
    assert_fully_visible(options)
    index = options.highlighted if index is None else index
    assert index is not None
    options.scroll_to_highlight()  # what the list does itself when the highlight moves
    line = options._index_to_line[index]  # no public line lookup
    top = round(options.scroll_y)
    assert top <= line < top + options.scrollable_content_region.height, (
        f"option {index} (line {line}) is off screen (rows {top}..)"
    )


async def footer_text(pilot: Pilot[Any]) -> str:
    """The key hints the footer of the active screen shows whole, as `key description`.

    The footer recomposes when the bindings change (a ticket loaded): wait until its
    keys are laid out.
    """
    for _ in range(10):
        footer = pilot.app.screen.query_one(Footer)
        shown: list[str] = []
        laid_out = True
        for item in footer.query(FooterKey):
            try:
                region = visible_region(item)
            except (KeyError, NoWidget):
                laid_out = False  # not placed yet, or pushed off the end (below)
                continue
            if region == item.region:
                shown.append(f"{item.key_display} {item.description}")
        if shown and (laid_out or footer.max_scroll_x > 0):
            return "  ".join(shown)
        await pilot.pause()
    return "  ".join(shown)


def fields_of(screen: Any) -> list[Widget]:
    """The focusable fields of a screen, in focus order."""
    return [w for w in screen.focus_chain if isinstance(w, FIELDS)]


async def walk_fields(pilot: Pilot[Any]) -> list[Widget]:
    """Tab through every field of the active dialog: each must be on screen when focused.

    Returns the fields visited (so a test can check none was skipped).
    """
    screen = pilot.app.screen
    seen: list[Widget] = []
    for _ in range(len(screen.focus_chain) + 1):
        focused = screen.focused
        if focused is not None and not isinstance(focused, ScrollableContainer):
            if focused in seen:
                break
            seen.append(focused)
            assert_fully_visible(focused)
        await pilot.press("tab")
        await settle(pilot)
    return seen


def screen_lines(pilot: Pilot[Any]) -> list[str]:
    """The active screen as the terminal shows it, one string per row."""
    compositor = pilot.app.screen._compositor  # the rows as painted
    return [strip.text for strip in compositor.render_strips()]
