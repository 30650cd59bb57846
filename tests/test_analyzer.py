"""Analyzer: arrays as a microphone delivers them, and how windows add up to a recording's result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emotion_core import Analyzer, AudioError
from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.features import split_windows
from emotion_core.labels import LABELS
from emotion_core.model_set import ModelSet


@pytest.fixture(scope="module")
def analyzer(model_set: ModelSet) -> Analyzer:
    return Analyzer(model_set)


def test_an_int16_stereo_array_reads_like_the_same_file(analyzer: Analyzer, media: dict[str, Path]):
    samples, rate = sf.read(media["wav_s16_44k"], dtype="int16")
    from_array = analyzer.analyze_audio((rate, samples))
    from_file = analyzer.analyze_audio(media["wav_s16_44k"])
    assert from_array.probs == pytest.approx(from_file.probs, abs=1 / 256)


def test_a_long_recording_averages_one_distribution_per_window(analyzer: Analyzer, clip: np.ndarray):
    audio = np.tile(clip, 4)
    result = analyzer.analyze_audio((SAMPLE_RATE, audio))
    assert len(result.windows) == len(split_windows(audio, analyzer.speech.spec)) == 6
    assert result.duration == pytest.approx(audio.size / SAMPLE_RATE)
    mean = {label: np.mean([w.probs[label] for w in result.windows]) for label in LABELS}
    assert result.probs == pytest.approx(mean, abs=1e-3)
    assert result.label == max(result.probs, key=result.probs.get)


def test_a_too_short_array_is_rejected(analyzer: Analyzer):
    with pytest.raises(AudioError, match="too short"):
        analyzer.analyze_audio((SAMPLE_RATE, np.zeros(SAMPLE_RATE // 5, dtype=np.float32)))


def test_a_10_db_quieter_recording_gets_the_same_reading(analyzer: Analyzer, clip_path: Path):
    paths = sorted(clip_path.parent.glob("03-01-0?-01-01-01-01.flac"))  # one sentence per emotion
    assert len(paths) >= 4
    for path in paths:
        samples = sf.read(path, dtype="float32")[0]
        loud = analyzer.analyze_audio((SAMPLE_RATE, samples)).probs
        quiet = analyzer.analyze_audio((SAMPLE_RATE, 0.3 * samples)).probs
        assert sum(abs(loud[label] - quiet[label]) for label in LABELS) < 0.1, path.name


def test_progress_moves_window_by_window_through_a_recording(analyzer: Analyzer, clip: np.ndarray):
    """Decoding first, then each window's share: a bar that moves in steps, not 0 % then done."""
    audio = np.tile(clip, 3)  # several windows
    seen: list[tuple[float, str]] = []
    result = analyzer.analyze_audio((SAMPLE_RATE, audio), progress=lambda f, stage: seen.append((f, stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(set(fractions)) == len(result.windows) + 2  # decoding, each window, done
    assert {stage for _, stage in seen} == {"Decoding the recording", "Reading the voice"}
