"""Explainable triage rules: suggest a category, impact and urgency for a new ticket.

No database and no Textual: the rules come from TOML files, the input is a `TriageInput`
and the output a `TriageResult` whose `reasons` say which rule did what, so the agent can
see why a suggestion was made before accepting or overriding it (DESIGN §2.1).

Rules file format
-----------------
One `[[rule]]` table per rule::

    [[rule]]
    id = "network-vpn"                  # required; letters, digits, '.', '_', '-'
    description = "VPN will not connect"
    any = ["vpn", "can't connect from home"]   # at least one of these phrases
    all = [["laptop", "pc"], "dock"]    # every entry; an entry may be a list of alternatives
    none = ["vpn token"]                # the rule does not fire if any of these occurs
    vip = true                          # requester must (true) / must not (false) be a VIP
    min_affected_users = 20             # at least this many affected users
    systems = ["erp", "payroll"]        # the affected system mentions one of these
    weight = 2.0                        # category score per matched phrase (default 1)
    category = "network"                # outcomes: any of category, impact, urgency
    impact = "high"                     # high / medium / low
    urgency = "medium"
    enabled = true                      # false switches an earlier rule off

A rule fires when every condition it states holds; it needs at least one condition (a
phrase list, `vip`, `min_affected_users` or `systems`) and at least one outcome.

Phrases match the title and body case-insensitively on whole words. Both sides are
normalised the same way: punctuation is a word break, hyphens inside words are dropped
("e-mail" = "email"), "n't"/"cannot" become "not" ("can't" = "cannot" = "can not"), and a
light stemmer folds simple inflections ("printers", "crashed", "crashing" = "crash").
A phrase written as two words also matches them written together ("log in" = "login").

Combination: the category is the one with the highest total score, where a fired rule adds
`weight` times the number of its phrases that matched (at least once); ties go to the
category whose first rule comes first. Impact is the most severe of the fired rules'
impacts and the impact implied by the ticket's impact scope (default "low"); urgency is the
most severe of the fired rules' urgencies (default "medium"); the priority comes from the
ITIL matrix.

Later files override earlier ones key by key: a table with an existing id replaces just the
keys it names (so `id = "x"` + `enabled = false` disables rule x, and `id = "x"` +
`weight = 3` reweights it); a new id adds a rule at the end.

Modules: the rule and result types live in `triage_model`, phrase normalisation in
`triage_text` and file loading/checking in `triage_load`; this module compiles rules into a
`RuleSet` and evaluates them, and re-exports the public names of the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Final

from helpdesk_tui.services.priority import impact_for_scope, more_severe, priority_for
from helpdesk_tui.services.triage_load import (
    DEFAULT_RULES_RESOURCE,
    RULE_KEYS,
    _default_source,
    _fail,
    _parse,
    _read,
)
from helpdesk_tui.services.triage_model import Reason, Rule, TriageInput, TriageResult
from helpdesk_tui.services.triage_text import _contains, _variants, normalise
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES

# Separates title from body so a phrase never matches across the two.
_BREAK: Final = "\n"


# ---------------------------------------------------------------------------- compiling


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A rule with its phrases turned into slot numbers of the shared phrase index."""

    rule: Rule
    any_slots: tuple[int, ...]
    all_groups: tuple[tuple[int, ...], ...]
    none_slots: tuple[int, ...]
    systems: tuple[tuple[str, ...], ...]  # match-key variants of every system name

    def matches(
        self, found: set[int], item: TriageInput, system: tuple[str, ...]
    ) -> list[int] | None:
        """The matched phrase slots if the rule fires (maybe empty), else None."""
        rule = self.rule
        if any(s in found for s in self.none_slots):
            return None
        if rule.vip is not None and item.vip != rule.vip:
            return None
        if rule.min_affected_users is not None and (
            item.affected_users is None or item.affected_users < rule.min_affected_users
        ):
            return None
        if self.systems and not any(_contains(system, v) for v in self.systems):
            return None
        matched = [s for s in self.any_slots if s in found]
        if self.any_slots and not matched:
            return None
        for group in self.all_groups:
            hits = [s for s in group if s in found]
            if not hits:
                return None
            matched.extend(hits)
        return matched


