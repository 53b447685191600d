"""Pilot tests of the queue screen: views, paging, search, keys, live updates, safety."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from textual.widgets import Input

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.help import HelpScreen, TooSmallScreen
from helpdesk_tui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.services import rbac
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.services.queue_types import QueueQuery
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.engine import Store
from helpdesk_tui.widgets.queue_table import QueueTable
from tests.tui.conftest import NOW, AppFactory, bob, seed
from tests.tui.helpers import row_ids, screen_text, settle, ticket


async def test_queue_opens_sla_due_first(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ids = row_ids(pilot)
        assert len(ids) == 9
        dues = [ticket(seeded, i).resolve_due for i in ids]
        assert dues == sorted(dues)  # type: ignore[type-var]
        text = screen_text(pilot)
        assert "1–9 of 9" in text and "SLA due first" in text
        assert "Open 9" in text


async def test_views_and_take(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = row_ids(pilot)[0]
        await pilot.press("t")
        await settle(pilot)
        assert ticket(seeded, first).assignee_id is not None
        await pilot.press("1")  # mine
        await settle(pilot)
        assert row_ids(pilot) == [first]
        await pilot.press("2")  # unassigned
        await settle(pilot)
        assert first not in row_ids(pilot) and len(row_ids(pilot)) == 8
        await pilot.press("7")  # recently closed
        await settle(pilot)
        assert row_ids(pilot) == []
        assert "no tickets" in screen_text(pilot)


async def test_taken_by_someone_else_is_a_warning_not_a_crash(
    make_app: AppFactory, seeded: Store
) -> None:
    from helpdesk_tui.services import workflow

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = row_ids(pilot)[0]
        other = bob(seeded)
        seeded.run_write(lambda s: workflow.take_ticket(s, other, first))
        await pilot.press("t")
        await settle(pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("already taken by bob" in m for m in messages)


async def test_paging_moves_across_the_whole_result(tmp_path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app = make_app(page_size=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first_page = row_ids(pilot)
        assert len(first_page) == 4
        for _ in range(3):
            await pilot.press("j")
        await pilot.press("j")  # past the edge: next page
        await settle(pilot)
        second = row_ids(pilot)
        assert len(second) == 4 and not set(second) & set(first_page)
        assert "5–8 of 9" in screen_text(pilot)
        await pilot.press("k")  # back over the top edge
        await settle(pilot)
        assert row_ids(pilot) == first_page
        await pilot.press("end")
        await settle(pilot)
        assert "6–9 of 9" in screen_text(pilot)
        assert pilot.app.screen.query_one("QueueTable").cursor_row == 3
        await pilot.press("home")
        await settle(pilot)
        assert row_ids(pilot) == first_page
        await pilot.press("pagedown", "pagedown", "pagedown")
        await settle(pilot)
        assert row_ids(pilot) != first_page


async def test_search_as_you_type(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"printe")
        await settle(pilot)
        texts = screen_text(pilot)
        assert len(row_ids(pilot)) == 1 and "Printer" in texts
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert len(row_ids(pilot)) == 9


async def test_slash_in_the_search_box_is_text(make_app: AppFactory) -> None:
    """'/' and 'n' are priority keys (search, intake); inside the box they are text."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"a", "slash", *"n", "b")
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == "a/nb"
        assert isinstance(app.screen, QueueScreen)


