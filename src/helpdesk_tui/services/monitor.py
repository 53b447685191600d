"""SLA monitoring: warnings, breaches, notifications and auto-escalation (issue 6, part 3).

`watch_once` is one pass of the watcher (`helpdesk sla watch`, run as a service or from
cron). It finds the open tickets whose response or resolution clock (or, while a resolver
group has the ticket, its OLA acceptance or resolution clock) crossed 75 % of its target
(warning) or 100 % (breach), records each crossing once, tells the assignee, the ticket's
group and the supervisors, logs it on the ticket and applies the desk's auto-escalation
rules.

Cost: a pass reads only open tickets, through the index on (status, resolve_due), and
only those that can have crossed something not yet recorded. The SQL filter uses a
horizon per priority (per OLA policy) computed on its calendar (see `_horizon`); the
exact business-time check runs in Python on the few candidates. Crossings already
recorded drop out in SQL, so an old overdue backlog costs nothing on later passes.

Once-only: `sla_event` and `sla_auto_escalation` have unique keys and are written with
INSERT .. ON CONFLICT DO NOTHING RETURNING. Only the watcher whose insert returned the row
notifies, so repeated polls and two watchers racing (two cron hosts, a service and a
manual run) never notify twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import HelpdeskError, NotFound, UsageError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.sla import WARNING_FRACTION, SlaBook, SlaTerms
from helpdesk_tui.services.tickets import log
from helpdesk_tui.services.vocab import OPEN_STATUSES, PRIORITIES
from helpdesk_tui.store.models import (
    Agent,
    AgentRole,
    GroupMember,
    Interaction,
    Role,
    SupportGroup,
    Ticket,
)
from helpdesk_tui.store.models.monitoring import Notification, SlaAutoEscalation, SlaEvent

#: Clocks the watcher checks: the SLA's, and the resolver group's OLA while it has the ticket.
CLOCKS: Final = ("response", "resolution", "ola_response", "ola")
LEVELS: Final = ("warning", "breach")
#: The role whose holders get every SLA notification and the hierarchical escalations.
SUPERVISOR_ROLE: Final = "supervisor"
#: Crossings older than this when first seen are recorded but not sent to everyone.
DEFAULT_BACKLOG_HOURS: Final = 24.0
#: Notification kinds.
KINDS: Final = ("sla_warning", "sla_breach", "escalation", "sla_backlog")
#: Notifications listed by default (the screen and `helpdesk notifications`).
LIST_LIMIT: Final = 200
#: Ids per `IN (...)` list: far below every backend's bound-parameter limit.
_CHUNK: Final = 500

_RULE_KEYS: Final = (
    "name",
    "priority",
    "category",
    "no_response_minutes",
    "on",
    "clock",
    "to",
    "to_group",
)
_SLA_KEYS: Final = ("auto_escalate", "backlog_hours")
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$")


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class AutoEscalateRule:
    """One `[[sla.auto_escalate]]` table of config.toml.

    Trigger: `no_response_minutes` (business minutes on the ticket's SLA calendar since
    creation without a first response) or `on` = warning|breach of `clock`
    (response|resolution), i.e. when the watcher records that event. Target: `to =
    "supervisor"` (hierarchical: the supervisors are told) or `to_group` (functional:
    the ticket is escalated to that group). Each rule fires at most once per ticket.
    """

    name: str
    to_supervisor: bool = False
    to_group: str | None = None
    priorities: tuple[str, ...] = ()  # empty: every priority
    categories: tuple[str, ...] = ()  # empty: every category
    no_response_minutes: int | None = None
    on: str | None = None  # warning | breach
    clock: str = "resolution"

    def matches(self, priority: str, category: str) -> bool:
        """True when the ticket is in the rule's scope."""
        return (not self.priorities or priority in self.priorities) and (
            not self.categories or category in self.categories
        )

    def describe(self) -> str:
        """What the rule does, in words (log entries, notifications, `--json`)."""
        if self.no_response_minutes is not None:
            trigger = f"no response after {self.no_response_minutes} min"
        else:
            trigger = f"{self.clock} {self.on}"
        target = "the supervisors" if self.to_supervisor else str(self.to_group)
        return f"{trigger} -> {target}"


