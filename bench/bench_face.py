"""Latency of the face pipeline on a 640x480 webcam-sized frame with one face: detection, crop,
classification and frame -> boxes + distributions; and our classifier against `fer`'s on the same crop.

    python bench/bench_face.py [--runs 200]

Writes bench/results/face_latency.json (median and p95 per stage in ms, model sizes, machine)
and prints a short table. The frame is skimage's astronaut photo, scaled into 640x480.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import skimage.data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion_core import Analyzer  # noqa: E402
from emotion_core.face.face_crop import crop, square_box, to_gray  # noqa: E402

from bench.common import machine, model_file, parser, save, time_stages  # noqa: E402
from training.fer_baseline import FerModel, fer_model_file  # noqa: E402
from training.report import run_stamp  # noqa: E402


def webcam_frame() -> np.ndarray:
    """640x480 RGB: the astronaut photo scaled to the frame's height, centred on a grey background."""
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[:, 80:560] = cv2.resize(skimage.data.astronaut(), (480, 480), interpolation=cv2.INTER_AREA)
    return frame


def bench(runs: int, warmup: int) -> dict:
    analyzer = Analyzer().load()
    frame = webcam_frame()
    detector, model = analyzer.face_detector, analyzer.face
    (detection,) = detector.detect(frame, short_range=True)
    gray = to_gray(frame)
    face = crop(gray, square_box(detection.box))
    fer = FerModel(fer_model_file())
    stages = {
        "detection": lambda: detector.detect(frame, short_range=True),
        "crop": lambda: crop(to_gray(frame), square_box(detection.box)),
        "classification": lambda: model.probs(face),
        "total": lambda: analyzer.analyze_image(frame, webcam=True),
        "fer_classification": lambda: fer.probs(face),
    }
    timings = time_stages(stages, runs, warmup)
    model_set = analyzer.model_set
    return {
        "frame": {"size": [640, 480], "faces": 1, "detector": "short_range", "box": list(detection.box)},
        "stages": timings,
        "models": {
            "face_int8": model_file(model_set.path(model_set.face.file)),
            "detector_short_range": model_file(model_set.path(model_set.face_detector.short_range)),
            "fer_int8": model_file(fer_model_file()),
        },
        "notes": (
            f"classification includes the per-image standardisation and, as served, all {model.views.passes} "
            "views the manifest names (zooms, rotations, mirror images)"
        ),
        "machine": machine(),
        "date": run_stamp(),
    }


def main() -> None:
    args = parser(__doc__, runs=200, out=ROOT / "bench/results/face_latency.json").parse_args()
    save(bench(args.runs, args.warmup), args.out)

if __name__ == "__main__":
    main()
