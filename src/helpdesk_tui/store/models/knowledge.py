"""SOPs (indexed from sop/ files), SOP runs on tickets, and the knowledge base."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class SopEntry(SQLModel, table=True):
    """The index of one SOP file. The file stays the source of truth; `sha256` tells a
    sync whether it changed. List fields are JSON arrays."""

    __tablename__ = "sop"

    id: str = Field(primary_key=True, max_length=80)
    title: str = Field(max_length=200)
    category: str = Field(max_length=64, index=True)
    keywords: str = Field(default="[]")
    symptoms: str = Field(default="[]")
    applies_to: str = Field(default="[]")
    escalate_if: str = Field(default="[]")
    steps: str = Field(default="[]")
    body: str = Field(default="")
    owner: str = Field(default="", max_length=120)
    version: int = Field(default=1)
    reviewed: date | None = Field(default=None)
    path: str = Field(default="", max_length=500)
    sha256: str = Field(default="", max_length=64)
    active: bool = Field(default=True)
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SopRun(SQLModel, table=True):
    """An agent following an SOP on a ticket: which steps are ticked and how it ended."""

    __tablename__ = "sop_run"
    __table_args__ = (sa.Index("ix_sop_run_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    sop_id: str = Field(foreign_key="sop.id", max_length=80)
    sop_version: int = Field(default=1)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    steps_done: str = Field(default="[]", description="JSON list of ticked step indexes")
    outcome: str = Field(default="in_progress", max_length=20)


class KbArticle(SQLModel, table=True):
    """A knowledge article in one language. Language versions share `group_id`."""

    __tablename__ = "kb_article"
    __table_args__ = (
        sa.Index("ix_kb_group_language", "group_id", "language", unique=True),
        sa.Index("ix_kb_status", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int | None = Field(default=None, description="id of the first version")
    title: str = Field(max_length=300)
    category: str = Field(max_length=64)
    tags: str = Field(default="[]")
    language: str = Field(default="en", max_length=12)
    visibility: str = Field(default="internal", max_length=12)
    status: str = Field(default="draft", max_length=12)
    body: str = Field(default="")
    source_ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_by_id: int | None = Field(default=None, foreign_key="agent.id")
    updated_by_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)
    helpful: int = Field(default=0)
    not_helpful: int = Field(default=0)
    uses: int = Field(default=0)


class KbVote(SQLModel, table=True):
    """One agent's helpful / not helpful mark on an article (one per agent, may change)."""

    __tablename__ = "kb_vote"

    article_id: int = Field(foreign_key="kb_article.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    helpful: bool
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KbUse(SQLModel, table=True):
    """An article linked as a ticket's solution: a use, for knowledge reports."""

    __tablename__ = "kb_use"
    __table_args__ = (sa.Index("ix_kb_use_article", "article_id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_article.id")
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
