"""Tables of issue 6 (escalation): OLA targets per resolver group and handoff packages."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class OlaPolicy(SQLModel, table=True):
    """An operational level agreement: how fast a resolver group accepts and resolves.

    Counted on a calendar like an SLA policy (business hours for most groups). One per
    group; defaults by tier are created the first time a desk escalates.
    """

    __tablename__ = "ola_policy"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="support_group.id", unique=True)
    response_minutes: int
    resolve_minutes: int
    calendar_id: int = Field(foreign_key="calendar.id")
    active: bool = Field(default=True)


class Handoff(SQLModel, table=True):
    """One handoff of a ticket: an escalation (functional or hierarchical) or a hand back.

    `package` is the text the agent reviewed and confirmed (key facts, actions taken, SOP
    steps done, error codes, attachments): it is what the receiving group reads first, so
    it is stored as confirmed rather than rebuilt from the ticket later.
    """

    __tablename__ = "handoff"
    __table_args__ = (sa.Index("ix_handoff_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: str = Field(max_length=16, description="functional | hierarchical | handback")
    from_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    from_group_id: int | None = Field(default=None, foreign_key="support_group.id")
    to_group_id: int | None = Field(default=None, foreign_key="support_group.id")
    to_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    reason: str = Field(default="")
    package: str = Field(default="")
    expected_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
