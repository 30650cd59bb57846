"""Choose the views of a crop that serving averages, on the validation split (never the test set).

    python -m training.calibrate_views   # -> training/results/face_view_calibration.json, manifest

Scores every candidate (smoothing sigma x set of zooms and rotations, always with the mirrored
twins) with the shipped int8 model exactly as emotion_core serves it, and keeps the most accurate;
a tie goes to the one with fewer model calls. `training.export_face` runs it on a new model; run
alone, it re-chooses the views of the model already in the embedded defaults.
"""

from __future__ import annotations

import argparse

from emotion_core.model_set import DEFAULT_DIR, load_model_set

from .face_views import choose_views
from .manifest import record


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    entry = load_model_set().face
    views = choose_views(DEFAULT_DIR / entry.file)
    record("face_views", {"face": {"input": views.to_manifest()}}, ("face",))
    print(f"chose {views} for {entry.file}")


if __name__ == "__main__":
    main()
