"""From a face box to the face model's input: the one preprocessing that training and serving share.

FER2013 frames sit a little wider than a BlazeFace box and a little higher (more forehead, less
chin), so a detector's box is made square, widened and lifted by the amounts measured on FER2013
itself (training/calibrate_crop.py) before it is cut out; the crop is then standardised per image, which makes the
model indifferent to a webcam's exposure and, mostly, its contrast (the softening term keeps the
sensor noise of a nearly flat crop from being blown up to full contrast).
"""

from __future__ import annotations

import cv2
import numpy as np

FACE_SIZE = 48  # the face model's input is FACE_SIZE x FACE_SIZE x 1
# Medians from training/results/face_crop_calibration.json, as fractions of the box size.
MARGIN = 0.075  # widening of each side of a detector box
LIFT = 0.072  # upward shift of the crop's centre
CONTRAST_FLOOR = 8.0  # grey levels added to a crop's standard deviation before dividing by it


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


def face_input(gray_face: np.ndarray) -> np.ndarray:
    """The model tensor (FACE_SIZE, FACE_SIZE, 1) float32 of a grayscale face crop: resized, then
    zero mean and unit variance per image."""
    if gray_face.shape != (FACE_SIZE, FACE_SIZE):
        shrinking = min(gray_face.shape) > FACE_SIZE
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        gray_face = cv2.resize(gray_face, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)
    x = gray_face.astype(np.float32)
    x = (x - x.mean()) / (x.std() + CONTRAST_FLOOR)
    return x[:, :, None]
