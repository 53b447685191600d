"""Turning service values into short, coloured, plain-text cells (no markup anywhere)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from helpdesk_tui.i18n import _
from helpdesk_tui.services.sla import format_duration

#: Business or wall time left, compact (`3h05m`); the services' formatter.
countdown = format_duration

SLA_STYLES = {
    "ok": "green",
    "warning": "bold yellow",
    "breached": "bold red",
    "met": "dim green",
    "paused": "cyan",
}

PRIORITY_STYLES = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "green",
    "informational": "dim",
}

PRIORITY_SHORT = {
    "critical": "P1",
    "high": "P2",
    "medium": "P3",
    "low": "P4",
    "informational": "P5",
}

STATUS_LABELS = {
    "new": _("new"),
    "in_progress": _("working"),
    "waiting_customer": _("waiting"),
    "escalated": _("escalated"),
    "resolved": _("resolved"),
    "closed": _("closed"),
    "cancelled": _("cancelled"),
}


def wall_countdown(due: datetime | None, now: datetime) -> str:
    """Real time left until `due` (for the header's nearest breach)."""
    return countdown(None if due is None else (due - now).total_seconds())


def sla_cell(state: str, remaining: float | None, paused: bool) -> Text:
    """The SLA column: business time left, coloured by state."""
    if paused:
        return Text(_("paused"), style=SLA_STYLES["paused"])
    if state in ("met",):
        return Text(_("met"), style=SLA_STYLES["met"])
    return Text(countdown(remaining), style=SLA_STYLES.get(state, ""))


def priority_cell(priority: str) -> Text:
    """The priority column: P1..P5, coloured."""
    return Text(PRIORITY_SHORT.get(priority, priority), style=PRIORITY_STYLES.get(priority, ""))


def status_cell(status: str) -> Text:
    """The status column, short words."""
    return Text(STATUS_LABELS.get(status, status))
