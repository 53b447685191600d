"""Column limits: SQLite and PostgreSQL refuse the same values, with the same usage error.

SQLite would store a 5,000-character title in a VARCHAR(300), an id past 2^31 and a NUL;
PostgreSQL refuses each with a database error (exit 1). `store.limits` checks them from
the models on every flush, so both backends give the same one-line UsageError (exit 2)
and nothing is written.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import workflow
from helpdesk_tui.services.quantities import MAX_HANDLE_MINUTES, handle_seconds
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.limits import INT32_MAX, check_text, check_values, storable
from helpdesk_tui.store.models import Category, Interaction, Ticket
from tests.conftest import MONDAY_10, Desk


def _new(desk: Desk, **fields: object) -> int:
    data = NewTicket(**{"title": "printer jams", **fields})  # type: ignore[arg-type]

    def work(session: sa.orm.Session) -> int:
        ticket = create_ticket(session, desk.admin, data, rules=RuleSet.default(), now=MONDAY_10)
        session.flush()
        assert ticket.id is not None
        return ticket.id

    return desk.store.run_write(work)


def _tickets(desk: Desk) -> int:
    with desk.store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "x" * 5_000}, "ticket title is too long: 5,000 characters (at most 300)"),
        ({"title": "nul \x00 in it"}, "ticket title contains a NUL character"),
        ({"body": "lone \udcff byte"}, "ticket body contains U+DCFF"),
        ({"affected_users": 3_000_000_000}, "ticket affected users 3,000,000,000 is out of range"),
        ({"affected_system": "s" * 201}, "ticket affected system is too long"),
        ({"requester": "r" * 500}, "requester name is too long"),
    ],
)
def test_same_refusal_on_every_backend(desk: Desk, fields: dict[str, object], message: str) -> None:
    before = _tickets(desk)
    with pytest.raises(UsageError) as caught:
        _new(desk, **fields)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert _tickets(desk) == before  # nothing half-written


def test_values_at_the_limit_are_stored(desk: Desk) -> None:
    ticket_id = _new(desk, title="t" * 300, affected_users=INT32_MAX, affected_system="s" * 200)
    with desk.store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert (len(ticket.title), ticket.affected_users) == (300, INT32_MAX)


def test_a_note_with_a_nul_is_refused_and_nothing_is_logged(desk: Desk) -> None:
    ticket_id = _new(desk)

    def note(session: sa.orm.Session) -> None:
        workflow.add_interaction(session, desk.admin, ticket_id, "note", "a\x00b", now=MONDAY_10)

    with pytest.raises(UsageError, match="interaction text contains a NUL"):
        desk.store.run_write(note)
    with desk.store.read() as session:
        kinds = session.scalars(
            sa.select(Interaction.kind).where(Interaction.ticket_id == ticket_id)
        ).all()
    assert "note" not in kinds


def test_an_unchanged_legacy_value_does_not_block_another_change(desk: Desk) -> None:
    # A value SQLite took before the limits were checked must not make every later edit
    # of the row fail: only the values a change writes are checked.
    if not desk.store.is_sqlite:
        pytest.skip("PostgreSQL never stored such a value")
    ticket_id = _new(desk)
    desk.store.run_write(
        lambda s: s.execute(
            sa.update(Ticket).where(Ticket.id == ticket_id).values(error_codes="e" * 600)
        )
    )
    desk.store.run_write(lambda s: workflow.add_interaction(s, desk.admin, ticket_id, "note", "ok"))


def test_every_table_is_checked_on_flush(desk: Desk) -> None:
    # No service is needed: the store checks whatever an ORM flush would write.
    def add(session: sa.orm.Session) -> None:
        session.add(Category(name="printers", label="l" * 121))
        session.flush()

    with pytest.raises(UsageError, match="category label is too long: 121 characters"):
        desk.store.run_write(add)


def test_check_values_for_core_statements() -> None:
    table = Ticket.__table__  # type: ignore[attr-defined]
    check_values(table, {"title": "ok", "affected_users": 5})
    with pytest.raises(UsageError, match="ticket title is too long"):
        check_values(table, {"title": "x" * 301})
    with pytest.raises(UsageError, match="must be a finite number"):
        check_values(Interaction.__table__, {"handle_seconds": float("nan")})  # type: ignore[attr-defined]


def test_check_text_and_storable() -> None:
    assert storable("plain ascii") and storable("ünïcödé ✓")
    assert not storable("a\x00b") and not storable("\ud800")
    assert check_text("x", "fine", 4) == "fine"
    with pytest.raises(UsageError, match="x is too long: 5 characters"):
        check_text("x", "fines", 4)


@pytest.mark.parametrize(
    "minutes", [float("nan"), float("inf"), -1.0, 1e308, MAX_HANDLE_MINUTES + 1]
)
def test_handle_time_outside_a_day_is_a_usage_error(minutes: float) -> None:
    with pytest.raises(UsageError, match="minutes must be a number from 0"):
        handle_seconds(minutes)


def test_handle_time_in_range() -> None:
    assert handle_seconds(0) == 0
    assert handle_seconds(2.5) == 150
    assert handle_seconds(MAX_HANDLE_MINUTES) == 86_400
