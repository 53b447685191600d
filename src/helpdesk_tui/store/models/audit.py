"""The audit trail: who did what, when, on whose behalf."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class Audit(SQLModel, table=True):
    """One audited change, written in the same transaction as the change itself.

    `actor_id` is the agent the change is attributed to; `real_actor_id` differs from it
    only when an admin acted as someone else (`--as`).
    """

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="agent.id")
    real_actor_id: int | None = Field(default=None, foreign_key="agent.id")
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="{}", description="JSON object with the changed fields")
