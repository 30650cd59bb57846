"""The degradations training/analyses/evaluate_robustness.py (training/degrade.py) scores the models under do what they say."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from emotion_core.decode.audio import SAMPLE_RATE
from training.degrade import (
    babble, codec_round_trip, mix_at_snr, phone_band, pink_noise, speech_mask, white_noise,
)


def speech_like(seconds: float = 2.4) -> tuple[np.ndarray, np.ndarray]:
    """A harmonic burst (1 s of "speech", a 150 Hz voice) in quiet, and its per-sample speech mask."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20))
    mask = (t >= 0.6) & (t < 1.6)
    quiet = 1e-3 * np.random.default_rng(1).standard_normal(t.size)
    return (0.2 * voiced * mask + quiet).astype(np.float32), mask


def snr_over(mask: np.ndarray, clean: np.ndarray, mixed: np.ndarray) -> float:
    noise = mixed.astype(np.float64) - clean
    return 10 * np.log10(np.mean(np.square(clean[mask], dtype=np.float64)) / np.mean(np.square(noise[mask])))


@pytest.mark.parametrize("kind", ["white", "pink", "babble"])
@pytest.mark.parametrize("snr", [20.0, 10.0, 5.0])
def test_mix_hits_the_asked_snr_over_the_speech(kind: str, snr: float) -> None:
    clean, mask = speech_like()
    rng = np.random.default_rng(0)
    if kind == "babble":
        talkers = [speech_like(s)[0] for s in (1.9, 2.4, 3.0)]
        noise = babble(clean.size, talkers, [speech_like(s)[1] for s in (1.9, 2.4, 3.0)], rng)
    else:
        noise = {"white": white_noise, "pink": pink_noise}[kind](clean.size, rng)
    mixed = mix_at_snr(clean, noise, snr, mask)
    assert mixed.dtype == np.float32 and mixed.shape == clean.shape
    assert abs(snr_over(mask, clean, mixed) - snr) < 0.5
    # The noise runs through the whole clip, not only under the speech.
    assert np.std(mixed[~mask] - clean[~mask]) > 0


def test_speech_mask_follows_the_chunks() -> None:
    mask = speech_mask(np.array([0.1, 0.9, 0.2]), 2000)
    assert mask.shape == (2000,)
    assert not mask[:512].any() and mask[512:1024].all() and not mask[1024:].any()


def band_share(audio: np.ndarray, low: float, high: float) -> float:
    f, p = welch(audio, SAMPLE_RATE, nperseg=2048)
    return float(p[(f >= low) & (f <= high)].sum() / p.sum())


def test_phone_band_keeps_300_to_3400_hz_only() -> None:
    white = np.random.default_rng(0).standard_normal(10 * SAMPLE_RATE).astype(np.float32)
    out = phone_band(white)
    assert out.shape == white.shape
    assert band_share(out, 0, 250) < 0.002
    assert band_share(out, 3600, SAMPLE_RATE / 2) < 0.002
    assert band_share(out, 300, 3400) > 0.97
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    gain_db = {hz: 20 * np.log10(np.std(phone_band(np.sin(2 * np.pi * hz * t).astype(np.float32))[2000:-2000])
                                 / np.std(np.sin(2 * np.pi * hz * t)))
               for hz in (100, 1000, 5000)}
    assert gain_db[100] < -40 and gain_db[5000] < -40 and abs(gain_db[1000]) < 1


@pytest.mark.parametrize("codec, kbps", [("opus", 12), ("mp3", 32)])
def test_codec_round_trip_keeps_the_length(codec: str, kbps: float, clip: np.ndarray) -> None:
    out = codec_round_trip(clip, codec, kbps)
    assert abs(out.size - clip.size) <= 0.01 * clip.size
    # Lossy, but still the same recording: well correlated with the original.
    n = min(out.size, clip.size)
    assert np.corrcoef(out[:n], clip[:n])[0, 1] > 0.7
