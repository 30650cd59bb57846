"""How a cv run's fold models read their held-out actors' augmented copies: a robustness check
that needs no release model, so recipes can be compared before one ships.

    python -m training.analyses.augmented_heldout --runs gru,gru_augstats,gru_augstats_half

Each held-out RAVDESS clip is read in its clean version and in each augmented copy the cache holds
(training/augment.py: speed, white, pink or babble noise at 5-35 dB SNR, a time shift), the image
and the statistics both from that copy, by the average of the fold's seed models (as
train_speech scores a fold). evaluate_robustness measures the shipped file at fixed SNRs; this
compares runs on the augmentation's own mix of conditions.

Writes training/results/augmented_heldout.json.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from pathlib import Path

import keras
import numpy as np

from ..report import RESULTS, run_stamp
from ..speech_data import SpeechData
from ..speech_models import AttentionPool  # noqa: F401  (registered on import: the saved GRU nets use it)


@cache
def features(path: str, extra: str) -> SpeechData:
    """A cache loaded once for every run trained on it (the 8-copy cache is over 1 GB)."""
    return SpeechData(path, extra)


def run_accuracy(run: Path) -> dict:
    """Fold-mean RAVDESS accuracy of `run`'s fold ensembles on the clean and on the augmented versions."""
    config = json.loads((run / "config.json").read_text())
    data = features(config["cache"], config.get("extra_cache", ""))
    clean, augmented = [], []
    folds = sorted(int(p.stem[7:]) for p in run.glob("cv_fold*.npz"))
    for fold in folds:
        members = [keras.saving.load_model(p) for p in sorted(run.glob(f"cv{fold}_seed*.keras"))]
        clips = data.held_out(fold)
        clips = clips[data.corpus[clips] == "ravdess"]
        by_version = []
        for version in range(data.image.shape[1]):
            inputs = data.inputs(config["model"], clips, np.full(clips.size, version))
            probs = np.mean([m.predict(inputs, batch_size=256, verbose=0)["probs"] for m in members], axis=0)
            by_version.append(float((probs.argmax(1) == data.label[clips]).mean()))
        clean.append(by_version[0])
        augmented.append(float(np.mean(by_version[1:])))
        print(f"{run.name} fold {fold}: clean {by_version[0]:.3f}, augmented {augmented[-1]:.3f}", flush=True)
    return {
        "folds": folds,
        "augmented_copies": int(data.image.shape[1] - 1),
        "clean_fold_accuracy": clean,
        "augmented_fold_accuracy": augmented,
        "clean_accuracy_mean": float(np.mean(clean)),
        "augmented_accuracy_mean": float(np.mean(augmented)),
        "drop_points": float(100 * (np.mean(clean) - np.mean(augmented))),
        "augment_stats": float(config.get("augment_stats", 0.0)),  # train_speech --augment-stats
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="gru,gru_augstats,gru_augstats_half", help="cv run folders under --root")
    parser.add_argument("--root", default="runs/speech")
    args = parser.parse_args()
    report = {
        "run": run_stamp(),
        "what": ("RAVDESS held-out actors (first 2.4 s), 5 folds of 4 actors: each fold's seed ensemble on "
                 "the clean clips and on their augmented copies (image and statistics of the same copy)"),
        **{name: run_accuracy(Path(args.root) / name) for name in args.runs.split(",")},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "augmented_heldout.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
