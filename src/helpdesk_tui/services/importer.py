"""Bulk import of ticket history from CSV or JSONL (`helpdesk import tickets`).

The file is read and validated whole first; then every good row lands in ONE write
transaction (tickets, requesters, new categories, one `created` log entry per ticket and
one audit row), so a failure half-way leaves nothing behind and the report never has to
explain a partial import. Row numbers are what a spreadsheet shows: the CSV header is
row 1, so the first ticket is row 2 and a record with a quoted multi-line field counts as
one row (its first physical line is added when it differs: `row 7 (line 9)`). In JSONL
the row is the line number.

Defaults for history: a row without a status is `closed` (an import is usually the old
desk's closed tickets); closed/resolved times fall back on each other and then on the
creation time; no creation time means the earliest time the row has, else the moment of
the import; no priority means `medium`, no category `other`. Category, priority, status,
kind, channel and impact scope are matched regardless of case, spaces and dashes;
priorities also as ITIL/ServiceNow codes 1-5 (`P3`, `3 - Moderate`). Every ticket gets
its SLA policy and due times from the desk's SLA book, exactly as a new ticket would.

On SQLite the single transaction holds the write lock for the whole write phase (about
1 s per 10,000 rows here); other writers wait for it, which is why reading and
validating happen before it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.import_formats import FIELDS
from helpdesk_tui.services.import_parse import ParsedFile, RowProblem, read_rows, slug
from helpdesk_tui.services.sla import SlaBook, SlaTerms
from helpdesk_tui.store.bulk import (
    INTERACTION_COLUMNS,
    REQUESTER_COLUMNS,
    TICKET_COLUMNS,
    bulk_cache,
    bulk_insert,
    epoch_us,
    fts_bulk_mode,
    reserve_ids,
    timestamp_encoder,
)
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Agent, Category, Interaction, Requester, SupportGroup, Ticket
from helpdesk_tui.store.types import utcnow

__all__ = ["FIELDS", "ImportRefused", "ImportReport", "RowProblem", "SlaDueCache", "import_tickets"]

#: Rows per executemany: big enough to amortise the call, small enough for a smooth bar.
BATCH: Final = 20_000
#: Problems quoted in a strict refusal (the full list is in a non-strict report).
STRICT_QUOTE: Final = 5
#: impact and urgency recorded for an imported priority (the matrix read backwards).
_LEVELS_FOR: Final = {
    "critical": ("high", "high"),
    "high": ("high", "medium"),
    "medium": ("medium", "medium"),
    "low": ("medium", "low"),
    "informational": ("low", "low"),
}
_HOUR_US: Final = 3_600 * 1_000_000
#: The PostgreSQL advisory lock key that serialises imports ("hdimport" as a number).
_IMPORT_LOCK: Final = 0x6864696D706F7274
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Progress = Callable[[str, int, int], None]


class ImportRefused(UsageError):
    """A strict import found bad rows and wrote nothing (bad data, not bad usage: exit 1)."""

    exit_code = 1


class SlaDueCache:
    """`calendar.add` for many tickets at once: exact, memoised per hour.

    A bulk load needs two due times per ticket and one `add` costs about 5 µs. For a start
    `hour + d` in an hour that is wholly open, business time is additive, so
    `add(hour + d, t) == add(add(hour, t), d)`: the cached due of the hour, moved on by
    `d` within its window, or into the next window when it closes first. A wholly closed
    hour starts every clock at the same opening, so its due is the hour's. Every shortcut
    is verified against the calendar once per cached key; what cannot be verified (an hour
    with an opening or closing edge inside, a window shorter than an hour) goes to the
    calendar itself. Times are epoch microseconds.
    """

    def __init__(self) -> None:
        self._hours: dict[tuple[int, int], int] = {}
        self._dues: dict[tuple[int, int, int], tuple[int, int, int | None]] = {}

    def _open_us(self, cal: BusinessCalendar, start: int) -> int:
        """Business µs in the hour from `start` (cached)."""
        key = (id(cal), start)  # calendars live as long as the book: ids are stable
        found = self._hours.get(key)
        if found is None:
            found = _between_us(cal, start, start + _HOUR_US)
            self._hours[key] = found
        return found

    def _due(self, cal: BusinessCalendar, hour: int, target: int) -> tuple[int, int, int | None]:
        """`add(hour, target)`, the business room after it before its window closes (at
        most an hour), and where the clock resumes after that close (None: unknown)."""
        key = (id(cal), hour, target)
        found = self._dues.get(key)
        if found is None:
            due = epoch_us(cal.add(_instant(hour), target / 1e6))
            room = self._open_us(cal, due)
            resume: int | None = None
            if room < _HOUR_US:
                if _between_us(cal, due, due + room) != room:
                    room = 0  # closed and reopened within the hour: no shortcut
                else:
                    after = epoch_us(cal.next_open(_instant(due + room)))
                    resume = after if self._open_us(cal, after) == _HOUR_US else None
            found = self._dues[key] = (due, room, resume)
        return found

    def add(self, cal: BusinessCalendar, start: int, target: int) -> int:
        """Epoch µs when `target` µs of business time have elapsed after `start`."""
        if cal.always_open or target == 0:
            return start + target
        hour = start - start % _HOUR_US
        open_us = self._open_us(cal, hour)
        if open_us == 0:
            return self._due(cal, hour, target)[0]
        if open_us == _HOUR_US:
            due, room, resume = self._due(cal, hour, target)
            offset = start - hour
            if offset <= room:
                return due + offset
            if resume is not None:
                return resume + (offset - room)
        return epoch_us(cal.add(_instant(start), target / 1e6))

    def dues(self, terms: SlaTerms, start: int) -> tuple[int, int]:
        """(response due, resolution due) in epoch µs for a ticket created at `start`."""
        cal = terms.calendar
        return (
            self.add(cal, start, round(terms.response_s * 1e6)),
            self.add(cal, start, round(terms.resolve_s * 1e6)),
        )


def _between_us(cal: BusinessCalendar, start: int, end: int) -> int:
    return round(cal.between(_instant(start), _instant(end)) * 1e6)


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass
class ImportReport:
    """What an import did. `problems` are the bad rows that did not land."""

    path: str
    format: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    created_categories: list[str] = field(default_factory=list)
    created_requesters: int = 0
    first_id: int | None = None
    last_id: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys (problems as `row`/`line`/`message`)."""
        data = asdict(self)
        data["problems"] = [p._asdict() for p in self.problems]
        data["bad_rows"] = len(self.problems)
        data["seconds"] = round(self.seconds, 3)
        return data


