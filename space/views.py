"""What the app shows for each input, made in one call: the analysis, its JSON report, and its
figures and boxed image written as files the page serves as they are.

One call does all of it so that a worker process (processes.py) can: drawing a short
recording's MFCC figure takes longer than analysing the recording, and in the serving process it
would run under the same interpreter lock as every other visitor's request.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from emotion_core.analyzer import Analyzer, Progress
from emotion_core.baseline import Baseline
from emotion_core.report import result_json
from emotion_core.results import NO_SPEECH
from emotion_core.timeline import Row, rows, to_csv, to_json

from .overlay import annotate
from .plots import mfcc_figure, timeline_figure, video_timeline_figure

Probs = dict[str, float] | None


@dataclass(frozen=True)
class AudioView:
    probs: Probs
    report: dict
    mfcc: str  # PNG file
    timeline: str | None  # PNG file; only for a recording longer than one window
    no_speech: bool


@dataclass(frozen=True)
class ImageView:
    image: str  # JPEG file: the image with every face boxed
    probs: Probs  # the main (largest) face's
    report: dict
    faces: int


@dataclass(frozen=True)
class VideoView:
    fused: Probs
    voice: Probs
    face: Probs
    frame: str | None  # JPEG file: the frame with the largest face, boxed
    mfcc: str | None  # PNG file; None without an audio track
    timeline: str  # PNG file
    report: dict
    downloads: tuple[str, str]  # the timeline rows (timeline.py) as CSV and JSON files


def audio_view(analyzer: Analyzer, path: str, folder: str, baseline: Baseline | None = None,
               progress: Progress | None = None) -> AudioView:
    # The reading takes the bar to 95 %; the two figures (a tenth of a second or more) the rest.
    reading = None if progress is None else (lambda fraction, stage: progress(round(0.95 * fraction, 4), stage))
    result = analyzer.analyze_audio(path, baseline=baseline, progress=reading)
    several = len(result.windows) > 1
    if progress:
        progress(0.97, "Drawing plots")
    return AudioView(
        probs=result.probs,
        report=result_json(result, models=analyzer.model_set.source, baseline=baseline),
        mfcc=_save_figure(mfcc_figure(result), folder, "mfcc"),
        timeline=_save_figure(timeline_figure(result), folder, "timeline") if several else None,
        no_speech=result.abstain == NO_SPEECH,
    )


def image_view(analyzer: Analyzer, path: str, folder: str, webcam: bool = False,
               baseline: Baseline | None = None) -> ImageView:
    result = analyzer.analyze_image(path, webcam=webcam, baseline=baseline)
    return ImageView(
        image=_save_image(annotate(result.rgb, result.faces), folder, "faces"),
        probs=result.faces[0].probs if result.faces else None,
        report=result_json(result, models=analyzer.model_set.source, baseline=baseline),
        faces=len(result.faces),
    )


def video_view(analyzer: Analyzer, path: str, folder: str, baseline: Baseline | None = None,
               progress: Progress | None = None) -> VideoView:
    result = analyzer.analyze_video(path, progress=progress, baseline=baseline)
    if progress:
        progress(0.97, "Drawing plots")
    frame = result.keyframe
    audio = result.audio
    return VideoView(
        fused=result.fused.probs,
        voice=audio.probs if audio else None,
        face=result.face_probs,
        frame=_save_image(annotate(frame.rgb, frame.faces), folder, "frame") if frame else None,
        mfcc=_save_figure(mfcc_figure(audio), folder, "mfcc") if audio else None,
        timeline=_save_figure(video_timeline_figure(result), folder, "timeline"),
        report=result_json(result, models=analyzer.model_set.source, baseline=baseline),
        downloads=save_timeline(rows(result, os.path.basename(path)), folder, Path(path).stem),
    )


def save_timeline(table: list[Row], folder: str, name: str = "session") -> tuple[str, str]:
    """The rows as `<name>-timeline.csv` and `.json` for the page's download, in a new folder of
    their own under `folder` so that the names the user gets stay readable and calls never collide."""
    own = tempfile.mkdtemp(prefix="timeline-", dir=folder)
    paths = tuple(os.path.join(own, f"{name}-timeline{suffix}") for suffix in (".csv", ".json"))
    for path, text in zip(paths, (to_csv(table), to_json(table))):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return paths


def _new_file(folder: str, name: str, suffix: str) -> str:
    """A new file of a unique name in `folder` (the page's cache, which Gradio serves and ages out)."""
    fd, path = tempfile.mkstemp(prefix=f"{name}-", suffix=suffix, dir=folder)
    os.close(fd)
    return path


def _save_figure(fig: Figure, folder: str, name: str) -> str:
    path = _new_file(folder, name, ".png")
    # Compression level 1 wrote the MFCC figure in 7.0 ms, the default 6 in 9.7 ms.
    fig.savefig(path, format="png", pil_kwargs={"compress_level": 1})
    return path


def _save_image(rgb: np.ndarray, folder: str, name: str) -> str:
    """JPEG, not PNG: a 512 x 512 photo took 68 ms to write as PNG and 1 ms as JPEG (quality 90)."""
    path = _new_file(folder, name, ".jpg")
    Image.fromarray(rgb).save(path, format="JPEG", quality=90)
    return path


def baseline_of(analyzer: Analyzer, path: str) -> Baseline:
    """A personal baseline from a file of the person being neutral (run in a worker)."""
    return analyzer.baseline_from_file(path)
