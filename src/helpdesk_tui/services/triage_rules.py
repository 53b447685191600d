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
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.priority import impact_for_scope, more_severe, priority_for
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES, LEVELS

#: The shipped rules, relative to the `helpdesk_tui` package.
DEFAULT_RULES_RESOURCE: Final = "data/triage_rules.toml"

#: TOML keys a `[[rule]]` table may use.
RULE_KEYS: Final = (
    "id",
    "description",
    "enabled",
    "any",
    "all",
    "none",
    "vip",
    "min_affected_users",
    "systems",
    "weight",
    "category",
    "impact",
    "urgency",
)

#: TOML key -> `Rule` field, where they differ (`any`/`all` would shadow builtins).
_FIELD_FOR_KEY: Final = {"any": "any_of", "all": "all_of", "none": "none_of"}

_RULE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")

# A word: letters/digits, possibly joined by apostrophes or hyphens ("can't", "wi-fi").
_WORD: Final = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
# Typographic apostrophes and hyphens people paste from mail clients and Word.
_TYPOGRAPHY: Final = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u2010": "-", "\u2011": "-"}
)
# "can't" splits into its base and "not"; these bases are not spelled like the verb.
_NT_BASE: Final = {"ca": "can", "wo": "will", "sha": "shall"}
# The same contractions typed without the apostrophe, which is how many people type.
_CONTRACTIONS: Final = {
    "cannot": ("can", "not"),
    "cant": ("can", "not"),
    "wont": ("will", "not"),
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "wasnt": ("was", "not"),
    "werent": ("were", "not"),
    "couldnt": ("could", "not"),
    "wouldnt": ("would", "not"),
    "shouldnt": ("should", "not"),
    "havent": ("have", "not"),
    "hasnt": ("has", "not"),
    "hadnt": ("had", "not"),
}
# Separates title from body so a phrase never matches across the two.
_BREAK: Final = "\n"


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


# ------------------------------------------------------------------------- normalisation


def _words(text: str) -> Iterator[str]:
    """Lowercased words of `text`, with contractions split into base + "not"."""
    for match in _WORD.finditer(text.lower().translate(_TYPOGRAPHY)):
        word = match.group()
        if word.endswith("n't"):
            base = word[:-3].replace("'", "").replace("-", "")
            yield _NT_BASE.get(base, base)
            yield "not"
            continue
        word = word.replace("'", "").replace("-", "")
        split = _CONTRACTIONS.get(word)
        if split is None:
            yield word
        else:
            yield from split


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Fold simple English inflections so "printers"/"printing"/"printed" meet "print".

    Deliberately crude (no dictionary): it only has to map a phrase and the ticket text
    onto the same key, and it runs on both, so an odd stem like "delet" does no harm.
    Short words and anything with digits ("vpn", "win11", "0x7b") are left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    # Plural / third person: "batteries" -> "battery", "crashes" -> "crashe" (e dropped below).
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    # Past tense / gerund, after the plural so "warnings" -> "warning" -> "warn".
    if w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ed") and not w.endswith("eed") and len(w) >= 5:
        w = w[:-2]
    # "delete"/"deleted" -> "delet", "jammed" -> "jamm" -> "jam", "install" -> "instal".
    if len(w) > 3 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouy":
        w = w[:-1]
    return w


def normalise(text: str) -> tuple[str, ...]:
    """The match keys of `text`: its words, lowercased, contractions split and stemmed."""
    return tuple(_stem(w) for w in _words(text))


@lru_cache(maxsize=16384)  # loading checks each phrase, then compiles it
def _variants(phrase: str) -> tuple[tuple[str, ...], ...]:
    """Every token sequence `phrase` matches: as written, and with two words joined."""
    words = list(_words(phrase))
    found = {tuple(_stem(w) for w in words)}
    # "log in" should also match "login", "wi fi" "wifi", "set up" "setup": joining is
    # cheap to precompute, whereas splitting a joined word would need a dictionary.
    for i in range(len(words) - 1):
        joined = [*words[:i], words[i] + words[i + 1], *words[i + 2 :]]
        found.add(tuple(_stem(w) for w in joined))
    return tuple(sorted(v for v in found if v))


