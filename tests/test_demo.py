"""The demo desk: determinism, spread, SLA dues, people, FTS and the `helpdesk demo` command."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.errors import PermissionDenied
from helpdesk_tui.services import rbac
from helpdesk_tui.services.demo import DemoSummary, generate_demo
from helpdesk_tui.services.setup import initialise_desk
from helpdesk_tui.services.sla import SlaBook
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES, OPEN_STATUSES
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Agent, Audit, Interaction, Requester, Ticket
from tests.conftest import MONDAY_10, Desk

TICKET = Ticket.__table__  # type: ignore[attr-defined]


def _demo(store: Store, tickets: int = 2000, seed: int = 7, **kw: Any) -> DemoSummary:
    return generate_demo(store, tickets=tickets, seed=seed, now=MONDAY_10, batch_size=700, **kw)


def _dump(store: Store) -> list[Any]:
    """Everything the demo wrote, without the ids that depend on what existed before."""
    with store.read() as s:
        tickets = s.execute(sa.select(TICKET).order_by(TICKET.c.id)).all()
        log = s.execute(
            sa.select(Interaction.ticket_id, Interaction.kind, Interaction.created_at).order_by(
                Interaction.id
            )
        ).all()
        people = s.execute(sa.select(Requester.email, Requester.vip).order_by(Requester.id)).all()
    return [tuple(t) for t in tickets] + [tuple(r) for r in log] + [tuple(p) for p in people]


@pytest.fixture
def demo_desk(desk: Desk) -> Desk:
    _demo(desk.store, actor=desk.admin)
    return desk


def test_same_seed_same_desk_other_seed_other_desk(demo_desk: Desk, tmp_path: Path) -> None:
    twin = Store(f"sqlite:///{tmp_path / 'twin.db'}")
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        for store in (twin, other):
            initialise_desk(store, rbac.os_login(), "Test Admin", timezone="Europe/Berlin")
        _demo(twin)
        _demo(other, seed=8)
        assert _dump(twin) == _dump(demo_desk.store)
        assert _dump(other) != _dump(demo_desk.store)
    finally:
        twin.dispose()
        other.dispose()


def test_counts_and_spread(demo_desk: Desk) -> None:
    with demo_desk.store.read() as s:
        status = Counter(s.scalars(sa.select(Ticket.status)))
        prio = Counter(s.scalars(sa.select(Ticket.priority)))
        cats = set(s.scalars(sa.select(Ticket.category).distinct()))
        kinds = set(s.scalars(sa.select(Ticket.kind).distinct()))
        entries = sa.select(sa.func.count()).select_from(Interaction)
        per_ticket = Counter(s.scalars(entries.group_by(Interaction.ticket_id)))
        agents = s.scalar(sa.select(sa.func.count()).select_from(Agent))
        vips = s.scalar(sa.select(sa.func.count()).where(Requester.vip))
        roles = Counter(r for a in s.scalars(sa.select(Agent)) for r in rbac.actor_for(s, a).roles)
        audit = s.scalars(sa.select(Audit).where(Audit.action == "demo.generate")).one()
    assert status.total() == 2000
    assert status["closed"] > 0.85 * 2000  # history: most tickets are closed
    assert all(status[s] > 0 for s in OPEN_STATUSES), status  # and a real backlog
    assert status["cancelled"] > 0 and status["resolved"] > 0
    assert prio["medium"] > prio["low"] > prio["high"] > prio["critical"] > 0
    assert prio["critical"] < 0.03 * 2000
    assert cats == set(DEFAULT_CATEGORIES)
    assert kinds == {"incident", "service_request"}
    assert set(per_ticket) <= {1, 2, 3, 4} and sum(per_ticket.values()) == 2000
    assert agents == 26  # 25 demo agents and the admin
    assert roles["supervisor"] == 2 and roles["engineer"] == 11 and roles["agent"] == 12
    assert vips and vips > 0
    assert json.loads(audit.detail)["tickets"] == 2000
    assert audit.actor_id == demo_desk.admin.agent_id


def test_open_tickets_have_the_sla_books_due_times(demo_desk: Desk) -> None:
    with demo_desk.store.read() as s:
        book = SlaBook.load(s)
        rows = s.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
    open_rows = [t for t in rows if t.status in OPEN_STATUSES]
    assert open_rows
    # Every open ticket, and a sample of the history: the bulk path is exact, not approximate.
    for t in open_rows + rows[::50]:
        terms = book.terms(t.priority)
        assert t.sla_policy_id == terms.policy_id
        assert t.response_due == terms.calendar.add(t.created_at, terms.response_s)
        assert t.resolve_due == terms.calendar.add(t.created_at, terms.resolve_s)


def test_timestamps_tell_a_consistent_story(demo_desk: Desk) -> None:
    with demo_desk.store.read() as s:
        rows = s.scalars(sa.select(Ticket)).all()
        first_log = dict(
            s.execute(
                sa.select(Interaction.ticket_id, sa.func.min(Interaction.created_at)).group_by(
                    Interaction.ticket_id
                )
            ).all()
        )
    for t in rows:
        assert t.created_at <= MONDAY_10 and t.created_at > MONDAY_10.replace(year=2026, month=5)
        assert first_log[t.id] == t.created_at  # the `created` entry comes first
        if t.first_response_at is not None:
            assert t.created_at <= t.first_response_at <= MONDAY_10
        if t.status in ("closed", "resolved"):
            assert t.resolved_at is not None and t.first_response_at is not None
            assert t.created_at <= t.resolved_at <= MONDAY_10
        if t.status == "closed":
            assert t.closed_at is not None and t.resolved_at is not None
            assert t.resolved_at <= t.closed_at <= MONDAY_10
        if t.status in OPEN_STATUSES:
            assert t.resolved_at is None and t.closed_at is None
        if t.status == "cancelled" and t.first_response_at is not None:
            # answered before it was cancelled, never later (nor in the future)
            assert t.closed_at is not None and t.first_response_at <= t.closed_at
        assert (t.sla_paused_at is not None) == (t.status == "waiting_customer")
        assert t.updated_at >= t.created_at
        if t.status == "new":
            assert t.assignee_id is None and t.escalation_count == 0
        if t.status == "escalated":
            assert t.escalation_count == 1


def test_full_text_search_finds_demo_tickets(demo_desk: Desk) -> None:
    if not demo_desk.store.is_sqlite:
        pytest.skip("FTS5 is SQLite's; PostgreSQL indexes a generated column")
    with demo_desk.store.read() as s:
        hits = s.scalar(sa.text("SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH 'vpn'"))
        like = s.scalar(sa.select(sa.func.count()).where(Ticket.title.like("%VPN%")))  # type: ignore[attr-defined]
        triggers = set(s.scalars(sa.text("SELECT name FROM sqlite_master WHERE type='trigger'")))
    assert hits and like and hits >= like
    assert {"ticket_fts_ai", "ticket_fts_ad", "ticket_fts_au"} <= triggers


def test_append_reuses_the_people(demo_desk: Desk) -> None:
    with demo_desk.store.read() as s:
        people = s.scalar(sa.select(sa.func.count()).select_from(Requester))
    summary = _demo(demo_desk.store, tickets=300, seed=9)
    with demo_desk.store.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2300
        assert s.scalar(sa.select(sa.func.count()).select_from(Agent)) == 26
        assert s.scalar(sa.select(sa.func.count()).select_from(Requester)) == people
    assert summary.tickets == 300 and summary.agents == 25


def test_demo_needs_the_permission(desk: Desk) -> None:
    bob = desk.add_agent("bob", "supervisor")
    with pytest.raises(PermissionDenied, match="demo.generate"):
        _demo(desk.store, tickets=10, actor=bob)


def _run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_demo_initialises_and_refuses_a_second_run(tmp_path: Path) -> None:
    db = str(tmp_path / "new" / "demo.db")  # not even the directory exists yet
    code, out, err = _run(db, "demo", "--tickets", "400", "--seed", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["tickets"] == 400 and data["agents"] == 25 and data["interactions"] >= 400
    assert set(data) >= {"tickets", "requesters", "agents", "interactions", "seconds"}
    code, out, _ = _run(db, "user", "list", "--json")
    me = [u for u in json.loads(out) if u["login"] == rbac.os_login()]
    assert me and "admin" in me[0]["roles"]  # the OS account ends up admin
    code, _, err = _run(db, "demo", "--tickets", "10")
    assert code == 1 and "--append" in err and "Traceback" not in err
    code, out, err = _run(db, "demo", "--tickets", "10", "--append")
    assert code == 0, err
    assert out.startswith("demo desk: 10 tickets") and "tickets/s" in out
