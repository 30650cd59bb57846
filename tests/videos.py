"""Real test videos, muxed with PyAV from a real face (skimage's astronaut) and real speech
(RAVDESS actor 1), in every shape the video pipeline must handle.

Each video is 640x480; the face (when shown) sits on a grey background at a fixed place, so the
tests know where it is and when it is on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import soundfile as sf

from emotion_core.decode.audio import SAMPLE_RATE

WIDTH, HEIGHT = 640, 480
FPS = 15
SECONDS = 6.0
FACE_BOX = (200, 100, 260, 260)  # x, y, w, h of the pasted face


def face_frame(face_rgb: np.ndarray) -> np.ndarray:
    frame = np.full((HEIGHT, WIDTH, 3), 110, np.uint8)
    x, y, w, h = FACE_BOX
    frame[y : y + h, x : x + w] = cv2.resize(face_rgb, (w, h), interpolation=cv2.INTER_AREA)
    return frame


def no_face_frame(other_rgb: np.ndarray) -> np.ndarray:
    return cv2.resize(other_rgb, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def speech(clip_paths: list[Path], seconds: float = SECONDS) -> np.ndarray:
    """Real sentences one after another, cut to `seconds` of 16 kHz mono."""
    parts = [sf.read(p, dtype="float32")[0] for p in clip_paths]
    audio = np.concatenate(parts * (1 + int(seconds * SAMPLE_RATE) // sum(len(p) for p in parts)))
    return audio[: int(seconds * SAMPLE_RATE)]


def mux(
    path: Path,
    frames: Iterable[np.ndarray] | None,
    audio: np.ndarray | None,
    times: list[float] | None = None,
    rotation: int = 0,
    fps: int = FPS,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Path:
    """Write H.264 frames of `size` (at `times`, default every 1/fps s) and AAC audio at 48 kHz stereo."""
    with av.open(str(path), "w") as container:
        video = None
        if frames is not None:
            video = container.add_stream("libx264", rate=fps)
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            video.codec_context.time_base = Fraction(1, 1000)
            if rotation:
                video.set_display_rotation(rotation)
        sound = container.add_stream("aac", rate=48_000, layout="stereo") if audio is not None else None
        if video is not None:
            for i, rgb in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = round((times[i] if times else i / fps) * 1000)
                frame.time_base = Fraction(1, 1000)
                container.mux(video.encode(frame))
            container.mux(video.encode(None))
        if sound is not None:
            import soxr

            up = soxr.resample(audio, SAMPLE_RATE, 48_000).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(np.stack([up, up]).T.reshape(1, -1).copy(), format="flt", layout="stereo")
            frame.sample_rate = 48_000
            container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path


def build_videos(folder: Path, face_rgb: np.ndarray, other_rgb: np.ndarray, clip_paths: list[Path]) -> dict[str, Path]:
    """Name -> video file: normal, no_audio, silent_audio, no_face, face_leaves, vfr, rotated, corrupt."""
    n = int(SECONDS * FPS)
    face, empty = face_frame(face_rgb), no_face_frame(other_rgb)
    voice = speech(clip_paths)
    videos = {
        "normal": mux(folder / "normal.mp4", [face] * n, voice),
        "no_audio": mux(folder / "no_audio.mp4", [face] * n, None),
        "silent_audio": mux(folder / "silent_audio.mp4", [face] * n, np.zeros_like(voice)),
        "no_face": mux(folder / "no_face.mp4", [empty] * n, voice),
        # The face for the first half only.
        "face_leaves": mux(folder / "face_leaves.mp4", [face] * (n // 2) + [empty] * (n - n // 2), voice),
        # Frames bunched at 30 fps, then a 1 s gap, then sparse at 4.5 fps: as a phone does under load.
        "vfr": mux(folder / "vfr.mp4", [face] * 40,
                   voice, times=[i / 30 for i in range(20)] + [1.67 + i * 0.22 for i in range(20)]),
        # A portrait phone clip: stored sideways, with the rotation that turns it upright.
        "rotated": mux(folder / "rotated.mov", [np.ascontiguousarray(np.rot90(face, -1))] * n, voice, rotation=90,
                       size=(HEIGHT, WIDTH)),
    }
    corrupt = folder / "corrupt.mp4"
    data = videos["normal"].read_bytes()
    corrupt.write_bytes(data[:2000] + np.random.default_rng(2).bytes(len(data) // 3))
    videos["corrupt"] = corrupt
    return videos