def _contains(tokens: tuple[str, ...], variant: tuple[str, ...]) -> bool:
    """Whether `variant` occurs as a contiguous run in `tokens`."""
    k = len(variant)
    first = variant[0]
    return any(tok == first and tokens[i : i + k] == variant for i, tok in enumerate(tokens))


# ----------------------------------------------------------------------------- loading


def _fail(where: str, message: str) -> UsageError:
    return UsageError(f"{where}: {message}")


def _string_list(where: str, key: str, value: object) -> tuple[str, ...]:
    """A list of phrases, each of which must contain at least one word."""
    if not isinstance(value, list):
        raise _fail(where, f"{key!r} must be a list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise _fail(where, f"{key!r} must be a list of strings, got {item!r}")
        if not _variants(item):
            raise _fail(where, f"{key!r}: phrase {item!r} has no words")
        out.append(item)
    return tuple(out)


def _clean(where: str, table: dict[str, Any]) -> dict[str, Any]:
    """Check one `[[rule]]` table and return its values keyed by `Rule` field name."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in RULE_KEYS:
            raise _fail(where, f"unknown key {key!r}; valid: {', '.join(RULE_KEYS)}")
        if key == "id":
            continue
        if key == "description":
            if not isinstance(value, str):
                raise _fail(where, "'description' must be a string")
            out[key] = value.strip()
        elif key == "category":
            if not isinstance(value, str) or not value.strip():
                raise _fail(where, "'category' must be a non-empty string")
            out[key] = value.strip()
        elif key in ("enabled", "vip"):
            if not isinstance(value, bool):
                raise _fail(where, f"{key!r} must be true or false")
            out[key] = value
        elif key in ("any", "none", "systems"):
            out[_FIELD_FOR_KEY.get(key, key)] = _string_list(where, key, value)
        elif key == "all":
            if not isinstance(value, list):
                raise _fail(where, "'all' must be a list of phrases or lists of phrases")
            groups = []
            for entry in value:
                alternatives = entry if isinstance(entry, list) else [entry]
                groups.append(_string_list(where, "all", alternatives))
                if not groups[-1]:
                    raise _fail(where, "'all' has an empty list of alternatives")
            out["all_of"] = tuple(groups)
        elif key == "weight":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise _fail(where, f"'weight' must be a positive number, got {value!r}")
            out[key] = float(value)
        elif key == "min_affected_users":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _fail(where, f"'min_affected_users' must be an integer >= 1, got {value!r}")
            out[key] = value
        else:  # impact, urgency
            if value not in LEVELS:
                raise _fail(where, f"unknown {key} {value!r}; valid: {', '.join(LEVELS)}")
            out[key] = value
    return out


def _parse(source: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    """The `(id, values)` of every rule in one file, in file order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"invalid TOML: {exc}") from None
    for key in data:
        if key != "rule":
            raise _fail(source, f"unknown top-level key {key!r}; rules are [[rule]] tables")
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise _fail(source, "'rule' must be an array of tables: write [[rule]], not [rule]")
    parsed: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise _fail(source, f"rule #{number} is not a table")
        rule_id = table.get("id")
        if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
            raise _fail(
                source,
                f"rule #{number}: missing or invalid 'id' {rule_id!r} "
                "(letters, digits, '.', '_', '-')",
            )
        where = f"{source}: rule {rule_id!r}"
        if rule_id in seen:
            raise _fail(where, "defined twice in the same file")
        seen.add(rule_id)
        parsed.append((rule_id, _clean(where, table)))
    return parsed


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(str(path), "not UTF-8 text") from None
    except OSError as exc:
        raise _fail(str(path), f"cannot read rules file: {exc.strerror or exc}") from None


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


def _default_source() -> tuple[str, str]:
    """(name, text) of the shipped rules file, read through importlib.resources."""
    resource = resources.files("helpdesk_tui").joinpath(DEFAULT_RULES_RESOURCE)
    return str(resource), resource.read_text(encoding="utf-8")


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
