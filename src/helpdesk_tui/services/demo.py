"""A realistic synthetic desk for demos and benchmarks (`helpdesk demo`).

Departments, a few thousand requesters (some VIP), 25 agents in the default groups with
the agent/engineer/supervisor roles, and tickets over the last six months: more on
Monday mornings than Friday afternoons, mostly medium and low priority, most of them
closed, with an open backlog (new, in progress, waiting on the customer, escalated) that
falls out of the same simulation: a ticket is open when its simulated resolution lies
after `now`. Due times are the SLA book's (exact, through `SlaDueCache`); first response
and resolution are drawn against them so that about one ticket in ten breaches.

Deterministic for a seed and a `now`. People do not depend on the seed, so `--append`
with another seed reuses them. Speed: rows are plain tuples written by `store.bulk` in
one transaction per batch (ids reserved inside it, FTS indexed per batch).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import accumulate
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import demo_desk as words
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.importer import SlaDueCache
from helpdesk_tui.services.sla import SlaBook, SlaTerms
from helpdesk_tui.store.bulk import (
    INTERACTION_COLUMNS,
    TICKET_COLUMNS,
    bulk_insert,
    epoch_us,
    fts_bulk_mode,
    reserve_ids,
    timestamp_encoder,
)
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import (
    Category,
    Interaction,
    Ticket,
)
from helpdesk_tui.store.types import utcnow

#: Tickets per transaction: big enough to amortise FTS and commit, small for a smooth bar.
BATCH: Final = 25_000
WINDOW_DAYS: Final = 182
VARIANTS: Final = 32  # filled-in texts per template
US: Final = 1_000_000
HOUR: Final = 3_600 * US
DAY: Final = 24 * HOUR
LIVE: Final = frozenset({"phone", "chat", "walk_in"})
PRIORITY_WEIGHTS: Final = {"critical": 1, "high": 9, "medium": 50, "low": 32, "informational": 8}
CHANNEL_WEIGHTS: Final = {
    "phone": 35, "email": 30, "portal": 15, "chat": 12, "walk_in": 4, "desktop_app": 3,
    "social": 1,
}  # fmt: skip
#: Relative volume per local hour of the day and per weekday (Monday first).
HOUR_WEIGHTS: Final = (
    (0.02,) * 7 + (0.3, 1.0, 1.6, 1.5, 1.3, 0.8, 1.1, 1.3, 1.2, 1.0, 0.6, 0.3, 0.15) + (0.05,) * 4
)
WEEKDAY_WEIGHTS: Final = (1.25, 1.1, 1.0, 1.0, 0.85, 0.08, 0.05)
#: (impact, urgency, impact scope) choices consistent with the ITIL matrix per priority.
FACTS: Final = {
    "critical": (("high", "high", "site"), ("high", "high", "organisation")),
    "high": (
        ("high", "medium", "site"), ("medium", "high", "team"), ("medium", "high", "department"),
    ),
    "medium": (
        ("medium", "medium", "team"), ("medium", "medium", "department"),
        ("low", "high", "one_user"),
    ),
    "low": (("medium", "low", "team"), ("low", "medium", "one_user")),
    "informational": (("low", "low", "one_user"),),
}  # fmt: skip
#: Affected users (fewest, most) per impact scope.
USERS: Final = {
    "one_user": (1, 1), "team": (2, 15), "department": (10, 80), "site": (50, 400),
    "organisation": (500, 3000),
}  # fmt: skip
VIP_BUMP: Final = {"informational": "low", "low": "medium", "medium": "high"}

Row = tuple[Any, ...]
TICKET: Final[sa.Table] = Ticket.__table__  # type: ignore[attr-defined]
INTERACTION: Final[sa.Table] = Interaction.__table__  # type: ignore[attr-defined]
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` made. People counts are the demo population (new or reused)."""

    tickets: int
    requesters: int
    agents: int
    interactions: int
    departments: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys."""
        return {**asdict(self), "seconds": round(self.seconds, 3)}


@dataclass
class _Desk:
    """What the ticket batches draw from, loaded or created in the setup transaction."""

    templates: list[words.Template]
    template_cw: list[float]
    categories: list[str]
    requesters: list[tuple[int, str, bool]]  # (id, first name, vip)
    requester_cw: list[float]
    l1: list[int]
    engineers: dict[int, list[int]]  # group id -> agent ids
    groups: dict[str, int]
    terms: dict[str, SlaTerms]
    agents: int
    departments: int


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _arrivals(rng: random.Random, count: int, now_us: int, tz: str) -> list[int]:
    """Sorted creation instants over the window, weighted by local hour and weekday."""
    zone = ZoneInfo(tz)
    end = now_us - now_us % HOUR
    hours = [end - (WINDOW_DAYS * 24 - h) * HOUR for h in range(WINDOW_DAYS * 24)]
    weights = []
    for h in hours:
        local = _at(h).astimezone(zone)
        weights.append(WEEKDAY_WEIGHTS[local.weekday()] * HOUR_WEIGHTS[local.hour])
    picks = rng.choices(hours, cum_weights=list(accumulate(weights)), k=count)
    return sorted(h + rng.randrange(3600) * US for h in picks)


def _batch(
    desk: _Desk,
    dues: SlaDueCache,
    rng: random.Random,
    created: Sequence[int],
    ids: Sequence[int],
    now: int,
    encode: Callable[[int], Any],
) -> tuple[list[Row], list[Row]]:
    """Ticket and log rows for one batch: the lifecycle of each ticket, simulated."""
    n = len(created)
    templates = rng.choices(desk.templates, cum_weights=desk.template_cw, k=n)
    priorities = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()), k=n)
    channels = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()), k=n)
    people = rng.choices(desk.requesters, cum_weights=desk.requester_cw, k=n)
    rand, l1, cats, desk_id = rng.random, desk.l1, desk.categories, desk.groups["Service Desk"]
    tickets: list[Row] = []
    log: list[Row] = []
    for tid, c, tpl, prio, chan, (rid, first, vip) in zip(
        ids, created, templates, priorities, channels, people, strict=True
    ):
        if vip and prio in VIP_BUMP and rand() < 0.5:
            prio = VIP_BUMP[prio]  # as the triage rules raise VIP tickets
        terms = desk.terms[prio]
        response_due, resolve_due = dues.dues(terms, c)
        title, body, tried, system = tpl.variants[int(rand() * VARIANTS)]
        agent = l1[int(rand() * len(l1))]
        live = chan in LIVE  # recording the ticket on the call is the first response
        fcr = live and prio != "critical" and rand() < tpl.first_contact
        escalate = not fcr and rand() < tpl.escalation
        answered = c if live else c + int((response_due - c) * rand() ** 1.6 * 1.15)
        if fcr:
            done = c + int((300 + rand() * 1200) * US)
        else:  # about one in ten takes longer than its target
            done = max(answered + 600 * US, c + int((resolve_due - c) * rand() ** 1.3 * 1.15))
        fr: int | None = answered
        resolved: int | None = None
        closed = paused = esc = None
        fate = rand()
        if fate < 0.02:  # cancelled: a duplicate or a withdrawn request
            status, closed = "cancelled", min(c + int(rand() * 8 * HOUR), now)
            # Answered only if that came before the cancellation (never in the future).
            fr = answered if answered <= closed else None
        elif fate < 0.024 or done > now:  # still open (0.4% never got solved: the old backlog)
            if answered > now or (now - c < 2 * HOUR and rand() < 0.5):
                status, fr = "new", (None if answered > now else answered)
            elif escalate:
                status = "escalated"
            elif rand() < 0.25:
                status, paused = "waiting_customer", answered + int((now - answered) * rand())
            else:
                status = "in_progress"
        else:
            resolved, closing = done, done + int((2 + rand() * 3) * DAY)  # after confirmation
            status, closed = ("closed", closing) if closing <= now else ("resolved", None)
        if escalate and fr is not None and status not in ("new", "cancelled"):
            esc = fr + int(((resolved or now) - fr) * 0.3)
            group = desk.groups[tpl.group]
            team = desk.engineers.get(group)
            assignee = team[int(rand() * len(team))] if team else None
        else:
            group, assignee = desk_id, None if status == "new" else agent
        impact, urgency, scope = FACTS[prio][int(rand() * len(FACTS[prio]))]
        low, high = USERS[scope]
        category = tpl.category if rand() < 0.88 else cats[int(rand() * len(cats))]
        occurred = encode(c - int(rand() * 2 * HOUR)) if tpl.kind == "incident" else None
        at = encode(c)
        handle = 60 + int(rand() * (600 if live else 180))
        note = f"recorded via {chan}: category {tpl.category}, priority {prio}"
        log.append((tid, "created", note, agent, at, handle, False))
        entries = 1
        if fr is not None and not live:
            note = "Replied to the requester: we are looking into it."
            log.append(
                (tid, "email", note, assignee or agent, encode(fr), 60 + int(rand() * 300), True)
            )
            entries += 1
        if esc is not None:
            note = f"escalated to {tpl.group}"
            log.append((tid, "status", note, agent, encode(esc), 120 + int(rand() * 480), False))
            entries += 1
        if closed is not None and status == "cancelled":
            note = "cancelled: duplicate of an earlier ticket"
            log.append((tid, "status", note, agent, encode(closed), 30, False))
            entries += 1
        elif resolved is not None:
            handle = 120 + int(rand() * (600 if fcr else 2400))
            log.append(
                (
                    tid,
                    "resolution",
                    tpl.resolution,
                    assignee or agent,
                    encode(resolved),
                    handle,
                    True,
                )
            )
            entries += 1
        updated = closed or resolved or paused or esc or fr or c
        tickets.append((
            tid, None, tpl.kind, title, f"{body}\n{first}", tpl.category, category, impact,
            urgency, prio, prio, False, status, chan, rid, assignee, group, agent,
            terms.policy_id, occurred, scope, low + int(rand() * (high - low + 1)), system,
            tpl.codes, tried, "", at, encode(updated), None if fr is None else encode(fr),
            encode(response_due), encode(resolve_due), None if paused is None else encode(paused),
            0.0, None if resolved is None else encode(resolved),
            None if closed is None else encode(closed), tpl.resolution if resolved else "", 0,
            0 if esc is None else 1, entries,
        ))  # fmt: skip
    return tickets, log


def generate_demo(
    store: Store,
    *,
    tickets: int,
    seed: int = 0,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
    batch_size: int = BATCH,
) -> DemoSummary:
    """Fill an initialised desk with a synthetic one; `progress(n)` after each batch.

    With `actor`, requires `demo.generate` and attributes the audit row to them (else to
    the system).
    """
    if tickets < 0:
        raise UsageError("the number of demo tickets cannot be negative")
    if actor is not None:
        actor.require("demo.generate")
    started = time.perf_counter()
    now_us = epoch_us(now or utcnow())
    now_us -= now_us % US
    desk = store.run_write(lambda session: _load_desk(session, tickets, seed, now_us))
    zone = desk.terms["medium"].calendar.timezone
    created = _arrivals(random.Random(f"{seed}/arrivals"), tickets, now_us, zone)
    dues = SlaDueCache()

    def write(session: Session, number: int, chunk: list[int]) -> int:
        conn = session.connection()
        ids = reserve_ids(conn, TICKET, len(chunk))
        rng = random.Random(f"{seed}/batch/{number}")  # a retried batch draws the same rows
        rows, log = _batch(desk, dues, rng, chunk, ids, now_us, timestamp_encoder(conn))
        with fts_bulk_mode(conn):
            bulk_insert(conn, TICKET, TICKET_COLUMNS, rows)
        bulk_insert(conn, INTERACTION, INTERACTION_COLUMNS, log)
        return len(log)

    logged = 0
    for number, start in enumerate(range(0, tickets, batch_size)):
        chunk = created[start : start + batch_size]
        logged += store.run_write(partial(write, number=number, chunk=chunk))
        if progress is not None:
            progress(start + len(chunk))
    summary = DemoSummary(
        tickets=tickets,
        requesters=len(desk.requesters),
        agents=desk.agents,
        interactions=logged,
        departments=desk.departments,
        seconds=time.perf_counter() - started,
    )
    detail = {**summary.to_dict(), "seed": seed}
    store.run_write(
        lambda s: record_audit(
            s, actor or SYSTEM, "demo.generate", "desk", None, detail, now=_at(now_us)
        )
    )
    return summary


def _load_desk(session: Session, tickets: int, seed: int, now_us: int) -> _Desk:
    """People (created where missing), the SLA book and the filled-in templates."""
    people = words.ensure_people(session, tickets, now_us)
    book = SlaBook.load(session)
    order = (col(Category.position), col(Category.name))
    cats = list(session.scalars(sa.select(col(Category.name)).order_by(*order)))
    templates, weights = words.fill_templates(random.Random(f"{seed}/texts"), cats, VARIANTS)
    if not templates:
        raise UsageError("the desk has none of the default categories the demo writes about")
    popularity = random.Random("helpdesk-demo-popularity")  # a few requesters call a lot
    requesters = people["requesters"]
    return _Desk(
        templates=templates,
        template_cw=weights,
        categories=cats,
        requesters=requesters,
        requester_cw=list(accumulate(0.2 + popularity.random() ** 4 * 5 for _ in requesters)),
        l1=people["l1"],
        engineers=people["engineers"],
        groups=people["groups"],
        terms={p: book.terms(p) for p in PRIORITY_WEIGHTS},
        agents=people["agents"],
        departments=people["departments"],
    )
