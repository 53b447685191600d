"""The knowledge base: articles with language versions, a publish workflow, feedback, uses.

Articles go draft -> published -> retired. Language versions of one article share a
`group_id`. Marking helpful / not helpful is one vote per agent; linking an article as a
ticket's solution counts a use. Who created, updated and used what is queryable for
knowledge-contribution reports.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.tickets import active_categories, get_ticket, lock_ticket, log, touch
from helpdesk_tui.store.models import Agent, Audit, KbArticle, KbUse, KbVote
from helpdesk_tui.store.search import matching_ids
from helpdesk_tui.store.types import pk, utcnow
from helpdesk_tui.text import escape_for_json, sanitize_data

STATUSES: Final = ("draft", "published", "retired")
VISIBILITIES: Final = ("internal", "public")
#: Allowed status moves.
MOVES: Final = {
    "draft": ("published", "retired"),
    "published": ("retired", "draft"),
    "retired": ("draft",),
}
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass
class ArticleDraft:
    """What an author writes."""

    title: str
    body: str
    category: str
    tags: list[str]
    language: str = "en"
    visibility: str = "internal"


def _validate(session: Session, draft: ArticleDraft) -> None:
    if not draft.title.strip():
        raise UsageError("an article needs a title")
    if not draft.body.strip():
        raise UsageError("an article needs a body")
    categories = active_categories(session)
    if draft.category not in categories:
        raise invalid_choice("category", draft.category, categories)
    if draft.visibility not in VISIBILITIES:
        raise invalid_choice("visibility", draft.visibility, VISIBILITIES)
    if not _LANG.match(draft.language):
        raise UsageError(f"not a language tag: {draft.language!r} (e.g. en, de, pt-BR)")


def create_article(
    session: Session,
    actor: Actor,
    draft: ArticleDraft,
    *,
    translation_of: int | None = None,
    source_ticket_id: int | None = None,
    now: datetime | None = None,
) -> KbArticle:
    """Write a new article (a draft), or a new language version of an existing one."""
    actor.require("kb.write")
    _validate(session, draft)
    now = now or utcnow()
    group_id = None
    if translation_of is not None:
        original = get_article(session, translation_of)
        group_id = original.group_id or original.id
        clash = session.scalars(
            sa.select(col(KbArticle.id)).where(
                col(KbArticle.group_id) == group_id, col(KbArticle.language) == draft.language
            )
        ).first()
        if clash is not None:
            raise Conflict(f"article #{group_id} already has a {draft.language} version (#{clash})")
    article = KbArticle(
        group_id=group_id,
        title=draft.title.strip(),
        body=draft.body,
        category=draft.category,
        tags=json.dumps(sorted({t.strip().lower() for t in draft.tags if t.strip()})),
        language=draft.language,
        visibility=draft.visibility,
        status="draft",
        source_ticket_id=source_ticket_id,
        created_by_id=actor.agent_id,
        updated_by_id=actor.agent_id,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    session.flush()
    if article.group_id is None:
        article.group_id = article.id
    record_audit(
        session, actor, "kb.create", "kb_article", article.id, {"title": article.title}, now=now
    )
    return article


def get_article(session: Session, article_id: int) -> KbArticle:
    """One article, or NotFound."""
    article = session.get(KbArticle, article_id)
    if article is None:
        raise NotFound(f"no knowledge article #{article_id}")
    return article


def update_article(
    session: Session,
    actor: Actor,
    article_id: int,
    draft: ArticleDraft,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> KbArticle:
    """Edit an article (a stale version is a conflict, never a silent overwrite)."""
    actor.require("kb.write")
    _validate(session, draft)
    now = now or utcnow()
    article = get_article(session, article_id)
    if expected_version is not None and article.version != expected_version:
        raise Conflict(
            f"article #{article_id} was changed by someone else (version {article.version}, "
            f"you had {expected_version}); reload it"
        )
    article.title, article.body, article.category = draft.title.strip(), draft.body, draft.category
    article.tags = json.dumps(sorted({t.strip().lower() for t in draft.tags if t.strip()}))
    article.language, article.visibility = draft.language, draft.visibility
    article.updated_by_id, article.updated_at = actor.agent_id, now
    article.version += 1
    record_audit(
        session, actor, "kb.update", "kb_article", article_id, {"version": article.version}, now=now
    )
    return article


def set_status(
    session: Session, actor: Actor, article_id: int, status: str, *, now: datetime | None = None
) -> KbArticle:
    """Publish, retire or send back to draft (publishing needs `kb.publish`)."""
    if status not in STATUSES:
        raise invalid_choice("article status", status, STATUSES)
    actor.require("kb.publish" if status in ("published", "retired") else "kb.write")
    article = get_article(session, article_id)
    if status not in MOVES[article.status]:
        allowed = ", ".join(MOVES[article.status])
        raise UsageError(f"a {article.status} article cannot become {status}; allowed: {allowed}")
    old, article.status = article.status, status
    article.updated_at, article.updated_by_id = now or utcnow(), actor.agent_id
    article.version += 1
    record_audit(session, actor, f"kb.{status}", "kb_article", article_id, {"from": old}, now=now)
    return article


def vote(session: Session, actor: Actor, article_id: int, helpful: bool) -> KbArticle:
    """Mark an article helpful or not (one vote per agent; a new vote replaces the old)."""
    actor.require("ticket.read")
    article = get_article(session, article_id)
    agent_id = actor.agent_id
    if agent_id is None:
        raise UsageError("the system account cannot vote")
    previous = session.get(KbVote, (article_id, agent_id))
    if previous is not None:
        if previous.helpful == helpful:
            return article
        if previous.helpful:
            article.helpful -= 1
        else:
            article.not_helpful -= 1
        previous.helpful, previous.at = helpful, utcnow()
    else:
        session.add(KbVote(article_id=article_id, agent_id=agent_id, helpful=helpful))
    if helpful:
        article.helpful += 1
    else:
        article.not_helpful += 1
    return article


def link_solution(
    session: Session, actor: Actor, ticket_id: int, article_id: int, *, now: datetime | None = None
) -> None:
    """Record an article as the ticket's solution: logged, and counted as a use."""
    actor.require("ticket.note")
    now = now or utcnow()
    article = get_article(session, article_id)
    if article.status != "published":
        raise UsageError(
            f"article #{article_id} is {article.status}; only published ones solve tickets"
        )
    ticket = lock_ticket(session, ticket_id)
    ticket.solution_kb_id = article_id
    touch(ticket, now)
    article.uses += 1
    session.add(KbUse(article_id=article_id, ticket_id=ticket_id, agent_id=actor.agent_id, at=now))
    log(session, actor, ticket_id, "kb", f"solution: KB article #{article_id} {article.title}", now)
    record_audit(session, actor, "kb.use", "ticket", ticket_id, {"article": article_id}, now=now)


