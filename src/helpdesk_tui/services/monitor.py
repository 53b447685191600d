"""SLA monitoring: warnings, breaches, notifications and auto-escalation (issue 6, part 3).

`watch_once` is one pass of the watcher (`helpdesk sla watch`, run as a service or from
cron). It finds the open tickets whose response or resolution clock (or, while a resolver
group has the ticket, its OLA acceptance or resolution clock) crossed 75 % of its target
(warning) or 100 % (breach), records each crossing once, tells the assignee, the ticket's
group and the supervisors, logs it on the ticket and applies the desk's auto-escalation
rules.

Cost: a pass reads only open tickets, through the index on (status, resolve_due), and
only those that can have crossed something not yet recorded. The SQL filter uses a
horizon per priority (per OLA policy) computed on its calendar (see `monitor_scan`); the
exact business-time check runs in Python on the few candidates. Crossings already
recorded drop out in SQL, so an old overdue backlog costs nothing on later passes.

Once-only: `sla_event` and `sla_auto_escalation` have unique keys and are written with
INSERT .. ON CONFLICT DO NOTHING RETURNING. Only the watcher whose insert returned the row
notifies, so repeated polls and two watchers racing (two cron hosts, a service and a
manual run) never notify twice.

Auto-close: each pass also closes the resolved tickets whose requester stayed silent
for the desk's `auto_close_days` (`closure.close_unconfirmed`, as the system account).

What a pass applies is desk policy from the database (`load_watch_config`: the active
`sla_rule` rows, the backlog window and the auto-close days), never a config file; the
watcher needs the permission `sla.watch`. The rule type (`AutoEscalateRule`,
`WatchConfig`) lives in `monitor_config`, the agents' notification inbox
(`NotificationRow`, `unread_count`, `list_notifications`, `mark_read`) in
`notifications`; this module re-exports both. The candidate search (which open tickets
may have crossed what) lives in `monitor_scan`; `watch_once` calls `_candidates` and
`_recorded` through this module's globals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.closure import close_unconfirmed
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.desk_policy import load_policy
from helpdesk_tui.services.monitor_config import (
    CLOCKS,
    DEFAULT_BACKLOG_HOURS,
    LEVELS,
    SUPERVISOR_ROLE,
    AutoEscalateRule,
    WatchConfig,
    make_rule,
    parse_rule,
)
from helpdesk_tui.services.monitor_scan import (
    _Candidate,
    _candidates,
    _crossed,
    _levels,
    _recorded,
    _Terms,
)
from helpdesk_tui.services.notifications import (
    KINDS,
    LIST_LIMIT,
    NotificationRow,
    list_notifications,
    mark_read,
    unread_count,
)
from helpdesk_tui.services.sla import SlaTerms
from helpdesk_tui.services.sla_rules import active_rules
from helpdesk_tui.services.tickets import log
from helpdesk_tui.store.models import (
    Agent,
    AgentRole,
    GroupMember,
    Interaction,
    Role,
    SupportGroup,
)
from helpdesk_tui.store.models.monitoring import Notification, SlaAutoEscalation, SlaEvent

__all__ = [
    "CLOCKS",
    "CLOCK_LABELS",
    "DEFAULT_BACKLOG_HOURS",
    "KINDS",
    "LEVELS",
    "LIST_LIMIT",
    "SUPERVISOR_ROLE",
    "AutoEscalateRule",
    "NotificationRow",
    "RecordedEvent",
    "RuleHit",
    "WatchConfig",
    "WatchReport",
    "list_notifications",
    "load_watch_config",
    "make_rule",
    "mark_read",
    "parse_rule",
    "unread_count",
    "watch_once",
]


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class RecordedEvent:
    """A warning or breach recorded by this pass."""

    ticket_id: int
    clock: str
    level: str
    crossed_at: datetime
    notified: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            "ticket_id": self.ticket_id,
            "clock": self.clock,
            "level": self.level,
            "crossed_at": self.crossed_at.isoformat(),
            "notified": self.notified,
        }


@dataclass(frozen=True)
class RuleHit:
    """An auto-escalation rule that fired on a ticket in this pass."""

    ticket_id: int
    rule: str
    action: str

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {"ticket_id": self.ticket_id, "rule": self.rule, "action": self.action}


@dataclass
class WatchReport:
    """What one pass looked at and recorded."""

    at: datetime
    candidates: int = 0
    events: list[RecordedEvent] = field(default_factory=list)
    escalations: list[RuleHit] = field(default_factory=list)
    notifications: int = 0
    #: Resolved tickets closed by this pass: no confirmation within the auto-close days.
    auto_closed: list[int] = field(default_factory=list)

    @property
    def backlog(self) -> int:
        """Events recorded without individual notifications (crossed long before)."""
        return sum(1 for e in self.events if not e.notified)

    def to_dict(self) -> dict[str, object]:
        """JSON-able form with stable keys (`sla watch --json`)."""
        return {
            "at": self.at.isoformat(),
            "candidates": self.candidates,
            "events": [e.to_dict() for e in self.events],
            "escalations": [h.to_dict() for h in self.escalations],
            "notifications": self.notifications,
            "backlog": self.backlog,
            "auto_closed": list(self.auto_closed),
        }


# --------------------------------------------------------------------------- the pass


def _table(model: type[Any]) -> sa.Table:
    """A model's Table: inserts through it take Core's fast executemany path."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def _insert_once(session: Session, model: type[Any], keys: Sequence[str]) -> Any:
    """INSERT .. ON CONFLICT (keys) DO NOTHING for this session's backend."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The table, not the entity: Core's executemany, not the ORM's bulk path (5x slower).
    return insert(_table(model)).on_conflict_do_nothing(index_elements=list(keys))


class _People:
    """Who gets told: active agents, group members, supervisors (loaded once per pass)."""

    def __init__(self, session: Session) -> None:
        active = set(session.scalars(sa.select(col(Agent.id)).where(col(Agent.active))))
        self.groups: dict[int, list[int]] = {}
        for gid, aid in session.execute(
            sa.select(col(GroupMember.group_id), col(GroupMember.agent_id)).order_by(
                col(GroupMember.agent_id)
            )
        ):
            if aid in active:
                self.groups.setdefault(gid, []).append(aid)
        self.supervisors = [
            aid
            for aid in session.scalars(
                sa.select(col(AgentRole.agent_id))
                .join(Role, col(Role.id) == col(AgentRole.role_id))
                .where(col(Role.name) == SUPERVISOR_ROLE)
                .order_by(col(AgentRole.agent_id))
            )
            if aid in active
        ]
        self.active = active
        self.group_ids: dict[str, int] = {}
        self.tiers: dict[str, int] = {}
        for name, group_id, tier in session.execute(
            sa.select(col(SupportGroup.name), col(SupportGroup.id), col(SupportGroup.tier))
        ):
            self.group_ids[name], self.tiers[name] = int(group_id or 0), tier

    def for_ticket(self, assignee_id: int | None, group_id: int | None) -> list[int]:
        """The assignee, the members of the ticket's group and the supervisors, once each."""
        ids = [assignee_id] if assignee_id in self.active else []
        ids += self.groups.get(group_id, []) if group_id is not None else []
        ids += self.supervisors
        return [i for i in dict.fromkeys(ids) if i is not None]


