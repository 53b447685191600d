"""Shared pieces of the category suggester: tuning constants, the error and result types.

Part of the classifier split (see `classifier`, the public API). Nothing here imports numpy
or scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from helpdesk_tui.errors import HelpdeskError

#: Suggestions whose confidence is below this are shown as "low confidence".
#:
#: Chosen on held-out dev tickets (bench/bench_classifier.py prints the table). Confidence
#: is calibrated, so below 0.5 the model itself rates its suggestion more likely wrong than
#: right, and the data agrees: the 6 % of test tickets below 0.5 were suggested correctly
#: 51 % of the time (every 0.1-wide band below 0.5 at 55 % or less), the other 94 % were
#: right 90 % of the time. Higher thresholds flag many more tickets whose suggestion is
#: still right more often than not (0.6: 11 % flagged, right 54 %; 0.7: 17 %, 58 %).
#: Because the temperature is refitted on every desk's own tickets, the threshold keeps
#: that meaning wherever the model is trained.
LOW_CONFIDENCE: Final[float] = 0.5

ALGORITHM: Final[str] = "nbsvm-tfidf-word12-charwb35"

#: Model file format. Bump when the arrays, the analyzers or `normalise` change: a model
#: must be scored with exactly the preprocessing it was trained with.
FORMAT: Final[str] = "helpdesk-tui/category-model"
FORMAT_VERSION: Final[int] = 1

# Hyperparameters, from 5-fold cross-validation on the dev set (a flat optimum: C 0.4-0.7
# and alpha 3-6 are within 0.002 of each other).
_CHAR_NGRAMS: Final[tuple[int, int]] = (3, 5)
_MIN_WORD_LEN: Final[int] = 2
_SVM_C: Final[float] = 0.5
#: Additive smoothing of the naive-Bayes ratio: larger than the textbook 1 because most
#: n-grams are rare, and their ratios would otherwise swing the SVM input widely.
_NB_ALPHA: Final[float] = 4.0
#: Character n-grams seen in a single ticket are mostly one ticket's typos: dropping them
#: halves the character vocabulary at no cost in accuracy. Only applied when a desk has
#: enough history for "seen twice" to mean something.
_CHAR_MIN_DF: Final[int] = 2
_CHAR_MIN_DF_FROM: Final[int] = 1_000
_HOLDOUT_SHARE: Final[float] = 0.2
#: The temperature when there are too few tickets to hold some out: about the value fitted
#: on the dev set (decision values are near +1 for the right class, -1 for the others).
_DEFAULT_TEMPERATURE: Final[float] = 0.33
_TOP_N: Final[int] = 3
#: Words whose known character n-grams a model caches; cleared when full, so a long-running
#: TUI does not grow without bound.
_CHAR_CACHE_MAX: Final[int] = 200_000


class ClassifierUnavailable(HelpdeskError):
    """Training (or reading a model) needs scikit-learn / numpy, an optional extra."""

    def __init__(self, missing: str = "scikit-learn") -> None:
        super().__init__(
            f"category suggestions need {missing}: install helpdesk-tui[ml] "
            "(pip install 'helpdesk-tui[ml]')"
        )


@dataclass(frozen=True)
class Suggestion:
    """A suggested category and how sure the model is.

    `confidence` is the calibrated probability that `category` is right. `alternatives` is
    the top of the ranking, best first, with probabilities: up to three categories, the
    first being `category` itself, for a pick list in the UI.
    """

    category: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]

    @property
    def low_confidence(self) -> bool:
        """True when the UI should flag the suggestion as a guess (see `LOW_CONFIDENCE`)."""
        return self.confidence < LOW_CONFIDENCE


@dataclass(frozen=True)
class ModelInfo:
    """What a model is; stored in the model file's header, for the admin screens.

    `metrics` holds the estimate from the held-out part of the training tickets
    (`holdout_accuracy`, `holdout_macro_f1`, `holdout_log_loss`, `holdout_n`) and the fitted
    `temperature`. The holdout keys are missing when there were too few tickets (fewer than
    about 100, or a category with a single ticket) to hold some out.
    """

    version: int
    trained_at: datetime
    n_samples: int
    categories: tuple[str, ...]
    algorithm: str
    metrics: dict[str, float] = field(hash=False)
    sklearn_version: str


@dataclass(frozen=True)
class CategoryMetrics:
    """Precision, recall and F1 of one category; `support` is its number of true tickets."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    """How well a model labels tickets whose category is known (see `evaluate`).

    `confusions` lists the most frequent mistakes as (true, predicted, count), most
    frequent first, at most ten. `confident_share` is the share of tickets whose suggestion
    is at or above `LOW_CONFIDENCE`; `confident_accuracy` the accuracy on those (0.0 if
    there are none).
    """

    n: int
    accuracy: float
    macro_f1: float
    per_category: dict[str, CategoryMetrics]
    confusions: tuple[tuple[str, str, int], ...]
    confident_share: float
    confident_accuracy: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (plain dicts, lists, numbers and strings)."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_category": {
                name: {
                    "precision": m.precision,
                    "recall": m.recall,
                    "f1": m.f1,
                    "support": m.support,
                }
                for name, m in self.per_category.items()
            },
            "confusions": [
                {"true": true, "predicted": predicted, "count": count}
                for true, predicted, count in self.confusions
            ],
            "confident_share": self.confident_share,
            "confident_accuracy": self.confident_accuracy,
        }
