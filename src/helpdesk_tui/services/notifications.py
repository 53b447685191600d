"""Agent notifications: the inbox the SLA watcher fills (issue 6, part 3).

`unread_count`, `list_notifications` and `mark_read` serve the acting agent's own
notifications (the notifications screen and `helpdesk notifications`); rows come back as
`NotificationRow`. The watch pass that writes them is
`helpdesk_tui.services.monitor.watch_once`, which re-exports every public name of this
module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import NotFound
from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.models import Ticket
from helpdesk_tui.store.models.monitoring import Notification

#: Notification kinds.
KINDS: Final = ("sla_warning", "sla_breach", "escalation", "sla_backlog")
#: Notifications listed by default (the screen and `helpdesk notifications`).
LIST_LIMIT: Final = 200


# --------------------------------------------------------------------------- notifications


@dataclass(frozen=True)
class NotificationRow:
    """One notification as lists show it (ticket title is untrusted: render with `plain`)."""

    id: int
    ticket_id: int | None
    ticket_title: str | None
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        """True until the agent marked it read."""
        return self.read_at is None

    def to_dict(self) -> dict[str, object]:
        """JSON-able form with stable keys."""
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "ticket_title": self.ticket_title,
            "kind": self.kind,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "read_at": self.read_at.isoformat() if self.read_at else None,
        }


def _mine(actor: Actor) -> int:
    if actor.agent_id is None:
        raise NotFound("the system account has no notifications")
    return actor.agent_id


def unread_count(session: Session, actor: Actor) -> int:
    """How many unread notifications the acting agent has (partial index: cheap)."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(col(Notification.agent_id) == _mine(actor), col(Notification.read_at).is_(None))
        )
        or 0
    )


def list_notifications(
    session: Session, actor: Actor, *, unread_only: bool = False, limit: int = LIST_LIMIT
) -> list[NotificationRow]:
    """The acting agent's notifications: unread first, each part newest first."""
    agent_id = _mine(actor)
    base = (
        sa.select(
            col(Notification.id),
            col(Notification.ticket_id),
            col(Ticket.title),
            col(Notification.kind),
            col(Notification.text),
            col(Notification.created_at),
            col(Notification.read_at),
        )
        .outerjoin(Ticket, col(Ticket.id) == col(Notification.ticket_id))
        .where(col(Notification.agent_id) == agent_id)
        .order_by(col(Notification.id).desc())
    )
    rows = list(session.execute(base.where(col(Notification.read_at).is_(None)).limit(limit)))
    if not unread_only and len(rows) < limit:
        rows += session.execute(
            base.where(col(Notification.read_at).is_not(None)).limit(limit - len(rows))
        )
    return [NotificationRow(*r) for r in rows]  # type: ignore[arg-type]


def mark_read(session: Session, actor: Actor, ids: Sequence[int] | None, *, now: datetime) -> int:
    """Mark the given notifications (or all, with `ids=None`) read; returns how many changed.

    Another agent's notification counts as not found, so ids reveal nothing.
    """
    agent_id = _mine(actor)
    mine = col(Notification.agent_id) == agent_id
    if ids is not None:
        wanted = set(ids)
        found = set(
            session.scalars(
                sa.select(col(Notification.id)).where(mine, col(Notification.id).in_(wanted))
            )
        )
        missing = sorted(wanted - found)
        if missing:
            raise NotFound(f"no notification #{missing[0]} of yours")
    stmt = sa.update(Notification).where(mine, col(Notification.read_at).is_(None))
    if ids is not None:
        stmt = stmt.where(col(Notification.id).in_(list(ids)))
    result = session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
