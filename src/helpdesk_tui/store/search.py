"""Full-text search over tickets behind one interface (DESIGN §4).

SQLite: the FTS5 table `ticket_fts`; PostgreSQL: the generated `search` tsvector column.
Both return candidate ids newest first with a LIMIT, never a ranked scan of everything
(DESIGN §9: ranking a common term over 1M rows takes a second); callers filter and sort
the candidates in a second step.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

_TOKEN = re.compile(r"\w+", re.UNICODE)


def search_tokens(text: str) -> list[str]:
    """The words of a search box: letters and digits only, so nothing is query syntax."""
    return [t.lower() for t in _TOKEN.findall(text)][:12]


def fts5_query(tokens: list[str]) -> str:
    """An FTS5 MATCH string: every word required, the last one as a prefix (search as you type)."""
    parts = [f'"{t}"' for t in tokens]
    if parts:
        parts[-1] += "*"
    return " ".join(parts)


def tsquery(tokens: list[str]) -> str:
    """A PostgreSQL to_tsquery string with the same meaning as `fts5_query`."""
    parts = list(tokens)
    if parts:
        parts[-1] += ":*"
    return " & ".join(parts)


def matching_ids(
    dialect: str, text: str, *, table: str, fts_table: str, limit: int = 2000
) -> sa.Select[Any] | None:
    """A SELECT of ids of `table` whose title or body match `text`, newest first.

    SQLite searches the FTS5 table `fts_table`; PostgreSQL the table's generated `search`
    tsvector column. Returns None when `text` has no words (nothing to search for).
    """
    tokens = search_tokens(text)
    if not tokens:
        return None
    if dialect == "sqlite":
        fts = sa.table(fts_table, sa.column("rowid"))
        return (
            sa.select(fts.c.rowid.label("id"))
            .where(sa.text(f"{fts_table} MATCH :q").bindparams(q=fts5_query(tokens)))
            .order_by(fts.c.rowid.desc())
            .limit(limit)
        )
    rows = sa.table(table, sa.column("id"), sa.column("search"))
    return (
        sa.select(rows.c.id)
        .where(sa.text("search @@ to_tsquery('simple', :q)").bindparams(q=tsquery(tokens)))
        .order_by(rows.c.id.desc())
        .limit(limit)
    )


def matching_ticket_ids(dialect: str, text: str, limit: int = 2000) -> sa.Select[Any] | None:
    """Ticket ids matching `text` (the queue's search box), newest first."""
    return matching_ids(dialect, text, table="ticket", fts_table="ticket_fts", limit=limit)
