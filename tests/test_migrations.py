"""Alembic migrations: head matches the code, and the schema matches the models."""

from __future__ import annotations

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
