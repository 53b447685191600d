"""Hotline intake: record a ticket on one screen while the caller is on the line."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.dialog import TypingSelect
from helpdesk_tui.screens.intake_draft import BLANK, DRAFT_KEY, IntakeDraft
from helpdesk_tui.screens.modals import TextModal, TextResult
from helpdesk_tui.services.desk import RequesterHit
from helpdesk_tui.services.matcher import Match
from helpdesk_tui.services.tickets import NewTicket
from helpdesk_tui.services.triage import Advice
from helpdesk_tui.services.vocab import CHANNELS, IMPACT_SCOPES, KINDS, PRIORITIES
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.header import DeskHeader

#: Seconds to wait after the last keystroke before asking the services (debounce).
DEBOUNCE = 0.15


def _options(values: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


class RequesterHits(OptionList):
    """The requesters matching what is typed. Not a stop for Tab (Tab goes on to the
    next field, as the agent expects); ↓ or ctrl+r in the requester field enters it."""

    can_focus = False

    def enter(self) -> None:
        """Take the focus, on the first match."""
        self.can_focus = True
        self.focus()
        self.highlighted = 0

    def on_blur(self) -> None:
        self.can_focus = False


class NewTicketScreen(DeskScreen[None]):
    """Requester lookup, channel, kind, title, description; triage prefills the rest."""

    NAMESPACE = "intake"
    BINDINGS = [
        Binding("ctrl+s", "submit", _("Save ticket"), id="intake.submit", priority=True),
        Binding("ctrl+r", "pick_requester", _("Pick requester"), id="intake.requester"),
        # Back keeps what was typed as a draft for the next `n` (the id predates that).
        Binding("escape", "back", _("Back"), id="intake.cancel"),
        Binding("ctrl+l", "clear", _("Clear form"), id="intake.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[RequesterHit] = []
        self.requester: RequesterHit | None = None
        self.suggestion: Advice | None = None
        #: Fields the agent chose by hand; triage no longer overwrites them.
        self.touched: set[str] = set()

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Label(Text(_("New ticket — hotline intake"), style="bold"), id="intake-title")
        with VerticalScroll(id="intake-form"):
            with Horizontal(classes="field"):
                yield Label(_("Requester"))
                yield Input(placeholder=_("name, phone or e-mail"), id="requester", compact=True)
            yield RequesterHits(id="requester-hits", classes="-hidden")
            with Horizontal(classes="field"):
                yield Label(_("Channel"))
                yield TypingSelect(
                    _options(CHANNELS), value="phone", allow_blank=False, id="channel", compact=True
                )
                yield Label(_("Kind"), classes="second")
                yield TypingSelect(
                    _options(KINDS), value="incident", allow_blank=False, id="kind", compact=True
                )
            with Horizontal(classes="field"):
                yield Label(_("Title"))
                yield Input(placeholder=_("one line: what is wrong"), id="title", compact=True)
            with Horizontal(classes="field tall"):
                yield Label(_("Description"))
                yield TextArea(id="body", soft_wrap=True, compact=True)
            with Horizontal(classes="field"):
                yield Label(_("Scope"))
                yield TypingSelect(
                    _options(IMPACT_SCOPES),
                    value="one_user",
                    allow_blank=False,
                    id="scope",
                    compact=True,
                )
                yield Label(_("Users"), classes="second")
                yield Input("1", id="users", type="integer", compact=True)
            with Horizontal(classes="field"):
                yield Label(_("Category"))
                yield TypingSelect(
                    _options(self.desk.categories()),
                    value="other",
                    allow_blank=False,
                    id="category",
                    compact=True,
                )
                yield Label(_("Priority"), classes="second")
                yield TypingSelect(
                    _options(PRIORITIES),
                    value="medium",
                    allow_blank=False,
                    id="priority",
                    compact=True,
                )
            yield Static(id="intake-reasons")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        # Synchronously (Widget.focus() is deferred): keys typed right after "n" are
        # already queued for this screen and must find the requester field focused.
        self.set_focus(self.query_one("#requester", Input), scroll_visible=False)
        draft = self.helpdesk.drafts.pop(DRAFT_KEY, None)
        if isinstance(draft, IntakeDraft):
            self.restore(draft)

    # -- the draft --------------------------------------------------------------------------
    def snapshot(self) -> IntakeDraft:
        """The form as typed now."""
        values: dict[str, str] = {}
        for name in BLANK:
            widget = self.query_one(f"#{name}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            values[name] = str(value)
        return IntakeDraft(
            requester_text=self.query_one("#requester", Input).value,
            requester=self.requester,
            values=values,
            body=self.query_one("#body", TextArea).text,
            touched=frozenset(self.touched),
        )

    def restore(self, draft: IntakeDraft) -> None:
        """Put a kept draft back into the form, as the agent left it."""
        self.touched = set(draft.touched)
        field = self.query_one("#requester", Input)
        with field.prevent(Input.Changed):
            field.value = draft.requester_text
        self.requester = draft.requester
        for name, value in draft.values.items():
            widget = self.query_one(f"#{name}")
            if isinstance(widget, Input | Select):
                widget.value = value
        self.query_one("#body", TextArea).load_text(draft.body)
        if draft.requester is None and draft.requester_text.strip():
            self.lookup(draft.requester_text)
        # Said in the title, not a toast: a toast would cover the fields being checked.
        title = Text(_("New ticket — hotline intake"), style="bold")
        title.append(" · " + _("draft restored (ctrl+l clears the form)"), style="yellow")
        self.query_one("#intake-title", Label).update(title)

    def keeps_draft(self) -> str | None:
        """Leaving keeps the typed form as a draft; quitting would lose it."""
        draft = self.snapshot()
        return draft.describe() if draft.typed() else None

    def leave(self, then: Callable[[], None] | None = None) -> None:
        """Back to the queue, keeping what was typed as a draft for the next `n`."""
        draft = self.snapshot()
        if draft.typed():
            self.helpdesk.drafts[DRAFT_KEY] = draft
            self.notify(_("Draft kept: press n to go on with it"), timeout=4, markup=False)
        if self.app.screen is self:
            self.app.pop_screen()
        if then is not None:
            then()

    def action_back(self) -> None:
        """Back to the queue; the typed form is kept as a draft."""
        self.leave()

    def action_clear(self) -> None:
        """Start over with a blank form (asks first if anything was typed)."""
        if not self.snapshot().typed():
            return
        from helpdesk_tui.screens.confirm import DiscardModal

        def decided(discard: bool | None) -> None:
            if discard:
                self.app.switch_screen(NewTicketScreen())

        self.app.push_screen(
            DiscardModal(self.snapshot().describe(), question=_("Clear the form?")), decided
        )

    # -- requester lookup ---------------------------------------------------------------
    @on(Input.Changed, "#requester")
    def requester_typed(self, event: Input.Changed) -> None:
        if self.requester is not None and event.value != self.requester.name:
            self.requester = None
        self.lookup(event.value)

    @work(thread=True, exclusive=True, group="intake-lookup", exit_on_error=False)
    def lookup(self, text: str) -> None:
        """Fuzzy requester lookup, debounced, off the UI thread."""
        time.sleep(DEBOUNCE)
        if get_current_worker().is_cancelled:
            return
        hits = self.desk.find_requesters(text)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_hits, hits)

    def show_hits(self, hits: list[RequesterHit]) -> None:
        """List the matches under the requester field."""
        self.hits = hits
        options = self.query_one("#requester-hits", OptionList)
        options.clear_options()
        for hit in hits:
            label = Text()
            label.append_text(plain(hit.name, "bold", one_line=True))
            extra = " · ".join(x for x in (hit.email, hit.phone) if x)
            if extra:
                label.append(" · ")
                label.append_text(plain(extra, one_line=True))
            if hit.vip:
                label.append(" VIP", style="bold magenta")
            options.add_option(Option(label, id=str(hit.id)))
        options.set_class(not hits, "-hidden")

    def action_pick_requester(self) -> None:
        """Move into the list of matching requesters."""
        if self.hits:
            self.query_one("#requester-hits", RequesterHits).enter()

    def on_key(self, event: events.Key) -> None:
        """↓ in the requester field goes down into its matches."""
        if event.key == "down" and self.hits and self.focused is self.query_one("#requester"):
            event.stop()
            self.action_pick_requester()

    @on(OptionList.OptionSelected, "#requester-hits")
    def requester_chosen(self, event: OptionList.OptionSelected) -> None:
        hit = next((h for h in self.hits if str(h.id) == event.option.id), None)
        if hit is None:
            return
        self.requester = hit
        field = self.query_one("#requester", Input)
        with field.prevent(Input.Changed):
            field.value = hit.name
        self.query_one("#requester-hits", OptionList).add_class("-hidden")
        self.query_one("#title", Input).focus()
        self.retriage()

    # -- triage as you type -------------------------------------------------------------
    @on(Input.Changed, "#title")
    @on(TextArea.Changed, "#body")
    @on(Select.Changed, "#scope")
    @on(Input.Changed, "#users")
    def text_changed(self) -> None:
        self.retriage()

    @on(Select.Changed, "#category")
    @on(Select.Changed, "#priority")
    def chosen_by_agent(self, event: Select.Changed) -> None:
        # Only the agent's own choice counts: changes made by triage (or on mount) happen
        # while the select does not have focus.
        if event.select.has_focus or event.select.expanded:
            self.touched.add(event.select.id or "")

    def draft(self) -> NewTicket:
        """What is typed so far, as the services' NewTicket."""
        users_raw = self.query_one("#users", Input).value.strip()
        users = int(users_raw) if users_raw.isdigit() and int(users_raw) > 0 else 1
        return NewTicket(
            title=self.query_one("#title", Input).value,
            body=self.query_one("#body", TextArea).text,
            channel=str(self.query_one("#channel", Select).value),
            kind=str(self.query_one("#kind", Select).value),
            impact_scope=str(self.query_one("#scope", Select).value),
            affected_users=users,
            requester=f"#{self.requester.id}"
            if self.requester
            else (self.query_one("#requester", Input).value.strip() or None),
        )

    def retriage(self) -> None:
        """Ask triage again (debounced)."""
        self.triage_worker(self.draft(), bool(self.requester and self.requester.vip))

    @work(thread=True, exclusive=True, group="intake-triage", exit_on_error=False)
    def triage_worker(self, draft: NewTicket, vip: bool) -> None:
        time.sleep(DEBOUNCE)
        if get_current_worker().is_cancelled:
            return
        result = self.desk.triage(draft, vip=vip)
        text = f"{draft.title}\n{draft.body}"
        matches = self.desk.suggest(text, limit=3) if text.strip() else []
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_triage, result, matches)

    def show_triage(self, result: Advice, matches: list[Match] | None = None) -> None:
        """Prefill category and priority (unless the agent chose them) and show why."""
        self.suggestion = result
        for name, value in (("category", result.category), ("priority", result.priority)):
            select = self.query_one(f"#{name}", Select)
            if value and name not in self.touched and select.value != value:
                select.value = value
        text = Text()
        text.append(_("Suggested") + ": ", style="bold")
        text.append(f"{result.category or _('no category')} · {result.priority}")
        if result.category and result.source == "model":
            text.append(f" ({result.confidence:.0%})", style="dim")
        if result.low_confidence:
            text.append(" — " + _("low confidence: check the category"), style="yellow")
        for reason in result.reasons[:2]:
            text.append("\n· ", style="dim")
            text.append_text(plain(reason.text, "dim", one_line=True))
        for match in matches or []:
            text.append(f"\n{match.score:3.0f} ", style="cyan")
            text.append("SOP " if match.kind == "sop" else "KB ", style="bold")
            text.append_text(plain(match.title, one_line=True))
        self.query_one("#intake-reasons", Static).update(text)

    # -- submit ----------------------------------------------------------------------------
    def action_submit(self) -> None:
        """Save the ticket (asks why if category or priority differ from the suggestion).

        A select the agent left alone is not sent: the services apply their own suggestion,
        so a save before triage answered never records the form's placeholder as a choice.
        """
        draft = self.draft()
        if not draft.title.strip():
            self.notify(_("A ticket needs a title."), severity="error", markup=False)
            self.query_one("#title", Input).focus()
            return
        overrides: list[str] = []
        for name in ("category", "priority"):
            value = str(self.query_one(f"#{name}", Select).value)
            suggested = getattr(self.suggestion, name, None) if self.suggestion else None
            if name not in self.touched and (suggested is None or value == suggested):
                continue
            setattr(draft, name, value)
            if suggested is not None and value != suggested:
                overrides.append(f"{value} " + _("instead of the suggested") + f" {suggested}")
        if overrides:

            def reasoned(result: TextResult | None) -> None:
                if result is not None:
                    draft.category_reason = draft.priority_reason = result.text
                    self.save(draft)

            question = _("Why") + " " + "; ".join(overrides) + "?"
            self.app.push_screen(TextModal(question, multiline=False), reasoned)
            return
        self.save(draft)

    @work(thread=True, exclusive=True, group="intake-save", exit_on_error=False)
    def save(self, draft: NewTicket) -> None:
        """Create the ticket, then open it in place of this screen."""
        ticket_id = self.desk.create_ticket(draft)
        self.desk.forget_requesters()
        self.app.call_from_thread(self.saved, ticket_id)

    def saved(self, ticket_id: int) -> None:
        self.notify(_("Ticket") + f" #{ticket_id} " + _("recorded"), timeout=3)
        self.app.pop_screen()
        self.helpdesk.open_ticket(ticket_id)
        self.helpdesk.data_changed()
