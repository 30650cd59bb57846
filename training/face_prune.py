"""Structured filter pruning of the face CNN: whole filters (and dense units) with the smallest L1
norm go, the same fraction in every layer, which leaves a narrower dense network (smaller and
faster as int8, unlike zeroed weights).
"""

from __future__ import annotations

import keras
import numpy as np

from .face_data import FACE_LABELS
from .face_models import CONVS_PER_BLOCK, DENSE, WIDTHS, face_vgg


def prunable_weights(model: keras.Model) -> int:
    """Weights of the convolution and dense kernels: what sparsity is counted over."""
    return sum(int(np.prod(layer.kernel.shape)) for layer in model.layers if hasattr(layer, "kernel"))


def filter_importance(kernel: np.ndarray, bn: keras.layers.BatchNormalization | None) -> np.ndarray:
    """L1 norm of each output filter, scaled by its batch-norm gain: the size of what it passes on."""
    norms = np.abs(kernel).reshape(-1, kernel.shape[-1]).sum(axis=0)
    if bn is not None:
        gamma, _, _, variance = bn.get_weights()
        norms = norms * np.abs(gamma) / np.sqrt(variance + bn.epsilon)
    return norms


def keep_top(importance: np.ndarray, n: int) -> np.ndarray:
    return np.sort(np.argsort(importance)[::-1][:n])


def prune(dense: keras.Model, keep: float) -> keras.Model:
    """A face_vgg with round(keep * width) filters per layer, initialised from the strongest ones."""
    widths = tuple(max(1, round(w * keep)) for w in WIDTHS)
    units = max(1, round(DENSE * keep))
    pruned = face_vgg(len(FACE_LABELS), widths, units)
    kept_in = np.arange(1)  # the grayscale input channel
    for k, width in enumerate(widths):
        for j in range(CONVS_PER_BLOCK):
            conv, bn = dense.get_layer(f"b{k}_conv{j}"), dense.get_layer(f"b{k}_bn{j}")
            kernel = conv.get_weights()[0]
            kept_out = keep_top(filter_importance(kernel, bn), width)
            pruned.get_layer(f"b{k}_conv{j}").set_weights([kernel[:, :, kept_in][:, :, :, kept_out]])
            pruned.get_layer(f"b{k}_bn{j}").set_weights([w[kept_out] for w in bn.get_weights()])
            kept_in = kept_out
    fc_kernel, fc_bias = dense.get_layer("fc").get_weights()
    side = dense.get_layer(f"b{len(WIDTHS) - 1}_conv0").output.shape[1] // 2  # after the last pooling
    fc_kernel = fc_kernel.reshape(side, side, WIDTHS[-1], -1)[:, :, kept_in].reshape(-1, fc_kernel.shape[-1])
    kept_units = keep_top(np.abs(fc_kernel).sum(axis=0), units)
    pruned.get_layer("fc").set_weights([fc_kernel[:, kept_units], fc_bias[kept_units]])
    out_kernel, out_bias = dense.get_layer("probs").get_weights()
    pruned.get_layer("probs").set_weights([out_kernel[kept_units], out_bias])
    return pruned
