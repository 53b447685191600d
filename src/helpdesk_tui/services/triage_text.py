"""Match keys for triage phrases: normalisation, light stemming and phrase variants.

Split out of `triage_rules` (which documents the matching rules); both the rule loader
(`triage_load`) and the evaluator (`triage_rules.RuleSet`) use these, so a phrase and the
ticket text are always normalised the same way. No database and no Textual.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

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


__all__ = ["normalise"]
