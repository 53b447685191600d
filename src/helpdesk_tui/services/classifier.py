"""The learned category suggester: a text classifier trained on a desk's closed tickets.

Pure machine learning: no database, no Textual. The caller (the DB integration) hands over
texts and the categories the desk gave them, stores the model file and asks for suggestions.
The desk's own taxonomy is learned as is: any set of two or more label strings works.

Algorithm (chosen by 5-fold cross-validation on the 38k-ticket dev set; the benchmark
bench/bench_classifier.py prints the resulting figures):

* `normalise` folds case and accents and keeps letter runs only. The dev data was published
  like that (lowercase, no digits or punctuation), and doing the same to live tickets makes
  "VPN-Client (v2.3) crashed!" and "vpn client crashed" the same evidence.
* Two TF-IDF blocks, each L2-normalised, sublinear tf: word 1-2-grams (words of >= 2
  letters) and character 3-5-grams inside word boundaries (`char_wb`). Character n-grams
  catch typos, inflections and compounds the word block misses ("printers", "printr").
* NB-SVM (Wang & Manning 2012): one-vs-rest linear SVMs, each on the features scaled by the
  naive-Bayes log-count ratio of its class. Cross-validated accuracy 0.862, against 0.860
  for a plain linear SVM on the same features, 0.856 with word n-grams only and 0.855 for
  logistic regression; averaging several such models gained nothing. The ratio is folded
  into the weights, so inference is one sparse dot product per category.
* Confidence: softmax of the SVM decision values divided by a temperature fitted (minimum
  log-loss) on a stratified 20 % of the training tickets, scored by a first model fitted
  on the other 80 %; the final model is then fitted on everything. The same held-out part
  gives the accuracy estimate in `ModelInfo.metrics`.

Inference needs numpy only: the model file holds the vocabularies, idf and weight arrays
(`.npz` read with `allow_pickle=False`, so loading runs no code) and this module recomputes
the TF-IDF vectors with the same pure-Python analyzers that scikit-learn was given at
training time; `train_with_reference` lets tests and the benchmark check the two agree.
scikit-learn is needed by `CategoryModel.train` only (`pip install 'helpdesk-tui[ml]'`;
numpy comes with it). Both are imported inside functions: importing this module costs
nothing and the rest of the product works without them.
"""

from __future__ import annotations

import importlib
import io
import itertools
import json
import math
import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from helpdesk_tui.errors import HelpdeskError, UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

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

_LETTERS = re.compile(r"[^\W\d_]+")


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


