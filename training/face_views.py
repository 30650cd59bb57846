"""Choosing the views of a crop that serving averages, on FER2013's validation split (never the
test set), with the int8 model exactly as emotion_core serves it.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from emotion_core.face.face_crop import Views, resize_face, view_inputs
from emotion_core.runtime import TFLiteModel

from .face_data import fer_images, is_validation
from .report import RESULTS

SMOOTHING = (0.0, 0.4, 0.6, 0.8)
WARP_SETS = {
    "plain": ((1.0, 0.0),),
    "zoom": ((1.0, 0.0), (1.1, 0.0), (0.9, 0.0)),
    "rotate": ((1.0, 0.0), (1.0, 8.0), (1.0, -8.0)),
    "zoom_rotate": ((1.0, 0.0), (1.1, 0.0), (0.9, 0.0), (1.0, 8.0), (1.0, -8.0)),
}


def view_probs(model: TFLiteModel, faces: list[np.ndarray], sigma: float) -> dict[tuple[float, float], np.ndarray]:
    """Every distinct warp's probabilities (2 for plain and mirrored, n, classes), computed once,
    through the views code serving runs."""
    out = {}
    for w in sorted({w for warps in WARP_SETS.values() for w in warps}):
        pairs = [view_inputs(face, Views(mirror=True, smoothing=sigma, warps=(w,))) for face in faces]
        out[w] = np.stack([[model(face=t)["probs"] for t in pair] for pair in pairs], axis=1)
    return out


def choose_views(model_path: Path, results: Path = RESULTS) -> Views:
    """The most accurate candidate on validation; writes every candidate's accuracy beside it."""
    model = TFLiteModel(model_path)
    items = [(path, label) for path, label in fer_images("train") if is_validation(path)]
    faces = [resize_face(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)) for path, _ in items]
    labels = np.array([label for _, label in items])
    scored = []
    for sigma in SMOOTHING:
        probs = view_probs(model, faces, sigma)
        for name, warps in WARP_SETS.items():
            mean = np.mean([probs[w] for w in warps], axis=(0, 1))
            views = Views(mirror=True, smoothing=sigma, warps=warps)
            scored.append((float((mean.argmax(axis=1) == labels).mean()), -views.passes, name, views))
            print(f"sigma {sigma} {name}: validation accuracy {scored[-1][0]:.4f}", flush=True)
    accuracy, _, name, chosen = max(scored, key=lambda s: s[:2])
    results.mkdir(parents=True, exist_ok=True)
    (results / "face_view_calibration.json").write_text(json.dumps({
        "validation_accuracy": [
            {"smoothing_sigma": v.smoothing, "warps": n, "passes": v.passes, "accuracy": a} for a, _, n, v in scored
        ],
        "chosen": {**chosen.to_manifest(), "name": name, "validation_accuracy": accuracy},
        "model": model_path.name,
        "images": len(labels),
        "notes": "FER2013 train's validation split (never trained on), the int8 model as served; warps "
                 "are (zoom, degrees) of the 48x48 crop, each also mirrored",
    }, indent=2))
    return chosen
