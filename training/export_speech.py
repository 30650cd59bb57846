"""Export the trained speech models: the int8 twin of every scored fold ensemble (int8 vs float on
the same held-out actors), the metrics report, the int8 release ensemble as the embedded default
model, and its manifest entry.

    python -m training.export_speech --run runs/speech/gru --noisy-run runs/speech/gru_noisy_only

--noisy-run names the run whose release members become the model for windows with a steady noise
floor (SpeechEntry.noisy; "" ships none): trained on the same cache, so the same normaliser; it is
only used once training/fit_noise_router.py has chosen when.

A run trained with --extra-cache (SAVEE, shifted copies) is exported with the same caches (read
from its config.json), so its normaliser and held-out clips are the ones it was trained with.

Also writes the float twin of the release ensemble to <run>/speech_float.tflite for bench/.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import keras
import numpy as np

from emotion_core.voice.features import FeatureSpec
from emotion_core.labels import LABELS
from emotion_core.model_set import DEFAULT_DIR, NoisyModel, SpeechEntry, SpeechInput

from .data import ravdess_fold
from .manifest import fields_of, record
from .speech_data import SpeechData, held_out_inputs, representative, save_predictions
from .speech_models import fold_ensemble, unrolled
from .speech_report import MODELS, SHIPPED, write_report
from .tflite_export import tflite_predict, to_tflite
from .voice_frontend import FrontEnd
from .voice_frontend import to_tflite as frontend_tflite

MODEL_FILE = "speech_int8.tflite"
NOISY_FILE = "speech_noisy_int8.tflite"
FRONTEND_FILE = "speech_frontend.tflite"
# What each member is, by train_speech's --model, for the manifest's architecture line.
MEMBERS = {
    "net": "speech_net models (1-D CNN over MFCC+deltas and an MLP over the statistics)",
    "gru": ("speech_gru_net models (1-D convolutions over MFCC+deltas, a bidirectional GRU over their "
            "37 steps with attention pooling, and an MLP over the statistics)"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="runs/speech/gru")
    parser.add_argument("--noisy-run", default="runs/speech/gru_noisy_only", help="the model for steady noise")
    parser.add_argument("--cache", default="", help="the features cache (default: the one the run trained on)")
    parser.add_argument("--out", default=str(DEFAULT_DIR))
    parser.add_argument("--calibration", type=int, default=500)
    args = parser.parse_args()

    run = Path(args.run)
    if run.name != MODELS[SHIPPED].split("/")[0]:
        parser.error(f"the shipped row {SHIPPED} reads runs/speech/{MODELS[SHIPPED]}, not {run}")
    config = json.loads((run / "config.json").read_text()) if (run / "config.json").exists() else {}
    extra = config.get("extra_cache", "")
    data = SpeechData(args.cache or config.get("cache", "cache/speech_features.npz"), extra)
    with tempfile.TemporaryDirectory() as tmp:
        for k in sorted(int(p.stem[7:]) for p in run.glob("cv_fold*.npz")):
            # The int8 twin of each scored fold's seed ensemble, scored on the same held-out actors.
            members = [unrolled(keras.saving.load_model(p)) for p in sorted(run.glob(f"cv{k}_seed*.keras"))]
            train, test = np.flatnonzero(data.fold != k), data.held_out(k)
            path = Path(tmp) / f"cv{k}.tflite"
            path.write_bytes(to_tflite(fold_ensemble(members), representative(data, train, args.calibration, k)))
            probs = tflite_predict(str(path), held_out_inputs(data, test))
            save_predictions(run / f"int8_fold{k}.npz", data, test, probs=probs)
            print(f"fold {k}: int8 scored", flush=True)
    report = write_report(run.parent)

    folds = sorted(int(p.stem[7:]) for p in run.glob("release*.keras"))
    members = [unrolled(keras.saving.load_model(run / f"release{k}.keras")) for k in folds]
    everything = np.arange(data.label.size)
    ensemble = fold_ensemble(members)
    model_bytes = to_tflite(ensemble, representative(data, everything, args.calibration))
    out = Path(args.out)
    (out / MODEL_FILE).write_bytes(model_bytes)
    noisy = export_noisy(Path(args.noisy_run), run, folds, data, args.calibration, out) if args.noisy_run else None
    (out / FRONTEND_FILE).write_bytes(frontend_tflite(FrontEnd(FeatureSpec(**data.spec))))
    # The float twin is not shipped: bench/ times it against the int8 model.
    (run / "speech_float.tflite").write_bytes(to_tflite(ensemble))
    norm = json.loads((run / "stats_norm.json").read_text())
    ours = report[SHIPPED]
    entry = SpeechEntry(
        file=MODEL_FILE,
        frontend=FRONTEND_FILE,
        labels=LABELS,
        emits=LABELS,
        architecture=(
            f"a float front end (log-mel, MFCC+deltas and utterance statistics of loudness, spectrum and "
            f"pitch, in the graph) feeding the int8 average of {len(members)} "
            f"{MEMBERS[config.get('model', 'net')]}, one per speaker-independent fold: member k never heard "
            "fold k's actors"
        ),
        member_held_out_ravdess_actors={
            str(i): tuple(a for a in range(1, 21) if ravdess_fold(a) == k) for i, k in enumerate(folds)
        },
        input=SpeechInput(
            tensors={"mfcc_image": tuple(data.image.shape[2:]), "stats": (data.stats.shape[-1],)},
            features=data.spec,
            stats_mean=tuple(norm["mean"]),
            stats_std=tuple(norm["std"]),
            sample_rate=16000,
            stats_names=data.stats_names,
        ),
        training_data="RAVDESS actors 1-20 (first 2.4 s) and TESS" + (
            " and SAVEE" if "savee" in extra else "") + (
            ", with pitch/formant-shifted copies" if "shift" in extra else ""),
        metrics={
            "ravdess_held_out_actors_accuracy_mean": ours["ravdess_held_out_actors"]["fold_accuracy_mean"],
            "ravdess_held_out_actors_accuracy_std": ours["ravdess_held_out_actors"]["fold_accuracy_std"],
            "ravdess_held_out_actors_macro_f1": ours["ravdess_held_out_actors"]["macro_f1"],
            "tess_held_out_words_accuracy": ours["tess_held_out_words"]["accuracy"],
            "source": f"training/results/speech_metrics.json ({SHIPPED}: int8 twins of the CV fold ensembles)",
        },
        noisy=noisy,
    )
    record("speech", {entry.task: fields_of(entry)}, (entry.task,), out)
    print(f"wrote {out / MODEL_FILE} ({len(model_bytes)} bytes) and its manifest entry")


def export_noisy(noisy_run: Path, run: Path, folds: list[int], data: SpeechData, calibration: int,
                 out: Path) -> NoisyModel:
    """The int8 average of `noisy_run`'s release members, with the same folds as the shipped ones."""
    config = json.loads((noisy_run / "config.json").read_text())
    if (noisy_run / "stats_norm.json").read_text() != (run / "stats_norm.json").read_text():
        raise SystemExit(f"{noisy_run} was trained with another statistics normaliser than {run}")
    if sorted(int(p.stem[7:]) for p in noisy_run.glob("release*.keras")) != folds:
        raise SystemExit(f"{noisy_run} has other release members than {run}")
    members = [unrolled(keras.saving.load_model(noisy_run / f"release{k}.keras")) for k in folds]
    (out / NOISY_FILE).write_bytes(to_tflite(fold_ensemble(members), representative(
        data, np.arange(data.label.size), calibration)))
    chance, clean = float(config.get("augment_stats", 0.0)), float(config.get("clean_prob", 0.5))
    return NoisyModel(
        file=NOISY_FILE,
        architecture=(f"the same {len(members)} {MEMBERS[config.get('model', 'net')]}, trained on the augmented "
                      f"copies (the clean clip {clean:.0%} of the time) with each copy's own statistics "
                      f"{chance:.0%} of the time (train_speech --clean-prob {clean:g} --augment-stats {chance:g}, "
                      f"run {noisy_run.name})"),
    )


if __name__ == "__main__":
    main()