class RuleSet:
    """An ordered, compiled set of triage rules. Build it with `load` or `default`."""

    def __init__(self, rules: Sequence[Rule], problems: Sequence[str] = ()) -> None:
        """Compile `rules` (in priority order for ties); `problems` are load warnings."""
        self._rules = tuple(rules)
        self._load_problems = tuple(problems)
        # One index for all phrases of all rules, so a ticket is scanned once whatever the
        # number of rules (a regex per rule would cost a pass each). One-word phrases are
        # keyed by the word, longer ones by their first two words: keying those by the first
        # word alone left "i", "can", "my" with dozens of candidates to compare at each hit.
        self._single: dict[str, list[int]] = {}
        self._multi: dict[tuple[str, str], list[tuple[tuple[str, ...], int]]] = {}
        self._slot_phrase: list[str] = []
        self._slot_key: list[tuple[str, ...]] = []  # normalised phrase, to count it once
        self._slot_owner: list[int] = []
        compiled: list[_Compiled] = []
        self._phraseless: list[int] = []  # rules that may fire without any phrase hit
        for rule in self._rules:
            if not rule.enabled:
                continue
            position = len(compiled)
            any_slots = tuple(self._add(p, position) for p in rule.any_of)
            all_groups = tuple(tuple(self._add(p, position) for p in g) for g in rule.all_of)
            none_slots = tuple(self._add(p, position) for p in rule.none_of)
            systems = tuple(v for name in rule.systems for v in _variants(name))
            compiled.append(_Compiled(rule, any_slots, all_groups, none_slots, systems))
            if not any_slots and not all_groups:
                self._phraseless.append(position)
        self._compiled = tuple(compiled)

    def _add(self, phrase: str, owner: int) -> int:
        slot = len(self._slot_phrase)
        self._slot_phrase.append(phrase)
        self._slot_key.append(normalise(phrase))
        self._slot_owner.append(owner)
        for variant in _variants(phrase):
            if len(variant) == 1:
                self._single.setdefault(variant[0], []).append(slot)
            else:
                self._multi.setdefault((variant[0], variant[1]), []).append((variant, slot))
        return slot

    # ------------------------------------------------------------------ construction

    @classmethod
    def load(cls, paths: Sequence[Path], *, include_default: bool = False) -> RuleSet:
        """Load rule files in order; later files add rules and override earlier ones by id.

        With `include_default`, the shipped rules come first, so a site file only needs
        its additions and changes. Raises `UsageError` naming the file (and rule) on any
        problem in a file.
        """
        sources: list[tuple[str, str]] = []
        if include_default:
            sources.append(_default_source())
        sources.extend((str(p), _read(Path(p))) for p in paths)
        return cls._from_sources(sources)

    @classmethod
    def default(cls) -> RuleSet:
        """The shipped rules only (parsed and compiled once per process)."""
        return _default_ruleset()

    @classmethod
    def _from_sources(cls, sources: Sequence[tuple[str, str]]) -> RuleSet:
        merged: dict[str, Rule] = {}  # insertion order = rule order, kept on override
        introduced: dict[str, int] = {}  # id -> index of the file that first defined it
        problems: list[str] = []
        for number, (source, text) in enumerate(sources):
            for rule_id, values in _parse(source, text):
                if rule_id in merged:
                    merged[rule_id] = replace(merged[rule_id], source=source, **values)
                elif values.keys() <= {"enabled"} and values.get("enabled") is False:
                    # A stale switch-off (the shipped rule was renamed or removed) is
                    # harmless, so it is a warning from `validate`, not a load error.
                    problems.append(
                        f"{source}: rule {rule_id!r}: disables a rule no earlier file defines"
                    )
                else:
                    merged[rule_id] = replace(Rule(id=rule_id, source=source), **values)
                    introduced[rule_id] = number
        for rule in merged.values():
            if not rule.enabled:
                continue
            where = f"{rule.source}: rule {rule.id!r}"
            # A partial override of a misspelt id arrives here as a new, incomplete rule.
            hint = " (no earlier file defines this id)" if introduced[rule.id] > 0 else ""
            if not rule.has_condition:
                raise _fail(
                    where,
                    "has no condition (any, all, vip, min_affected_users or systems)" + hint,
                )
            if not rule.has_outcome:
                raise _fail(where, "has no outcome (category, impact or urgency)" + hint)
        return cls(tuple(merged.values()), problems)

    # ------------------------------------------------------------------- inspection

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule in order, disabled ones included (for listing and editing)."""
        return self._rules

    def __len__(self) -> int:
        """The number of enabled rules."""
        return len(self._compiled)

    def validate(self, categories: Sequence[str] = DEFAULT_CATEGORIES) -> list[str]:
        """Problems that loading tolerates, one line each, naming the file and rule.

        Unknown categories are among them (the category list is configurable, so they
        can only be checked against a given list); `evaluate` refuses to run with those.
        """
        problems = self._category_problems(categories)
        problems.extend(self._load_problems)
        for rule in self._rules:
            if not rule.enabled:
                continue
            where = f"{rule.source}: rule {rule.id!r}"
            if rule.category is None and rule.weight != 1.0:
                problems.append(f"{where}: 'weight' has no effect without 'category'")
            excluded = {normalise(p) for p in rule.none_of}
            seen: dict[tuple[str, ...], str] = {}
            for phrase in (*rule.any_of, *(p for g in rule.all_of for p in g)):
                key = normalise(phrase)
                if key in excluded:
                    problems.append(f"{where}: phrase {phrase!r} is both required and excluded")
                elif key in seen:
                    problems.append(
                        f"{where}: phrase {phrase!r} is the same as {seen[key]!r} once "
                        "normalised (it adds nothing)"
                    )
                else:
                    seen[key] = phrase
        return problems

    def _category_problems(self, categories: Sequence[str]) -> list[str]:
        allowed = set(categories)
        return [
            f"{rule.source}: rule {rule.id!r}: unknown category {rule.category!r}; "
            f"valid: {', '.join(categories)}"
            for rule in self._rules
            if rule.enabled and rule.category is not None and rule.category not in allowed
        ]

    # ------------------------------------------------------------------- evaluation

    def _scan(self, tokens: tuple[str, ...]) -> set[int]:
        """The slots of every phrase that occurs in `tokens`."""
        found: set[int] = set()
        single, multi = self._single, self._multi
        for i, token in enumerate(tokens):
            slots = single.get(token)
            if slots is not None:
                found.update(slots)
            entries = multi.get((token, tokens[i + 1])) if i + 1 < len(tokens) else None
            if entries is not None:
                for variant, slot in entries:
                    k = len(variant)
                    if k == 2 or tokens[i : i + k] == variant:
                        found.add(slot)
        return found

    def evaluate(
        self, item: TriageInput, categories: Sequence[str] = DEFAULT_CATEGORIES
    ) -> TriageResult:
        """Classify `item`: category, impact, urgency and priority, with the reasons.

        A rule whose category is not among `categories` (a desk with its own taxonomy
        retired it) still sets impact and urgency, but proposes no category: a desk's
        taxonomy must never make intake fail. `validate()` reports such rules.
        """
        active = set(categories)

        tokens = (*normalise(item.title), _BREAK, *normalise(item.body))
        found = self._scan(tokens)
        system = normalise(item.affected_system) if item.affected_system else ()
        candidates = sorted({self._slot_owner[s] for s in found}.union(self._phraseless))

        reasons: list[Reason] = []
        scores: dict[str, float] = {}
        impact: str | None = None
        urgency: str | None = None
        for position in candidates:
            compiled = self._compiled[position]
            matched = compiled.matches(found, item, system)
            if matched is None:
                continue
            rule = compiled.rule
            # "crashed" and "crashes" are one piece of evidence, however the rule spells it.
            first_by_key: dict[tuple[str, ...], str] = {}
            for slot in matched:
                first_by_key.setdefault(self._slot_key[slot], self._slot_phrase[slot])
            phrases = list(first_by_key.values())
            outcomes: list[str] = []
            if rule.category is not None and rule.category not in active:
                outcomes.append(f"category {rule.category} (not used by this desk)")
            elif rule.category is not None:
                # More matched phrases are more evidence; a phrase-less rule counts once.
                gain = rule.weight * max(1, len(phrases))
                # Dict insertion order records each category's first rule, for ties.
                scores[rule.category] = scores.get(rule.category, 0.0) + gain
                outcomes.append(f"category {rule.category} (+{gain:g})")
            if rule.impact is not None:
                impact = rule.impact if impact is None else more_severe(impact, rule.impact)
                outcomes.append(f"impact {rule.impact}")
            if rule.urgency is not None:
                urgency = rule.urgency if urgency is None else more_severe(urgency, rule.urgency)
                outcomes.append(f"urgency {rule.urgency}")
            evidence = _evidence(rule, phrases, item)
            reasons.append(Reason(rule.id, f"{evidence} -> {', '.join(outcomes)}"))

        if item.impact_scope is not None:
            scoped = impact_for_scope(item.impact_scope)
            impact = scoped if impact is None else more_severe(impact, scoped)
            reasons.append(
                Reason("impact_scope", f"impact scope {item.impact_scope!r} -> impact {scoped}")
            )

        # Stable sort keeps first-rule order among equal scores: that is the tie-break.
        ranked = dict(sorted(scores.items(), key=lambda kv: -kv[1]))
        ranked = {name: round(score, 6) for name, score in ranked.items()}
        category = next(iter(ranked), None)
        reasons.append(Reason("category", _category_text(ranked)))
        if impact is None:
            impact = "low"
            reasons.append(Reason("default", "no rule set the impact -> impact low (default)"))
        if urgency is None:
            urgency = "medium"
            reasons.append(Reason("default", "no rule set the urgency -> urgency medium (default)"))
        priority = priority_for(impact, urgency)
        reasons.append(
            Reason("priority", f"impact {impact} x urgency {urgency} -> priority {priority}")
        )
        return TriageResult(category, impact, urgency, priority, tuple(reasons), ranked)


def _evidence(rule: Rule, phrases: list[str], item: TriageInput) -> str:
    """What made `rule` fire, as the left-hand side of its reason sentence."""
    parts: list[str] = []
    if phrases:
        parts.append("matched " + ", ".join(repr(p) for p in phrases))
    if rule.vip is True:
        parts.append("VIP requester")
    elif rule.vip is False:
        parts.append("requester not VIP")
    if rule.min_affected_users is not None:
        parts.append(f"{item.affected_users} affected users (>= {rule.min_affected_users})")
    if rule.systems:
        parts.append(f"affected system {item.affected_system!r}")
    return ", ".join(parts)


def _category_text(ranked: dict[str, float]) -> str:
    """The reason sentence for the category decision."""
    if not ranked:
        return "no rule matched a category"
    items = list(ranked.items())
    name, score = items[0]
    if len(items) == 1:
        return f"category {name}: score {score:g}, no other candidate"
    runner, runner_score = items[1]
    if runner_score == score:
        return f"category {name}: score {score:g}, tied with {runner}; earlier rule wins"
    return f"category {name}: score {score:g}, next {runner} {runner_score:g}"


@cache
def _default_ruleset() -> RuleSet:
    return RuleSet._from_sources([_default_source()])


__all__ = [
    "DEFAULT_RULES_RESOURCE",
    "RULE_KEYS",
    "Reason",
    "Rule",
    "RuleSet",
    "TriageInput",
    "TriageResult",
    "normalise",
]
