"""The one entry point presenters use: load the model set once, analyse files or arrays.

Every analysis returns a plain result that also carries its decoded input (see results.py), so
presenters never decode anything themselves.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property

import numpy as np

from .baseline import Baseline, fit_shift, relative_face
from .decode.audio import MIN_SECONDS, SAMPLE_RATE, check_duration, load_audio, to_mono_16k
from .decode.image import as_rgb, is_image_file, load_image
from .decode.video import FRAMES_PER_SECOND, has_video, read_video, video_duration
from .errors import InputError
from .face.face import FaceDetector, FaceModel, analyze_faces, whole_face
from .face.face_crop import FACE_SIZE
from .fusion import DEFAULT_WEIGHTS, FusionWeights, fuse
from .model_set import ModelSet, load_model_set
from .native_log import collapsed_stderr
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
    main_face_mean,
)
from .voice.features import window_bounds
from .voice.speech import SpeechModel
from .voice.vad import VoiceActivity

# progress(fraction done, what is happening now): how a presenter follows a long analysis
Progress = Callable[[float, str], None]


def input_kind(path: str | os.PathLike) -> str:
    """"image" (any extension Pillow reads), "video" (a file with a real video stream) or "audio"."""
    if is_image_file(path):
        return "image"
    return "video" if has_video(path) else "audio"


def warmup_signal(seconds: float = 3.0) -> np.ndarray:
    """A voice-like 16 kHz signal: syllables (a gliding tone with harmonics falling off as 1/k, 4 a
    second, then a pause) over faint noise. Unlike silence it takes every branch of the speech
    features (pitch, onsets, active frames) and of voice activity, so whatever a first call sets
    up (FFT plans, LAPACK, lazy imports) is set up at start-up, not on a visitor's request."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 140.0 + 60.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t), 0.0, None) ** 2 * (t % 1.0 < 0.7)
    noise = np.random.default_rng(0).normal(0.0, 0.003, t.size)
    return (0.3 * voice * syllables / 3.0 + noise).astype(np.float32)


class Models:
    """One worker's models: the speech and face interpreters, the face detectors and the voice-
    activity model, each loaded on first use. None of them is thread-safe (LiteRT interpreters,
    MediaPipe graphs and Silero's recurrent state all keep per-call state), so a Models serves one
    thread at a time; the Analyzer's pool hands each call a Models of its own."""

    def __init__(self, model_set: ModelSet):
        self.model_set = model_set

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

    def load(self) -> Models:
        """Load every model and run each once: a first call pays for the interpreter's buffers,
        MediaPipe's graph start and the feature code's set-up."""
        signal = warmup_signal(self.speech.spec.window_seconds)
        self.speech.window_probs(signal)
        self.vad.speech_windows(signal, [(0.0, signal.shape[0] / SAMPLE_RATE)])
        self.face.probs(np.full((FACE_SIZE, FACE_SIZE), 128, np.uint8))
        blank = np.full((240, 320, 3), 128, np.uint8)
        for short_range in (False, True):
            self.face_detector.detect(blank, short_range)
        return self


def _first_workers(name: str) -> property:
    """The first worker's model `name` (loaded on first use), as a read-only attribute."""
    return property(lambda self: getattr(self.workers[0], name), doc=f"The first worker's {name} model.")


