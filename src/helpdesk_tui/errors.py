"""User-facing errors and the exit codes the CLI maps them to (DESIGN §6).

Services raise these; the CLI prints `str(error)` as one line on stderr and exits with
`error.exit_code`; the TUI shows the same text in a notification. Anything else that
escapes is a bug and may show a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class HelpdeskError(Exception):
    """Base class of every error a user can cause. One line, no traceback."""

    exit_code = 1


class UsageError(HelpdeskError):
    """A bad value on the command line or in a form (unknown category, priority, ...)."""

    exit_code = 2


class PermissionDenied(HelpdeskError):
    """The acting agent lacks the named permission."""

    exit_code = 3


class Conflict(HelpdeskError):
    """A stale version, an already taken ticket or another concurrent change."""

    exit_code = 4


class NotFound(HelpdeskError):
    """A ticket, agent, requester or other record that does not exist."""

    exit_code = 5


class StoreUnavailable(HelpdeskError):
    """No database yet, or it is locked, unreadable or of a newer schema."""

    exit_code = 1


def invalid_choice(what: str, value: object, valid: Iterable[str]) -> UsageError:
    """Build the standard 'unknown X' error that lists the valid values."""
    choices = ", ".join(valid)
    return UsageError(f"unknown {what} {value!r}; valid: {choices}")


def one_line(text: str) -> str:
    """A message from elsewhere (a driver, a library) on one line: lines joined by "; "."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "; ".join(line for line in lines if line)
