"""Structured filter pruning of the face CNN, then fine-tuning.

    python -m training.prune_face --dense runs/face/dense/model.keras   # -> runs/face/pruned/model.keras

Whole filters (and dense units) with the smallest L1 norm are removed, keeping the same fraction
`keep` in every layer, which yields a narrower dense network. Unlike zeroed weights, a narrower
network is smaller as an int8 file and faster in LiteRT (measured: training/results/face_metrics.json);
magnitude sparsity only shrinks the gzip size.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

import keras

from .face_data import load_cache
from .face_fit import Config, fit
from .face_prune import prunable_weights, prune


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dense", default="runs/face/dense/model.keras")
    parser.add_argument("--keep", type=float, default=0.7, help="fraction of filters kept in every layer")
    defaults = Config(name="pruned", epochs=10, lr=5e-4, warmup_epochs=0)
    for field, value in asdict(defaults).items():
        if field == "init":  # the pruned model starts from --dense
            continue
        parser.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value)
    args = vars(parser.parse_args())
    dense_path, keep = args.pop("dense"), args.pop("keep")
    cfg = Config(**args)
    dense = keras.saving.load_model(dense_path)
    pruned = prune(dense, keep)
    sparsity = 1 - prunable_weights(pruned) / prunable_weights(dense)
    print(f"keep {keep}: {prunable_weights(pruned)} of {prunable_weights(dense)} weights, sparsity {sparsity:.3f}", flush=True)
    run = Path(cfg.out) / cfg.name
    fit(pruned, load_cache(cfg.cache), cfg, run)
    print(f"saved {run / 'model.keras'}")


if __name__ == "__main__":
    main()
