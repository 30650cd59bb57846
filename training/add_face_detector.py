"""Copy the BlazeFace detectors (Apache-2.0) into a model folder and list them in its manifest.

    python -m training.add_face_detector [--folder emotion_core/defaults]

They come unchanged from ../shared/assets/blazeface (taken from the mediapipe 0.10.21 wheel,
the last one that shipped them); their licence and provenance note travel with them, so a
published model set carries both.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from emotion_core.model_set import DEFAULT_DIR, DetectorEntry, Manifest

from .data import DATA_ROOT
from .manifest import fields_of, record

ASSETS = DATA_ROOT.parent / "assets" / "blazeface"
SHORT_RANGE = "face_detection_short_range.tflite"
FULL_RANGE = "face_detection_full_range_sparse.tflite"
COPIES = {SHORT_RANGE: SHORT_RANGE, FULL_RANGE: FULL_RANGE, "LICENSE": "blazeface_LICENSE", "README.md": "blazeface_README.md"}


def add_face_detector(folder: Path, assets: Path = ASSETS) -> Manifest:
    for source, target in COPIES.items():
        shutil.copyfile(assets / source, folder / target)
    entry = DetectorEntry(
        file=SHORT_RANGE,
        short_range=SHORT_RANGE,
        full_range=FULL_RANGE,
        architecture="BlazeFace (MediaPipe), run by the MediaPipe Tasks FaceDetector",
        training_data="MediaPipe's own (not trained by this project; see MediaPipe's BlazeFace model card)",
        license="Apache-2.0, Copyright The MediaPipe Authors (blazeface_LICENSE)",
        provenance="unchanged from the mediapipe 0.10.21 wheel, mediapipe/modules/face_detection/ (blazeface_README.md)",
    )
    extra = tuple(name for name in COPIES.values() if name not in entry.files)
    return record("face_detector", {entry.task: fields_of(entry)}, (entry.task,), folder, extra_files=extra)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=DEFAULT_DIR)
    add_face_detector(parser.parse_args().folder)