#: How each clock is named in log entries and notifications.
CLOCK_LABELS: Final = {
    "response": "response SLA",
    "resolution": "resolution SLA",
    "ola_response": "OLA acceptance",
    "ola": "OLA resolution",
}


def _describe(events: Iterable[tuple[str, str, datetime]]) -> str:
    parts = []
    for clock, level, due in events:
        what = "breached" if level == "breach" else "at 75 %"
        label = CLOCK_LABELS.get(clock, clock)
        parts.append(f"{label} {what} (due {due:%Y-%m-%d %H:%M} UTC)")
    return "; ".join(parts)


def load_watch_config(session: Session) -> WatchConfig:
    """What a pass applies: the desk's active rules, backlog window and auto-close days."""
    policy = load_policy(session)
    return WatchConfig(
        rules=active_rules(session),
        backlog_hours=policy.backlog_hours,
        auto_close_days=policy.auto_close_days,
    )


def watch_once(
    session: Session,
    now: datetime,
    *,
    actor: Actor,
    config: WatchConfig | None = None,
) -> WatchReport:
    """One pass of the SLA watcher in the caller's write transaction (permission `sla.watch`).

    Records every newly crossed threshold once, notifies (one notification per ticket and
    recipient per pass, however many thresholds it crossed), logs an `sla` entry on the
    ticket, fires the auto-escalation rules and auto-closes unconfirmed resolutions. A
    crossing older than the backlog window when first seen (the watcher was down, or it
    is the first pass over an old desk) is recorded and logged but only counted in one
    summary to the supervisors. `config` defaults to the desk's policy in the database
    (`load_watch_config`); the actor's login goes into the audit rows of auto-escalations.
    """
    actor.require("sla.watch")
    config = config if config is not None else load_watch_config(session)
    rules, backlog, watcher = config.rules, config.backlog, actor.login
    report = WatchReport(at=now)
    report.auto_closed = close_unconfirmed(session, now, config.auto_close_days, actor=SYSTEM)
    people = _People(session)
    terms = _Terms(session)
    candidates = _candidates(session, now, terms, rules)
    report.candidates = len(candidates)
    if not candidates:
        return report
    known, fired = _recorded(session, [c.id for c in candidates])

    # 1. Which thresholds are new, exactly (business time, the SLA badge's arithmetic).
    pending: list[dict[str, Any]] = []
    by_ticket: dict[int, _Candidate] = {c.id: c for c in candidates}
    for ticket in candidates:
        for clock, level, due, clock_terms in _levels(terms, ticket, now):
            if (ticket.id, clock, level) in known:
                continue
            crossed = _crossed(clock_terms, ticket, clock, level, due)
            pending.append(
                {
                    "ticket_id": ticket.id,
                    "clock": clock,
                    "level": level,
                    "crossed_at": crossed,
                    "at": now,
                    "notified": now - crossed <= backlog,
                }
            )

    # 2. Record them; RETURNING says which ones this watcher won (the others were raced).
    new: dict[int, list[RecordedEvent]] = {}
    if pending:
        insert = _insert_once(session, SlaEvent, ("ticket_id", "clock", "level"))
        columns = insert.table.c
        stmt = insert.returning(columns.ticket_id, columns.clock, columns.level)
        won = {(r[0], r[1], r[2]) for r in session.execute(stmt, pending)}
        for row in pending:
            if (row["ticket_id"], row["clock"], row["level"]) in won:
                event = RecordedEvent(
                    row["ticket_id"], row["clock"], row["level"], row["crossed_at"], row["notified"]
                )
                new.setdefault(event.ticket_id, []).append(event)
                report.events.append(event)

    notes: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for tid, events in new.items():
        ticket = by_ticket[tid]
        described = _describe(
            (e.clock, e.level, ticket.due(e.clock) or e.crossed_at) for e in events
        )
        entries.append(_entry(tid, f"SLA watch: {described}", now))
        told = [e for e in events if e.notified]
        if not told:
            continue
        kind = "sla_breach" if any(e.level == "breach" for e in told) else "sla_warning"
        text = _describe((e.clock, e.level, ticket.due(e.clock) or e.crossed_at) for e in told)
        for agent_id in people.for_ticket(ticket.assignee_id, ticket.group_id):
            notes.append(_note(agent_id, tid, kind, text, now))
    if entries:
        session.execute(sa.insert(_table(Interaction)), entries)

    # 3. Auto-escalation rules, each at most once per ticket.
    for rule in rules:
        for ticket in candidates:
            if (ticket.id, rule.name) in fired or not rule.matches(
                ticket.priority, ticket.category
            ):
                continue
            fired_at = _rule_due(
                rule, terms.sla(ticket.priority), ticket, new.get(ticket.id, []), now
            )
            if fired_at is None:
                continue
            late = now - fired_at > backlog
            once = _insert_once(session, SlaAutoEscalation, ("ticket_id", "rule"))
            stmt = once.returning(once.table.c.ticket_id)
            row = {"ticket_id": ticket.id, "rule": rule.name, "at": now, "action": ""}
            if session.execute(stmt, [row]).first() is None:
                continue  # another watcher fired it first
            fired.add((ticket.id, rule.name))
            if late:
                action = "not applied: triggered before the backlog window"
            else:
                action, sent = _escalate(session, rule, ticket, people, now, watcher)
                notes += sent
                report.escalations.append(RuleHit(ticket.id, rule.name, action))
            session.execute(
                sa.update(_table(SlaAutoEscalation))
                .where(
                    col(SlaAutoEscalation.ticket_id) == ticket.id,
                    col(SlaAutoEscalation.rule) == rule.name,
                )
                .values(action=action[:200])
            )

    # 4. One summary instead of thousands of notices for an old backlog.
    late_events = [e for e in report.events if not e.notified]
    if late_events:
        tickets = len({e.ticket_id for e in late_events})
        hours = backlog.total_seconds() / 3600
        text = (
            f"{len(late_events):,} SLA thresholds on {tickets:,} open tickets were crossed "
            f"more than {hours:g} h before the watcher saw them; recorded and logged "
            "without individual notices (see the Open queue, SLA due first)"
        )
        notes += [_note(a, None, "sla_backlog", text, now) for a in people.supervisors]

    if notes:
        session.execute(sa.insert(_table(Notification)), notes)
    report.notifications = len(notes)
    return report


