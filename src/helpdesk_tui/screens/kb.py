"""The knowledge base: search, read (rendered Markdown), write and edit with a preview."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Input,
    Label,
    Markdown,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from helpdesk_tui.i18n import _
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.dialog import TypingSelect
from helpdesk_tui.services.kb import VISIBILITIES, ArticleDraft
from helpdesk_tui.text import plain, sanitize
from helpdesk_tui.widgets.header import DeskHeader


def safe_markdown(body: str) -> str:
    """Article text for the Markdown widget: control codes made visible first (DESIGN §5)."""
    return sanitize(body)


class KbScreen(DeskScreen[None]):
    """Search and browse articles; enter opens one, n writes a new one."""

    NAMESPACE = "kb"
    BINDINGS = [
        Binding("slash", "search", _("Search"), id="kb.search"),
        Binding("enter", "open", _("Open"), id="kb.open", priority=True),
        Binding("n", "new", _("New article"), id="kb.new"),
        # Only when pushed (from a ticket's `k`); F5's knowledge base is a mode of its own.
        Binding("escape,backspace,q", "back", _("Back"), id="kb.back"),
    ]

    def __init__(self, *, ticket_id: int | None = None, query: str = "") -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.initial_query = query

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Input(
            self.initial_query, placeholder=_("search articles…"), id="kb-search", compact=True
        )
        yield OptionList(id="kb-list")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.load(self.initial_query)
        self.query_one("#kb-list").focus()

    def on_data_changed(self) -> None:
        self.load(self.query_one("#kb-search", Input).value)

    @work(thread=True, exclusive=True, group="kb-list", exit_on_error=False)
    def load(self, text: str) -> None:
        """Articles matching the search (full text, newest first), else fuzzy matches."""
        articles = self.desk.articles(search=text)
        if not articles and text.strip():
            # Every word must match for full text; a ticket's wording rarely does. The
            # matcher's fuzzy ranking finds the articles that fit best instead.
            articles = [
                self.desk.article(int(m.id)) for m in self.desk.suggest(text, kind="kb", limit=20)
            ]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show, articles)

    def show(self, articles: list[dict[str, Any]]) -> None:
        options = self.query_one("#kb-list", OptionList)
        options.clear_options()
        for article in articles:
            label = Text()
            label.append(f"#{article['id']:<5} ", style="dim")
            label.append(
                f"{article['status']:<9} ",
                style="green" if article["status"] == "published" else "yellow",
            )
            label.append(f"{article['language']:<3} ", style="dim")
            label.append_text(plain(article["title"], one_line=True))
            options.add_option(Option(label, id=str(article["id"])))
        if not articles:
            options.add_option(Option(Text(_("no articles"), style="dim"), disabled=True))
        else:
            options.highlighted = 0

    @on(Input.Changed, "#kb-search")
    def searched(self, event: Input.Changed) -> None:
        self.load(event.value)

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#kb-search").focus()

    def action_open(self) -> None:
        """Read the highlighted article."""
        if self.focused is not None and self.focused.id == "kb-search":
            self.query_one("#kb-list").focus()
            return
        options = self.query_one("#kb-list", OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id:
            self.app.push_screen(KbArticleScreen(int(option.id), ticket_id=self.ticket_id))

    @on(OptionList.OptionSelected, "#kb-list")
    def selected(self) -> None:
        self.action_open()

    def action_new(self) -> None:
        """Write a new article."""
        self.app.push_screen(KbEditScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`back` exists only on a knowledge search pushed on another screen."""
        if action == "back":
            return self.is_pushed
        return True

    def action_back(self) -> None:
        """Back to the ticket the search was opened from."""
        if self.is_pushed:
            self.app.pop_screen()


class KbArticleScreen(DeskScreen[None]):
    """One article, rendered; votes, publishing, editing and linking as a solution."""

    NAMESPACE = "article"
    BINDINGS = [
        Binding("e", "edit", _("Edit"), id="article.edit"),
        Binding("plus,equals_sign", "vote(True)", _("Helpful"), id="article.helpful"),
        Binding("minus", "vote(False)", _("Not helpful"), id="article.not_helpful"),
        Binding("l", "link", _("Solution for ticket"), id="article.link"),
        Binding("p", "publish", _("Publish"), show=False, id="article.publish"),
        Binding("r", "retire", _("Retire"), show=False, id="article.retire"),
        Binding("escape,backspace,q", "back", _("Back"), id="article.back"),
    ]

    def __init__(self, article_id: int, *, ticket_id: int | None = None) -> None:
        super().__init__()
        self.article_id = article_id
        self.ticket_id = ticket_id
        self.article: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader(self.helpdesk.agent_name)
        yield Static(id="article-title")
        with VerticalScroll(id="article-body"):
            yield Markdown(id="article-md", open_links=False)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.load()

    def on_data_changed(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="kb-article", exit_on_error=False)
    def load(self) -> None:
        article = self.desk.article(self.article_id)
        self.app.call_from_thread(self.show, article)

    def show(self, article: dict[str, Any]) -> None:
        self.article = article
        title = Text()
        title.append(f"#{article['id']} ", style="bold")
        title.append_text(plain(article["title"], "bold", one_line=True))
        title.append(
            f"\n{article['status']} · {article['language']} · {article['category']} · "
            f"{article['visibility']} · 👍 {article['helpful']} 👎 {article['not_helpful']} · "
            + _("used")
            + f" {article['uses']}",
            style="dim",
        )
        self.query_one("#article-title", Static).update(title)
        self.query_one("#article-md", Markdown).update(safe_markdown(article["body"]))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "link":
            return self.ticket_id is not None and bool(
                self.article and self.article["status"] == "published"
            )
        if action == "publish":
            return bool(self.article and self.article["status"] == "draft") or None
        return True

    def _change(self, message: str, work_fn: Any) -> None:
        self._run_change(message, work_fn)

    @work(thread=True, exit_on_error=False, group="kb-change")
    def _run_change(self, message: str, work_fn: Any) -> None:
        work_fn()
        self.app.call_from_thread(self.notify, message, timeout=3)
        self.app.call_from_thread(self.load)

    def action_vote(self, helpful: bool) -> None:
        """Mark the article helpful or not helpful."""
        self._change(_("Thanks for the feedback"), lambda: self.desk.vote(self.article_id, helpful))

    def action_publish(self) -> None:
        """Publish the draft (needs kb.publish)."""
        self._change(_("Published"), lambda: self.desk.article_status(self.article_id, "published"))

    def action_retire(self) -> None:
        """Retire the article."""
        self._change(_("Retired"), lambda: self.desk.article_status(self.article_id, "retired"))

    def action_link(self) -> None:
        """Record this article as the solution of the ticket it was opened from."""
        if self.ticket_id is not None:
            ticket_id = self.ticket_id
            self._change(
                _("Linked as the solution of") + f" #{ticket_id}",
                lambda: self.desk.link_solution(ticket_id, self.article_id),
            )

    def action_edit(self) -> None:
        """Edit the article."""
        if self.article is not None:
            self.app.push_screen(KbEditScreen(article=self.article))

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()


