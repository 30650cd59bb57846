"""The image a person sees back: every face boxed and labelled with its top emotion (marked with a
question mark when the face model is uncertain of it)."""

from __future__ import annotations

import cv2
import numpy as np

from emotion_core.results import FaceResult

COLOURS = [(255, 196, 0), (0, 200, 255), (255, 80, 160), (120, 230, 80)]  # RGB, cycled per face


def annotate(rgb: np.ndarray, faces: list[FaceResult]) -> np.ndarray:
    """A copy of the image with numbered boxes and "label 0.87" tags ("label? 0.31" when uncertain)
    sized to the image."""
    out = rgb.copy()
    thickness = max(2, round(max(out.shape[:2]) / 300))
    font_scale = max(0.5, max(out.shape[:2]) / 900)
    for i, face in enumerate(faces):
        x, y, w, h = face.box
        colour = COLOURS[i % len(COLOURS)]
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, thickness)
        text = f"{i + 1}: {face.label}{'?' if face.abstain else ''} {face.probs[face.label]:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        top = y - th - base - thickness if y - th - base - thickness >= 0 else y + h
        cv2.rectangle(out, (x, top), (x + tw + thickness, top + th + base + thickness), colour, -1)
        cv2.putText(out, text, (x + thickness // 2, top + th + thickness // 2), cv2.FONT_HERSHEY_SIMPLEX,
                    font_scale, (0, 0, 0), max(1, thickness // 2), cv2.LINE_AA)
    return out
