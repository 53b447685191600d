"""Reading and validating an import file (CSV or JSONL) into rows ready to write.

Pure Python, no database: the caller passes the desk's categories and agents in. Every
problem is collected with its row number instead of stopping at the first one, so one
run shows everything to fix. See `services.importer` for the row-number convention.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, NamedTuple

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.import_formats import (
    FIELDS,
    IGNORE,
    csv_records,
    jsonl_records,
    key,
    open_source,
    quote,
)
from helpdesk_tui.services.vocab import CHANNELS, IMPACT_SCOPES, KINDS, PRIORITIES, STATUSES
from helpdesk_tui.store.bulk import epoch_us
from helpdesk_tui.store.limits import INT32_MAX, column_limit
from helpdesk_tui.store.models import Category, Requester, Ticket

#: Title length when the title is cut from `text`.
TITLE_FROM_TEXT: Final = 80
#: How the external id made for a row without one begins (`Checker.content_key`).
CONTENT_KEY_PREFIX: Final = "content:"


def _limit(table: object, column: str) -> int:
    found = column_limit(table.__table__, column)  # type: ignore[attr-defined]
    assert found is not None, column
    return found


#: The longest value each field may have: what its column holds, on every backend.
_MAX: Final = {
    "id": _limit(Ticket, "external_ref"),
    "title": _limit(Ticket, "title"),
    "category": _limit(Category, "name"),
    "category_label": _limit(Category, "label"),
    "affected_system": _limit(Ticket, "affected_system"),
    "error_codes": _limit(Ticket, "error_codes"),
    "requester": _limit(Requester, "name"),
    "email": _limit(Requester, "email"),
}
#: Times before this are placeholders or typos, not a desk's history (epoch µs: 1970).
_EARLIEST_US: Final = 0
#: How far past the moment of the import a time may lie (clocks of the old system).
_AHEAD_US: Final = 24 * 3_600 * 1_000_000
_PRIORITY_ALIASES: Final = {
    "urgent": "critical",
    "moderate": "medium",
    "normal": "medium",
    "planning": "informational",
    "info": "informational",
}
_PRIORITY_CODE = re.compile(r"p?([1-5])(?![0-9])")
_STATUS_ALIASES: Final = {
    "open": "new",
    "pending": "waiting_customer",
    "on_hold": "waiting_customer",
    "waiting": "waiting_customer",
    "canceled": "cancelled",
    "solved": "resolved",
}
_CHANNEL_ALIASES: Final = {"e_mail": "email", "mail": "email", "web": "portal", "walkin": "walk_in"}
_KIND_ALIASES: Final = {"request": "service_request", "sr": "service_request"}
_ADDRESS = re.compile(r"(.*?)\s*<([^<>\s]+@[^<>\s]+)>")
_SLUG = re.compile(r"[^0-9a-z]+")
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)
_ONE_US: Final = timedelta(microseconds=1)
_OPEN: Final = ("new", "in_progress", "waiting_customer", "escalated")
_STAMPS: Final = ("created_at", "first_response_at", "resolved_at", "closed_at")
#: field -> (valid values, aliases, default when the row has none).
_VOCABULARY: Final[dict[str, tuple[tuple[str, ...], Mapping[str, str], str]]] = {
    "status": (STATUSES, _STATUS_ALIASES, "closed"),
    "kind": (KINDS, _KIND_ALIASES, "incident"),
    "channel": (CHANNELS, _CHANNEL_ALIASES, "phone"),
    "impact_scope": (IMPACT_SCOPES, {}, "one_user"),
}


#: (field, default) of the vocabulary fields, in the order `check` fills them.
_DEFAULTS: Final = tuple((name, default) for name, (_, _, default) in _VOCABULARY.items())


class RowProblem(NamedTuple):
    """A bad row: its number (header = row 1), first physical line, and what is wrong."""

    row: int
    line: int
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.line == self.row else f"row {self.row} (line {self.line})"
        return f"{where}: {self.message}"


class Parsed(NamedTuple):
    """One valid row, in storage terms (times in epoch microseconds)."""

    row: int
    ext_id: str | None
    title: str
    body: str
    category: str
    priority: str
    status: str
    kind: str
    channel: str
    requester: tuple[str, str, str | None] | None  # (dedupe key, name, e-mail)
    created: int
    first_response: int | None
    resolved: int | None
    closed: int | None
    assignee_id: int | None
    impact_scope: str
    affected_users: int
    affected_system: str | None
    error_codes: str


@dataclass
class ParsedFile:
    """Everything read from a file: good rows, problems and what was left aside."""

    format: str
    rows: int = 0
    good: list[Parsed] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    new_categories: dict[str, str] = field(default_factory=dict)  # name -> label


def slug(value: str) -> str:
    """A category name made from a label: `HR Support` -> `hr_support`."""
    return _SLUG.sub("_", value.strip().lower()).strip("_")


class _Bad(Exception):
    """A problem with the current row (caught per row, never escapes this module)."""


def _choice(what: str, raw: str, valid: tuple[str, ...], aliases: Mapping[str, str]) -> str:
    k = key(raw)
    k = aliases.get(k, k)
    if k not in valid:
        raise _Bad(f"unknown {what} {quote(raw)}; valid: {', '.join(valid)}")
    return k


def _priority(raw: str) -> str:
    k = key(raw)
    code = _PRIORITY_CODE.match(k)
    if code is not None and k not in PRIORITIES:
        return PRIORITIES[int(code.group(1)) - 1]
    return _choice("priority", raw, (*PRIORITIES, "1-5"), _PRIORITY_ALIASES)


def _instant(name: str, raw: str) -> int:
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise _Bad(f"{name}: not an ISO 8601 date/time: {quote(raw)}") from None
    if at.tzinfo is None:  # naive means UTC
        return (at - _NAIVE_EPOCH) // _ONE_US
    return epoch_us(at)


def _requester(raw: str) -> tuple[str, str, str | None]:
    text = " ".join(raw.split())
    match = _ADDRESS.fullmatch(text)
    if match:
        name, email = match.group(1).strip('" ') or match.group(2), match.group(2)
    elif "@" in text and " " not in text:
        name, email = text, text
    else:
        name, email = text, None
    if email is not None and len(email) > _MAX["email"]:
        raise _Bad(f"requester e-mail is longer than {_MAX['email']} characters")
    return ((email or name).lower(), _clip(name, _MAX["requester"]), email)


def _out_of_time(v: Mapping[str, str], created: int, latest: int) -> _Bad:
    """The problem of a row whose creation time no desk's history can have."""
    name = next(n for n in _STAMPS if n in v and _instant(n, v[n]) == created)
    when = "before 1970" if created < _EARLIEST_US else "in the future"
    return _Bad(f"{name} {quote(v[name])} is {when}")


