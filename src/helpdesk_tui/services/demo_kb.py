"""The knowledge articles a demo desk starts with (`helpdesk demo`).

A handful of published articles on the demo's most frequent tickets (Outlook, VPN,
lockouts, file shares, ...), so that the knowledge base, its suggestions on a ticket
and `helpdesk kb list` show something on a fresh demo. They are ordinary Markdown files
in `helpdesk_tui/data/demo_kb`, in the format of `helpdesk kb import`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.kb_files import import_folder
from helpdesk_tui.store.models import KbArticle


def demo_kb_dir() -> Path:
    """The folder of the shipped demo articles."""
    return Path(__file__).resolve().parents[1] / "data" / "demo_kb"


def load_demo_articles(session: Session, actor: Actor) -> int:
    """Import the demo articles into a knowledge base that is still empty; the number added.

    A desk that has articles keeps exactly those (`demo --append` adds none twice).
    Needs `kb.write` and `kb.publish` (the demo's admin has both).
    """
    if session.scalar(sa.select(col(KbArticle.id)).limit(1)) is not None:
        return 0
    return len(import_folder(session, actor, demo_kb_dir()).created)
