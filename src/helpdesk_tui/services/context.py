"""Who is acting: the `Actor` every service call receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk_tui.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The agent a change is attributed to, with the permissions of their roles.

    `real_agent_id` is the OS account's agent when an admin acts as someone else
    (`--as NAME`); otherwise it equals `agent_id`.
    """

    agent_id: int | None
    login: str
    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: tuple[str, ...] = ()
    real_agent_id: int | None = None
    group_ids: tuple[int, ...] = ()

    def can(self, permission: str) -> bool:
        """True when the actor holds `permission`."""
        return "*" in self.permissions or permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise PermissionDenied unless the actor holds `permission`."""
        if not self.can(permission):
            raise PermissionDenied(f"{self.login} lacks the permission {permission!r}")

    @property
    def impersonated(self) -> bool:
        """True when an admin is acting as another agent."""
        return self.real_agent_id is not None and self.real_agent_id != self.agent_id


#: The actor used by maintenance paths that run before any agent exists (init, migrations).
SYSTEM = Actor(agent_id=None, login="system", name="system", permissions=frozenset({"*"}))
