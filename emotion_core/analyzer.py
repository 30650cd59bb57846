"""The one entry point presenters use: load the model set once, analyse files or arrays."""

from __future__ import annotations

import os
from functools import cached_property

import numpy as np

from .audio import check_duration, load_audio, to_mono_16k
from .face import FaceDetector, FaceModel, analyze_faces, whole_face
from .image import as_rgb, load_image
from .model_set import ModelSet, load_model_set
from .results import AudioResult, ImageResult
from .speech import SpeechModel


class Analyzer:
    """Holds the loaded models; build one per process and reuse it for every request."""

    def __init__(self, model_set: ModelSet | None = None):
        self.model_set = model_set or load_model_set()

    def load(self) -> Analyzer:
        """Load every model now, so a broken set fails here (start-up), not on a first request."""
        self.speech, self.face, self.face_detector  # noqa: B018 (cached properties)
        return self

    @cached_property
    def speech(self) -> SpeechModel:
        return SpeechModel(self.model_set)

    def analyze_audio(self, source: str | os.PathLike | tuple[int, np.ndarray]) -> AudioResult:
        """A file path, or (sample_rate, samples) as a microphone component delivers it."""
        if isinstance(source, tuple):
            rate, samples = source
            audio = check_duration(to_mono_16k(samples, rate))
        else:
            audio = load_audio(source)
        return self.speech.analyze(audio)

    @cached_property
    def face_detector(self) -> FaceDetector:
        return FaceDetector(self.model_set)

    @cached_property
    def face(self) -> FaceModel:
        return FaceModel(self.model_set)

    def analyze_image(
        self, source: str | os.PathLike | np.ndarray, webcam: bool = False, whole: bool = False
    ) -> ImageResult:
        """A file path or an image array. `webcam` picks the short-range detector (faces within
        ~2 m); `whole` skips detection and takes the whole image as one face crop."""
        rgb = as_rgb(source) if isinstance(source, np.ndarray) else load_image(source)
        if whole:
            faces = [whole_face(self.face, rgb)]
        else:
            faces = analyze_faces(self.face_detector, self.face, rgb, short_range=webcam)
        return ImageResult(faces, width=rgb.shape[1], height=rgb.shape[0])
