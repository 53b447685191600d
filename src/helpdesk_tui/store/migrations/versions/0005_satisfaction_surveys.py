"""satisfaction surveys

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Survey plans, surveys (one per sampled closed ticket) and improvement items. Depends
only on tables of 0001 (ticket, requester, agent, department).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import helpdesk_tui.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_UTC = helpdesk_tui.store.types.UTCDateTime
_Str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "survey_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _Str(length=120), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("delay_hours", sa.Integer(), nullable=False),
        sa.Column("method", _Str(length=12), nullable=False),
        sa.Column("categories", _Str(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("vip_only", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("scheduled_until", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("due_at", _UTC(timezone=True), nullable=False),
        sa.Column("status", _Str(length=12), nullable=False),
        sa.Column("method", _Str(length=12), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("consent_at", _UTC(timezone=True), nullable=True),
        sa.Column("answers", _Str(), nullable=False),
        sa.Column("comment", _Str(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("recorded_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["survey_plan.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["requester.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index("ix_survey_status_due", ["status", "due_at", "id"], unique=False)
        batch_op.create_index("ix_survey_recorded", ["recorded_at"], unique=False)

    op.create_table(
        "improvement_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("text", _Str(), nullable=False),
        sa.Column("status", _Str(length=8), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("done_at", _UTC(timezone=True), nullable=True),
        sa.Column("note", _Str(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("improvement_item", schema=None) as batch_op:
        batch_op.create_index("ix_improvement_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("improvement_item", schema=None) as batch_op:
        batch_op.drop_index("ix_improvement_status")
    op.drop_table("improvement_item")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_recorded")
        batch_op.drop_index("ix_survey_status_due")
    op.drop_table("survey")
    op.drop_table("survey_plan")
