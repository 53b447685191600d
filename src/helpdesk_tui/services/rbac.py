"""Identity, roles and permissions (DESIGN §7). Enforced here, below every UI."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, PermissionDenied, UsageError, invalid_choice
from helpdesk_tui.services.agent_rules import (
    active_admin_count,
    check_admin_remains,
    validate_agent_name,
    validate_email,
    validate_login,
)
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.identity import os_full_name as os_full_name
from helpdesk_tui.services.identity import os_login as os_login
from helpdesk_tui.services.vocab import PRESENCES
from helpdesk_tui.store.models import (
    Agent,
    AgentRole,
    GroupMember,
    Permission,
    Role,
    RolePermission,
    SupportGroup,
)
from helpdesk_tui.store.types import pk, utcnow

#: Every named permission and what it allows.
PERMISSIONS: Final[dict[str, str]] = {
    "ticket.read": "see tickets and their logs",
    "ticket.create": "record new tickets",
    "ticket.update": "edit a ticket's facts, category and description",
    "ticket.note": "add notes, calls and mails to a ticket's log",
    "ticket.take": "take a ticket for oneself",
    "ticket.assign": "assign tickets to other agents or groups",
    "ticket.status": "move tickets through their lifecycle",
    "ticket.priority.override": "override the priority the matrix gives",
    "ticket.escalate": "escalate tickets to L2/L3 or a supervisor",
    "ticket.cancel": "cancel tickets",
    "ticket.supervise": "work any ticket: accept any group's escalations, move others' tickets",
    "ticket.autoclose": "close resolved tickets whose requester never confirmed (ticket autoclose)",
    "ticket.import": "bulk-import tickets",
    "triage.run": "ask triage for suggestions",
    "triage.train": "train the learned category model",
    "report.view": "run supervisor reports",
    "sla.watch": "run the SLA watcher (warnings, breaches, auto-escalation, auto-close)",
    "audit.view": "read the audit trail",
    "agent.manage": "add agents and change their roles and groups",
    "agent.impersonate": "act as another agent (--as)",
    "config.manage": "change categories, SLA policies, calendars and rules",
    "demo.generate": "fill a database with demo data",
    "kb.write": "write and edit knowledge articles",
    "kb.publish": "publish and retire knowledge articles",
    "sop.manage": "sync and edit the SOP library",
    "announcement.create": "draft announcements",
    "announcement.approve": "approve announcements",
    "cmdb.change.request": "request CMDB changes",
    "cmdb.change.approve": "approve CMDB changes",
    "survey.manage": "plan satisfaction surveys",
    "survey.record": "record satisfaction callbacks",
}

_AGENT: Final = [
    "ticket.read",
    "ticket.create",
    "ticket.update",
    "ticket.note",
    "ticket.take",
    "ticket.status",
    "ticket.priority.override",
    "ticket.escalate",
    "triage.run",
    "kb.write",
    "announcement.create",
    "cmdb.change.request",
    "survey.record",
]
_ENGINEER: Final = [*_AGENT, "ticket.assign", "kb.publish", "sop.manage"]
_SUPERVISOR: Final = [
    *_ENGINEER,
    "ticket.cancel",
    "ticket.supervise",
    "ticket.autoclose",
    "sla.watch",
    "ticket.import",
    "triage.train",
    "report.view",
    "audit.view",
    "announcement.approve",
    "cmdb.change.approve",
    "survey.manage",
]

#: The default roles and their permissions.
DEFAULT_ROLES: Final[dict[str, tuple[str, list[str]]]] = {
    "agent": ("L1 hotline agent", _AGENT),
    "engineer": ("L2/L3 engineer", _ENGINEER),
    "supervisor": ("service desk supervisor", _SUPERVISOR),
    "admin": ("administrator: everything", list(PERMISSIONS)),
}


def seed_roles(session: Session) -> None:
    """Create the permissions and default roles that do not exist yet (idempotent)."""
    existing = {p.name: p for p in session.scalars(sa.select(Permission))}
    for name, description in PERMISSIONS.items():
        if name not in existing:
            existing[name] = Permission(name=name, description=description)
            session.add(existing[name])
    session.flush()
    for role_name, (description, perms) in DEFAULT_ROLES.items():
        role = session.scalars(sa.select(Role).where(col(Role.name) == role_name)).first()
        if role is None:
            role = Role(name=role_name, description=description)
            session.add(role)
            session.flush()
        granted = set(
            session.scalars(
                sa.select(col(Permission.name))
                .join(RolePermission, col(RolePermission.permission_id) == col(Permission.id))
                .where(col(RolePermission.role_id) == role.id)
            )
        )
        for perm in perms:
            if perm not in granted:
                session.add(RolePermission(role_id=pk(role), permission_id=pk(existing[perm])))
    session.flush()


def _agent_by_login(session: Session, login: str) -> Agent:
    agent = session.scalars(sa.select(Agent).where(col(Agent.login) == login)).first()
    if agent is None:
        raise NotFound(f"no agent with login {login!r}")
    return agent


def actor_for(session: Session, agent: Agent, real: Agent | None = None) -> Actor:
    """Build the Actor for `agent`, loading their roles, permissions and groups."""
    roles = tuple(
        session.scalars(
            sa.select(col(Role.name))
            .join(AgentRole, col(AgentRole.role_id) == col(Role.id))
            .where(col(AgentRole.agent_id) == agent.id)
            .order_by(col(Role.name))
        )
    )
    perms = frozenset(
        session.scalars(
            sa.select(col(Permission.name))
            .join(RolePermission, col(RolePermission.permission_id) == col(Permission.id))
            .join(AgentRole, col(AgentRole.role_id) == col(RolePermission.role_id))
            .where(col(AgentRole.agent_id) == agent.id)
        )
    )
    groups = tuple(
        session.scalars(
            sa.select(col(GroupMember.group_id)).where(col(GroupMember.agent_id) == agent.id)
        )
    )
    return Actor(
        agent_id=agent.id,
        login=agent.login,
        name=agent.name,
        permissions=perms,
        roles=roles,
        real_agent_id=(real or agent).id,
        group_ids=groups,
    )


def resolve_actor(session: Session, login: str, as_login: str | None = None) -> Actor:
    """The Actor for the OS account `login`, optionally acting as `as_login` (admins only).

    Raises PermissionDenied when `login` is not a registered, active agent, or when a
    non-admin asks to act as someone else.
    """
    agent = session.scalars(sa.select(Agent).where(col(Agent.login) == login)).first()
    if agent is None:
        raise PermissionDenied(
            f"{login} is not an agent of this desk; an admin can add you with "
            f"`helpdesk user add {login}`"
        )
    if not agent.active:
        raise PermissionDenied(
            f"{login} is disabled on this desk; an admin can enable you again with "
            f"`helpdesk user enable {login}`"
        )
    real = actor_for(session, agent)
    if as_login is None or as_login == login:
        return real
    if not real.can("agent.impersonate"):
        raise PermissionDenied(f"{login} may not act as another agent (--as is for admins)")
    try:
        target = _agent_by_login(session, as_login)
    except NotFound:
        raise NotFound(f"no agent with login {as_login!r} to act as") from None
    if not target.active:
        raise PermissionDenied(f"{as_login} is disabled; nobody can act as them")
    return actor_for(session, target, real=agent)


def add_agent(
    session: Session,
    actor: Actor,
    login: str,
    name: str,
    *,
    roles: Sequence[str] = ("agent",),
    groups: Sequence[str] = (),
    email: str | None = None,
) -> Agent:
    """Register an agent with roles and group memberships (permission `agent.manage`).

    The login must be a valid OS login (`agent_rules.validate_login`; exit 2 otherwise).
    """
    actor.require("agent.manage")
    validate_login(login)
    name = validate_agent_name(name)
    email = validate_email(email)
    if (
        session.scalars(sa.select(col(Agent.id)).where(col(Agent.login) == login)).first()
        is not None
    ):
        raise Conflict(f"an agent with login {login!r} exists already")
    agent = Agent(login=login, name=name or login, email=email)
    session.add(agent)
    session.flush()
    _set_roles(session, agent, roles)
    _set_groups(session, agent, groups)
    record_audit(
        session,
        actor,
        "agent.add",
        "agent",
        agent.id,
        {"login": login, "roles": list(roles), "groups": list(groups)},
    )
    return agent


def set_agent_roles(session: Session, actor: Actor, login: str, roles: Sequence[str]) -> Agent:
    """Replace an agent's roles (permission `agent.manage`; keeps an active admin)."""
    actor.require("agent.manage")
    agent = _agent_by_login(session, login)
    before = active_admin_count(session, lock=True)
    _set_roles(session, agent, roles)
    check_admin_remains(session, before, login)
    record_audit(session, actor, "agent.roles", "agent", agent.id, {"roles": list(roles)})
    return agent


