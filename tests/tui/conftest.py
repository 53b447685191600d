"""A seeded desk and an app factory for Pilot and snapshot tests (frozen clock)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.services import rbac, workflow
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.services.setup import initialise_desk
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.engine import Store
from tests.conftest import MONDAY_10

#: The frozen "now" of every TUI test: snapshots must not move with the wall clock.
NOW = MONDAY_10

HOSTILE = (
    "pwn\x1b]52;c;ZXZpbA==\x07 \x1b]0;TITLE\x07\x1b[2J\x9b31m \u202eevil "
    "[@click=app.quit]x[/] [link=http://x]y[/link] ["
)

TICKETS = [
    ("VPN won't connect from home", "error 809 since this morning", "email", "one_user"),
    ("Printer on 3rd floor offline", "nobody can print", "phone", "team"),
    ("Outlook not syncing", "inbox stuck since Friday", "email", "one_user"),
    ("Forgot my password and locked out", "", "phone", "one_user"),
    ("Whole office has no internet", "all users at site B", "phone", "site"),
    ("Laptop won't turn on after update", "", "walk_in", "one_user"),
    ("Need access to the finance shared folder", "manager approved", "portal", "one_user"),
    ("Clicked a link in a phishing mail", "entered my password", "phone", "one_user"),
]


@pytest.fixture(autouse=True)
def _utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times shown in local time: make local time UTC so snapshots match everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def seed(store: Store, *, extra: int = 0, hostile: bool = True) -> None:
    """A small desk with named tickets, one requester and a second agent."""
    initialise_desk(store, rbac.os_login(), "Ada Agent", timezone="Europe/Berlin")
    with store.read() as s:
        admin = rbac.resolve_actor(s, rbac.os_login())
    store.run_write(
        lambda s: rbac.add_agent(
            s, admin, "bob", "Bob Engineer", roles=("engineer",), groups=("L2 Network",)
        )
    )
    rules = RuleSet.default()
    rows = list(TICKETS)
    rows += [(f"Routine request number {i}", "please", "email", "one_user") for i in range(extra)]
    if hostile:
        rows.append((HOSTILE, HOSTILE, "email", "one_user"))
    for n, (title, body, channel, scope) in enumerate(rows):
        data = NewTicket(
            title=title,
            body=body,
            channel=channel,
            impact_scope=scope,
            requester="Jane Roe" if n % 2 == 0 else "john.smith@example.com",
        )
        at = NOW - timedelta(minutes=30 * (len(rows) - n))
        store.run_write(lambda s, d=data, t=at: create_ticket(s, admin, d, rules=rules, now=t))


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'tui.db'}")
    seed(store)
    yield store
    store.dispose()


AppFactory = Callable[..., HelpdeskApp]


@pytest.fixture
def make_app(seeded: Store) -> Iterator[AppFactory]:
    """Build the app the way the CLI does, with a frozen clock and no background polling."""
    desks: list[DeskService] = []

    def factory(**kwargs: object) -> HelpdeskApp:
        desk = DeskService(seeded, rbac.os_login(), clock=lambda: NOW)
        desks.append(desk)
        options = {"poll_seconds": 0, "header_seconds": 0} | kwargs
        return HelpdeskApp(desk, **options)  # type: ignore[arg-type]

    yield factory
    for desk in desks:
        desk.close()


def bob(store: Store) -> Actor:
    with store.read() as s:
        return rbac.resolve_actor(s, "bob")


def other_agent_changes(store: Store, ticket_id: int, **changes: object) -> None:
    """Simulate another agent editing the ticket from another terminal."""
    actor = bob(store)
    store.run_write(
        lambda s: workflow.update_ticket(s, actor, ticket_id, dict(changes), reason="other agent")
    )


os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
