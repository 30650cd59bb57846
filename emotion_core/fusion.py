"""Voice and face distributions fused into one, over the labels both channels share.

The face model knows 7 emotions, the voice model 8: FER2013 has no "calm". Fusion works over the
face model's labels (FUSED_LABELS, in LABELS order) and maps the voice's onto them with
VOICE_TO_FUSED: calm -> neutral, every other label to itself. Calm and neutral are both
low-arousal readings that show no particular emotion, so calm is the one label that folds into
another without contradicting it.

Both channels present: a weighted log-linear pool (product of experts),

    p(c) ∝ exp(w_voice · log p_voice(c) + w_face · log p_face(c)),

with each probability clipped at PROB_FLOOR before the log, so one channel's exact zero (an int8
model emits them) cannot veto a label alone. A weight above 1 sharpens its channel, below 1
flattens it, 0 ignores it. The weights are fitted by `fit_weights` on held-out pairs
(training/evaluate_fusion.py); DEFAULT_WEIGHTS is a placeholder until fitted ones ship.
One channel present: its mapped distribution, unchanged. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .labels import LABELS

FUSED_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label != "calm")

VOICE_TO_FUSED: dict[str, str] = {
    "neutral": "neutral",
    "calm": "neutral",
    "happy": "happy",
    "sad": "sad",
    "angry": "angry",
    "fearful": "fearful",
    "disgust": "disgust",
    "surprised": "surprised",
}

PROB_FLOOR = 1e-6
MAX_WEIGHT = 20.0  # fit_weights' upper bound: far above any useful sharpening


@dataclass(frozen=True)
class FusionWeights:
    """Exponents of the log-linear pool, one per channel."""

    voice: float
    face: float


DEFAULT_WEIGHTS = FusionWeights(1.0, 1.0)


def to_fused(probs: dict[str, float]) -> np.ndarray:
    """A channel's distribution by label name (voice: 8 labels, face: 7) as a vector over
    FUSED_LABELS, each label's probability added to the fused label VOICE_TO_FUSED maps it to."""
    out = np.zeros(len(FUSED_LABELS), dtype=np.float64)
    for label, p in probs.items():
        try:
            out[FUSED_LABELS.index(VOICE_TO_FUSED[label])] += float(p)
        except KeyError:
            raise ValueError(f"unknown emotion label {label!r}") from None
    return out


def _log_pool(log_voice: np.ndarray, log_face: np.ndarray, weights: FusionWeights) -> np.ndarray:
    """Log of the normalised pool, row-wise over the last axis."""
    z = weights.voice * log_voice + weights.face * log_face
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _log_clipped(p: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(p, dtype=np.float64), PROB_FLOOR, None))


def fuse(
    voice: dict[str, float] | None, face: dict[str, float] | None, weights: FusionWeights
) -> tuple[dict[str, float] | None, tuple[str, ...]]:
    """The fused distribution over FUSED_LABELS (None when neither channel is present) and the
    channels it used: ("voice", "face"), ("voice",), ("face",) or ()."""
    if voice is None and face is None:
        return None, ()
    if face is None:
        return dict(zip(FUSED_LABELS, to_fused(voice).tolist())), ("voice",)
    if voice is None:
        return dict(zip(FUSED_LABELS, to_fused(face).tolist())), ("face",)
    return dict(zip(FUSED_LABELS, pool(to_fused(voice), to_fused(face), weights).tolist())), ("voice", "face")


def pool(voice: np.ndarray, face: np.ndarray, weights: FusionWeights) -> np.ndarray:
    """The pool of distributions over FUSED_LABELS along the last axis, (7,) or (n, 7) each: what
    `fuse` returns for two channels, for many items at once (evaluation)."""
    return np.exp(_log_pool(_log_clipped(voice), _log_clipped(face), weights))


def fit_weights(voice: np.ndarray, face: np.ndarray, truth: np.ndarray) -> FusionWeights:
    """The non-negative weights that minimise the mean negative log-likelihood of the pool.

    voice, face: (n, 7) distributions over FUSED_LABELS of the same n items; truth: (n,) indices
    into FUSED_LABELS. The loss is convex in the weights (a log-sum-exp of linear functions minus
    a linear one), so L-BFGS-B from (1, 1) finds the global minimum within the bounds.
    """
    from scipy.optimize import minimize  # only fitting needs scipy

    log_v, log_f = _log_clipped(voice), _log_clipped(face)
    truth = np.asarray(truth, dtype=np.int64)
    if not (log_v.shape == log_f.shape == (truth.size, len(FUSED_LABELS))):
        raise ValueError(f"expected (n, {len(FUSED_LABELS)}) matrices and (n,) truth, got "
                         f"{log_v.shape}, {log_f.shape}, {truth.shape}")
    rows = np.arange(truth.size)

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        log_p = _log_pool(log_v, log_f, FusionWeights(*w))
        p = np.exp(log_p)
        # d(-log p_truth)/dw_channel = E_p[log p_channel] - log p_channel(truth)
        grad = [np.mean((p * lc).sum(axis=1) - lc[rows, truth]) for lc in (log_v, log_f)]
        return float(-log_p[rows, truth].mean()), np.array(grad)

    result = minimize(loss_and_grad, x0=np.ones(2), jac=True, method="L-BFGS-B",
                      bounds=[(0.0, MAX_WEIGHT)] * 2)
    return FusionWeights(float(result.x[0]), float(result.x[1]))
