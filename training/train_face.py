"""Train the face CNN on FER2013 train (less its validation split), from scratch.

    python -m training.train_face                 # runs/face/dense/model.keras, log.jsonl
    python -m training.train_face --init runs/face/dense/model.keras --name dense2   # one more cycle

Fixed epochs with warm-up and cosine decay (the test set steers nothing); augmentation by flips,
small rotations, zooms and shifts; class weights temper the imbalance (disgust is ~1.5 %).
The loop (training/face_fit.py) also fine-tunes a pruned model (training/prune_face.py).
The first run caches FER2013 as tensors (cache/fer2013.npz).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

import keras

from .face_data import FACE_LABELS, load_cache
from .face_fit import Config, fit
from .face_models import face_vgg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for field, value in asdict(Config()).items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value)
    cfg = Config(**vars(parser.parse_args()))
    data = load_cache(cfg.cache)
    run = Path(cfg.out) / cfg.name
    model = keras.saving.load_model(cfg.init) if cfg.init else face_vgg(len(FACE_LABELS))
    fit(model, data, cfg, run)
    print(f"saved {run / 'model.keras'}")


if __name__ == "__main__":
    main()