def grant_roles(session: Session, actor: Actor, login: str, roles: Sequence[str]) -> list[str]:
    """Give an agent more roles (permission `agent.manage`); returns all their roles."""
    actor.require("agent.manage")
    agent = _agent_by_login(session, login)
    current = agent_role_names(session, login)
    wanted = [*current, *(r for r in roles if r not in current)]
    if wanted != current:
        _set_roles(session, agent, wanted)
        added = [r for r in wanted if r not in current]
        record_audit(session, actor, "agent.grant", "agent", agent.id, {"roles": added})
    return sorted(wanted)


def revoke_roles(session: Session, actor: Actor, login: str, roles: Sequence[str]) -> list[str]:
    """Take roles from an agent (permission `agent.manage`); returns the roles left.

    Taking the admin role from the last active admin is refused (Conflict, exit 4); so is
    a role the agent does not have (exit 2, nothing changes).
    """
    actor.require("agent.manage")
    agent = _agent_by_login(session, login)
    current = agent_role_names(session, login)
    missing = [r for r in roles if r not in current]
    if missing:
        held = ", ".join(current) or "none"
        raise UsageError(f"{login} does not have the role {missing[0]!r} (roles: {held})")
    before = active_admin_count(session, lock=True)
    left = [r for r in current if r not in roles]
    _set_roles(session, agent, left)
    check_admin_remains(session, before, login)
    record_audit(session, actor, "agent.revoke", "agent", agent.id, {"roles": list(roles)})
    return left


