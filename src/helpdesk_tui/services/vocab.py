"""The desk's fixed vocabularies: kinds, channels, priorities, statuses, impact scopes.

Categories are configurable (stored in the `category` table, seeded with
`DEFAULT_CATEGORIES`); everything else here is part of the process and fixed.
"""

from __future__ import annotations

from typing import Final

KINDS: Final = ("incident", "service_request")

CHANNELS: Final = ("phone", "email", "chat", "portal", "social", "desktop_app", "walk_in")

DEFAULT_CATEGORIES: Final = (
    "hardware",
    "software",
    "network",
    "security",
    "user_support",
    "service_request",
    "data_recovery",
    "performance",
    "consulting",
    "other",
)

#: Most to least urgent; the index is the priority's rank (0 = critical).
PRIORITIES: Final = ("critical", "high", "medium", "low", "informational")

#: ITIL impact and urgency levels, most severe first.
LEVELS: Final = ("high", "medium", "low")

#: How far an incident reaches, smallest first.
IMPACT_SCOPES: Final = ("one_user", "team", "department", "site", "organisation")

STATUSES: Final = (
    "new",
    "in_progress",
    "waiting_customer",
    "escalated",
    "resolved",
    "closed",
    "cancelled",
)

#: Statuses in which the ticket is still being worked (counted as open).
OPEN_STATUSES: Final = ("new", "in_progress", "waiting_customer", "escalated")

#: Kinds of entries in a ticket's interaction log.
INTERACTION_KINDS: Final = (
    "created",
    "note",
    "call",
    "email",
    "chat",
    "status",
    "assignment",
    "category",
    "priority",
    "update",
    "resolution",
    "sla",
    "sop",
    "kb",
    "system",
)

PRESENCES: Final = ("available", "busy", "away")
