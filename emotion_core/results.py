"""Plain result objects: what the pipelines return and what every presenter renders.

Each result also carries the decoded input its presenters draw on (samples for the MFCC plot,
the upright image for the face boxes), so nobody decodes an input a second time. Those arrays
never enter the JSON form.

Every reading says in `abstain` why it gives no answer: None (it answers), NO_SPEECH, NO_FACE,
NO_READING (a video's fused reading when neither channel spoke) or UNCERTAIN (its top
probability is under the threshold its model was calibrated with). An uncertain reading keeps
its `probs` and its top `label`, so a client must read `abstain` before `label`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

NO_SPEECH = "no speech"
NO_FACE = "no face"
NO_FACE_NOTE = "no face found"
NO_READING = "no reading"
UNCERTAIN = "uncertain"


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


def uncertain(probs: dict[str, float], uncertain_below: float | None) -> str | None:
    """UNCERTAIN when the top probability is under the threshold (None: no threshold), else None."""
    return UNCERTAIN if uncertain_below is not None and max(probs.values()) < uncertain_below else None


def verdict(probs: dict[str, float] | None, uncertain_below: float | None, missing: str) -> str | None:
    """A reading's `abstain`: `missing` without a distribution, else whether it is uncertain."""
    return missing if probs is None else uncertain(probs, uncertain_below)


def channel_dict(probs: dict[str, float] | None, uncertain_below: float | None, missing: str) -> dict:
    """{"label", "probs", "abstain"}: a channel's reading as JSON."""
    return {"label": top_label(probs), "probs": probs, "abstain": verdict(probs, uncertain_below, missing)}


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

    `probs` is None, and `abstain` says "no speech", when no window holds speech; `abstain` says
    "uncertain" when the top probability is under `uncertain_below`.
    """

    probs: dict[str, float] | None
    windows: list[WindowResult] = field(default_factory=list)
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)  # 16 kHz mono, as analysed
    uncertain_below: float | None = None  # the speech model's threshold (its manifest entry)
    # The front end's MFCCs over the whole recording (n_mfcc, frames), what the plot shows.
    mfcc: np.ndarray | None = field(default=None, repr=False, compare=False)

    kind = "audio"

    @property
    def label(self) -> str | None:
        return top_label(self.probs)

    @property
    def abstain(self) -> str | None:
        return verdict(self.probs, self.uncertain_below, NO_SPEECH)

    @property
    def duration(self) -> float:
        return self.windows[-1].end if self.windows else 0.0

    def to_dict(self) -> dict:
        return {
            **channel_dict(self.probs, self.uncertain_below, NO_SPEECH),
            "windows": [w.to_dict() for w in self.windows],
        }


@dataclass
class FaceResult:
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the image as the user sees it
    score: float  # the detector's confidence (1.0 when the whole image was taken as the face)
    probs: dict[str, float]
    uncertain_below: float | None = None  # the face model's threshold (its manifest entry)

    @property
    def label(self) -> str:
        return top_label(self.probs)

    @property
    def abstain(self) -> str | None:
        """None or "uncertain"; a face that was not found has no FaceResult (the image says "no face")."""
        return uncertain(self.probs, self.uncertain_below)

    def to_dict(self) -> dict:
        return {"box": list(self.box), "score": round(self.score, 4),
                **channel_dict(self.probs, self.uncertain_below, NO_FACE)}


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


def main_face_mean(
    frames: list[FrameFaces], start: float = 0.0, end: float = math.inf, through_end: bool = False
) -> dict[str, float] | None:
    """The main (largest) face's mean distribution over the frames with a face at start <= t < end
    (t <= end with `through_end`: a clip's last window keeps its last frame); None without one."""
    return mean_distribution([
        f.faces[0].probs for f in frames if f.faces and start <= f.t and (f.t < end or (through_end and f.t <= end))
    ])


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
    """Voice and face together, for the whole clip and per window; None when neither spoke.

    `uncertain_below` is the threshold of what the whole-clip reading rests on: the fusion's for
    both channels, the one channel's own when only one spoke.
    """

    probs: dict[str, float] | None
    channels: tuple[str, ...]
    windows: list[FusedWindow]
    uncertain_below: float | None = None

    @property
    def label(self) -> str | None:
        return top_label(self.probs)

    @property
    def abstain(self) -> str | None:
        return verdict(self.probs, self.uncertain_below, NO_READING)

    def to_dict(self) -> dict:
        return {
            **channel_dict(self.probs, self.uncertain_below, NO_READING),
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
    face_uncertain_below: float | None = None  # the face model's threshold, for the main face's mean

    kind = "video"

    @property
    def face_probs(self) -> dict[str, float] | None:
        """The main face's mean distribution over every sampled frame that had a face."""
        return main_face_mean(self.frames)

    def to_dict(self) -> dict:
        face = self.face_probs
        return {
            "audio": None if self.audio is None else self.audio.to_dict(),
            "face": channel_dict(face, self.face_uncertain_below, NO_FACE),
            "faces_timeline": [f.to_dict() for f in self.frames],
            "fused": self.fused.to_dict(),
            "notes": list(self.notes),
        }


Result = AudioResult | ImageResult | VideoResult
