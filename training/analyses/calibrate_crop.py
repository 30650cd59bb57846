"""Measure how FER2013's 48x48 frames sit around a BlazeFace box, so serving crops frame faces as
the model saw them in training.

    python -m training.analyses.calibrate_crop   # -> training/results/face_crop_calibration.json

Every 50th train image is enlarged, padded, and run through the short-range detector; the frame's
side relative to the box gives the margin, the offset of the frame's centre from the box's
centre the lift. emotion_core/face/face_crop.py's MARGIN and LIFT are the medians.
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from emotion_core import Analyzer
from emotion_core.face.face_crop import FACE_SIZE

from ..face_data import fer_images
from ..report import RESULTS

SCALE = 4  # detectors want faces larger than 48 px


def main() -> None:
    detector = Analyzer().face_detector
    frame = FACE_SIZE * SCALE
    margins, lifts = [], []
    items = fer_images("train")[::50]
    for path, _ in items:
        big = cv2.resize(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), (frame, frame), interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(big, frame // 2, frame // 2, frame // 2, frame // 2, cv2.BORDER_REPLICATE)
        found = detector.detect(np.dstack([canvas] * 3), short_range=True)
        if found:
            x, y, w, h = found[0].box
            side = max(w, h)
            margins.append((frame / side - 1) / 2)
            lifts.append((y + h / 2 - frame) / side)  # frame centre above box centre, in box sizes
    report = {
        "images": len(items),
        "faces_found": len(margins),
        "margin_median": float(np.median(margins)),
        "margin_quartiles": [float(q) for q in np.percentile(margins, [25, 75])],
        "lift_median": float(np.median(lifts)),
        "lift_quartiles": [float(q) for q in np.percentile(lifts, [25, 75])],
    }
    (RESULTS / "face_crop_calibration.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
