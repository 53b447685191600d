"""The queue: a window onto SQL (DESIGN §5).

Pages of a few hundred rows by keyset, sorting and filtering in SQL, counts from SQL,
so a queue of a million tickets costs what a queue of a thousand costs. Open views sort
by resolution due time (SLA due first); "recently closed" by closing time, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.queue_types import PAGE_SIZE, VIEWS, PageKey, QueuePage, QueueQuery
from helpdesk_tui.services.rows import rows_to_ticket_rows
from helpdesk_tui.services.sla import SlaBook
from helpdesk_tui.services.views import list_select
from helpdesk_tui.store.models import SupportGroup, Ticket
from helpdesk_tui.store.schema import OPEN_PREDICATE
from helpdesk_tui.store.search import matching_ticket_ids

__all__ = [
    "OPEN_WHERE",
    "PAGE_SIZE",
    "VIEWS",
    "PageKey",
    "QueuePage",
    "QueueQuery",
    "count",
    "fetch_page",
    "first_line_unassigned",
    "view_counts",
]

OPEN_WHERE: Final = sa.text("ticket." + OPEN_PREDICATE)  # open = not resolved, closed, cancelled


def first_line_unassigned() -> sa.ColumnElement[bool]:
    """Unassigned first-line work: no agent, and no L2/L3 group holding it.

    The Unassigned view is what a first-line agent may take; a ticket escalated to an L2/L3
    group waits in that group's view (`group`) and in `escalated` instead.
    """
    resolver_groups = sa.select(col(SupportGroup.id)).where(col(SupportGroup.tier) >= 2)
    return sa.and_(
        col(Ticket.assignee_id).is_(None),
        sa.or_(
            col(Ticket.group_id).is_(None),
            col(Ticket.group_id).not_in(resolver_groups.scalar_subquery()),
        ),
    )


def _closed_view(query: QueueQuery) -> bool:
    return query.view == "closed"


def _sort_columns(query: QueueQuery) -> tuple[Any, Any]:
    if _closed_view(query):
        return col(Ticket.closed_at), col(Ticket.id)
    return col(Ticket.resolve_due), col(Ticket.id)


def _filtered(
    select: sa.Select[Any], query: QueueQuery, actor: Actor, dialect: str
) -> sa.Select[Any]:
    view = query.view
    if view == "closed":
        select = select.where(col(Ticket.status) == (query.status or "closed"))
    elif query.status is not None:
        select = select.where(col(Ticket.status) == query.status)
    elif view == "escalated":
        select = select.where(col(Ticket.status) == "escalated")
    elif view == "waiting":
        select = select.where(col(Ticket.status) == "waiting_customer")
    else:
        # The partial index's own predicate, as literal SQL: a planner uses a partial index
        # only when the query's WHERE visibly implies it, which bound parameters never do.
        select = select.where(OPEN_WHERE)
        if view == "open" and not (query.category or query.priority or query.search.strip()):
            # SQLite's planner prefers the status index and sorts every open ticket; the
            # partial index walks them in due order and stops at the page size. (A search
            # is better served from its full-text hits, a filter from its own index.)
            select = select.with_hint(Ticket, "INDEXED BY ix_ticket_open_due", "sqlite")
    if view == "mine":
        select = select.where(col(Ticket.assignee_id) == actor.agent_id)
    elif view == "unassigned":
        select = select.where(first_line_unassigned())
    elif view == "group":
        select = select.where(col(Ticket.group_id).in_(actor.group_ids or (-1,)))
    if query.category is not None:
        select = select.where(col(Ticket.category) == query.category)
    if query.priority is not None:
        select = select.where(col(Ticket.priority) == query.priority)
    if query.search.strip():
        ids = matching_ticket_ids(dialect, query.search)
        if ids is not None:
            select = select.where(col(Ticket.id).in_(ids.scalar_subquery()))
    return select


def fetch_page(
    session: Session,
    actor: Actor,
    query: QueueQuery,
    *,
    now: datetime,
    after: PageKey | None = None,
    before: PageKey | None = None,
    last: bool = False,
    limit: int = PAGE_SIZE,
    book: SlaBook | None = None,
) -> QueuePage:
    """One page: the first (default), the one `after` or `before` a key, or the `last`."""
    actor.require("ticket.read")
    dialect = session.get_bind().dialect.name
    col, tie = _sort_columns(query)
    descending = _closed_view(query)
    select = _filtered(list_select(), query, actor, dialect)
    backwards = before is not None or last
    if after is not None:
        cmp = (
            sa.tuple_(col, tie) < (after.at, after.id)
            if descending
            else sa.tuple_(col, tie) > (after.at, after.id)
        )
        select = select.where(cmp)
    if before is not None:
        cmp = (
            sa.tuple_(col, tie) > (before.at, before.id)
            if descending
            else sa.tuple_(col, tie) < (before.at, before.id)
        )
        select = select.where(cmp)
    forward_desc = descending != backwards
    order = (col.desc(), tie.desc()) if forward_desc else (col.asc(), tie.asc())
    rows = list(session.execute(select.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    page_rows = rows_to_ticket_rows(rows, book or SlaBook.load(session), now)
    if backwards:
        return QueuePage(page_rows, has_before=more, has_after=before is not None)
    return QueuePage(page_rows, has_before=after is not None, has_after=more)


def count(session: Session, actor: Actor, query: QueueQuery) -> int:
    """How many tickets the query matches (from SQL, never by loading them)."""
    actor.require("ticket.read")
    dialect = session.get_bind().dialect.name
    select = _filtered(sa.select(sa.func.count()).select_from(Ticket), query, actor, dialect)
    return int(session.scalar(select) or 0)


def view_counts(session: Session, actor: Actor) -> dict[str, int]:
    """Counts of every view, for the queue's tabs."""
    return {
        view: count(session, actor, QueueQuery(view=view)) for view in VIEWS if view != "closed"
    }
