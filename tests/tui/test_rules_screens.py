"""Pilot tests at 80x24: the TUI asks the services' rules (issue 10, "the same rules").

The Unassigned view listed tickets escalated to L2/L3 and `t` accepted them for a
first-line agent. Now the view holds first-line work and `t` by a non-member is refused
with a visible reason, in the queue and on the ticket, before any dialog opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.modals import ChoiceModal, TextModal
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.services import rbac
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.store.engine import Store
from tests.tui.conftest import NOW
from tests.tui.helpers import log_entries, row_ids, screen_text, settle, ticket
from tests.tui.test_escalation_screens import admin, escalate_to_l2

L2 = (1, 5)  # the seeded tickets escalated to L2 Network


@pytest.fixture
def app_for(seeded: Store) -> Iterator[Any]:
    """The app of `login` (lena: first line; bob: L2 Network) with tickets 1 and 5 at L2."""
    actor = admin(seeded)
    seeded.run_write(
        lambda s: rbac.add_agent(
            s, actor, "lena", "Lena Hotline", roles=("agent",), groups=("Service Desk",)
        )
    )
    escalate_to_l2(seeded, *L2)
    desks: list[DeskService] = []

    def factory(login: str) -> HelpdeskApp:
        desk = DeskService(seeded, login, clock=lambda: NOW)
        desks.append(desk)
        return HelpdeskApp(desk, poll_seconds=0, header_seconds=0)

    yield factory
    for desk in desks:
        desk.close()


def notices(app: HelpdeskApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_unassigned_view_is_first_line_work(app_for: Any) -> None:
    app = app_for("lena")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # Unassigned
        await settle(pilot)
        shown = row_ids(pilot)
        assert shown and not set(L2) & set(shown)
        await pilot.press("4")  # Escalated: still in sight, where they belong
        await settle(pilot)
        assert set(row_ids(pilot)) == set(L2)


async def test_t_on_an_escalated_ticket_by_a_non_member_is_refused(
    app_for: Any, seeded: Store
) -> None:
    app = app_for("lena")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        first = row_ids(pilot)[0]
        await pilot.press("t")  # in the queue: the service refuses, the app says why
        await settle(pilot)
        reason = f"ticket #{first} is with L2 Network; only its members or a supervisor"
        assert any(reason in n for n in notices(app))
        assert f"ticket #{first} is with L2 Network; only" in screen_text(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        app.clear_notifications()
        await pilot.press("t")  # on the ticket: refused before anything is tried
        await settle(pilot)
        assert any(reason in n for n in notices(app))
        assert f"ticket #{first} is with L2 Network; only" in screen_text(pilot)
        await pilot.press("s")  # resolving is refused too, before the dialog opens
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert any("may resolve it" in n for n in notices(app))
    t = ticket(seeded, first)
    assert t.assignee_id is None and t.ola_accepted_at is None and t.status == "escalated"
    assert not any("accepted by" in text for _, text, _ in log_entries(seeded, first))


async def test_a_member_of_the_group_accepts_with_t(app_for: Any, seeded: Store) -> None:
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert not set(L2) & set(row_ids(pilot))  # first-line work only, for bob too
        await pilot.press("3")  # his group
        await settle(pilot)
        first = row_ids(pilot)[0]
        assert first in L2
        await pilot.press("t")
        await settle(pilot)
    t = ticket(seeded, first)
    assert t.assignee_id is not None and t.ola_accepted_at is not None
    assert log_entries(seeded, first)[-1][1] == "accepted by bob"


async def test_category_override_asks_why_against_the_stored_suggestion(
    app_for: Any, seeded: Store
) -> None:
    app = app_for("lena")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket(2)
        await settle(pilot)
        suggested = ticket(seeded, 2).suggested_category
        assert suggested is not None
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        other = next(v for v, _ in modal.options if v != suggested)
        modal.query_one("OptionList").highlighted = [v for v, _ in modal.options].index(other)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)  # the override asks why, as the service will
        await pilot.press(*"the caller means the printer", "enter")
        await settle(pilot)
    assert ticket(seeded, 2).category == other
    assert log_entries(seeded, 2)[-1][1].endswith("reason: the caller means the printer")
