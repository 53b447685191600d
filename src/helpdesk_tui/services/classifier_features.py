"""Text normalisation and feature terms of the category suggester.

`normalise` and the analyzers `word_terms` / `char_terms` are shared by training (and the
scikit-learn `Reference`) and inference, so a model is always scored with exactly the
preprocessing it was trained with. Pure Python: no numpy, no scikit-learn.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from helpdesk_tui.services.classifier_types import _CHAR_NGRAMS, _MIN_WORD_LEN

_LETTERS = re.compile(r"[^\W\d_]+")


# --------------------------------------------------------------------------- preprocessing


def normalise(text: str) -> str:
    """The text as the model sees it: lowercase letter runs joined by single spaces.

    `casefold` handles "ß" and friends; NFKD plus dropping combining marks folds accents
    ("Café" -> "cafe") so tickets typed with and without them match; digits, punctuation and
    symbols separate words and are dropped, as in the data the product was tuned on. Letters
    of every script are kept, so non-Latin desks work too.
    """
    if text.isascii():  # the common case, 10x faster: nothing to fold but case
        return " ".join(_LETTERS.findall(text.lower()))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_LETTERS.findall(stripped))


def word_terms(normalised: str) -> list[str]:
    """Word 1-2-grams of a `normalise`d text.

    Words of one letter are skipped, like scikit-learn's default token pattern does: they
    are mostly leftovers of "don't" or "e-mail".
    """
    tokens = [t for t in normalised.split(" ") if len(t) >= _MIN_WORD_LEN]
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


@lru_cache(maxsize=65_536)
def _word_char_terms(word: str) -> tuple[str, ...]:
    """Character n-grams of one space-padded word, exactly as scikit-learn's `char_wb`.

    Cached per word: ticket vocabularies are small and Zipfian, so this turns the costliest
    part of vectorising into cache hits.
    """
    padded = f" {word} "
    low, high = _CHAR_NGRAMS
    out: list[str] = []
    for n in range(low, high + 1):
        if len(padded) <= n:
            # A padded word no longer than n yields itself once, and nothing longer.
            out.append(padded)
            break
        out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(out)


def char_terms(normalised: str) -> list[str]:
    """Character 3-5-grams within word boundaries of a `normalise`d text."""
    out: list[str] = []
    for word in normalised.split():
        out.extend(_word_char_terms(word))
    return out
