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

Big libraries: scoring 100,000 KB articles with rapidfuzz on every keystroke does not fit the
50 ms budget (DESIGN §8), so above `SMALL_LIBRARY` entries `candidates()` first picks the
entries sharing the most (and rarest) query terms from an inverted index built once, and only
those are scored. `candidates()` is deliberately small so a database full-text index can
replace it.

Threads: the bulk rapidfuzz work runs in rapidfuzz's C++ `cdist`, which releases the GIL, so a
UI thread keeps running while a worker computes suggestions; `process.extract` over a big list
holds the GIL for the whole call (DESIGN §9; bench/bench_matcher.py measures both). The public
`process.cdist` returns a numpy array and numpy is not a dependency of helpdesk-tui, so the
matcher calls the C++ function underneath and reads its result matrix through the buffer
protocol, falling back to numpy or to `extract` where that is not available (`_score_row`).
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final, cast

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from helpdesk_tui.services.sop_files import Sop

__all__ = ["DEFAULT_WEIGHTS", "FIELDS", "Match", "MatchEntry", "Matcher", "analyse"]

# --- tuning -------------------------------------------------------------------------------

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

#: The share of the final score from lexical coverage; the rest comes from fuzzy similarity.
LEXICAL_SHARE: Final = 0.65
FUZZY_SHARE: Final = 1.0 - LEXICAL_SHARE

#: Up to this many entries every entry is scored; above it the prefilter picks candidates.
SMALL_LIBRARY: Final = 5_000
#: How many candidates the prefilter hands to the reranker in a big library.
CANDIDATE_CAP: Final = 2_000
#: `_lexical` walks a term's posting list if it is at most this many times as long as the
#: candidate list, else probes each candidate with two bisects (0.5 to 2 measured the same
#: on the 100k bench; walking everything was 30% slower).
_PROBE_COST: Final = 1

#: Weight of a vocabulary word that the word being typed is a prefix of, by prefix length:
#: "con" is still a guess, "conne" hardly is.
_PREFIX_WEIGHT: Final = {3: 0.6, 4: 0.8}
_PREFIX_WEIGHT_LONG: Final = 0.9
#: The shortest prefix worth expanding, and how many expansions to keep (the most common).
_MIN_PREFIX: Final = 3
_MAX_EXPANSIONS: Final = 12
#: How far to walk the sorted vocabulary for one prefix before giving up (bounds the cost).
_PREFIX_SCAN: Final = 400

#: Typo correction: only for unknown words this long, at this rapidfuzz `ratio` or above.
_TYPO_MIN_LEN: Final = 4
_TYPO_CUTOFF: Final = 80.0
_TYPO_WEIGHT: Final = 0.8
#: At most this many unknown words get a typo look-up per query (a pasted e-mail is long).
_TYPO_MAX_WORDS: Final = 4
#: A query uses its first this many meaningful words (and the word being typed): cost grows
#: with every word, and what a ticket is about is said first (the subject, the first line).
_MAX_SLOTS: Final = 16
#: Body hits of a term in more than this share of the library do not count towards picking
#: candidates: they are noise there, and most of the postings to count.
_COMMON_SHARE: Final = 0.1

#: An unknown word still counts a little against coverage, so an entry that explains three
#: words of a ten-word e-mail scores lower than one that explains three words of three.
_UNKNOWN_IMPORTANCE: Final = 0.5

#: The rapidfuzz scorer for query-vs-short-field similarity (see the module doc for why).
_FUZZY_SCORER: Final = fuzz.token_set_ratio
#: Fuzzy scores below this are treated as no similarity (and let rapidfuzz stop early).
_FUZZY_CUTOFF: Final = 45.0

#: How many matched terms a `Match` lists.
_MAX_MATCHED: Final = 6

# --- vocabulary ---------------------------------------------------------------------------

