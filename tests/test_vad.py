"""Voice activity: a window without speech is said to be so and never read as an emotion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training import no_speech

from emotion_core import Analyzer
from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.vad import VoiceActivity, holds_speech, speech_seconds


@pytest.fixture(scope="module")
def vad() -> VoiceActivity:
    return VoiceActivity()


@pytest.fixture(scope="module")
def analyzer(model_set) -> Analyzer:
    return Analyzer(model_set)


@pytest.mark.parametrize("name", sorted(no_speech.signals()))
def test_recordings_without_speech_abstain(analyzer, name):
    result = analyzer.analyze_audio((SAMPLE_RATE, no_speech.signals()[name]))
    assert result.abstain == "no speech"
    assert result.probs is None and result.label is None
    assert all(not w.speech and w.probs is None for w in result.windows)
    assert result.to_dict()["abstain"] == "no speech"


def test_the_cli_answers_no_speech_for_every_one(tmp_path):
    files = no_speech.write(tmp_path)
    run = subprocess.run([sys.executable, "-m", "emotion_core", "predict", "--json", *map(str, files.values())],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == len(files)
    for line in lines:
        assert line["audio"]["abstain"] == "no speech" and line["audio"]["label"] is None, line["path"]


@pytest.mark.parametrize("gain", [1.0, 0.1, 0.03, 0.01])
def test_real_speech_holds_speech_even_quiet(vad, clip, gain):
    """Down to 40 dB below the studio level (where less of it is found, but still enough)."""
    probs = vad.chunk_probs(gain * clip)
    seconds = speech_seconds(probs, 0.0, clip.size / SAMPLE_RATE)
    assert holds_speech(probs, 0.0, clip.size / SAMPLE_RATE)
    assert seconds < clip.size / SAMPLE_RATE and (gain < 0.03 or seconds > 0.5)


def test_real_speech_at_normal_levels_never_abstains(analyzer, clip_path):
    """Every RAVDESS sentence of two actors (one male, one female), all eight emotions."""
    paths = sorted(clip_path.parents[1].glob("Actor_0[12]/*.flac"))
    assert len(paths) > 100
    silent = [p.name for p in paths if analyzer.analyze_audio(p).abstain == "no speech"]
    assert silent == []


def test_silence_between_sentences_is_left_out_of_the_distribution(analyzer, clip):
    audio = np.concatenate([clip, np.zeros(6 * SAMPLE_RATE, np.float32), clip])
    result = analyzer.analyze_audio((SAMPLE_RATE, audio))
    speech = [w.speech for w in result.windows]
    assert speech[0] and speech[-1] and not all(speech)
    voiced = [w.probs for w in result.windows if w.speech]
    mean = {k: np.mean([p[k] for p in voiced]) for k in voiced[0]}
    assert result.probs == pytest.approx(mean)


def test_deciding_windows_as_the_chunks_come_is_the_full_pass_s_answer_with_fewer_chunks(vad, clip):
    """A 3 s clip of speech stops being scored soon after the speech starts; over a long recording
    with silence in it, every window is decided as holds_speech decides it from every chunk."""
    from emotion_core.voice.features import FeatureSpec, window_bounds
    from emotion_core.voice.vad import CHUNK_SAMPLES, windows_with_speech

    quiet = np.zeros(6 * SAMPLE_RATE, np.float32)
    for audio in (clip[: 3 * SAMPLE_RATE], np.concatenate([clip, quiet, clip, quiet]), quiet):
        probs = vad.chunk_probs(audio)
        bounds = [(s / SAMPLE_RATE, e / SAMPLE_RATE) for s, e in window_bounds(audio.size, FeatureSpec())]
        full = [holds_speech(probs, s, e) for s, e in bounds]
        asked: list[int] = []
        decided, scored = windows_with_speech(lambda i: asked.append(i) or float(probs[i]), probs.size, bounds)
        assert decided == full and vad.speech_windows(audio, bounds) == full
        assert asked == list(range(scored))  # in order from the start, as Silero's state needs
        if audio is quiet:
            assert not any(full)
    short = clip[: 3 * SAMPLE_RATE]
    probs = vad.chunk_probs(short)
    first_speech = int(np.argmax(probs >= 0.3))
    _, scored = windows_with_speech(lambda i: float(probs[i]), short.size // CHUNK_SAMPLES, [(0.0, 3.0)])
    assert scored <= first_speech + 4 < short.size // CHUNK_SAMPLES
