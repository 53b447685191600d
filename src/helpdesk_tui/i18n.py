"""Translation hook: every user-visible string goes through `_()`.

English is the only catalogue today; the domain is bound so that later languages only
need `.mo` files under `helpdesk_tui/locale/`.
"""

from __future__ import annotations

import gettext
from pathlib import Path

_LOCALE_DIR = Path(__file__).parent / "locale"
_translation = gettext.translation("helpdesk", localedir=_LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    """Translate `message` into the user's language (identity while only English exists)."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural-aware translation."""
    return _translation.ngettext(singular, plural, n)
