"""Decoding: every format users send becomes 16 kHz mono float32 of the same sound."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from emotion_core.decode.audio import SAMPLE_RATE, AudioError, load_audio, to_mono_16k

MAX_LAG = int(0.05 * SAMPLE_RATE)  # codec priming (AAC: 1024 samples at 44.1 kHz) stays well under this
TONE_HZ = 440.0


def _aligned(reference: np.ndarray, decoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping parts of both after shifting `decoded` by its best lag within +-MAX_LAG."""
    n = reference.size + decoded.size
    xcorr = np.fft.irfft(np.fft.rfft(decoded, n) * np.conj(np.fft.rfft(reference, n)), n)
    lags = np.r_[0 : MAX_LAG + 1, -MAX_LAG:0]
    lag = int(lags[np.argmax(xcorr[lags])])
    ref, dec = (reference, decoded[lag:]) if lag >= 0 else (reference[-lag:], decoded)
    size = min(ref.size, dec.size)
    return ref[:size], dec[:size]


def _dominant_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.fft.rfftfreq(audio.size, 1 / SAMPLE_RATE)[np.argmax(spectrum)])


def _one_second_tone(rate: int) -> np.ndarray:
    """A 0.5-amplitude sine at TONE_HZ."""
    return 0.5 * np.sin(2 * np.pi * TONE_HZ * np.arange(rate) / rate)


def test_every_format_decodes_to_the_same_16k_mono_sound(encoded: Path, clip: np.ndarray):
    audio = load_audio(encoded)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(audio.size - clip.size) / SAMPLE_RATE <= 0.05
    # A wrong rate or a garbled decode correlates near 0; lossy codecs and the half-sample lag
    # left after integer alignment of AAC's priming keep an exact decode above 0.95.
    ref, dec = _aligned(clip, audio)
    assert np.corrcoef(ref, dec)[0, 1] > 0.95


def test_channels_are_averaged_by_every_decoder(encoded: Path, clip: np.ndarray, mono_gain: float):
    ref, dec = _aligned(clip, load_audio(encoded))
    # Left + half-level right -> 0.75 x the clip; mp3 and AAC encoders lose up to 5 % of level.
    assert float(ref @ dec / (ref @ ref)) == pytest.approx(mono_gain, rel=0.1)


def test_audio_track_of_a_video_decodes(media: dict[str, Path], clip: np.ndarray):
    with av.open(str(media["mp4_video_aac"])) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
    audio = load_audio(media["mp4_video_aac"])
    ref, dec = _aligned(clip, audio)
    assert np.corrcoef(ref, dec)[0, 1] > 0.95


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "no such file"),
        ("empty", "the file is empty"),
        ("random_bytes", "not a readable audio or video file"),
        ("text", "not a readable audio or video file"),
        ("too_short", "the recording is too short (0.10 s); at least 0.25 s is needed"),
        ("no_audio_track", "the file has no audio track"),
    ],
)
def test_bad_input_raises_a_readable_audio_error(bad_inputs: dict[str, Path], kind: str, message: str):
    with pytest.raises(AudioError) as caught:
        load_audio(bad_inputs[kind])
    assert str(caught.value).startswith(message)


def test_int16_is_scaled_to_unit_range():
    audio = to_mono_16k(np.array([0, 16384, -16384, 32767], dtype=np.int16), SAMPLE_RATE)
    assert audio.dtype == np.float32
    np.testing.assert_allclose(audio, [0.0, 0.5, -0.5, 1.0], atol=1e-4)


