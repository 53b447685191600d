"""Numbers agents type, with the range a service desk can mean by them.

The storage limits of a column (`store.limits`) keep the database consistent; these are
the domain's: no single call or note takes more than a day of handle time, and `1e308`
or `inf` minutes is a typo, not a figure for a report.
"""

from __future__ import annotations

import math
from typing import Final

from helpdesk_tui.errors import UsageError

__all__ = ["MAX_HANDLE_MINUTES", "handle_seconds"]

#: The most handle time one log entry (a call, a note) can record: a day.
MAX_HANDLE_MINUTES: Final = 24 * 60


def handle_seconds(minutes: float) -> int:
    """Whole seconds of handle time for `minutes`; a UsageError outside 0 to a day."""
    if not math.isfinite(minutes) or not 0 <= minutes <= MAX_HANDLE_MINUTES:
        raise UsageError(
            f"minutes must be a number from 0 to {MAX_HANDLE_MINUTES:,} (a day), not {minutes:g}"
        )
    return round(minutes * 60)
