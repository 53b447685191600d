"""Alembic migrations: head matches the code, and the schema matches the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import helpdesk_tui.store.models  # noqa: F401
from helpdesk_tui.store import migrate
from helpdesk_tui.store.engine import Store


def test_schema_head_is_alembic_head() -> None:
    script = ScriptDirectory(str(migrate.MIGRATIONS_DIR))
    assert script.get_current_head() == migrate.SCHEMA_HEAD


def test_upgrade_gives_the_models_schema(store: Store) -> None:
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.SCHEMA_HEAD
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # The full-text search objects live outside the models on purpose.
    diff = [d for d in diff if "search" not in str(d) and "_fts" not in str(d)]
    assert diff == []


def _grants(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.name, p.name FROM role_permission rp "
                "JOIN role r ON r.id = rp.role_id JOIN permission p ON p.id = rp.permission_id "
                "WHERE p.name IN ('sla.watch', 'ticket.autoclose')"
            )
        )
        return {(row[0], row[1]) for row in rows}


def test_0007_grants_the_watcher_permissions_to_an_existing_desk(store: Store) -> None:
    """A desk made before 0007 has roles already: its supervisors and admins may go on
    running the watcher (`sla.watch`) and auto-close (`ticket.autoclose`); agents not."""
    migrate.upgrade(store, "0006")
    with store.engine.begin() as conn:
        for name in ("agent", "supervisor", "admin"):
            conn.execute(
                sa.text("INSERT INTO role (name, description) VALUES (:n, :n)"), {"n": name}
            )
    migrate.upgrade(store)
    assert _grants(store) == {
        (role, perm)
        for role in ("supervisor", "admin")
        for perm in ("sla.watch", "ticket.autoclose")
    }
    migrate.upgrade(store)  # at head already: nothing happens twice
    with store.engine.begin() as conn:
        command.downgrade(migrate.alembic_config(store, conn), "0006")
    assert _grants(store) == set()
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert not inspector.has_table("desk_setting") and not inspector.has_table("sla_rule")
        left = conn.scalar(
            sa.text(
                "SELECT count(*) FROM permission WHERE name IN ('sla.watch', 'ticket.autoclose')"
            )
        )
    assert left == 0
    migrate.upgrade(store)  # and up again
    assert len(_grants(store)) == 4


def test_default_roles_list_each_permission_once() -> None:
    """A permission listed twice in a role made `init` fail on its unique key (0007's
    sla.watch came into the supervisor role from two branches)."""
    from helpdesk_tui.services.rbac import DEFAULT_ROLES, PERMISSIONS

    for role, (_description, permissions) in DEFAULT_ROLES.items():
        assert len(permissions) == len(set(permissions)), role
        assert set(permissions) <= set(PERMISSIONS), role
    assert {"sla.watch", "ticket.autoclose"} <= set(DEFAULT_ROLES["supervisor"][1])
    assert "sla.watch" not in DEFAULT_ROLES["agent"][1]
