"""The app opened on a launch frame: the first page shows before the desk has loaded.

`helpdesk` reads the first page without the ORM (services/opening.py) and builds the
desk in the background; these tests hold the loader back to look at the screen in
between, then let it go and check the services take over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.errors import UsageError
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.services import rbac
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.services.opening import Opening, open_queue
from helpdesk_tui.services.tickets import NewTicket
from helpdesk_tui.store.engine import Store
from helpdesk_tui.widgets.queue_table import QueueTable
from tests.tui.conftest import NOW
from tests.tui.helpers import row_ids, screen_text, settle


def _opening(store: Store) -> Opening:
    url = store.engine.url.render_as_string(hide_password=False)
    opening = open_queue(url, rbac.os_login(), limit=60, now=NOW)
    assert opening is not None
    return opening


def _gated_loader(
    store: Store,
) -> tuple[Callable[[], DeskService], threading.Event, list[DeskService]]:
    gate, made = threading.Event(), []

    def load() -> DeskService:
        assert gate.wait(30), "the test never opened the gate"
        desk = DeskService(store, rbac.os_login(), clock=lambda: NOW)
        made.append(desk)
        return desk

    return load, gate, made


async def test_first_page_shows_before_the_desk_loads_then_the_desk_takes_over(
    seeded: Store,
) -> None:
    opening = _opening(seeded)
    load, gate, made = _gated_loader(seeded)
    app = HelpdeskApp(opening=opening, load_desk=load, poll_seconds=0, header_seconds=0)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, QueueScreen)
            text = screen_text(pilot)
            assert "Ada Agent" in text and "Printer on 3rd floor" in text
            assert "of …" in text  # not counted yet: counting is the services' job
            assert row_ids(pilot) == [row.id for row in opening.page.rows]
            assert not made
            # Meanwhile a ticket lands: the desk's first answer must show it.
            admin = DeskService(seeded, rbac.os_login(), clock=lambda: NOW)
            new = admin.create_ticket(
                NewTicket(title="Arrived while loading", priority="critical", priority_reason="VIP")
            )
            admin.close()
            await pilot.press("j")  # the cursor moves on the launch frame already
            table = app.screen.query_one(QueueTable)
            under_cursor = table.cursor_key
            gate.set()
            await pilot.pause(0.2)
            for _ in range(50):
                await settle(pilot)
                if "of …" not in screen_text(pilot):
                    break
                await pilot.pause(0.1)
            text = screen_text(pilot)
            assert "Arrived while loading" in text and "of …" not in text
            assert new in row_ids(pilot)
            assert table.cursor_key == under_cursor  # the reload kept the agent's place
            assert app.opening is None and made
    finally:
        app.close_desk()


async def test_a_key_that_needs_the_desk_early_waits_for_it(seeded: Store) -> None:
    # The loader has not even started (it starts after the first frame is drawn);
    # asking for the desk on the UI thread starts it and waits: no deadlock.
    opening = _opening(seeded)
    made: list[DeskService] = []

    def load() -> DeskService:
        made.append(DeskService(seeded, rbac.os_login(), clock=lambda: NOW))
        return made[-1]

    app = HelpdeskApp(opening=opening, load_desk=load, poll_seconds=0, header_seconds=0)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.desk is made[0]
            await pilot.press("f")  # the filter menu reads the categories from the desk
            await settle(pilot)
            assert "any category" in screen_text(pilot)
    finally:
        app.close_desk()


async def test_a_desk_that_cannot_load_closes_the_app_with_the_error(seeded: Store) -> None:
    def load() -> DeskService:
        raise UsageError("config.toml: [closure] days must be a number")

    app = HelpdeskApp(opening=_opening(seeded), load_desk=load, poll_seconds=0, header_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            if app.return_code is not None:
                break
            await pilot.pause(0.05)
    app.close_desk()
    assert app.return_code == 1
    assert isinstance(app.load_error, UsageError)
    with pytest.raises(UsageError):
        _ = app.desk


def test_the_opening_presence_is_the_apps_until_the_desk_says_otherwise(
    seeded: Store, tmp_path: Path
) -> None:
    opening = replace(_opening(seeded), presence="away")
    app = HelpdeskApp(opening=opening, load_desk=lambda: None)  # type: ignore[arg-type,return-value]
    assert app.presence == "away" and app.agent_name == "Ada Agent"


def test_an_app_needs_a_desk_or_a_loader() -> None:
    with pytest.raises(ValueError, match="desk"):
        HelpdeskApp()


async def test_quitting_while_the_desk_loads_waits_for_it_and_closes_it(seeded: Store) -> None:
    gate, closed = threading.Event(), []

    def load() -> DeskService:
        assert gate.wait(30)
        desk = DeskService(seeded, rbac.os_login(), clock=lambda: NOW)
        original = desk.close

        def close() -> None:
            closed.append(desk)
            original()

        desk.close = close  # type: ignore[method-assign]
        return desk

    app = HelpdeskApp(opening=_opening(seeded), load_desk=load, poll_seconds=0, header_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.start_loading_desk()
        await pilot.press("ctrl+q")
    # The loader finishes after the app has gone: telling the app must not block it.
    threading.Timer(0.2, gate.set).start()
    closer = threading.Thread(target=app.close_desk)
    closer.start()
    closer.join(10)
    assert not closer.is_alive(), "close_desk hung on a loader that outlived the app"
    assert app.load_error is None and len(closed) == 1
