"""Learned models stored with the desk's data (so every machine of a desk shares them)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class CategoryModelRow(SQLModel, table=True):
    """One trained category model: its metadata and the model file itself (`.npz`, no pickle).

    Versions only grow; the newest active row is the one suggestions use.
    """

    __tablename__ = "category_model"

    version: int = Field(primary_key=True)
    trained_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    n_samples: int = Field(default=0)
    categories: str = Field(default="[]", description="JSON list")
    algorithm: str = Field(default="", max_length=200)
    metrics: str = Field(default="{}", description="JSON object")
    size_bytes: int = Field(default=0)
    data: bytes = Field(sa_type=sa.LargeBinary)
    active: bool = Field(default=True)
    trained_by_id: int | None = Field(default=None, foreign_key="agent.id")