#: Words that say nothing about which SOP applies. Negations are here too: nearly every
#: ticket says something is "not" working, so "not" cannot tell SOPs apart. Question words
#: that do tell ("how", "who", "where") are kept.
_STOPWORD_TEXT: Final = """
    a an the i im ive id ill me my mine myself we our ours us you your youre yours he she him
    her his they them their theirs it its itself this that these those there here is am are
    was were be been being do does did doing done have has had having will would shall should
    can could may might must cant cannot wont dont doesnt didnt isnt arent wasnt werent hasnt
    havent hadnt couldnt wouldnt shouldnt aint not no nor and or but if so because as of at by
    for with about to from in on onto into up down off over under again further then once just
    also too very really quite still now any some all each every both few more most other
    such only own same than please pls plz hi hello hey dear thanks thank thx regards cheers
    ok okay yes get got getting gets keep keeps kept keeping anymore anything something one
    which what whats when why while able unable like need needs needed want wants wanted
    since after before even though although yet seems seem says said say saying tell told let
    lets go going goes went make makes made know think sure bit lot lots way thing things
    someone anyone somebody anybody help via per etc
"""
STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())

#: Multi-word variants joined into one word after the text is cut into words, so "wi-fi",
#: "wi fi" and "wifi" are one word and "log in" is not "log" plus a stopword. Matching word
#: sequences (not a regex over the text) keeps this one dict look-up per word: KB bodies
#: are long and there may be 100,000 of them to prepare.
_PHRASES: Final[Mapping[str, str]] = {
    "wi fi": "wifi",
    "e mail": "email",
    "e mails": "email",
    **dict.fromkeys(("log in", "log on", "sign in", "sign on", "logged in", "signed in"), "login"),
    **dict.fromkeys(("pop up", "pop ups"), "popup"),
    **dict.fromkeys(
        ("two factor", "2 factor", "multi factor", "two step", "2 step", "multi step"), "mfa"
    ),
    "set up": "setup",
    **dict.fromkeys(("start up", "boot up"), "boot"),
    **dict.fromkeys(("takes ages", "take ages", "takes forever", "take forever"), "slow"),
    **dict.fromkeys(
        ("out of office", "automatic reply", "automatic replies", "auto reply", "auto replies"),
        "autoreply",
    ),
    "anti virus": "antivirus",
    **dict.fromkeys(("air con", "air conditioning"), "aircon"),
    **dict.fromkeys(("hard disk", "hard drive", "c drive"), "disk"),
    "no one": "nobody",
    "send as": "sendas",
    # "closes by itself", "moving on its own": the idiom, not its stopwords, is the clue.
    **dict.fromkeys(("by itself", "by themselves", "on its own", "on their own"), "byitself"),
    **dict.fromkeys(
        ("shut down", "shuts down", "shutting down", "shut off", "shuts off"), "shutdown"
    ),
    **dict.fromkeys(("come through", "comes through", "coming through"), "arrive"),
}
_PHRASE_TAILS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    first: tuple(
        sorted(
            (tuple(p.split()[1:]) for p in _PHRASES if p.split()[0] == first),
            key=len,
            reverse=True,  # longest first: "pop ups" before "pop up"
        )
    )
    for first in {p.split()[0] for p in _PHRASES}
}
#: "can you put Visio on my laptop", "can I get 7-zip on my PC" ask for an install: one of
#: these verbs, one to three words, "on", then an owner.
_INSTALL_VERBS: Final = frozenset({"put", "get"})
_DEVICE_OWNERS: Final = frozenset({"my", "his", "her", "our", "their", "this"})
_PHRASE_FIRST: Final = frozenset(_PHRASE_TAILS) | _INSTALL_VERBS

