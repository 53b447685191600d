"""Schema migrations through Alembic, run programmatically (`helpdesk db upgrade`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from helpdesk_tui.errors import StoreUnavailable, one_line
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.schema import SCHEMA_HEAD as SCHEMA_HEAD

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(store: Store, connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    # Alembic is imported only when migrating: every other command starts faster.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest).

    A database of a newer schema than this program knows is refused with the same one
    line every other command gives (Alembic would fail on the unknown revision).
    """
    from alembic import command
    from alembic.util import CommandError

    current = _revision_or_fail(store)
    if current is not None and current > SCHEMA_HEAD:
        raise _newer(current)
    try:
        with store.engine.begin() as conn:
            command.upgrade(alembic_config(store, conn), revision)
    except CommandError as exc:
        raise StoreUnavailable(f"cannot upgrade {store.describe()}: {one_line(str(exc))}") from None


def current_revision(store: Store) -> str | None:
    """The schema revision stored in the database, or None for an empty database."""
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def _revision_or_fail(store: Store) -> str | None:
    """`current_revision`, with a database that cannot be opened as one line."""
    try:
        return current_revision(store)
    except sa.exc.DBAPIError as exc:
        reason = one_line(str(exc.orig or exc))
        raise StoreUnavailable(f"cannot open the database {store.describe()}: {reason}") from None


def _newer(revision: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"the database schema ({revision}) is newer than this program ({SCHEMA_HEAD}); "
        "upgrade helpdesk-tui"
    )


def check_schema(store: Store) -> None:
    """Refuse to work on a missing, older or newer schema, with the command that fixes it."""
    path = store.missing_file()
    if path is not None:
        raise StoreUnavailable(f"no database at {path}; run `helpdesk init` first")
    revision = _revision_or_fail(store)
    if revision is None:
        raise StoreUnavailable(f"{store.describe()} has no helpdesk schema; run `helpdesk init`")
    if revision != SCHEMA_HEAD:
        if revision < SCHEMA_HEAD:
            raise StoreUnavailable(
                f"the database schema is older ({revision}); run `helpdesk db upgrade`"
            )
        raise _newer(revision)
