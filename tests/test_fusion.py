"""emotion_core.fusion: the label mapping, missing channels, the pool, and fitted weights."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_core.fusion import (
    DEFAULT_WEIGHTS,
    FUSED_LABELS,
    VOICE_TO_FUSED,
    FusionWeights,
    fit_weights,
    fuse,
    to_fused,
)
from emotion_core.labels import LABELS

VOICE = dict(zip(LABELS, [0.10, 0.25, 0.05, 0.30, 0.10, 0.05, 0.05, 0.10]))
FACE = dict(zip(FUSED_LABELS, [0.05, 0.60, 0.10, 0.05, 0.10, 0.05, 0.05]))


def test_fused_labels_are_the_face_labels_in_labels_order():
    assert FUSED_LABELS == ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised")
    assert DEFAULT_WEIGHTS == FusionWeights(1.0, 1.0)


def test_voice_mapping_folds_calm_into_neutral_and_keeps_the_rest():
    assert set(VOICE_TO_FUSED) == set(LABELS)
    assert VOICE_TO_FUSED["calm"] == "neutral"
    assert all(VOICE_TO_FUSED[label] == label for label in FUSED_LABELS)


def test_to_fused_sums_voice_calm_and_neutral_and_keeps_the_total():
    v = to_fused(VOICE)
    assert v[FUSED_LABELS.index("neutral")] == pytest.approx(0.35)
    assert v[FUSED_LABELS.index("sad")] == pytest.approx(0.30)
    assert v.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(to_fused(FACE), list(FACE.values()))


def test_to_fused_rejects_an_unknown_label():
    with pytest.raises(ValueError, match="contempt"):
        to_fused({"happy": 0.5, "contempt": 0.5})


def test_missing_channels():
    assert fuse(None, None, DEFAULT_WEIGHTS) == (None, ())
    voice_only, used = fuse(VOICE, None, FusionWeights(3.0, 0.5))
    assert used == ("voice",)
    np.testing.assert_allclose([voice_only[k] for k in FUSED_LABELS], to_fused(VOICE))
    face_only, used = fuse(None, FACE, FusionWeights(3.0, 0.5))
    assert used == ("face",) and face_only == FACE


def test_both_channels_give_a_distribution_over_the_fused_labels():
    fused, used = fuse(VOICE, FACE, DEFAULT_WEIGHTS)
    assert used == ("voice", "face")
    assert tuple(fused) == FUSED_LABELS
    assert sum(fused.values()) == pytest.approx(1.0)
    # The product of experts, renormalised, by hand.
    product = to_fused(VOICE) * to_fused(FACE)
    np.testing.assert_allclose([fused[k] for k in FUSED_LABELS], product / product.sum())


def test_a_flat_face_leaves_the_voice_unchanged_and_a_zero_weight_ignores_a_channel():
    flat = {label: 1 / 7 for label in FUSED_LABELS}
    fused, _ = fuse(VOICE, flat, DEFAULT_WEIGHTS)
    np.testing.assert_allclose([fused[k] for k in FUSED_LABELS], to_fused(VOICE))
    fused, _ = fuse(VOICE, FACE, FusionWeights(0.0, 1.0))
    np.testing.assert_allclose([fused[k] for k in FUSED_LABELS], list(FACE.values()))


def test_a_confident_channel_outweighs_an_unsure_one():
    unsure_voice = dict(zip(LABELS, [0.12, 0.12, 0.12, 0.16, 0.12, 0.12, 0.12, 0.12]))  # leans sad
    confident_face = dict(zip(FUSED_LABELS, [0.02, 0.88, 0.02, 0.02, 0.02, 0.02, 0.02]))
    fused, _ = fuse(unsure_voice, confident_face, DEFAULT_WEIGHTS)
    assert max(fused, key=fused.get) == "happy"
    assert fused["happy"] > 0.85
    # and the other way round: a confident voice overrides an unsure face
    confident_voice = dict(zip(LABELS, [0.01, 0.01, 0.01, 0.01, 0.93, 0.01, 0.01, 0.01]))  # angry
    unsure_face = {k: (0.2 if k == "happy" else 0.8 / 6) for k in FUSED_LABELS}
    fused, _ = fuse(confident_voice, unsure_face, DEFAULT_WEIGHTS)
    assert max(fused, key=fused.get) == "angry"


def test_a_zero_probability_is_clipped_not_a_veto_by_nan():
    face = {label: (0.0 if label == "sad" else 1 / 6) for label in FUSED_LABELS}
    sad_voice = dict(zip(LABELS, [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]))
    fused, _ = fuse(sad_voice, face, DEFAULT_WEIGHTS)
    assert all(np.isfinite(list(fused.values())))
    assert sum(fused.values()) == pytest.approx(1.0)


def _dirichlet_around(truth: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Noisy distributions whose mass leans on `truth` by `strength` (0: pure noise)."""
    alpha = np.ones((truth.size, len(FUSED_LABELS)))
    alpha[np.arange(truth.size), truth] += strength
    return np.stack([rng.dirichlet(a) for a in alpha])


@pytest.mark.parametrize("noisy", ["voice", "face"])
def test_fit_gives_a_noise_channel_a_weight_near_zero(noisy):
    rng = np.random.default_rng(0)
    truth = rng.integers(0, len(FUSED_LABELS), 3000)
    informative = _dirichlet_around(truth, 4.0, rng)
    noise = _dirichlet_around(rng.integers(0, len(FUSED_LABELS), truth.size), 4.0, rng)
    voice, face = (noise, informative) if noisy == "voice" else (informative, noise)
    w = fit_weights(voice, face, truth)
    assert getattr(w, noisy) < 0.05
    assert getattr(w, "face" if noisy == "voice" else "voice") > 0.5


def test_fit_recovers_the_weights_that_generated_the_labels():
    rng = np.random.default_rng(1)
    n = 20000
    voice = rng.dirichlet(np.full(len(FUSED_LABELS), 0.5), size=n)
    face = rng.dirichlet(np.full(len(FUSED_LABELS), 0.5), size=n)
    logits = 1.5 * np.log(np.clip(voice, 1e-6, None)) + 0.4 * np.log(np.clip(face, 1e-6, None))
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    truth = (rng.random((n, 1)) > p.cumsum(1)).sum(1)
    w = fit_weights(voice, face, truth)
    assert w.voice == pytest.approx(1.5, abs=0.1)
    assert w.face == pytest.approx(0.4, abs=0.1)


def test_fit_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        fit_weights(np.full((3, 7), 1 / 7), np.full((3, 8), 1 / 8), np.zeros(3, dtype=int))
