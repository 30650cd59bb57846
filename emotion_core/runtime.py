"""A thin wrapper over the LiteRT interpreter that hides int8 quantisation from the pipelines."""

from __future__ import annotations

import os

import numpy as np
from ai_edge_litert.interpreter import Interpreter


class TFLiteModel:
    """Runs one signature of a .tflite file; inputs and outputs are float arrays by name.

    Inputs are given without the batch axis; int8/uint8 tensors are (de)quantised with the scale
    and zero point stored in the model, so callers never see the quantised domain.
    """

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        self._runner = self._interpreter.get_signature_runner()
        self.input_details = self._runner.get_input_details()
        self.output_details = self._runner.get_output_details()

    @staticmethod
    def _quantize(x: np.ndarray, detail: dict) -> np.ndarray:
        dtype = detail["dtype"]
        if not np.issubdtype(dtype, np.integer):
            return x.astype(dtype)
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)

    @staticmethod
    def _dequantize(x: np.ndarray, detail: dict) -> np.ndarray:
        if not np.issubdtype(x.dtype, np.integer):
            return x.astype(np.float32)
        scale, zero = detail["quantization"]
        return ((x.astype(np.float32) - zero) * scale).astype(np.float32)

    def __call__(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        missing = set(self.input_details) - set(inputs)
        if missing:
            raise ValueError(f"missing model inputs: {sorted(missing)}")
        feed = {
            name: self._quantize(np.asarray(x, dtype=np.float32)[None], self.input_details[name])
            for name, x in inputs.items()
        }
        out = self._runner(**feed)
        return {name: self._dequantize(v, self.output_details[name])[0] for name, v in out.items()}
