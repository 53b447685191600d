"""Audit rows, written in the caller's transaction so a change and its audit land together."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.models import Audit
from helpdesk_tui.store.types import utcnow


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = None,
    detail: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> Audit:
    """Add an audit row for `action` on `entity` to the session (flushed with the change)."""
    row = Audit(
        at=now or utcnow(),
        actor_id=actor.agent_id,
        real_actor_id=actor.real_agent_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=json.dumps(detail or {}, default=str, sort_keys=True),
    )
    session.add(row)
    return row
