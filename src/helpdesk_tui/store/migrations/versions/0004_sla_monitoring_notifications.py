"""sla monitoring notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

SLA events (each warning and breach once), auto-escalation firings and notifications.
Depends only on tables of 0001 (ticket, agent), not on those of 0003.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import helpdesk_tui.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_UNREAD = "read_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "sla_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("clock", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column(
            "crossed_at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "clock", "level", name="uq_sla_event_once"),
    )
    with op.batch_alter_table("sla_event", schema=None) as batch_op:
        batch_op.create_index("ix_sla_event_at", ["at"], unique=False)

    op.create_table(
        "sla_auto_escalation",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("ticket_id", "rule"),
    )

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "created_at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("read_at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_agent", ["agent_id", "id"], unique=False)
        batch_op.create_index(
            "ix_notification_unread",
            ["agent_id", "id"],
            unique=False,
            sqlite_where=sa.text(_UNREAD),
            postgresql_where=sa.text(_UNREAD),
        )

    if op.get_bind().dialect.name == "postgresql":
        # The TUI's live updates LISTEN for changes (0001): a new notification must wake
        # the header's unread count even when nothing else changed in that transaction.
        op.execute(
            "CREATE TRIGGER notification_notify AFTER INSERT OR UPDATE OR DELETE ON notification "
            "FOR EACH STATEMENT EXECUTE FUNCTION helpdesk_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS notification_notify ON notification")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_unread", sqlite_where=sa.text(_UNREAD))
        batch_op.drop_index("ix_notification_agent")
    op.drop_table("notification")
    op.drop_table("sla_auto_escalation")
    with op.batch_alter_table("sla_event", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_event_at")
    op.drop_table("sla_event")
