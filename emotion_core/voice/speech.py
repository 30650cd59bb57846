"""The speech pipeline: 16 kHz audio -> windows -> front end -> LiteRT model -> calibrated distributions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..baseline import Baseline, relative
from ..calibration import apply_temperature
from ..model_set import ModelSet, ModelSetError
from ..results import AudioResult, WindowResult, distribution, mean_distribution
from ..runtime import TFLiteModel
from .features import FeatureSpec, split_windows, stitch_frames
from .noise import floor_depth_db
from .vad import VoiceActivity


class SpeechModel:
    """The speech model and its front end (the features graph it was trained with), with the
    temperature and "uncertain" threshold it was calibrated with; and, where the set ships one, the
    model for windows with a steady noise floor (noise.py), which reads those windows instead."""

    def __init__(self, model_set: ModelSet):
        entry = model_set.speech
        self.labels: tuple[str, ...] = entry.labels
        self.temperature = entry.temperature
        self.uncertain_below = entry.uncertain_below
        self._stats_mean = np.asarray(entry.input.stats_mean, dtype=np.float32)
        self._stats_std = np.asarray(entry.input.stats_std, dtype=np.float32)
        try:
            self.spec = FeatureSpec(**entry.input.features)
            self._front = TFLiteModel(model_set.path(entry.frontend))
            self._model = TFLiteModel(model_set.path(entry.file))
            self._noisy = TFLiteModel(model_set.path(entry.noisy.file)) if entry.noisy else None
            self.noisy_floor_db = entry.noisy.floor_within_db if entry.noisy else None
            self.noisy_temperature = entry.noisy.temperature if entry.noisy else 1.0
        except (TypeError, ValueError) as exc:
            raise ModelSetError(f"the speech model from {model_set.source} is not usable: {exc!r}") from exc

    def window_probs(self, samples: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities of one fixed-length window of samples."""
        return self._probs(self.features(samples))

    def features(self, samples: np.ndarray) -> dict[str, np.ndarray]:
        """The front end's outputs for one window: "mfcc", "mfcc_image" and "stats"."""
        return self._front(samples=samples)

    def model_inputs(self, samples: np.ndarray) -> dict[str, np.ndarray]:
        """The exact tensors the model is fed for one window (also what evaluation feeds it)."""
        return self.inputs_from(self.features(samples))

    def inputs_from(self, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        stats = (features["stats"] - self._stats_mean) / self._stats_std
        return {"mfcc_image": features["mfcc_image"], "stats": stats}

    def is_noisy(self, features: dict[str, np.ndarray]) -> bool:
        """Whether the window these features are of goes to the model for steady noise."""
        if self.noisy_floor_db is None:
            return False
        return floor_depth_db(features["mfcc"], self.spec.n_mels, self.spec.top_db) < self.noisy_floor_db

    def _probs(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """The members' mean ("probs"), temperature-scaled as a whole (which never changes its top label)."""
        return apply_temperature(self.read_features(features)["probs"], self.temperature)

    def read_features(self, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """read(), from a window's features already computed."""
        if not self.is_noisy(features):
            return self.run(self.inputs_from(features))
        out = self.run(self.inputs_from(features), noisy=True)
        return {name: apply_temperature(value, self.noisy_temperature) for name, value in out.items()}

    def read(self, samples: np.ndarray) -> dict[str, np.ndarray]:
        """The outputs of whichever model serving lets read this window (what evaluation scores):
        the clean model's raw, or the noisy one's at its own temperature."""
        return self.read_features(self.features(samples))

    def run(self, inputs: dict[str, np.ndarray], noisy: bool = False) -> dict[str, np.ndarray]:
        """All of a model's raw outputs (the clean one's, or with `noisy` the steady-noise one's):
        "probs" (the members' mean, which serving calibrates) and "members" (per fold model)."""
        if noisy and self._noisy is None:
            raise ValueError("this model set has no model for noisy windows")
        return (self._noisy if noisy else self._model)(**inputs)

    def analyze(self, audio: np.ndarray, vad: VoiceActivity, baseline: Baseline | None = None,
                progress: Callable[[int, int], None] | None = None) -> AudioResult:
        """Every window with speech gets a distribution, and their mean is the recording's.

        `vad` says which windows hold speech; a window without speech is not run through the model:
        its reading would be noise, not emotion. With
        a personal `baseline`, each window's reading is made relative to that person's neutral
        voice (baseline.py). The result keeps the MFCCs the front end computed, for the plot.
        """
        windows, coeffs = [], []
        shift = baseline.voice if baseline else None
        cuts = split_windows(audio, self.spec)
        for i, (w, speech) in enumerate(zip(cuts, vad.speech_windows(audio, [(w.start, w.end) for w in cuts]))):
            if progress:
                progress(i, len(cuts))
            features = self.features(w.samples)
            coeffs.append(features["mfcc"])
            probs = relative(distribution(self.labels, self._probs(features)), shift) if speech else None
            windows.append(WindowResult(w.start, w.end, probs, speech))
        overall = mean_distribution([w.probs for w in windows if w.probs is not None])
        return AudioResult(probs=overall, windows=windows, samples=audio, uncertain_below=self.uncertain_below,
                           mfcc=stitch_frames(cuts, coeffs, self.spec))