def draft_from_ticket(session: Session, actor: Actor, ticket_id: int) -> ArticleDraft:
    """A new article prefilled from a resolved ticket: symptoms, what was tried, resolution."""
    ticket = get_ticket(session, actor, ticket_id)
    if ticket.status not in ("resolved", "closed"):
        raise UsageError(
            f"ticket #{ticket_id} is {ticket.status}; write articles from resolved ones"
        )
    lines = ["## Symptoms", "", ticket.title, ""]
    if ticket.body.strip():
        lines += [ticket.body.strip(), ""]
    if ticket.error_codes:
        lines += [f"Error codes: {ticket.error_codes}", ""]
    if ticket.affected_system:
        lines += [f"Affected system: {ticket.affected_system}", ""]
    if ticket.tried:
        lines += ["## Already tried", "", ticket.tried, ""]
    lines += ["## Resolution", "", ticket.resolution or "(describe the fix)", ""]
    return ArticleDraft(
        title=ticket.title, body="\n".join(lines), category=ticket.category, tags=[ticket.category]
    )


def article_dict(article: KbArticle) -> dict[str, Any]:
    """JSON-able form (`kb show --json`)."""
    return {
        "id": article.id,
        "group_id": article.group_id,
        "title": article.title,
        "category": article.category,
        "tags": json.loads(article.tags),
        "language": article.language,
        "visibility": article.visibility,
        "status": article.status,
        "body": article.body,
        "version": article.version,
        "helpful": article.helpful,
        "not_helpful": article.not_helpful,
        "uses": article.uses,
        "source_ticket_id": article.source_ticket_id,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
    }


