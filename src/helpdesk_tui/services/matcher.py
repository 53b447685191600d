"""Match ticket text to SOPs and KB articles while the agent types (no Textual, no database).

DESIGN §2 item 3: the ticket text is matched against SOP entries and KB articles as the agent
types, and the best ones are offered. The caller hands in plain `MatchEntry` values (SOPs via
`Matcher.from_sops`, KB articles from wherever they are stored) and calls `Matcher.match` from
a worker thread on every keystroke.

How a score is made (each entry scores 0-100):

* **Lexical coverage** (weight `LEXICAL_SHARE`): the query is cut into words; each word becomes
  a *slot* of normalised terms it may stand for: its light stem, desk synonyms ("wi-fi" and
  "wlan" are "wifi", "pc" is "computer", "diary" is "calendar"), related terms at a discount
  ("wireless" ~ "wifi", "screen" ~ "monitor"), every vocabulary word it is a prefix of if it
  is the word still being typed ("conn" -> "connect"), or a close spelling if it is unknown
  ("pasword" -> "password"). An entry scores the share of the query's information (slot
  weights are inverse document frequencies, so "vpn" counts for more than "work") that it
  covers, each hit weighted by the field it sits in (title and keywords count fully, symptoms
  nearly, body text much less). This signal also says *why*: it yields `Match.matched`.
* **Fuzzy similarity** (weight `FUZZY_SHARE`): rapidfuzz `token_set_ratio` between the
  normalised query and each short field of an entry (title, every keyword, every symptom),
  the best one weighted by its field. It rewards phrasing close to a keyword or symptom and
  forgives typos the lexical step does not catch. Body text is left out: a short query against
  a long body scores noise, and long bodies are what makes fuzzy scoring slow.
  `token_set_ratio` ranked the test phrasings best of the rapidfuzz scorers tried (`WRatio`
  was no better and about three times slower; the `partial_*` scorers give 100 for any one
  shared word, which the lexical signal already knows), and a 65/35 lexical/fuzzy blend beat
  either signal alone (tests/test_matching.py holds the phrasings).

The pieces live in sibling modules: `match_vocab` (stopwords, phrases, synonyms),
`match_text` (word cutting, term normalisation, the stemmer), `match_index` (`MatchEntry`,
the inverted index and the big-library prefilter `candidates()`) and `match_fuzzy` (rapidfuzz
scoring without numpy, GIL-free where possible). This module is the scoring itself, and the
public API: import from here.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rapidfuzz import fuzz

from helpdesk_tui.services.match_fuzzy import _row_from_cpp as _row_from_cpp
from helpdesk_tui.services.match_fuzzy import _row_from_extract as _row_from_extract
from helpdesk_tui.services.match_fuzzy import _row_from_numpy as _row_from_numpy
from helpdesk_tui.services.match_fuzzy import _score_row
from helpdesk_tui.services.match_index import (
    _TYPO_MIN_LEN,
    DEFAULT_WEIGHTS,
    FIELDS,
    MatchEntry,
    MatchIndex,
    _Slot,
)
from helpdesk_tui.services.match_index import CANDIDATE_CAP as CANDIDATE_CAP
from helpdesk_tui.services.match_text import _RELATED, _term, _words, analyse
from helpdesk_tui.services.match_text import _stem as _stem
from helpdesk_tui.services.match_vocab import _EQUIVALENT, STOPWORDS

# The `x as x` imports re-export names tests and bench/bench_matcher.py take from here;
# they monkeypatch `_score_row` here too, so `Matcher` calls it through this module.

if TYPE_CHECKING:
    from helpdesk_tui.services.sop_files import Sop

__all__ = ["DEFAULT_WEIGHTS", "FIELDS", "Match", "MatchEntry", "Matcher", "analyse"]

# --- tuning -------------------------------------------------------------------------------

#: The share of the final score from lexical coverage; the rest comes from fuzzy similarity.
LEXICAL_SHARE: Final = 0.65
FUZZY_SHARE: Final = 1.0 - LEXICAL_SHARE

#: Up to this many entries every entry is scored; above it the prefilter picks candidates.
SMALL_LIBRARY: Final = 5_000

#: Weight of a vocabulary word that the word being typed is a prefix of, by prefix length:
#: "con" is still a guess, "conne" hardly is.
_PREFIX_WEIGHT: Final = {3: 0.6, 4: 0.8}
_PREFIX_WEIGHT_LONG: Final = 0.9
#: The shortest prefix worth expanding, and how many expansions to keep (the most common).
_MIN_PREFIX: Final = 3
_MAX_EXPANSIONS: Final = 12
#: How far to walk the sorted vocabulary for one prefix before giving up (bounds the cost).
_PREFIX_SCAN: Final = 400

#: Typo correction of an unknown word: at this rapidfuzz `ratio` or above, at this weight.
_TYPO_CUTOFF: Final = 80.0
_TYPO_WEIGHT: Final = 0.8
#: At most this many unknown words get a typo look-up per query (a pasted e-mail is long).
_TYPO_MAX_WORDS: Final = 4
#: A query uses its first this many meaningful words (and the word being typed): cost grows
#: with every word, and what a ticket is about is said first (the subject, the first line).
_MAX_SLOTS: Final = 16

#: An unknown word still counts a little against coverage, so an entry that explains three
#: words of a ten-word e-mail scores lower than one that explains three words of three.
_UNKNOWN_IMPORTANCE: Final = 0.5

#: The rapidfuzz scorer for query-vs-short-field similarity (see the module doc for why).
_FUZZY_SCORER: Final = fuzz.token_set_ratio
#: Fuzzy scores below this are treated as no similarity (and let rapidfuzz stop early).
_FUZZY_CUTOFF: Final = 45.0

#: How many matched terms a `Match` lists.
_MAX_MATCHED: Final = 6


# --- public types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One suggestion: which entry, how good (0-100) and which terms or phrases matched."""

    kind: str
    id: str
    title: str
    score: float
    matched: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly view (CLI `--json`, logs)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "matched": list(self.matched),
        }


