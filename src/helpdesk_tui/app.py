"""HelpdeskApp: the agent's TUI (DESIGN §5). Services come in through the constructor."""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from helpdesk_tui.errors import Conflict, HelpdeskError
from helpdesk_tui.i18n import _
from helpdesk_tui.screens.queue import QueueScreen, rows_per_page
from helpdesk_tui.services.queue_types import NearestBreach
from helpdesk_tui.services.vocab import PRESENCES
from helpdesk_tui.text import sanitize_line

if TYPE_CHECKING:
    # Loaded in the background after the first frame when the app opens on a launch
    # frame (see `run_app`): SQLAlchemy and the services take longer to import than
    # Textual takes to start.
    from helpdesk_tui.services.desk import DeskService
    from helpdesk_tui.services.opening import Opening

log = logging.getLogger(__name__)

MIN_WIDTH, MIN_HEIGHT = 80, 24


def _sop_library() -> Screen[Any]:
    # The other modes are imported when first opened: the queue's first frame (the
    # launch budget, DESIGN §8) should not wait for Markdown, Pygments and their kin.
    from helpdesk_tui.screens.sop_library import SopLibraryScreen

    return SopLibraryScreen()


def _knowledge_base() -> Screen[Any]:
    from helpdesk_tui.screens.kb import KbScreen

    return KbScreen()


def _callbacks() -> Screen[Any]:
    from helpdesk_tui.screens.callbacks import CallbacksScreen

    return CallbacksScreen()