def _entry(ticket_id: int, text: str, now: datetime) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "kind": "sla",
        "text": text,
        "agent_id": None,
        "created_at": now,
        "handle_seconds": 0,
        "public": False,
    }


def _note(
    agent_id: int, ticket_id: int | None, kind: str, text: str, now: datetime
) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "ticket_id": ticket_id,
        "kind": kind,
        "text": text,
        "created_at": now,
        "read_at": None,
    }


def _rule_due(
    rule: AutoEscalateRule,
    terms: SlaTerms,
    ticket: _Candidate,
    new_events: Sequence[RecordedEvent],
    now: datetime,
) -> datetime | None:
    """When the rule's trigger happened for this ticket, or None if it has not (yet)."""
    if rule.no_response_minutes is not None:
        if ticket.first_response_at is not None:
            return None
        target = rule.no_response_minutes * 60.0
        if terms.calendar.between(ticket.created_at, now) < target:
            return None
        try:
            return terms.calendar.add(ticket.created_at, target)
        except OverflowError:
            return now
    for event in new_events:
        if event.clock == rule.clock and event.level == rule.on:
            return event.crossed_at
    return None


def _escalate(
    session: Session,
    rule: AutoEscalateRule,
    ticket: _Candidate,
    people: _People,
    now: datetime,
    watcher: str,
) -> tuple[str, list[dict[str, Any]]]:
    """Carry out a fired rule through the desk's escalation; (what happened, notifications).

    The system actor escalates, so the escalation does not count as a first response.
    One ticket that cannot be escalated (closed meanwhile, no supervisor on the desk)
    must not abort the pass: a savepoint undoes its half and the reason is recorded.
    """
    from helpdesk_tui.services.escalation import escalate_ticket

    why = f"auto-escalation rule {rule.name!r}: {rule.describe()}"
    gid = people.group_ids.get(rule.to_group) if rule.to_group is not None else None
    if ticket.status == "escalated" and (
        (gid is not None and ticket.group_id == gid)
        or (rule.to_supervisor and ticket.assignee_id in people.supervisors)
    ):
        return "not applied: already escalated there", []
    try:
        with session.begin_nested():
            escalated = escalate_ticket(
                session,
                SYSTEM,
                ticket.id,
                rule.to_group,
                reason=why,
                to_supervisor=rule.to_supervisor,
                now=now,
            )
            record_audit(
                session,
                SYSTEM,
                "ticket.auto_escalate",
                "ticket",
                ticket.id,
                {"rule": rule.name, "watcher": watcher, "to": rule.to_group or "supervisor"},
                now=now,
            )
    except HelpdeskError as exc:
        text = f"auto-escalation rule {rule.name!r} failed: {exc}"
        log(session, SYSTEM, ticket.id, "sla", text, now)
        return f"failed: {exc}", [
            _note(a, ticket.id, "escalation", text, now) for a in people.supervisors
        ]
    if rule.to_supervisor:
        where = "a supervisor"
        told = [escalated.assignee_id] if escalated.assignee_id is not None else []
    else:
        where = str(rule.to_group)
        told = list(people.groups.get(gid, [])) if gid is not None else []
    text = f"escalated to {where} by {why}"
    return f"escalated to {where}", [_note(a, ticket.id, "escalation", text, now) for a in told]
