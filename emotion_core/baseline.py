"""A personal baseline: readings made relative to one person's own neutral voice and face.

A model reads some people's neutral voice or face as a mood (a low voice as "sad", a resting face
as "angry"). A few seconds of that person being neutral tell how far their neutral sits from the
neutral the model learnt: the shift is the mean log-probability the model gives their baseline
minus the mean it gives neutral clips of people it never heard (the "reference", shipped in the
manifest), scaled by a weight fitted on the held-out folds (training/evaluate_baseline.py).
Later readings subtract that shift in log-probability and renormalise.

A baseline is a plain dict of numbers (JSON as it is), held in the visitor's page or the
caller's memory and sent with each analysis; nothing of it is ever written to disk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from .calibration import PROB_FLOOR
from .results import FaceResult, distribution

Shift = dict[str, float]


@dataclass(frozen=True)
class Baseline:
    """Per channel, label -> log-probability shift (None: that channel had nothing to learn from)."""

    voice: Shift | None = None
    face: Shift | None = None
    voice_windows: int = 0  # windows of speech the voice shift rests on
    face_frames: int = 0  # face readings the face shift rests on

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Baseline | None:
        """A baseline from its JSON form; None for none or an empty one. Refuses anything else."""
        if not data:
            return None
        if not isinstance(data, dict) or set(data) - {f for f in cls.__dataclass_fields__}:
            raise ValueError("a baseline is an object with voice, face, voice_windows and face_frames")
        shifts = {}
        for channel in ("voice", "face"):
            value = data.get(channel)
            if value is not None:
                if not isinstance(value, dict) or not all(
                    isinstance(v, (int, float)) and np.isfinite(v) for v in value.values()
                ):
                    raise ValueError(f"the baseline's {channel} is not a label -> number object")
                shifts[channel] = {str(k): float(v) for k, v in value.items()}
        baseline = cls(**shifts, voice_windows=int(data.get("voice_windows", 0)),
                       face_frames=int(data.get("face_frames", 0)))
        return baseline if baseline.voice or baseline.face else None

    def describe(self) -> str:
        """In words, for the page's status line."""
        parts = []
        if self.voice:
            parts.append(f"voice ({self.voice_windows} window{'s' * (self.voice_windows != 1)} of speech)")
        if self.face:
            parts.append(f"face ({self.face_frames} reading{'s' * (self.face_frames != 1)})")
        return "Personal baseline in use: " + " and ".join(parts) + "."


def fit_shift(readings: list[dict[str, float]], reference: tuple[float, ...], labels: tuple[str, ...],
              weight: float) -> Shift | None:
    """weight x (mean log-probability of `readings` - `reference`), per label; None without readings."""
    if not readings or weight == 0.0:
        return None
    logp = np.log(np.clip([[r[k] for k in labels] for r in readings], PROB_FLOOR, None)).mean(axis=0)
    return {k: float(v) for k, v in zip(labels, weight * (logp - np.asarray(reference)))}


def relative(probs: dict[str, float] | None, shift: Shift | None) -> dict[str, float] | None:
    """`probs` made relative to a person's baseline: log p - shift, renormalised."""
    if probs is None or not shift:
        return probs
    labels = list(probs)
    z = np.log(np.clip([probs[k] for k in labels], PROB_FLOOR, None)) - np.array([shift.get(k, 0.0) for k in labels])
    e = np.exp(z - z.max())
    return distribution(labels, e)


def relative_face(face: FaceResult, shift: Shift | None) -> FaceResult:
    """A face's reading made relative to a person's face baseline (the face itself when none)."""
    return face if not shift else replace(face, probs=relative(face.probs, shift))
