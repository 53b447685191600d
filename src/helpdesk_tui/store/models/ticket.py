"""Tickets, their interaction log and the desk's categories."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from helpdesk_tui.store.schema import OPEN_PREDICATE
from helpdesk_tui.store.types import UTCDateTime, utcnow

__all__ = ["OPEN_PREDICATE", "Category", "Interaction", "Ticket"]


class Category(SQLModel, table=True):
    """A ticket category of this desk. Seeded with the defaults; a desk may add its own."""

    name: str = Field(primary_key=True, max_length=64)
    label: str = Field(default="", max_length=120)
    active: bool = Field(default=True)
    position: int = Field(default=0)


class Ticket(SQLModel, table=True):
    """An incident or a service request, with its key facts and SLA clock.

    `version` is bumped by every change of the ticket's own fields; writers send the
    version they saw and get a conflict if it moved (optimistic concurrency, DESIGN §4).
    """

    __table_args__ = (
        sa.Index("ix_ticket_status_due", "status", "resolve_due", "id"),
        sa.Index("ix_ticket_assignee_status", "assignee_id", "status"),
        sa.Index("ix_ticket_group_status", "group_id", "status"),
        sa.Index("ix_ticket_status_closed", "status", "closed_at", "id"),
        # The queue's "all open" view pages through this partial index (DESIGN §5).
        sa.Index(
            "ix_ticket_open_due",
            "resolve_due",
            "id",
            sqlite_where=sa.text(OPEN_PREDICATE),
            postgresql_where=sa.text(OPEN_PREDICATE),
        ),
        sa.Index("ix_ticket_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_ref: str | None = Field(default=None, max_length=64, unique=True)
    kind: str = Field(default="incident", max_length=20)
    title: str = Field(max_length=300)
    body: str = Field(default="")
    category: str = Field(foreign_key="category.name", max_length=64)
    suggested_category: str | None = Field(default=None, max_length=64)
    impact: str = Field(default="low", max_length=8)
    urgency: str = Field(default="medium", max_length=8)
    priority: str = Field(max_length=16)
    suggested_priority: str | None = Field(default=None, max_length=16)
    priority_overridden: bool = Field(default=False)
    status: str = Field(default="new", max_length=20)
    channel: str = Field(default="phone", max_length=20)
    requester_id: int | None = Field(default=None, foreign_key="requester.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    group_id: int | None = Field(default=None, foreign_key="support_group.id")
    created_by_id: int | None = Field(default=None, foreign_key="agent.id")
    sla_policy_id: int | None = Field(default=None, foreign_key="sla_policy.id")
    # key facts
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    impact_scope: str = Field(default="one_user", max_length=20)
    affected_users: int = Field(default=1)
    affected_system: str | None = Field(default=None, max_length=200)
    error_codes: str = Field(default="", max_length=500)
    tried: str = Field(default="", description="what the requester already tried")
    diagnosis: str = Field(default="", description="the agent's initial diagnosis")
    # clock
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolve_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # business seconds spent waiting on the customer so far (the clock's pauses)
    sla_paused_s: float = Field(default=0.0)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str = Field(default="")
    # what solved it (for FCR and knowledge reports)
    resolved_by_sop: str | None = Field(default=None, max_length=80)
    solution_kb_id: int | None = Field(default=None)
    reopen_count: int = Field(default=0)
    escalation_count: int = Field(default=0)
    version: int = Field(default=1)
    # Verified closure (issue 6). All nullable without defaults: bulk imports and demo
    # data insert rows without them (store/bulk.py). Agent and policy ids here are soft
    # references (no FOREIGN KEY): adding one to `ticket` on SQLite means rebuilding the
    # table, which drops its FTS triggers and takes minutes on a million tickets.
    resolution_code: str | None = Field(default=None, max_length=32)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmation_channel: str | None = Field(default=None, max_length=16)
    # who had the ticket when it was resolved: a reopen returns it to them
    previous_assignee_id: int | None = Field(default=None)
    # OLA clock of the resolver group it was last escalated to (escalated_at is its start)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ola_policy_id: int | None = Field(default=None)
    ola_response_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ola_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ola_accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ola_stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Interaction(SQLModel, table=True):
    """One entry of a ticket's log: a call, mail, note, status change, ...

    `handle_seconds` is the agent time spent on it, for the average handle time report.
    """

    __table_args__ = (sa.Index("ix_interaction_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: str = Field(max_length=20)
    text: str = Field(default="")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handle_seconds: int = Field(default=0)
    public: bool = Field(default=False, description="visible to the requester")
