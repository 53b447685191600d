"""Escalation and closure dialogs, and the ticket screen's flows that use them.

The flows are functions taking the TicketScreen (not methods of it) so the ticket
screen stays readable: `e` escalate (pick a target, review and edit the handoff package,
ctrl+s), `b` hand back, `m` ask for information, `s` resolve (code + summary), `x`
record the requester's confirmation, all applied with the version the agent saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static, TextArea

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.screens.dialog import DialogBody, dialog_keys
from helpdesk_tui.screens.modals import ChoiceModal, TextModal, TextResult
from helpdesk_tui.services.closure import CONFIRM_CHANNELS, RESOLUTION_CODES
from helpdesk_tui.text import plain, sanitize

if TYPE_CHECKING:
    from helpdesk_tui.screens.ticket import TicketScreen

#: The escalation target meaning "a supervisor" (hierarchical) in the target list.
SUPERVISOR = "@supervisor"


@dataclass(frozen=True)
class EscalationResult:
    """What the agent confirmed: why, and the reviewed handoff package."""

    reason: str
    package: str


class EscalationModal(DeskModal[EscalationResult | None]):
    """Review and edit the handoff package, give the reason; ctrl+s escalates."""

    BINDINGS = [
        Binding("ctrl+s", "save", _("Escalate"), id="dialog.save", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="dialog.cancel"),
    ]

    def __init__(self, ticket_id: int, target: str, brief: list[str], package: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.target = target
        self.brief = brief
        self.package = package

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog escalation"):
            with Vertical(classes="dialog-head"):
                yield Label(
                    plain(
                        _("Escalate") + f" #{self.ticket_id} → {self.target}", "bold", one_line=True
                    )
                )
                with VerticalScroll(id="escalation-brief", classes="dialog-note"):
                    yield Static(plain("\n".join(self.brief)))
            with Vertical(classes="dialog-body"):
                with Horizontal(classes="field"):
                    yield Label(_("Reason"))
                    yield Input(placeholder=_("required"), id="reason", compact=True)
                yield Label(_("Handoff package: review and edit"), classes="dialog-label")
                # Sanitised once here: the TextArea shows raw text, and the package quotes
                # ticket text that may carry control codes.
                yield TextArea(
                    self.draft,
                    id="handoff-package",
                    soft_wrap=True,
                    show_line_numbers=False,
                )
            with Vertical(classes="dialog-foot"):
                yield Static(id="dialog-error")
                yield dialog_keys(_("tab: next field · ctrl+s: escalate · esc: cancel"))

    @property
    def draft(self) -> str:
        """The package as proposed (sanitised), before the agent's edits."""
        return sanitize(self.package)

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def unsaved(self) -> str | None:
        """A reason typed or the package edited: cancelling asks first."""
        reason = self.query_one("#reason", Input).value.strip()
        edited = self.query_one("#handoff-package", TextArea).text != self.draft
        if not reason and not edited:
            return None
        return _("Escalation") + f" #{self.ticket_id}: " + (reason or _("edited handoff package"))

    def action_save(self) -> None:
        """Escalate with the reason and the package as edited."""
        reason = self.query_one("#reason", Input).value.strip()
        package = self.query_one("#handoff-package", TextArea).text.strip()
        problem = None if reason else _("Give a reason for the escalation.")
        if package == "":
            problem = _("The handoff package cannot be empty.")
        if problem:
            self.query_one("#dialog-error", Static).update(Text(problem, style="bold red"))
            return
        self.dismiss(EscalationResult(reason, package))


@dataclass(frozen=True)
class ResolveResult:
    """A resolution: its code and summary."""

    code: str
    summary: str


class ResolveModal(DeskModal[ResolveResult | None]):
    """Resolve: a resolution code (required) and the summary; ctrl+s saves."""

    BINDINGS = [
        Binding("ctrl+s", "save", _("Resolve"), id="dialog.save", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="dialog.cancel"),
    ]

    def __init__(self, title: str, *, code: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text, "bold", one_line=True), classes="dialog-title")
            with DialogBody(classes="dialog-body"):
                yield Select(
                    [(label, code) for code, label in RESOLUTION_CODES.items()],
                    prompt=_("Resolution code (required)"),
                    value=self.code if self.code else Select.NULL,
                    id="code",
                )
                yield Label(_("Summary (required)"))
                yield TextArea(id="summary", soft_wrap=True, show_line_numbers=False)
            with Vertical(classes="dialog-foot"):
                yield Static(id="dialog-error")
                yield dialog_keys(
                    _("enter: pick code · tab: summary · ctrl+s: resolve · esc: cancel")
                )

    def on_mount(self) -> None:
        self.query_one("#summary" if self.code else "#code").focus()

    # Focus stays where the agent put it: choosing a code once moved it to the summary by
    # itself, so the Tab that followed wrapped back to the code, and the summary typed
    # next went into the closed code select (its space opened the list). Now Tab moves
    # from the code to the summary, and text typed on the code goes to the summary.
    def on_key(self, event: events.Key) -> None:
        """Printable keys typed on the closed code select are the summary's text."""
        code = self.query_one("#code", Select)
        if self.focused is not code or code.expanded or not event.is_printable:
            return
        if event.character is None or event.character == " ":
            return  # space opens the list of codes, as on any select
        event.stop()
        event.prevent_default()
        summary = self.query_one("#summary", TextArea)
        self.set_focus(summary)
        summary.move_cursor(summary.document.end)
        summary.insert(event.character)

    def unsaved(self) -> str | None:
        """A summary typed: cancelling asks first."""
        summary = self.query_one("#summary", TextArea).text.strip()
        return f"{self.title_text}: {summary}" if summary else None

    def action_save(self) -> None:
        """Return the code and summary, if both are given."""
        code = self.query_one("#code", Select).value
        summary = self.query_one("#summary", TextArea).text.strip()
        problem = None if summary else _("The summary cannot be empty.")
        if not isinstance(code, str):
            problem = _("Choose a resolution code.")
        if problem:
            self.query_one("#dialog-error", Static).update(Text(problem, style="bold red"))
            return
        assert isinstance(code, str)
        self.dismiss(ResolveResult(code, summary))


