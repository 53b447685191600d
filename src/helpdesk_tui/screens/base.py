"""What every screen of the desk shares: typed access to the injected services, and
leaving without losing what the agent typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from helpdesk_tui.app import HelpdeskApp
    from helpdesk_tui.services.desk import DeskService  # loaded after the first frame

T = TypeVar("T")


class DeskScreen(Screen[T]):
    """A screen with `self.desk` (the DeskService given to the app) and `self.helpdesk`."""

    #: Prefix of this screen's actions in the command palette, e.g. "ticket".
    NAMESPACE = "desk"

    @property
    def helpdesk(self) -> HelpdeskApp:
        """The app, typed."""
        from helpdesk_tui.app import HelpdeskApp

        app = self.app
        assert isinstance(app, HelpdeskApp)
        return app

    @property
    def desk(self) -> DeskService:
        """The injected service facade."""
        return self.helpdesk.desk

    def report(self, error: BaseException) -> None:
        """Show an error as a notification (plain text, one line)."""
        self.helpdesk.report_error(error)

    @property
    def is_pushed(self) -> bool:
        """True when this screen was pushed on a mode's own screen (so it has a way back)."""
        stack = self.app.screen_stack
        return self in stack and stack.index(self) > 0

    def unsaved(self) -> str | None:
        """What typed text leaving this screen would lose (for the question), else None."""
        return None

    def keeps_draft(self) -> str | None:
        """What this screen keeps for later when left (e.g. the intake draft), else None."""
        return None

    def leave(self, then: Callable[[], None] | None = None) -> None:
        """Back to the screen below; asks first if typed text would be lost.

        `then` runs once the screen is gone (not at all if the agent keeps editing).
        """
        leave_asking(self, self.unsaved(), then)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a screen's failed worker becomes a visible error, never a crash.

        Worker state messages do not bubble, so each screen forwards its own to the app.
        """
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)


class DeskModal(ModalScreen[T]):
    """A modal dialog of the desk. `esc` cancels it, asking first if text was typed."""

    NAMESPACE = "dialog"

    def dismiss_with(self, value: Any) -> None:
        """Close the dialog with a result."""
        self.dismiss(value)

    def unsaved(self) -> str | None:
        """What typed text cancelling would lose (for the question), else None."""
        return None

    def action_cancel(self) -> None:
        """Close without a result; asks first if that would throw away typed text."""
        leave_asking(self, self.unsaved(), None, dismiss=True)


def leave_asking(
    screen: Screen[Any],
    unsaved: str | None,
    then: Callable[[], None] | None,
    *,
    dismiss: bool = False,
) -> None:
    """Pop `screen` (a dialog: dismiss it with None), asking first when `unsaved` says
    what typed text that would lose. `then` runs after it is gone."""
    from helpdesk_tui.screens.confirm import DiscardModal

    def go() -> None:
        if dismiss:
            screen.dismiss(None)
        elif screen.app.screen is screen:
            screen.app.pop_screen()
        if then is not None:
            then()

    if unsaved is None:
        go()
        return

    def decided(discard: bool | None) -> None:
        if discard:
            go()

    screen.app.push_screen(DiscardModal(unsaved), decided)