@dataclass(frozen=True)
class WatchConfig:
    """The `[sla]` table of config.toml as far as the watcher reads it."""

    rules: tuple[AutoEscalateRule, ...] = ()
    backlog_hours: float = DEFAULT_BACKLOG_HOURS

    @property
    def backlog(self) -> timedelta:
        """The backlog window as a timedelta."""
        return timedelta(hours=self.backlog_hours)


def _where(index: int, table: Mapping[str, Any]) -> str:
    name = table.get("name")
    label = f"[[sla.auto_escalate]] #{index}"
    return f"{label} ({name!r})" if isinstance(name, str) and name else label


def _names(value: object, what: str, valid: Sequence[str] | None, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise UsageError(f"{where}: {what} must be a name or a list of names")
    for item in items:
        if valid is not None and item not in valid:
            raise UsageError(f"{where}: unknown {what} {item!r}; valid: {', '.join(valid)}")
    return tuple(dict.fromkeys(items))


def parse_rule(index: int, table: object) -> AutoEscalateRule:
    """Validate one `[[sla.auto_escalate]]` table (`index` counts from 1 for messages)."""
    if not isinstance(table, Mapping):
        raise UsageError(f"[[sla.auto_escalate]] #{index}: must be a table")
    where = _where(index, table)
    unknown = sorted(set(table) - set(_RULE_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(_RULE_KEYS)}")
    name = table.get("name", f"rule-{index}")
    if not isinstance(name, str) or not _NAME_OK.match(name):
        raise UsageError(
            f"{where}: name must be 1-64 letters, digits, spaces or _ . : - "
            "(it is the key that fires a rule once per ticket)"
        )
    priorities = (
        _names(table["priority"], "priority", PRIORITIES, where) if "priority" in table else ()
    )
    categories = _names(table["category"], "category", None, where) if "category" in table else ()
    minutes = table.get("no_response_minutes")
    on = table.get("on")
    if (minutes is None) == (on is None):
        raise UsageError(f"{where}: give exactly one trigger: no_response_minutes = N or on = ...")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1
    ):
        raise UsageError(f"{where}: no_response_minutes must be a whole number >= 1")
    if on is not None and on not in LEVELS:
        raise UsageError(f"{where}: on must be one of {', '.join(LEVELS)}, not {on!r}")
    clock = table.get("clock", "resolution")
    if clock not in CLOCKS:
        raise UsageError(f"{where}: clock must be one of {', '.join(CLOCKS)}, not {clock!r}")
    if "clock" in table and minutes is not None:
        raise UsageError(f"{where}: clock goes with on = ..., not with no_response_minutes")
    to, group = table.get("to"), table.get("to_group")
    if (to is None) == (group is None):
        raise UsageError(f'{where}: give exactly one target: to = "supervisor" or to_group = ...')
    if to is not None and to != SUPERVISOR_ROLE:
        raise UsageError(f'{where}: to must be "supervisor" (use to_group for a group)')
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise UsageError(f"{where}: to_group must be a group name")
    return AutoEscalateRule(
        name=name,
        to_supervisor=to is not None,
        to_group=group,
        priorities=priorities,
        categories=categories,
        no_response_minutes=minutes,
        on=on,
        clock=clock,
    )


def load_watch_config(raw: Mapping[str, Any]) -> WatchConfig:
    """Read and validate the `[sla]` table of a parsed config.toml (UsageError, one line)."""
    sla = raw.get("sla", {})
    if not isinstance(sla, Mapping):
        raise UsageError("config.toml: [sla] must be a table")
    tables = sla.get("auto_escalate", [])
    if not isinstance(tables, list):
        raise UsageError("config.toml: write auto-escalation rules as [[sla.auto_escalate]] tables")
    rules = tuple(parse_rule(n, t) for n, t in enumerate(tables, start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise UsageError(f"[[sla.auto_escalate]]: two rules are named {rule.name!r}")
        seen.add(rule.name)
    hours = sla.get("backlog_hours", DEFAULT_BACKLOG_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        raise UsageError("[sla] backlog_hours must be a number of hours >= 0")
    return WatchConfig(rules=rules, backlog_hours=float(hours))


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
        }


# --------------------------------------------------------------------------- the pass


@dataclass
class _Candidate:
    id: int
    priority: str
    category: str
    status: str
    created_at: datetime
    response_due: datetime | None
    resolve_due: datetime | None
    first_response_at: datetime | None
    paused_at: datetime | None
    paused_s: float
    assignee_id: int | None
    group_id: int | None
    escalated_at: datetime | None
    ola_policy_id: int | None
    ola_response_due: datetime | None
    ola_due: datetime | None
    ola_accepted_at: datetime | None
    ola_stopped_at: datetime | None

    def due(self, clock: str) -> datetime | None:
        """The due time of one clock."""
        return {
            "response": self.response_due,
            "resolution": self.resolve_due,
            "ola_response": self.ola_response_due,
            "ola": self.ola_due,
        }[clock]


_COLUMNS = (
    col(Ticket.id),
    col(Ticket.priority),
    col(Ticket.category),
    col(Ticket.status),
    col(Ticket.created_at),
    col(Ticket.response_due),
    col(Ticket.resolve_due),
    col(Ticket.first_response_at),
    col(Ticket.sla_paused_at),
    col(Ticket.sla_paused_s),
    col(Ticket.assignee_id),
    col(Ticket.group_id),
    col(Ticket.escalated_at),
    col(Ticket.ola_policy_id),
    col(Ticket.ola_response_due),
    col(Ticket.ola_due),
    col(Ticket.ola_accepted_at),
    col(Ticket.ola_stopped_at),
)


class _Terms:
    """The SLA book and the OLA policies, as clock terms (loaded once per pass)."""

    def __init__(self, session: Session) -> None:
        from helpdesk_tui.services.escalation import ola_terms
        from helpdesk_tui.store.models.escalation import OlaPolicy

        self.book = SlaBook.load(session)
        self.ola: dict[int, SlaTerms] = {}
        for policy_id in session.scalars(sa.select(col(OlaPolicy.id))):
            terms = ola_terms(session, policy_id)
            if terms is not None and policy_id is not None:
                self.ola[policy_id] = terms

    def sla(self, priority: str) -> SlaTerms:
        """The SLA terms of a priority (the book's fallback for an unknown one)."""
        return self.book.terms(priority)

    def for_clock(self, clock: str, ticket: _Candidate) -> SlaTerms | None:
        """The terms a ticket's clock runs on (None: an OLA whose policy is gone)."""
        if clock in ("ola", "ola_response"):
            return self.ola.get(ticket.ola_policy_id) if ticket.ola_policy_id else None
        return self.sla(ticket.priority)


def _horizon(calendar: BusinessCalendar, now: datetime, seconds: float) -> datetime:
    """The latest due time a clock can have and still be within `seconds` of business time.

    Business time runs slower than wall time, so a wall-time bound (now + seconds) would
    miss a ticket due Monday 09:00 seen on Friday evening: only an hour of business time
    is left, but 63 wall hours. `add` walks the calendar forward; `next_open` covers a due
    time inside the closed gap that follows (no business time passes there either).
    """
    try:
        return calendar.next_open(calendar.add(now, seconds))
    except OverflowError:
        return datetime.max.replace(tzinfo=now.tzinfo)


def _horizons(terms: Mapping[Any, SlaTerms], now: datetime, target: str) -> dict[Any, datetime]:
    """Per key (priority or OLA policy), the latest due time that may be in warning."""
    rest = 1.0 - WARNING_FRACTION
    return {key: _horizon(t.calendar, now, rest * getattr(t, target)) for key, t in terms.items()}


def _not_recorded(clock: str, level: str) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        col(SlaEvent.ticket_id) == col(Ticket.id),
        col(SlaEvent.clock) == clock,
        col(SlaEvent.level) == level,
    )


def _may_cross(
    due: Any,
    clock: str,
    now: datetime,
    key: Any,
    horizons: Mapping[Any, datetime],
    *,
    fallback: bool,
) -> sa.ColumnElement[bool]:
    """SQL: the clock may have crossed a threshold not recorded yet.

    A breach is plain wall time (due <= now). A warning needs business time, so the
    filter is the horizon of the ticket's terms (`key` = priority or OLA policy; safe, a
    little wide) and Python decides exactly. Tickets whose crossings are all recorded
    drop out here, which keeps the steady state cheap.
    """
    in_warning = [sa.and_(key == k, due <= h) for k, h in horizons.items()]
    widest = max(horizons.values(), default=now)
    if fallback:
        # A priority outside the vocabulary gets the SLA book's fallback terms.
        in_warning.append(sa.and_(key.not_in(list(horizons)), due <= widest))
    return sa.and_(
        due <= max(widest, now),  # one index range for the planner
        sa.or_(
            sa.and_(due <= now, _not_recorded(clock, "breach")),
            sa.and_(sa.or_(*in_warning), _not_recorded(clock, "warning")),
        ),
    )


def _candidates(
    session: Session, now: datetime, terms: _Terms, rules: Sequence[AutoEscalateRule]
) -> list[_Candidate]:
    """Open tickets that may have crossed a threshold or may trigger a no-response rule.

    `status IN (open)` is answered by ix_ticket_status_due (status, resolve_due, id): one
    index range per open status, so closed tickets (nearly all of a big desk) are never
    read.
    """
    priorities = {p: terms.sla(p) for p in dict.fromkeys([*PRIORITIES, *terms.book.by_priority])}
    priority = col(Ticket.priority)
    is_open = col(Ticket.status).in_(OPEN_STATUSES)
    resolution = sa.select(*_COLUMNS).where(
        is_open,
        col(Ticket.sla_paused_at).is_(None),
        _may_cross(
            col(Ticket.resolve_due),
            "resolution",
            now,
            priority,
            _horizons(priorities, now, "resolve_s"),
            fallback=True,
        ),
    )
    response_clause = _may_cross(
        col(Ticket.response_due),
        "response",
        now,
        priority,
        _horizons(priorities, now, "response_s"),
        fallback=True,
    )
    minutes = [r.no_response_minutes for r in rules if r.no_response_minutes is not None]
    if minutes:
        # Business minutes never exceed wall minutes: a wall-time bound is safe here.
        oldest = now - timedelta(minutes=min(minutes))
        response_clause = sa.or_(response_clause, col(Ticket.created_at) <= oldest)
    response = sa.select(*_COLUMNS).where(
        is_open, col(Ticket.first_response_at).is_(None), response_clause
    )
    selects = [resolution, response]
    if terms.ola:
        # The resolver group's OLA runs while the ticket is with it (status escalated).
        policy = col(Ticket.ola_policy_id)
        selects.append(
            sa.select(*_COLUMNS).where(
                col(Ticket.status) == "escalated",
                col(Ticket.ola_stopped_at).is_(None),
                sa.or_(
                    _may_cross(
                        col(Ticket.ola_due),
                        "ola",
                        now,
                        policy,
                        _horizons(terms.ola, now, "resolve_s"),
                        fallback=False,
                    ),
                    sa.and_(
                        col(Ticket.ola_accepted_at).is_(None),
                        _may_cross(
                            col(Ticket.ola_response_due),
                            "ola_response",
                            now,
                            policy,
                            _horizons(terms.ola, now, "response_s"),
                            fallback=False,
                        ),
                    ),
                ),
            )
        )
    found: dict[int, _Candidate] = {}
    for select in selects:
        for row in session.execute(select):
            ticket = _Candidate(*row)  # type: ignore[arg-type, call-arg]
            found[ticket.id] = ticket
    return [found[k] for k in sorted(found)]


def _recorded(
    session: Session, ids: Sequence[int]
) -> tuple[set[tuple[int, str, str]], set[tuple[int, str]]]:
    """Events and rule firings already recorded for these tickets."""
    events: set[tuple[int, str, str]] = set()
    fired: set[tuple[int, str]] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for tid, clock, level in session.execute(
            sa.select(col(SlaEvent.ticket_id), col(SlaEvent.clock), col(SlaEvent.level)).where(
                col(SlaEvent.ticket_id).in_(chunk)
            )
        ):
            events.add((tid, clock, level))
        for tid, rule in session.execute(
            sa.select(col(SlaAutoEscalation.ticket_id), col(SlaAutoEscalation.rule)).where(
                col(SlaAutoEscalation.ticket_id).in_(chunk)
            )
        ):
            fired.add((tid, rule))
    return events, fired


def _crossed(
    terms: SlaTerms, ticket: _Candidate, clock: str, level: str, due: datetime
) -> datetime:
    """When the threshold was crossed: the due time for a breach, 75 % of it for a warning."""
    if level == "breach":
        return due
    start, target = {
        "response": (ticket.created_at, terms.response_s),
        "resolution": (ticket.created_at, terms.resolve_s),
        "ola_response": (ticket.escalated_at or ticket.created_at, terms.response_s),
        "ola": (ticket.escalated_at or ticket.created_at, terms.resolve_s),
    }[clock]
    extra = ticket.paused_s if clock == "resolution" else 0.0
    try:
        at = terms.calendar.add(start, WARNING_FRACTION * target + extra)
    except OverflowError:
        return due
    # Due times from an older policy (or an OLA shifted by a pause) may come earlier.
    return min(at, due)


def _level(terms: SlaTerms, now: datetime, due: datetime, target_s: float) -> str | None:
    """`breach`, `warning` or None for one running clock: `sla_status`'s arithmetic.

    Written out instead of calling `sla_status` because that also measures how far past
    due a breached clock is, walking the calendar back to the due time: months of days
    for an old backlog, on every candidate. Here a breach is one comparison.
    """
    if now >= due:
        return "breach"
    left = terms.calendar.between(now, due)
    used = 1.0 - left / target_s if target_s else 1.0
    return "warning" if used >= WARNING_FRACTION else None


def _running(ticket: _Candidate) -> list[tuple[str, str]]:
    """(clock, target attribute) of the clocks running on a ticket."""
    clocks = []
    if ticket.first_response_at is None and ticket.response_due is not None:
        clocks.append(("response", "response_s"))
    # A paused clock (waiting on the customer) does not move, so it raises nothing.
    if ticket.paused_at is None and ticket.resolve_due is not None:
        clocks.append(("resolution", "resolve_s"))
    if ticket.status == "escalated" and ticket.ola_stopped_at is None:
        if ticket.ola_accepted_at is None and ticket.ola_response_due is not None:
            clocks.append(("ola_response", "response_s"))
        if ticket.ola_due is not None:
            clocks.append(("ola", "resolve_s"))
    return clocks


def _levels(
    terms: _Terms, ticket: _Candidate, now: datetime
) -> list[tuple[str, str, datetime, SlaTerms]]:
    """(clock, level, due, terms) reached at `now`: a breach implies the warning before it."""
    reached: list[tuple[str, str, datetime, SlaTerms]] = []
    for clock, target in _running(ticket):
        clock_terms = terms.for_clock(clock, ticket)
        due = ticket.due(clock)
        if clock_terms is None or due is None:
            continue
        level = _level(clock_terms, now, due, getattr(clock_terms, target))
        if level is not None:
            reached.append((clock, "warning", due, clock_terms))
        if level == "breach":
            reached.append((clock, "breach", due, clock_terms))
    return reached


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

    def check(self, rules: Sequence[AutoEscalateRule]) -> None:
        """Refuse rules naming a group this desk does not have, or a first-line group."""
        for rule in rules:
            if rule.to_group is None:
                continue
            if rule.to_group not in self.group_ids:
                raise UsageError(
                    f"[[sla.auto_escalate]] {rule.name!r}: unknown group {rule.to_group!r}; "
                    f"valid: {', '.join(sorted(self.group_ids))}"
                )
            if self.tiers[rule.to_group] < 2:
                raise UsageError(
                    f"[[sla.auto_escalate]] {rule.name!r}: {rule.to_group} is a first-line "
                    "group; escalate to an L2/L3 group"
                )

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


def watch_once(
    session: Session,
    now: datetime,
    *,
    rules: Sequence[AutoEscalateRule] = (),
    backlog: timedelta = timedelta(hours=DEFAULT_BACKLOG_HOURS),
    watcher: str = "system",
) -> WatchReport:
    """One pass of the SLA watcher in the caller's write transaction.

    Records every newly crossed threshold once, notifies (one notification per ticket and
    recipient per pass, however many thresholds it crossed), logs an `sla` entry on the
    ticket and fires the auto-escalation rules. A crossing older than `backlog` when first
    seen (the watcher was down, or it is the first pass over an old desk) is recorded and
    logged but only counted in one summary to the supervisors. `watcher` (the login that
    runs it) goes into the audit rows of auto-escalations.
    """
    report = WatchReport(at=now)
    people = _People(session)
    people.check(rules)
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


# --------------------------------------------------------------------------- notifications


@dataclass(frozen=True)
class NotificationRow:
    """One notification as lists show it (ticket title is untrusted: render with `plain`)."""

    id: int
    ticket_id: int | None
    ticket_title: str | None
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        """True until the agent marked it read."""
        return self.read_at is None

    def to_dict(self) -> dict[str, object]:
        """JSON-able form with stable keys."""
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "ticket_title": self.ticket_title,
            "kind": self.kind,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "read_at": self.read_at.isoformat() if self.read_at else None,
        }


def _mine(actor: Actor) -> int:
    if actor.agent_id is None:
        raise NotFound("the system account has no notifications")
    return actor.agent_id


def unread_count(session: Session, actor: Actor) -> int:
    """How many unread notifications the acting agent has (partial index: cheap)."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(col(Notification.agent_id) == _mine(actor), col(Notification.read_at).is_(None))
        )
        or 0
    )


def list_notifications(
    session: Session, actor: Actor, *, unread_only: bool = False, limit: int = LIST_LIMIT
) -> list[NotificationRow]:
    """The acting agent's notifications: unread first, each part newest first."""
    agent_id = _mine(actor)
    base = (
        sa.select(
            col(Notification.id),
            col(Notification.ticket_id),
            col(Ticket.title),
            col(Notification.kind),
            col(Notification.text),
            col(Notification.created_at),
            col(Notification.read_at),
        )
        .outerjoin(Ticket, col(Ticket.id) == col(Notification.ticket_id))
        .where(col(Notification.agent_id) == agent_id)
        .order_by(col(Notification.id).desc())
    )
    rows = list(session.execute(base.where(col(Notification.read_at).is_(None)).limit(limit)))
    if not unread_only and len(rows) < limit:
        rows += session.execute(
            base.where(col(Notification.read_at).is_not(None)).limit(limit - len(rows))
        )
    return [NotificationRow(*r) for r in rows]  # type: ignore[arg-type]


def mark_read(session: Session, actor: Actor, ids: Sequence[int] | None, *, now: datetime) -> int:
    """Mark the given notifications (or all, with `ids=None`) read; returns how many changed.

    Another agent's notification counts as not found, so ids reveal nothing.
    """
    agent_id = _mine(actor)
    mine = col(Notification.agent_id) == agent_id
    if ids is not None:
        wanted = set(ids)
        found = set(
            session.scalars(
                sa.select(col(Notification.id)).where(mine, col(Notification.id).in_(wanted))
            )
        )
        missing = sorted(wanted - found)
        if missing:
            raise NotFound(f"no notification #{missing[0]} of yours")
    stmt = sa.update(Notification).where(mine, col(Notification.read_at).is_(None))
    if ids is not None:
        stmt = stmt.where(col(Notification.id).in_(list(ids)))
    result = session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