class KbEditScreen(DeskScreen[None]):
    """Write or edit an article: fields, a Markdown TextArea and a live preview (ctrl+t)."""

    NAMESPACE = "editor"
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="editor.save", priority=True),
        Binding("ctrl+t", "preview", _("Preview"), id="editor.preview", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="editor.cancel"),
    ]

    def __init__(
        self,
        *,
        article: dict[str, Any] | None = None,
        draft: ArticleDraft | None = None,
        source_ticket_id: int | None = None,
    ) -> None:
        super().__init__()
        self.article = article
        self.source_ticket_id = source_ticket_id
        if article is not None:
            draft = ArticleDraft(
                article["title"],
                article["body"],
                article["category"],
                article["tags"],
                article["language"],
                article["visibility"],
            )
        self.draft = draft or ArticleDraft("", "", "other", [])
        #: The article as the fields showed it on opening (to tell what was typed since).
        self.initial: ArticleDraft | None = None

    def compose(self) -> ComposeResult:
        d = self.draft
        yield DeskHeader(self.helpdesk.agent_name)
        with Horizontal(classes="field"):
            yield Label(_("Title"))
            yield Input(d.title, id="kb-title", compact=True)
        with Horizontal(classes="field"):
            yield Label(_("Category"))
            categories = self.desk.categories()
            yield TypingSelect(
                [(c, c) for c in categories],
                value=d.category if d.category in categories else categories[0],
                allow_blank=False,
                id="kb-category",
                compact=True,
            )
            yield Label(_("Language"), classes="second")
            yield Input(d.language, id="kb-language", compact=True)
        with Horizontal(classes="field"):
            yield Label(_("Tags"))
            yield Input(", ".join(d.tags), id="kb-tags", compact=True)
            yield Label(_("Visible"), classes="second")
            yield TypingSelect(
                [(v, v) for v in VISIBILITIES],
                value=d.visibility,
                allow_blank=False,
                id="kb-visibility",
                compact=True,
            )
        with ContentSwitcher(initial="kb-editor", id="kb-switcher"):
            yield TextArea(d.body, id="kb-editor", language="markdown", soft_wrap=True)
            with VerticalScroll(id="kb-preview"):
                yield Markdown(id="kb-preview-md", open_links=False)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.helpdesk.paint_header(self.query_one(DeskHeader))
        self.query_one("#kb-title").focus()
        self.initial = self.current()

    def current(self) -> ArticleDraft:
        """The article as currently typed."""
        return ArticleDraft(
            title=self.query_one("#kb-title", Input).value,
            body=self.query_one("#kb-editor", TextArea).text,
            category=str(self.query_one("#kb-category", Select).value),
            tags=[
                t.strip() for t in self.query_one("#kb-tags", Input).value.split(",") if t.strip()
            ],
            language=self.query_one("#kb-language", Input).value.strip() or "en",
            visibility=str(self.query_one("#kb-visibility", Select).value),
        )

    def action_preview(self) -> None:
        """Switch between the editor and the rendered preview."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "kb-editor":
            self.query_one("#kb-preview-md", Markdown).update(safe_markdown(self.current().body))
            switcher.current = "kb-preview"
        else:
            switcher.current = "kb-editor"

    def action_save(self) -> None:
        """Save (a new article is a draft until someone publishes it)."""
        self.save(self.current())

    @work(thread=True, exclusive=True, group="kb-save", exit_on_error=False)
    def save(self, draft: ArticleDraft) -> None:
        article_id = self.desk.save_article(
            draft,
            article_id=self.article["id"] if self.article else None,
            expected_version=self.article["version"] if self.article else None,
            source_ticket_id=self.source_ticket_id,
        )
        self.app.call_from_thread(self.saved, article_id)

    def saved(self, article_id: int) -> None:
        self.notify(_("Article") + f" #{article_id} " + _("saved"), timeout=3)
        self.app.pop_screen()
        self.helpdesk.data_changed()

    def unsaved(self) -> str | None:
        """What leaving would lose: the article as typed, if it differs from what was loaded."""
        if self.initial is None:
            return None  # not on screen yet: nothing typed
        current = self.current()
        if current == self.initial:
            return None
        return _("Article") + ": " + (current.title.strip() or _("(untitled)"))

    def action_cancel(self) -> None:
        """Leave without saving (asks first if anything was typed)."""
        self.leave()
