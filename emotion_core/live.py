"""A live reading from a webcam stream and a microphone stream that arrive separately.

The two streams come in at their own pace (frames several times a second, sound in half-second
chunks). The session keeps each channel's latest reading and the last window of sound; the
fused reading combines whatever is fresh, and a channel that has gone quiet drops out of it.
Every reading also goes into the session's timeline (timeline.py rows, seconds from the first
input), which the visitor can plot, download and clear.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .baseline import Baseline, relative, relative_face
from .decode.audio import MIN_SECONDS, SAMPLE_RATE, to_mono_16k
from .results import NO_READING, NO_SPEECH, FaceResult, verdict
from .timeline import Row, face_rows, row

STALE_SECONDS = 2.0  # a channel's reading older than this no longer counts in the fused reading
LATE_SECONDS = 1.0  # input this soon after Stop was sent before it; later input means live again
BASELINE_SECONDS = 3.0  # "Set my baseline" learns from the readings of the last this many seconds
MAX_TIMELINE_ROWS = 100_000  # about an hour at 10 frames and 2 chunks a second; older rows are dropped


class LiveSession:
    """One visitor's live streams. Readings are kept per session, never shared between visitors."""

    def __init__(self, analyzer, clock=time.monotonic):
        self._analyzer = analyzer
        self._clock = clock
        self._lock = threading.Lock()
        self._sound = np.zeros(0, dtype=np.float32)  # the last speech window of 16 kHz audio
        self.voice: dict[str, float] | None = None
        self.face: dict[str, float] | None = None
        self._voice_at = self._face_at = None  # when each channel last spoke
        self._heard = self._seen = False  # whether each stream has delivered anything
        # (time, reading before any baseline) of the last BASELINE_SECONDS, for "Set my baseline"
        self._recent_voice: list[tuple[float, dict[str, float]]] = []
        self._recent_faces: list[tuple[float, dict[str, float]]] = []
        self._timeline: list[Row] = []
        self._origin: float | None = None  # the time of the first input since the timeline was cleared
        self._stopped_at: float | None = None  # when the visitor pressed Stop; None while live

    def _elapsed(self) -> float:
        now = self._clock()
        if self._origin is None:
            self._origin = now
        return now - self._origin

    def _record(self, rows: list[Row]) -> None:
        """Add rows and the fused reading as of now (the caller holds the lock)."""
        t = rows[-1]["end"] if rows else self._elapsed()
        probs, _, limit = self._fused_locked()
        self._timeline += [*rows, row(None, t, t, "fused", probs, verdict(probs, limit, NO_READING))]
        del self._timeline[:-MAX_TIMELINE_ROWS]

    def timeline(self) -> list[Row]:
        """Every reading since the timeline was last cleared, in the order they came."""
        with self._lock:
            return list(self._timeline)

    def clear_timeline(self) -> None:
        with self._lock:
            self._timeline = []
            self._origin = None

    def _remember(self, recent: list, reading: dict[str, float]) -> None:
        now = self._clock()
        recent.append((now, reading))
        while recent and now - recent[0][0] > BASELINE_SECONDS:
            recent.pop(0)

    def stop(self) -> None:
        """The visitor stopped: the readings stay as they were at this moment (nothing goes stale),
        and input still in flight from before it is left out."""
        with self._lock:
            self._stopped_at = self._clock()

    def start(self) -> None:
        with self._lock:
            self._stopped_at = None

    @property
    def stopped(self) -> bool:
        with self._lock:
            return self._stopped_at is not None

    def _takes_input_locked(self) -> bool:
        """Input within LATE_SECONDS of a Stop was in flight before it and is dropped; input after
        that means the streams were started again (from their own buttons, say): live again."""
        if self._stopped_at is not None and self._clock() - self._stopped_at > LATE_SECONDS:
            self._stopped_at = None
        return self._stopped_at is None

    def _now(self) -> float:
        return self._clock() if self._stopped_at is None else self._stopped_at

    def add_frame(self, rgb: np.ndarray, baseline: Baseline | None = None) -> list[FaceResult]:
        """One webcam frame: its faces (short-range detector), the main one becomes the face
        reading; relative to the visitor's `baseline` when one is set. A frame that arrives just
        after Stop changes nothing and has no faces."""
        with self._lock:
            if not self._takes_input_locked():
                return []
        raw = self._analyzer.faces(rgb, webcam=True)
        faces = [relative_face(f, baseline.face if baseline else None) for f in raw]
        with self._lock:
            self._seen = True
            if raw:
                self._remember(self._recent_faces, raw[0].probs)
            self.face = faces[0].probs if faces else None
            self._face_at = self._clock() if faces else self._face_at
            self._record(face_rows(faces, round(self._elapsed(), 3)))
        return faces

    def add_sound(self, sample_rate: int, chunk: np.ndarray, baseline: Baseline | None = None) -> dict[str, float] | None:
        """One microphone chunk: the voice reading over the last window of sound, None while no
        speech is in it; relative to the visitor's `baseline` when one is set."""
        window = self._analyzer.speech.spec.window_samples
        with self._lock:
            if not self._takes_input_locked():
                return self.voice
            self._heard = True
            self._sound = np.concatenate([self._sound, to_mono_16k(chunk, sample_rate)])[-window:]
            sound = self._sound
        if sound.shape[0] < MIN_SECONDS * SAMPLE_RATE:
            return None
        raw = self._analyzer.analyze_audio((SAMPLE_RATE, sound)).probs
        voice = relative(raw, baseline.voice if baseline else None)
        with self._lock:
            if raw:
                self._remember(self._recent_voice, raw)
            self.voice = voice
            self._voice_at = self._clock() if voice else self._voice_at
            end = self._elapsed()
            limit = self._analyzer.uncertain_below[("voice",)]
            self._record([row(None, max(0.0, end - sound.shape[0] / SAMPLE_RATE), end, "voice", voice,
                              verdict(voice, limit, NO_SPEECH))])
        return voice

    def fit_baseline(self) -> Baseline | None:
        """A personal baseline from the readings of the last BASELINE_SECONDS (the visitor being
        neutral, by their own word); None when neither speech nor a face came in that time."""
        with self._lock:
            now = self._clock()
            voice = [r for t, r in self._recent_voice if now - t <= BASELINE_SECONDS]
            faces = [r for t, r in self._recent_faces if now - t <= BASELINE_SECONDS]
        return self._analyzer.fit_baseline(voice, faces)

    def _fresh(self, at: float | None) -> bool:
        return at is not None and self._now() - at <= STALE_SECONDS

    def fused(self) -> tuple[dict[str, float] | None, tuple[str, ...]]:
        """Voice and face together, from the channels that spoke in the last STALE_SECONDS."""
        with self._lock:
            return self._fused_locked()[:2]

    def _fused_locked(self) -> tuple[dict[str, float] | None, tuple[str, ...], float | None]:
        voice = self.voice if self._fresh(self._voice_at) else None
        face = self.face if self._fresh(self._face_at) else None
        return self._analyzer.fuse(voice, face)

    def status(self) -> str:
        """Each channel's state in words, so a silent channel is said, not hidden."""
        with self._lock:
            if self._stopped_at is not None:
                return ("Stopped. The readings are the last ones before Stop; the session's timeline is kept until "
                        "you clear it.")
            voice = ("speaking" if self._fresh(self._voice_at) else "silent: no speech in the last seconds") if self._heard else "waiting for the microphone"
            face = ("face found" if self._fresh(self._face_at) else "no face in view") if self._seen else "waiting for the webcam"
        return f"Voice: {voice}. Face: {face}."
