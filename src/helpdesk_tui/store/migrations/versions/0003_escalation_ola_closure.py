"""escalation ola closure

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

OLA policies and handoff packages (new tables), and the nullable ticket columns of
escalation and verified closure. The ticket columns are plain `ADD COLUMN`s on every
backend (no table rebuild on SQLite: that would drop the FTS triggers and take minutes on
a large desk), which is why they carry no foreign keys. OLA defaults are not seeded here:
a fresh database has no groups yet at this point; services/escalation.py creates them the
first time a desk escalates.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import helpdesk_tui.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UTC = helpdesk_tui.store.types.UTCDateTime(timezone=True)

#: The ticket columns this revision adds, in model order.
_TICKET_COLUMNS = (
    ("resolution_code", sqlmodel.sql.sqltypes.AutoString(length=32)),
    ("confirmed_at", _UTC),
    ("confirmation_channel", sqlmodel.sql.sqltypes.AutoString(length=16)),
    ("previous_assignee_id", sa.Integer()),
    ("escalated_at", _UTC),
    ("ola_policy_id", sa.Integer()),
    ("ola_response_due", _UTC),
    ("ola_due", _UTC),
    ("ola_accepted_at", _UTC),
    ("ola_stopped_at", _UTC),
)


def upgrade() -> None:
    op.create_table(
        "ola_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolve_minutes", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["calendar_id"], ["calendar.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["support_group.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id"),
    )
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("from_agent_id", sa.Integer(), nullable=True),
        sa.Column("from_group_id", sa.Integer(), nullable=True),
        sa.Column("to_group_id", sa.Integer(), nullable=True),
        sa.Column("to_agent_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("package", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expected_by", _UTC, nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["from_agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["from_group_id"], ["support_group.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["to_agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["to_group_id"], ["support_group.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_ticket", "handoff", ["ticket_id", "id"], unique=False)
    # recreate="never": plain ALTER TABLE ADD COLUMN, never a rebuild of `ticket`.
    with op.batch_alter_table("ticket", recreate="never") as batch_op:
        for name, type_ in _TICKET_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # SQLite >= 3.35 drops plain columns in place (none of these has an index or a key).
    with op.batch_alter_table("ticket", recreate="never") as batch_op:
        for name, _type in reversed(_TICKET_COLUMNS):
            batch_op.drop_column(name)
    op.drop_index("ix_handoff_ticket", table_name="handoff")
    op.drop_table("handoff")
    op.drop_table("ola_policy")
