"""Every cap on what one input may cost, in one place: read once from the environment at import.

    EMOTION_MAX_AUDIO_SECONDS   longest recording analysed, in seconds (default 300)
    EMOTION_MAX_VIDEO_SECONDS   longest video analysed, in seconds (default 120)
    EMOTION_MAX_UPLOAD_MB       largest file the app accepts, in MB (default 200)
    EMOTION_MAX_IMAGE_PIXELS    largest image, in pixels (default 50000000: 50 MP)
    EMOTION_MAX_VIDEO_PIXELS    largest video frame, in pixels (default 8294400: 4K)
    EMOTION_UPLOAD_TTL_MINUTES  how long the app keeps uploaded files and results (default 60)

A value that is not a positive number is ignored: the default applies, and a warning says why,
so a typo in a Space's variables never stops the app. Sanity bounds that no deployment needs to
change (sample rates, aspect ratio) are constants below. Durations are always decided from what
decodes, never from what a header claims: a header can only make a file refused sooner.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

logger = logging.getLogger(__name__)

# Audio outside these sample rates is a broken or hostile header, not a recording: a 1 Hz "WAV"
# would be resampled into gigabytes.
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 192_000
# An image or frame whose sides differ more than this is a strip, not a photo of a face.
MAX_ASPECT_RATIO = 20.0


def env_number(env: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    """`env[name]` as a positive number of `kind`; unset or empty: `default`; anything else that
    is not a positive finite number: `default`, with a warning that names the variable and value."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(float(raw))
    except (ValueError, OverflowError):
        logger.warning("%s=%r is not a number; using the default, %s", name, raw, default)
        return default
    if not math.isfinite(value) or value <= 0:
        logger.warning("%s=%r is not a positive number; using the default, %s", name, raw, default)
        return default
    return value


@dataclass(frozen=True)
class Limits:
    max_audio_seconds: float = 300.0  # a 5 min recording takes about 30 s of one core to read
    max_video_seconds: float = 120.0
    max_upload_mb: float = 200.0
    max_image_pixels: int = 50_000_000  # a 50 MP photo decodes in about a second
    max_video_pixels: int = 3840 * 2160  # 4K; larger frames decode at seconds each
    upload_ttl_minutes: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Limits:
        return cls(**{
            f.name: env_number(env, f"EMOTION_{f.name.upper()}", f.default, type(f.default))
            for f in fields(cls)
        })

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


def duration_text(seconds: float) -> str:
    """A duration as people say it: "45 s", "2.5 min"."""
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def too_long(what: str, limit: float, seconds: float | None = None) -> str:
    """The message for an input over its duration limit; `seconds` None: known only to exceed it."""
    if seconds is None:
        return f"the {what} is longer than {duration_text(limit)}, the limit"
    return f"the {what} is {duration_text(seconds)} long; the limit is {duration_text(limit)}"


def megapixels_text(pixels: int) -> str:
    return f"{pixels / 1e6:.3g} MP"


# Read once, at import. Code reads limits.LIMITS at call time (never a copy), so a test can swap it.
LIMITS = Limits.from_env()
