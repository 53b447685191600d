"""The ticket lifecycle: which status may follow which, and who may make each move."""

from __future__ import annotations

from typing import Final

from helpdesk_tui.errors import HelpdeskError, invalid_choice
from helpdesk_tui.services.vocab import STATUSES

#: status -> statuses it may move to. `resolved/closed -> in_progress` is a reopen (only
#: within the reopen window, services/closure.py). `resolved -> closed` happens through the
#: requester's confirmation or auto-close, never as a plain status change (see workflow).
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    # First contact: a new ticket may be resolved straight away (FCR).
    "new": ("in_progress", "waiting_customer", "escalated", "resolved", "cancelled"),
    "in_progress": ("waiting_customer", "escalated", "resolved", "cancelled"),
    # Waiting pauses the SLA clock; the customer's answer brings it back to work.
    "waiting_customer": ("in_progress", "escalated", "resolved", "cancelled"),
    # L2/L3 hand back (in_progress), ask the customer, or resolve it themselves.
    "escalated": ("in_progress", "waiting_customer", "resolved", "cancelled"),
    # Closure after the requester confirmed; reopen if the fix did not hold.
    "resolved": ("closed", "in_progress"),
    # A closed ticket reopens only within the reopen window, else a new ticket is recorded.
    "closed": ("in_progress",),
    "cancelled": (),
}

#: The permission each target status needs (default `ticket.status`).
TRANSITION_PERMISSION: Final[dict[str, str]] = {
    "escalated": "ticket.escalate",
    "cancelled": "ticket.cancel",
}


class InvalidTransition(HelpdeskError):
    """A status change the lifecycle does not allow; the message lists the allowed ones."""

    exit_code = 1


def check_transition(current: str, target: str) -> None:
    """Raise unless `current -> target` is allowed; the message names the allowed moves."""
    if target not in STATUSES:
        raise invalid_choice("status", target, STATUSES)
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(allowed) if allowed else "none (it is final)"
        raise InvalidTransition(
            f"a {current} ticket cannot become {target}; allowed from {current}: {options}"
        )


def is_reopen(current: str, target: str) -> bool:
    """True for the move that reopens a resolved or closed ticket."""
    return current in ("resolved", "closed") and target == "in_progress"


def permission_for(target: str) -> str:
    """The permission needed to move a ticket to `target`."""
    return TRANSITION_PERMISSION.get(target, "ticket.status")
