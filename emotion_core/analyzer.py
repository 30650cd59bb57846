"""The one entry point presenters use: load the model set once, analyse files or arrays.

Every analysis returns a plain result that also carries its decoded input (see results.py), so
presenters never decode anything themselves.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from functools import cached_property

import numpy as np

from .audio import MIN_SECONDS, SAMPLE_RATE, check_duration, load_audio, to_mono_16k
from .face import FaceDetector, FaceModel, analyze_faces, whole_face
from .features import window_bounds
from .fusion import DEFAULT_WEIGHTS, FusionWeights, fuse
from .image import as_rgb, is_image_file, load_image
from .model_set import ModelSet, load_model_set
from .results import (
    AudioResult,
    FaceResult,
    FrameFaces,
    FusedResult,
    FusedWindow,
    ImageResult,
    Keyframe,
    Result,
    VideoResult,
    mean_distribution,
)
from .speech import SpeechModel
from .vad import VoiceActivity
from .video import FRAMES_PER_SECOND, MAX_SECONDS, has_video, read_video, video_duration

# progress(fraction done, what is happening now): how a presenter follows a long analysis
Progress = Callable[[float, str], None]


def input_kind(path: str | os.PathLike) -> str:
    """"image" (any extension Pillow reads), "video" (a file with a real video stream) or "audio"."""
    if is_image_file(path):
        return "image"
    return "video" if has_video(path) else "audio"


class Analyzer:
    """Holds the loaded models; build one per process and reuse it for every request."""

    def __init__(self, model_set: ModelSet | None = None):
        self.model_set = model_set or load_model_set()
        # The LiteRT interpreters and MediaPipe detectors are not thread-safe: one model call at a
        # time. The lock is taken per call (per frame, per recording), so a long video and a live
        # stream served at once interleave instead of one waiting for the other to finish.
        self._models = threading.RLock()

    def load(self) -> Analyzer:
        """Load every model now, so a broken set fails here (start-up), not on a first request, and
        run one window through the speech features: librosa compiles them on first use (seconds)."""
        self.speech, self.face, self.face_detector, self.vad  # noqa: B018 (cached properties)
        self.speech.window_probs(np.zeros(self.speech.spec.window_samples, dtype=np.float32))
        return self

    @cached_property
    def speech(self) -> SpeechModel:
        return SpeechModel(self.model_set)

    @cached_property
    def vad(self) -> VoiceActivity:
        return VoiceActivity()

    @cached_property
    def face_detector(self) -> FaceDetector:
        return FaceDetector(self.model_set)

    @cached_property
    def face(self) -> FaceModel:
        return FaceModel(self.model_set)

    @cached_property
    def fusion_weights(self) -> FusionWeights:
        """The weights fitted on validation pairs (training/evaluate_fusion.py) that the set ships."""
        entry = self.model_set.manifest.fusion
        return DEFAULT_WEIGHTS if entry is None else FusionWeights(entry.voice_weight, entry.face_weight)

    def analyze_file(self, path: str | os.PathLike, whole_face: bool = False, progress: Progress | None = None) -> Result:
        """Any file, by its kind (input_kind)."""
        kind = input_kind(path)
        if kind == "image":
            return self.analyze_image(path, whole=whole_face)
        if kind == "video":
            return self.analyze_video(path, progress=progress)
        return self.analyze_audio(path)

    def analyze_audio(self, source: str | os.PathLike | tuple[int, np.ndarray]) -> AudioResult:
        """A file path, or (sample_rate, samples) as a microphone component delivers it."""
        if isinstance(source, tuple):
            rate, samples = source
            audio = check_duration(to_mono_16k(samples, rate))
        else:
            audio = load_audio(source)
        return self._speech(audio)

    def _speech(self, audio: np.ndarray) -> AudioResult:
        with self._models:
            return self.speech.analyze(audio, self.vad.chunk_probs(audio))

    def analyze_image(
        self, source: str | os.PathLike | np.ndarray, webcam: bool = False, whole: bool = False
    ) -> ImageResult:
        """A file path or an image array. `webcam` picks the short-range detector (faces within
        ~2 m); `whole` skips detection and takes the whole image as one face crop."""
        rgb = as_rgb(source) if isinstance(source, np.ndarray) else load_image(source)
        if whole:
            with self._models:
                faces = [whole_face(self.face, rgb)]
        else:
            faces = self.faces(rgb, webcam)
        return ImageResult(faces, width=rgb.shape[1], height=rgb.shape[0], rgb=rgb)

    def faces(self, rgb: np.ndarray, webcam: bool = False) -> list[FaceResult]:
        """Every face of one uint8 RGB frame, largest first (the live stream's per-frame call)."""
        with self._models:
            return analyze_faces(self.face_detector, self.face, rgb, short_range=webcam)

    def analyze_video(
        self,
        path: str | os.PathLike,
        fps: float = FRAMES_PER_SECOND,
        max_seconds: float = MAX_SECONDS,
        progress: Progress | None = None,
    ) -> VideoResult:
        """Both channels of a video on one timeline, fused per window and for the whole clip."""
        report = progress or (lambda fraction, stage: None)
        started = time.perf_counter()
        report(0.0, "Decoding the video and reading faces")
        track = _FaceTrack(self.faces, video_duration(path), report)
        tracks = read_video(path, track, fps=fps, max_seconds=max_seconds)
        frames, face_seconds = track.frames, track.seconds
        decoded = time.perf_counter()
        report(0.8, "Reading the voice")
        audio = None
        if tracks.audio is not None and tracks.audio.shape[0] >= MIN_SECONDS * SAMPLE_RATE:
            audio = self._speech(tracks.audio)
        voiced = time.perf_counter()
        report(0.95, "Fusing voice and face")
        fused = self._fuse(audio, frames, tracks.duration)
        notes = [*tracks.notes, *_channel_notes(audio, tracks.audio, frames)]
        timings = {
            "decode": decoded - started - face_seconds,
            "faces": face_seconds,
            "voice": voiced - decoded,
            "fusion": time.perf_counter() - voiced,
        }
        return VideoResult(tracks.duration, audio, frames, fused, notes, track.keyframe, timings)

    def _fuse(self, audio: AudioResult | None, frames: list[FrameFaces], duration: float) -> FusedResult:
        """Fuse per window (the speech model's windows, or the same grid over a silent video) and
        for the whole clip; a channel with nothing in a window drops out of that window."""
        if audio is not None:
            spans = [(w.start, w.end, w.probs) for w in audio.windows]
        else:
            spans = [(s / SAMPLE_RATE, e / SAMPLE_RATE, None)
                     for s, e in window_bounds(round(duration * SAMPLE_RATE), self.speech.spec)]
        windows = []
        for i, (start, end, voice) in enumerate(spans):
            last = i == len(spans) - 1
            face = mean_distribution([f.faces[0].probs for f in frames
                                      if f.faces and start <= f.t and (f.t < end or last)])
            probs, channels = fuse(voice, face, self.fusion_weights)
            windows.append(FusedWindow(start, end, probs, channels))
        face = mean_distribution([f.faces[0].probs for f in frames if f.faces])
        probs, channels = fuse(None if audio is None else audio.probs, face, self.fusion_weights)
        return FusedResult(probs, channels, windows)


class _FaceTrack:
    """read_video's frame callback: the faces of each sampled frame, and the frame to show (the
    one whose main face is largest), with progress as decoding goes."""

    def __init__(self, faces: Callable[[np.ndarray], list[FaceResult]], duration: float | None, report: Progress):
        self._faces, self._duration, self._report = faces, duration, report
        self.frames: list[FrameFaces] = []
        self.keyframe: Keyframe | None = None
        self.seconds = 0.0  # time spent on faces, apart from decoding

    def __call__(self, t: float, rgb: np.ndarray) -> None:
        tic = time.perf_counter()
        # Full range: a video's faces may be anywhere in the frame, not only near a webcam.
        faces = self._faces(rgb)
        self.seconds += time.perf_counter() - tic
        self.frames.append(FrameFaces(t, faces))
        if self.keyframe is None or _main_area(faces) > _main_area(self.keyframe.faces):
            self.keyframe = Keyframe(t, rgb.copy(), faces)
        if self._duration:
            self._report(0.8 * min(1.0, t / self._duration), "Decoding the video and reading faces")


def _main_area(faces: list[FaceResult]) -> int:
    return faces[0].box[2] * faces[0].box[3] if faces else 0


def _channel_notes(audio: AudioResult | None, samples: np.ndarray | None, frames: list[FrameFaces]) -> list[str]:
    """What a person should know about the channels: which one was silent, how often a face showed."""
    notes = []
    if samples is not None and audio is None:
        notes.append("the audio track is too short to read (under 0.25 s): the reading is the face alone")
    elif audio is not None and audio.probs is None:
        notes.append("no speech in the audio: the reading is the face alone")
    seen = sum(1 for f in frames if f.faces)
    if seen == 0:
        notes.append("no face in any sampled frame: the reading is the voice alone")
    elif seen < len(frames):
        notes.append(f"a face was found in {seen} of {len(frames)} sampled frames")
    if seen == 0 and (audio is None or audio.probs is None):
        notes.append("neither a voice nor a face: no reading")
    return notes
