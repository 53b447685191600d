"""Requesters: find the caller or mail sender, or record them inline."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import NotFound
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.models import Requester


def find_requester(session: Session, ref: str) -> Requester | None:
    """Find a requester by id (`#12` or `12`), e-mail, phone or exact name (case-insensitive)."""
    ref = ref.strip()
    digits = ref.removeprefix("#")
    if digits.isdigit():
        found = session.get(Requester, int(digits))
        if found is not None:
            return found
    lowered = ref.lower()
    query = sa.select(Requester).where(
        sa.or_(
            sa.func.lower(col(Requester.email)) == lowered,
            col(Requester.phone) == ref,
            sa.func.lower(col(Requester.name)) == lowered,
        )
    )
    return session.scalars(query.order_by(col(Requester.id)).limit(1)).first()


def get_requester(session: Session, requester_id: int) -> Requester:
    """The requester with this id, or NotFound."""
    found = session.get(Requester, requester_id)
    if found is None:
        raise NotFound(f"no requester #{requester_id}")
    return found


def find_or_create_requester(
    session: Session,
    actor: Actor,
    ref: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    vip: bool = False,
) -> Requester:
    """Return the requester `ref` names, creating one (audited) when nobody matches."""
    found = find_requester(session, ref)
    if found is not None:
        return found
    name = ref.strip()
    if email is None and "@" in name and " " not in name:
        email = name
    requester = Requester(name=name, email=email, phone=phone, vip=vip)
    session.add(requester)
    session.flush()
    record_audit(session, actor, "requester.create", "requester", requester.id, {"name": name})
    return requester
