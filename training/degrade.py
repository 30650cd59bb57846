"""Degradations of a clean recording that the robustness analysis scores the models under: noise
at a signal-to-noise ratio over the speech, babble of other talkers, a phone line, lossy codecs."""

from __future__ import annotations

import io

import numpy as np
import soxr
from scipy.signal import butter, sosfilt

from emotion_core.decode.audio import SAMPLE_RATE, AudioTrack
from emotion_core.voice.vad import CHUNK_SAMPLES, SPEECH_PROBABILITY

NOISE_KINDS = ("white", "pink", "babble")
CODECS = {"opus": ("libopus", "ogg"), "mp3": ("libmp3lame", "mp3")}  # name -> (encoder, container)
PHONE_BAND = (300.0, 3400.0)
PHONE_RATE = 8_000
PHONE_ORDER = 6  # Butterworth order of each band edge


def speech_mask(chunk_probs: np.ndarray, n_samples: int) -> np.ndarray:
    """Per sample: does it lie in a 32 ms chunk the voice-activity detector calls speech."""
    mask = np.repeat(chunk_probs >= SPEECH_PROBABILITY, CHUNK_SAMPLES)[:n_samples]
    return np.pad(mask, (0, n_samples - mask.size))


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float, mask: np.ndarray) -> np.ndarray:
    """clean + noise scaled so that their power ratio over the `mask` samples (the speech) is
    `snr_db`; over the whole clip when the mask is empty."""
    sel = mask if mask.any() else np.ones_like(mask)
    p_speech = np.mean(np.square(clean[sel], dtype=np.float64))
    p_noise = np.mean(np.square(noise[sel], dtype=np.float64))
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return (clean + gain * noise).astype(np.float32)


def white_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Noise whose power falls as 1/f (white noise shaped in the frequency domain), no DC."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0
    return np.fft.irfft(spectrum, n)


def babble(n: int, talkers: list[np.ndarray], masks: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The sum of `talkers`, each at the same speech level and started at a random point (wrapping
    round), repeated or cut to n samples."""
    out = np.zeros(n)
    for audio, mask in zip(talkers, masks):
        level = np.sqrt(np.mean(np.square(audio[mask] if mask.any() else audio, dtype=np.float64)))
        out += np.resize(np.roll(audio, rng.integers(audio.size)), n) / max(level, 1e-6)
    return out


def phone_band(audio: np.ndarray) -> np.ndarray:
    """A narrow-band phone line: down to 8 kHz, a 300-3400 Hz Butterworth band-pass, back to 16 kHz."""
    narrow = soxr.resample(audio, SAMPLE_RATE, PHONE_RATE)
    sos = butter(PHONE_ORDER, PHONE_BAND, btype="bandpass", fs=PHONE_RATE, output="sos")
    return soxr.resample(sosfilt(sos, narrow), PHONE_RATE, SAMPLE_RATE).astype(np.float32)


def codec_round_trip(audio: np.ndarray, codec: str, kbps: float) -> np.ndarray:
    """16 kHz mono audio encoded with FFmpeg's `codec` encoder at `kbps` and decoded again, in
    memory, the way serving decodes an upload (emotion_core.decode.audio.AudioTrack)."""
    import av

    encoder, container = CODECS[codec]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(encoder, rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = int(kbps * 1000)
        frame = av.AudioFrame.from_ndarray(np.asarray(audio, np.float32)[None, :], format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    buffer.seek(0)
    with av.open(buffer) as source:
        track = AudioTrack()
        for decoded in source.decode(audio=0):
            track.add(decoded)
        return track.audio()
