"""Pilot tests of escalation (review, edit, confirm), L2 work and verified closure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.escalation import SUPERVISOR, EscalationModal, ResolveModal
from helpdesk_tui.screens.modals import ChoiceModal, TextModal
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.services import escalation, rbac
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Agent, SupportGroup
from helpdesk_tui.store.models.escalation import Handoff
from tests.tui.conftest import NOW, AppFactory
from tests.tui.helpers import log_entries, row_ids, screen_text, settle, ticket
from tests.tui.test_ticket_screen import choose, open_ticket


def admin(store: Store) -> Any:
    with store.read() as s:
        return rbac.resolve_actor(s, rbac.os_login())


def escalate_to_l2(store: Store, *ticket_ids: int) -> None:
    """First line (the admin, in Service Desk) escalates to L2 Network, as the seed's now."""
    actor = admin(store)
    for tid in ticket_ids:
        store.run_write(
            lambda s, t=tid: escalation.escalate_ticket(
                s, actor, t, "L2 Network", reason="needs L2", now=NOW
            )
        )


@pytest.fixture
def app_as(seeded: Store) -> Iterator[Any]:
    """Build the app for another agent (bob, the L2 Network engineer)."""
    desks: list[DeskService] = []

    def factory(login: str) -> HelpdeskApp:
        desk = DeskService(seeded, login, clock=lambda: NOW)
        desks.append(desk)
        return HelpdeskApp(desk, poll_seconds=0, header_seconds=0)

    yield factory
    for desk in desks:
        desk.close()


async def test_escalation_dialog_review_edit_and_confirm(
    make_app: AppFactory, seeded: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, 1)
        await pilot.press("e")
        await settle(pilot)
        chooser = app.screen
        assert isinstance(chooser, ChoiceModal)
        assert "SLA default-" in chooser.note and "left" in chooser.note
        assert SUPERVISOR in [value for value, _label in chooser.options]
        assert "Service Desk" not in [value for value, _label in chooser.options]
        await choose(pilot, "L2 Network")
        modal = app.screen
        assert isinstance(modal, EscalationModal)
        package = modal.query_one("#handoff-package", TextArea)
        assert package.text.startswith("HANDOFF #1: VPN won't connect from home")
        assert "none (the desk does not store attachments yet)" in package.text
        await pilot.press("ctrl+s")  # no reason yet: refused, the dialog stays
        await settle(pilot)
        assert app.screen is modal and "Give a reason" in screen_text(pilot)
        await pilot.press(*"error 809 after SOP", "tab")
        await pilot.press(*"URGENT ")  # the agent edits the package
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert "OLA ok" in screen_text(pilot)
    escalated = ticket(seeded, 1)
    assert escalated.status == "escalated" and escalated.assignee_id is None
    with seeded.read() as s:
        handoff = s.scalars(sa.select(Handoff)).one()
        group = s.get(SupportGroup, escalated.group_id)
    assert group is not None and group.name == "L2 Network"
    assert handoff.reason == "error 809 after SOP"
    assert handoff.package.startswith("URGENT HANDOFF #1")
    kinds = [kind for kind, _text, _s in log_entries(seeded, 1)]
    assert kinds[-3:] == ["status", "note", "email"]


async def test_cancelling_the_review_changes_nothing(make_app: AppFactory, seeded: Store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 1)
        await pilot.press("e")
        await settle(pilot)
        await choose(pilot, "L3 Security")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
    assert ticket(seeded, 1).status == "new"


async def test_hierarchical_escalation_from_the_dialog(make_app: AppFactory, seeded: Store) -> None:
    actor = admin(seeded)
    seeded.run_write(lambda s: rbac.add_agent(s, actor, "sue", "Sue Boss", roles=("supervisor",)))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 3)
        await pilot.press("e")
        await settle(pilot)
        await choose(pilot, SUPERVISOR)
        await pilot.press(*"VIP complaint", "ctrl+s")
        await settle(pilot)
    escalated = ticket(seeded, 3)
    with seeded.read() as s:
        boss = s.scalars(sa.select(Agent).where(Agent.login == "sue")).one()
    assert escalated.status == "escalated" and escalated.assignee_id == boss.id


async def test_engineer_accepts_asks_and_hands_back(app_as: Any, seeded: Store) -> None:
    escalate_to_l2(seeded, 1)
    app = app_as("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")  # the group view: L2 Network's tickets
        await settle(pilot)
        assert row_ids(pilot) == [1]
        await open_ticket(pilot, 1)
        await pilot.press("t")  # accept
        await settle(pilot)
        accepted = ticket(seeded, 1)
        assert accepted.status == "escalated" and accepted.ola_accepted_at == NOW
        await pilot.press("m")
        await settle(pilot)
        await choose(pilot, "requester")
        assert isinstance(app.screen, TextModal)
        await pilot.press(*"Which VPN client version?", "ctrl+s")
        await settle(pilot)
        assert ticket(seeded, 1).status == "waiting_customer"
        await pilot.press("i")  # the answer came: back to the group's work
        await settle(pilot)
        assert ticket(seeded, 1).status == "escalated"
        await pilot.press("b")
        await settle(pilot)
        await pilot.press(*"client updated; please confirm with the user", "ctrl+s")
        await settle(pilot)
    back = ticket(seeded, 1)
    with seeded.read() as s:
        group = s.get(SupportGroup, back.group_id)
        first_line = s.scalars(sa.select(Agent).where(Agent.login == rbac.os_login())).one()
    assert group is not None and group.name == "Service Desk"
    assert back.status == "in_progress" and back.assignee_id == first_line.id
    assert back.ola_stopped_at == NOW


async def test_resolve_needs_a_code_then_confirm_closes(
    make_app: AppFactory, seeded: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, 4)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ResolveModal)
        await pilot.press("tab", *"unlocked the account", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ResolveModal)
        assert "Choose a resolution code." in screen_text(pilot)
        await pilot.press("shift+tab", "enter", "down", "down", "down", "down", "down", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert "user_error FCR" in screen_text(pilot)
        await pilot.press("x")
        await settle(pilot)
        await choose(pilot, "mail")
    closed = ticket(seeded, 4)
    assert closed.status == "closed" and closed.resolution_code == "user_error"
    assert closed.confirmation_channel == "mail"
