"""The steady-noise test (emotion_core/voice/noise.py) and the shipped set's routing of noisy windows."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_core.calibration import apply_temperature
from emotion_core.voice.features import FeatureSpec, split_windows
from emotion_core.voice.noise import MIN_FRAMES, QUIET_QUANTILE, floor_depth_db, frame_levels
from emotion_core.voice.speech import SpeechModel

SPEC = FeatureSpec()


def _mfcc(levels: np.ndarray) -> np.ndarray:
    """MFCCs whose frames have these mean log-mel levels (only the first coefficient carries them)."""
    out = np.zeros((SPEC.n_mfcc, levels.size), np.float32)
    out[0] = levels * np.sqrt(SPEC.n_mels)
    return out


def test_levels_are_read_off_the_first_coefficient():
    levels = np.linspace(-60.0, -5.0, 12)
    np.testing.assert_allclose(frame_levels(_mfcc(levels), SPEC.n_mels), levels, rtol=1e-6)


def test_depth_is_from_the_loudest_frame_to_the_pauses_and_padding_is_no_pause():
    levels = np.r_[np.full(100, -10.0), np.full(40, -45.0)]
    padded = np.r_[levels, np.full(60, -SPEC.top_db)]  # zero padding sits at the dB floor
    assert floor_depth_db(_mfcc(levels), SPEC.n_mels, SPEC.top_db) == pytest.approx(35.0)
    assert floor_depth_db(_mfcc(padded), SPEC.n_mels, SPEC.top_db) == pytest.approx(35.0)
    # Pauses shorter than the quiet quantile do not count as a floor.
    short = np.r_[np.full(200, -10.0), np.full(int(QUIET_QUANTILE * 200) - 2, -45.0)]
    assert floor_depth_db(_mfcc(short), SPEC.n_mels, SPEC.top_db) == pytest.approx(0.0)


def test_too_little_sound_reads_as_clean():
    levels = np.r_[np.full(MIN_FRAMES - 1, -10.0), np.full(100, -SPEC.top_db)]
    assert floor_depth_db(_mfcc(levels), SPEC.n_mels, SPEC.top_db) == float("inf")


@pytest.fixture(scope="module")
def speech(model_set) -> SpeechModel:
    return SpeechModel(model_set)


def _with_white_noise(clip: np.ndarray, snr_db: float) -> np.ndarray:
    speech = np.mean(clip[np.abs(clip) > 0.1 * np.abs(clip).max()] ** 2)
    noise = np.random.default_rng(0).standard_normal(clip.size) * np.sqrt(speech / 10 ** (snr_db / 10))
    return (clip + noise).astype(np.float32)


def test_the_shipped_set_routes_steady_noise_and_only_it(speech: SpeechModel, clip: np.ndarray):
    assert speech.noisy_floor_db is not None, "the shipped set has no model for noisy windows"
    clean = speech.features(split_windows(clip, SPEC)[0].samples)
    noisy_window = split_windows(_with_white_noise(clip, 20.0), SPEC)[0].samples
    noisy = speech.features(noisy_window)
    assert not speech.is_noisy(clean) and speech.is_noisy(noisy)
    # What serving reads is the noisy model's output for the noisy window, the clean one's otherwise.
    np.testing.assert_allclose(speech.read(noisy_window)["probs"], apply_temperature(
        speech.run(speech.inputs_from(noisy), noisy=True)["probs"], speech.noisy_temperature), rtol=1e-6)
    np.testing.assert_array_equal(speech.read(split_windows(clip, SPEC)[0].samples)["probs"],
                                  speech.run(speech.inputs_from(clean))["probs"])
    assert not np.array_equal(speech.run(speech.inputs_from(noisy), noisy=True)["probs"],
                              speech.run(speech.inputs_from(noisy))["probs"])


def test_the_router_threshold_keeps_clean_speech_and_sends_the_noise_over():
    from training.fit_noise_router import choose, routed_accuracy

    truth = np.zeros(100, dtype=int)
    right, wrong = np.zeros(100, dtype=int), np.ones(100, dtype=int)
    rows = {"clean": {"depth": np.full(100, 40.0), "clean": right, "noisy": wrong},
            "white_20dB": {"depth": np.full(100, 18.0), "clean": wrong, "noisy": right}}
    threshold, table = choose(rows, truth)
    assert threshold == 18.5  # the shallowest threshold that takes every noisy window and no clean one
    assert routed_accuracy(rows, truth, threshold) == {"clean": 1.0, "white_20dB": 1.0}
    deeper = [r for r in table if r["threshold_db"] > 40.0]
    assert deeper and all(r["clean"] == 0.0 for r in deeper)  # these would take clean speech too