def set_agent_active(session: Session, actor: Actor, login: str, active: bool) -> Agent:
    """Disable an agent (a leaver: kept in the history, can no longer act) or enable them
    again (permission `agent.manage`). Disabling the last active admin is refused."""
    actor.require("agent.manage")
    agent = _agent_by_login(session, login)
    if agent.active == active:
        return agent
    before = active_admin_count(session, lock=True)
    agent.active = active
    check_admin_remains(session, before, login)
    action = "agent.enable" if active else "agent.disable"
    record_audit(session, actor, action, "agent", agent.id, {"login": login})
    return agent


def agent_role_names(session: Session, login: str) -> list[str]:
    """The names of an agent's roles, sorted (NotFound for an unknown login)."""
    agent = _agent_by_login(session, login)
    return list(
        session.scalars(
            sa.select(col(Role.name))
            .join(AgentRole, col(AgentRole.role_id) == col(Role.id))
            .where(col(AgentRole.agent_id) == agent.id)
            .order_by(col(Role.name))
        )
    )


def role_catalogue(session: Session) -> list[dict[str, str]]:
    """Every role of the desk with its description and permissions (`user roles`)."""
    perms: dict[int, list[str]] = {}
    for role_id, perm in session.execute(
        sa.select(col(RolePermission.role_id), col(Permission.name)).join(
            Permission, col(Permission.id) == col(RolePermission.permission_id)
        )
    ):
        perms.setdefault(role_id, []).append(perm)
    return [
        {
            "role": role.name,
            "description": role.description,
            "permissions": ",".join(sorted(perms.get(pk(role), []))),
        }
        for role in session.scalars(sa.select(Role).order_by(col(Role.name)))
    ]


def _set_roles(session: Session, agent: Agent, roles: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(roles))
    found = {r.name: r for r in session.scalars(sa.select(Role).where(col(Role.name).in_(wanted)))}
    for name in wanted:
        if name not in found:
            all_roles = session.scalars(sa.select(col(Role.name)).order_by(col(Role.name)))
            raise invalid_choice("role", name, all_roles)
    session.execute(sa.delete(AgentRole).where(col(AgentRole.agent_id) == agent.id))
    for name in wanted:
        session.add(AgentRole(agent_id=pk(agent), role_id=pk(found[name])))
    session.flush()


def _set_groups(session: Session, agent: Agent, groups: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(groups))
    found = {
        g.name: g
        for g in session.scalars(sa.select(SupportGroup).where(col(SupportGroup.name).in_(wanted)))
    }
    for name in wanted:
        if name not in found:
            all_groups = session.scalars(
                sa.select(col(SupportGroup.name)).order_by(col(SupportGroup.name))
            )
            raise invalid_choice("group", name, all_groups)
    session.execute(sa.delete(GroupMember).where(col(GroupMember.agent_id) == agent.id))
    for name in wanted:
        session.add(GroupMember(agent_id=pk(agent), group_id=pk(found[name])))
    session.flush()


def set_presence(
    session: Session, actor: Actor, presence: str, *, now: datetime | None = None
) -> None:
    """Set the acting agent's presence (available / busy / away), shown to the others."""
    if presence not in PRESENCES:
        raise invalid_choice("presence", presence, PRESENCES)
    if actor.agent_id is None:
        raise PermissionDenied("the system account has no presence")
    session.execute(
        sa.update(Agent)
        .where(col(Agent.id) == actor.agent_id)
        .values(presence=presence, presence_at=now or utcnow())
    )
    record_audit(session, actor, "agent.presence", "agent", actor.agent_id, {"presence": presence})
