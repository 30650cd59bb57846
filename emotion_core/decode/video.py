"""Decoding a video file into its two channels in one pass: 16 kHz mono audio and sampled frames.

PyAV (FFmpeg) demuxes the audio and video streams together. Frames are kept at a fixed rate
by their own timestamps, so variable-frame-rate phone clips land on the right time; each kept
frame is turned upright by the file's rotation (display matrix), as a player would show it.
Frames are handed to a callback as they are decoded and not kept, so memory does not grow with
the length of the video.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from .. import limits
from ..errors import InputError
from ..limits import too_long
from .audio import SAMPLE_RATE, AudioError, AudioTrack
from .image import ImageError, check_size

FRAMES_PER_SECOND = 5.0  # frames analysed per second of video (bench/results/video_speed.json)


class VideoError(InputError):
    """The input cannot be analysed as a video; the message is safe to show a user."""


@dataclass
class VideoTracks:
    """What decoding found: the audio (None without an audio track) and the video's extent."""

    audio: np.ndarray | None
    duration: float  # seconds, the longer of the two streams as decoded
    frames_seen: int  # frames decoded
    frames_kept: int  # frames handed to the callback
    rotation: int  # degrees the frames were turned to be upright
    notes: list[str] = field(default_factory=list)


# What a file that FFmpeg cannot even open is taken for, so its error names the right kind.
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".avi", ".flv", ".3gp", ".mpg", ".mpeg", ".ts", ".wmv"})


def has_video(path: str | os.PathLike) -> bool:
    """Whether the file holds a real video stream (not just an album cover in an audio file); a
    file FFmpeg cannot open counts as a video when its extension is one."""
    try:
        with av.open(str(path)) as container:
            return bool(_real_videos(container))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def video_duration(path: str | os.PathLike) -> float | None:
    """The duration the container states (None when it states none, as browser recordings often)."""
    try:
        with av.open(str(path)) as container:
            return None if container.duration is None else container.duration / 1e6
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return None


def _real_videos(container: av.container.InputContainer) -> list[av.VideoStream]:
    return [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded frame as its display matrix says (`rotation`: degrees counterclockwise)."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def read_video(
    path: str | os.PathLike,
    on_frame: Callable[[float, np.ndarray], None],
    fps: float = FRAMES_PER_SECOND,
    max_seconds: float | None = None,
) -> VideoTracks:
    """Decode `path` once; call `on_frame(t, rgb)` for one upright frame every 1/fps seconds.

    Raises VideoError for a file that is not a readable video, has no video stream, has frames
    too small, too large or too narrow, or is longer than `max_seconds` (default: the limit,
    limits.LIMITS.max_video_seconds; refused up front when the container states a longer
    duration, else as soon as decoding passes it).
    """
    path = str(path)
    max_seconds = limits.LIMITS.max_video_seconds if max_seconds is None else max_seconds
    if not Path(path).is_file():
        raise VideoError("no such file")
    if os.path.getsize(path) == 0:
        raise VideoError("the file is empty")
    try:
        with av.open(path) as container:
            return _read(container, on_frame, fps, max_seconds)
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoError("not a readable video file") from exc


def _read(container: av.container.InputContainer, on_frame: Callable[[float, np.ndarray], None], fps: float, max_seconds: float) -> VideoTracks:
    videos = _real_videos(container)
    if not videos:
        raise VideoError("the file has no video stream")
    video = videos[0]
    video.thread_type = "AUTO"  # FFmpeg's frame threads: decoding is most of a video's cost
    if container.duration is not None and container.duration / 1e6 > max_seconds:
        raise VideoError(too_long("video", max_seconds, container.duration / 1e6))
    _check_frame_size(video.codec_context.width, video.codec_context.height)
    streams = [video, *container.streams.audio[:1]]
    track = AudioTrack() if len(streams) == 2 else None
    step = 1.0 / fps
    zero = (container.start_time or 0) / 1e6  # both channels' times count from the container's start
    next_t, end, seen, kept, rotation = 0.0, 0.0, 0, 0, 0
    previous, gaps = None, []  # gaps between decoded frames, to tell a variable frame rate
    for packet in container.demux(streams):
        for frame in packet.decode():
            if frame.time is None:
                continue
            if isinstance(frame, av.AudioFrame):
                track.add(frame)
                end = max(end, track.samples / SAMPLE_RATE)
            else:
                seen += 1
                t = frame.time - zero
                end = max(end, t)
                if previous is not None and t > previous:
                    gaps.append(t - previous)
                previous = t
                if t + 1e-6 >= next_t:
                    _check_frame_size(frame.width, frame.height)
                    rotation = frame.rotation
                    on_frame(float(t), upright(frame.to_ndarray(format="rgb24"), rotation))
                    kept += 1
                    while next_t <= t + 1e-6:  # the next slot of the grid; skips slots a gap jumped over
                        next_t += step
            if end > max_seconds:
                raise VideoError(too_long("video", max_seconds))
    if kept == 0:
        raise VideoError("the video has no decodable frames")
    notes = []
    if gaps and max(gaps) > 1.5 * float(np.median(gaps)):
        notes.append("variable frame rate: frames were sampled by their timestamps")
    audio = None
    if track is None:
        notes.append("no audio track: the reading is the face alone")
    else:
        try:
            lead = (streams[1].start_time or 0) * streams[1].time_base - zero  # audio that starts late
            audio = np.concatenate([np.zeros(max(0, round(float(lead) * SAMPLE_RATE)), np.float32), track.audio()])
        except AudioError:
            notes.append("the audio track is empty: the reading is the face alone")
    return VideoTracks(audio, float(end), seen, kept, rotation, notes)


def _check_frame_size(width: int, height: int) -> None:
    """The image limits, with the frame's own pixel cap (0 x 0: a stream that has not said yet)."""
    if width or height:
        try:
            check_size(width, height, "the video's frames are", limits.LIMITS.max_video_pixels)
        except ImageError as exc:
            raise VideoError(str(exc)) from None
