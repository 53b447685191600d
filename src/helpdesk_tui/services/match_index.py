"""The matcher's library side: entries, their inverted index, and the big-library prefilter.

`MatchIndex` does all the build-time work of a `Matcher` (normalising and stemming every
entry, the inverted index, the strings rapidfuzz compares) and the parts of a query that walk
the index: lexical coverage (`_lexical`), where a term sits in an entry (`_field_of`) and the
prefilter (`candidates`). `Matcher` in `matcher` adds the query side on top.

Big libraries: scoring 100,000 KB articles with rapidfuzz on every keystroke does not fit the
50 ms budget (DESIGN §8), so above `matcher.SMALL_LIBRARY` entries `candidates()` first picks
the entries sharing the most (and rarest) query terms from an inverted index built once, and
only those are scored. `candidates()` is deliberately small so a database full-text index can
replace it.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from helpdesk_tui.services.match_text import _term, _words, analyse
from helpdesk_tui.services.match_vocab import _EQUIVALENT

#: The fields of an entry, in the order their index is stored in the packed term arrays.
FIELDS: Final = ("title", "keywords", "symptoms", "body")

#: How much a hit in each field counts. Title and keywords are written to be matched;
#: symptoms are whole sentences, so a shared word there is a little weaker; body text
#: mentions many things in passing.
DEFAULT_WEIGHTS: Final[Mapping[str, float]] = {
    "title": 1.0,
    "keywords": 1.0,
    "symptoms": 0.85,
    "body": 0.35,
}

#: How many candidates the prefilter hands to the reranker in a big library.
CANDIDATE_CAP: Final = 2_000
#: `_lexical` walks a term's posting list if it is at most this many times as long as the
#: candidate list, else probes each candidate with two bisects (0.5 to 2 measured the same
#: on the 100k bench; walking everything was 30% slower).
_PROBE_COST: Final = 1

#: Typo correction: only for unknown words this long, and only to short-field words this long.
_TYPO_MIN_LEN: Final = 4
#: Body hits of a term in more than this share of the library do not count towards picking
#: candidates: they are noise there, and most of the postings to count.
_COMMON_SHARE: Final = 0.1


def _top_counts(counter: Counter[int], cap: int) -> list[int]:
    """The `cap` keys with the highest counts, highest first (ties in insertion order).

    Counts are small integers, so a histogram of them (counted in C) gives the threshold,
    and one pass keeps the keys at or above it: a third faster than `most_common`'s heap
    over the 50,000+ entries a common word brings in.
    """
    histogram = Counter(counter.values())
    threshold, needed = 0, cap
    for count in sorted(histogram, reverse=True):
        needed -= histogram[count]
        if needed <= 0:
            threshold = count
            break
    chosen = [key for key, count in counter.items() if count >= threshold]
    chosen.sort(key=counter.__getitem__, reverse=True)  # stable: ties keep their order
    del chosen[cap:]
    return chosen


# --- public types -------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchEntry:
    """One thing a ticket can be matched to: an SOP or a KB article, as plain data."""

    kind: str  # "sop" or "kb"
    id: str  # SOP slug or KB article id as str
    title: str
    keywords: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    body: str = ""  # SOP: steps joined; KB: article body (markdown)
    category: str | None = None


@dataclass
class _Slot:
    """One query word: the terms it may stand for (term id -> weight) and its importance.

    `shown` says how to show a hit on an alternative in `Match.matched`: the word as the
    agent wrote it, the word a half-typed word completes to, or the corrected spelling.
    Synonyms and related terms are not in it: they are shown in the library's spelling.
    """

    word: str
    alternatives: dict[int, float]
    importance: float
    shown: dict[int, str]


class MatchIndex:
    """The entries of a library as an inverted index; the base of `Matcher`.

    Built once; not changed afterwards, so several threads may read it at once.
    """

    def __init__(
        self, entries: Sequence[MatchEntry], *, weights: Mapping[str, float] | None = None
    ) -> None:
        merged = dict(DEFAULT_WEIGHTS)
        if weights is not None:
            unknown = sorted(set(weights) - set(FIELDS))
            if unknown:
                raise ValueError(f"unknown field weight(s): {', '.join(unknown)}")
            merged.update(weights)
        self._field_weight: tuple[float, ...] = tuple(float(merged[f]) for f in FIELDS)

        # Per entry. Bodies are not kept: 100,000 KB articles would hold their text twice.
        self._kinds: list[str] = []
        self._ids: list[str] = []
        self._titles: list[str] = []
        self._keywords: list[tuple[str, ...]] = []
        # The short fields rapidfuzz compares, flat, with owner entry, field and per-entry start.
        # Each is stored as its terms: without stopwords `token_set_ratio` does not call "my
        # account" and "my printer" half alike, and with synonyms and stems unified
        # "installed" meets "install"; a typo still stays a near miss at character level.
        self._fuzzy_strings: list[str] = []
        self._fuzzy_owner = array("I")
        self._fuzzy_field = array("B")
        self._fuzzy_start = array("I")

        # Vocabulary and inverted index. Postings of a term list the entries with the term in
        # a short field, then (from `_post_split`) those with it only in the body, each part
        # in entry order so `bisect` can probe it; `_post_fields` has each one's best field.
        self._term_ids: dict[str, int] = {}
        self._terms: list[str] = []
        head_ids: list[array[int]] = []
        head_fields: list[bytearray] = []
        body_ids: list[array[int]] = []
        head_words: set[str] = set()
        # Build-time cache: cleaned word -> term id, or -1 for a word without a term.
        word_term: dict[str, int] = {}

        def term_id_of(term: str) -> int:
            term_id = self._term_ids.get(term)
            if term_id is None:
                term_id = self._term_ids[term] = len(self._terms)
                self._terms.append(term)
                head_ids.append(array("I"))
                head_fields.append(bytearray())
                body_ids.append(array("I"))
            return term_id

        field_weight = self._field_weight
        for index, entry in enumerate(entries):
            self._kinds.append(entry.kind)
            self._ids.append(entry.id)
            self._titles.append(entry.title)
            self._keywords.append(tuple(entry.keywords))
            best_field: dict[int, int] = {}
            self._fuzzy_start.append(len(self._fuzzy_strings))
            heads = ((0, (entry.title,)), (1, entry.keywords), (2, entry.symptoms))
            for field, texts in heads:
                for text in texts:
                    pairs = analyse(text)
                    if not pairs:
                        continue
                    for word, term in pairs:
                        head_words.add(word)
                        term_id = term_id_of(term)
                        previous = best_field.get(term_id)
                        if previous is None or field_weight[field] > field_weight[previous]:
                            best_field[term_id] = field
                    self._fuzzy_strings.append(" ".join(term for _, term in pairs))
                    self._fuzzy_owner.append(index)
                    self._fuzzy_field.append(field)
            # The body is the bulk of the text: work on its distinct words, in set
            # operations that run in C, and look each new word up once per library.
            body_words = set(_words(entry.body))
            for word in body_words.difference(word_term):
                body_term = _term(word)
                word_term[word] = -1 if body_term is None else term_id_of(body_term)
            body_terms = set(map(word_term.__getitem__, body_words))
            body_terms.discard(-1)
            body_terms.difference_update(best_field)
            for term_id, field in best_field.items():
                head_ids[term_id].append(index)
                head_fields[term_id].append(field)
            for term_id in body_terms:
                body_ids[term_id].append(index)
        self._fuzzy_start.append(len(self._fuzzy_strings))
        for word in head_words.difference(word_term):
            head_term = _term(word)
            word_term[word] = -1 if head_term is None else self._term_ids[head_term]

        self._post_ids: list[array[int]] = []
        self._post_fields: list[bytes] = []
        self._post_split = array("I")
        for term_id in range(len(self._terms)):
            self._post_ids.append(head_ids[term_id] + body_ids[term_id])
            self._post_fields.append(bytes(head_fields[term_id]) + b"\x03" * len(body_ids[term_id]))
            self._post_split.append(len(head_ids[term_id]))
        # Free the build lists now: a big library would otherwise hold its index twice.
        head_ids.clear()
        head_fields.clear()
        body_ids.clear()

        count = len(self._ids)
        # Smoothed inverse document frequency: always positive, so a term in every entry
        # still counts a little (a small library can say "printer" in half its entries).
        self._idf = [math.log(1.0 + count / len(ids)) for ids in self._post_ids]
        self._mean_idf = sum(self._idf) / len(self._idf) if self._idf else 1.0
        # Every word as written (after cleaning) with a term, sorted for prefix look-ups.
        # A term is displayed as its shortest spelling that is not a synonym ("connect" for
        # "connection"; "internet", not "online").
        self._words_sorted: list[str] = sorted(w for w, t in word_term.items() if t >= 0)
        display: dict[int, tuple[bool, int, str]] = {}
        for word in self._words_sorted:
            term_id = word_term[word]
            rank = (word in _EQUIVALENT, len(word), word)
            if term_id not in display or rank < display[term_id]:
                display[term_id] = rank
        self._display: list[str] = [display[term_id][2] for term_id in range(len(self._terms))]
        # Only words from short fields are offered as typo corrections: body text is full
        # of rare words that would turn a misspelling into a wrong guess.
        self._typo_words: list[str] = sorted(
            w for w in head_words if len(w) >= _TYPO_MIN_LEN and _term(w) is not None
        )

    def candidates(self, tokens: Sequence[str], *, kind: str | None = None) -> list[int]:
        """The prefilter for big libraries: indexes of the entries sharing the most terms.

        `tokens` are the normalised terms the query may stand for (stems, synonyms, the
        completions of a half-typed word). Per entry it counts the tokens it contains: a hit
        in a short field twice, a body hit once, and a token in under 1% of the library
        double again (a shared "vpn" says more than a shared "work"); body hits of a token in
        over 10% of the library do not count. Tokens in over half the library are skipped
        if the rarer ones already found enough candidates. Returns
        at most `CANDIDATE_CAP` indexes, most shared first, only of `kind` if given (filtered
        before the cap, so 2,000 KB articles cannot crowd out every SOP).

        Kept small on purpose: a database full-text index can replace it by returning the
        same kind of list (entry indexes, in `entries` order).
        """
        count = len(self._ids)
        term_ids = {t for t in map(self._term_ids.get, tokens) if t is not None}
        common = {t for t in term_ids if len(self._post_ids[t]) * 2 > count}
        counter: Counter[int] = Counter()
        for group in (term_ids - common, common):
            if group is common and len(counter) >= CANDIDATE_CAP and kind is None:
                break  # the rarer terms found enough; a common one would add to nearly all
            for term in group:
                postings = self._post_ids[term]
                split = self._post_split[term]
                head = postings[:split]
                # Counter.update over an array runs in C, fast even for long posting lists.
                for _ in range(2 if len(postings) * 100 < count else 1):
                    counter.update(head)
                    counter.update(head)
                    if len(postings) <= _COMMON_SHARE * count:
                        counter.update(postings[split:])
        if kind is not None:
            kinds = self._kinds
            counter = Counter({i: n for i, n in counter.items() if kinds[i] == kind})
        return _top_counts(counter, CANDIDATE_CAP)

    def _field_of(self, entry: int, term: int) -> int | None:
        """The best field index `term` occurs in for `entry`, or None (bisects the postings)."""
        postings, split = self._post_ids[term], self._post_split[term]
        at = bisect_left(postings, entry, 0, split)
        if at < split and postings[at] == entry:
            return self._post_fields[term][at]
        at = bisect_left(postings, entry, split)
        if at < len(postings) and postings[at] == entry:
            return 3
        return None

    def _lexical(
        self, slots: Sequence[_Slot], ids: Sequence[int], everything: bool
    ) -> dict[int, float]:
        """Coverage 0-1 of the query's slots, per entry of `ids` with at least one hit.

        Per term, whichever touches less: walk its posting list (a rare term, or a small
        library), or probe each candidate with two bisects into it (a common term against
        the few thousand candidates of a big library).
        """
        total = sum(slot.importance for slot in slots)
        active = [slot for slot in slots if slot.alternatives]
        if total <= 0.0 or not active:
            return {}
        weights = self._field_weight
        # A probe (two bisects) costs about as much as walking this many postings.
        probe_limit = _PROBE_COST * len(ids)
        wanted = None if everything else set(ids)
        covered: dict[int, float] = {}
        for slot in active:
            best: dict[int, float] = {}
            for term, weight in slot.alternatives.items():
                values = [weight * w for w in weights]
                postings, fields = self._post_ids[term], self._post_fields[term]
                if wanted is None or len(postings) <= probe_limit:
                    for entry, field in zip(postings, fields, strict=True):
                        value = values[field]
                        if value > best.get(entry, 0.0):
                            best[entry] = value
                    continue
                split, end = self._post_split[term], len(postings)
                for entry in ids:
                    at = bisect_left(postings, entry, 0, split)
                    if at < split and postings[at] == entry:
                        value = values[fields[at]]
                    else:
                        at = bisect_left(postings, entry, split, end)
                        if at == end or postings[at] != entry:
                            continue
                        value = values[3]
                    if value > best.get(entry, 0.0):
                        best[entry] = value
            for entry, value in best.items():
                if wanted is None or entry in wanted:
                    covered[entry] = covered.get(entry, 0.0) + slot.importance * value
        return {entry: value / total for entry, value in covered.items()}
