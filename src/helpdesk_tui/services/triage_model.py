"""The public value types of the triage rules: input, result, reasons and `Rule`.

Split out of `triage_rules`, which re-exports them; plain frozen dataclasses with no
behaviour beyond small derived properties. No database and no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class TriageInput:
    """What the rules look at: the ticket text and the facts recorded with it."""

    title: str
    body: str = ""
    vip: bool = False
    affected_users: int | None = None
    affected_system: str | None = None
    impact_scope: str | None = None  # one of IMPACT_SCOPES or None


@dataclass(frozen=True)
class Reason:
    """One contribution to a triage result, shown to the agent as a sentence."""

    rule: str  # rule id, or "impact_scope" / "category" / "default" / "priority"
    text: str


@dataclass(frozen=True)
class TriageResult:
    """The suggested classification and every reason behind it."""

    category: str | None  # None if no category rule fired
    impact: str  # LEVELS
    urgency: str  # LEVELS
    priority: str  # priority_for(impact, urgency)
    reasons: tuple[Reason, ...]
    scores: dict[str, float]  # category -> score, best first

    @property
    def confidence(self) -> float:
        """Share of the total category score that went to the winner (0 when none)."""
        total = sum(self.scores.values())
        if self.category is None or total <= 0:
            return 0.0
        return self.scores[self.category] / total

    def to_dict(self) -> dict[str, object]:
        """A JSON-able dict with stable keys, for `--json` output and the API."""
        return {
            "category": self.category,
            "priority": self.priority,
            "impact": self.impact,
            "urgency": self.urgency,
            "reasons": [{"rule": r.rule, "text": r.text} for r in self.reasons],
            "scores": dict(self.scores),
        }


@dataclass(frozen=True)
class Rule:
    """One rule as written in its file(s), after overrides were merged."""

    id: str
    source: str  # the last file that defined or changed it, for error messages
    description: str = ""
    enabled: bool = True
    any_of: tuple[str, ...] = ()
    all_of: tuple[tuple[str, ...], ...] = ()  # each entry: alternatives, one must match
    none_of: tuple[str, ...] = ()
    vip: bool | None = None
    min_affected_users: int | None = None
    systems: tuple[str, ...] = ()
    weight: float = 1.0
    category: str | None = None
    impact: str | None = None
    urgency: str | None = None

    @property
    def has_condition(self) -> bool:
        """Whether the rule states anything that can make it fire."""
        return bool(
            self.any_of
            or self.all_of
            or self.vip is not None
            or self.min_affected_users is not None
            or self.systems
        )

    @property
    def has_outcome(self) -> bool:
        """Whether firing the rule changes anything."""
        return self.category is not None or self.impact is not None or self.urgency is not None


__all__ = ["Reason", "Rule", "TriageInput", "TriageResult"]
