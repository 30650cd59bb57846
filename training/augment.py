"""Waveform augmentations applied before feature extraction, so the features stay the serving ones."""

from __future__ import annotations

import numpy as np
import soxr

from emotion_core.decode.audio import SAMPLE_RATE


def speed_perturb(audio: np.ndarray, factor: float) -> np.ndarray:
    """Play faster/slower (pitch and tempo together), the cheap standard speech augmentation."""
    return soxr.resample(audio, SAMPLE_RATE * factor, SAMPLE_RATE).astype(np.float32)


BABBLE_TALKERS = 4


def babble(n: int, bank: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Several voices from `bank` talking at once, each at a random offset: a room of people."""
    out = np.zeros(n, dtype=np.float32)
    for i in rng.choice(len(bank), BABBLE_TALKERS, replace=False):
        voice = bank[i] / (np.sqrt(np.mean(bank[i] ** 2)) + 1e-9)
        out += np.resize(np.roll(voice, rng.integers(0, voice.shape[0])), n)
    return out


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator, bank: list[np.ndarray] = ()) -> np.ndarray:
    """Mix in white, pink-ish or (given a bank of voices) babble noise at a signal-to-noise ratio:
    a cheap laptop microphone, or a room of other people."""
    kind = rng.integers(0, 3 if len(bank) else 2)
    if kind == 2:
        noise = babble(audio.shape[0], bank, rng)
    else:
        noise = rng.standard_normal(audio.shape[0]).astype(np.float32)
    if kind == 1:
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


def augment(audio: np.ndarray, window: int, rng: np.random.Generator, bank: list[np.ndarray] = ()) -> np.ndarray:
    """Speed, noise and time shift, each at random; noise at 5-35 dB SNR, as in rooms people use."""
    out = speed_perturb(audio, rng.uniform(0.9, 1.1)) if rng.random() < 0.8 else audio
    if rng.random() < 0.8:
        out = add_noise(out, rng.uniform(5.0, 35.0), rng, bank)
    return place_in_window(out, window, rng)