def _count(text: str) -> bool:
    """True for a whole number from 1 to what an INTEGER column holds (ASCII digits)."""
    return (
        text.isascii()
        and text.isdigit()
        and len(text) <= len(str(INT32_MAX))
        and 1 <= int(text) <= INT32_MAX
    )


_TITLE_MAX: Final = _MAX["title"]
_SYSTEM_MAX: Final = _MAX["affected_system"]
_CODES_MAX: Final = _MAX["error_codes"]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title_from(text: str) -> str:
    first = text.strip().split("\n", 1)[0].strip()
    if len(first) <= TITLE_FROM_TEXT:
        return first
    cut = first[:TITLE_FROM_TEXT].rsplit(" ", 1)[0] if " " in first[:TITLE_FROM_TEXT] else ""
    return (cut or first[: TITLE_FROM_TEXT - 1]).rstrip() + "…"


class _Checker:
    """Turns a row's raw values into a `Parsed` or raises `_Bad`."""

    def __init__(
        self,
        categories: Mapping[str, str],
        create_categories: bool,
        agents: Mapping[str, int],
        now_us: int,
        out: ParsedFile,
    ) -> None:
        self.categories = dict(categories)  # lookup key -> category name
        self.create = create_categories
        self.agents = agents
        self.now_us = now_us
        self.out = out
        self.seen: dict[str, int] = {}  # id -> row first seen
        self.copies: dict[str, int] = {}  # content of a row without id -> copies so far
        self.people: dict[str, tuple[str, str, str | None]] = {}  # raw requester -> parsed
        self.words: dict[tuple[str, str], str] = {}  # (field, raw value) -> vocabulary word
        self.default_category = self.categories.get("other")

    def category(self, raw: str) -> str:
        found = self.categories.get(raw.strip().lower()) or self.categories.get(slug(raw))
        if found is not None:
            return found
        name = slug(raw)
        if not self.create:
            raise _Bad(f"unknown category {quote(raw.strip())} (--create-categories adds it)")
        if not name or len(name) > _MAX["category"]:
            raise _Bad(f"category {quote(raw.strip())} cannot be a category name")
        self.out.new_categories[name] = _clip(raw.strip(), _MAX["category_label"])
        self.categories[raw.strip().lower()] = self.categories[name] = name
        return name

    def requester(self, raw: str) -> tuple[str, str, str | None]:
        """`_requester(raw)`, memoised: a history names the same people again and again."""
        found = self.people.get(raw)
        if found is None:
            found = self.people[raw] = _requester(raw)
        return found

    def word(self, name: str, raw: str) -> str:
        """The vocabulary word `raw` means for field `name` (memoised: files repeat them)."""
        found = self.words.get((name, raw))
        if found is None:
            if name == "priority":
                found = _priority(raw)
            else:
                valid, aliases, _ = _VOCABULARY[name]
                found = _choice(name.replace("_", " "), raw, valid, aliases)
            self.words[(name, raw)] = found
        return found

    def check(self, row: int, values: Mapping[str, str]) -> Parsed:
        v = {k: text for k, x in values.items() if (text := x.strip())}
        ext = v.get("id")
        if ext is not None and len(ext) > _MAX["id"]:
            raise _Bad(f"id {quote(ext)} is longer than {_MAX['id']} characters")
        if ext is not None and ext in self.seen:
            raise _Bad(f"duplicate id {quote(ext)} (first in row {self.seen[ext]})")
        title = v.get("title") or (_title_from(v["text"]) if "text" in v else "")
        if not title:
            raise _Bad("no title and no text")
        if "category" in v:
            category = self.category(v["category"])
        elif self.default_category is None:
            raise _Bad("no category (and the desk has no 'other' category)")
        else:
            category = self.default_category
        memo, words = self.words, {}
        for name, default in _DEFAULTS:  # a loop over the memo: the hot path of a big file
            raw = v.get(name)
            words[name] = default if raw is None else memo.get((name, raw)) or self.word(name, raw)
        status = words["status"]
        stamps = {name: _instant(name, v[name]) for name in _STAMPS if name in v}
        # Without a creation time: the earliest time the row has, else the import's.
        created = stamps.pop("created_at", min(stamps.values(), default=self.now_us))
        latest = self.now_us + _AHEAD_US
        if not _EARLIEST_US <= created <= latest:
            raise _out_of_time(v, created, latest)
        for name, at in stamps.items():
            if at < created:
                raise _Bad(f"{name} {v[name]} is before created_at")
            if at > latest:
                raise _Bad(f"{name} {quote(v[name])} is in the future")
        resolved, closed = stamps.get("resolved_at"), stamps.get("closed_at")
        if status in _OPEN and (resolved or closed):
            raise _Bad(f"status {status} is open but the row has a resolved/closed time")
        if status == "closed":
            closed = closed or resolved or created
            resolved = resolved or closed
        elif status == "resolved":
            resolved = resolved or closed or created
        elif status == "cancelled":
            closed = closed or created
        assignee = None
        if "assignee" in v:
            assignee = self.agents.get(v["assignee"].lower())
            if assignee is None:
                raise _Bad(f"no agent with login {quote(v['assignee'])}")
        users = v.get("affected_users", "1")
        if not _count(users):
            raise _Bad(
                f"affected_users must be a whole number from 1 to {INT32_MAX:,}: {quote(users)}"
            )
        system = v.get("affected_system")
        parsed = Parsed(
            row=row,
            ext_id=ext,
            title=_clip(" ".join(title.split()), _TITLE_MAX),
            body=values.get("body") or values.get("text") or "",
            category=category,
            priority=(
                memo.get(("priority", v["priority"])) or self.word("priority", v["priority"])
                if "priority" in v
                else "medium"
            ),
            status=status,
            kind=words["kind"],
            channel=words["channel"],
            requester=self.requester(v["requester"]) if "requester" in v else None,
            created=created,
            first_response=stamps.get("first_response_at"),
            resolved=resolved,
            closed=closed,
            assignee_id=assignee,
            impact_scope=words["impact_scope"],
            affected_users=int(users),
            affected_system=None if system is None else _clip(system, _SYSTEM_MAX),
            error_codes=_clip(v.get("error_codes", ""), _CODES_MAX),
        )
        if ext is not None:
            self.seen[ext] = row
        else:
            parsed = parsed._replace(ext_id=self.content_key(v))
        return parsed

    def content_key(self, values: Mapping[str, str]) -> str:
        """The external id of a row without one: a digest of what the row says.

        Importing the same file again then recognises the row like one with an id. The
        n-th copy of identical rows gets its own key, so a file that repeats a row
        (three "password reset" calls with no time) still imports each copy once.
        """
        text = "\x1f".join(f"{k}\x1e{values[k]}" for k in sorted(values))
        copy = self.copies[text] = self.copies.get(text, 0) + 1
        digest = hashlib.blake2b(f"{copy}\x1d{text}".encode(), digest_size=16).hexdigest()
        return f"{CONTENT_KEY_PREFIX}{digest}"


