"""Decoding any image a browser, a phone or a user sends into uint8 RGB, upright.

Pillow reads the formats and applies the EXIF orientation phones record instead of rotating
pixels; every mode (grayscale, 16-bit, palette, RGBA, CMYK) ends as (h, w, 3) uint8. The size is
checked from the header, before any pixel is decoded (limits.py), so a small file that declares
a huge image costs nothing.
"""

from __future__ import annotations

import os
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .. import limits
from ..errors import InputError
from ..limits import MAX_ASPECT_RATIO, megapixels_text

MIN_SIDE = 16  # below this nothing is recognisable as a face
READABLE = "jpg, png, webp, bmp, tiff, gif, ..."  # what messages name: Pillow reads many more
# Formats people call images that Pillow cannot read: refused as images, not tried as sound.
UNREADABLE_IMAGE_EXTENSIONS = frozenset({".svg", ".svgz", ".heic", ".heif"})

# Pillow warns about images over 89 MP as possible decompression bombs; check_size refuses them
# first (limits.LIMITS.max_image_pixels), so the warning would only be noise in the logs.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageError(InputError):
    """The input cannot be turned into an analysable image; the message is safe to show a user."""


def is_image_file(path: str | os.PathLike) -> bool:
    """Whether the extension is an image's (the CLI sends everything else to audio or video)."""
    extension = os.path.splitext(str(path))[1].lower()
    return extension in Image.registered_extensions() or extension in UNREADABLE_IMAGE_EXTENSIONS


def check_size(width: int, height: int, subject: str = "the image is", max_pixels: int | None = None) -> None:
    """Refuse a picture too small to hold a face, too large to decode in time, or a thin strip."""
    max_pixels = limits.LIMITS.max_image_pixels if max_pixels is None else max_pixels
    size = f"{width}x{height}"
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"{subject} too small ({size}); at least {MIN_SIDE} pixels a side are needed")
    if width * height > max_pixels:
        raise ImageError(f"{subject} too large ({size}); the limit is {megapixels_text(max_pixels)}")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise ImageError(
            f"{subject} too narrow ({size}); one side may be at most {MAX_ASPECT_RATIO:g} times the other"
        )


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Decode a file to upright (h, w, 3) uint8 RGB, raising ImageError with a user-facing reason;
    its size is checked from the header before any pixel is decoded."""
    try:
        if os.path.getsize(path) == 0:
            raise ImageError("the file is empty")
        with Image.open(path) as image:
            check_size(image.width, image.height)
            image = ImageOps.exif_transpose(image)
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                pixels = np.asarray(image, dtype=np.float64)
                top = pixels.max()
                image = Image.fromarray((pixels * (255.0 / top) if top > 0 else pixels).astype(np.uint8))
            return as_rgb(np.asarray(image.convert("RGB")))
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except Image.DecompressionBombError as exc:  # over twice Pillow's own limit: refused at open
        limit = megapixels_text(limits.LIMITS.max_image_pixels)
        raise ImageError(f"the image is too large; the limit is {limit}") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"cannot read this image: not a format the app reads ({READABLE})") from exc
    # What Pillow raises on a truncated or garbled file (its messages name the file: not shown).
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError) as exc:
        raise ImageError("cannot read this image: the file is truncated or corrupt") from exc


def as_rgb(image: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 of a grayscale, RGB or RGBA array; float arrays are read as 0..1 or 0..255."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageError(f"expected a grayscale, RGB or RGBA image, got an array of shape {image.shape}")
    check_size(image.shape[1], image.shape[0])
    if image.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(image.dtype, np.floating) and image.max() <= 1.0 else 1.0
        image = np.clip(image * scale, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])
