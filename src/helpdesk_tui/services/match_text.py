"""Text normalisation for the matcher: words, terms, the Porter stemmer, related terms.

Ticket text and entry text both go through `_words` (lower-case words with contractions and
known phrases resolved, e.g. "wi-fi" -> "wifi", "log in" -> "login") and `_term` (stopwords
dropped, desk synonyms unified, the rest Porter-stemmed), so variants of one word meet on one
term. `analyse` shows the result. The tables themselves live in `match_vocab`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from helpdesk_tui.services.match_vocab import (
    _DEVICE_OWNERS,
    _EQUIVALENT,
    _INSTALL_VERBS,
    _NO_STEM,
    _PHRASE_FIRST,
    _PHRASE_TAILS,
    _PHRASES,
    _RELATED_PAIRS,
    STOPWORDS,
)

_APOSTROPHES: Final = str.maketrans({"’": "'", "`": "'"})
# "team's" -> "team", then "can't" -> "cant": contractions land on one stopword and
# possessives on their noun.
_POSSESSIVE: Final = re.compile(r"(?<=\w)'s\b")
# Letters and digits of any script, so "café" or "Küche" stay whole words; the ASCII
# pattern does the same for ASCII text three times faster, and most text is ASCII.
_WORD: Final = re.compile(r"[^\W_]+")
_ASCII_WORD: Final = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    """Cut text into lower-case words, with contractions and known phrases resolved."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    if "'" in text:
        text = _POSSESSIVE.sub("", text).replace("'", "")
    words: list[str] = (_ASCII_WORD if text.isascii() else _WORD).findall(text)
    if _PHRASE_FIRST.isdisjoint(words):  # in C: most short texts stop here
        return words
    # Visit only the words that may start a phrase; copy the runs between them by slices.
    starts = [i for i, word in enumerate(words) if word in _PHRASE_FIRST]
    out: list[str] = []
    done = 0  # words[:done] are in `out` already
    for i in starts:
        if i < done:
            continue  # inside a phrase just replaced
        word = words[i]
        replacement, length = None, 1
        for tail in _PHRASE_TAILS.get(word, ()):
            if tuple(words[i + 1 : i + 1 + len(tail)]) == tail:
                replacement, length = _PHRASES[" ".join((word, *tail))], 1 + len(tail)
                break
        else:
            if word in _INSTALL_VERBS and _install_idiom(words, i):
                replacement = "install"
        if replacement is not None:
            out.extend(words[done:i])
            out.append(replacement)
            done = i + length
    if not done:
        return words
    out.extend(words[done:])
    return out


def _install_idiom(words: Sequence[str], i: int) -> bool:
    """Whether words[i] starts "put <one to three words> on my ..."."""
    for gap in (1, 2, 3):
        on = i + 1 + gap
        if on + 1 < len(words) and words[on] == "on" and words[on + 1] in _DEVICE_OWNERS:
            return True
    return False


@lru_cache(maxsize=65_536)
def _term(word: str) -> str | None:
    """The normalised term for one cleaned word, or None if the word carries no meaning.

    Numbers count from three digits: "error 809" names a KB article, "2 screens" does not.
    """
    if word in STOPWORDS or len(word) < 2 or (word.isdigit() and len(word) < 3):
        return None
    word = _EQUIVALENT.get(word, word)
    if word in _NO_STEM:
        return word
    return _stem(word)


def analyse(text: str) -> list[tuple[str, str]]:
    """(word as written, normalised term) for every meaningful word of `text`, in order.

    Exposed for tests and for callers that want to show which words the matcher uses.
    """
    pairs: list[tuple[str, str]] = []
    for word in _words(text):
        term = _term(word)
        if term is not None:
            pairs.append((word, term))
    return pairs


# --- stemming -----------------------------------------------------------------------------
# The Porter (1980) stemmer, written out here because helpdesk-tui has no NLP dependency.
# Both sides of a comparison go through it, so all that matters is that variants of one word
# ("connect", "connection", "connecting") meet on one stem.

_VOWELS: Final = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    char = word[i]
    if char in _VOWELS:
        return False
    if char == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in the stem."""
    m = 0
    previous_vowel = False
    for i in range(len(stem)):
        vowel = not _is_consonant(stem, i)
        if previous_vowel and not vowel:
            m += 1
        previous_vowel = vowel
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    """Ends consonant-vowel-consonant, the last not w, x or y (as in "hop", not "snow")."""
    if len(word) < 3:
        return False
    return (
        _is_consonant(word, len(word) - 3)
        and not _is_consonant(word, len(word) - 2)
        and _is_consonant(word, len(word) - 1)
        and word[-1] not in "wxy"
    )


_STEP2: Final = (
    ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"),
    ("izer", "ize"), ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"),
    ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"),
    ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
    ("iviti", "ive"), ("biliti", "ble"), ("logi", "log"),
)  # fmt: skip
_STEP3: Final = (
    ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
    ("ful", ""), ("ness", ""),
)  # fmt: skip
_STEP4: Final = (
    "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion",
    "ou", "ism", "ate", "iti", "ous", "ive", "ize",
)  # fmt: skip


def _replace_longest(word: str, rules: Sequence[tuple[str, str]], min_m: int) -> str:
    """Apply the rule with the longest matching suffix, if its stem has measure > min_m."""
    best: tuple[str, str] | None = None
    for suffix, replacement in rules:
        if word.endswith(suffix) and (best is None or len(suffix) > len(best[0])):
            best = (suffix, replacement)
    if best is None:
        return word
    stem = word[: -len(best[0])]
    return stem + best[1] if _measure(stem) > min_m else word


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """Porter-stem one lower-case English word (others, and short words, are left alone)."""
    if len(word) <= 2 or not word.isalpha() or not word.isascii():
        return word
    # Step 1a: plurals.
    if word.endswith(("sses", "ies")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    # Step 1b: -ed, -ing.
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    else:
        for suffix in ("ed", "ing"):
            if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif _double_consonant(word) and word[-1] not in "lsz":
                    word = word[:-1]
                elif _measure(word) == 1 and _cvc(word):
                    word += "e"
                break
    # Step 1c: y -> i after a vowel-bearing stem.
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    # Steps 2-4: derivational suffixes.
    word = _replace_longest(word, _STEP2, 0)
    word = _replace_longest(word, _STEP3, 0)
    best = max((s for s in _STEP4 if word.endswith(s)), key=len, default=None)
    if best is not None:
        stem = word[: -len(best)]
        if _measure(stem) > 1 and (best != "ion" or stem.endswith(("s", "t"))):
            word = stem
    # Step 5: a final -e, a final double l.
    if word.endswith("e"):
        stem = word[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _cvc(stem)):
            word = stem
    if word.endswith("ll") and _measure(word) > 1:
        word = word[:-1]
    return word


def _related_terms() -> dict[str, tuple[tuple[str, float], ...]]:
    """Term -> (related term, weight) from `_RELATED_PAIRS`, both directions, stemmed."""
    table: dict[str, dict[str, float]] = {}
    for left, right, weight in _RELATED_PAIRS:
        a, b = _term(left), _term(right)
        if a is None or b is None or a == b:
            continue
        for x, y in ((a, b), (b, a)):
            table.setdefault(x, {})[y] = max(weight, table.get(x, {}).get(y, 0.0))
    return {term: tuple(others.items()) for term, others in table.items()}


_RELATED: Final = _related_terms()
