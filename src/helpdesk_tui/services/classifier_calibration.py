"""Calibrating the category suggester's confidence: softmax with a fitted temperature.

`_softmax` turns decision values into probabilities at inference time; `_fit_temperature`
picks the temperature on held-out tickets at training time. numpy is imported inside the
functions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


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
