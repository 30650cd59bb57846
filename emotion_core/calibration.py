"""Temperature scaling: a model's probabilities made honest about how often they are right.

A distribution p becomes softmax(log p / T): T > 1 flattens it (an overconfident model), T < 1
sharpens it, T = 1 leaves it as it is, and the top label never changes. Each probability is
clipped at PROB_FLOOR before the log, so an int8 model's exact zeros stay finite. The
temperatures are fitted by `fit_temperature` on held-out predictions
(training/calibrate_confidence.py) and shipped in the model set's manifest. Pure numpy.
"""

from __future__ import annotations

import numpy as np

PROB_FLOOR = 1e-6
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 20.0  # fit_temperature's bounds: far beyond any useful one


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log(probs) / temperature) along the last axis; `probs` unchanged when it is 1."""
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, PROB_FLOOR, None)) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(probs: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the mean negative log-likelihood of the true labels.

    probs: (n, k) distributions; truth: (n,) indices into the last axis. The loss is convex in
    1 / T (a log-sum-exp of linear functions minus a linear one), so a bounded scalar search on
    log T finds its minimum.
    """
    from scipy.optimize import minimize_scalar  # only fitting needs scipy

    log_p = np.log(np.clip(np.asarray(probs, dtype=np.float64), PROB_FLOOR, None))
    truth = np.asarray(truth, dtype=np.int64)
    if log_p.ndim != 2 or log_p.shape[0] != truth.size:
        raise ValueError(f"expected (n, k) probabilities and (n,) truth, got {log_p.shape}, {truth.shape}")
    rows = np.arange(truth.size)

    def nll(log_t: float) -> float:
        z = log_p / np.exp(log_t)
        top = z.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
        return float((log_norm - z[rows, truth]).mean())

    bounds = (np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE))
    result = minimize_scalar(nll, bounds=bounds, method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))
