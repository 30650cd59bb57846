"""Classical baselines on the same folds: MFCC mean/std (+ prosody) statistics and an RBF SVM; and
the same SVM on the statistics our net sees, and on their MFCC part alone (what the rest is
worth, measured without a network).

    python -m training.analyses.svm_baseline

Writes runs/speech/<name>/cv_fold<k>.npz for svm, svm_prosody, svm_stats_nospectral and svm_stats.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emotion_core.labels import LABELS

from ..speech_data import SpeechData, save_predictions


def baseline_features(data: SpeechData, with_prosody: bool) -> np.ndarray:
    """The classical baseline's input: per-clip mean and std of each MFCC over time (clean
    version), optionally + the loudness, spectrum and pitch scalars; deliberately simpler than
    the statistics the net sees."""
    raw = data.mfcc[:, 0].astype(np.float32)
    feats = [raw.mean(axis=2), raw.std(axis=2)]
    if with_prosody:
        feats.append(data.stats[:, 0, _scalars(data)])
    return np.concatenate(feats, axis=1)


def _scalars(data: SpeechData) -> slice:
    """Where the statistics' scalars (after the MFCC and mel-band blocks) start."""
    return slice(data.stats_names.index("loudness_std"), None)


def inputs(data: SpeechData) -> dict[str, np.ndarray]:
    """Run name -> the SVM's input per clip (clean version)."""
    return {
        "svm": baseline_features(data, with_prosody=False),
        "svm_prosody": baseline_features(data, with_prosody=True),
        "svm_stats_nospectral": data.stats[:, 0, : data.stats_names.index("mel0_std")],  # MFCC statistics alone
        "svm_stats": data.stats[:, 0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", default="cache/speech_features.npz")
    parser.add_argument("--out", default="runs/speech")
    args = parser.parse_args()
    data = SpeechData(args.cache)
    for name, x in inputs(data).items():
        out = Path(args.out) / name
        out.mkdir(parents=True, exist_ok=True)
        for fold in np.unique(data.fold):
            train, test = np.flatnonzero(data.fold != fold), np.flatnonzero(data.fold == fold)
            clf = make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale", probability=True, random_state=0))
            clf.fit(x[train], data.label[train])
            probs = np.zeros((test.size, len(LABELS)), dtype=np.float32)
            probs[:, clf.classes_] = clf.predict_proba(x[test])
            save_predictions(out / f"cv_fold{fold}.npz", data, test, probs=probs)
            acc = (probs.argmax(1) == data.label[test])[data.corpus[test] == "ravdess"].mean()
            print(f"{name} fold {fold}: RAVDESS held-out accuracy {acc:.3f}", flush=True)


if __name__ == "__main__":
    main()