def read_rows(
    path: Path,
    *,
    mapping: Mapping[str, str],
    categories: Mapping[str, str],
    create_categories: bool,
    agents: Mapping[str, int],
    now_us: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> ParsedFile:
    """Read and validate the whole file. Raises UsageError only for file-level trouble."""
    for column, target in mapping.items():
        if target not in ("", IGNORE, *FIELDS):
            raise UsageError(f"--map {column}={target}: unknown field; valid: {', '.join(FIELDS)}")
    handle, fmt, size = open_source(path)
    out = ParsedFile(format=fmt)
    checker = _Checker(categories, create_categories, agents, now_us, out)
    records = (csv_records if fmt == "csv" else jsonl_records)(handle, path, mapping, out.ignored)
    row = 0
    try:
        with handle:
            for row, line, values in records:
                out.rows += 1
                if isinstance(values, str):
                    out.problems.append(RowProblem(row, line, values))
                    continue
                try:
                    out.good.append(checker.check(row, values))
                except _Bad as exc:
                    out.problems.append(RowProblem(row, line, str(exc)))
                if progress is not None and out.rows % 8192 == 0:
                    progress("reading", handle.buffer.tell(), size)
    except UnicodeDecodeError:
        raise UsageError(f"{path.name}: not UTF-8 text (after row {row})") from None
    if progress is not None:
        progress("reading", size, size)
    return out
