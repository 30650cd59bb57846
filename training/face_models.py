"""The face CNN: VGG-style stacks of 3x3 convolutions, narrow enough to train on a CPU."""

from __future__ import annotations

import keras
from keras import layers

from emotion_core.face.face_crop import FACE_SIZE

WIDTHS = (32, 64, 128, 256)  # filters of each block; blocks halve the resolution 48 -> 3
CONVS_PER_BLOCK = 2
DENSE = 256


def face_vgg(n_classes: int, widths: tuple[int, ...] = WIDTHS, dense: int = DENSE) -> keras.Model:
    """Conv-BN-ReLU pairs and max pooling per block, then a dropout-regularised dense head.

    Layer names are stable ("b<k>_conv<j>", "b<k>_bn<j>", "fc", "probs") because filter pruning
    maps weights between a model and its narrower twin by name.
    """
    x = inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="face")
    for k, width in enumerate(widths):
        for j in range(CONVS_PER_BLOCK):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"b{k}_conv{j}")(x)
            x = layers.BatchNormalization(name=f"b{k}_bn{j}")(x)
            x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(dense, activation="relu", name="fc")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="face_vgg")
