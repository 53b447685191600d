"""Creating a desk: schema, default vocabularies, roles, SLA policies and the first admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import SYSTEM
from helpdesk_tui.services.rbac import seed_roles
from helpdesk_tui.services.sla import seed_sla
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES
from helpdesk_tui.store import migrate
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.files import make_dir
from helpdesk_tui.store.models import Agent, AgentRole, Category, GroupMember, Role, SupportGroup
from helpdesk_tui.store.types import pk

#: The groups a new desk starts with: name -> tier.
DEFAULT_GROUPS: Final[dict[str, int]] = {
    "Service Desk": 1,
    "L2 Desktop": 2,
    "L2 Network": 2,
    "L2 Identity": 2,
    "L2 Applications": 2,
    "L2 Messaging": 2,
    "L2 Backup": 2,
    "L3 Infrastructure": 3,
    "L3 Security": 3,
}


@dataclass(frozen=True)
class InitResult:
    """What `initialise_desk` did."""

    created_admin: bool
    admin_login: str
    revision: str


def seed_categories(session: Session) -> None:
    """Add the default categories that do not exist yet."""
    existing = set(session.scalars(sa.select(col(Category.name))))
    for position, name in enumerate(DEFAULT_CATEGORIES):
        if name not in existing:
            session.add(
                Category(name=name, label=name.replace("_", " ").capitalize(), position=position)
            )
    session.flush()


def seed_groups(session: Session) -> None:
    """Add the default support groups that do not exist yet."""
    existing = set(session.scalars(sa.select(col(SupportGroup.name))))
    for name, tier in DEFAULT_GROUPS.items():
        if name not in existing:
            session.add(SupportGroup(name=name, tier=tier))
    session.flush()


def _ensure_admin(session: Session, login: str, name: str) -> bool:
    """Make `login` an admin unless the desk has one already. True if it did."""
    admin_role = session.scalars(sa.select(Role).where(col(Role.name) == "admin")).one()
    has_admin = session.scalars(
        sa.select(col(AgentRole.agent_id)).where(col(AgentRole.role_id) == admin_role.id).limit(1)
    ).first()
    if has_admin is not None:
        return False
    agent = session.scalars(sa.select(Agent).where(col(Agent.login) == login)).first()
    if agent is None:
        agent = Agent(login=login, name=name)
        session.add(agent)
        session.flush()
    session.add(AgentRole(agent_id=pk(agent), role_id=pk(admin_role)))
    desk = session.scalars(
        sa.select(SupportGroup).where(col(SupportGroup.name) == "Service Desk")
    ).one()
    if session.get(GroupMember, (desk.id, agent.id)) is None:
        session.add(GroupMember(group_id=pk(desk), agent_id=pk(agent)))
    record_audit(session, SYSTEM, "agent.first_admin", "agent", agent.id, {"login": login})
    return True


def initialise_desk(store: Store, login: str, name: str, timezone: str = "UTC") -> InitResult:
    """Create or upgrade the schema and seed what a working desk needs (idempotent)."""
    path = store.sqlite_path
    if path is not None:
        make_dir(path.parent, store.file_modes)  # the file itself: Store creates it
    migrate.upgrade(store)

    def seed(session: Session) -> bool:
        seed_categories(session)
        seed_roles(session)
        seed_sla(session, timezone=timezone)
        seed_groups(session)
        return _ensure_admin(session, login, name)

    created = store.run_write(seed)
    return InitResult(created_admin=created, admin_login=login, revision=migrate.SCHEMA_HEAD)
