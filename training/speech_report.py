"""Speaker-independent metrics of every speech model's held-out predictions: the variants table.

Reads the held-out predictions runs/speech/<model>/cv_fold<k>.npz (written by train_speech and
svm_baseline; int8_fold<k>.npz by export_speech) and writes training/results/speech_metrics.json
and speech_confusion.png. Used by training/evaluate_speech.py (alone) and export_speech.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, recall_score

from emotion_core.labels import LABELS

from .confusion import confusion_png
from .report import RESULTS, keep_earlier_rows, run_stamp

# The row of the model that ships (emotion_core/defaults/speech_int8.tflite, by export_speech):
# the report names it under "shipped", and its readers (docs, the model card) take the shipped
# figures from report[report["shipped"]].
SHIPPED = "speech_gru_net_int8"

# name in the report -> held-out prediction files (one per fold) under runs/speech, and which of
# their heads to score when not the served "probs"
MODELS: dict[str, str | tuple[str, str] | list[str]] = {
    "seed_cnn": "seed/cv_fold*.npz",
    "svm_mfcc_stats": "svm/cv_fold*.npz",
    "svm_mfcc_stats_prosody": "svm_prosody/cv_fold*.npz",
    # The same SVM on the statistics speech_net sees: their MFCC part alone, and all of them.
    "svm_mfcc_part_of_utterance_stats": "svm_stats_nospectral/cv_fold*.npz",
    "svm_utterance_stats": "svm_stats/cv_fold*.npz",
    # The steps that led to the net (shipped before the GRU net), on the same folds: v1 had a
    # narrower statistics branch; v2 had no spectral-shape statistics and weighted TESS like
    # RAVDESS; v3's spectral shape had no loudness course; v4 had no training-only head per
    # branch (its image branch stayed near chance alone in screening runs). Earlier versions are
    # gone from the code: their rows come from their own runs (kept by the report, or scored from
    # their predictions where still on disk).
    "speech_net_v1_without_waveform_augmentation": "net_v1_noaug/cv_fold*.npz",
    "speech_net_v1": "net_v1/cv_fold*.npz",
    "speech_net_v3_stats_width_256": "net_v3_w256/cv_fold*.npz",
    "speech_net_v3_weight_decay_1e-2": "net_v3_wd/cv_fold*.npz",
    "speech_net_v3_float": "net_v3/cv_fold*.npz",
    "speech_net_v3_int8": "net_v3/int8_fold*.npz",
    "speech_net_v4_float": "net_v4/cv_fold*.npz",
    "speech_net_v4_int8": "net_v4/int8_fold*.npz",
    # speech_net_v5: the net before the front end moved into the model graph (features from
    # emotion_core/dsp.py, librosa's routines carried over; gone). Its rows are kept from its run.
    "speech_net_v5_dsp_frontend_float": "net_v5/cv_fold*.npz",
    "speech_net_v5_dsp_frontend_int8": "net_v5/int8_fold*.npz",
    # Screening of the graph front end: folds 0 and 2 only, one seed each (not the 5-fold protocol;
    # read them against each other), with its first syllable rate (unsmoothed loudness peaks, which
    # counted noise flicker; since replaced). The net took the mixup variant.
    "screen_graph_frontend": "probe/cv_fold*.npz",
    "screen_graph_frontend_with_savee": "probe_savee/cv_fold*.npz",
    "screen_graph_frontend_augmented_statistics": "probe_augstats/cv_fold*.npz",
    "screen_graph_frontend_noise_floor_subtracted": "probe_dn/cv_fold*.npz",
    "screen_graph_frontend_mixup_0.2": "probe_mixup/cv_fold*.npz",
    # Each branch of the net alone, through the head that trains it.
    "speech_net_image_branch_alone": ("net/cv_fold*.npz", "image_probs"),
    "speech_net_statistics_branch_alone": ("net/cv_fold*.npz", "stats_probs"),
    "speech_net_float": "net/cv_fold*.npz",
    "speech_net_int8": "net/int8_fold*.npz",  # shipped before the GRU net
    # Sequence models over the frames (train_speech --model gru / attention), same folds; the GRU
    # net with 3 seeds, the attention model with one. The GRU net that ships learns on 8 augmented
    # copies of every clip (extract_speech --copies 8); its 4-copy run (the cache every row above
    # had), its ensemble with the net, and its variant with augmented statistics beside it.
    "speech_gru_net_float": "gru/cv_fold*.npz",
    "speech_gru_net_int8": "gru/int8_fold*.npz",
    "speech_gru_net_4_copies_float": "gru_4copies/cv_fold*.npz",
    "speech_gru_net_4_copies_int8": "gru_4copies/int8_fold*.npz",
    "speech_gru_net_augmented_statistics_float": "gru_augstats/cv_fold*.npz",  # always from the copy
    "speech_gru_net_half_augmented_statistics_float": "gru_augstats_half/cv_fold*.npz",  # half the time
    "speech_attention_net_float_1_seed": "attention_1seed/cv_fold*.npz",  # one seed per fold, not three
    "ensemble_net_and_gru_float": ["net/cv_fold*.npz", "gru_4copies/cv_fold*.npz"],  # the 4-copy GRU
}


def load_predictions(runs: Path, source: str | tuple[str, str] | list[str]) -> dict[str, np.ndarray] | None:
    """All folds' held-out predictions of one model (as "probs"), concatenated; None if not run.
    A list of runs is their ensemble: the same clips, their probabilities averaged."""
    if isinstance(source, list):
        members = [load_predictions(runs, s) for s in source]
        if any(m is None for m in members):
            return None
        assert all(np.array_equal(m["clips"], members[0]["clips"]) for m in members), "runs on different clips"
        return {**members[0], "probs": np.mean([m["probs"] for m in members], axis=0)}
    pattern, head = source if isinstance(source, tuple) else (source, "probs")
    parts = [np.load(f) for f in sorted(runs.glob(pattern))]
    if not parts or any(head not in p.files for p in parts):
        return None
    columns = {"probs": head, **{k: k for k in ("clips", "label", "fold", "corpus", "male")}}
    return {name: np.concatenate([p[key] for p in parts]) for name, key in columns.items()}


def _accuracy(pred: np.ndarray, label: np.ndarray) -> float:
    return float((pred == label).mean()) if label.size else float("nan")


def ravdess_metrics(pred: np.ndarray, label: np.ndarray, fold: np.ndarray, male: np.ndarray) -> dict:
    """Accuracy per held-out fold (mean, spread), macro-F1, per-class recall, male vs female."""
    per_fold = [_accuracy(pred[fold == f], label[fold == f]) for f in np.unique(fold)]
    present = sorted(set(label.tolist()))
    recall = recall_score(label, pred, labels=present, average=None, zero_division=0)
    return {
        "accuracy": _accuracy(pred, label),
        "fold_accuracy": per_fold,
        "fold_accuracy_mean": float(np.mean(per_fold)),
        "fold_accuracy_std": float(np.std(per_fold)),
        "macro_f1": float(f1_score(label, pred, labels=present, average="macro", zero_division=0)),
        "per_class_recall": {LABELS[c]: float(r) for c, r in zip(present, recall)},
        "accuracy_male_actors": _accuracy(pred[male], label[male]),
        "accuracy_female_actors": _accuracy(pred[~male], label[~male]),
        "n_clips": int(label.size),
    }


def model_metrics(z: dict[str, np.ndarray]) -> dict:
    pred, label, corpus = z["probs"].argmax(1), z["label"], z["corpus"]
    rav, tess = corpus == "ravdess", corpus == "tess"
    return {
        "ravdess_held_out_actors": ravdess_metrics(pred[rav], label[rav], z["fold"][rav], z["male"][rav]),
        "tess_held_out_words": {"accuracy": _accuracy(pred[tess], label[tess]), "n_clips": int(tess.sum())},
    }


def write_report(runs: Path = Path("runs/speech"), results: Path = RESULTS) -> dict:
    """Metrics of every model whose held-out predictions are under `runs`; the rows of the last
    report for models not run on this machine are kept, marked with their run."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / "speech_metrics.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    predictions = {name: load_predictions(runs, source) for name, source in MODELS.items()}
    scored = {name: model_metrics(z) for name, z in predictions.items() if z is not None}
    report = keep_earlier_rows({"run": run_stamp(), "shipped": SHIPPED, **scored}, previous)
    report["notes"] = (
        "RAVDESS (first 2.4 s) actors 1-20 in 5 folds of 4 actors (2 male, 2 female); every figure "
        "is on actors the model never saw. TESS: whole words held out per fold (2 speakers, not "
        "speaker-independent). Trained nets: the average of 3 seeds per fold (the int8 rows: that "
        "average as one int8 file); the shipped model ('shipped') is the int8 average of 5 models, "
        "one trained without each fold. Rows with 'from_run' were scored in that earlier run (their "
        "predictions were not on the machine)."
    )
    path.write_text(json.dumps(report, indent=2))
    if predictions[SHIPPED] is not None:
        z = predictions[SHIPPED]
        rav = z["corpus"] == "ravdess"
        confusion_png(
            z["label"][rav], z["probs"][rav].argmax(1), LABELS,
            results / "speech_confusion.png",
            f"{SHIPPED.removesuffix('_int8')} (int8), RAVDESS held-out actors, recall-normalised",
        )
    return report
