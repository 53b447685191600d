"""category model: the learned category suggester, stored with the desk's data

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import helpdesk_tui.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category_model",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "trained_at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("n_samples", sa.Integer(), nullable=False),
        sa.Column("categories", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("algorithm", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("metrics", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["trained_by_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("version"),
    )


def downgrade() -> None:
    op.drop_table("category_model")