class HelpdeskApp(App[None]):
    """The service desk TUI."""

    CSS_PATH = "app.tcss"
    TITLE = "helpdesk"
    MODES = {
        "queue": QueueScreen,
        "sops": _sop_library,
        "kb": _knowledge_base,
        "callbacks": _callbacks,
    }
    DEFAULT_MODE = "queue"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", _("Quit"), id="app.quit", priority=True),
        Binding("question_mark", "help", _("Keys"), id="app.help"),
        Binding("f2", "toggle_presence", _("Presence"), show=False, id="app.presence"),
        Binding("f3", "go('queue')", _("Queue"), show=False, id="app.queue"),
        Binding("f4", "go('sops')", _("SOP library"), show=False, id="app.sops"),
        Binding("f5", "go('kb')", _("Knowledge base"), show=False, id="app.kb"),
        Binding("f6", "notifications", _("Notifications"), show=False, id="app.notifications"),
        Binding("f7", "go('callbacks')", _("Callbacks due"), show=False, id="app.callbacks"),
    ]

    def __init__(
        self,
        desk: DeskService | None = None,
        *,
        opening: Opening | None = None,
        load_desk: Callable[[], DeskService] | None = None,
        keymap: dict[str, str] | None = None,
        poll_seconds: float = 1.5,
        header_seconds: float = 30.0,
        page_size: int | None = None,
    ) -> None:
        """Give `desk`, or `load_desk` to build it in the background after the first frame.

        With `load_desk`, `opening` (the launch frame read without the ORM) is what the
        queue shows until the desk is ready.
        """
        super().__init__()
        if desk is None and load_desk is None:
            raise ValueError("HelpdeskApp needs a desk or a way to load one")
        self._desk = desk
        self._load_desk = load_desk
        self.opening = opening if desk is None else None
        self._desk_ready = threading.Event()
        if desk is not None:
            self._desk_ready.set()
        self._loader: threading.Thread | None = None
        self._loader_lock = threading.Lock()
        #: Why the desk could not be loaded (the CLI reports it once the app has closed).
        self.load_error: BaseException | None = None
        self._keymap = keymap or {}
        self.poll_seconds = poll_seconds
        self.header_seconds = header_seconds
        #: Rows per queue page; None: two screens of the table, at least 60 rows.
        self.page_size = page_size
        self.presence = self.opening.presence if self.opening is not None else "available"
        #: What the headers show besides presence: nearest breach, clock, open count.
        self.breach: NearestBreach | None = None
        self.breach_checked_at: datetime | None = None
        self.open_count: int | None = None
        #: Bumped every time another agent's change is noticed; screens watch it.
        self.data_generation = 0
        #: My unread notifications, for the header's bell.
        self.unread_count = 0
        #: Typed text kept by screens the agent left (the intake form's draft), by kind.
        self.drafts: dict[str, Any] = {}

    # -- the desk (maybe still loading) -----------------------------------------------------
    @property
    def desk(self) -> DeskService:
        """The service facade. While it loads in the background, this waits for it."""
        desk = self._desk
        if desk is None:
            if threading.current_thread() is threading.main_thread():
                self.start_loading_desk()  # waiting on the UI thread must not deadlock
            self._desk_ready.wait()
            desk = self._desk
            if desk is None:
                assert self.load_error is not None
                raise self.load_error
        return desk

    @property
    def agent_name(self) -> str:
        """The acting agent's name for the headers (known from the launch frame early)."""
        if self._desk is None and self.opening is not None:
            return self.opening.agent_name
        return self.desk.actor.name

    def start_loading_desk(self) -> None:
        """Build the desk on a thread of its own (once); the UI keeps running meanwhile."""
        with self._loader_lock:
            if self._loader is not None or self._desk_ready.is_set():
                return
            self._loader = threading.Thread(target=self._load, name="desk-loader")
            self._loader.start()

    class DeskLoaded(Message):
        """The background loader finished, with a desk or with `load_error`."""

    def _load(self) -> None:
        assert self._load_desk is not None
        try:
            self._desk = self._load_desk()
        except BaseException as exc:  # reported by the CLI after the app closes
            self.load_error = exc
        self._desk_ready.set()
        # A message, not call_from_thread: that blocks until the UI runs the call, and an
        # app closing meanwhile would leave this thread (joined at exit) waiting forever.
        self.post_message(self.DeskLoaded())

    def on_helpdesk_app_desk_loaded(self, _message: DeskLoaded) -> None:
        """The services are up: start the live parts, and let them replace the launch frame.
        If they could not be loaded, close the app: the CLI prints the error."""
        if self._desk is None:
            self.exit(return_code=1)
            return
        self.opening = None
        self._start_live()
        self._reload_screens()

    def close_desk(self) -> None:
        """After the app has closed: wait for a desk still loading, then close the desk."""
        loader = self._loader
        if loader is not None:
            loader.join()
        if self._desk is not None:
            self._desk.close()

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._desk is not None:
            self._start_live()

    def _start_live(self) -> None:
        """Presence, SOP sync, unread count and the timers: all of them ask the desk."""
        self.load_presence()
        self.sync_sops()
        self.load_unread()
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.poll_changes)
        if self.header_seconds > 0:
            # The countdown in the header moves by minutes: a slow timer, no per-second repaint.
            self.set_interval(self.header_seconds, self.tick_header)

    def tick_header(self) -> None:
        """Advance the header clock without touching the database."""
        if self.breach_checked_at is not None:
            self.breach_checked_at = self.desk.now()
            self.refresh_headers()

    def on_resize(self, event: Resize) -> None:
        from helpdesk_tui.screens.help import TooSmallScreen

        small = event.size.width < MIN_WIDTH or event.size.height < MIN_HEIGHT
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen())
        elif not small and showing:
            self.pop_screen()

    # -- errors -----------------------------------------------------------------------
    def report_error(self, error: BaseException) -> None:
        """One visible, plain-text line for any failure; never a crash."""
        if isinstance(error, HelpdeskError):
            severity: SeverityLevel = "warning" if isinstance(error, Conflict) else "error"
            self.notify(sanitize_line(str(error)), severity=severity, markup=False, timeout=8)
            return
        log.exception("unexpected error in a worker", exc_info=error)
        self.notify(
            sanitize_line(f"{type(error).__name__}: {error}"),
            title=_("Unexpected error"),
            severity="error",
            markup=False,
            timeout=12,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    # -- live data ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_changes(self) -> None:
        """Ask the store whether anyone committed; if so, tell the screens."""
        if self.desk.changed():
            self.call_from_thread(self.data_changed)

    def data_changed(self) -> None:
        """Another agent (or this one) changed data: screens reload what they show."""
        self.data_generation += 1
        self.load_unread()
        self._reload_screens()

    def _reload_screens(self) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "on_data_changed", None)
            if refresh is not None:
                refresh()

    @work(thread=True, exclusive=True, group="sop-sync", exit_on_error=False)
    def sync_sops(self) -> None:
        """Re-index the SOP files if they changed since the last start."""
        self.desk.sync_sops_if_changed()

    # -- presence -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="presence", exit_on_error=False)
    def load_presence(self) -> None:
        """Read my presence once at start."""
        presence = self.desk.presence()
        self.call_from_thread(self._presence_loaded, presence)

    def _presence_loaded(self, presence: str) -> None:
        self.presence = presence
        self.refresh_headers()

    def action_toggle_presence(self) -> None:
        """Available -> busy -> away -> available; others see it at once."""
        index = PRESENCES.index(self.presence) if self.presence in PRESENCES else 0
        self.presence = PRESENCES[(index + 1) % len(PRESENCES)]
        self.refresh_headers()
        self.save_presence(self.presence)

    @work(thread=True, exclusive=True, group="presence-save", exit_on_error=False)
    def save_presence(self, presence: str) -> None:
        """Store the presence so other agents see it."""
        self.desk.set_presence(presence)
        self.call_from_thread(self.notify, _("You are now ") + _(presence), timeout=3)

    def set_header_state(
        self, breach: NearestBreach | None, now: datetime, open_count: int | None
    ) -> None:
        """Remember the nearest breach and counts, and repaint every header."""
        self.breach, self.breach_checked_at, self.open_count = breach, now, open_count
        self.refresh_headers()

    def refresh_headers(self) -> None:
        """Repaint the header of every screen in the stack."""
        from helpdesk_tui.widgets.header import DeskHeader

        for screen in self.screen_stack:
            for header in screen.query(DeskHeader):
                self.paint_header(header)

    def paint_header(self, header: Any) -> None:
        """Give one header the app's current state."""
        header.show(
            presence=self.presence,
            breach=self.breach,
            now=self.breach_checked_at,
            open_count=self.open_count,
            unread=self.unread_count,
        )

    # -- notifications --------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="unread", exit_on_error=False)
    def load_unread(self) -> None:
        """Count my unread notifications (one partial-index lookup) for the header."""
        count = self.desk.unread_count()
        self.call_from_thread(self._unread_loaded, count)

    def _unread_loaded(self, count: int) -> None:
        if count != self.unread_count:
            self.unread_count = count
            self.refresh_headers()

    def action_notifications(self) -> None:
        """Show my notifications (SLA warnings, breaches, escalations)."""
        from helpdesk_tui.screens.notifications import NotificationsScreen

        if not isinstance(self.screen, NotificationsScreen):
            self.push_screen(NotificationsScreen())

    def open_ticket(self, ticket_id: int) -> None:
        """Push the ticket screen on the current stack."""
        from helpdesk_tui.screens.ticket import TicketScreen

        self.push_screen(TicketScreen(ticket_id))

    # -- moving around and quitting (screens/navigation.py) ----------------------------
    def action_go(self, mode: str) -> None:
        """F3/F4/F5/F7: switch to a place; its own key again goes back to its first screen."""
        from helpdesk_tui.screens.navigation import go_to

        go_to(self, mode)

    async def action_quit(self) -> None:
        """ctrl+q: quit; asks first if typed text would be lost."""
        from helpdesk_tui.screens.navigation import quit_or_ask

        quit_or_ask(self)

    # -- keys and commands ----------------------------------------------------------------
    def action_help(self) -> None:
        """Show every key of the current screen."""
        from helpdesk_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the current screen, namespaced ("ticket: take"), plus the app's."""
        seen: set[str] = set()
        namespace = getattr(screen, "NAMESPACE", "app")
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            owner = "app" if active.node is self else namespace
            title = f"{owner}: {binding.description.lower()}"
            yield SystemCommand(
                title,
                f"{_('key')}: {self.get_key_display(binding)}"
                + (f" · {binding.tooltip}" if binding.tooltip else ""),
                lambda node=active.node, action=binding.action: self.call_later(
                    node.run_action, action
                ),
            )
        yield SystemCommand(_("app: quit"), "ctrl+q", self.action_quit)
        yield SystemCommand(
            _("app: toggle dark mode"), _("light or dark colours"), self.action_toggle_dark
        )


