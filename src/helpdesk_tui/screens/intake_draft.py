"""The intake form's draft: what the agent typed, kept when they leave the form unsaved."""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_tui.i18n import _
from helpdesk_tui.services.desk import RequesterHit

#: Where the app keeps the intake form's draft (`HelpdeskApp.drafts`).
DRAFT_KEY = "intake"
#: The form's fields with a plain value (Input or Select), and their values on a blank form.
BLANK: dict[str, str] = {
    "channel": "phone",
    "kind": "incident",
    "title": "",
    "scope": "one_user",
    "users": "1",
    "category": "other",
    "priority": "medium",
}


@dataclass(frozen=True)
class IntakeDraft:
    """The intake form as typed, kept by the app when the agent leaves it unsaved (Esc):
    the next `n` brings it back, whole."""

    requester_text: str
    requester: RequesterHit | None
    values: dict[str, str]
    body: str
    touched: frozenset[str]

    def typed(self) -> bool:
        """Whether anything differs from a blank form (triage's own picks do not count)."""
        chosen = {k: v for k, v in self.values.items() if k not in ("category", "priority")}
        blank = {k: v for k, v in BLANK.items() if k not in ("category", "priority")}
        return bool(
            self.requester_text.strip() or self.body.strip() or self.touched or chosen != blank
        )

    def describe(self) -> str:
        """The draft in a few words, for the quit question."""
        what = self.values.get("title", "").strip() or self.requester_text.strip()
        return _("New ticket") + f": {what or _('(untitled)')} (" + _("draft, not saved") + ")"
