"""Waveform augmentations applied before feature extraction, so the features stay the serving ones."""

from __future__ import annotations

import numpy as np
import soxr

from emotion_core.audio import SAMPLE_RATE


def speed_perturb(audio: np.ndarray, factor: float) -> np.ndarray:
    """Play faster/slower (pitch and tempo together), the cheap standard speech augmentation."""
    return soxr.resample(audio, SAMPLE_RATE * factor, SAMPLE_RATE).astype(np.float32)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Mix in white or pink-ish noise at a signal-to-noise ratio, like a cheap laptop microphone."""
    noise = rng.standard_normal(audio.shape[0]).astype(np.float32)
    if rng.random() < 0.5:
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
    signal_power = np.mean(audio**2) + 1e-12
    noise *= np.sqrt(signal_power / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    return audio + noise


def place_in_window(audio: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    """Shift a clip shorter than the window to a random offset (time-shift augmentation)."""
    if audio.shape[0] >= window:
        start = rng.integers(0, audio.shape[0] - window + 1)
        return audio[start : start + window]
    offset = rng.integers(0, window - audio.shape[0] + 1)
    return np.pad(audio, (offset, window - audio.shape[0] - offset))


def augment(audio: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    out = speed_perturb(audio, rng.uniform(0.9, 1.1)) if rng.random() < 0.8 else audio
    if rng.random() < 0.7:
        out = add_noise(out, rng.uniform(10.0, 35.0), rng)
    return place_in_window(out, window, rng)
