"""The ITIL impact x urgency matrix and the mapping from impact scope to impact."""

from __future__ import annotations

from typing import Final

from helpdesk_tui.errors import invalid_choice
from helpdesk_tui.services.vocab import IMPACT_SCOPES, LEVELS

#: (impact, urgency) -> priority. The classic 3x3 matrix with five outcomes.
PRIORITY_MATRIX: Final[dict[tuple[str, str], str]] = {
    ("high", "high"): "critical",
    ("high", "medium"): "high",
    ("medium", "high"): "high",
    ("high", "low"): "medium",
    ("medium", "medium"): "medium",
    ("low", "high"): "medium",
    ("medium", "low"): "low",
    ("low", "medium"): "low",
    ("low", "low"): "informational",
}

#: Impact implied by how far the incident reaches.
SCOPE_IMPACT: Final[dict[str, str]] = {
    "one_user": "low",
    "team": "medium",
    "department": "medium",
    "site": "high",
    "organisation": "high",
}


def priority_for(impact: str, urgency: str) -> str:
    """Return the priority the matrix gives for `impact` and `urgency`."""
    if impact not in LEVELS:
        raise invalid_choice("impact", impact, LEVELS)
    if urgency not in LEVELS:
        raise invalid_choice("urgency", urgency, LEVELS)
    return PRIORITY_MATRIX[(impact, urgency)]


def impact_for_scope(scope: str) -> str:
    """Return the impact level an impact scope implies."""
    if scope not in IMPACT_SCOPES:
        raise invalid_choice("impact scope", scope, IMPACT_SCOPES)
    return SCOPE_IMPACT[scope]


def more_severe(a: str, b: str) -> str:
    """Return the more severe of two impact/urgency levels."""
    return a if LEVELS.index(a) <= LEVELS.index(b) else b