def test_int32_is_scaled_to_unit_range():
    full = np.iinfo(np.int32).max
    audio = to_mono_16k(np.array([full, -full // 4], dtype=np.int32), SAMPLE_RATE)
    np.testing.assert_allclose(audio, [1.0, -0.25], atol=1e-6)


def test_channels_are_averaged():
    levels = np.linspace(0.1, 0.6, 6, dtype=np.float32)
    audio = to_mono_16k(np.tile(levels, (800, 1)), SAMPLE_RATE)
    assert audio.shape == (800,)
    np.testing.assert_allclose(audio, levels.mean(), rtol=1e-6)


@pytest.mark.parametrize("rate", [8_000, 11_025, 22_050, 44_100, 48_000, 96_000])
def test_any_rate_is_resampled_to_16k(rate: int):
    stereo_int16 = (np.stack([_one_second_tone(rate), np.zeros(rate)], axis=1) * 32767).astype(np.int16)
    audio = to_mono_16k(stereo_int16, rate)
    assert audio.dtype == np.float32
    assert abs(audio.size - SAMPLE_RATE) <= 1
    assert _dominant_hz(audio) == pytest.approx(TONE_HZ, abs=2.0)
    # A 0.5 tone on one channel of two: RMS 0.25 / sqrt(2) after the mix (edges excluded).
    assert np.sqrt(np.mean(audio[800:-800] ** 2)) == pytest.approx(0.25 / np.sqrt(2), rel=0.02)


@pytest.mark.parametrize(
    ("samples", "rate", "message"),
    [
        (np.zeros(0, dtype=np.float32), SAMPLE_RATE, "the audio is empty"),
        (np.zeros((4, 2, 2), dtype=np.float32), SAMPLE_RATE, "expected mono or multichannel audio"),
        (np.array([0.0, np.nan, 0.1]), SAMPLE_RATE, "the audio contains invalid"),
        (np.zeros(100, dtype=np.float32), 0, "the sample rate is 0 Hz; audio must be sampled at 4,000 to 192,000 Hz"),
    ],
    ids=["empty", "3d", "nan", "zero-rate"],
)
def test_invalid_arrays_raise_audio_error(samples: np.ndarray, rate: int, message: str):
    with pytest.raises(AudioError, match=message):
        to_mono_16k(samples, rate)


# --- limits (emotion_core/limits.py): decided from what decodes, before any heavy work --------


def _peak_mb(fn) -> tuple[float, float]:
    """(seconds, peak MB allocated through numpy and Python) of fn()."""
    import time
    import tracemalloc

    tracemalloc.start()
    started = time.perf_counter()
    try:
        fn()
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return seconds, peak


@pytest.mark.parametrize("rate", [1, 3_999, 192_001, 1_000_000])
def test_a_header_with_an_absurd_sample_rate_is_refused_before_decoding(tmp_path, clip, rate):
    """A 20 KB WAV claiming 1 Hz used to be resampled to 16 kHz: 93 s and 3 GB."""
    import soundfile as sf

    path = tmp_path / "lie.wav"
    sf.write(path, (clip[:10_000] * 3e4).astype(np.int16), rate)
    with pytest.raises(AudioError, match=f"the sample rate is {rate} Hz; audio must be sampled at 4,000 to 192,000 Hz"):
        load_audio(path)
    seconds, peak = _peak_mb(lambda: pytest.raises(AudioError, load_audio, path))
    assert seconds < 0.5 and peak < 5


def test_a_recording_over_the_limit_is_refused_from_its_header(tmp_path):
    import soundfile as sf

    path = tmp_path / "twenty_minutes.flac"
    sf.write(path, np.zeros(20 * 60 * 8_000, np.int16), 8_000)
    seconds, peak = _peak_mb(lambda: pytest.raises(AudioError, load_audio, path))
    assert seconds < 0.5 and peak < 5
    with pytest.raises(AudioError, match=r"^the recording is 20.0 min long; the limit is 5.0 min$"):
        load_audio(path)


def test_a_recording_without_a_stated_length_is_stopped_once_past_the_limit(tmp_path, clip, limit):
    """A browser's WebM states no duration: decoding stops at the limit instead of running on."""
    from bad_inputs import _streamed_webm

    path = _streamed_webm(tmp_path / "recording.webm", clip)
    with av.open(str(path)) as container:
        assert container.duration is None
    assert load_audio(path).size == pytest.approx(clip.size, abs=0.05 * SAMPLE_RATE)
    limit(max_audio_seconds=1.0)
    with pytest.raises(AudioError, match=r"^the recording is longer than 1 s, the limit$"):
        load_audio(path)


def test_many_channels_at_a_high_rate_decode_block_by_block(tmp_path, clip):
    """Memory follows the 16 kHz result, not the source's 8 channels at 96 kHz."""
    import soundfile as sf
    import soxr

    speech = np.tile(clip, 12)  # 29 s
    up = soxr.resample(speech, SAMPLE_RATE, 96_000).astype(np.float32)
    path = tmp_path / "eight.flac"
    sf.write(path, np.tile(up[:, None], (1, 8)), 96_000, subtype="PCM_24")
    audio = load_audio(path)
    ref, dec = _aligned(speech, audio)
    assert np.corrcoef(ref, dec)[0, 1] > 0.99
    _, peak = _peak_mb(lambda: load_audio(path))
    assert peak < 20 < 8 * up.nbytes / 1e6  # 89 MB when the 8 channels were decoded at once


def test_messages_name_no_path_and_no_exception_class(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("not audio")
    for bad in (path, tmp_path / "gone.wav"):
        with pytest.raises(AudioError) as caught:
            load_audio(bad)
        assert str(tmp_path) not in str(caught.value) and "Error" not in str(caught.value)