async def test_filter_by_category(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        # the list starts with "any category/priority/status", then categories
        await pilot.press(*"jjj")  # hardware: the first category
        await pilot.press("down", "down", "down")
        options = app.screen.query_one("OptionList")
        label = str(options.get_option_at_index(options.highlighted).prompt)  # type: ignore[arg-type]
        assert label.startswith("category: ")
        await pilot.press("enter")
        await settle(pilot)
        assert "category=" in screen_text(pilot)


async def test_enter_opens_ticket_and_escape_returns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == row_ids_after_back(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TicketScreen)


def row_ids_after_back(app) -> int:  # type: ignore[no-untyped-def]
    return int(app.screen.detail["id"]) if app.screen.detail else -1


async def test_live_update_from_another_agent(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.poll_changes()  # primes the watcher
        await settle(pilot)
        other = bob(seeded)
        seeded.run_write(
            lambda s: create_ticket(
                s,
                other,
                NewTicket(title="Server room is flooding"),
                rules=RuleSet.default(),
                now=NOW,
            )
        )
        app.poll_changes()  # what the 1.5 s timer does
        await settle(pilot)
        assert len(row_ids(pilot)) == 10
        assert "Server room is" in screen_text(pilot)


async def test_presence_toggle_is_stored(make_app: AppFactory, seeded: Store) -> None:
    from helpdesk_tui.services.desk import DeskService
    from helpdesk_tui.services.rbac import os_login

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "busy" in screen_text(pilot)
    other_view = DeskService(seeded, "bob")
    assert dict(other_view.team_presence())[os_login()] == "busy"


async def test_help_lists_every_key(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 70)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(pilot)
        for key_id in (
            "queue.new",
            "queue.search",
            "queue.take",
            "queue.view",
            "app.quit",
            "queue.down",
        ):
            assert key_id in text


async def test_palette_has_namespaced_commands(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "queue: take" in titles and "queue: new" in titles and "app: quit" in titles
        await pilot.press("enter")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"ticket: take", "ticket: resolve", "ticket: escalate", "ticket: priority"} <= set(
            titles
        )


async def test_keys_can_be_remapped_by_id(make_app: AppFactory) -> None:
    app = make_app(keymap={"queue.new": "a"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)


async def test_too_small_terminal(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(70, 20)
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        assert "too small" in screen_text(pilot)
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert not isinstance(app.screen, TooSmallScreen)


async def test_hostile_ticket_is_harmless_text(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        text = screen_text(pilot)
        assert "pwn␛]52;c;ZXZpbA==␇" in text
        assert "[@click=app.quit]x[/]" in text
        assert "<U+202E>" in text
        hostile_id = max(row_ids(pilot))
        # put the cursor on it and open it: nothing triggers, the app keeps running
        await pilot.click("QueueTable", offset=(60, 1 + row_ids(pilot).index(hostile_id)))
        await settle(pilot)
        assert app.is_running
        app.open_ticket(hostile_id)
        await settle(pilot)
        text = screen_text(pilot)
        assert "[link=http://x]y[/link]" in text and "␛[2J" in text
        assert app.is_running


async def test_click_moves_the_cursor_and_a_second_click_opens(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        await pilot.click(QueueTable, offset=(30, 3))  # line 0 is the header
        assert table.cursor_row == 2
        assert isinstance(app.screen, QueueScreen)
        await pilot.click(QueueTable, offset=(30, 3))
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.detail is not None
        assert str(app.screen.detail["id"]) == table.row_keys[2]


async def test_cursor_stays_on_screen_past_the_last_visible_row(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'long.db'}")
    seed(store, extra=40, hostile=False)
    desk = DeskService(store, rbac.os_login(), clock=lambda: NOW)
    app = HelpdeskApp(desk, poll_seconds=0, header_seconds=0)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            table = app.screen.query_one(QueueTable)
            assert table.row_count > table.visible_rows  # one page, longer than the screen
            await pilot.press("pagedown")
            assert table.cursor_row == table.visible_rows
            await pilot.press(*"j" * 3)
            cursor_id = table.cursor_key
            assert cursor_id is not None
            ids_on_screen = re.findall(r"^\s*(\d+)\s+P\d", screen_text(pilot), re.MULTILINE)
            assert cursor_id in ids_on_screen
            await pilot.press("pageup", "pageup")
            assert table.cursor_row == 0
            top = re.findall(r"^\s*(\d+)\s+P\d", screen_text(pilot), re.MULTILINE)
            assert top[0] == table.row_keys[0] and cursor_id not in top
    finally:
        desk.close()
        store.dispose()


def test_sla_column_fits_clocks_overdue_by_weeks() -> None:
    from helpdesk_tui.services.sla import format_duration
    from helpdesk_tui.widgets.queue_table import COLUMNS

    width = next(w for key, _label, w in COLUMNS if key == "sla")
    assert width is not None
    for seconds in (-99 * 86400 - 23 * 3600, -51 * 86400 - 13 * 3600, 9 * 3600 + 59 * 60):
        assert len(format_duration(seconds)) <= width, format_duration(seconds)


class _SlowCounts(DeskService):
    """Counts of the Open view wait for the test: a million rows take a while."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, rbac.os_login(), clock=lambda: NOW)
        self.gate = threading.Event()
        self.counted: list[QueueQuery] = []

    def queue_count(self, query: QueueQuery) -> int:
        self.counted.append(query)
        if query == QueueQuery(view="open"):
            self.gate.wait(10)
        return super().queue_count(query)


async def test_keys_pressed_while_the_result_is_counted_do_not_count_it_again(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'long.db'}")
    seed(store, extra=30, hostile=False)
    desk = _SlowCounts(store)
    app = HelpdeskApp(desk, poll_seconds=0, header_seconds=0, page_size=5)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            for key in ("end", "home", "end", "home"):  # each fetches a page, none counts
                await pilot.press(key)
                await pilot.pause(0.05)
            assert "of …" in screen_text(pilot)
            desk.gate.set()
            await settle(pilot)
            assert "1–5 of 38" in screen_text(pilot)
            # One count for the queue, one for the view tabs: not one per key.
            assert desk.counted.count(QueueQuery(view="open")) == 2
            app.screen.query_one(QueueTable)  # still there, still usable
            await pilot.press("end")
            await settle(pilot)
            assert desk.counted.count(QueueQuery(view="open")) == 2  # the total is known
    finally:
        desk.gate.set()
        desk.close()
        store.dispose()
