"""Decoding any image a browser, a phone or a user sends into uint8 RGB, upright.

Pillow reads the formats and applies the EXIF orientation phones record instead of rotating
pixels; every mode (grayscale, 16-bit, palette, RGBA, CMYK) ends as (h, w, 3) uint8.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError

MIN_SIDE = 16  # below this nothing is recognisable as a face
MAX_PIXELS = 50_000_000  # a 50 MP photo is still fine; beyond it decoding alone takes seconds


class ImageError(InputError):
    """The input cannot be turned into an analysable image; the message is safe to show a user."""


def is_image_file(path: str | os.PathLike) -> bool:
    """Whether Pillow reads files with this extension (the CLI sends everything else to audio)."""
    return os.path.splitext(str(path))[1].lower() in Image.registered_extensions()


def load_image(path: str | os.PathLike) -> np.ndarray:
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(f"the image is too large ({image.width}x{image.height}); the limit is {MAX_PIXELS // 1_000_000} MP")
            image = ImageOps.exif_transpose(image)
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                pixels = np.asarray(image, dtype=np.float64)
                top = pixels.max()
                image = Image.fromarray((pixels * (255.0 / top) if top > 0 else pixels).astype(np.uint8))
            return as_rgb(np.asarray(image.convert("RGB")))
    except FileNotFoundError:
        raise ImageError(f"no such file: {path}") from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ImageError(f"cannot read this image ({exc})") from exc


def as_rgb(image: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 of a grayscale, RGB or RGBA array; float arrays are read as 0..1 or 0..255."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageError(f"expected a grayscale, RGB or RGBA image, got an array of shape {image.shape}")
    if min(image.shape[:2]) < MIN_SIDE:
        raise ImageError(f"the image is too small ({image.shape[1]}x{image.shape[0]}); it needs at least {MIN_SIDE} pixels a side")
    if image.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(image.dtype, np.floating) and image.max() <= 1.0 else 1.0
        image = np.clip(image * scale, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])