#: Words that mean the same thing at a service desk, mapped onto one spelling before stemming.
_EQUIVALENT: Final[Mapping[str, str]] = {
    **dict.fromkeys(("wlan", "wifis"), "wifi"),
    **dict.fromkeys(("mail", "mails", "emails"), "email"),
    **dict.fromkeys(("signin", "logon", "logins", "signon"), "login"),
    **dict.fromkeys(("pw", "pwd", "passwd", "passcode", "passwords"), "password"),
    **dict.fromkeys(("2fa", "2sv", "multifactor"), "mfa"),
    **dict.fromkeys(("pc", "pcs", "desktop", "workstation", "machine", "computers"), "computer"),
    **dict.fromkeys(("notebook", "laptops"), "laptop"),
    **dict.fromkeys(("iphone", "android", "smartphone", "mobile", "cellphone", "samsung"), "phone"),
    **dict.fromkeys(("ipad", "tablets"), "tablet"),
    **dict.fromkeys(("mic", "mics", "microphones"), "microphone"),
    **dict.fromkeys(("cam", "camera", "cameras", "webcams"), "webcam"),
    **dict.fromkeys(("headphones", "headphone", "earphones", "earbuds", "airpods"), "headset"),
    **dict.fromkeys(("sound", "sounds"), "audio"),
    "diary": "calendar",
    **dict.fromkeys(("boss", "director", "supervisor"), "manager"),
    "online": "internet",
    **dict.fromkeys(
        ("sluggish", "laggy", "lagging", "lag", "lags", "crawling", "crawl", "slowly", "slowness"),
        "slow",
    ),
    **dict.fromkeys(("frozen", "froze", "hang", "hangs", "hanging", "hung"), "freeze"),
    **dict.fromkeys(("stole", "nicked", "robbed", "theft", "thief"), "stolen"),
    **dict.fromkeys(("vanished", "disappeared", "disappear", "gone"), "missing"),
    **dict.fromkeys(("corrupted", "corruption"), "corrupt"),
    **dict.fromkeys(("overwrote", "overwritten", "overwriting"), "overwrite"),
    **dict.fromkeys(("undelivered", "undeliverable", "ndr"), "bounce"),
    **dict.fromkeys(("scam", "dodgy", "fraud", "fraudulent", "spoof", "spoofed"), "suspicious"),
    **dict.fromkeys(("hacker", "compromised"), "hacked"),
    **dict.fromkeys(("erased", "binned"), "deleted"),
    **dict.fromkeys(("trash", "wastebasket"), "bin"),
    **dict.fromkeys(("licence", "licences", "licensing"), "license"),
    **dict.fromkeys(("cert", "certs", "ssl", "tls"), "certificate"),
    **dict.fromkeys(("administrator", "administrators", "admins"), "admin"),
    **dict.fromkeys(("printer", "printers", "printing", "printout", "printouts"), "print"),
    **dict.fromkeys(("complain", "complaining", "complained"), "complaint"),
    **dict.fromkeys(
        (
            "quit",
            "quitting",
            "resign",
            "resigned",
            "resigning",
            "resignation",
            "leaver",
            "leavers",
            "leaving",
            "leaves",
        ),
        "leave",
    ),
    **dict.fromkeys(("joiner", "joiners", "newcomer", "hire", "hires"), "starter"),
    **dict.fromkeys(
        ("apps", "application", "applications", "program", "programs", "programme"), "app"
    ),
    "pointer": "cursor",
    "trackpad": "touchpad",
    **dict.fromkeys(("case", "incident", "inc"), "ticket"),
    "news": "update",
    "dark": "black",
    **dict.fromkeys(("storage", "capacity"), "space"),
    **dict.fromkeys(("expiry", "expires", "expiring"), "expired"),
    **dict.fromkeys(("forgotten", "forget", "forgetting"), "forgot"),
    **dict.fromkeys(("locked", "locking", "lockout", "lockouts", "blocked", "block"), "lock"),
    **dict.fromkeys(("payslip", "payslips", "salary"), "payroll"),
    **dict.fromkeys(("globalprotect", "anyconnect", "forticlient"), "vpn"),
    "everybody": "everyone",
    "entire": "whole",
}

