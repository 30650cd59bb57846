"""The live session: two streams arriving separately, fused from what is fresh."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_core import Analyzer
from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.fusion import FUSED_LABELS
from emotion_core.live import STALE_SECONDS, LiveSession


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def analyzer(model_set) -> Analyzer:
    return Analyzer(model_set).load()


@pytest.fixture
def frame(face_images) -> np.ndarray:
    """A 640x480 webcam frame with the astronaut's face filling its height."""
    import cv2

    out = np.full((480, 640, 3), 120, np.uint8)
    out[:, 80:560] = cv2.resize(face_images.astronaut, (480, 480), interpolation=cv2.INTER_AREA)
    return out


def _chunks(audio: np.ndarray, rate: int = 48_000):
    """Half-second int16 chunks at 48 kHz, as Gradio's streaming microphone sends them."""
    import soxr

    up = (soxr.resample(audio, SAMPLE_RATE, rate) * 32767).astype(np.int16)
    return [(rate, up[i : i + rate // 2]) for i in range(0, up.size - rate // 2 + 1, rate // 2)]


def test_before_anything_arrives_the_status_says_what_it_waits_for(analyzer):
    session = LiveSession(analyzer)
    assert session.fused() == (None, ())
    assert session.status() == "Voice: waiting for the microphone. Face: waiting for the webcam."


def test_both_streams_fuse_and_a_stale_channel_drops_out(analyzer, frame, clip):
    clock = Clock()
    session = LiveSession(analyzer, clock=clock)
    assert session.add_frame(frame)
    voice = None
    for chunk in _chunks(clip):
        voice = session.add_sound(*chunk)
    assert voice is not None and set(voice) >= set(FUSED_LABELS)
    probs, channels = session.fused()
    assert channels == ("voice", "face") and list(probs) == list(FUSED_LABELS)
    assert session.status() == "Voice: speaking. Face: face found."
    clock.now += STALE_SECONDS + 0.1  # the face is still seen, the voice has gone quiet
    session.add_frame(frame)
    assert session.fused()[1] == ("face",)
    assert session.status().startswith("Voice: silent")


def test_the_voice_is_read_over_the_last_window_only(analyzer, clip):
    session = LiveSession(analyzer)
    for chunk in _chunks(np.tile(clip, 3)):
        session.add_sound(*chunk)
    assert session._sound.shape[0] == analyzer.speech.spec.window_samples


def test_a_silent_microphone_gives_no_voice_reading(analyzer):
    session = LiveSession(analyzer)
    readings = [session.add_sound(*chunk) for chunk in _chunks(np.zeros(4 * SAMPLE_RATE, np.float32))]
    assert readings == [None] * len(readings)
    assert session.fused() == (None, ())
    assert session.status() == "Voice: silent: no speech in the last seconds. Face: waiting for the webcam."


def test_a_frame_without_a_face_clears_the_face_reading(analyzer, frame):
    clock = Clock()
    session = LiveSession(analyzer, clock=clock)
    session.add_frame(frame)
    assert session.add_frame(np.full_like(frame, 120)) == []
    assert session.face is None
    clock.now += STALE_SECONDS + 0.1
    assert session.fused() == (None, ())
    assert "no face in view" in session.status()


def test_the_session_timeline_holds_every_reading_until_cleared(analyzer, frame, clip):
    clock = Clock()
    session = LiveSession(analyzer, clock=clock)
    for i, chunk in enumerate(_chunks(clip)[:4]):
        clock.now = 10.0 + 0.5 * i
        session.add_sound(*chunk)
        session.add_frame(frame)
    rows = session.timeline()
    channels = [r["channel"] for r in rows]
    assert channels.count("face") == 4 and channels.count("fused") == channels.count("voice") + 4
    # Seconds from the first input, in order; a voice row spans the sound it read.
    assert rows[0]["start"] == 0.0 and [r["end"] for r in rows] == sorted(r["end"] for r in rows)
    voice = [r for r in rows if r["channel"] == "voice"]
    assert voice and all(r["end"] - r["start"] <= analyzer.speech.spec.window_seconds + 1e-6 for r in voice)
    face = next(r for r in rows if r["channel"] == "face")
    assert face["face"] == 0 and face["w"] > 0 and face["label"] is not None
    fused = [r for r in rows if r["channel"] == "fused"]
    probs, _ = session.fused()
    assert fused[-1]["label"] == max(probs, key=probs.get)
    session.clear_timeline()
    assert session.timeline() == []
    clock.now = 30.0
    session.add_frame(frame)
    assert session.timeline()[0]["start"] == 0.0  # a new origin after clearing


def test_stop_keeps_the_last_readings_and_drops_late_input_until_the_streams_start_again(analyzer, frame, clip):
    from emotion_core.live import LATE_SECONDS

    clock = Clock()
    session = LiveSession(analyzer, clock=clock)
    session.add_frame(frame)
    for chunk in _chunks(clip):
        session.add_sound(*chunk)
    before, rows = session.fused(), len(session.timeline())
    session.stop()
    assert session.stopped and session.status().startswith("Stopped.")
    clock.now += LATE_SECONDS / 2  # a frame and a chunk sent before Stop, arriving after it
    assert session.add_frame(np.zeros_like(frame)) == []
    session.add_sound(48_000, np.zeros(24_000, np.int16))
    clock.now += 10 * STALE_SECONDS  # long after: nothing has gone stale, nothing changed
    assert session.fused() == before and session.status().startswith("Stopped.")
    assert len(session.timeline()) == rows
    assert session.add_frame(frame)  # input well after Stop: the streams were started again
    assert not session.stopped and session.status() == "Voice: silent: no speech in the last seconds. Face: face found."
    session.stop()
    session.start()
    assert not session.stopped
