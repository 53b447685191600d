"""People and organisation: agents, roles, permissions, departments, groups, requesters."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class Department(SQLModel, table=True):
    """A department of the organisation the desk serves (agents and requesters belong to one)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)


class SupportGroup(SQLModel, table=True):
    """A queue of agents: the L1 desk, or an L2/L3 resolver group."""

    __tablename__ = "support_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    tier: int = Field(default=1, description="1 = service desk, 2/3 = resolver groups")
    email: str | None = Field(default=None, max_length=254)


class Agent(SQLModel, table=True):
    """A person who works tickets. `login` is their OS account name (DESIGN §7)."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    presence: str = Field(default="available", max_length=16)
    presence_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GroupMember(SQLModel, table=True):
    """Membership of an agent in a support group."""

    __tablename__ = "group_member"

    group_id: int = Field(foreign_key="support_group.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True, index=True)


class Role(SQLModel, table=True):
    """A named bundle of permissions (agent, engineer, supervisor, admin, ...)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    description: str = Field(default="", max_length=400)


class Permission(SQLModel, table=True):
    """A named action such as `ticket.escalate` or `cmdb.change.approve`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    description: str = Field(default="", max_length=400)


class RolePermission(SQLModel, table=True):
    """Grants a permission to a role."""

    __tablename__ = "role_permission"

    role_id: int = Field(foreign_key="role.id", primary_key=True)
    permission_id: int = Field(foreign_key="permission.id", primary_key=True)


class AgentRole(SQLModel, table=True):
    """Gives a role to an agent."""

    __tablename__ = "agent_role"

    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    role_id: int = Field(foreign_key="role.id", primary_key=True)


class Requester(SQLModel, table=True):
    """Someone who asks the desk for help (a caller, a mail sender, a walk-in)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    email: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=40, index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    vip: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
