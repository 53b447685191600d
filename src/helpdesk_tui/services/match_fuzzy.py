"""rapidfuzz scoring for the matcher without numpy: one query against many strings.

Threads: the bulk rapidfuzz work runs in rapidfuzz's C++ `cdist`, which releases the GIL, so a
UI thread keeps running while a worker computes suggestions; `process.extract` over a big list
holds the GIL for the whole call (DESIGN §9; bench/bench_matcher.py measures both). The public
`process.cdist` returns a numpy array and numpy is not a dependency of helpdesk-tui, so the
matcher calls the C++ function underneath and reads its result matrix through the buffer
protocol, falling back to numpy or to `extract` where that is not available (`_score_row`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from rapidfuzz import fuzz, process

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
