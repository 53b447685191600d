"""Pilot tests of SOPs and the knowledge base in the TUI: library, runs, articles."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk_tui.screens.escalation import ResolveModal
from helpdesk_tui.screens.kb import KbArticleScreen, KbEditScreen, KbScreen
from helpdesk_tui.screens.modals import ChoiceModal
from helpdesk_tui.screens.sop_library import SopLibraryScreen
from helpdesk_tui.screens.sop_run import SopRunScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.services import kb
from helpdesk_tui.services.rbac import os_login, resolve_actor
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Interaction, KbArticle
from tests.tui.conftest import AppFactory
from tests.tui.helpers import screen_text, settle, ticket


def publish_article(store: Store, title: str, body: str) -> int:
    with store.read() as s:
        admin = resolve_actor(s, os_login())
    article = store.run_write(
        lambda s: kb.create_article(s, admin, kb.ArticleDraft(title, body, "network", ["vpn"]))
    )
    store.run_write(lambda s: kb.set_status(s, admin, int(article.id or 0), "published"))
    return int(article.id or 0)


async def test_ticket_suggests_the_right_sop_and_runs_it(
    make_app: AppFactory, seeded: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_ticket(1)  # "VPN won't connect from home"
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.matches and screen.matches[0].id == "vpn-cannot-connect"
        assert "VPN will not connect" in screen_text(pilot)
        await pilot.press("u")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal) and modal.selected == "vpn-cannot-connect"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SopRunScreen)
        await pilot.press("space", "down", "space")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")  # resolved is first
        await settle(pilot)
        assert isinstance(app.screen, ResolveModal)  # code preselected: solved_permanent
        await pilot.press(*"reset the VPN profile", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
    solved = ticket(seeded, 1)
    assert solved.status == "resolved" and solved.resolved_by_sop == "vpn-cannot-connect"
    with seeded.read() as s:
        texts = list(s.scalars(sa.select(Interaction.text).where(Interaction.kind == "sop")))
    assert len([t for t in texts if " done: " in t]) == 2
    assert texts[-1].startswith("SOP vpn-cannot-connect finished: resolved (2 steps done)")


async def test_sop_library_browse_and_search(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, SopLibraryScreen)
        assert "HARDWARE" in screen_text(pilot)
        await pilot.press("slash", *"the printer says offline")
        await settle(pilot)
        options = app.screen.query_one("#sop-list")
        first = options.get_option_at_index(options.highlighted)  # type: ignore[attr-defined]
        assert first.id == "printer-offline"
        assert "Escalate if" in screen_text(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert not isinstance(app.screen, SopLibraryScreen)


async def test_write_publish_and_link_an_article(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, KbEditScreen)
        await pilot.press(*"Fix VPN error 809", "tab", "tab", "tab", "tab", "tab")
        await pilot.press(*"Allow UDP 500 and 4500 on the home router.")
        await pilot.press("ctrl+t")  # preview
        await settle(pilot)
        assert "Allow UDP 500" in screen_text(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        with seeded.read() as s:
            article = s.scalars(sa.select(KbArticle)).one()
        assert article.title == "Fix VPN error 809" and article.status == "draft"
        article_id = int(article.id or 0)
        app.push_screen(KbArticleScreen(article_id))
        await settle(pilot)
        await pilot.press("p", "plus")
        await settle(pilot)
    with seeded.read() as s:
        stored = s.get(KbArticle, article_id)
        assert stored is not None and stored.status == "published" and stored.helpful == 1


async def test_link_article_as_solution_from_the_ticket(
    make_app: AppFactory, seeded: Store
) -> None:
    article_id = publish_article(seeded, "VPN error 809", "Allow UDP 500.")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_ticket(1)
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, KbArticleScreen)
        await pilot.press("l")
        await settle(pilot)
    linked = ticket(seeded, 1)
    assert linked.solution_kb_id == article_id


async def test_article_from_resolved_ticket(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_ticket(3)
        await settle(pilot)
        await pilot.press("a")  # not resolved yet: a clear message
        await settle(pilot)
        assert any("resolved" in n.message for n in app._notifications)
        await pilot.press("s", "enter", "down", "enter", *"rebuilt the OST file", "ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, KbEditScreen)
        assert "rebuilt the OST file" in editor.current().body


async def test_callbacks_mode_is_one_key_away(make_app: AppFactory) -> None:
    from helpdesk_tui.screens.callbacks import CallbacksScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, CallbacksScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert not isinstance(app.screen, CallbacksScreen)
