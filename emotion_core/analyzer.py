"""The one entry point presenters use: load the model set once, analyse files or arrays."""

from __future__ import annotations

import os
from functools import cached_property

import numpy as np

from .audio import check_duration, load_audio, to_mono_16k
from .model_set import ModelSet, load_model_set
from .results import AudioResult
from .speech import SpeechModel


class Analyzer:
    """Holds the loaded models; build one per process and reuse it for every request."""

    def __init__(self, model_set: ModelSet | None = None):
        self.model_set = model_set or load_model_set()

    @cached_property
    def speech(self) -> SpeechModel:
        return SpeechModel(self.model_set)

    def analyze_audio(self, source: str | os.PathLike | tuple[int, np.ndarray]) -> AudioResult:
        """A file path, or (sample_rate, samples) as a microphone component delivers it."""
        if isinstance(source, tuple):
            rate, samples = source
            audio = check_duration(to_mono_16k(samples, rate))
        else:
            audio = load_audio(source)
        return self.speech.analyze(audio)
