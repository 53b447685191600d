"""The ticket screen: facts, description, log, suggestions, single-key actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, RichLog, Static

from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.i18n import _
from helpdesk_tui.screens import escalation as flows
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.modals import ChoiceModal, ConflictModal, TextModal, TextResult
from helpdesk_tui.services.matcher import Match
from helpdesk_tui.services.ticket_access import Decision
from helpdesk_tui.services.tickets import NewTicket, StaleTicket
from helpdesk_tui.services.triage import Advice
from helpdesk_tui.services.vocab import PRIORITIES
from helpdesk_tui.text import plain, sanitize_line
from helpdesk_tui.widgets.formatting import PRIORITY_STYLES, SLA_STYLES, countdown
from helpdesk_tui.widgets.header import DeskHeader

#: Fields compared to tell the agent what another agent changed.
WATCHED = (
    "status",
    "priority",
    "category",
    "assignee",
    "group",
    "title",
    "kind",
    "urgency",
    "impact",
)


def _when(value: str | None) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone().strftime("%a %d %b %H:%M")


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human lines for what differs between two versions of a ticket's detail."""
    lines = [f"{f}: {old.get(f)} → {new.get(f)}" for f in WATCHED if old.get(f) != new.get(f)]
    for key, value in new.get("facts", {}).items():
        if old.get("facts", {}).get(key) != value:
            lines.append(f"{key}: {old['facts'].get(key)} → {value}")
    if len(new.get("log", [])) > len(old.get("log", [])):
        for entry in new["log"][len(old["log"]) :]:
            lines.append(f"{entry['agent'] or '-'} {entry['kind']}: {entry['text']}")
    return lines


