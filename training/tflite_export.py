"""TFLite conversion (float, or full-integer int8), and running a .tflite file the way serving does."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable

import numpy as np
import tensorflow as tf

from emotion_core.runtime import TFLiteModel


def to_tflite(
    model: tf.keras.Model, representative: Callable[[], Iterable[list[np.ndarray]]] | None = None
) -> bytes:
    """Convert to TFLite: float32 without `representative`; with it, full-integer int8 (weights,
    activations, inputs and outputs) calibrated on it, one list of batch-1 arrays per sample in the
    model's input order."""
    with tempfile.TemporaryDirectory() as saved:
        model.export(saved, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        if representative is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = representative
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        return converter.convert()


def tflite_predict(path: str, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """The "probs" output for a batch, one sample at a time through the serving runtime wrapper."""
    model = TFLiteModel(path)
    n = next(iter(inputs.values())).shape[0]
    return np.stack([model(**{k: v[i] for k, v in inputs.items()})["probs"] for i in range(n)])