def _sklearn(module: str) -> Any:
    """Import a scikit-learn (or scipy) module; untyped, as scikit-learn ships no stubs."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ClassifierUnavailable() from exc


# --------------------------------------------------------------------------- the model


class CategoryModel:
    """A trained category suggester: `train` it, `suggest` with it, `save` and `load` it.

    Suggesting from several threads is safe: apart from a per-word cache (a dict, whose
    single operations are atomic), a model never changes after training or loading.
    """

    info: ModelInfo

    def __init__(
        self,
        info: ModelInfo,
        *,
        word_vocab: dict[str, int],
        char_vocab: dict[str, int],
        idf: NDArray[np.float64],
        weights: NDArray[np.float32],
        intercept: NDArray[np.float64],
        temperature: float,
    ) -> None:
        """Assemble a model from its parts (use `train` or `load` instead).

        Feature ids: word terms are 0..len(word_vocab)-1, character terms follow. `idf` has
        one value per feature; `weights` is (n_features, n_categories), so one ticket's
        features gather whole rows, and already includes the NB ratios.
        """
        self.info = info
        self._word_vocab = word_vocab
        self._char_vocab = char_vocab
        self._n_word = len(word_vocab)
        self._idf = idf
        self._weights = weights
        self._intercept = intercept
        self._temperature = temperature
        self._char_cache: dict[str, tuple[int, ...]] = {}

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories the model can suggest, in the order of its score columns."""
        return self.info.categories

    # ---------------------------------------------------------------- inference

    def suggest(self, text: str) -> Suggestion:
        """The most likely category of one ticket text, with confidence and alternatives."""
        return self.suggest_many([text])[0]

    def suggest_many(self, texts: Sequence[str]) -> list[Suggestion]:
        """Suggestions for many texts, scored in one vectorised pass."""
        import numpy as np

        if not texts:
            return []
        probabilities = _softmax(self.decision_function(texts) / self._temperature)
        top_n = min(_TOP_N, len(self.categories))
        ranking = np.argsort(-probabilities, axis=1, kind="stable")[:, :top_n]
        out: list[Suggestion] = []
        for row, ranks in zip(probabilities.tolist(), ranking.tolist(), strict=True):
            top = tuple((self.categories[j], float(row[j])) for j in ranks)
            out.append(Suggestion(category=top[0][0], confidence=top[0][1], alternatives=top))
        return out

    def decision_function(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Raw scores, shape (len(texts), n_categories); the argmax is the suggestion.

        Recomputes what scikit-learn's TfidfVectorizer and the SVMs computed at training:
        counts -> 1 + log(count) -> times idf -> L2-normalised per block -> dot weights.
        """
        import numpy as np

        ids: list[int] = []
        counts: list[int] = []
        segments: list[int] = []  # 2 * row + block: each block is normalised on its own
        for row, text in enumerate(texts):
            self._count(normalise(text), 2 * row, ids, counts, segments)
        scores: NDArray[np.float64] = np.tile(self._intercept, (len(texts), 1))
        if not ids:
            return scores
        id_arr = np.asarray(ids, dtype=np.int64)
        segment_arr = np.asarray(segments, dtype=np.int64)
        values = (np.log(np.asarray(counts, dtype=np.float64)) + 1.0) * self._idf[id_arr]
        norms = np.sqrt(np.bincount(segment_arr, weights=values * values))
        values /= norms[segment_arr]
        contributions = self._weights[id_arr] * values[:, None]  # (nnz, n_categories)
        rows = segment_arr // 2
        for j in range(scores.shape[1]):
            scores[:, j] += np.bincount(rows, weights=contributions[:, j], minlength=len(texts))
        return scores

    def _count(
        self, norm: str, segment: int, ids: list[int], counts: list[int], segments: list[int]
    ) -> None:
        """Append the known features of one normalised text and their counts."""
        vocab = self._word_vocab
        word_counts = Counter(i for t in word_terms(norm) if (i := vocab.get(t)) is not None)
        char_counts: Counter[int] = Counter()
        for word in norm.split():
            char_counts.update(self._char_ids(word))
        for block, block_counts in ((segment, word_counts), (segment + 1, char_counts)):
            ids.extend(block_counts.keys())
            counts.extend(block_counts.values())
            segments.extend([block] * len(block_counts))

    def _char_ids(self, word: str) -> tuple[int, ...]:
        """Feature ids of the known character n-grams of `word` (with repeats)."""
        cached = self._char_cache.get(word)
        if cached is None:
            if len(self._char_cache) >= _CHAR_CACHE_MAX:
                self._char_cache.clear()
            vocab, offset = self._char_vocab, self._n_word
            cached = tuple(
                offset + i for t in _word_char_terms(word) if (i := vocab.get(t)) is not None
            )
            self._char_cache[word] = cached
        return cached

    # ---------------------------------------------------------------- training

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        version: int = 1,
        now: datetime | None = None,
        seed: int = 0,
    ) -> CategoryModel:
        """Fit a model on ticket `texts` and their categories `labels`.

        Needs scikit-learn (`ClassifierUnavailable` otherwise) and tickets of at least two
        categories (`UsageError` otherwise). Deterministic for a given `seed`. Uses one
        core; about 30 s for 38k tickets, three quarters of it in the 2 x n_categories SVMs.
        """
        return train_with_reference(texts, labels, version=version, now=now, seed=seed)[0]

    # ---------------------------------------------------------------- persistence

    def save(self, path: Path) -> None:
        """Write the model to `path` atomically (a temporary file, then `os.replace`).

        Format: a compressed `.npz` archive holding a JSON `header` (format version,
        `ModelInfo`, temperature), the two vocabularies as newline-separated UTF-8, and the
        `idf`, `weights` (float32) and `intercept` arrays. No pickle anywhere.
        """
        import numpy as np

        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.info.version,
            "trained_at": self.info.trained_at.isoformat(),
            "n_samples": self.info.n_samples,
            "categories": list(self.info.categories),
            "algorithm": self.info.algorithm,
            "metrics": self.info.metrics,
            "sklearn_version": self.info.sklearn_version,
            "temperature": self._temperature,
            "n_word_features": self._n_word,
        }
        arrays: dict[str, NDArray[Any]] = {
            "header": _utf8(json.dumps(header, ensure_ascii=False)),
            # Terms never contain "\n": normalise() leaves single spaces as the only blanks.
            "word_terms": _utf8("\n".join(_terms_by_id(self._word_vocab))),
            "char_terms": _utf8("\n".join(_terms_by_id(self._char_vocab))),
            "idf": self._idf,
            "weights": self._weights,
            "intercept": self._intercept,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez_compressed(handle, allow_pickle=False, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> CategoryModel:
        """Read a model written by `save`.

        `UsageError` if the file is missing, unreadable, corrupt, not a model, or of another
        format version; `ClassifierUnavailable` if numpy is not installed.
        """
        try:
            import numpy as np
        except ImportError as exc:  # pragma: no cover - numpy comes with the [ml] extra
            raise ClassifierUnavailable("numpy") from exc

        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read category model {path}: {exc.strerror}") from exc
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode("utf-8"))
                if not isinstance(header, dict) or header.get("format") != FORMAT:
                    raise ValueError("not a helpdesk-tui category model")
                if header.get("format_version") != FORMAT_VERSION:
                    raise _IncompatibleFormat(header.get("format_version"))
                words = _split_terms(archive["word_terms"])
                chars = _split_terms(archive["char_terms"])
                idf = np.asarray(archive["idf"], dtype=np.float64)
                weights = np.asarray(archive["weights"], dtype=np.float32)
                intercept = np.asarray(archive["intercept"], dtype=np.float64)
            categories = tuple(str(c) for c in header["categories"])
            n_features = len(words) + len(chars)
            if (
                len(categories) < 2
                or len(set(categories)) != len(categories)
                or header["n_word_features"] != len(words)
                or idf.shape != (n_features,)
                or weights.shape != (n_features, len(categories))
                or intercept.shape != (len(categories),)
                or not all(np.isfinite(a).all() for a in (idf, weights, intercept))
            ):
                raise ValueError("arrays do not fit together")
            temperature = float(header["temperature"])
            if not (temperature > 0 and math.isfinite(temperature)):
                raise ValueError(f"bad temperature {temperature}")
            info = ModelInfo(
                version=int(header["version"]),
                trained_at=datetime.fromisoformat(header["trained_at"]),
                n_samples=int(header["n_samples"]),
                categories=categories,
                algorithm=str(header["algorithm"]),
                metrics={str(k): float(v) for k, v in header["metrics"].items()},
                sklearn_version=str(header["sklearn_version"]),
            )
        except _IncompatibleFormat as exc:
            raise UsageError(
                f"category model {path} has format version {exc.args[0]!r} but this "
                f"helpdesk-tui reads version {FORMAT_VERSION}: retrain the model"
            ) from exc
        except _CORRUPT as exc:
            raise UsageError(f"category model {path} is corrupt or not a model: {exc}") from exc
        return cls(
            info,
            word_vocab={t: i for i, t in enumerate(words)},
            char_vocab={t: i for i, t in enumerate(chars)},
            idf=idf,
            weights=weights,
            intercept=intercept,
            temperature=temperature,
        )


class _IncompatibleFormat(Exception):
    """A model file of a format version this code cannot read."""


#: What reading a damaged or foreign file can raise: a bad zip or deflate stream, a missing
#: member, undecodable JSON or UTF-8, a refused (pickled) or malformed array, wrong types.
_CORRUPT = (
    zipfile.BadZipFile,
    zlib.error,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    OSError,
    EOFError,
)


# --------------------------------------------------------------------------- training


class Reference:
    """scikit-learn's own computation behind a freshly trained model (never saved).

    For verification only. `decision_function` fits scikit-learn's `TfidfVectorizer` on the
    training texts (with the module's analyzers) and scores with the fitted `LinearSVC`s,
    so it checks both the fast training vectoriser and the numpy predictor: their decision
    values must agree up to the float32 rounding of the stored weights (about 1e-7).
    """

    def __init__(
        self, normalised: list[str], char_min_df: int, svms: list[tuple[Any, Any]]
    ) -> None:
        self._normalised = normalised
        self._char_min_df = char_min_df
        self._svms = svms  # (LinearSVC, NB ratio) per category
        self._vectorizers: list[Any] = []

    def decision_function(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """scikit-learn's decision values for `texts`, (len(texts), n_categories)."""
        import numpy as np

        sparse = _sklearn("scipy.sparse")
        if not self._vectorizers:
            feature_text = _sklearn("sklearn.feature_extraction.text")
            self._vectorizers = [
                feature_text.TfidfVectorizer(analyzer=word_terms, sublinear_tf=True),
                feature_text.TfidfVectorizer(
                    analyzer=char_terms, sublinear_tf=True, min_df=self._char_min_df
                ),
            ]
            for vectorizer in self._vectorizers:
                vectorizer.fit(self._normalised)
        norm = [normalise(t) for t in texts]
        X = sparse.hstack([v.transform(norm) for v in self._vectorizers], format="csr")
        columns = [svc.decision_function(X @ sparse.diags(r)) for svc, r in self._svms]
        return np.stack(columns, axis=1)


def train_with_reference(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    version: int = 1,
    now: datetime | None = None,
    seed: int = 0,
) -> tuple[CategoryModel, Reference]:
    """`CategoryModel.train`, also returning scikit-learn's side of it (see `Reference`)."""
    if len(texts) != len(labels):
        raise UsageError(f"{len(texts)} texts but {len(labels)} labels")
    categories = tuple(sorted(set(labels)))
    if len(categories) < 2:
        raise UsageError("training needs tickets of at least two categories")
    if not all(isinstance(c, str) and c for c in categories):
        raise UsageError("every training ticket needs a category (a non-empty string)")
    sklearn = _sklearn("sklearn")
    import numpy as np

    norm = [normalise(t) for t in texts]
    index = {c: i for i, c in enumerate(categories)}
    y = np.asarray([index[c] for c in labels], dtype=np.int64)

    # Vocabulary and idf are fitted once, on all texts, and the held-out estimate reuses
    # them. They see no labels, so this saves a second vectorisation and makes the
    # estimate at most marginally optimistic.
    char_min_df = _CHAR_MIN_DF if len(texts) >= _CHAR_MIN_DF_FROM else 1
    X, words, chars, idf = _vectorise(norm, char_min_df)

    # Job 0 (when there are enough tickets): fit on 80 %, to calibrate and estimate on the
    # other 20 %. Last job: the final model on everything. The SVMs run one after the
    # other: liblinear draws from one process-wide random generator, so fitting them in
    # parallel threads is neither reproducible nor safe (and was not even faster).
    holdout = _holdout_split(y, seed)
    jobs = [] if holdout is None else [(X[holdout[0]], y[holdout[0]])]
    jobs.append((X, y))
    n_classes = len(categories)
    ratios = [_nb_ratios(Xj, yj, n_classes) for Xj, yj in jobs]
    svms = [
        [_fit_svm(Xj, yj == c, r[c], seed) for c in range(n_classes)]
        for (Xj, yj), r in zip(jobs, ratios, strict=True)
    ]

    def folded(job: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(weights, intercept) of a job, NB ratios folded into the weights: the SVM
        scores (x * r) . w + b, which is x . (r * w) + b."""
        w = np.stack([ratios[job][c] * svms[job][c].coef_.ravel() for c in range(n_classes)])
        b = np.array([svms[job][c].intercept_[0] for c in range(n_classes)], dtype=np.float64)
        return w.T, b

    metrics: dict[str, float] = {}
    temperature = _DEFAULT_TEMPERATURE
    if holdout is not None:
        held = holdout[1]
        w0, b0 = folded(0)
        held_scores = np.asarray(X[held] @ w0) + b0
        temperature, log_loss = _fit_temperature(held_scores, y[held])
        estimate = _report(
            [categories[i] for i in y[held].tolist()],
            [categories[i] for i in held_scores.argmax(axis=1).tolist()],
            None,
        )
        metrics.update(
            holdout_accuracy=estimate.accuracy,
            holdout_macro_f1=estimate.macro_f1,
            holdout_log_loss=log_loss,
            holdout_n=float(len(held)),
        )
    metrics["temperature"] = temperature

    weights, intercept = folded(len(jobs) - 1)
    info = ModelInfo(
        version=version,
        trained_at=now if now is not None else datetime.now(UTC),
        n_samples=len(texts),
        categories=categories,
        algorithm=ALGORITHM,
        metrics=metrics,
        sklearn_version=str(sklearn.__version__),
    )
    model = CategoryModel(
        info,
        word_vocab={t: i for i, t in enumerate(words)},
        char_vocab={t: i for i, t in enumerate(chars)},
        idf=idf,
        weights=np.ascontiguousarray(weights, dtype=np.float32),
        intercept=intercept,
        temperature=temperature,
    )
    final = len(jobs) - 1
    reference = Reference(
        norm, char_min_df, [(svms[final][c], ratios[final][c]) for c in range(n_classes)]
    )
    return model, reference


def _vectorise(
    norm: Sequence[str], char_min_df: int
) -> tuple[Any, list[str], list[str], NDArray[np.float64]]:
    """TF-IDF of normalised texts: (csr matrix, word terms, char terms, idf).

    Computes exactly what two scikit-learn `TfidfVectorizer`s (sublinear tf, smooth idf,
    L2 per block, vocabulary sorted) with `word_terms` / `char_terms` as analyzers compute
    (`Reference` checks it), in half the time: character n-grams are counted once per
    distinct word, and a ticket's counts are then a sparse product (ticket x word counts)
    @ (word x n-gram counts) instead of a Python loop over every n-gram of every ticket.
    """
    import numpy as np

    sparse = _sklearn("scipy.sparse")

    def counts(rows: list[list[int]], n_cols: int) -> Any:
        indptr = np.cumsum([0] + [len(r) for r in rows])
        indices = np.fromiter(itertools.chain.from_iterable(rows), np.int64, count=indptr[-1])
        matrix = sparse.csr_matrix(
            (np.ones(len(indices)), indices, indptr), shape=(len(rows), n_cols)
        )
        matrix.sum_duplicates()
        return matrix

    word_ids: dict[str, int] = {}
    word_rows = [[word_ids.setdefault(t, len(word_ids)) for t in word_terms(text)] for text in norm]
    distinct: dict[str, int] = {}
    token_rows = [[distinct.setdefault(w, len(distinct)) for w in text.split()] for text in norm]
    char_ids: dict[str, int] = {}
    char_rows = [
        [char_ids.setdefault(t, len(char_ids)) for t in _word_char_terms(w)] for w in distinct
    ]
    blocks = [
        (counts(word_rows, len(word_ids)), word_ids, 1),
        (
            counts(token_rows, len(distinct)) @ counts(char_rows, len(char_ids)),
            char_ids,
            char_min_df,
        ),
    ]
    n = len(norm)
    matrices, vocabularies, idfs = [], [], []
    for matrix, ids, min_df in blocks:
        matrix = matrix.tocsc()
        df = np.diff(matrix.indptr)
        terms = sorted(t for t, i in ids.items() if df[i] >= min_df)
        if not terms:
            raise UsageError("the training tickets contain no words")
        matrix = matrix[:, [ids[t] for t in terms]].tocsr()
        idf = np.log((1 + n) / (1 + df[[ids[t] for t in terms]])) + 1.0
        matrix.data = (np.log(matrix.data) + 1.0) * idf[matrix.indices]
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix = sparse.diags(1.0 / norms) @ matrix
        matrices.append(matrix)
        vocabularies.append(terms)
        idfs.append(idf)
    X = sparse.hstack(matrices, format="csr")
    return X, vocabularies[0], vocabularies[1], np.concatenate(idfs)


def _nb_ratios(X: Any, y: NDArray[np.int64], n_classes: int) -> NDArray[np.float64]:
    """Naive-Bayes log-count ratios, (n_classes, n_features): for each class c and feature
    f, log of (share of f among c's tickets) / (share of f among the other tickets),
    counting a feature once per ticket, smoothed by `_NB_ALPHA`."""
    import numpy as np

    present = X.copy()
    present.data[:] = 1.0
    onehot = np.zeros((n_classes, len(y)))
    onehot[y, np.arange(len(y))] = 1.0
    in_class = np.asarray(present.T @ onehot.T).T  # (n_classes, n_features) document counts
    pos = in_class + _NB_ALPHA
    neg = in_class.sum(axis=0) - in_class + _NB_ALPHA
    ratios: NDArray[np.float64] = np.log(pos / pos.sum(axis=1, keepdims=True)) - np.log(
        neg / neg.sum(axis=1, keepdims=True)
    )
    return ratios


def _fit_svm(X: Any, positive: NDArray[np.bool_], ratio: NDArray[np.float64], seed: int) -> Any:
    """One NB-SVM binary classifier: a linear SVM on the features scaled by `ratio`."""
    svm = _sklearn("sklearn.svm")
    scaled = X.copy()
    scaled.data *= ratio[scaled.indices]
    # tol 1e-3 instead of 1e-4: 10 % faster, the same predictions on the dev set.
    model = svm.LinearSVC(C=_SVM_C, tol=1e-3, max_iter=2_000, random_state=seed)
    return model.fit(scaled, positive)


def _holdout_split(
    y: NDArray[np.int64], seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """Stratified (fit rows, held-out rows), or None if there are too few tickets."""
    import numpy as np

    selection = _sklearn("sklearn.model_selection")
    counts = np.bincount(y)
    n_held = round(len(y) * _HOLDOUT_SHARE)
    if counts.min() < 2 or n_held < max(20, len(counts)) or len(y) - n_held < len(counts):
        return None
    fit_rows, held_rows = selection.train_test_split(
        np.arange(len(y)), test_size=n_held, stratify=y, random_state=seed
    )
    return np.sort(fit_rows), np.sort(held_rows)


def _softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    e = np.exp(z - z.max(axis=1, keepdims=True))
    out: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


def _fit_temperature(scores: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """The temperature T minimising the log-loss of softmax(scores / T): (T, log-loss).

    One parameter cannot overfit even a few dozen held-out tickets, and dividing by T keeps
    the ranking, so accuracy is untouched. A coarse log grid, then a finer one.
    """
    import numpy as np

    rows = np.arange(len(y))

    def log_loss(t: float) -> float:
        p = _softmax(scores / t)[rows, y]
        return float(-np.log(np.maximum(p, 1e-12)).mean())

    best = min(np.geomspace(0.01, 10.0, 61).tolist(), key=log_loss)
    best = min(np.geomspace(best / 1.13, best * 1.13, 41).tolist(), key=log_loss)
    return float(best), log_loss(best)


def _utf8(text: str) -> NDArray[np.uint8]:
    import numpy as np

    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _terms_by_id(vocab: dict[str, int]) -> list[str]:
    terms = [""] * len(vocab)
    for term, i in vocab.items():
        terms[i] = term
    return terms


def _split_terms(array: NDArray[Any]) -> list[str]:
    if array.dtype.kind != "u" or array.ndim != 1:
        raise ValueError("vocabulary is not a UTF-8 byte array")
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


# --------------------------------------------------------------------------- evaluation


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
