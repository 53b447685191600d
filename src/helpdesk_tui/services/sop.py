"""The SOP library in the database: syncing the files, reading, running SOPs on tickets.

The Markdown files in sop/ are the source of truth; `sync_sops` indexes them (only
changed files are rewritten, by content hash) so the app and reports can query them.
Running an SOP on a ticket records each ticked step in the ticket's log with time and
agent, and a successful run stores "resolved by SOP X" on the ticket.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.sop_files import Sop, load_library
from helpdesk_tui.services.tickets import lock_ticket, log, touch
from helpdesk_tui.store.models import SopEntry, SopRun
from helpdesk_tui.store.types import utcnow

#: How a run on a ticket can end.
RUN_OUTCOMES = ("resolved", "escalated", "not_applicable", "abandoned")


@dataclass(frozen=True)
class SyncReport:
    """What a sync changed."""

    added: list[str]
    updated: list[str]
    retired: list[str]
    unchanged: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "added": self.added,
            "updated": self.updated,
            "retired": self.retired,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class SopView:
    """An SOP as the screens and `sop show` display it."""

    id: str
    title: str
    category: str
    keywords: list[str]
    symptoms: list[str]
    applies_to: list[str]
    escalate_if: list[str]
    steps: list[str]
    body: str
    owner: str
    version: int
    reviewed: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(self.__dict__)


def _fields(sop: Sop, now: datetime) -> dict[str, Any]:
    return {
        "title": sop.title,
        "category": sop.category,
        "keywords": json.dumps(list(sop.keywords)),
        "symptoms": json.dumps(list(sop.symptoms)),
        "applies_to": json.dumps(list(sop.applies_to)),
        "escalate_if": json.dumps(list(sop.escalate_if)),
        "steps": json.dumps([step.text for step in sop.steps]),
        "body": sop.body,
        "owner": sop.owner,
        "version": sop.version,
        "reviewed": sop.reviewed,
        "path": str(sop.path),
        "sha256": sop.sha256,
        "active": True,
        "synced_at": now,
    }


def sync_sops(
    session: Session, actor: Actor, directory: Path, *, now: datetime | None = None
) -> SyncReport:
    """Index the SOP files of `directory`: add new, update changed, retire vanished ones.

    A library with any broken file is refused whole (run `helpdesk sop lint`).
    """
    actor.require("sop.manage")
    return sync_library(session, actor, load_library(directory), now=now)


def sync_library(
    session: Session, actor: Actor, sops: Sequence[Sop], *, now: datetime | None = None
) -> SyncReport:
    """Index already loaded SOPs (`load_library`): add new, update changed, retire vanished."""
    actor.require("sop.manage")
    now = now or utcnow()
    existing = {row.id: row for row in session.scalars(sa.select(SopEntry))}
    added, updated = [], []
    unchanged = 0
    for sop in sops:
        row = existing.get(sop.id)
        if row is None:
            session.add(SopEntry(id=sop.id, **_fields(sop, now)))
            added.append(sop.id)
        elif row.sha256 != sop.sha256 or not row.active:
            for name, value in _fields(sop, now).items():
                setattr(row, name, value)
            updated.append(sop.id)
        else:
            unchanged += 1
    seen = {sop.id for sop in sops}
    retired = [sid for sid, row in existing.items() if sid not in seen and row.active]
    for sid in retired:
        existing[sid].active = False
    if added or updated or retired:
        record_audit(
            session,
            actor,
            "sop.sync",
            "sop",
            None,
            {"added": len(added), "updated": len(updated), "retired": len(retired)},
            now=now,
        )
    return SyncReport(sorted(added), sorted(updated), sorted(retired), unchanged)


def library_fingerprint(directory: Path) -> str:
    """A cheap token that changes when any SOP file changes (names, sizes, mtimes)."""
    parts = [
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in sorted(directory.glob("*.md"))
    ]
    return "|".join(parts)


def _view(row: SopEntry) -> SopView:
    return SopView(
        id=row.id,
        title=row.title,
        category=row.category,
        keywords=json.loads(row.keywords),
        symptoms=json.loads(row.symptoms),
        applies_to=json.loads(row.applies_to),
        escalate_if=json.loads(row.escalate_if),
        steps=json.loads(row.steps),
        body=row.body,
        owner=row.owner,
        version=row.version,
        reviewed=row.reviewed.isoformat() if row.reviewed else None,
    )


def list_sops(session: Session, *, category: str | None = None) -> list[SopView]:
    """Active SOPs, by category then title."""
    query = sa.select(SopEntry).where(col(SopEntry.active))
    if category is not None:
        query = query.where(col(SopEntry.category) == category)
    rows = session.scalars(query.order_by(col(SopEntry.category), col(SopEntry.title)))
    return [_view(row) for row in rows]


def get_sop(session: Session, sop_id: str) -> SopView:
    """One SOP by id, or NotFound."""
    row = session.get(SopEntry, sop_id)
    if row is None or not row.active:
        raise NotFound(f"no SOP {sop_id!r}; `helpdesk sop list` shows them")
    return _view(row)


@dataclass(frozen=True)
class RunView:
    """An SOP run on a ticket."""

    id: int
    ticket_id: int
    sop_id: str
    steps_done: list[int]
    outcome: str
    started_at: datetime
    finished_at: datetime | None


def _run_view(run: SopRun) -> RunView:
    assert run.id is not None
    return RunView(
        run.id,
        run.ticket_id,
        run.sop_id,
        json.loads(run.steps_done),
        run.outcome,
        run.started_at,
        run.finished_at,
    )


def current_run(session: Session, ticket_id: int, sop_id: str) -> RunView | None:
    """The unfinished run of `sop_id` on the ticket, if any."""
    run = session.scalars(
        sa.select(SopRun)
        .where(
            col(SopRun.ticket_id) == ticket_id,
            col(SopRun.sop_id) == sop_id,
            col(SopRun.finished_at).is_(None),
        )
        .order_by(col(SopRun.id).desc())
    ).first()
    return _run_view(run) if run else None


def runs_of_ticket(session: Session, ticket_id: int) -> list[RunView]:
    """Every SOP run on a ticket, oldest first (for the handoff package and reports)."""
    runs = session.scalars(
        sa.select(SopRun).where(col(SopRun.ticket_id) == ticket_id).order_by(col(SopRun.id))
    )
    return [_run_view(run) for run in runs]


def start_run(
    session: Session, actor: Actor, ticket_id: int, sop_id: str, *, now: datetime | None = None
) -> RunView:
    """Start following an SOP on a ticket (or return the run already open)."""
    actor.require("ticket.note")
    now = now or utcnow()
    sop = get_sop(session, sop_id)
    lock_ticket(session, ticket_id)
    open_run = current_run(session, ticket_id, sop_id)
    if open_run is not None:
        return open_run
    run = SopRun(
        ticket_id=ticket_id,
        sop_id=sop_id,
        sop_version=sop.version,
        agent_id=actor.agent_id,
        started_at=now,
    )
    session.add(run)
    session.flush()
    log(
        session, actor, ticket_id, "sop", f"started SOP {sop_id} (v{sop.version}): {sop.title}", now
    )
    record_audit(session, actor, "sop.run.start", "ticket", ticket_id, {"sop": sop_id}, now=now)
    return _run_view(run)


def tick_step(
    session: Session,
    actor: Actor,
    run_id: int,
    step: int,
    *,
    done: bool = True,
    now: datetime | None = None,
) -> RunView:
    """Tick (or untick) step `step` (0-based) of a run; each tick lands in the ticket's log."""
    actor.require("ticket.note")
    now = now or utcnow()
    run = session.get(SopRun, run_id)
    if run is None:
        raise NotFound(f"no SOP run #{run_id}")
    if run.finished_at is not None:
        raise Conflict(f"the run of SOP {run.sop_id} on ticket #{run.ticket_id} is finished")
    sop = get_sop(session, run.sop_id)
    if not 0 <= step < len(sop.steps):
        raise UsageError(
            f"SOP {run.sop_id} has steps 1-{len(sop.steps)}; there is no step {step + 1}"
        )
    steps = set(json.loads(run.steps_done))
    if done == (step in steps):
        return _run_view(run)
    steps.symmetric_difference_update({step})
    run.steps_done = json.dumps(sorted(steps))
    verb = "done" if done else "undone"
    log(
        session,
        actor,
        run.ticket_id,
        "sop",
        f"{run.sop_id} step {step + 1} {verb}: {sop.steps[step]}",
        now,
    )
    return _run_view(run)