#: Terms that often stand for each other without meaning quite the same; the number is how
#: much a hit on the related term counts. Listed one way, applied both ways.
_RELATED_PAIRS: Final[tuple[tuple[str, str, float], ...]] = (
    ("wireless", "wifi", 0.7),
    ("laptop", "computer", 0.7),
    ("monitor", "screen", 0.7),
    ("monitor", "display", 0.8),
    ("screen", "display", 0.8),
    ("phone", "tablet", 0.5),
    ("audio", "hear", 0.7),
    ("virus", "malware", 0.9),
    ("virus", "antivirus", 0.8),
    ("malware", "ransomware", 0.8),
    ("hacked", "malware", 0.6),
    ("quarantined", "antivirus", 0.6),
    ("suspicious", "phishing", 0.8),
    ("fake", "phishing", 0.7),
    ("restore", "recover", 0.9),
    ("unlock", "lock", 0.8),
    ("elevated", "admin", 0.7),
    ("email", "outlook", 0.5),
    ("heating", "aircon", 0.7),
    ("everyone", "nobody", 0.7),
    ("everyone", "whole", 0.7),
    ("fix", "repair", 0.8),
    ("setup", "install", 0.6),
    ("license", "unlicensed", 0.9),
    ("lost", "missing", 0.7),
    ("stolen", "lost", 0.6),
    ("crash", "freeze", 0.6),
    ("crash", "shutdown", 0.7),
    ("close", "shutdown", 0.8),
    ("cursor", "mouse", 0.7),
    ("inbox", "mailbox", 0.8),
    ("inbox", "email", 0.6),
    ("arrive", "receive", 0.8),
)

#: Words the stemmer must leave alone because their stem means something else:
#: "teams" is the chat application, not several teams.
_NO_STEM: Final = frozenset({"teams", "windows", "news", "sales", "mfa", "vpn", "dns"})

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

# --- rapidfuzz without numpy --------------------------------------------------------------

try:
    # Not public API, hence the guard and the self-test in `_pick_row_scorer`.
    from rapidfuzz.process_cpp_impl import cdist as _cdist_cpp
except ImportError:  # a pure-Python build of rapidfuzz
    _cdist_cpp = None

_Scorer = Callable[..., float]
_RowScorer = Callable[[str, Sequence[str], _Scorer, float], list[float]]


def _row_from_cpp(
    query: str, choices: Sequence[str], scorer: _Scorer, cutoff: float
) -> list[float]:
    """Scores of `query` against `choices` via rapidfuzz's C++ `cdist`, read without numpy.

    `rapidfuzz.process.cdist` wraps this function only to turn its result into a numpy
    array; the result itself is a matrix that exposes the buffer protocol, so a memoryview
    reads it. The C++ code releases the GIL while it scores. One worker thread: the UI
    thread needs a core too, and a few thousand short strings take a few milliseconds.
    """
    if _cdist_cpp is None:
        raise ImportError("rapidfuzz.process_cpp_impl is not available")
    matrix = _cdist_cpp([query], choices, scorer=scorer, score_cutoff=cutoff, workers=1)
    # One row per query; the memoryview has the matrix's float format, whatever mypy thinks.
    return cast("list[float]", memoryview(matrix).tolist()[0])


def _row_from_numpy(
    query: str, choices: Sequence[str], scorer: _Scorer, cutoff: float
) -> list[float]:
    """The same through the public `process.cdist`, which needs numpy installed."""
    matrix = process.cdist([query], choices, scorer=scorer, score_cutoff=cutoff, workers=1)
    row: list[float] = matrix[0].tolist()
    return row


def _row_from_extract(
    query: str, choices: Sequence[str], scorer: _Scorer, cutoff: float
) -> list[float]:
    """Last resort without the C++ build and without numpy: `process.extract` (holds the GIL)."""
    row = [0.0] * len(choices)
    for _, score, index in process.extract(
        query, choices, scorer=scorer, score_cutoff=cutoff, limit=None
    ):
        row[index] = float(score)
    return row


def _pick_row_scorer() -> _RowScorer:
    """The first scoring backend that works here, checked once on a tiny input."""
    for backend in (_row_from_cpp, _row_from_numpy):
        try:
            row = backend("vpn", ["vpn", "printer"], fuzz.ratio, 0.0)
        except Exception:  # any failure means "not usable here": try the next
            continue
        if len(row) == 2 and row[0] == 100.0:
            return backend
    return _row_from_extract


_score_row: _RowScorer = _pick_row_scorer()


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


class Matcher:
    """Suggest SOPs and KB articles for ticket text; build once, then call `match` often.

    Construction does all the text processing (normalising, stemming, the inverted index,
    the strings rapidfuzz compares), so a keystroke only processes the query. The matcher is
    not changed after construction, so several threads may call `match` at once.
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
