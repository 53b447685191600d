"""Alembic environment. Always run through `helpdesk_tui.store.migrate`, which passes the
connection in `config.attributes["connection"]`; no URL is read from an ini file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import helpdesk_tui.store.models  # noqa: F401  (registers the tables)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running alembic by hand
    raise RuntimeError("run migrations with `helpdesk db upgrade`")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Full-text tables and columns are made by hand in the migrations, not from models."""
    if (
        type_ == "table"
        and name
        and name.endswith(("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config"))
    ):
        return False
    return not (type_ == "column" and name == "search")


context.configure(
    connection=connection,
    include_object=include_object,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
