"""Decoding any audio a browser or a user sends into 16 kHz mono float32.

soundfile (libsndfile) is the fast path for wav/flac/ogg; PyAV (FFmpeg) decodes everything else
that browsers record or phones save (mp3, opus in webm/ogg, m4a/aac) and the audio track of videos.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import InputError

SAMPLE_RATE = 16_000

# Anything shorter carries no usable prosody: a 0.25 s blip is a click, not speech.
MIN_SECONDS = 0.25


class AudioError(InputError):
    """The input cannot be turned into analysable audio; the message is safe to show a user."""


def to_mono_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mix down (frames, channels) or (frames,) audio of any dtype and rate to 16 kHz mono float32."""
    audio = np.asarray(samples)
    if audio.size == 0:
        raise AudioError("the audio is empty")
    if np.issubdtype(audio.dtype, np.integer):
        info = np.iinfo(audio.dtype)
        half = (int(info.max) - int(info.min) + 1) / 2.0  # 32768 for int16; 128 for uint8
        audio = (audio.astype(np.float64) - (int(info.min) + half)) / half
    audio = audio.astype(np.float32, copy=False)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    elif audio.ndim != 1:
        raise AudioError(f"expected mono or multichannel audio, got an array of shape {audio.shape}")
    if sample_rate <= 0:
        raise AudioError(f"invalid sample rate {sample_rate}")
    if sample_rate != SAMPLE_RATE:
        audio = soxr.resample(audio, sample_rate, SAMPLE_RATE).astype(np.float32, copy=False)
    if not np.all(np.isfinite(audio)):
        raise AudioError("the audio contains invalid (NaN or infinite) samples")
    return audio


class AudioTrack:
    """Collects decoded PyAV audio frames as 16 kHz mono float32, whatever their rate and layout.

    Planar float at 16 kHz in the source's own channel layout; channels are averaged at the end,
    exactly as for soundfile input (FFmpeg's own downmix would be 3 dB louder).
    """

    def __init__(self) -> None:
        import av  # imported here: the fast path for wav/flac never needs FFmpeg

        self._resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        self._chunks: list[np.ndarray] = []
        self.samples = 0  # 16 kHz samples collected so far

    def add(self, frame) -> None:
        """One decoded av.AudioFrame; None flushes the resampler."""
        for out in self._resampler.resample(frame):
            chunk = out.to_ndarray()
            self._chunks.append(chunk.mean(axis=0))
            self.samples += chunk.shape[1]

    def audio(self) -> np.ndarray:
        self.add(None)
        if not self._chunks:
            raise AudioError("the audio is empty")
        return np.concatenate(self._chunks).astype(np.float32)


def _decode_with_av(path: str) -> np.ndarray:
    import av

    try:
        with av.open(path) as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio track")
            track = AudioTrack()
            for frame in container.decode(container.streams.audio[0]):
                track.add(frame)
            return track.audio()
    except av.error.FFmpegError as exc:
        raise AudioError(f"not a readable audio or video file ({exc.__class__.__name__})") from exc


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Decode a file to 16 kHz mono float32, raising AudioError with a user-facing reason."""
    path = str(path)
    if not Path(path).is_file():
        raise AudioError(f"no such file: {path}")
    if os.path.getsize(path) == 0:
        raise AudioError("the file is empty")
    try:
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
        audio = to_mono_16k(samples, rate)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        audio = _decode_with_av(path)
    return check_duration(audio)


def check_duration(audio: np.ndarray) -> np.ndarray:
    """Reject audio too short to analyse, so that no model sees mostly padding."""
    if audio.shape[0] < MIN_SECONDS * SAMPLE_RATE:
        raise AudioError(
            f"the recording is too short ({audio.shape[0] / SAMPLE_RATE:.2f} s); "
            f"at least {MIN_SECONDS} s is needed"
        )
    return audio
