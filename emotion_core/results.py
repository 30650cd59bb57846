"""Plain result objects: what the pipelines return and what every presenter renders."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def distribution(labels: tuple[str, ...] | list[str], probs: np.ndarray) -> dict[str, float]:
    """Label -> probability, renormalised in float64 so the values sum to 1 after dequantisation."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 0.0, None)
    total = p.sum()
    p = p / total if total > 0 else np.full(p.shape, 1.0 / p.size)
    return {label: float(v) for label, v in zip(labels, p)}


def top_label(probs: dict[str, float]) -> str:
    return max(probs, key=probs.__getitem__)


@dataclass
class WindowResult:
    start: float
    end: float
    probs: dict[str, float]

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "probs": self.probs}


@dataclass
class AudioResult:
    """A recording's distribution (the mean over its windows) and each window's own."""

    probs: dict[str, float]
    windows: list[WindowResult] = field(default_factory=list)

    @property
    def label(self) -> str:
        return top_label(self.probs)

    @property
    def duration(self) -> float:
        return self.windows[-1].end if self.windows else 0.0

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "probs": self.probs,
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


NO_FACE_NOTE = "no face found"


@dataclass
class ImageResult:
    """Every face of one image, largest first; an empty list says no face was found."""

    faces: list[FaceResult]
    width: int
    height: int

    @property
    def note(self) -> str | None:
        return None if self.faces else NO_FACE_NOTE

    def to_dict(self) -> dict:
        line: dict = {"faces": [f.to_dict() for f in self.faces]}
        if self.note:
            line["note"] = self.note
        return line