def finish_run(
    session: Session,
    actor: Actor,
    run_id: int,
    outcome: str,
    *,
    note: str = "",
    now: datetime | None = None,
) -> RunView:
    """Record how following the SOP ended; "resolved" marks the ticket as solved by it."""
    actor.require("ticket.note")
    if outcome not in RUN_OUTCOMES:
        raise invalid_choice("outcome", outcome, RUN_OUTCOMES)
    now = now or utcnow()
    run = session.get(SopRun, run_id)
    if run is None:
        raise NotFound(f"no SOP run #{run_id}")
    if run.finished_at is not None:
        raise Conflict(f"the run of SOP {run.sop_id} is already finished ({run.outcome})")
    run.outcome, run.finished_at = outcome, now
    ticket = lock_ticket(session, run.ticket_id)
    if outcome == "resolved":
        ticket.resolved_by_sop = run.sop_id
        touch(ticket, now)
    done = len(json.loads(run.steps_done))
    text = f"SOP {run.sop_id} finished: {outcome} ({done} steps done)" + (
        f"; {note}" if note else ""
    )
    log(session, actor, run.ticket_id, "sop", text, now)
    record_audit(
        session,
        actor,
        "sop.run.finish",
        "ticket",
        run.ticket_id,
        {"sop": run.sop_id, "outcome": outcome},
        now=now,
    )
    return _run_view(run)