def import_tickets(
    store: Store,
    actor: Actor,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    create_categories: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import tickets from `path` (CSV or JSONL) in one transaction (permission `ticket.import`).

    Not strict: good rows land and bad rows are listed in the report. Strict: any bad row
    refuses the whole file with a UsageError quoting the first problems.

    Importing the same file twice is harmless: each ticket keeps the row's `id` as its
    `external_ref` (a row without one gets a digest of its content instead, see
    `import_parse.CONTENT_KEY_PREFIX`), and a row whose external id a ticket already
    carries is skipped, never updated (the desk may have worked the ticket since; an
    import must not undo that), and counted in `duplicates`.
    """
    actor.require("ticket.import")
    started = time.perf_counter()
    now = now or utcnow()
    with store.read() as session:
        categories = category_lookup(session)
        rows = session.execute(sa.select(col(Agent.id), col(Agent.login))).all()
    agents = {login.lower(): aid for aid, login in rows if aid is not None}
    parsed = read_rows(
        path,
        mapping=mapping or {},
        categories=categories,
        create_categories=create_categories,
        agents=agents,
        now_us=epoch_us(now),
        progress=progress,
    )
    report = ImportReport(
        path=str(path),
        format=parsed.format,
        rows=parsed.rows,
        problems=parsed.problems,
        ignored_columns=parsed.ignored,
    )
    if strict and parsed.problems:
        quoted = "; ".join(str(p) for p in parsed.problems[:STRICT_QUOTE])
        more = len(parsed.problems) - STRICT_QUOTE
        raise ImportRefused(
            f"{path.name}: {len(parsed.problems)} bad row(s), nothing imported: {quoted}"
            + (f"; ... and {more} more" if more > 0 else "")
        )
    if parsed.good:
        store.run_write(lambda session: _write(session, actor, path, parsed, report, now, progress))
    report.seconds = time.perf_counter() - started
    return report


def category_lookup(session: Session) -> dict[str, str]:
    """Every spelling a file may use for an existing category -> its name."""
    lookup: dict[str, str] = {}
    for name, label in session.execute(sa.select(col(Category.name), col(Category.label))):
        for spelling in (label, name):  # the name wins over another category's label
            if spelling:
                lookup[spelling.strip().lower()] = lookup[slug(spelling)] = name
    return lookup


def _existing_refs(conn: sa.Connection, refs: list[str]) -> set[str]:
    """The ids among `refs` that tickets already carry as `external_ref`."""
    found: set[str] = set()
    column = Ticket.__table__.c.external_ref  # type: ignore[attr-defined]
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        found.update(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def _requester_ids(
    conn: sa.Connection, wanted: dict[str, tuple[str, str | None]], now_us: int
) -> tuple[dict[str, int], int]:
    """Ids for requester keys: existing ones matched by e-mail, then name; the rest created."""
    ids: dict[str, int] = {}
    table = Requester.__table__  # type: ignore[attr-defined]
    by_name: dict[str, int] = {}
    for rid, name, email in conn.execute(
        sa.select(table.c.id, table.c.name, table.c.email).order_by(table.c.id)
    ):
        if email:
            ids.setdefault(email.lower(), rid)
        by_name.setdefault(name.lower(), rid)
    for k, (name, email) in wanted.items():
        if k not in ids and email is None and name.lower() in by_name:
            ids[k] = by_name[name.lower()]
    missing = [k for k in wanted if k not in ids]
    encode = timestamp_encoder(conn)
    new_ids = reserve_ids(conn, table, len(missing))
    rows = []
    for rid, k in zip(new_ids, missing, strict=True):
        name, email = wanted[k]
        rows.append((rid, name, email, None, None, False, encode(now_us)))
        ids[k] = rid
    bulk_insert(conn, table, REQUESTER_COLUMNS, rows)
    return ids, len(rows)


def _write(
    session: Session,
    actor: Actor,
    path: Path,
    parsed: ParsedFile,
    report: ImportReport,
    now: datetime,
    progress: Progress | None,
) -> None:
    """Write the good rows in the current transaction; fills the counts of `report`."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # One import at a time, so that the second of two imports of the same file sees
        # the first one's tickets and skips them (SQLite's BEGIN IMMEDIATE does this).
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_IMPORT_LOCK)))
    refs = [p.ext_id for p in parsed.good if p.ext_id is not None]
    existing = _existing_refs(conn, refs) if refs else set()
    rows = [p for p in parsed.good if p.ext_id is None or p.ext_id not in existing]
    report.duplicates = len(parsed.good) - len(rows)
    used = {p.category for p in rows}
    new = {n: label for n, label in parsed.new_categories.items() if n in used}
    if new:
        top = session.scalar(sa.select(sa.func.max(Category.position))) or 0
        for offset, (name, label) in enumerate(sorted(new.items()), start=1):
            session.add(Category(name=name, label=label, position=top + offset))
        session.flush()
    report.created_categories = sorted(new)
    wanted: dict[str, tuple[str, str | None]] = {}
    for p in rows:
        if p.requester is not None:
            known = wanted.get(p.requester[0])
            if known is None or known[0] == known[1]:  # a real name beats a bare address
                wanted[p.requester[0]] = p.requester[1:]
    requester_ids, report.created_requesters = _requester_ids(conn, wanted, epoch_us(now))
    desk_query = sa.select(col(SupportGroup.id)).where(col(SupportGroup.name) == "Service Desk")
    desk = session.scalar(desk_query)
    book, dues, encode = SlaBook.load(session), SlaDueCache(), timestamp_encoder(conn)
    ids = reserve_ids(conn, Ticket.__table__, len(rows))  # type: ignore[attr-defined]
    now_us, note = epoch_us(now), f"imported from {path.name} row "
    agent = actor.agent_id
    with bulk_cache(conn), fts_bulk_mode(conn):
        for start in range(0, len(rows), BATCH):
            tickets, log = [], []
            for tid, p in zip(ids[start : start + BATCH], rows[start : start + BATCH], strict=True):
                terms = book.terms(p.priority)
                response_due, resolve_due = dues.dues(terms, p.created)
                impact, urgency = _LEVELS_FOR[p.priority]
                created = encode(p.created)
                last = max(p.created, p.first_response or 0, p.resolved or 0, p.closed or 0)
                paused = encode(now_us) if p.status == "waiting_customer" else None
                tickets.append((
                    tid, p.ext_id, p.kind, p.title, p.body, p.category, None, impact, urgency,
                    p.priority, None, False, p.status, p.channel,
                    requester_ids[p.requester[0]] if p.requester else None, p.assignee_id, desk,
                    agent, terms.policy_id, None, p.impact_scope, p.affected_users,
                    p.affected_system, p.error_codes, "", "", created, encode(last),
                    None if p.first_response is None else encode(p.first_response),
                    encode(response_due), encode(resolve_due), paused, 0.0,
                    None if p.resolved is None else encode(p.resolved),
                    None if p.closed is None else encode(p.closed), "", 0, 0, 1,
                ))  # fmt: skip
                log.append((tid, "created", f"{note}{p.row}", agent, created, 0, False))
            bulk_insert(conn, Ticket.__table__, TICKET_COLUMNS, tickets)  # type: ignore[attr-defined]
            bulk_insert(conn, Interaction.__table__, INTERACTION_COLUMNS, log)  # type: ignore[attr-defined]
            if progress is not None:
                progress("writing", start + len(tickets), len(rows))
    report.imported = len(rows)
    if rows:
        report.first_id, report.last_id = min(ids), max(ids)
    record_audit(
        session,
        actor,
        "ticket.import",
        "ticket",
        None,
        {
            "file": path.name,
            "format": parsed.format,
            "imported": report.imported,
            "duplicates": report.duplicates,
            "bad_rows": len(parsed.problems),
            "created_categories": report.created_categories,
            "created_requesters": report.created_requesters,
            "first_id": report.first_id,
            "last_id": report.last_id,
        },
        now=now,
    )
