"""Analysis windows and model features: shapes, coverage, and what normalisation buys."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emotion_core.audio import SAMPLE_RATE
from emotion_core.features import (
    CONTRAST_BANDS,
    PROSODY_SIZE,
    FeatureSpec,
    mfcc_image,
    prosody,
    spectral_size,
    split_windows,
    stats_size,
    utterance_stats,
    window_features,
)

SPEC = FeatureSpec()


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE))).astype(np.float32)


def test_short_recording_is_one_padded_window_ending_at_its_duration(clip: np.ndarray):
    (window,) = split_windows(clip, SPEC)
    assert window.start == 0.0
    assert window.end == pytest.approx(clip.size / SAMPLE_RATE)
    assert window.samples.shape == (SPEC.window_samples,)
    np.testing.assert_array_equal(window.samples[: clip.size], clip)
    assert not window.samples[clip.size :].any()


def test_long_recording_is_cut_into_overlapping_windows_ending_at_its_end():
    audio = _noise(8.0)
    windows = split_windows(audio, SPEC)
    starts = [w.start for w in windows]
    assert starts == pytest.approx([0.0, 1.5, 3.0, 4.5, 5.0])
    assert windows[-1].end == pytest.approx(8.0)
    for w in windows:
        assert w.end - w.start == pytest.approx(SPEC.window_seconds)
        begin = round(w.start * SAMPLE_RATE)
        np.testing.assert_array_equal(w.samples, audio[begin : begin + SPEC.window_samples])


@pytest.mark.parametrize("seconds", [0.25, 2.9, 3.0, 3.01, 4.5, 6.0, 8.0, 20.3])
def test_windows_are_equal_length_step_by_hop_and_cover_the_recording(seconds: float):
    audio = _noise(seconds)
    windows = split_windows(audio, SPEC)
    assert all(w.samples.shape == (SPEC.window_samples,) for w in windows)
    assert windows[0].start == 0.0
    assert windows[-1].end == pytest.approx(audio.size / SAMPLE_RATE)
    steps = np.diff([w.start for w in windows])
    # Every step is one hop, except a shorter last one that makes the final window end at the end.
    np.testing.assert_allclose(steps[:-1], SPEC.hop_seconds)
    assert all(0 < s <= SPEC.hop_seconds + 1e-9 for s in steps)
    # As few windows as cover it: none is added when the hops already end exactly at the end.
    extra = max(0, audio.size - SPEC.window_samples)
    assert len(windows) == 1 + math.ceil(extra / SPEC.hop_samples)


def _image(samples: np.ndarray, spec: FeatureSpec = SPEC) -> np.ndarray:
    return mfcc_image(window_features(samples, spec).coeffs)


def _stats(samples: np.ndarray, spec: FeatureSpec = SPEC) -> np.ndarray:
    f = window_features(samples, spec)
    return utterance_stats(f.coeffs, f.prosody, f.spectral)


def _spectral(samples: np.ndarray) -> np.ndarray:
    return window_features(samples, SPEC).spectral


@pytest.mark.parametrize(
    "spec",
    [SPEC, FeatureSpec(window_seconds=2.0, hop_length=160, n_mfcc=20)],
    ids=["default", "custom"],
)
def test_feature_shapes_follow_the_spec(spec: FeatureSpec):
    samples = split_windows(_noise(spec.window_seconds), spec)[0].samples
    assert _image(samples, spec).shape == (spec.n_mfcc, spec.n_frames, 3)
    features = window_features(samples, spec)
    assert features.coeffs.shape == (spec.n_mfcc, spec.n_frames)
    assert features.prosody.shape == (PROSODY_SIZE,)
    assert features.spectral.shape == (spectral_size(spec),)
    stats = _stats(samples, spec)
    assert stats.shape == (stats_size(spec),) and stats.dtype == np.float32


def test_utterance_stats_of_a_batch_match_one_by_one():
    windows = [split_windows(_noise(SPEC.window_seconds, seed), SPEC)[0].samples for seed in range(3)]
    features = [window_features(w, SPEC) for w in windows]
    batch = utterance_stats(
        np.stack([f.coeffs for f in features]),
        np.stack([f.prosody for f in features]),
        np.stack([f.spectral for f in features]),
    )
    assert batch.shape == (3, stats_size(SPEC))
    np.testing.assert_allclose(batch, np.stack([_stats(w) for w in windows]), rtol=1e-5, atol=1e-5)


def test_mfcc_image_is_normalised_per_coefficient(clip: np.ndarray):
    image = _image(split_windows(clip, SPEC)[0].samples)
    np.testing.assert_allclose(image.mean(axis=1), 0.0, atol=1e-4)
    np.testing.assert_allclose(image.std(axis=1), 1.0, atol=1e-3)


@pytest.mark.parametrize("features", [_image, _stats], ids=["mfcc_image", "utterance_stats"])
def test_features_are_gain_invariant(clip: np.ndarray, features):
    samples = split_windows(clip, SPEC)[0].samples
    np.testing.assert_allclose(features(0.3 * samples), features(samples), rtol=1e-2, atol=1e-2)


def _bursts(per_second: float) -> np.ndarray:
    """Noise whose level jumps 20 dB per_second times a second: syllables at that rate."""
    t = np.arange(SPEC.window_samples) / SAMPLE_RATE
    envelope = np.where((t * per_second) % 1.0 < 0.5, 1.0, 0.1)
    return (envelope * _noise(SPEC.window_seconds)).astype(np.float32)


def test_spectral_shape_counts_onsets_per_second_and_tells_a_tone_from_noise():
    flatness = SPEC.n_mels + 2 * (CONTRAST_BANDS + 1)  # mean spectral flatness, after band spreads and contrast
    rate = flatness + 4  # onsets per active second
    assert _spectral(_bursts(6.0))[rate] > 2 * _spectral(_bursts(2.0))[rate]
    t = np.arange(SPEC.window_samples) / SAMPLE_RATE
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20)).astype(np.float32)
    assert _spectral(voiced)[flatness] < 0.1 * _spectral(_noise(SPEC.window_seconds))[flatness]


def test_spectral_shape_follows_the_loudness_over_the_utterance():
    t = np.arange(SPEC.window_samples) / SAMPLE_RATE
    rising = (np.linspace(0.05, 1.0, t.size) * _noise(SPEC.window_seconds)).astype(np.float32)
    slope, peak = SPEC.n_mels + 2 * (CONTRAST_BANDS + 1) + 5, SPEC.n_mels + 2 * (CONTRAST_BANDS + 1) + 6
    shape, reverse = _spectral(rising), _spectral(rising[::-1].copy())
    assert shape[slope] > 10 > -10 > reverse[slope]  # dB over the utterance
    assert shape[peak] > 0.9 and reverse[peak] < 0.1


def test_prosody_is_gain_invariant(clip: np.ndarray):
    samples = split_windows(clip, SPEC)[0].samples
    np.testing.assert_allclose(prosody(0.3 * samples, SPEC), prosody(samples, SPEC), atol=1e-2)


@pytest.mark.parametrize(
    "samples",
    [
        np.zeros(SPEC.window_samples, dtype=np.float32),
        1e-7 * _noise(SPEC.window_seconds),
        np.full(SPEC.window_samples, 0.1, dtype=np.float32),
        np.pad(np.ones(10, dtype=np.float32), (SPEC.window_samples // 2, SPEC.window_samples // 2 - 10)),
    ],
    ids=["silence", "near-silence", "dc", "click"],
)
def test_features_are_finite_on_degenerate_audio(samples: np.ndarray):
    assert np.isfinite(_image(samples)).all()
    assert np.isfinite(_stats(samples)).all()
