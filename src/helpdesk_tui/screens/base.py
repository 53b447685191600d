"""What every screen of the desk shares: typed access to the injected services."""

from __future__ import annotations

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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a screen's failed worker becomes a visible error, never a crash.

        Worker state messages do not bubble, so each screen forwards its own to the app.
        """
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)


class DeskModal(ModalScreen[T]):
    """A modal dialog of the desk."""

    NAMESPACE = "dialog"

    def dismiss_with(self, value: Any) -> None:
        """Close the dialog with a result."""
        self.dismiss(value)
