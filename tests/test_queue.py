"""The queue service: keyset pages over the whole result, counts, and the index it uses."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk_tui.services import queue, workflow
from helpdesk_tui.services.queue import QueueQuery
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.services.views import list_select
from helpdesk_tui.services.vocab import OPEN_STATUSES
from helpdesk_tui.store.models.ticket import OPEN_PREDICATE
from tests.conftest import MONDAY_10, Desk

TITLES = [
    "printer offline on floor 2",
    "whole site has no network",
    "VPN keeps dropping",
    "Outlook not syncing",
    "laptop will not boot",
    "need a new monitor",
    "password expired",
]


def _seed(desk: Desk, copies: int = 3) -> list[int]:
    ids = []
    for n in range(copies):
        for title in TITLES:
            new = NewTicket(title=f"{title} ({n})")
            ids.append(
                desk.store.run_write(
                    lambda s, new=new: create_ticket(s, desk.admin, new, rules=RuleSet.default()).id
                )
            )
    return ids


def test_open_predicate_names_exactly_the_open_statuses() -> None:
    # The partial index and the queue's WHERE share this text; the vocabulary must agree.
    for status in OPEN_STATUSES:
        assert f"'{status}'" in OPEN_PREDICATE
    assert OPEN_PREDICATE.count("'") == 2 * len(OPEN_STATUSES)


def test_pages_forward_and_back_cover_the_whole_result_in_due_order(desk: Desk) -> None:
    ids = _seed(desk)
    resolved = ids[0]
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, resolved, "resolved", now=MONDAY_10, note="done", code="solved_permanent"
        )
    )
    query = QueueQuery(view="open")
    with desk.store.read() as session:
        total = queue.count(session, desk.admin, query)
        pages = [queue.fetch_page(session, desk.admin, query, now=MONDAY_10, limit=4)]
        while pages[-1].has_after:
            after = pages[-1].last_key
            pages.append(
                queue.fetch_page(session, desk.admin, query, now=MONDAY_10, after=after, limit=4)
            )
        forward = [row.id for page in pages for row in page.rows]
        back = [queue.fetch_page(session, desk.admin, query, now=MONDAY_10, last=True, limit=4)]
        while back[-1].has_before:
            before = back[-1].first_key
            back.append(
                queue.fetch_page(session, desk.admin, query, now=MONDAY_10, before=before, limit=4)
            )
        backward = [row.id for page in reversed(back) for row in page.rows]
    assert total == len(ids) - 1
    assert sorted(forward) == sorted(set(ids) - {resolved})
    assert backward == forward
    dues = [row.sla.resolve_due for page in pages for row in page.rows]
    assert dues == sorted(dues)  # type: ignore[type-var]


def test_open_view_walks_the_partial_index_on_sqlite(desk: Desk) -> None:
    """SQLite must page "all open" through ix_ticket_open_due, not sort every open ticket.

    A bound `status IN (?, ?, ...)` never implies a partial index's WHERE, so the plan
    fell back to the status index plus a temporary B-tree sort (seconds at 1M tickets).
    """
    if not desk.store.is_sqlite:
        return  # PostgreSQL plans with the values; its planner is checked by the bench
    _seed(desk, copies=1)
    with desk.store.read() as session:
        select = queue._filtered(
            list_select(), QueueQuery(view="open"), desk.admin, "sqlite"
        ).order_by(sa.text("ticket.resolve_due, ticket.id"))
        sql = select.limit(5).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_ticket_open_due" in details, details
    assert "TEMP B-TREE" not in details, details
