"""The SOP library: browse by category, search, read an SOP."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.services.sop import SopView
from helpdesk_tui.text import plain
from helpdesk_tui.widgets.header import DeskHeader


def sop_text(view: SopView) -> Text:
    """An SOP rendered as plain text: purpose, steps, escalation criteria."""
    text = Text()
    text.append_text(plain(view.title, "bold", one_line=True))
    text.append(f"\n{view.id} · v{view.version} · {view.category} · {view.owner}\n\n", style="dim")
    text.append(_("Steps") + "\n", style="bold underline")
    for n, step in enumerate(view.steps, 1):
        text.append(f"{n:2}. ", style="bold")
        text.append_text(plain(step))
        text.append("\n")
    if view.escalate_if:
        text.append("\n" + _("Escalate if") + "\n", style="bold underline")
        for item in view.escalate_if:
            text.append("• ")
            text.append_text(plain(item))
            text.append("\n")
    return text


class SopLibraryScreen(DeskScreen[None]):
    """All SOPs by category; typing searches with the same matcher as the suggestions."""

    NAMESPACE = "sops"
    BINDINGS = [
        Binding("slash", "search", _("Search"), id="sops.search"),
        Binding("ctrl+u", "clear", _("Clear search"), show=False, id="sops.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views: dict[str, SopView] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Input(
            placeholder=_("describe the problem to find its SOP…"), id="sop-search", compact=True
        )
        with Horizontal(id="sop-browser"):
            yield OptionList(id="sop-list")
            with VerticalScroll(id="sop-detail"):
                yield Static(id="sop-text")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.load("")
        self.query_one("#sop-list").focus()

    @work(thread=True, exclusive=True, group="sop-library", exit_on_error=False)
    def load(self, text: str) -> None:
        """All SOPs (by category), or the matches for `text`, best first."""
        self.desk.sync_sops_if_changed()
        views = {v.id: v for v in self.desk.sops()}
        if text.strip():
            order = [m.id for m in self.desk.suggest(text, limit=15, kind="sop")]
        else:
            order = list(views)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, views, order, bool(text.strip()))

    def show(self, views: dict[str, SopView], order: list[str], searching: bool) -> None:
        """Fill the list; categories as headings when browsing."""
        self.views = views
        options = self.query_one("#sop-list", OptionList)
        options.clear_options()
        category = None
        for sop_id in order:
            view = views.get(sop_id)
            if view is None:
                continue
            if not searching and view.category != category:
                category = view.category
                options.add_option(
                    Option(
                        Text(category.replace("_", " ").upper(), style="bold dim"), disabled=True
                    )
                )
            options.add_option(Option(plain(view.title, one_line=True), id=view.id))
        for index in range(options.option_count):
            if not options.get_option_at_index(index).disabled:
                options.highlighted = index
                break

    @on(OptionList.OptionHighlighted, "#sop-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        view = self.views.get(event.option.id or "")
        if view is not None:
            self.query_one("#sop-text", Static).update(sop_text(view))

    @on(Input.Changed, "#sop-search")
    def searched(self, event: Input.Changed) -> None:
        self.load(event.value)

    @on(Input.Submitted, "#sop-search")
    def search_done(self) -> None:
        self.query_one("#sop-list").focus()

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#sop-search").focus()

    def action_clear(self) -> None:
        """Clear the search and show everything."""
        self.query_one("#sop-search", Input).value = ""
        self.query_one("#sop-list").focus()
