"""Tables of issue 6 (monitoring): SLA events, auto-escalations and agents' notifications.

`sla_event` and `sla_auto_escalation` carry unique keys on purpose: the watcher inserts
with ON CONFLICT DO NOTHING, so however often it polls and however many watchers run at
once, each warning, breach and rule firing is recorded (and announced) exactly once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class SlaEvent(SQLModel, table=True):
    """A ticket's clock crossed a threshold: `warning` (75% used) or `breach` (100%).

    `clock` is `response`, `resolution`, `ola_response` (the resolver group accepting it)
    or `ola` (the group resolving it); `crossed_at` is when the threshold was
    crossed, `at` when the watcher saw it (they differ when the watcher was not running).
    """

    __tablename__ = "sla_event"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "clock", "level", name="uq_sla_event_once"),
        sa.Index("ix_sla_event_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    clock: str = Field(max_length=12)
    level: str = Field(max_length=8)
    crossed_at: datetime = Field(sa_type=UTCDateTime)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: False when the crossing was older than the backlog window when first seen: it was
    #: recorded and logged, but summarised to the supervisors instead of sent to everyone.
    notified: bool = Field(default=True)


class SlaAutoEscalation(SQLModel, table=True):
    """One auto-escalation rule fired on one ticket (once per ticket and rule)."""

    __tablename__ = "sla_auto_escalation"

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    rule: str = Field(max_length=64, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action: str = Field(default="", max_length=200)


class Notification(SQLModel, table=True):
    """Something an agent should look at: an SLA warning or breach, an auto-escalation.

    Unread rows have `read_at` NULL; the partial index makes the header's unread count
    and the unread-first list cheap however many read notifications pile up.
    """

    __table_args__ = (
        sa.Index(
            "ix_notification_unread",
            "agent_id",
            "id",
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        ),
        sa.Index("ix_notification_agent", "agent_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    kind: str = Field(max_length=20)
    text: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
