"""Plain result objects: what the pipelines return and what every presenter renders.

Each result also carries the decoded input its presenters draw on (samples for the MFCC plot,
the upright image for the face boxes), so nobody decodes an input a second time. Those arrays
never enter the JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_SPEECH = "no speech"
NO_FACE = "no face"
NO_FACE_NOTE = "no face found"


def distribution(labels: tuple[str, ...] | list[str], probs: np.ndarray) -> dict[str, float]:
    """Label -> probability, renormalised in float64 so the values sum to 1 after dequantisation."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 0.0, None)
    total = p.sum()
    p = p / total if total > 0 else np.full(p.shape, 1.0 / p.size)
    return {label: float(v) for label, v in zip(labels, p)}


def mean_distribution(dists: list[dict[str, float]]) -> dict[str, float] | None:
    """The mean of distributions over the same labels, or None for none."""
    if not dists:
        return None
    labels = list(dists[0])
    return distribution(labels, np.mean([[d[k] for k in labels] for d in dists], axis=0))


def top_label(probs: dict[str, float] | None) -> str | None:
    return max(probs, key=probs.__getitem__) if probs else None


@dataclass
class WindowResult:
    """One analysis window; `probs` is None when the window holds no speech."""

    start: float
    end: float
    probs: dict[str, float] | None
    speech: bool = True

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "speech": self.speech, "probs": self.probs}


@dataclass
class AudioResult:
    """A recording's distribution (the mean over its windows with speech) and each window's own.

    `probs` is None, and `abstain` says "no speech", when no window holds speech.
    """

    probs: dict[str, float] | None
    windows: list[WindowResult] = field(default_factory=list)
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)  # 16 kHz mono, as analysed

    kind = "audio"

    @property
    def label(self) -> str | None:
        return top_label(self.probs)

    @property
    def abstain(self) -> str | None:
        return NO_SPEECH if self.probs is None else None

    @property
    def duration(self) -> float:
        return self.windows[-1].end if self.windows else 0.0

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "probs": self.probs,
            "abstain": self.abstain,
            "windows": [w.to_dict() for w in self.windows],
        }


@dataclass
class FaceResult:
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the image as the user sees it
    score: float  # the detector's confidence (1.0 when the whole image was taken as the face)
    probs: dict[str, float]

    @property
    def label(self) -> str:
        return top_label(self.probs)

    def to_dict(self) -> dict:
        return {"box": list(self.box), "score": round(self.score, 4), "label": self.label, "probs": self.probs}


@dataclass
class ImageResult:
    """Every face of one image, largest first; an empty list says no face was found."""

    faces: list[FaceResult]
    width: int
    height: int
    rgb: np.ndarray | None = field(default=None, repr=False, compare=False)  # the upright image analysed

    kind = "image"

    @property
    def abstain(self) -> str | None:
        return None if self.faces else NO_FACE

    @property
    def note(self) -> str | None:
        return None if self.faces else NO_FACE_NOTE

    def to_dict(self) -> dict:
        line: dict = {"faces": [f.to_dict() for f in self.faces], "abstain": self.abstain}
        if self.note:
            line["note"] = self.note
        return line


@dataclass
class FrameFaces:
    """The faces of one sampled video frame, largest first, at `t` seconds."""

    t: float
    faces: list[FaceResult]

    def to_dict(self) -> dict:
        return {"t": round(self.t, 3), "faces": [f.to_dict() for f in self.faces]}


@dataclass
class FusedWindow:
    """The fused reading of one time window and the channels that spoke in it."""

    start: float
    end: float
    probs: dict[str, float] | None
    channels: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "probs": self.probs, "channels": list(self.channels)}


@dataclass
class FusedResult:
    """Voice and face together, for the whole clip and per window; None when neither spoke."""

    probs: dict[str, float] | None
    channels: tuple[str, ...]
    windows: list[FusedWindow]

    @property
    def label(self) -> str | None:
        return top_label(self.probs)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "probs": self.probs,
            "channels": list(self.channels),
            "windows": [w.to_dict() for w in self.windows],
        }


@dataclass
class Keyframe:
    """One sampled frame to show, with its faces boxed: the one whose main face is largest."""

    t: float
    rgb: np.ndarray = field(repr=False, compare=False)
    faces: list[FaceResult] = field(default_factory=list)


@dataclass
class VideoResult:
    """Both channels of a video on one timeline, and their fusion.

    `audio` is None when the file has no audio track; `notes` say in words what was missing.
    """

    duration: float
    audio: AudioResult | None
    frames: list[FrameFaces]
    fused: FusedResult
    notes: list[str]
    keyframe: Keyframe | None = field(default=None, repr=False, compare=False)
    timings: dict[str, float] = field(default_factory=dict, repr=False, compare=False)  # seconds per stage

    kind = "video"

    @property
    def face_probs(self) -> dict[str, float] | None:
        """The main face's mean distribution over every sampled frame that had a face."""
        return mean_distribution([f.faces[0].probs for f in self.frames if f.faces])

    def to_dict(self) -> dict:
        face = self.face_probs
        return {
            "audio": None if self.audio is None else self.audio.to_dict(),
            "face": {"label": top_label(face), "probs": face, "abstain": None if face else NO_FACE},
            "faces_timeline": [f.to_dict() for f in self.frames],
            "fused": self.fused.to_dict(),
            "notes": list(self.notes),
        }


Result = AudioResult | ImageResult | VideoResult
