"""Import and export the knowledge base as a folder of Markdown files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import kb
from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.models import KbArticle


@dataclass
class KbImportReport:
    """What an import did."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"created": self.created, "updated": self.updated}


def _slug(title: str) -> str:
    return re.sub(r"\W+", "-", title.lower()).strip("-")[:60] or "article"


def export_folder(session: Session, actor: Actor, directory: Path) -> list[Path]:
    """Write every article as `<id>-<slug>.md` into `directory` (created if missing)."""
    actor.require("ticket.read")
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for article in session.scalars(sa.select(KbArticle).order_by(KbArticle.id)):  # type: ignore[arg-type]
        path = directory / f"{article.id}-{_slug(article.title)}.md"
        path.write_text(kb.article_to_markdown(article), encoding="utf-8")
        written.append(path)
    return written


def import_folder(session: Session, actor: Actor, directory: Path) -> KbImportReport:
    """Create or update articles from the Markdown files of `directory` (all or nothing).

    A file whose front matter has the `id` of an existing article updates it; others are
    created, as a language version of `group` when given. `status` is applied last.
    """
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder")
    files = sorted(directory.glob("*.md"))
    if not files:
        raise UsageError(f"no .md files in {directory}")
    report = KbImportReport()
    for path in files:
        meta, body = kb.parse_markdown(path)
        tags = meta.get("tags", [])
        if not isinstance(tags, list):
            raise UsageError(f"{path}: tags must be a list")
        draft = kb.ArticleDraft(
            title=str(meta.get("title", path.stem)),
            body=body,
            category=str(meta.get("category", "other")),
            tags=[str(t) for t in tags],
            language=str(meta.get("language", "en")),
            visibility=str(meta.get("visibility", "internal")),
        )
        try:
            article_id = meta.get("id")
            existing: KbArticle | None = None
            if isinstance(article_id, int):
                existing = session.get(KbArticle, article_id)
            if existing is not None:
                article = kb.update_article(session, actor, existing.id or 0, draft)
                report.updated.append(existing.id or 0)
            else:
                group = meta.get("group")
                translation_of = None
                if isinstance(group, int) and session.get(KbArticle, group) is not None:
                    translation_of = group
                article = kb.create_article(session, actor, draft, translation_of=translation_of)
                report.created.append(article.id or 0)
            status = str(meta.get("status", "draft"))
            if status != article.status:
                kb.set_status(session, actor, article.id or 0, status)
        except UsageError as exc:
            raise UsageError(f"{path}: {exc}") from None
    return report