def list_articles(
    session: Session,
    *,
    status: str | None = None,
    language: str | None = None,
    category: str | None = None,
    search: str = "",
    limit: int = 200,
) -> list[KbArticle]:
    """Articles matching the filters, newest first; `search` uses the full-text index."""
    query = sa.select(KbArticle)
    if status is not None:
        query = query.where(col(KbArticle.status) == status)
    if language is not None:
        query = query.where(col(KbArticle.language) == language)
    if category is not None:
        query = query.where(col(KbArticle.category) == category)
    if search.strip():
        ids = kb_matching_ids(session.get_bind().dialect.name, search)
        if ids is not None:
            query = query.where(col(KbArticle.id).in_(ids.scalar_subquery()))
    return list(session.scalars(query.order_by(col(KbArticle.id).desc()).limit(limit)))


def kb_matching_ids(dialect: str, text: str, limit: int = 2000) -> sa.Select[Any] | None:
    """Article ids matching `text` in title or body (FTS5 / tsvector), newest first."""
    return matching_ids(dialect, text, table="kb_article", fts_table="kb_fts", limit=limit)


def contribution(session: Session, since: datetime | None = None) -> list[dict[str, Any]]:
    """Knowledge contribution per agent: articles created, updates made, solutions used."""

    def counts(query: Any) -> dict[int, int]:
        return {row[0]: row[1] for row in session.execute(query) if row[0] is not None}

    created_q = sa.select(col(KbArticle.created_by_id), sa.func.count()).group_by(
        col(KbArticle.created_by_id)
    )
    updated_q = (
        sa.select(col(Audit.actor_id), sa.func.count())
        .where(col(Audit.action) == "kb.update")
        .group_by(col(Audit.actor_id))
    )
    used_q = sa.select(col(KbUse.agent_id), sa.func.count()).group_by(col(KbUse.agent_id))
    if since is not None:
        created_q = created_q.where(col(KbArticle.created_at) >= since)
        updated_q = updated_q.where(col(Audit.at) >= since)
        used_q = used_q.where(col(KbUse.at) >= since)
    created, updated, used = counts(created_q), counts(updated_q), counts(used_q)
    agents = {pk(a): a.login for a in session.scalars(sa.select(Agent))}
    ids = sorted(set(created) | set(updated) | set(used))
    return [
        {
            "agent": agents.get(i, str(i)),
            "created": created.get(i, 0),
            "updated": updated.get(i, 0),
            "used": used.get(i, 0),
        }
        for i in ids
    ]


# -- Markdown files with TOML front matter (import / export) ------------------------------


def _toml_string(value: str) -> str:
    """A TOML basic string: control, DEL, C1 and bidi characters as `\\uXXXX` escapes.

    JSON's escapes are TOML's, except that JSON leaves DEL raw, which TOML refuses;
    `escape_for_json` escapes it, and keeps the file free of anything a terminal runs.
    """
    return escape_for_json(json.dumps(value, ensure_ascii=False))


def article_to_markdown(article: KbArticle) -> str:
    """One article as a Markdown file with `+++` TOML front matter.

    The front matter is exact (TOML escapes); the body is written through
    `sanitize_data`: a file someone may `cat` or open in an editor never carries a raw
    escape sequence, so control and bidi characters come out as visible stand-ins.
    """
    tags = ", ".join(_toml_string(t) for t in json.loads(article.tags))
    front = [
        "+++",
        f"id = {article.id}",
        f"group = {article.group_id}",
        f"title = {_toml_string(article.title)}",
        f"category = {_toml_string(article.category)}",
        f"tags = [{tags}]",
        f"language = {_toml_string(article.language)}",
        f"visibility = {_toml_string(article.visibility)}",
        f"status = {_toml_string(article.status)}",
        "+++",
        "",
    ]
    return "\n".join(front) + sanitize_data(article.body).rstrip() + "\n"


def parse_markdown(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and body of an article file; UsageError names the file on problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    if not text.startswith("+++"):
        return {"title": path.stem.replace("-", " ")}, text
    try:
        _, front, body = text.split("+++", 2)
        meta = tomllib.loads(front)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: bad front matter ({exc})") from None
    return meta, body.lstrip("\n")