# -- the ticket screen's flows -----------------------------------------------------------
def start_escalation(screen: TicketScreen) -> None:
    """`e`: load the SLA brief and the draft package off the UI thread, then ask."""
    ticket_id = screen.ticket_id
    sop_ids = tuple(m.id for m in screen.matches if m.kind == "sop")[:1]

    def load() -> None:
        desk = screen.desk
        brief = desk.escalation_brief(ticket_id, sop_ids)
        draft = desk.handoff_draft(ticket_id, sop_ids)
        groups = desk.support_groups()
        screen.app.call_from_thread(_choose_target, screen, brief, draft, groups)

    screen.run_worker(load, thread=True, group="escalation", exit_on_error=False)


def _choose_target(
    screen: TicketScreen, brief: list[str], draft: str, groups: list[tuple[str, int]]
) -> None:
    options = [(name, f"{name} (L{tier})") for name, tier in groups if tier > 1]
    options.append((SUPERVISOR, _("a supervisor (hierarchical escalation)")))

    def chosen(target: str | None) -> None:
        if target is None:
            return
        label = _("a supervisor") if target == SUPERVISOR else target
        screen.app.push_screen(
            EscalationModal(screen.ticket_id, label, brief, draft),
            lambda result: _escalate(screen, target, result),
        )

    note = "\n".join(brief)
    screen.app.push_screen(ChoiceModal(_("Escalate to?"), options, note=note), chosen)


def _escalate(screen: TicketScreen, target: str, result: EscalationResult | None) -> None:
    if result is None:
        return
    ticket_id = screen.ticket_id
    group = None if target == SUPERVISOR else target

    def change(version: int | None) -> None:
        screen.desk.escalate(
            ticket_id,
            group,
            reason=result.reason,
            package=result.package,
            to_supervisor=group is None,
            expected_version=version,
        )

    screen.apply(_("Escalated to") + " " + (group or _("a supervisor")), change)


def resolve(screen: TicketScreen) -> None:
    """`s`: resolve with a code and a summary."""
    ticket_id = screen.ticket_id

    def done(result: ResolveResult | None) -> None:
        if result is None:
            return
        screen.apply(
            _("Ticket is now") + " resolved",
            lambda version: screen.desk.change_status(
                ticket_id,
                "resolved",
                note=result.summary,
                code=result.code,
                expected_version=version,
            ),
        )

    screen.app.push_screen(ResolveModal(_("Resolve") + f" #{ticket_id}"), done)


def confirm_closure(screen: TicketScreen) -> None:
    """`x`: the requester confirmed the resolution (by phone, mail or chat): close."""
    ticket_id = screen.ticket_id

    def chosen(via: str | None) -> None:
        if via is not None:
            screen.apply(
                _("Confirmed and closed"),
                lambda _v: screen.desk.confirm(ticket_id, via),
                versioned=False,
            )

    options = [(via, _("confirmed by") + f" {via}") for via in CONFIRM_CHANNELS]
    note = _("Close only once the requester confirmed the fix.")
    screen.app.push_screen(ChoiceModal(_("How did they confirm?"), options, note=note), chosen)


def hand_back(screen: TicketScreen) -> None:
    """`b`: hand the ticket back to first line with a note."""
    ticket_id = screen.ticket_id

    def done(result: TextResult | None) -> None:
        if result is not None:
            screen.apply(
                _("Handed back to first line"),
                lambda version: screen.desk.hand_back(
                    ticket_id, result.text, expected_version=version
                ),
            )

    screen.app.push_screen(TextModal(_("Hand back: what should first line know or do?")), done)


def ask_information(screen: TicketScreen) -> None:
    """`m`: ask the requester (waits on them) or first line for information."""
    ticket_id = screen.ticket_id

    def whom_chosen(whom: str | None) -> None:
        if whom is None:
            return

        def written(result: TextResult | None) -> None:
            if result is not None:
                screen.apply(
                    _("Question recorded"),
                    lambda _v: screen.desk.ask(ticket_id, whom, result.text),
                    versioned=False,
                )

        hint = (
            _("Recorded as a mail to the requester (sent once mail is configured).")
            if whom == "requester"
            else _("A note for the first-line agent who escalated it.")
        )
        screen.app.push_screen(TextModal(_("Your question"), hint=hint), written)

    options = [
        ("requester", _("the requester (the ticket waits on them)")),
        ("l1", _("first line (the agent who escalated)")),
    ]
    screen.app.push_screen(ChoiceModal(_("Ask whom?"), options), whom_chosen)
