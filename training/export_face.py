"""Export the face models: float and int8 TFLite twins of the dense model, a magnitude-pruned int8
twin (the pruning alternative, for size and speed) and the float twin of the filter-pruned model,
all for the report; the filter-pruned model as full-integer int8 into the embedded defaults; the
views serving averages, chosen on validation; the report; and its manifest entry.

    python -m training.export_face
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np

from emotion_core.face.face_crop import FACE_SIZE, LIFT, MARGIN
from emotion_core.model_set import FaceEntry, FaceInput

from .face_data import CACHE, FACE_LABELS, load_cache
from .face_models import WIDTHS, face_vgg
from .face_prune import prunable_weights
from .face_report import SHIPPED, SHIPPED_NAME, write_report
from .face_views import choose_views
from .manifest import fields_of, record
from .tflite_export import to_tflite


def serving_model(members: list[keras.Model]) -> keras.Model:
    """One graph averaging the members' probabilities, its input named "face" and its output named
    "probs" in the signature."""
    face = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="face")
    outs = [keras.Model(m.inputs, m.outputs[0], name=f"member{i}")(face) for i, m in enumerate(members)]
    return keras.Model(face, {"probs": keras.layers.Average()(outs) if len(outs) > 1 else outs[0]})


def magnitude_pruned(model: keras.Model, sparsity: float) -> keras.Model:
    """A copy with the smallest `sparsity` share of every conv and dense kernel set to zero."""
    pruned = keras.models.clone_model(model)
    pruned.set_weights(model.get_weights())
    for layer in pruned.layers:
        if hasattr(layer, "kernel"):
            kernel = layer.kernel.numpy()
            kernel[np.abs(kernel) < np.quantile(np.abs(kernel), sparsity)] = 0.0
            layer.kernel.assign(kernel)
    return pruned


def representative(x: np.ndarray, n: int, seed: int = 0):
    """Calibration crops from train, half of them mirrored as serving also feeds them."""
    rng = np.random.default_rng(seed)
    chosen = x[rng.choice(len(x), size=min(n, len(x)), replace=False)]

    def gen():
        for i, crop in enumerate(chosen):
            yield [(crop[:, ::-1] if i % 2 else crop)[None]]

    return gen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dense", type=Path, default=Path("runs/face/dense"),
                        help="run folder of the dense model; without one, the report keeps its dense rows")
    parser.add_argument("--pruned", type=Path, nargs="+", default=[Path("runs/face/pruned")],
                        help="run folders of the pruned models; the shipped model averages them")
    parser.add_argument("--cache", default=str(CACHE))
    parser.add_argument("--calibration", type=int, default=500)
    args = parser.parse_args()

    members = [keras.saving.load_model(run / "model.keras") for run in args.pruned]
    sparsity = 1 - prunable_weights(members[0]) / prunable_weights(face_vgg(len(FACE_LABELS)))
    calibration = representative(load_cache(args.cache)["x_train"], args.calibration)
    files = {}  # name in the report -> (file, models averaged, int8 calibration or None for float, sparsity)
    if (args.dense / "model.keras").exists():  # else the report keeps the dense rows it has
        dense = keras.saving.load_model(args.dense / "model.keras")
        files.update({
            "face_vgg_dense_float": (args.dense / "float.tflite", [dense], None, 0.0),
            "face_vgg_dense_int8": (args.dense / "int8.tflite", [dense], calibration, 0.0),
            "face_vgg_dense_magnitude50_int8": (
                args.dense / "magnitude50_int8.tflite", [magnitude_pruned(dense, 0.5)], calibration, 0.5,
            ),
        })
    files.update({
        "face_vgg_pruned_float": (args.pruned[0] / "float.tflite", members, None, sparsity),
        SHIPPED_NAME: (SHIPPED, members, calibration, sparsity),
    })
    for path, models, data, _ in files.values():
        path.write_bytes(to_tflite(serving_model(models), data))
    views = choose_views(SHIPPED)
    report = write_report({name: (path, share) for name, (path, _, _, share) in files.items()}, views)
    shipped = report[f"{SHIPPED_NAME}_served"]
    keep = members[0].get_layer("b0_conv0").filters / WIDTHS[0]
    entry = FaceEntry(
        file=SHIPPED.name,
        labels=FACE_LABELS,
        emits=FACE_LABELS,
        architecture=(
            (f"average of {len(members)} checkpoints of a " if len(members) > 1 else "")
            + f"VGG-style CNN (4 blocks of two 3x3 conv + BN + ReLU, max pooling, dense head), trained "
            f"from scratch, structured filter pruning keeping {keep:.0%} of the filters "
            f"({sparsity:.1%} of the weights removed), fine-tuned, full-integer int8"
        ),
        input=FaceInput(
            tensor="face",
            tensors={"face": (FACE_SIZE, FACE_SIZE, 1)},
            crop=f"detector box made square, widened by {MARGIN} and lifted by {LIFT} of its size, "
                 "grayscale, resized, standardised per image (emotion_core/face/face_crop.py)",
            **views.to_manifest(),
        ),
        training_data="FER2013 train (de-duplicated, less a 10 % validation split)",
        metrics={
            "fer2013_test_accuracy": shipped["accuracy"],
            "fer2013_test_macro_recall": shipped["macro_recall"],
            "fer2013_test_macro_f1": shipped["macro_f1"],
            "sparsity": sparsity,
            "source": f"training/results/face_metrics.json ({SHIPPED_NAME}_served)",
        },
    )
    record("face", {entry.task: fields_of(entry)}, (entry.task,))
    print(f"wrote {SHIPPED} ({SHIPPED.stat().st_size} bytes) and its manifest entry")


if __name__ == "__main__":
    main()