def ssh_session() -> bool:
    """True when running over SSH (mouse tracking then defaults to off)."""
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


def run_app(cli: Any) -> None:
    """Open the TUI for the CLI's settings and store (`helpdesk` with no command)."""
    from datetime import UTC

    from helpdesk_tui.services.identity import agent_login
    from helpdesk_tui.services.opening import open_queue

    # The config schema (pydantic) is checked in load_desk, after the first frame.
    settings = cli.launch_settings()
    login = agent_login()

    def load_desk() -> DeskService:
        from helpdesk_tui.cli.ticket import load_rules_for
        from helpdesk_tui.services.desk import DeskService

        checked = cli.checked_settings()  # a mistake in config.toml ends the app here
        rules = load_rules_for(checked)
        desk = DeskService(
            cli.store(), login, as_login=cli.as_login, rules=rules, sop_dir=checked.sop_dir
        )
        desk.actor  # noqa: B018 - fail early if we are no agent
        gc.freeze()  # what the desk imported lives as long as the app too (see below)
        return desk

    mouse = settings.mouse if settings.mouse is not None else not ssh_session()
    opening = None
    if cli.as_login is None:  # acting as someone else is checked by the services only
        opening = open_queue(
            settings.db_url, login, limit=launch_page_size(), now=datetime.now(UTC)
        )
    if opening is None:
        app = HelpdeskApp(load_desk(), keymap=dict(settings.keymap))
    else:
        app = HelpdeskApp(opening=opening, load_desk=load_desk, keymap=dict(settings.keymap))
    # Everything imported so far lives as long as the app: keep it out of the cyclic
    # collector's full passes, which otherwise walk it all and stall a keystroke.
    gc.freeze()
    try:
        app.run(mouse=mouse)
    finally:
        app.close_desk()
    if app.load_error is not None:
        raise app.load_error


def launch_page_size() -> int:
    """Rows of the launch frame: the queue's default page for this terminal's height
    (a little more than the table's, which is fine: the desk refetches the page)."""
    import shutil

    return rows_per_page(shutil.get_terminal_size((80, 24)).lines)
