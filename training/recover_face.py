"""Rebuild a trainable face_vgg from an int8 face model file, so training can go on from a shipped
model when the run folder it came from is gone (runs/ is never committed).

    python -m training.recover_face --model one_face_vgg_int8.tflite   # -> runs/face/recovered/model.keras

Not a step of the recipe (training/README.md): it is how the first member of the shipped face model
went on training after its run folder was lost.

The file must hold one face_vgg (the shipped file since a2d8efa averages two). The converter
folded each batch norm into its convolution; the weights are dequantised and each batch norm is
rebuilt from statistics measured on training crops, so that the pair computes the folded
convolution both when serving and in training mode. The validation accuracy of the rebuilt float
model is printed: close to the int8 file's, not equal (quantisation).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from .face_data import CACHE, FACE_LABELS, load_cache
from .face_models import CONVS_PER_BLOCK, WIDTHS, face_vgg


def int8_weights(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) in float of every CONV_2D and FULLY_CONNECTED op, in graph order, in Keras layout."""
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    layers = []
    for op in interpreter._get_ops_details():
        if op["op_name"] not in ("CONV_2D", "FULLY_CONNECTED"):
            continue
        source, weight, bias = (details[i] for i in op["inputs"])
        w_scale = weight["quantization_parameters"]["scales"]
        kernel = interpreter.get_tensor(weight["index"]).astype(np.float32)
        kernel *= w_scale.reshape((-1,) + (1,) * (kernel.ndim - 1))
        b = interpreter.get_tensor(bias["index"]).astype(np.float32)
        b *= source["quantization_parameters"]["scales"][0] * w_scale
        # TFLite keeps output channels first: (out, h, w, in) and (out, in).
        layers.append((kernel.transpose(1, 2, 3, 0) if kernel.ndim == 4 else kernel.T, b))
    return layers


def recover(path: Path, calibration: np.ndarray) -> keras.Model:
    """The face_vgg whose inference equals the int8 file's float graph."""
    weights = int8_weights(path)
    expected = len(WIDTHS) * CONVS_PER_BLOCK + 2
    if len(weights) != expected:
        raise ValueError(f"{path} holds {len(weights)} conv/dense layers, one face_vgg has {expected}")
    convs, (fc, probs) = weights[:-2], weights[-2:]
    widths = tuple(kernel.shape[-1] for kernel, _ in convs[::CONVS_PER_BLOCK])
    model = face_vgg(len(FACE_LABELS), widths, fc[0].shape[-1])
    names = [f"b{k}_{{}}{j}" for k in range(len(widths)) for j in range(CONVS_PER_BLOCK)]
    for name, (kernel, _) in zip(names, convs):
        model.get_layer(name.format("conv")).set_weights([kernel])
    # Each convolution's output over the calibration crops, its preceding layers already in place.
    for name, (kernel, bias) in zip(names, convs):
        conv = model.get_layer(name.format("conv"))
        out = keras.Model(model.inputs, conv.output).predict(calibration, batch_size=256, verbose=0)
        mean, std = out.mean(axis=(0, 1, 2)), out.std(axis=(0, 1, 2)) + 1e-6
        # The kernel is scaled to unit output spread, as a trained kernel ahead of a batch norm
        # would be (the folded one is not, and AdamW's steps would be far too large for it); the
        # norm then restores scale and bias: std * (x / std - mean / std) / 1 + mean + bias == x + bias.
        conv.set_weights([kernel / std])
        bn = model.get_layer(name.format("bn"))
        bn.set_weights([std, mean + bias, mean / std, np.full_like(std, 1.0 - bn.epsilon)])
    model.get_layer("fc").set_weights(list(fc))
    model.get_layer("probs").set_weights(list(probs))
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="an int8 file of one face_vgg")
    parser.add_argument("--out", type=Path, default=Path("runs/face/recovered"))
    parser.add_argument("--cache", default=str(CACHE))
    args = parser.parse_args()
    data = load_cache(args.cache)
    model = recover(args.model, data["x_train"][:4000])
    val = model.predict(data["x_val"], batch_size=512, verbose=0).argmax(axis=1)
    print(f"recovered {args.model.name}: validation accuracy {(val == data['y_val']).mean():.4f} (float, plain)")
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "model.keras")
    print(f"saved {args.out / 'model.keras'}")


if __name__ == "__main__":
    main()
