"""Following an SOP on a ticket: tick the steps, record the outcome."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.escalation import ResolveModal, ResolveResult
from helpdesk_tui.screens.modals import ChoiceModal
from helpdesk_tui.services.sop import RUN_OUTCOMES, RunView, SopView
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.header import DeskHeader

OUTCOME_LABELS = {
    "resolved": _("resolved: the SOP solved it"),
    "escalated": _("escalate: beyond first line"),
    "not_applicable": _("not applicable: wrong procedure"),
    "abandoned": _("abandoned"),
}


def step_label(number: int, text: str, done: bool) -> Table:
    """One step as listed: a visible [x] or [ ] (not colour alone), the number, and the
    whole text wrapped under itself by the list (never cut)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    mark = Text("[x]" if done else "[ ]", style="bold green" if done else "bold")
    mark.append(f" {number:>2}.", style="bold")
    grid.add_row(mark, plain(text, "dim" if done else ""))
    return grid


class SopRunScreen(DeskScreen[None]):
    """The steps of one SOP as a checklist; every tick is written to the ticket's log."""

    NAMESPACE = "sop"
    BINDINGS = [
        Binding("space", "tick_step", _("Tick step"), id="sop.tick"),
        Binding("f", "finish", _("Finish"), id="sop.finish"),
        Binding("escape,backspace,q", "back", _("Back"), id="sop.back"),
    ]

    def __init__(self, ticket_id: int, sop_id: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.sop_id = sop_id
        self.view: SopView | None = None
        self.run: RunView | None = None
        #: The steps ticked as the agent sees them (saved in the background).
        self.done: set[int] = set()

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Static(id="sop-title")
        with Horizontal(id="sop-body"):
            yield OptionList(id="sop-steps")
            with VerticalScroll(id="sop-side"):
                yield Static(id="sop-progress")
                yield Static(id="sop-escalate")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.start()

    @work(thread=True, exclusive=True, group="sop-run", exit_on_error=False)
    def start(self) -> None:
        """Load the SOP and start (or resume) its run on the ticket."""
        view = self.desk.sop_view(self.sop_id)
        run = self.desk.start_sop(self.ticket_id, self.sop_id)
        self.app.call_from_thread(self.show, view, run)

    def show(self, view: SopView, run: RunView) -> None:
        """Render the checklist with the steps already done ticked."""
        self.view, self.run = view, run
        self.done = set(run.steps_done)
        title = Text()
        title.append(f"#{self.ticket_id} · SOP ", style="dim")
        title.append_text(plain(f"{view.id} v{view.version}: {view.title}", "bold", one_line=True))
        self.query_one("#sop-title", Static).update(title)
        self.list_steps()
        steps = self.query_one("#sop-steps", OptionList)
        if view.steps:
            pending = [n for n in range(len(view.steps)) if n not in self.done]
            steps.highlighted = pending[0] if pending else 0
        steps.focus()
        side = Text()
        side.append(_("Escalate if") + "\n", style="bold underline")
        for item in view.escalate_if:
            side.append("• ")
            side.append_text(plain(item))
            side.append("\n")
        self.query_one("#sop-escalate", Static).update(side)
        self.show_progress()

    def list_steps(self) -> None:
        """(Re)fill the checklist from the SOP and the steps ticked."""
        if self.view is None:
            return
        steps = self.query_one("#sop-steps", OptionList)
        steps.clear_options()
        for n, text in enumerate(self.view.steps):
            steps.add_option(Option(step_label(n + 1, text, n in self.done), id=str(n)))

    def show_progress(self) -> None:
        """How many steps are ticked, above the escalation criteria."""
        total = len(self.view.steps) if self.view else 0
        progress = Text(_("Done") + f" {len(self.done)}/{total}\n", style="bold")
        self.query_one("#sop-progress", Static).update(progress)

    def action_tick_step(self) -> None:
        """Tick or untick the highlighted step; a tick moves on to the next step."""
        steps = self.query_one("#sop-steps", OptionList)
        step = steps.highlighted
        if self.run is None or self.view is None or step is None:
            return
        done = step not in self.done
        if done:
            self.done.add(step)
        else:
            self.done.discard(step)
        steps.replace_option_prompt_at_index(
            step, step_label(step + 1, self.view.steps[step], done)
        )
        if done and step + 1 < steps.option_count:
            steps.highlighted = step + 1
        self.show_progress()
        self.save_tick(self.run.id, step, done)

    @on(OptionList.OptionSelected, "#sop-steps")
    def selected(self) -> None:
        """Enter on a step ticks it too."""
        self.action_tick_step()

    @work(thread=True, group="sop-tick", exit_on_error=False)
    def save_tick(self, run_id: int, step: int, done: bool) -> None:
        """Store the tick (logged with time and agent)."""
        run = self.desk.tick(run_id, step, done)
        self.app.call_from_thread(setattr, self, "run", run)

    def action_finish(self) -> None:
        """Record the outcome of following this SOP."""
        if self.run is None:
            return
        options = [(o, OUTCOME_LABELS[o]) for o in RUN_OUTCOMES]

        def chosen(outcome: str | None) -> None:
            if outcome is None:
                return
            if outcome == "resolved":
                # The SOP's fix is preselected as permanent; the agent may change the code.
                self.app.push_screen(
                    ResolveModal(_("Resolve the ticket"), code="solved_permanent"),
                    lambda result: self.finish(outcome, result),
                )
            else:
                self.finish(outcome, None)

        note = _("Done") + f": {len(self.done)}/{len(self.view.steps) if self.view else 0}"
        self.app.push_screen(ChoiceModal(_("How did it end?"), options, note=note), chosen)

    def finish(self, outcome: str, resolution: ResolveResult | None) -> None:
        """Finish the run; resolving also resolves the ticket with the code and summary."""
        if outcome == "resolved" and resolution is None:
            return
        self.save_finish(outcome, resolution)

    @work(thread=True, exclusive=True, group="sop-finish", exit_on_error=False)
    def save_finish(self, outcome: str, resolution: ResolveResult | None) -> None:
        assert self.run is not None
        self.desk.finish_sop(self.run.id, outcome)
        if outcome == "resolved" and resolution is not None:
            self.desk.change_status(
                self.ticket_id, "resolved", note=resolution.summary, code=resolution.code
            )
        self.app.call_from_thread(self.finished, outcome)

    def finished(self, outcome: str) -> None:
        self.notify(_("SOP finished") + f": {outcome}", timeout=3)
        self.app.pop_screen()
        self.helpdesk.data_changed()
        if outcome == "escalated":
            screen = self.app.screen
            escalate = getattr(screen, "action_escalate", None)
            if escalate is not None:
                escalate()

    def action_back(self) -> None:
        """Back to the ticket; the run stays open to resume later."""
        self.app.pop_screen()