class Matcher(MatchIndex):
    """Suggest SOPs and KB articles for ticket text; build once, then call `match` often.

    Construction does all the text processing (normalising, stemming, the inverted index,
    the strings rapidfuzz compares), so a keystroke only processes the query. The matcher is
    not changed after construction, so several threads may call `match` at once.
    """

    @classmethod
    def from_sops(cls, sops: Iterable[Sop]) -> Matcher:
        """A matcher over parsed SOPs; the steps stand in for the body (they say what is done)."""
        entries = [
            MatchEntry(
                kind="sop",
                id=sop.id,
                title=sop.title,
                keywords=tuple(sop.keywords),
                symptoms=tuple(sop.symptoms),
                body="\n".join(step.text for step in sop.steps),
                category=sop.category,
            )
            for sop in sops
        ]
        return cls(entries)

    def __len__(self) -> int:
        return len(self._ids)

    # --- query ----------------------------------------------------------------------------

    def match(
        self, text: str, *, limit: int = 5, kind: str | None = None, min_score: float = 30.0
    ) -> list[Match]:
        """The best entries for `text`, best first, at most `limit`, each scoring `min_score`+.

        `text` may end in a half-typed word ("vpn wont conn"): if it does not end in a space
        or punctuation, its last word also stands for every vocabulary word it begins.
        `kind` keeps only entries of that kind ("sop" or "kb").
        """
        if limit <= 0 or not self._ids:
            return []
        slots = self._slots(text)
        if not any(slot.alternatives for slot in slots):
            return []
        everything = len(self._ids) <= SMALL_LIBRARY
        if everything:
            ids: Sequence[int] = range(len(self._ids))
            if kind is not None:
                ids = [i for i in ids if self._kinds[i] == kind]
                everything = False
        else:
            tokens = [self._terms[t] for slot in slots for t in slot.alternatives]
            ids = self.candidates(tokens, kind=kind)
        if not ids:
            return []
        lexical = self._lexical(slots, ids, everything)
        if not everything:
            ids = self._contenders(lexical, limit)
        # The fuzzy query is made of the same words as the slots: a pasted e-mail stays short.
        fuzzy_query = " ".join(_term(slot.word) or slot.word for slot in slots)
        fuzzy = self._fuzzy(fuzzy_query, ids, everything)
        titles = self._titles
        scored: list[tuple[float, str, int]] = []
        for i in lexical.keys() | fuzzy.keys():
            score = 100.0 * LEXICAL_SHARE * lexical.get(i, 0.0) + FUZZY_SHARE * fuzzy.get(i, 0.0)
            if score >= min_score:
                # Ties broken by title so the order is stable from one keystroke to the next.
                scored.append((-score, titles[i], i))
        return [
            Match(
                kind=self._kinds[i],
                id=self._ids[i],
                title=titles[i],
                score=round(-negated, 1),
                matched=self._matched(slots, i),
            )
            for negated, _, i in heapq.nsmallest(limit, scored)
        ]

    # --- internals ------------------------------------------------------------------------

    def _contenders(self, lexical: Mapping[int, float], limit: int) -> list[int]:
        """The entries whose lexical score leaves them a chance of the top `limit`.

        The `limit`-th best lexical score L guarantees the `limit`-th best final score is at
        least LEXICAL_SHARE * L; an entry whose lexical score is so far below that even a
        perfect fuzzy score cannot close the gap is skipped. This is exact (it never changes
        the result) and spares rapidfuzz most of the 2,000 candidates of a big library.
        """
        if len(lexical) <= limit or LEXICAL_SHARE <= 0.0:
            return list(lexical)
        kth = heapq.nlargest(limit, lexical.values())[-1]
        best_fuzzy = max(self._field_weight[:3])  # fuzzy scores are field-weighted, 0-1 here
        floor = kth - FUZZY_SHARE * best_fuzzy / LEXICAL_SHARE
        return [entry for entry, value in lexical.items() if value >= floor]

    def _slots(self, text: str) -> list[_Slot]:
        """Cut the query into slots: one per distinct meaningful word (see the module doc)."""
        words = _words(text)
        # The last word is still being typed unless the text ends in a space or punctuation.
        typing = bool(words) and text[-1:].isalnum()
        slots: list[_Slot] = []
        seen: set[str] = set()
        typos = 0
        for position, word in enumerate(words):
            partial = typing and position == len(words) - 1 and len(word) >= _MIN_PREFIX
            if len(slots) >= _MAX_SLOTS and not partial:
                continue
            term = _term(word)
            discount = 1.0
            if term is None:
                if not partial:
                    continue
                if word in STOPWORDS:
                    # "printer off" may become "printer offline", but "the" alone must not
                    # suggest everything about "theft": a half-typed stopword only
                    # completes beside other words, and counts for half.
                    if not any(_term(other) for other in words[:-1]):
                        continue
                    discount = 0.5
            key = term or word
            if key in seen:
                continue
            seen.add(key)
            alternatives: dict[int, float] = {}
            shown: dict[int, str] = {}
            importance = 0.0
            exact = self._term_ids.get(term) if term is not None else None
            if exact is not None:
                alternatives[exact] = 1.0
                # The agent's word, unless it is a desk synonym ("diary"): then the
                # library's ("calendar"), which the agent will find in the SOP.
                shown[exact] = self._display[exact] if word in _EQUIVALENT else word
                importance = self._idf[exact]
            # Related terms count at a discount, also for a word the library does not use.
            for related, weight in _RELATED.get(term or "", ()):
                related_id = self._term_ids.get(related)
                if related_id is not None and weight > alternatives.get(related_id, 0.0):
                    alternatives[related_id] = weight
            if partial:
                expansions = self._expand_prefix(word)
                weight = discount * _PREFIX_WEIGHT.get(len(word), _PREFIX_WEIGHT_LONG)
                for expansion, completed in expansions.items():
                    if weight > alternatives.get(expansion, 0.0):
                        alternatives[expansion] = weight
                        shown[expansion] = completed
                if exact is None and expansions:
                    # A half word weighs like the commonest word it may become.
                    importance = discount * min(self._idf[t] for t in expansions)
            if not alternatives and term is not None and typos < _TYPO_MAX_WORDS:
                typos += 1
                corrected = self._correct_typo(word)
                if corrected is not None:
                    alternatives[corrected[0]] = _TYPO_WEIGHT
                    shown[corrected[0]] = corrected[1]
            if alternatives and importance == 0.0:
                importance = max(self._idf[t] for t in alternatives)
            if not alternatives:
                importance = _UNKNOWN_IMPORTANCE * self._mean_idf
            slots.append(_Slot(word, alternatives, importance, shown))
        return slots

    def _expand_prefix(self, prefix: str) -> dict[int, str]:
        """Term -> shortest completing word, for the words starting with `prefix`.

        Only the `_MAX_EXPANSIONS` terms in most entries are kept: the agent typing "con"
        more likely means "connect" than "conduit".
        """
        found: dict[int, str] = {}
        start = bisect_left(self._words_sorted, prefix)
        for word in self._words_sorted[start : start + _PREFIX_SCAN]:
            if not word.startswith(prefix):
                break
            term = _term(word)
            if word == prefix or term is None:
                continue
            term_id = self._term_ids[term]
            if term_id not in found or len(word) < len(found[term_id]):
                found[term_id] = word
        best = sorted(found, key=lambda t: -len(self._post_ids[t]))[:_MAX_EXPANSIONS]
        return {term_id: found[term_id] for term_id in best}

    def _correct_typo(self, word: str) -> tuple[int, str] | None:
        """(term, word) of the closest short-field word to an unknown `word`, if close enough."""
        if len(word) < _TYPO_MIN_LEN or not self._typo_words:
            return None
        row = _score_row(word, self._typo_words, fuzz.ratio, _TYPO_CUTOFF)
        best = max(range(len(row)), key=row.__getitem__)
        closest = self._typo_words[best]
        term = _term(closest)
        if row[best] < _TYPO_CUTOFF or term is None:
            return None
        return self._term_ids[term], closest

    def _fuzzy(self, query: str, ids: Sequence[int], everything: bool) -> dict[int, float]:
        """Best field-weighted `token_set_ratio` (0-100) of the query per entry of `ids`."""
        if not query:
            return {}
        if everything:
            strings: Sequence[str] = self._fuzzy_strings
            positions: Sequence[int] = range(len(strings))
        else:
            start = self._fuzzy_start
            gathered: list[int] = []
            for entry in ids:
                gathered.extend(range(start[entry], start[entry + 1]))
            positions = gathered
            strings = list(map(self._fuzzy_strings.__getitem__, gathered))
        if not strings:
            return {}
        row = _score_row(query, strings, _FUZZY_SCORER, _FUZZY_CUTOFF)
        weights, owners, fields = self._field_weight, self._fuzzy_owner, self._fuzzy_field
        best: dict[int, float] = {}
        for position, score in zip(positions, row, strict=True):
            if score:
                owner = owners[position]
                weighted = score * weights[fields[position]]
                if weighted > best.get(owner, 0.0):
                    best[owner] = weighted
        return best

    def _matched(self, slots: Sequence[_Slot], entry: int) -> tuple[str, ...]:
        """Why `entry` matched, for the agent to see.

        First the entry's keyword phrases all of whose words are in the query, then the other
        query words that hit (as the agent wrote them; the entry's word for a synonym; the
        completed or corrected word), the most informative first.
        """
        hits: list[tuple[int, str]] = []
        for slot in sorted(slots, key=lambda s: -s.importance):
            best: tuple[float, int] | None = None
            for term, weight in slot.alternatives.items():
                field = self._field_of(entry, term)
                if field is not None:
                    value = weight * self._field_weight[field]
                    if best is None or value > best[0]:
                        best = (value, term)
            if best is not None:
                term = best[1]
                hits.append((term, slot.shown.get(term) or self._display[term]))
        hit_terms = {term for term, _ in hits}
        matched: list[str] = []
        covered: set[int] = set()
        # Longest phrases first, so "can't connect to vpn" is shown rather than "vpn" alone.
        phrases = [(keyword, analyse(keyword)) for keyword in self._keywords[entry]]
        for keyword, pairs in sorted(phrases, key=lambda item: -len(item[1])):
            # A phrase is shown only if it says more than one of its words would: it has two
            # matched words ("password expired"), or it is one word as written ("vpn").
            terms = {self._term_ids.get(term, -1) for _, term in pairs}
            if not terms <= hit_terms or terms <= covered:
                continue
            if len(terms) >= 2 or len(_words(keyword)) == 1:
                matched.append(keyword)
                covered |= terms
        for term, word in hits:
            if term not in covered:
                matched.append(word)
                covered.add(term)
        return tuple(matched[:_MAX_MATCHED])
