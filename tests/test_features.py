"""Analysis windows, and the shipped front end's features (speech_frontend.tflite): shapes, what
each statistic measures, level invariance, and its MFCCs against librosa's."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.features import FeatureSpec, split_windows, stitch_frames
from emotion_core.voice.speech import SpeechModel

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


@pytest.fixture(scope="module")
def speech(model_set) -> SpeechModel:
    return SpeechModel(model_set)


@pytest.fixture(scope="module")
def stat(speech: SpeechModel, model_set):
    """stat(samples, name): one named statistic of a window, as the model is fed it (unnormalised)."""
    names = model_set.speech.input.stats_names
    return lambda samples, name: float(speech.features(samples)["stats"][names.index(name)])


def _tone(f0: float, harmonics: int = 8) -> np.ndarray:
    t = np.arange(SPEC.window_samples) / SAMPLE_RATE
    return (0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, harmonics + 1))).astype(np.float32)


def test_front_end_outputs_follow_the_spec(speech: SpeechModel, model_set, clip: np.ndarray):
    spec = speech.spec
    f = speech.features(split_windows(clip, spec)[0].samples)
    assert f["mfcc"].shape == (spec.n_mfcc, spec.n_frames)
    assert f["mfcc_image"].shape == (spec.n_mfcc, spec.n_frames, 3)
    names = model_set.speech.input.stats_names
    assert f["stats"].shape == (len(names),) == (len(model_set.speech.input.stats_mean),)
    assert model_set.speech.input.tensors == {"mfcc_image": (spec.n_mfcc, spec.n_frames, 3), "stats": (len(names),)}


def test_mfcc_image_is_normalised_per_coefficient(speech: SpeechModel, clip: np.ndarray):
    image = speech.features(split_windows(clip, SPEC)[0].samples)["mfcc_image"]
    np.testing.assert_allclose(image.mean(axis=1), 0.0, atol=1e-3)
    np.testing.assert_allclose(image.std(axis=1), 1.0, atol=1e-2)


@pytest.mark.parametrize("output", ["mfcc_image", "stats"])
def test_features_are_gain_invariant(speech: SpeechModel, clip: np.ndarray, output: str):
    samples = split_windows(clip, SPEC)[0].samples
    np.testing.assert_allclose(speech.features(0.3 * samples)[output], speech.features(samples)[output],
                               rtol=1e-2, atol=2e-2)


@pytest.mark.parametrize("f0", [90.0, 150.0, 220.0, 330.0])
def test_pitch_is_the_tone_s_fundamental(stat, f0: float):
    assert 2.0 ** stat(_tone(f0), "pitch_log2") == pytest.approx(f0, rel=0.04)
    assert stat(_tone(f0), "voiced_fraction") > 0.9


def test_noise_is_unvoiced_and_flat_and_a_tone_is_neither(stat):
    noise = _noise(SPEC.window_seconds)
    assert stat(noise, "voiced_fraction") < 0.2 < 0.9 < stat(_tone(150.0), "voiced_fraction")
    assert stat(_tone(150.0), "flatness_mean") < 0.1 * stat(noise, "flatness_mean")


def _bursts(per_second: float) -> np.ndarray:
    """Noise whose level jumps 20 dB per_second times a second: syllables at that rate."""
    t = np.arange(SPEC.window_samples) / SAMPLE_RATE
    envelope = np.where((t * per_second) % 1.0 < 0.5, 1.0, 0.1)
    return (envelope * _noise(SPEC.window_seconds)).astype(np.float32)


def test_syllable_rate_follows_the_bursts(stat):
    assert stat(_bursts(6.0), "syllable_rate") > 2 * stat(_bursts(2.0), "syllable_rate")


def test_loudness_statistics_follow_the_utterance(stat):
    rising = (np.linspace(0.05, 1.0, SPEC.window_samples) * _noise(SPEC.window_seconds)).astype(np.float32)
    falling = rising[::-1].copy()
    assert stat(rising, "loudness_slope") > 10 > -10 > stat(falling, "loudness_slope")  # dB over the utterance
    assert stat(rising, "loudness_peak_position") > 0.9 and stat(falling, "loudness_peak_position") < 0.1


@pytest.mark.slow
def test_mfcc_matches_librosa_on_the_same_mel_scale(speech: SpeechModel, clip: np.ndarray):
    """The graph's MFCCs against librosa's from the same dB-from-peak HTK mel spectrogram.

    The mel bands are TensorFlow's (linear_to_mel_weight_matrix), which weigh FFT bins a little
    differently from librosa's triangles, so the two agree closely rather than to the bit.
    """
    librosa = pytest.importorskip("librosa")
    samples = split_windows(clip, SPEC)[0].samples
    power = np.abs(librosa.stft(samples, n_fft=SPEC.n_fft, hop_length=SPEC.hop_length,
                                win_length=SPEC.win_length, pad_mode="constant")) ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=SAMPLE_RATE, n_mels=SPEC.n_mels, fmin=SPEC.fmin,
                                         fmax=SPEC.fmax, htk=True, norm=None)
    mel_db = librosa.power_to_db(mel, ref=mel.max(), top_db=SPEC.top_db)
    theirs = librosa.feature.mfcc(S=mel_db, n_mfcc=SPEC.n_mfcc)
    ours = speech.features(samples)["mfcc"]
    assert ours.shape == theirs.shape
    for c in range(1, 13):  # the envelope's shape, coefficient by coefficient over time
        assert np.corrcoef(ours[c], theirs[c])[0, 1] > 0.9, c
    assert np.corrcoef(ours[0], theirs[0])[0, 1] > 0.98


def test_stitched_frames_cover_the_recording_once():
    audio = _noise(8.0)
    windows = split_windows(audio, SPEC)
    frames = [np.full((2, SPEC.n_frames), i, dtype=np.float32) for i in range(len(windows))]
    joined = stitch_frames(windows, frames, SPEC)
    per_second = SAMPLE_RATE / SPEC.hop_length
    assert joined.shape[1] == pytest.approx(8.0 * per_second + 1, abs=1)
    # Each window's frames run until the next window starts.
    assert (joined[0, : int(1.5 * per_second)] == 0).all() and joined[0, int(1.5 * per_second)] == 1
    assert joined[0, -1] == len(windows) - 1


def test_a_short_recording_s_mfcc_stops_where_its_audio_does(analyzer, clip_path):
    result = analyzer.analyze_audio(clip_path)
    assert result.mfcc.shape[1] == pytest.approx(result.duration * SAMPLE_RATE / SPEC.hop_length + 1, abs=1)


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
def test_features_are_finite_on_degenerate_audio(speech: SpeechModel, samples: np.ndarray):
    for value in speech.features(samples).values():
        assert np.isfinite(value).all()
