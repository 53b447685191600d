"""The knowledge half of the TUI's service facade: SOPs, runs, KB, live suggestions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from helpdesk_tui.services import kb, sop
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.matcher import Match, Matcher
from helpdesk_tui.services.sop_files import shipped_sop_dir
from helpdesk_tui.services.suggestions import library_key, load_matcher
from helpdesk_tui.store.engine import Store


class KnowledgeDesk:
    """Mixed into DeskService: everything about SOPs and knowledge articles."""

    store: Store
    sop_dir: Path | None

    if TYPE_CHECKING:  # provided by DeskService

        @property
        def actor(self) -> Actor: ...

        def now(self) -> datetime: ...

        def _write(self, work: Callable[[Session, Actor], Any]) -> Any: ...

    def _knowledge_init(self) -> None:
        self._matcher: Matcher | None = None
        self._matcher_key: tuple[Any, ...] | None = None
        self._matcher_lock = threading.Lock()
        self._fingerprint: str | None = None

    # -- SOP files -------------------------------------------------------------------
    def sync_sops_if_changed(self) -> bool:
        """Re-index the SOP files when they changed on disk (as the system, audited)."""
        folder = self.sop_dir or shipped_sop_dir()
        fingerprint = sop.library_fingerprint(folder)
        if fingerprint == self._fingerprint:
            return False
        report = self.store.run_write(lambda s: sop.sync_sops(s, SYSTEM, folder, now=self.now()))
        self._fingerprint = fingerprint
        changed = bool(report.added or report.updated or report.retired)
        if changed:
            self._matcher = None
        return changed

    def sops(self, category: str | None = None) -> list[sop.SopView]:
        """Active SOPs, by category then title."""
        with self.store.read() as session:
            return sop.list_sops(session, category=category)

    def sop_view(self, sop_id: str) -> sop.SopView:
        """One SOP."""
        with self.store.read() as session:
            return sop.get_sop(session, sop_id)

    def start_sop(self, ticket_id: int, sop_id: str) -> sop.RunView:
        """Start (or resume) following an SOP on a ticket."""
        run: sop.RunView = self._write(
            lambda s, a: sop.start_run(s, a, ticket_id, sop_id, now=self.now())
        )
        return run

    def tick(self, run_id: int, step: int, done: bool) -> sop.RunView:
        """Tick or untick a step; the tick lands in the ticket's log."""
        run: sop.RunView = self._write(
            lambda s, a: sop.tick_step(s, a, run_id, step, done=done, now=self.now())
        )
        return run

    def finish_sop(self, run_id: int, outcome: str, note: str = "") -> sop.RunView:
        """Record how the SOP ended (resolved marks the ticket 'resolved by SOP')."""
        run: sop.RunView = self._write(
            lambda s, a: sop.finish_run(s, a, run_id, outcome, note=note, now=self.now())
        )
        return run

    def sop_runs(self, ticket_id: int) -> list[sop.RunView]:
        """Every SOP run on the ticket."""
        with self.store.read() as session:
            return sop.runs_of_ticket(session, ticket_id)

    # -- knowledge articles ------------------------------------------------------------
    def articles(self, search: str = "", status: str | None = None) -> list[dict[str, Any]]:
        """Articles (newest first), optionally searched and filtered."""
        with self.store.read() as session:
            return [
                kb.article_dict(a) for a in kb.list_articles(session, search=search, status=status)
            ]

    def article(self, article_id: int) -> dict[str, Any]:
        """One article."""
        with self.store.read() as session:
            return kb.article_dict(kb.get_article(session, article_id))

    def save_article(
        self,
        draft: kb.ArticleDraft,
        *,
        article_id: int | None = None,
        expected_version: int | None = None,
        source_ticket_id: int | None = None,
    ) -> int:
        """Create or update an article; returns its id."""

        def work(s: Session, a: Actor) -> int:
            if article_id is None:
                return int(
                    kb.create_article(
                        s, a, draft, source_ticket_id=source_ticket_id, now=self.now()
                    ).id
                    or 0
                )
            kb.update_article(
                s, a, article_id, draft, expected_version=expected_version, now=self.now()
            )
            return article_id

        result = int(self._write(work))
        self._matcher = None
        return result

    def article_status(self, article_id: int, status: str) -> None:
        """Publish, retire or send back to draft."""
        self._write(lambda s, a: kb.set_status(s, a, article_id, status, now=self.now()))
        self._matcher = None

    def vote(self, article_id: int, helpful: bool) -> None:
        """Mark an article helpful or not."""
        self._write(lambda s, a: kb.vote(s, a, article_id, helpful))

    def link_solution(self, ticket_id: int, article_id: int) -> None:
        """Record the article as the ticket's solution (a use)."""
        self._write(lambda s, a: kb.link_solution(s, a, ticket_id, article_id, now=self.now()))

    def article_draft_from_ticket(self, ticket_id: int) -> kb.ArticleDraft:
        """A new article prefilled from a resolved ticket."""
        with self.store.read() as session:
            return kb.draft_from_ticket(session, self.actor, ticket_id)

    # -- suggestions ---------------------------------------------------------------------
    def matcher(self) -> Matcher:
        """The matcher over active SOPs and published articles, rebuilt only when they change."""
        with self._matcher_lock, self.store.read() as session:
            key = library_key(session)
            if self._matcher is None or key != self._matcher_key:
                self._matcher, self._matcher_key = load_matcher(session), key
            return self._matcher

    def suggest(self, text: str, *, limit: int = 5, kind: str | None = None) -> list[Match]:
        """SOPs and articles that match what the agent typed, best first (call from a worker)."""
        if not text.strip():
            return []
        return self.matcher().match(text, limit=limit, kind=kind)
