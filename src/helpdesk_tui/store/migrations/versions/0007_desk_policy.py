"""desk policy in the database: settings, SLA auto-escalation rules, watcher permissions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Desk-wide policy moves out of the personal config.toml (issue 11, item 3): scalar
settings (`desk_setting`: closure days, backlog hours, the survey questionnaire) and the
SLA auto-escalation rules (`sla_rule`). Existing desks also get the two permissions the
desk-wide actions now need, granted to their supervisor and admin roles:
`sla.watch` (run the SLA watcher) and `ticket.autoclose` (run auto-close by hand).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import helpdesk_tui.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Permissions added by this revision: name -> (description, roles that get it).
_PERMISSIONS = {
    "sla.watch": (
        "run the SLA watcher (warnings, breaches, auto-escalation, auto-close)",
        ("supervisor", "admin"),
    ),
    "ticket.autoclose": (
        "close resolved tickets whose requester never confirmed (ticket autoclose)",
        ("supervisor", "admin"),
    ),
}

_permission = sa.table(
    "permission", sa.column("id", sa.Integer), sa.column("name"), sa.column("description")
)
_role = sa.table("role", sa.column("id", sa.Integer), sa.column("name"))
_role_permission = sa.table(
    "role_permission", sa.column("role_id", sa.Integer), sa.column("permission_id", sa.Integer)
)


def upgrade() -> None:
    op.create_table(
        "desk_setting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "updated_at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "sla_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("priorities", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("categories", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("no_response_minutes", sa.Integer(), nullable=True),
        sa.Column("on_level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("clock", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("to_supervisor", sa.Boolean(), nullable=False),
        sa.Column("to_group_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", helpdesk_tui.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["agent.id"]),
        sa.ForeignKeyConstraint(["to_group_id"], ["support_group.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    _grant_new_permissions()


def _grant_new_permissions() -> None:
    """Add the permissions and grant them to the default roles a desk already has.

    On a fresh database the roles do not exist yet: `helpdesk init` seeds them after the
    migrations and grants from `rbac.DEFAULT_ROLES`, finding these permission rows there.
    """
    conn = op.get_bind()
    roles = {name: rid for rid, name in conn.execute(sa.select(_role.c.id, _role.c.name))}
    for name, (description, grantees) in _PERMISSIONS.items():
        pid = conn.scalar(sa.select(_permission.c.id).where(_permission.c.name == name))
        if pid is None:
            conn.execute(sa.insert(_permission).values(name=name, description=description))
            pid = conn.scalar(sa.select(_permission.c.id).where(_permission.c.name == name))
        for role in grantees:
            rid = roles.get(role)
            if rid is None:
                continue
            granted = conn.scalar(
                sa.select(sa.func.count())
                .select_from(_role_permission)
                .where(_role_permission.c.role_id == rid, _role_permission.c.permission_id == pid)
            )
            if not granted:
                conn.execute(sa.insert(_role_permission).values(role_id=rid, permission_id=pid))


def downgrade() -> None:
    conn = op.get_bind()
    ids = sa.select(_permission.c.id).where(_permission.c.name.in_(list(_PERMISSIONS)))
    conn.execute(sa.delete(_role_permission).where(_role_permission.c.permission_id.in_(ids)))
    conn.execute(sa.delete(_permission).where(_permission.c.name.in_(list(_PERMISSIONS))))
    op.drop_table("sla_rule")
    op.drop_table("desk_setting")
