"""Recordings that hold no speech, in the kinds a microphone really delivers: digital silence,
room tone, noises at several levels, hum and (synthesised) music. Every one must be answered
"no speech" and never given an emotion (tests/test_vad.py); training/evaluate_vad.py reports how
close the detector comes to calling them speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from emotion_core.decode.audio import SAMPLE_RATE

SECONDS = 4.0
LEVELS = {"loud": 0.3, "normal": 0.05, "quiet": 0.005}  # peak amplitude, full scale = 1


def _normalised(x: np.ndarray, peak: float) -> np.ndarray:
    return (peak * x / np.abs(x).max()).astype(np.float32)


def _tone(f0: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return sum(0.6**h * np.sin(2 * np.pi * f0 * (h + 1) * t) for h in range(6)) * np.exp(-3.0 * t)


def _melody(notes: list[float], n: int, beat: float = 0.25) -> np.ndarray:
    """Piano-like plucked notes with harmonics, one per beat."""
    out = np.zeros(n)
    for i, f0 in enumerate(notes):
        start = int(i * beat * SAMPLE_RATE)
        if start >= n:
            break
        note = _tone(f0, 1.0)[: n - start]
        out[start : start + note.size] += note
    return out


def signals(seconds: float = SECONDS) -> dict[str, np.ndarray]:
    """Name -> 16 kHz mono float32 without speech."""
    rng = np.random.default_rng(0)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    white = rng.normal(0, 1, n)
    pink = np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.arange(1, n // 2 + 2)), n)
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(800) / 800, mode="same")  # no drift below 20 Hz
    hum = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((50, 100, 150), start=1))
    room = np.fft.irfft(np.fft.rfft(white) / (1 + np.arange(n // 2 + 1) / 400), n) + 0.3 * hum
    scale = [261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3] * 3
    music = {
        "melody": _melody(scale, n),
        "chords": _melody([261.6, 329.6, 392.0] * 6, n) + _melody([196.0, 246.9, 293.7] * 6, n),
        "organ": sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0)),
        "drums": np.resize(np.concatenate([rng.normal(0, 1, 800) * np.exp(-np.arange(800) / 200), np.zeros(3200)]), n),
    }
    out = {"digital_zeros": np.zeros(n, np.float32), "dither": _normalised(white, 1 / 32768)}
    for level, peak in LEVELS.items():
        for name, x in {"white": white, "pink": pink, "brown": brown, "room_tone": room, "hum": hum, **music}.items():
            out[f"{name}_{level}"] = _normalised(x, peak)
    return out


def write(folder: Path) -> dict[str, Path]:
    """Each signal as a 16-bit 44.1 kHz WAV, as a browser recording or an upload arrives."""
    import soxr

    files = {}
    for name, x in signals().items():
        files[name] = folder / f"{name}.wav"
        sf.write(files[name], soxr.resample(x, SAMPLE_RATE, 44_100), 44_100, subtype="PCM_16")
    return files
