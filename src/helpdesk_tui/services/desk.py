"""The service facade the TUI talks to: one short transaction per call, no Textual.

The app gets a `DeskService` by constructor injection and calls it from thread workers;
every method opens and closes its own unit of work, so nothing holds a transaction
open while an agent types (DESIGN §4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.services import (
    closure,
    escalation,
    queue,
    rbac,
    ticket_access,
    views,
    workflow,
)
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.desk_knowledge import KnowledgeDesk
from helpdesk_tui.services.desk_policy import load_policy
from helpdesk_tui.services.desk_surveys import SurveyDesk
from helpdesk_tui.services.learning import active_model_info, load_active_model
from helpdesk_tui.services.queue_types import NearestBreach, PageKey, QueuePage, QueueQuery
from helpdesk_tui.services.sla import SlaBook
from helpdesk_tui.services.tickets import NewTicket, active_categories, create_ticket, triage_input
from helpdesk_tui.services.triage import Advice, Triage
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Agent, Requester, SupportGroup, Ticket
from helpdesk_tui.store.types import utcnow
from helpdesk_tui.store.watch import ChangeWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequesterHit:
    """A requester found by the intake lookup, with how well they matched."""

    id: int
    name: str
    email: str | None
    phone: str | None
    vip: bool
    score: float


class DeskService(KnowledgeDesk, SurveyDesk):
    """Everything the screens ask of the desk, for one acting agent."""

    def __init__(
        self,
        store: Store,
        login: str,
        *,
        as_login: str | None = None,
        rules: RuleSet | None = None,
        clock: Callable[[], datetime] = utcnow,
        sop_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.sop_dir = sop_dir
        self._knowledge_init()
        self._login = login
        self._as_login = as_login
        self.rules = rules or RuleSet.default()
        self._engine = Triage(self.rules)
        #: Version of the learned model in `_engine`; -1 = not looked yet, None = no model.
        self._model_version: int | None = -1
        self.clock = clock
        self._actor: Actor | None = None
        self._book: SlaBook | None = None
        self._watcher = ChangeWatcher(store)
        # Take the change baseline now, before the first page is read: a commit made
        # between start-up and the first poll must still be noticed.
        self._watcher.changed()
        self._requesters: list[tuple[int, str, str | None, str | None, bool]] | None = None
        self._requester_choices: list[str] = []

    # -- identity -------------------------------------------------------------------
    @property
    def actor(self) -> Actor:
        """The acting agent (loaded on first use)."""
        if self._actor is None:
            with self.store.read() as session:
                self._actor = rbac.resolve_actor(session, self._login, self._as_login)
        return self._actor

    def now(self) -> datetime:
        """The desk's clock (frozen in tests and snapshots)."""
        return self.clock()

    def _sla_book(self, session: Session) -> SlaBook:
        if self._book is None:
            self._book = SlaBook.load(session)
        return self._book

    def _write(self, work: Callable[[Session, Actor], Any]) -> Any:
        actor = self.actor
        return self.store.run_write(lambda session: work(session, actor))

    # -- queue ----------------------------------------------------------------------
    def queue_page(
        self,
        query: QueueQuery,
        *,
        after: PageKey | None = None,
        before: PageKey | None = None,
        last: bool = False,
        limit: int = queue.PAGE_SIZE,
    ) -> QueuePage:
        """One keyset page of the queue."""
        with self.store.read() as session:
            return queue.fetch_page(
                session,
                self.actor,
                query,
                now=self.now(),
                after=after,
                before=before,
                last=last,
                limit=limit,
                book=self._sla_book(session),
            )

    def queue_count(self, query: QueueQuery) -> int:
        """How many tickets the query matches."""
        with self.store.read() as session:
            return queue.count(session, self.actor, query)

    def changed(self) -> bool:
        """True when anyone committed since the last call (cheap; poll it)."""
        return self._watcher.changed()

    def nearest_breach(self) -> NearestBreach | None:
        """The soonest resolution due time among my open tickets and the Unassigned view's."""
        with self.store.read() as session:
            row = session.execute(
                sa.select(col(Ticket.id), col(Ticket.resolve_due))
                .where(
                    col(Ticket.status).in_(("new", "in_progress", "escalated")),
                    sa.or_(
                        col(Ticket.assignee_id) == self.actor.agent_id,
                        queue.first_line_unassigned(),
                    ),
                    col(Ticket.resolve_due).is_not(None),
                )
                .order_by(col(Ticket.resolve_due), col(Ticket.id))
                .limit(1)
            ).first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return NearestBreach(row[0], row[1])

    # -- one ticket -----------------------------------------------------------------
    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """Everything about one ticket (the `ticket show --json` dict)."""
        with self.store.read() as session:
            return views.ticket_detail(
                session, self.actor, ticket_id, self.now(), self._sla_book(session)
            )

    def ticket_actions(self, ticket_id: int) -> dict[str, ticket_access.Decision]:
        """What I may do with the ticket now, per screen action, with why not."""
        with self.store.read() as session:
            reopen_days = load_policy(session).reopen_days
            return ticket_access.ticket_actions(
                session, self.actor, ticket_id, now=self.now(), reopen_days=reopen_days
            )

    def create_ticket(self, data: NewTicket) -> int:
        """Record a ticket; returns its id."""
        engine = self.triage_engine()
        ticket = self._write(lambda s, a: create_ticket(s, a, data, rules=engine, now=self.now()))
        assert ticket.id is not None
        return int(ticket.id)

    def add_interaction(
        self, ticket_id: int, kind: str, text: str, *, handle_seconds: int = 0
    ) -> None:
        """Add a note, call, mail or chat to the log."""
        self._write(
            lambda s, a: workflow.add_interaction(
                s, a, ticket_id, kind, text, handle_seconds=handle_seconds, now=self.now()
            )
        )

    def take(self, ticket_id: int) -> None:
        """Take the ticket (Conflict if someone else has it)."""
        self._write(lambda s, a: workflow.take_ticket(s, a, ticket_id, now=self.now()))

    def change_status(
        self,
        ticket_id: int,
        status: str,
        *,
        note: str = "",
        code: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Move the ticket through its lifecycle (resolving needs a code and a summary)."""
        self._write(
            lambda s, a: workflow.change_status(
                s,
                a,
                ticket_id,
                status,
                note=note,
                code=code,
                reopen_days=load_policy(s).reopen_days,
                expected_version=expected_version,
                now=self.now(),
            )
        )

    def confirm(self, ticket_id: int, via: str, *, note: str = "") -> None:
        """Record the requester's confirmation of the resolution and close the ticket."""
        self._write(
            lambda s, a: closure.confirm_resolution(s, a, ticket_id, via, note=note, now=self.now())
        )

    def update(
        self,
        ticket_id: int,
        changes: dict[str, Any],
        *,
        reason: str = "",
        expected_version: int | None = None,
    ) -> None:
        """Change facts, category, priority or assignment (StaleTicket if it moved)."""
        self._write(
            lambda s, a: workflow.update_ticket(
                s,
                a,
                ticket_id,
                changes,
                reason=reason,
                expected_version=expected_version,
                now=self.now(),
            )
        )

    def escalate(
        self,
        ticket_id: int,
        group: str | None,
        *,
        reason: str,
        package: str | None = None,
        to_supervisor: bool = False,
        expected_version: int | None = None,
    ) -> None:
        """Escalate to an L2/L3 group, or (`group` None, `to_supervisor`) to a supervisor."""
        self._write(
            lambda s, a: escalation.escalate_ticket(
                s,
                a,
                ticket_id,
                group,
                reason=reason,
                package=package,
                to_supervisor=to_supervisor,
                expected_version=expected_version,
                now=self.now(),
            )
        )

    def handoff_draft(self, ticket_id: int, sop_ids: tuple[str, ...] = ()) -> str:
        """The generated handoff package, for the agent to review before escalating."""
        with self.store.read() as session:
            return views.handoff_package(session, self.actor, ticket_id, self.now(), sop_ids)

    def escalation_brief(self, ticket_id: int, sop_ids: tuple[str, ...] = ()) -> list[str]:
        """SLA terms, time left and the escalate_if criteria, as lines."""
        with self.store.read() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return []
            return views.escalation_brief(session, ticket, self.now(), sop_ids).lines()

    def hand_back(self, ticket_id: int, note: str, *, expected_version: int | None = None) -> None:
        """Hand an escalated ticket back to first line with a note."""
        self._write(
            lambda s, a: escalation.hand_back(
                s, a, ticket_id, note, expected_version=expected_version, now=self.now()
            )
        )

    def ask(self, ticket_id: int, whom: str, text: str) -> None:
        """Ask the requester (waiting_customer) or first line for information."""
        self._write(
            lambda s, a: escalation.ask_information(s, a, ticket_id, whom, text, now=self.now())
        )

    def support_groups(self) -> list[tuple[str, int]]:
        """(name, tier) of every support group."""
        with self.store.read() as session:
            rows = session.execute(
                sa.select(col(SupportGroup.name), col(SupportGroup.tier)).order_by(
                    col(SupportGroup.tier), col(SupportGroup.name)
                )
            )
            return [(r[0], r[1]) for r in rows]

    # -- intake ---------------------------------------------------------------------
    def categories(self) -> list[str]:
        """The desk's active categories."""
        with self.store.read() as session:
            return active_categories(session)

    def triage_engine(self) -> Triage:
        """Rules plus the desk's active learned model (reloaded when a newer one is trained).

        Loading imports numpy lazily: call from a worker, never on the UI thread.
        """
        with self.store.read() as session:
            info = active_model_info(session)
            version = info.version if info else None
            if version != self._model_version:
                model = None
                if info is not None:
                    try:
                        model = load_active_model(session)
                    except HelpdeskError as exc:  # e.g. the [ml] extra is not installed
                        log.warning("learned category model not used: %s", exc)
                self._engine, self._model_version = Triage(self.rules, model), version
        return self._engine

    def triage(self, data: NewTicket, *, vip: bool = False) -> Advice:
        """Category and priority suggestions (rules + learned model) with reasons."""
        return self.triage_engine().evaluate(triage_input(data, vip), self.categories())

    def find_requesters(self, text: str, limit: int = 6) -> list[RequesterHit]:
        """Requesters matching `text` by name, phone or e-mail (rapidfuzz), best first."""
        text = text.strip()
        if not text:
            return []
        from rapidfuzz import fuzz, process, utils

        if self._requesters is None:
            with self.store.read() as session:
                rows = session.execute(
                    sa.select(
                        col(Requester.id),
                        col(Requester.name),
                        col(Requester.email),
                        col(Requester.phone),
                        col(Requester.vip),
                    ).order_by(col(Requester.id))
                ).all()
            self._requesters = [(r[0] or 0, r[1], r[2], r[3], r[4]) for r in rows]
            self._requester_choices = [
                utils.default_process(" ".join(x for x in (r[1], r[2] or "", r[3] or "") if x))
                for r in self._requesters
            ]
        found = process.extract(
            utils.default_process(text),
            self._requester_choices,
            scorer=fuzz.WRatio,
            limit=limit,
            score_cutoff=60,
            processor=None,
        )
        return [
            RequesterHit(*self._requesters[index], score=float(score))
            for _choice, score, index in found
        ]

    def forget_requesters(self) -> None:
        """Drop the requester lookup cache (after one was added)."""
        self._requesters = None

    # -- presence -------------------------------------------------------------------
    def set_presence(self, presence: str) -> None:
        """Set my presence (available / busy / away)."""
        self._write(lambda s, a: rbac.set_presence(s, a, presence, now=self.now()))

    def presence(self) -> str:
        """My current presence."""
        with self.store.read() as session:
            value = session.scalar(
                sa.select(col(Agent.presence)).where(col(Agent.id) == self.actor.agent_id)
            )
        return str(value or "available")

    def team_presence(self) -> list[tuple[str, str]]:
        """(login, presence) of every active agent, for showing who is at the desk."""
        with self.store.read() as session:
            rows = session.execute(
                sa.select(col(Agent.login), col(Agent.presence))
                .where(col(Agent.active))
                .order_by(col(Agent.login))
            )
            return [(r[0], r[1]) for r in rows]

    def open_count(self) -> int:
        """Open tickets in the desk (for the header)."""
        return self.queue_count(QueueQuery(view="open"))

    # -- notifications (SLA monitoring) ---------------------------------------------
    def unread_count(self) -> int:
        """My unread notifications (one index lookup: cheap enough for every poll)."""
        from helpdesk_tui.services import monitor

        with self.store.read() as session:
            return monitor.unread_count(session, self.actor)

    def notifications(self, *, unread_only: bool = False) -> list[Any]:
        """My notifications (`monitor.NotificationRow`), unread first, newest first."""
        from helpdesk_tui.services import monitor

        with self.store.read() as session:
            return list(monitor.list_notifications(session, self.actor, unread_only=unread_only))

    def mark_read(self, ids: list[int] | None) -> int:
        """Mark my notifications `ids` (None: all of them) read; returns how many changed."""
        from helpdesk_tui.services import monitor

        return int(self._write(lambda s, a: monitor.mark_read(s, a, ids, now=self.now())))

    def close(self) -> None:
        """Release the change watcher's connection."""
        self._watcher.close()
