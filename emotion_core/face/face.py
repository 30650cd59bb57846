"""The face pipeline: RGB image -> BlazeFace boxes -> crops -> LiteRT face CNN -> calibrated distributions."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..calibration import apply_temperature
from ..model_set import ModelSet, ModelSetError
from ..native_log import collapsed_stderr
from ..results import FaceResult, distribution
from ..runtime import TFLiteModel
from .face_crop import Views, crop, square_box, to_gray, view_inputs
from .face_tiles import Found, search

MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the original image
    score: float


def import_mediapipe():
    """MediaPipe and the parts of its Tasks API the detector uses. Imported on first use, not at the
    top: it takes over a second (and imports TensorFlow wherever that is installed), which
    audio-only use should never pay. A server imports it before forking its worker processes, so
    that they share the import instead of each paying for it again."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    return mp, BaseOptions, vision


class FaceDetector:
    """MediaPipe Tasks FaceDetector with both BlazeFace models: short range for webcams, full
    range for photos, where faces can be small in a large frame."""

    def __init__(self, model_set: ModelSet, min_confidence: float = MIN_CONFIDENCE):
        mp, BaseOptions, vision = import_mediapipe()
        self._mp = mp
        entry = model_set.face_detector
        try:
            with collapsed_stderr():  # LiteRT says "Sparsity tensors ..." once per tensor (native_log.py)
                self._detectors = {
                    rng: vision.FaceDetector.create_from_options(
                        vision.FaceDetectorOptions(
                            base_options=BaseOptions(model_asset_path=str(model_set.path(file))),
                            min_detection_confidence=min_confidence,
                        )
                    )
                    for rng, file in (("short_range", entry.short_range), ("full_range", entry.full_range))
                }
        except (RuntimeError, ValueError) as exc:
            raise ModelSetError(f"the face detector from {model_set.source} is not usable: {exc!r}") from exc
        # MediaPipe's finaliser fails once interpreter exit has stopped its worker thread, so close
        # first, the way concurrent.futures itself hooks that moment.
        threading._register_atexit(self.close)

    def close(self) -> None:
        for detector in self._detectors.values():
            detector.close()
        self._detectors.clear()

    def detect(self, rgb: np.ndarray, short_range: bool = False, tiled: bool = False) -> list[Detection]:
        """Faces in a uint8 RGB image, largest first. `tiled` (photos, full range only) also
        searches overlapping tiles at finer scales, for the small faces of a group or of a large
        photo (face_tiles.py); without it, one pass, as for webcam and video frames."""
        detector = self._detectors["short_range" if short_range else "full_range"]
        found = search(lambda image: self._pass(detector, image), rgb, tiled=tiled and not short_range)
        detections = [Detection(box, score) for box, score in found]
        return sorted(detections, key=lambda d: d.box[2] * d.box[3], reverse=True)

    def _pass(self, detector, rgb: np.ndarray) -> Found:
        """One detector pass; boxes clipped to the image, in its pixels."""
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        found = []
        for d in detector.detect(image).detections:
            b = d.bounding_box
            x0, y0 = max(0, b.origin_x), max(0, b.origin_y)
            x1, y1 = min(rgb.shape[1], b.origin_x + b.width), min(rgb.shape[0], b.origin_y + b.height)
            if x1 > x0 and y1 > y0:
                found.append(((x0, y0, x1 - x0, y1 - y0), float(d.categories[0].score)))
        return found


def face_probs(model: TFLiteModel, input_name: str, gray_face: np.ndarray, views: Views) -> np.ndarray:
    """The face CNN's probabilities for one crop: the mean over its `views`."""
    return np.mean([model(**{input_name: x})["probs"] for x in view_inputs(gray_face, views)], axis=0)


class FaceModel:
    """The face CNN; the manifest says which labels it emits, which views of a crop it averages,
    and the temperature and "uncertain" threshold it was calibrated with."""

    def __init__(self, model_set: ModelSet):
        entry = model_set.face
        self.labels: tuple[str, ...] = entry.labels
        self.temperature = entry.temperature
        self.uncertain_below = entry.uncertain_below
        self._input = entry.input.tensor
        self.views = Views.from_manifest(entry.input)
        try:
            self._model = TFLiteModel(model_set.path(entry.file))
        except ValueError as exc:
            raise ModelSetError(f"the face model from {model_set.source} is not usable: {exc!r}") from exc

    def probs(self, gray_face: np.ndarray) -> np.ndarray:
        """The model's class probabilities of one grayscale face crop of any size, before
        calibration (what evaluation scores and calibration fits)."""
        return face_probs(self._model, self._input, gray_face, self.views)

    def result(self, box: tuple[int, int, int, int], score: float, gray_face: np.ndarray) -> FaceResult:
        """One face's reading: the calibrated distribution of its crop (the top label is unchanged)."""
        probs = apply_temperature(self.probs(gray_face), self.temperature)
        return FaceResult(box, score, distribution(self.labels, probs), uncertain_below=self.uncertain_below)

    def classify(self, gray: np.ndarray, detection: Detection) -> FaceResult:
        return self.result(detection.box, detection.score, crop(gray, square_box(detection.box)))


def analyze_faces(
    detector: FaceDetector, model: FaceModel, rgb: np.ndarray, short_range: bool = False, tiled: bool = False
) -> list[FaceResult]:
    """Every face found in the image, largest first."""
    gray = to_gray(rgb)
    return [model.classify(gray, d) for d in detector.detect(rgb, short_range, tiled)]


def whole_face(model: FaceModel, rgb: np.ndarray) -> FaceResult:
    """The whole image as one face crop (for already cropped data sets such as FER2013)."""
    gray = to_gray(rgb)
    box = (0, 0, gray.shape[1], gray.shape[0])
    return model.result(box, 1.0, gray)
