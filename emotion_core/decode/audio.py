"""Decoding any audio a browser or a user sends into 16 kHz mono float32.

soundfile (libsndfile) is the fast path for wav/flac/ogg; PyAV (FFmpeg) decodes everything else
that browsers record or phones save (mp3, opus in webm/ogg, m4a/aac) and the audio track of videos.
Both decode block by block into a streaming resampler, so memory follows the 16 kHz result, not
the source's rate and channels, and both stop at the duration limit (limits.py) as they decode.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .. import limits
from ..errors import InputError
from ..limits import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, too_long

SAMPLE_RATE = 16_000

# Anything shorter carries no usable prosody: a 0.25 s blip is a click, not speech.
MIN_SECONDS = 0.25
BLOCK_FRAMES = 1 << 16  # frames soundfile decodes at a time


class AudioError(InputError):
    """The input cannot be turned into analysable audio; the message is safe to show a user."""


def check_rate(sample_rate: int) -> None:
    """Refuse a sample rate no recording has (a broken or hostile header) before any decoding."""
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise AudioError(
            f"the sample rate is {sample_rate} Hz; audio must be sampled at "
            f"{MIN_SAMPLE_RATE:,} to {MAX_SAMPLE_RATE:,} Hz"
        )


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
    check_rate(sample_rate)
    if sample_rate != SAMPLE_RATE:
        audio = soxr.resample(audio, sample_rate, SAMPLE_RATE).astype(np.float32, copy=False)
    return _finite(audio)


def _finite(audio: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(audio)):
        raise AudioError("the audio contains invalid (NaN or infinite) samples")
    return audio


class AudioTrack:
    """Collects decoded PyAV audio frames as 16 kHz mono float32, whatever their rate and layout.

    Planar float at 16 kHz in the source's own channel layout; channels are averaged at the end,
    exactly as for soundfile input (FFmpeg's own downmix would be 3 dB louder). A rate outside
    the sane range is refused at the first frame.
    """

    def __init__(self) -> None:
        import av  # imported here: the fast path for wav/flac never needs FFmpeg

        self._resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        self._chunks: list[np.ndarray] = []
        self.samples = 0  # 16 kHz samples collected so far

    def add(self, frame) -> None:
        """One decoded av.AudioFrame; None flushes the resampler."""
        if frame is not None and not self._chunks:
            check_rate(frame.sample_rate)
        for out in self._resampler.resample(frame):
            chunk = out.to_ndarray()
            self._chunks.append(chunk.mean(axis=0))
            self.samples += chunk.shape[1]

    def audio(self) -> np.ndarray:
        self.add(None)
        if not self._chunks:
            raise AudioError("the audio is empty")
        return _finite(np.concatenate(self._chunks).astype(np.float32))


def _decode_with_av(path: str, max_seconds: float) -> np.ndarray:
    import av

    try:
        with av.open(path) as container:
            if not container.streams.audio:
                raise AudioError("the file has no audio track")
            stated = None if container.duration is None else container.duration / 1e6
            if stated is not None and stated > max_seconds:  # a header can only make it refused sooner
                raise AudioError(too_long("recording", max_seconds, stated))
            track = AudioTrack()
            for frame in container.decode(container.streams.audio[0]):
                track.add(frame)
                if track.samples > max_seconds * SAMPLE_RATE:
                    raise AudioError(too_long("recording", max_seconds))
            return track.audio()
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise AudioError("not a readable audio or video file") from exc


def _decode_with_soundfile(sound: sf.SoundFile, max_seconds: float) -> np.ndarray:
    """Refuse by the header's rate and length before decoding; then decode block by block, mixed
    down and resampled as it comes, and stop if the header understated the length."""
    rate = sound.samplerate
    check_rate(rate)
    if sound.frames / rate > max_seconds:
        raise AudioError(too_long("recording", max_seconds, sound.frames / rate))
    resampler = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
    chunks, samples = [], 0
    for block in sound.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
        mono = _finite(block.mean(axis=1))
        chunks.append(mono if resampler is None else resampler.resample_chunk(mono))
        samples += chunks[-1].shape[0]
        if samples > max_seconds * SAMPLE_RATE:
            raise AudioError(too_long("recording", max_seconds))
    if resampler is not None:
        chunks.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    if not chunks:
        raise AudioError("the audio is empty")
    return np.concatenate(chunks)


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Decode a file to 16 kHz mono float32, raising AudioError with a user-facing reason.

    Recordings over limits.LIMITS.max_audio_seconds are refused, from the header when it says so
    and otherwise as soon as decoding passes the limit."""
    path = str(path)
    if not Path(path).is_file():
        raise AudioError("no such file")
    if os.path.getsize(path) == 0:
        raise AudioError("the file is empty")
    max_seconds = limits.LIMITS.max_audio_seconds
    audio = None
    try:
        with sf.SoundFile(path) as sound:
            # libsndfile garbles Opus read in blocks and decodes a cut MP3 into NaNs (1.2, in soundfile
            # 0.14); FFmpeg decodes both right.
            if sound.subtype != "OPUS" and not sound.subtype.startswith("MPEG"):
                audio = _decode_with_soundfile(sound, max_seconds)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass  # not a format libsndfile reads (mp3, aac, webm, ...), or broken: FFmpeg decides
    return check_duration(_decode_with_av(path, max_seconds) if audio is None else audio)


def check_duration(audio: np.ndarray) -> np.ndarray:
    """Reject audio too short to analyse, so that no model sees mostly padding, or over the limit."""
    seconds = audio.shape[0] / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise AudioError(f"the recording is too short ({seconds:.2f} s); at least {MIN_SECONDS} s is needed")
    if seconds > limits.LIMITS.max_audio_seconds:
        raise AudioError(too_long("recording", limits.LIMITS.max_audio_seconds, seconds))
    return audio
