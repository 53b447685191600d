"""All tables. Importing this package registers them on `SQLModel.metadata`."""

from helpdesk_tui.store.models import escalation as escalation
from helpdesk_tui.store.models import monitoring as monitoring
from helpdesk_tui.store.models import policy as policy
from helpdesk_tui.store.models import surveys as surveys
from helpdesk_tui.store.models.audit import Audit
from helpdesk_tui.store.models.knowledge import KbArticle, KbUse, KbVote, SopEntry, SopRun
from helpdesk_tui.store.models.learning import CategoryModelRow
from helpdesk_tui.store.models.people import (
    Agent,
    AgentRole,
    Department,
    GroupMember,
    Permission,
    Requester,
    Role,
    RolePermission,
    SupportGroup,
)
from helpdesk_tui.store.models.sla import Calendar, SlaPolicy
from helpdesk_tui.store.models.ticket import Category, Interaction, Ticket

__all__ = [
    "Agent",
    "AgentRole",
    "Audit",
    "Calendar",
    "Category",
    "CategoryModelRow",
    "Department",
    "GroupMember",
    "Interaction",
    "KbArticle",
    "KbUse",
    "KbVote",
    "Permission",
    "Requester",
    "Role",
    "RolePermission",
    "SlaPolicy",
    "SopEntry",
    "SopRun",
    "SupportGroup",
    "Ticket",
]
