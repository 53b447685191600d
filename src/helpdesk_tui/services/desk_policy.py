"""Desk-wide policy values in the database (`desk_setting`), set by admins and audited.

Before issue 11 these came from each user's config.toml, so whoever ran a command decided
the desk's policy (an L1 agent wrote an auto-escalation rule and the watcher escalated as
SYSTEM). Now there is one value per desk: read by every client and the watcher alike,
changed only with `config.manage` (`helpdesk policy set`), each change an audit row.

`DeskPolicy` holds the scalar settings (closure and watcher backlog); `get_value` /
`put_value` are the generic JSON store other policy modules use (the survey
questionnaire). A key that was never set takes its default, so adding a setting needs
no migration. Calendars, SLA targets and auto-escalation rules have tables of their own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.closure import DEFAULT_AUTO_CLOSE_DAYS, DEFAULT_REOPEN_DAYS
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.monitor_config import DEFAULT_BACKLOG_HOURS
from helpdesk_tui.store.models import Agent
from helpdesk_tui.store.models.policy import DeskSetting
from helpdesk_tui.store.types import utcnow

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_KEYS",
    "DeskPolicy",
    "get_value",
    "load_policy",
    "policy_rows",
    "put_value",
    "set_policy",
]

#: Upper bounds: beyond these a value is a typo (a year of silence, ten years to reopen).
MAX_AUTO_CLOSE_DAYS: Final = 365
MAX_REOPEN_DAYS: Final = 3650
MAX_BACKLOG_HOURS: Final = 24.0 * 365


@dataclass(frozen=True)
class DeskPolicy:
    """The scalar desk policy (defaults are what a desk has before anyone sets them)."""

    #: Days a resolved ticket waits for the requester's confirmation before it closes.
    auto_close_days: int = DEFAULT_AUTO_CLOSE_DAYS
    #: Days after resolution within which a ticket may still be reopened.
    reopen_days: int = DEFAULT_REOPEN_DAYS
    #: Crossings the watcher first sees older than this are summarised, not sent to all.
    backlog_hours: float = DEFAULT_BACKLOG_HOURS

    def to_dict(self) -> dict[str, object]:
        """JSON-able form (`helpdesk policy show --json`)."""
        return asdict(self)


DEFAULT_POLICY: Final = DeskPolicy()


def _whole(low: int, high: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return check


def _hours(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a number of hours from 0 to {MAX_BACKLOG_HOURS:g}")
    hours = float(value)
    if not math.isfinite(hours) or not 0 <= hours <= MAX_BACKLOG_HOURS:
        raise ValueError(f"a number of hours from 0 to {MAX_BACKLOG_HOURS:g}")
    return hours


#: Stored key -> (DeskPolicy field, validator returning the clean value, what it means).
POLICY_KEYS: Final[dict[str, tuple[str, Callable[[object], Any], str]]] = {
    "closure.auto_close_days": (
        "auto_close_days",
        _whole(1, MAX_AUTO_CLOSE_DAYS),
        "days a resolved ticket waits for confirmation before it closes by itself",
    ),
    "closure.reopen_days": (
        "reopen_days",
        _whole(1, MAX_REOPEN_DAYS),
        "days after resolution within which a ticket may be reopened",
    ),
    "sla.backlog_hours": (
        "backlog_hours",
        _hours,
        "older crossings first seen by the watcher are summarised to supervisors",
    ),
}
_FIELD_KEYS: Final = {field: key for key, (field, _check, _doc) in POLICY_KEYS.items()}


def get_value(session: Session, key: str) -> Any | None:
    """The stored JSON value of `key`, or None if it was never set."""
    raw = session.scalar(sa.select(col(DeskSetting.value)).where(col(DeskSetting.key) == key))
    return None if raw is None else json.loads(raw)


def put_value(
    session: Session, actor: Actor, key: str, value: Any, *, now: datetime | None = None
) -> None:
    """Store `value` (JSON-able) under `key`, replacing what was there. No permission
    check and no audit here: callers check theirs and audit what the change means."""
    now = now or utcnow()
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    row = session.get(DeskSetting, key)
    if row is None:
        session.add(DeskSetting(key=key, value=text, updated_at=now, updated_by_id=actor.agent_id))
    else:
        row.value, row.updated_at, row.updated_by_id = text, now, actor.agent_id
    session.flush()


def load_policy(session: Session) -> DeskPolicy:
    """The desk's policy: stored values over the defaults.

    A stored value that no longer passes its check (edited by hand in the database) is
    ignored in favour of the default rather than stopping every command of every agent.
    """
    values: dict[str, Any] = {}
    rows = session.execute(
        sa.select(col(DeskSetting.key), col(DeskSetting.value)).where(
            col(DeskSetting.key).in_(list(POLICY_KEYS))
        )
    )
    for key, raw in rows:
        field, check, _doc = POLICY_KEYS[key]
        try:
            values[field] = check(json.loads(raw))
        except (ValueError, TypeError):
            continue
    return DeskPolicy(**values)


def set_policy(
    session: Session,
    actor: Actor,
    changes: dict[str, object],
    *,
    now: datetime | None = None,
) -> DeskPolicy:
    """Change policy values by field name (permission `config.manage`, audited once).

    `changes` maps `DeskPolicy` field names to new values; each is validated first, so
    nothing is written when one of them is wrong.
    """
    actor.require("config.manage")
    if not changes:
        raise UsageError("nothing to change; give at least one setting")
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        key = _FIELD_KEYS.get(field)
        if key is None:
            raise UsageError(f"unknown policy setting {field!r}; valid: {', '.join(_FIELD_KEYS)}")
        _field, check, _doc = POLICY_KEYS[key]
        try:
            clean[key] = check(value)
        except ValueError as exc:
            raise UsageError(f"{field} must be {exc}, not {value!r}") from None
    before = load_policy(session)
    now = now or utcnow()
    for key, value in clean.items():
        put_value(session, actor, key, value, now=now)
    after = load_policy(session)
    detail = {
        POLICY_KEYS[key][0]: {
            "from": getattr(before, POLICY_KEYS[key][0]),
            "to": getattr(after, POLICY_KEYS[key][0]),
        }
        for key in clean
    }
    record_audit(session, actor, "policy.set", "desk_setting", None, detail, now=now)
    return after


def policy_rows(session: Session) -> list[dict[str, object]]:
    """Every scalar setting with its value, whether it is the default, and who set it."""
    stored = {
        key: (raw, at, login)
        for key, raw, at, login in session.execute(
            sa.select(
                col(DeskSetting.key),
                col(DeskSetting.value),
                col(DeskSetting.updated_at),
                col(Agent.login),
            ).outerjoin(Agent, col(Agent.id) == col(DeskSetting.updated_by_id))
        )
    }
    policy = load_policy(session)
    rows: list[dict[str, object]] = []
    for key, (field, _check, doc) in POLICY_KEYS.items():
        _raw, at, login = stored.get(key, (None, None, None))
        rows.append(
            {
                "setting": field,
                "value": getattr(policy, field),
                "default": getattr(DEFAULT_POLICY, field),
                "set_at": at,
                "set_by": login if at is not None else None,
                "meaning": doc,
            }
        )
    return rows
