"""The category model: inference, persistence, and training (`train_with_reference`).

`CategoryModel` scores tickets with numpy only, recomputing the TF-IDF vectors with the
analyzers of `classifier_features`; `save` / `load` read and write the `.npz` file (helpers
in `classifier_npz`). `train_with_reference` fits a model with the building blocks of
`classifier_fitting` and `classifier_calibration`. numpy and scikit-learn are imported
inside functions only: importing this module costs nothing.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.classifier_calibration import _fit_temperature, _softmax
from helpdesk_tui.services.classifier_evaluation import _report
from helpdesk_tui.services.classifier_features import _word_char_terms, normalise, word_terms
from helpdesk_tui.services.classifier_fitting import (
    Reference,
    _fit_svm,
    _holdout_split,
    _nb_ratios,
    _sklearn,
    _vectorise,
)
from helpdesk_tui.services.classifier_npz import (
    _CORRUPT,
    _IncompatibleFormat,
    _split_terms,
    _terms_by_id,
    _utf8,
)
from helpdesk_tui.services.classifier_types import (
    _CHAR_CACHE_MAX,
    _CHAR_MIN_DF,
    _CHAR_MIN_DF_FROM,
    _DEFAULT_TEMPERATURE,
    _TOP_N,
    ALGORITHM,
    FORMAT,
    FORMAT_VERSION,
    ClassifierUnavailable,
    ModelInfo,
    Suggestion,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


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


# --------------------------------------------------------------------------- training


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
