"""From a face box to the face model's input: the one preprocessing that training and serving share.

FER2013 frames sit a little wider than a BlazeFace box and a little higher (more forehead, less
chin), so a detector's box is made square, widened and lifted by the amounts measured on FER2013
itself (training/analyses/calibrate_crop.py) before it is cut out; the crop is then standardised per image, which makes the
model indifferent to a webcam's exposure and, mostly, its contrast (the softening term keeps the
sensor noise of a nearly flat crop from being blown up to full contrast).

Serving then looks at the crop the way training did (`Views`): training warps every crop at random
(zoom, rotation) and bilinear resampling softens it, so one sharp, unwarped crop lies outside what
the model learnt on. A little smoothing and the average over a few zoomed, rotated and mirrored
views close that gap; the manifest says which, as chosen on the validation split
(training/calibrate_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..model_set import FaceInput

FACE_SIZE = 48  # the face model's input is FACE_SIZE x FACE_SIZE x 1
# Medians from training/results/face_crop_calibration.json, as fractions of the box size.
MARGIN = 0.075  # widening of each side of a detector box
LIFT = 0.072  # upward shift of the crop's centre
CONTRAST_FLOOR = 8.0  # grey levels added to a crop's standard deviation before dividing by it
SMOOTHING_KERNEL = 3  # side of the Gaussian kernel that `smoothing` sets the sigma of


def to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 grayscale of an RGB, RGBA or already grayscale image (ITU-R 601 luma, as FER2013)."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)
    raise ValueError(f"not an image array of shape (h, w), (h, w, 1), (h, w, 3) or (h, w, 4): {image.shape}")


def square_box(
    box: tuple[int, int, int, int], margin: float = MARGIN, lift: float = LIFT
) -> tuple[int, int, int, int]:
    """The square (x, y, side, side) around box (x, y, w, h): each side widened by `margin` and the
    centre raised by `lift`, both in units of the box's longer side."""
    x, y, w, h = box
    size = max(w, h)
    side = size * (1.0 + 2.0 * margin)
    cx, cy = x + w / 2.0, y + h / 2.0 - lift * size
    return int(round(cx - side / 2)), int(round(cy - side / 2)), int(round(side)), int(round(side))


def crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels of box (x, y, w, h); parts outside the image repeat its edge, so faces at the
    border keep their position in the crop."""
    x, y, w, h = box
    rows = np.clip(np.arange(y, y + h), 0, gray.shape[0] - 1)
    cols = np.clip(np.arange(x, x + w), 0, gray.shape[1] - 1)
    return gray[np.ix_(rows, cols)]


def resize_face(gray_face: np.ndarray) -> np.ndarray:
    """A grayscale crop of any size at the model's FACE_SIZE x FACE_SIZE."""
    if gray_face.shape == (FACE_SIZE, FACE_SIZE):
        return gray_face
    shrinking = min(gray_face.shape) > FACE_SIZE
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(gray_face, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)


def face_input(gray_face: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """The model tensor (FACE_SIZE, FACE_SIZE, 1) float32 of a grayscale face crop: resized,
    smoothed by a Gaussian of sigma `smoothing` pixels (0: not at all), then zero mean and unit
    variance per image."""
    x = resize_face(gray_face).astype(np.float32)
    if smoothing > 0:
        x = cv2.GaussianBlur(x, (SMOOTHING_KERNEL, SMOOTHING_KERNEL), smoothing)
    x = (x - x.mean()) / (x.std() + CONTRAST_FLOOR)
    return x[:, :, None]


@dataclass(frozen=True)
class Views:
    """The views of one crop whose model outputs serving averages: every warp (zoom factor, degrees
    of rotation about the centre) of the resized crop, each also mirrored if `mirror`, all
    smoothed by a Gaussian of sigma `smoothing`. The default is the single plain crop."""

    mirror: bool = False
    smoothing: float = 0.0
    warps: tuple[tuple[float, float], ...] = ((1.0, 0.0),)

    @classmethod
    def from_manifest(cls, face_input: FaceInput) -> Views:
        """The views a face model's manifest entry names."""
        return cls(face_input.mirror_average, face_input.smoothing_sigma, face_input.warps)

    def to_manifest(self) -> dict:
        """The FaceInput fields that name these views (FaceInput(..., **views.to_manifest()))."""
        return {"mirror_average": self.mirror, "smoothing_sigma": self.smoothing, "warps": self.warps}

    @property
    def passes(self) -> int:
        """Model calls per crop."""
        return len(self.warps) * (2 if self.mirror else 1)


def warp(face: np.ndarray, zoom: float, degrees: float) -> np.ndarray:
    """A FACE_SIZE crop zoomed and rotated about its centre, its edges repeated where it runs out."""
    if (zoom, degrees) == (1.0, 0.0):
        return face
    centre = (FACE_SIZE / 2 - 0.5, FACE_SIZE / 2 - 0.5)
    matrix = cv2.getRotationMatrix2D(centre, degrees, zoom)
    return cv2.warpAffine(face, matrix, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def view_inputs(gray_face: np.ndarray, views: Views) -> list[np.ndarray]:
    """The model tensors of every view of one grayscale crop of any size."""
    face = resize_face(gray_face)
    tensors = [face_input(warp(face, zoom, degrees), views.smoothing) for zoom, degrees in views.warps]
    return tensors + [x[:, ::-1] for x in tensors] if views.mirror else tensors
