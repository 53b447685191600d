"""Building the SOP/KB matcher from the database (shared by the TUI and `helpdesk triage`)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.matcher import MatchEntry, Matcher
from helpdesk_tui.store.models import KbArticle, SopEntry


def library_key(session: Session) -> tuple[Any, ...]:
    """Changes whenever an SOP is synced or a published article changes (cheap to query)."""
    sops = session.execute(
        sa.select(sa.func.count(), sa.func.max(col(SopEntry.synced_at))).where(col(SopEntry.active))
    ).one()
    articles = session.execute(
        sa.select(sa.func.count(), sa.func.max(col(KbArticle.updated_at))).where(
            col(KbArticle.status) == "published"
        )
    ).one()
    return (tuple(sops), tuple(articles))


def knowledge_entries(session: Session) -> list[MatchEntry]:
    """Active SOPs and published articles as matcher entries."""
    entries = [
        MatchEntry(
            kind="sop",
            id=row.id,
            title=row.title,
            keywords=tuple(json.loads(row.keywords)),
            symptoms=tuple(json.loads(row.symptoms)),
            body=" ".join(json.loads(row.steps)),
            category=row.category,
        )
        for row in session.scalars(sa.select(SopEntry).where(col(SopEntry.active)))
    ]
    entries += [
        MatchEntry(
            kind="kb",
            id=str(row.id),
            title=row.title,
            keywords=tuple(json.loads(row.tags)),
            body=row.body,
            category=row.category,
        )
        for row in session.scalars(sa.select(KbArticle).where(col(KbArticle.status) == "published"))
    ]
    return entries


def load_matcher(session: Session) -> Matcher:
    """A matcher over what the database holds now."""
    return Matcher(knowledge_entries(session))