class TicketScreen(DeskScreen[None]):
    """One ticket, worked with single keys."""

    NAMESPACE = "ticket"
    BINDINGS = [
        Binding("t", "take", _("Take"), id="ticket.take"),
        Binding("n", "note", _("Note"), id="ticket.note"),
        Binding("l", "call", _("Log call"), id="ticket.call"),
        Binding("s", "resolve", _("Resolve"), id="ticket.resolve"),
        Binding("p", "priority", _("Priority"), id="ticket.priority"),
        Binding("c", "category", _("Category"), show=False, id="ticket.category"),
        Binding("w", "waiting", _("Waiting on customer"), show=False, id="ticket.waiting"),
        Binding("i", "in_progress", _("Back to work"), show=False, id="ticket.in_progress"),
        Binding("e", "escalate", _("Escalate"), show=False, id="ticket.escalate"),
        Binding("u", "use_sop", _("Run SOP"), id="ticket.sop"),
        Binding("k", "knowledge", _("Knowledge"), show=False, id="ticket.kb"),
        Binding("a", "write_article", _("Article from ticket"), show=False, id="ticket.article"),
        Binding("x", "close", _("Requester confirmed: close"), show=False, id="ticket.close"),
        Binding("o", "reopen", _("Reopen"), show=False, id="ticket.reopen"),
        Binding("b", "hand_back", _("Hand back to L1"), show=False, id="ticket.hand_back"),
        Binding("m", "ask", _("Ask for information"), show=False, id="ticket.ask"),
        Binding("r", "refresh", _("Refresh"), show=False, id="ticket.refresh"),
        Binding("escape,backspace,q", "back", _("Back"), id="ticket.back"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.detail: dict[str, Any] | None = None
        self.triage: Advice | None = None
        self.matches: list[Match] = []
        #: What the services let this agent do with the ticket (`ticket_access`), per action.
        self.allowed: dict[str, Decision] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Static(id="ticket-title")
        yield Static(id="ticket-status")
        yield Static(id="ticket-sla")
        with Horizontal(id="ticket-top"):
            with VerticalScroll(id="ticket-facts"):
                yield Static(id="facts")
                yield Static(id="description")
            with VerticalScroll(id="suggestions-box"):
                yield Static(id="suggestions")
        yield RichLog(id="ticket-log", markup=False, highlight=False, wrap=True, auto_scroll=True)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.query_one("#ticket-log").focus()
        self.load()

    # -- loading ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="ticket-load", exit_on_error=False)
    def load(self) -> None:
        """Fetch the ticket and the triage suggestions off the UI thread."""
        detail = self.desk.ticket(self.ticket_id)
        facts = detail["facts"]
        triage = self.desk.triage(
            NewTicket(
                title=detail["title"],
                body=detail["body"],
                impact_scope=facts["impact_scope"],
                affected_users=facts["affected_users"],
                affected_system=facts["affected_system"],
            ),
            vip=bool(detail["requester"] and detail["requester"]["vip"]),
        )
        matches = self.desk.suggest(f"{detail['title']}\n{detail['body']}", limit=5)
        allowed = self.desk.ticket_actions(self.ticket_id)
        self.app.call_from_thread(setattr, self, "allowed", allowed)
        self.app.call_from_thread(self.show, detail, triage, self.desk.now(), matches)

    def refused(self, action: str) -> bool:
        """True, after saying why, when the services would refuse `action` to this agent.

        Asked before any dialog opens, so nobody types a resolution only to be refused.
        """
        decision = self.allowed.get(action)
        if decision is None or decision.allowed:
            return False
        self.notify(sanitize_line(decision.why_not), severity="warning", markup=False, timeout=6)
        return True

    def on_data_changed(self) -> None:
        """Another agent changed something: reload."""
        self.load()

    def show(
        self, detail: dict[str, Any], triage: Advice, now: datetime, matches: list[Match]
    ) -> None:
        """Render the ticket. Every piece of outside text goes through `plain()`."""
        self.detail, self.triage, self.matches = detail, triage, matches
        title = Text()
        title.append(f"#{detail['id']} ", style="bold")
        title.append_text(plain(detail["title"], "bold", one_line=True))
        self.query_one("#ticket-title", Static).update(title)
        status = Text()
        status.append(detail["status"], style="reverse")
        status.append("  ")
        status.append(detail["priority"], style=PRIORITY_STYLES.get(detail["priority"], ""))
        if detail["priority_overridden"]:
            status.append(" " + _("(overridden)"), style="dim")
        requester = detail["requester"]
        parts = [
            detail["category"],
            detail["kind"].replace("_", " "),
            _("via") + " " + detail["channel"],
            _("agent") + " " + (detail["assignee"] or "-"),
        ]
        if detail["group"]:
            parts.append(_("group") + " " + detail["group"])
        if requester:
            parts.append(
                _("for") + " " + requester["name"] + (" (VIP)" if requester["vip"] else "")
            )
        if detail.get("resolution_code"):
            status.append(f" {detail['resolution_code']}", style="green")
            if detail.get("fcr"):
                status.append(" FCR", style="bold green")
        status.append("  ")
        status.append_text(plain(" · ".join(parts), one_line=True))
        self.query_one("#ticket-status", Static).update(status)
        self.query_one("#ticket-sla", Static).update(self.sla_line(detail["sla"]))
        self.query_one("#facts", Static).update(self.facts_text(detail))
        self.query_one("#description", Static).update(
            plain(detail["body"] or _("(no description)"))
        )
        self.query_one("#suggestions", Static).update(self.suggestions_text(triage, detail))
        log = self.query_one(RichLog)
        log.clear()
        for entry in detail["log"]:
            line = Text()
            line.append(_when(entry["at"]) + " ", style="dim")
            line.append_text(plain(entry["agent"] or "-", "bold", one_line=True))
            line.append(f" {entry['kind']} ", style="cyan")
            line.append_text(plain(entry["text"]))
            if entry["handle_seconds"]:
                line.append(f" ({countdown(entry['handle_seconds'])})", style="dim")
            log.write(line)

    def sla_line(self, sla: dict[str, Any]) -> Text:
        """Response and resolution clocks with the state's colour."""
        line = Text()
        ola = (self.detail or {}).get("ola")
        running = bool(ola and not ola["stopped_at"])
        if running and sla["response_state"] == "met":
            line.append(_("responded"))  # room for the OLA at 80 columns
        else:
            line.append(
                _("respond by") + f" {_when(sla['response_due'])} ({sla['response_state']})"
            )
        line.append(" · ")
        line.append(_("resolve by") + f" {_when(sla['resolve_due'])}")
        state = "paused" if sla["paused"] else sla["state"]
        left = countdown(sla["remaining_seconds"]) if sla["remaining_seconds"] is not None else ""
        line.append(f"  {state} {left}", style=SLA_STYLES.get(state, ""))
        if ola and running:
            ola_state = "paused" if ola["paused"] else ola["state"]
            ola_left = countdown(ola["remaining_seconds"])
            line.append(" · OLA ")
            line.append(f"{ola_state} {ola_left}", style=SLA_STYLES.get(ola_state, ""))
        return line

    def facts_text(self, detail: dict[str, Any]) -> Text:
        """The key facts, one per line."""
        facts = detail["facts"]
        rows = [
            (_("Kind"), detail["kind"].replace("_", " ")),
            (_("Occurred"), _when(facts["occurred_at"])),
            (
                _("Scope"),
                facts["impact_scope"].replace("_", " ")
                + f", {facts['affected_users']} "
                + _("user(s)"),
            ),
            (_("System"), facts["affected_system"] or "-"),
            (_("Errors"), facts["error_codes"] or "-"),
            (_("Tried"), facts["tried"] or "-"),
        ]
        text = Text()
        for label, value in rows:
            text.append(f"{label:9}", style="bold")
            text.append_text(plain(str(value), one_line=True))
            text.append("\n")
        return text

    def suggestions_text(self, triage: Advice, detail: dict[str, Any]) -> Text:
        """Triage's category and priority with the reasons (SOP and KB matches come later)."""
        text = Text()
        text.append(_("Suggested") + "\n", style="bold underline")
        text.append(_("category") + ": ")
        text.append(triage.category or _("none"), style="bold")
        if triage.low_confidence:
            text.append(" ?", style="yellow")
        if triage.category and triage.category != detail["category"]:
            text.append(" ≠", style="yellow")
        text.append("\n" + _("priority") + ": ")
        text.append(triage.priority, style=PRIORITY_STYLES.get(triage.priority, "bold"))
        text.append("\n")
        for reason in triage.reasons[:2]:
            text.append("· ", style="dim")
            text.append_text(plain(reason.text, "dim", one_line=True))
            text.append("\n")
        if detail.get("resolved_by_sop"):
            text.append(_("solved by SOP") + f" {detail['resolved_by_sop']}\n", style="green")
        text.append(_("SOPs and articles") + " (u/k)\n", style="bold underline")
        if not self.matches:
            text.append(_("no match yet") + "\n", style="dim")
        for match in self.matches:
            text.append(f"{match.score:3.0f} ", style="cyan")
            text.append("SOP " if match.kind == "sop" else "KB ", style="bold")
            text.append_text(plain(match.title, one_line=True))
            if match.matched:
                text.append(" (" + ", ".join(match.matched[:3]) + ")", style="dim")
            text.append("\n")
        return text

    # -- changing the ticket ------------------------------------------------------------
    def apply(
        self, what: str, change: Callable[[int | None], None], *, versioned: bool = True
    ) -> None:
        """Run a change in a worker with the version we saw; a conflict asks the agent."""
        version = self.detail["version"] if (versioned and self.detail) else None
        self._apply(what, change, version)

    @work(thread=True, exit_on_error=False, group="ticket-change")
    def _apply(self, what: str, change: Callable[[int | None], None], version: int | None) -> None:
        try:
            change(version)
        except StaleTicket:
            fresh = self.desk.ticket(self.ticket_id)
            self.app.call_from_thread(self.conflict, what, change, fresh)
            return
        self.app.call_from_thread(self.notify, what, timeout=3)
        self.app.call_from_thread(self.helpdesk.data_changed)

    def conflict(
        self, what: str, change: Callable[[int | None], None], fresh: dict[str, Any]
    ) -> None:
        """Show what the other agent changed; re-apply ours on their version if asked."""
        old = self.detail or {}

        def decided(reapply: bool | None) -> None:
            if reapply:
                self._apply(what, change, fresh["version"])
            else:
                self.load()

        self.app.push_screen(ConflictModal(what, changed_fields(old, fresh)), decided)

    def _status(self, status: str, note: str = "") -> None:
        ticket_id = self.ticket_id
        self.apply(
            _("Ticket is now") + f" {status}",
            lambda version: self.desk.change_status(
                ticket_id, status, note=note, expected_version=version
            ),
        )

    def action_take(self) -> None:
        """Take this ticket."""
        if self.refused("take"):
            return
        ticket_id = self.ticket_id
        escalated = (self.detail or {}).get("status") == "escalated"
        what = _("Accepted: the ticket is yours") if escalated else _("The ticket is yours")
        self.apply(what, lambda _v: self.desk.take(ticket_id), versioned=False)

    def _log(self, kind: str, title: str) -> None:
        ticket_id = self.ticket_id

        def done(result: TextResult | None) -> None:
            if result is not None:
                seconds = round(result.minutes * 60)
                self.apply(
                    _("Added to the log"),
                    lambda _v: self.desk.add_interaction(
                        ticket_id, kind, result.text, handle_seconds=seconds
                    ),
                    versioned=False,
                )

        self.app.push_screen(TextModal(title, minutes=True), done)

    def action_note(self) -> None:
        """Add a note to the log."""
        self._log("note", _("Add a note"))

    def action_call(self) -> None:
        """Log a phone call with the requester."""
        self._log("call", _("Log a call: what was said"))

    def action_waiting(self) -> None:
        """Wait on the customer (pauses the SLA clock)."""
        if self.refused("waiting"):
            return
        self._status("waiting_customer")

    def action_in_progress(self) -> None:
        """Back to work (from waiting or escalated); back to `escalated` while with L2/L3."""
        if self.refused("in_progress"):
            return
        ola = (self.detail or {}).get("ola")
        waiting = (self.detail or {}).get("status") == "waiting_customer"
        self._status("escalated" if waiting and ola and not ola["stopped_at"] else "in_progress")

    def action_close(self) -> None:
        """The requester confirmed the resolution: record how, and close."""
        if self.refused("close"):
            return
        flows.confirm_closure(self)

    def action_reopen(self) -> None:
        """Reopen a resolved ticket (asks why)."""
        if self.refused("reopen"):
            return

        def done(result: TextResult | None) -> None:
            if result is not None:
                self._status("in_progress", result.text)

        self.app.push_screen(TextModal(_("Why reopen it?"), multiline=False), done)

    def action_resolve(self) -> None:
        """Resolve with a resolution code and a summary (both required)."""
        if self.refused("resolve"):
            return
        flows.resolve(self)

    def action_escalate(self) -> None:
        """Escalate to an L2/L3 group or a supervisor, with a reviewed handoff package."""
        if self.refused("escalate"):
            return
        flows.start_escalation(self)

    def action_hand_back(self) -> None:
        """Hand an escalated ticket back to first line with a note."""
        if self.refused("hand_back"):
            return
        flows.hand_back(self)

    def action_ask(self) -> None:
        """Ask the requester or first line for information."""
        flows.ask_information(self)

    def _choose_with_reason(
        self,
        field: str,
        options: list[str],
        current: str,
        suggested: str | None,
        why: str,
    ) -> None:
        ticket_id = self.ticket_id
        note = _("Suggested") + f": {suggested or _('none')}" + (f" — {why}" if why else "")

        def apply(value: str, reason: str) -> None:
            def change(version: int | None) -> None:
                self.desk.update(ticket_id, {field: value}, reason=reason, expected_version=version)

            self.apply(f"{field}: {current} → {value}", change)

        def chosen(value: str | None) -> None:
            if value is None or value == current:
                return
            if suggested is not None and value != suggested:

                def reasoned(result: TextResult | None) -> None:
                    if result is not None:
                        apply(value, result.text)

                self.app.push_screen(
                    TextModal(
                        _("Why") + f" {value} " + _("instead of the suggested") + f" {suggested}?",
                        multiline=False,
                    ),
                    reasoned,
                )
            else:
                apply(value, "")

        labels = [(o, o + ("  ← " + _("suggested") if o == suggested else "")) for o in options]
        self.app.push_screen(
            ChoiceModal(_("Set") + f" {field}", labels, selected=suggested or current, note=note),
            chosen,
        )

    def action_priority(self) -> None:
        """Set the priority; the matrix's suggestion is preselected, an override asks why."""
        if self.detail is None:
            return
        matrix = self.detail["suggested_priority"]
        why = f"impact {self.detail['impact']} × urgency {self.detail['urgency']}"
        self._choose_with_reason("priority", list(PRIORITIES), self.detail["priority"], matrix, why)

    def action_category(self) -> None:
        """Set the category; the suggestion made at intake is preselected, an override of it
        asks why (the services require the reason against that stored suggestion)."""
        if self.detail is None or self.triage is None:
            return
        suggested = self.detail["suggested_category"]
        same = self.triage.category == suggested  # today's reasons explain it only if so
        why = "; ".join(r.text for r in self.triage.reasons[:2]) if same else ""
        self._choose_with_reason(
            "category", self.desk.categories(), self.detail["category"], suggested, why
        )

    def action_use_sop(self) -> None:
        """Follow one of the matching SOPs on this ticket (best one preselected)."""
        from helpdesk_tui.screens.sop_run import SopRunScreen

        sops = [m for m in self.matches if m.kind == "sop"]
        ticket_id = self.ticket_id

        def chosen(sop_id: str | None) -> None:
            if sop_id:
                self.app.push_screen(SopRunScreen(ticket_id, sop_id))

        options = [(m.id, f"{m.title}  ({m.score:.0f})") for m in sops]
        options += [(v.id, v.title) for v in self.desk.sops() if v.id not in {m.id for m in sops}]
        self.app.push_screen(
            ChoiceModal(_("Which SOP?"), options, selected=sops[0].id if sops else None), chosen
        )

    def action_knowledge(self) -> None:
        """Search the knowledge base for this ticket (and link a solution from there)."""
        from helpdesk_tui.screens.kb import KbScreen

        title = (self.detail or {}).get("title", "")
        self.app.push_screen(KbScreen(ticket_id=self.ticket_id, query=title))

    def action_write_article(self) -> None:
        """Write a knowledge article prefilled from this resolved ticket."""
        from helpdesk_tui.screens.kb import KbEditScreen

        try:
            draft = self.desk.article_draft_from_ticket(self.ticket_id)
        except HelpdeskError as exc:
            self.report(exc)
            return
        self.app.push_screen(KbEditScreen(draft=draft, source_ticket_id=self.ticket_id))

    def action_refresh(self) -> None:
        """Reload the ticket."""
        self.load()

    def action_back(self) -> None:
        """Back to the queue."""
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide actions the ticket's status does not allow (footer and palette)."""
        if self.detail is None:
            return True
        status = self.detail["status"]
        allowed: dict[str, bool] = {
            "take": status in ("new", "in_progress", "waiting_customer", "escalated"),
            "resolve": status in ("new", "in_progress", "waiting_customer", "escalated"),
            "waiting": status in ("new", "in_progress", "escalated"),
            "in_progress": status in ("waiting_customer", "escalated", "new"),
            "escalate": status in ("new", "in_progress", "waiting_customer", "escalated"),
            "close": status == "resolved",
            "reopen": status in ("resolved", "closed"),
            # with a resolver group while its OLA clock runs (hierarchical has none)
            "hand_back": bool(self.detail.get("ola") and not self.detail["ola"]["stopped_at"])
            and status in ("escalated", "waiting_customer", "in_progress"),
            "ask": status in ("new", "in_progress", "waiting_customer", "escalated"),
            "priority": status not in ("closed", "cancelled"),
            "category": status not in ("closed", "cancelled"),
        }
        return allowed.get(action, True) or None
