"""Moving between the app's places (F3 queue, F4 SOPs, F5 KB, F7 callbacks) and quitting,
without trapping the agent and without losing what they typed (issue 10 items 1 and 2).

Each mode keeps its own stack of screens. The key of another mode switches to it and
finds it as it was left: F4 then F3 comes back to the ticket (or intake form) the agent
was on. The key of the mode already shown goes back to its first screen, leaving the
pushed ones in turn: each asks before throwing typed text away (the intake form keeps
its draft instead). Under a dialog the F-keys do nothing: a dialog is finished or
cancelled first (Textual does not run app bindings below a modal screen).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from helpdesk_tui.screens.base import DeskModal, DeskScreen

if TYPE_CHECKING:
    from textual.app import App


def go_to(app: App[Any], mode: str) -> None:
    """The F-key of `mode`: switch to it, or (if shown already) back to its first screen."""
    if app.current_mode != mode:
        app.switch_mode(mode)
        return
    back_to_first_screen(app, mode)


def back_to_first_screen(app: App[Any], mode: str) -> None:
    """Leave the pushed screens of `mode` one by one, top first, each in its own way."""
    if app.current_mode != mode or len(app.screen_stack) <= 1:
        return
    top = app.screen
    if isinstance(top, DeskScreen):
        top.leave(then=lambda: back_to_first_screen(app, mode))
    elif not top.is_modal:
        app.pop_screen()
        back_to_first_screen(app, mode)


def unsaved_work(app: App[Any]) -> list[str]:
    """Where typed text would be lost if the app closed now, in every mode's stack."""
    places: list[str] = []
    for mode in app.MODES:
        try:
            stack = app.get_screen_stack(mode)
        except KeyError:  # a mode not opened yet has nothing typed
            continue
        for screen in stack:
            places.extend(_unsaved_on(screen))
    # Drafts kept by screens already left (the intake form's), held by the app.
    drafts: dict[str, Any] = getattr(app, "drafts", {})
    places.extend(draft.describe() for draft in drafts.values())
    return places


def _unsaved_on(screen: Screen[Any]) -> list[str]:
    if isinstance(screen, DeskScreen):
        return [x for x in (screen.unsaved(), screen.keeps_draft()) if x]
    if isinstance(screen, DeskModal):
        what = screen.unsaved()
        return [what] if what else []
    return []


def quit_or_ask(app: App[Any]) -> None:
    """ctrl+q: quit, unless typed text would be lost; then ask (ctrl+q again quits)."""
    from helpdesk_tui.screens.confirm import QuitModal

    if isinstance(app.screen, QuitModal):
        app.exit()
        return
    places = unsaved_work(app)
    if not places:
        app.exit()
        return
    app.push_screen(QuitModal(places))