class Analyzer:
    """Holds the loaded models; build one per process and reuse it for every request.

    `workers` sets how many analyses may run at once: each worker has its own models (Models),
    checked out for one call (a recording, an image, one video frame) and returned after it, so
    calls in different threads never share an interpreter, and a long video and a live stream
    served at once interleave instead of one waiting for the other to finish. A call waits while
    every worker is busy. Results do not depend on which worker, or how many, served them.
    """

    def __init__(self, model_set: ModelSet | None = None, workers: int = 1):
        if workers < 1:
            raise ValueError(f"an Analyzer needs at least one worker, not {workers}")
        self.model_set = model_set or load_model_set()
        self.workers = [Models(self.model_set) for _ in range(workers)]
        # Last in, first out: a lightly loaded server keeps using the first worker, whose models
        # (loaded on first use when load() was not called) are then the only ones loaded.
        self._idle: queue.LifoQueue[Models] = queue.LifoQueue()
        for models in reversed(self.workers):
            self._idle.put(models)

    def load(self) -> Analyzer:
        """Load every worker's models now and run each once, so a broken set fails here (start-up),
        not on a first request, and no first request pays for compilation or first-call set-up."""
        with collapsed_stderr():  # the native libraries' first-load chatter, once per message
            for models in self.workers:
                models.load()
        return self

    @contextmanager
    def models(self) -> Iterator[Models]:
        """A worker's models for the duration of one call, for this thread alone."""
        models = self._idle.get()
        try:
            yield models
        finally:
            self._idle.put(models)

    # The first worker's models, for their settings (labels, the feature spec) and for callers that
    # use one thread only (the CLI, benchmarks, calibration scripts); serving goes through models().
    speech = _first_workers("speech")
    vad = _first_workers("vad")
    face_detector = _first_workers("face_detector")
    face = _first_workers("face")

    @cached_property
    def fusion_weights(self) -> FusionWeights:
        """The weights fitted on validation pairs (training/evaluate_fusion.py) that the set ships."""
        entry = self.model_set.manifest.fusion
        return DEFAULT_WEIGHTS if entry is None else FusionWeights(entry.voice_weight, entry.face_weight)

    @cached_property
    def uncertain_below(self) -> dict[tuple[str, ...], float | None]:
        """The "uncertain" threshold of a reading by the channels it rests on, as the set ships them
        (training/calibrate_confidence.py, training/evaluate_fusion.py); None: never uncertain."""
        fusion = self.model_set.manifest.fusion
        return {
            (): None,
            ("voice",): self.model_set.speech.uncertain_below,
            ("face",): self.model_set.face.uncertain_below,
            ("voice", "face"): None if fusion is None else fusion.uncertain_below,
        }

    def fuse(self, voice: dict[str, float] | None, face: dict[str, float] | None
             ) -> tuple[dict[str, float] | None, tuple[str, ...], float | None]:
        """Voice and face readings together, the one way files and the Live session both fuse: the
        set's weights, the channels that had a reading, and the "uncertain" threshold for those channels."""
        probs, channels = fuse(voice, face, self.fusion_weights)
        return probs, channels, self.uncertain_below[channels]

    def analyze_file(self, path: str | os.PathLike, whole_face: bool = False, progress: Progress | None = None,
                     baseline: Baseline | None = None) -> Result:
        """Any file, by its kind (input_kind); relative to a personal `baseline` when one is given."""
        kind = input_kind(path)
        if kind == "image":
            return self.analyze_image(path, whole=whole_face, baseline=baseline)
        if kind == "video":
            return self.analyze_video(path, progress=progress, baseline=baseline)
        return self.analyze_audio(path, baseline=baseline)

    def analyze_audio(self, source: str | os.PathLike | tuple[int, np.ndarray],
                      baseline: Baseline | None = None, progress: Progress | None = None) -> AudioResult:
        """A file path, or (sample_rate, samples) as a microphone component delivers it."""
        report = progress or (lambda fraction, stage: None)
        report(0.0, "Decoding the recording")
        if isinstance(source, tuple):
            rate, samples = source
            audio = check_duration(to_mono_16k(samples, rate))
        else:
            audio = load_audio(source)
        return self._speech(audio, baseline, lambda done: report(round(0.1 + 0.9 * done, 4), "Reading the voice"))

    def _speech(self, audio: np.ndarray, baseline: Baseline | None = None,
                progress: Callable[[float], None] | None = None) -> AudioResult:
        """The speech channel; `progress` gets the fraction of windows read, window by window."""
        step = None if progress is None else (lambda i, n: progress(i / n))
        with self.models() as m:
            result = m.speech.analyze(audio, m.vad, baseline, step)
        if progress:
            progress(1.0)
        return result

    def analyze_image(
        self, source: str | os.PathLike | np.ndarray, webcam: bool = False, whole: bool = False,
        baseline: Baseline | None = None,
    ) -> ImageResult:
        """A file path or an image array. `webcam` picks the short-range detector (faces within
        ~2 m); `whole` skips detection and takes the whole image as one face crop."""
        rgb = as_rgb(source) if isinstance(source, np.ndarray) else load_image(source)
        if whole:
            with self.models() as m:
                faces = [relative_face(whole_face(m.face, rgb), baseline.face if baseline else None)]
        else:
            faces = self.faces(rgb, webcam, tiled=not webcam, baseline=baseline)  # a photo: small faces too
        return ImageResult(faces, width=rgb.shape[1], height=rgb.shape[0], rgb=rgb)

    def faces(self, rgb: np.ndarray, webcam: bool = False, tiled: bool = False,
              baseline: Baseline | None = None) -> list[FaceResult]:
        """Every face of one uint8 RGB frame, largest first (the live stream's per-frame call).
        `tiled` also searches tiles for small faces (photos: see face_tiles.py); frames are one pass."""
        with self.models() as m:
            faces = analyze_faces(m.face_detector, m.face, rgb, short_range=webcam, tiled=tiled)
        return [relative_face(f, baseline.face if baseline else None) for f in faces]

    def fit_baseline(self, voice: list[dict[str, float]], faces: list[dict[str, float]]) -> Baseline | None:
        """A personal baseline from readings of a person being neutral: voice windows and faces
        (each channel's shift needs that model's BaselineFit in the manifest); None if neither fits."""
        shifts = {}
        for channel, readings, entry in (("voice", voice, self.model_set.speech), ("face", faces, self.model_set.face)):
            if entry.baseline is not None:
                shifts[channel] = fit_shift(readings, entry.baseline.reference, entry.labels, entry.baseline.weight)
        baseline = Baseline(**shifts, voice_windows=len(voice) if shifts.get("voice") else 0,
                            face_frames=len(faces) if shifts.get("face") else 0)
        return baseline if baseline.voice or baseline.face else None

    def baseline_from_file(self, path: str | os.PathLike, progress: Progress | None = None) -> Baseline:
        """A personal baseline from a recording, photo or video of the person being neutral: every
        window of speech and the main face of every sampled frame. Raises InputError when the file
        has neither a voice nor a face to learn from."""
        result = self.analyze_file(path, progress=progress)
        voice, faces = [], []
        if isinstance(result, ImageResult):
            faces = [result.faces[0].probs] if result.faces else []
        else:
            audio = result if isinstance(result, AudioResult) else result.audio
            voice = [w.probs for w in audio.windows if w.probs] if audio else []
            faces = [f.faces[0].probs for f in result.frames if f.faces] if isinstance(result, VideoResult) else []
        baseline = self.fit_baseline(voice, faces)
        if baseline is None:
            raise InputError("it holds no speech and no face to learn a neutral baseline from")
        return baseline

    def analyze_video(
        self,
        path: str | os.PathLike,
        fps: float = FRAMES_PER_SECOND,
        max_seconds: float | None = None,  # None: the limit, limits.LIMITS.max_video_seconds
        progress: Progress | None = None,
        baseline: Baseline | None = None,
    ) -> VideoResult:
        """Both channels of a video on one timeline, fused per window and for the whole clip."""
        report = progress or (lambda fraction, stage: None)
        started = time.perf_counter()
        report(0.0, "Decoding the video and reading faces")
        track = _FaceTrack(lambda rgb: self.faces(rgb, baseline=baseline), video_duration(path), report)
        tracks = read_video(path, track, fps=fps, max_seconds=max_seconds)
        frames, face_seconds = track.frames, track.seconds
        decoded = time.perf_counter()
        report(0.8, "Reading the voice")
        audio = None
        if tracks.audio is not None and tracks.audio.shape[0] >= MIN_SECONDS * SAMPLE_RATE:
            audio = self._speech(tracks.audio, baseline, lambda done: report(round(0.8 + 0.15 * done, 4), "Reading the voice"))
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
        return VideoResult(tracks.duration, audio, frames, fused, notes, track.keyframe, timings,
                           face_uncertain_below=self.uncertain_below[("face",)])

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
            face = main_face_mean(frames, start, end, through_end=last)
            probs, channels, _ = self.fuse(voice, face)
            windows.append(FusedWindow(start, end, probs, channels))
        probs, channels, uncertain_below = self.fuse(None if audio is None else audio.probs, main_face_mean(frames))
        return FusedResult(probs, channels, windows, uncertain_below)


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
