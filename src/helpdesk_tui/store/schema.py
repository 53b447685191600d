"""Facts about the stored schema that readers without the ORM need too.

The launch frame reads SQLite with the standard library (store/opening.py) before
SQLAlchemy is imported; it must agree with the ORM on the schema revision it understands
and on the literal predicate of the open-ticket partial index.
"""

from __future__ import annotations

from typing import Final

#: The newest revision this program knows. tests/test_migrations.py checks it is Alembic's head.
SCHEMA_HEAD: Final = "0007"
#: Open = not resolved, closed or cancelled: the WHERE of the partial index `ix_ticket_open_due`.
OPEN_PREDICATE: Final = "status IN ('new', 'in_progress', 'waiting_customer', 'escalated')"
