"""Voice activity: a window without speech is said to be so and never read as an emotion."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_core import Analyzer
from emotion_core.audio import SAMPLE_RATE
from emotion_core.vad import VoiceActivity, holds_speech, speech_seconds


@pytest.fixture(scope="module")
def vad() -> VoiceActivity:
    return VoiceActivity()


@pytest.fixture(scope="module")
def analyzer(model_set) -> Analyzer:
    return Analyzer(model_set)


def _noises(seconds: float = 3.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n = int(seconds * SAMPLE_RATE)
    white = rng.normal(0, 1, n).astype(np.float32)
    spectrum = np.fft.rfft(white) / np.sqrt(np.arange(1, n // 2 + 2))  # 1/f power: pink
    pink = np.fft.irfft(spectrum, n).astype(np.float32)
    return {
        "zeros": np.zeros(n, np.float32),
        "white_loud": 0.3 * white,
        "white_quiet": 0.003 * white,
        "pink": 0.3 * pink / np.abs(pink).max(),
        "hum_50hz": (0.2 * np.sin(2 * np.pi * 50 * np.arange(n) / SAMPLE_RATE)).astype(np.float32),
    }


@pytest.mark.parametrize("name", sorted(_noises()))
def test_recordings_without_speech_abstain(analyzer, name):
    result = analyzer.analyze_audio((SAMPLE_RATE, _noises()[name]))
    assert result.abstain == "no speech"
    assert result.probs is None and result.label is None
    assert all(not w.speech and w.probs is None for w in result.windows)
    assert result.to_dict()["abstain"] == "no speech"


@pytest.mark.parametrize("gain", [1.0, 0.1, 0.03])
def test_real_speech_holds_speech_even_quiet(vad, clip, gain):
    probs = vad.chunk_probs(gain * clip)
    assert holds_speech(probs, 0.0, clip.size / SAMPLE_RATE)
    assert 0.5 < speech_seconds(probs, 0.0, clip.size / SAMPLE_RATE) < clip.size / SAMPLE_RATE


def test_silence_between_sentences_is_left_out_of_the_distribution(analyzer, clip):
    audio = np.concatenate([clip, np.zeros(6 * SAMPLE_RATE, np.float32), clip])
    result = analyzer.analyze_audio((SAMPLE_RATE, audio))
    speech = [w.speech for w in result.windows]
    assert speech[0] and speech[-1] and not all(speech)
    voiced = [w.probs for w in result.windows if w.speech]
    mean = {k: np.mean([p[k] for p in voiced]) for k in voiced[0]}
    assert result.probs == pytest.approx(mean)
