"""How far a model's top probability can be trusted: ECE, reliability bins and the "uncertain" threshold.

Shared by training/calibrate_confidence.py (speech, face) and training/evaluate_fusion.py (the
fused reading), so every reading's threshold is chosen by the same rule, on data the model never
saw: the lowest threshold t such that

    1. the readings whose top probability is at least t are right at least TARGET_PRECISION of
       the time (what is answered is right 3 times in 4), and
    2. a reading at t is more likely right than wrong: the isotonic (monotone) fit of being right
       against the top probability is at least LOCAL_PRECISION there.

A reading under t is answered "uncertain". The second part matters where the first cannot bind:
a model right 78 % of the time overall reaches 75 % without any threshold, yet its flattest
readings may be right one time in four. No threshold (None) when every reading passes both.
"""

from __future__ import annotations

import numpy as np

N_BINS = 15  # equal-width bins of the top-label confidence
TARGET_PRECISION = 0.75  # "right at least 3 times in 4" for what is answered
LOCAL_PRECISION = 0.5  # "more likely right than wrong" at the threshold itself
MIN_ANSWERED = 20  # a threshold that answers fewer readings than this is noise, not evidence


def top(probs: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's top probability and whether its top label is the truth."""
    probs = np.asarray(probs, dtype=np.float64)
    return probs.max(axis=1), probs.argmax(axis=1) == np.asarray(truth)


def reliability(probs: np.ndarray, truth: np.ndarray, bins: int = N_BINS) -> dict[str, list]:
    """Per equal-width bin of the top probability ((lo, hi], the first also holds 0): its count,
    mean top probability and accuracy (None for an empty bin)."""
    conf, correct = top(probs, truth)
    index = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    rows = {"count": [], "confidence": [], "accuracy": []}
    for b in range(bins):
        sel = index == b
        rows["count"].append(int(sel.sum()))
        rows["confidence"].append(float(conf[sel].mean()) if sel.any() else None)
        rows["accuracy"].append(float(correct[sel].mean()) if sel.any() else None)
    return rows


def ece(probs: np.ndarray, truth: np.ndarray, bins: int = N_BINS) -> float:
    """Expected calibration error: the count-weighted mean |accuracy - confidence| over the bins."""
    r = reliability(probs, truth, bins)
    n = sum(r["count"])
    return float(sum(c * abs(a - p) for c, p, a in zip(r["count"], r["confidence"], r["accuracy"]) if c) / n)


def lowest_threshold(conf: np.ndarray, correct: np.ndarray, target: float = TARGET_PRECISION,
                     local: float = LOCAL_PRECISION, min_answered: int = MIN_ANSWERED) -> float | None:
    """The rule above: the larger of its two parts' thresholds; None when no reading fails either,
    1.0 (always uncertain) when no threshold that answers at least `min_answered` readings passes."""
    from sklearn.isotonic import IsotonicRegression  # training only

    order = np.argsort(-conf, kind="stable")
    conf, correct = conf[order], correct[order]
    precision = np.cumsum(correct) / np.arange(1, conf.size + 1)  # of the k most confident
    at = IsotonicRegression(increasing=True).fit(conf, correct).predict(conf)  # P(right | conf)
    # A threshold answers every reading tied with it: only the last of a run of equal ones counts.
    ok = np.append(conf[1:] != conf[:-1], True) & (np.arange(1, conf.size + 1) >= min_answered)
    last = []  # per part, the last reading (most answered) that a threshold there may answer down to
    for passes in (precision >= target, at >= local):
        if passes[-1]:
            continue  # answering everything passes this part
        allowed = np.flatnonzero(passes & ok)
        if not allowed.size:
            return 1.0
        last.append(allowed.max())
    return float(conf[min(last)]) if last else None


def rule(target: float) -> str:
    """The threshold rule in words, for a report."""
    return (f"training/confidence.py: the lowest threshold whose answered readings reach {target:.0%} "
            f"precision and at which being right is at least {LOCAL_PRECISION:.0%} likely (isotonic fit)")


def answered(conf: np.ndarray, correct: np.ndarray, threshold: float | None) -> dict:
    """What a threshold buys (the precision of the readings it answers) and costs (their share)."""
    keep = np.ones(conf.size, bool) if threshold is None else conf >= threshold
    return {
        "threshold": threshold,
        "precision": float(correct[keep].mean()) if keep.any() else None,
        "coverage": float(keep.mean()),
        "accuracy_of_all": float(correct.mean()),
        "n": int(conf.size),
    }
