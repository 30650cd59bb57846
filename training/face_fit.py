"""The face CNN's training loop, shared by training from scratch (train_face) and fine-tuning a
pruned model (prune_face): fixed epochs with warm-up and cosine decay, augmentation by flips,
small rotations, zooms and shifts, class weights that temper the imbalance.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .face_data import CACHE, FACE_LABELS


@dataclass
class Config:
    epochs: int = 30
    batch_size: int = 128
    lr: float = 2e-3
    warmup_epochs: int = 2
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    class_weight_power: float = 0.5  # weight ~ (1 / frequency) ** power; 0 = unweighted
    init: str = ""  # a saved model.keras to continue from (a new warm-up and cosine cycle)
    name: str = "dense"
    seed: int = 0
    cache: str = str(CACHE)
    out: str = "runs/face"


def class_weights(y: np.ndarray, n_classes: int, power: float) -> dict[int, float]:
    """Inverse-frequency weights raised to `power`, scaled to average 1 over the samples."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    w = (counts.sum() / np.maximum(counts, 1)) ** power
    w /= (w[y]).mean()
    return {k: float(w[k]) for k in range(n_classes)}


def augmenter() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomRotation(0.04, fill_mode="reflect"),  # +-15 degrees
            keras.layers.RandomZoom(0.12, fill_mode="reflect"),
            keras.layers.RandomTranslation(0.08, 0.08, fill_mode="reflect"),
        ],
        name="augment",
    )


def train_dataset(x: np.ndarray, y: np.ndarray, weights: dict[int, float], cfg: Config) -> tf.data.Dataset:
    aug = augmenter()
    w = np.array([weights[k] for k in y], dtype=np.float32)
    one_hot = keras.utils.to_categorical(y, len(FACE_LABELS)).astype(np.float32)
    return (
        tf.data.Dataset.from_tensor_slices((x, one_hot, w))
        .shuffle(len(x), seed=cfg.seed, reshuffle_each_iteration=True)
        .batch(cfg.batch_size)
        .map(lambda a, b, c: (aug(a, training=True), b, c), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(2)
    )


class JsonLog(keras.callbacks.Callback):
    """One line of metrics per epoch, flushed, so a background run can be watched with tail."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, "minutes": round((time.time() - self.start) / 60, 1)}
        row.update({k: round(float(v), 4) for k, v in (logs or {}).items()})
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")


def fit(model: keras.Model, data: np.lib.npyio.NpzFile, cfg: Config, run: Path) -> keras.Model:
    """Compile and train `model` for cfg.epochs on the cached train split; logs to run/log.jsonl."""
    keras.utils.set_random_seed(cfg.seed)
    x, y = data["x_train"], data["y_train"]
    steps = cfg.epochs * int(np.ceil(len(x) / cfg.batch_size))
    warmup = cfg.warmup_epochs * int(np.ceil(len(x) / cfg.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else cfg.lr, steps - warmup, warmup_target=cfg.lr if warmup else None, warmup_steps=warmup
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=cfg.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        metrics=["accuracy"],
    )
    weights = class_weights(y, len(FACE_LABELS), cfg.class_weight_power)
    val = (data["x_val"], keras.utils.to_categorical(data["y_val"], len(FACE_LABELS)))
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    # Saved after every epoch, so a run cut short by the end of a session still leaves its model.
    checkpoint = keras.callbacks.ModelCheckpoint(run / "model.keras")
    model.fit(
        train_dataset(x, y, weights, cfg), epochs=cfg.epochs, validation_data=val, verbose=2,
        callbacks=[JsonLog(run / "log.jsonl"), checkpoint],
    )
    return model
