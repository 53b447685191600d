"""Satisfaction callbacks (issue 6 part 5): survey plans, surveys, improvement items.

A plan is the service agreement's promise ("call back 10% of closed network tickets two
days after closure"); a survey is one planned callback for one closed ticket; an
improvement item is the supervisor's follow-up when a requester scored us low.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class SurveyPlan(SQLModel, table=True):
    """Which closed tickets get a satisfaction callback, when and how.

    Scope: `categories` (JSON list; empty = every category), the requester's department
    (`department_id`, None = any) and `vip_only`. All given conditions must hold.
    `scheduled_until` is the closure time up to which tickets have been sampled: the
    scheduler continues from there, and a new plan starts at its creation, not in the past.
    """

    __tablename__ = "survey_plan"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    rate: float = Field(description="share of in-scope tickets sampled, 0 < rate <= 1")
    delay_hours: int = Field(default=48, description="hours after closure the call is due")
    method: str = Field(default="phone", max_length=12)
    categories: str = Field(default="[]", description="JSON list of categories; [] = all")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    vip_only: bool = Field(default=False)
    active: bool = Field(default=True)
    owner_id: int | None = Field(
        default=None, foreign_key="agent.id", description="supervisor owning improvements"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    scheduled_until: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Survey(SQLModel, table=True):
    """One satisfaction callback for one closed ticket (at most one per ticket).

    `answers` is a JSON object {question_id: score 1-5}. `consent` records whether the
    requester agreed to answer (and `consent_at` when); without it nothing is stored.
    """

    __tablename__ = "survey"
    __table_args__ = (
        # The "callbacks due" list reads due surveys oldest first through this index.
        sa.Index("ix_survey_status_due", "status", "due_at", "id"),
        sa.Index("ix_survey_recorded", "recorded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    plan_id: int = Field(foreign_key="survey_plan.id")
    requester_id: int = Field(foreign_key="requester.id")
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="due", max_length=12)
    method: str = Field(default="phone", max_length=12)
    consent: bool = Field(default=False)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answers: str = Field(default="{}")
    comment: str = Field(default="")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImprovementItem(SQLModel, table=True):
    """A follow-up for the supervisor after a low score (<= 2) in a callback."""

    __tablename__ = "improvement_item"
    __table_args__ = (sa.Index("ix_improvement_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    ticket_id: int = Field(foreign_key="ticket.id")
    text: str = Field(default="")
    status: str = Field(default="open", max_length=8)
    owner_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str = Field(default="", description="what was done about it")
