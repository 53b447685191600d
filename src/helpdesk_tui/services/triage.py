"""Triage: the rules and the learned model combined into one suggestion.

How they combine (documented in the README):
- Priority always comes from the rules and the impact x urgency matrix.
- Category: a confident model wins (it knows this desk's own taxonomy and history).
  When the model is unsure (below `LOW_CONFIDENCE`) and a rule matched a category, the
  rule wins: rules encode the obvious cases precisely. When neither is sure, the model's
  best guess is shown, flagged as low confidence. Without a model, the rules decide.
- Both reasons are always shown: the model's ("learned from 38,277 closed tickets: 0.93")
  and the rules' matched phrases.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from helpdesk_tui.services.triage_rules import Reason, RuleSet, TriageInput, TriageResult

if TYPE_CHECKING:
    from helpdesk_tui.services.classifier import CategoryModel


@dataclass(frozen=True)
class Advice:
    """The combined suggestion for one ticket."""

    result: TriageResult  # category replaced by the combined one; reasons include the model's
    confidence: float  # 0-1: the model's probability, or the rules' share of the score
    source: str  # model | rules | none
    low_confidence: bool
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def category(self) -> str | None:
        """The suggested category."""
        return self.result.category

    @property
    def priority(self) -> str:
        """The suggested priority (rules and matrix)."""
        return self.result.priority

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why: the model's reason first (if any), then the rules that fired."""
        return self.result.reasons

    @property
    def impact(self) -> str:
        """The impact the rules derived."""
        return self.result.impact

    @property
    def urgency(self) -> str:
        """The urgency the rules derived."""
        return self.result.urgency

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: the rules' keys plus confidence, source and alternatives."""
        data = self.result.to_dict()
        data["confidence"] = round(self.confidence, 4)
        data["source"] = self.source
        data["low_confidence"] = self.low_confidence
        data["alternatives"] = [
            {"category": c, "confidence": round(p, 4)} for c, p in self.alternatives
        ]
        return data


class Triage:
    """Rules plus (optionally) the desk's learned model."""

    def __init__(self, rules: RuleSet, model: CategoryModel | None = None) -> None:
        self.rules = rules
        self.model = model

    def evaluate(self, item: TriageInput, categories: list[str] | tuple[str, ...]) -> Advice:
        """Suggest category and priority for one ticket, with every reason."""
        ruled = self.rules.evaluate(item, categories)
        rule_confidence = ruled.confidence if ruled.category else 0.0
        if self.model is None:
            return Advice(
                ruled, rule_confidence, "rules" if ruled.category else "none", not ruled.category
            )
        from helpdesk_tui.services.classifier import LOW_CONFIDENCE

        guess = self.model.suggest(f"{item.title}\n{item.body}".strip())
        known = guess.category in categories
        sure = guess.confidence >= LOW_CONFIDENCE and known
        learned = f"learned from {self.model.info.n_samples:,} closed tickets"
        note = f"{learned}: {guess.category} {guess.confidence:.2f}"
        if not known:
            note += " (not an active category)"
        elif not sure:
            note += " (low confidence)"
        reasons = (Reason("model", note), *ruled.reasons)
        if sure or (known and not ruled.category):
            result = replace(ruled, category=guess.category, reasons=reasons)
            return Advice(result, guess.confidence, "model", not sure, guess.alternatives)
        if ruled.category:
            result = replace(ruled, reasons=reasons)
            return Advice(result, rule_confidence, "rules", False, guess.alternatives)
        return Advice(replace(ruled, reasons=reasons), 0.0, "none", True, guess.alternatives)
