"""Pilot tests of the "Callbacks due" screen and its record dialog (issue 6 part 5)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col
from textual.pilot import Pilot

from helpdesk_tui.screens.callback_record import RecordCallbackModal
from helpdesk_tui.screens.callbacks import CallbacksScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.services import rbac, surveys
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Requester, Ticket
from helpdesk_tui.store.models.surveys import ImprovementItem, Survey
from tests.tui.conftest import HOSTILE, NOW, AppFactory
from tests.tui.helpers import screen_text, settle

#: Seeded tickets closed for the callbacks: id -> hours before NOW. With a 24 h delay,
#: 1 and 9 are overdue and 2 falls due later today.
CLOSED = {1: 48, 9: 25, 2: 20}


def prepare_callbacks(store: Store) -> None:
    """A 100% plan with a day's delay, three closed tickets, and Jane's phone number."""
    with store.read() as s:
        admin = rbac.resolve_actor(s, rbac.os_login())

    def work(session: Any) -> None:
        session.execute(
            sa.update(Requester)
            .where(col(Requester.name) == "Jane Roe")
            .values(phone="+49 30 1234567")
        )
        for ticket_id, hours in CLOSED.items():
            at = NOW - timedelta(hours=hours)
            session.execute(
                sa.update(Ticket)
                .where(col(Ticket.id) == ticket_id)
                .values(status="closed", resolved_at=at, closed_at=at)
            )
        surveys.add_plan(
            session,
            admin,
            "standard",
            rate=1.0,
            delay_hours=24,
            since=NOW - timedelta(days=7),
            now=NOW - timedelta(days=7),
        )

    store.run_write(work)


@pytest.fixture
def with_callbacks(seeded: Store) -> Store:
    prepare_callbacks(seeded)
    return seeded


async def open_callbacks(pilot: Pilot[Any]) -> CallbacksScreen:
    await settle(pilot)
    screen = CallbacksScreen()
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def stored(store: Store) -> dict[int, Survey]:
    with store.read() as s:
        return {x.ticket_id: x for x in s.scalars(sa.select(Survey))}


async def test_list_schedules_and_shows_whom_to_call(
    make_app: AppFactory, with_callbacks: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_callbacks(pilot)
        # Opening the screen planned the callbacks for the closed tickets.
        assert set(stored(with_callbacks)) == set(CLOSED)
        assert [r.ticket_id for r in screen.rows] == [1, 9, 2]  # oldest due first
        text = screen_text(pilot)
        assert "Callbacks due today" in text and "3 to call · 2 overdue" in text
        assert "Jane Roe" in text and "+49 30 1234567" in text
        assert "VPN won't connect from home" in text
        # The hostile title is shown as visible, inert text.
        assert "\x1b" not in text and "pwn\u241b]52" in text


async def test_record_a_callback_with_scores(make_app: AppFactory, with_callbacks: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_callbacks(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordCallbackModal)
        # consent on, four scores with digit keys (each moves on), a comment, save
        await pilot.press("space", "tab", "4", "5", "2", "4", *"slow to answer", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        survey = stored(with_callbacks)[1]
        assert survey.status == "done" and survey.consent and survey.consent_at == NOW
        assert survey.comment == "slow to answer"
        assert json.loads(survey.answers) == {
            "response_time": 4,
            "problem_solving": 5,
            "communication": 2,
            "overall": 4,
        }
        with with_callbacks.read() as s:
            items = list(s.scalars(sa.select(ImprovementItem)))
        assert len(items) == 1 and "communication" in items[0].text
        assert [r.ticket_id for r in screen.rows] == [9, 2]
        messages = [n.message for n in app._notifications]
        assert any("improvement item opened" in m for m in messages)


async def test_declined_call(make_app: AppFactory, with_callbacks: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_callbacks(pilot)
        await pilot.press("enter")
        await settle(pilot)
        # consent -> 4 scores -> comment -> outcome; open it, pick "declined"
        await pilot.press(*["tab"] * 6, "enter", "down", "enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, RecordCallbackModal) and modal.outcome() == "declined"
        assert modal.query_one("#consent").disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        survey = stored(with_callbacks)[1]
        assert survey.status == "declined" and not survey.consent and survey.answers == "{}"


async def test_done_without_consent_keeps_the_dialog_open(
    make_app: AppFactory, with_callbacks: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_callbacks(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("tab", "3", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordCallbackModal)
        assert "consent" in screen_text(pilot)
        assert stored(with_callbacks)[1].status == "due"
        await pilot.press("escape")  # a score was given: asks before throwing it away
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, CallbacksScreen)


async def test_someone_else_recorded_it_meanwhile(
    make_app: AppFactory, with_callbacks: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_callbacks(pilot)
        await pilot.press("enter")
        await settle(pilot)
        survey_id = stored(with_callbacks)[1].id or 0
        with with_callbacks.read() as s:
            admin = rbac.resolve_actor(s, rbac.os_login())
        with_callbacks.run_write(
            lambda s: surveys.record_survey(s, admin, survey_id, "unreachable", False, now=NOW)
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordCallbackModal)
        assert "already recorded" in screen_text(pilot)


async def test_open_ticket_and_empty_list(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_callbacks(pilot)
        assert screen.rows == [] and "no callbacks due today" in screen_text(pilot)
        await pilot.press("enter", "o")  # nothing to record or open: no crash
        await settle(pilot)
        assert app.screen is screen
    prepare_callbacks(seeded)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_callbacks(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 1


def test_hostile_title_is_in_the_seed() -> None:
    assert "\x1b" in HOSTILE  # the seeded ticket 9 carries it onto the callbacks list


async def test_the_contact_to_call_is_shown_whole_at_80_columns(
    make_app: AppFactory, with_callbacks: Store
) -> None:
    """Issue 10.7: the phone number (or address) is what the agent needs to make the call."""
    from tests.tui.fit import screen_lines

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_callbacks(pilot)
        assert len(screen.rows) == 3
        shown = "\n".join(screen_lines(pilot))
        assert shown.count("+49 30 1234567") == 2  # Jane's two callbacks, by phone
        assert "john.smith@example.com" in shown  # no phone: the address, whole
        assert "+4…" not in shown and "@exam…" not in shown
