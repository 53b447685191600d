"""Evaluating the category suggester: accuracy, per-category and macro metrics.

`evaluate` scores a model on tickets whose categories are known; `_report` computes the
metrics (also used by training for the held-out estimate). Pure Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.classifier_types import LOW_CONFIDENCE, CategoryMetrics, EvalReport

if TYPE_CHECKING:
    from helpdesk_tui.services.classifier_model import CategoryModel


def evaluate(model: CategoryModel, texts: Sequence[str], labels: Sequence[str]) -> EvalReport:
    """Score `model` on tickets whose true categories `labels` are known."""
    if len(texts) != len(labels):
        raise UsageError(f"{len(texts)} texts but {len(labels)} labels")
    suggestions = model.suggest_many(texts)
    return _report(
        list(labels), [s.category for s in suggestions], [s.confidence for s in suggestions]
    )


def _report(
    true: Sequence[str], predicted: Sequence[str], confidence: Sequence[float] | None
) -> EvalReport:
    """Accuracy, per-category and macro metrics as scikit-learn defines them.

    The categories are those in `true` or `predicted`. An undefined precision (nothing
    predicted) or recall (nothing true) counts as 0; macro-F1 is the plain mean of the
    categories' F1.
    """
    n = len(true)
    pairs = Counter(zip(true, predicted, strict=True))
    support = Counter(true)
    predicted_count = Counter(predicted)
    per_category: dict[str, CategoryMetrics] = {}
    for name in sorted(set(support) | set(predicted_count)):
        tp = pairs[(name, name)]
        precision = tp / predicted_count[name] if predicted_count[name] else 0.0
        recall = tp / support[name] if support[name] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_category[name] = CategoryMetrics(precision, recall, f1, support[name])
    correct = sum(pairs[(c, c)] for c in per_category)
    mistakes = sorted(
        ((t, p, k) for (t, p), k in pairs.items() if t != p), key=lambda m: (-m[2], m[0], m[1])
    )
    confident = [c >= LOW_CONFIDENCE for c in confidence] if confidence is not None else []
    n_confident = sum(confident)
    confident_right = sum(
        ok and t == p for ok, t, p in zip(confident, true, predicted, strict=False)
    )
    return EvalReport(
        n=n,
        accuracy=correct / n if n else 0.0,
        macro_f1=_mean(m.f1 for m in per_category.values()),
        per_category=per_category,
        confusions=tuple(mistakes[:10]),
        confident_share=n_confident / n if n else 0.0,
        confident_accuracy=confident_right / n_confident if n_confident else 0.0,
    )


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0
