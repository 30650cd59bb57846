"""The speech pipeline: 16 kHz audio -> windows -> features -> LiteRT model -> calibrated distributions."""

from __future__ import annotations

import numpy as np

from .baseline import Baseline, relative
from .calibration import apply_temperature
from .features import FeatureSpec, mfcc_image, split_windows, utterance_stats, window_features
from .model_set import ModelSet, ModelSetError
from .results import AudioResult, WindowResult, distribution, mean_distribution
from .runtime import TFLiteModel
from .vad import holds_speech


class SpeechModel:
    """The speech CNN with the exact feature settings its manifest says it was trained with, and
    the temperature and "uncertain" threshold it was calibrated with."""

    def __init__(self, model_set: ModelSet):
        entry = model_set.speech
        self.labels: tuple[str, ...] = entry.labels
        self.temperature = entry.temperature
        self.uncertain_below = entry.uncertain_below
        self._stats_mean = np.asarray(entry.input.stats_mean, dtype=np.float32)
        self._stats_std = np.asarray(entry.input.stats_std, dtype=np.float32)
        try:
            self.spec = FeatureSpec(**entry.input.features)
            self._model = TFLiteModel(model_set.path(entry.file))
        except (TypeError, ValueError) as exc:
            raise ModelSetError(f"the speech model from {model_set.source} is not usable: {exc!r}") from exc

    def window_probs(self, samples: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities of one fixed-length window of samples: the members' mean
        ("probs"), temperature-scaled as a whole (which never changes its top label)."""
        return apply_temperature(self.run(self.model_inputs(samples))["probs"], self.temperature)

    def model_inputs(self, samples: np.ndarray) -> dict[str, np.ndarray]:
        """The exact tensors the model is fed for one window (also what evaluation feeds it)."""
        f = window_features(samples, self.spec)
        stats = utterance_stats(f.coeffs, f.prosody, f.spectral)
        return {"mfcc_image": mfcc_image(f.coeffs), "stats": (stats - self._stats_mean) / self._stats_std}

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """All of the model's raw outputs: "probs" (the members' mean, which serving calibrates)
        and "members" (per fold model)."""
        return self._model(**inputs)

    def analyze(self, audio: np.ndarray, speech_chunks: np.ndarray, baseline: Baseline | None = None) -> AudioResult:
        """Every window with speech gets a distribution, and their mean is the recording's.

        `speech_chunks` is the voice-activity detector's chunk probabilities over `audio`; a window
        without speech is not run through the model: its reading would be noise, not emotion. With
        a personal `baseline`, each window's reading is made relative to that person's neutral
        voice (baseline.py).
        """
        windows = []
        shift = baseline.voice if baseline else None
        for w in split_windows(audio, self.spec):
            speech = holds_speech(speech_chunks, w.start, w.end)
            probs = relative(distribution(self.labels, self.window_probs(w.samples)), shift) if speech else None
            windows.append(WindowResult(w.start, w.end, probs, speech))
        overall = mean_distribution([w.probs for w in windows if w.probs is not None])
        return AudioResult(probs=overall, windows=windows, samples=audio, uncertain_below=self.uncertain_below)
