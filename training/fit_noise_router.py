"""Choose when the model for steady noise reads a window instead of the clean one, and measure both.

    python -m training.fit_noise_router      # ~2 min on 2 cores; after export_speech

Every RAVDESS clip (actors 1-20, first 2.4 s), clean and with white or babble noise at 10-40 dB
SNR over its speech (training/degrade.py; noise seeds of their own, not evaluate_robustness's), is
read by both shipped speech models, each clip by the member that never heard its actor; each
window's floor depth (emotion_core/voice/noise.py) is measured. The threshold is the one that
keeps clean accuracy within MAX_CLEAN_LOSS points of the clean model alone and, within that,
reads the noisy clips best on average. Chosen on the out-of-fold readings of these clips, like the
"uncertain" threshold; evaluate_robustness then measures it on noise drawn apart.

Then the noisy model's temperature: the one that minimises the negative log-likelihood of every
window it would read (its readings are flatter than the clean model's, having learnt on noisy
copies). Writes training/results/noise_router.json and noise_router.png, and both into the
manifest (SpeechEntry.noisy).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from tqdm import tqdm

from emotion_core.calibration import apply_temperature, fit_temperature
from emotion_core.decode.audio import load_audio
from emotion_core.model_set import load_model_set
from emotion_core.voice.features import split_windows
from emotion_core.voice.noise import floor_depth_db
from emotion_core.voice.speech import SpeechModel
from emotion_core.voice.vad import VoiceActivity

from .confidence import ece
from .config_cli import parse_config
from .data import ravdess_clips
from .degrade import babble, mix_at_snr, speech_mask, white_noise
from .manifest import record
from .report import RESULTS, run_stamp

MAX_CLEAN_LOSS = 0.5  # points of clean accuracy the routing may cost at most
THRESHOLDS = np.arange(10.0, 45.01, 0.5)  # dB of floor depth tried


@dataclass
class Config:
    seed: int = 1000  # noise and babble talkers (evaluate_robustness draws from seed 0)
    snrs: str = "10,20,30,40"  # dB over the clip's speech
    babble_talkers: int = 6
    results: str = str(RESULTS)


def conditions(cfg: Config, audio: list[np.ndarray], masks: list[np.ndarray], actors: np.ndarray) -> dict:
    """name -> function (clip index, samples) -> degraded samples."""
    halves = {False: np.flatnonzero(actors <= 10), True: np.flatnonzero(actors > 10)}

    def noise(kind: str, i: int) -> np.ndarray:
        rng = np.random.default_rng([cfg.seed, i, 0 if kind == "white" else 2])
        if kind == "white":
            return white_noise(audio[i].size, rng)
        picks = rng.choice(halves[bool(actors[i] <= 10)], cfg.babble_talkers, replace=False)
        return babble(audio[i].size, [audio[j] for j in picks], [masks[j] for j in picks], rng)

    out = {"clean": lambda i, a: a}
    for kind in ("white", "babble"):
        for snr in (float(s) for s in cfg.snrs.split(",")):
            out[f"{kind}_{snr:g}dB"] = lambda i, a, kind=kind, snr=snr: mix_at_snr(a, noise(kind, i), snr, masks[i])
    return out


def routed_accuracy(rows: dict, truth: np.ndarray, threshold: float) -> dict[str, float]:
    """Accuracy per condition when windows shallower than `threshold` dB go to the noisy model."""
    out = {}
    for name, r in rows.items():
        noisy = r["depth"] < threshold
        pred = np.where(noisy, r["noisy"], r["clean"])
        out[name] = float((pred == truth).mean())
    return out


def choose(rows: dict, truth: np.ndarray) -> tuple[float, list[dict]]:
    """The threshold (see the module's docstring) and every candidate's accuracies."""
    clean_alone = float((rows["clean"]["clean"] == truth).mean())
    table = []
    for t in THRESHOLDS:
        acc = routed_accuracy(rows, truth, t)
        noisy = float(np.mean([v for k, v in acc.items() if k != "clean"]))
        table.append({"threshold_db": float(t), "clean": acc["clean"], "noisy_mean": noisy})
    allowed = [r for r in table if r["clean"] >= clean_alone - MAX_CLEAN_LOSS / 100]
    if not allowed:
        raise SystemExit(f"every threshold from {THRESHOLDS[0]:g} dB costs clean speech more than {MAX_CLEAN_LOSS} points")
    best = max(allowed, key=lambda r: (r["noisy_mean"], -r["threshold_db"]))
    return best["threshold_db"], table


def main() -> None:
    started = time.perf_counter()
    cfg = parse_config(Config, __doc__)
    model_set = load_model_set()
    entry = model_set.speech
    if entry.noisy is None:
        raise SystemExit("the shipped speech entry has no model for noisy windows: run export_speech with --noisy-run")
    member_of = {a: int(k) for k, actors in entry.member_held_out_ravdess_actors.items() for a in actors}
    model, vad = SpeechModel(model_set), VoiceActivity()
    clips = ravdess_clips()
    actors = np.array([int(c.speaker[1:]) for c in clips])
    truth = np.array([entry.labels.index(c.label) for c in clips])
    audio = [load_audio(c.path) for c in tqdm(clips, desc="load RAVDESS")]
    masks = [speech_mask(vad.chunk_probs(a), a.size) for a in tqdm(audio, desc="voice activity")]

    rows = {}
    for name, degrade in conditions(cfg, audio, masks, actors).items():
        depth, clean, noisy = [], [], []
        for i, a in enumerate(tqdm(audio, desc=name)):
            features = model.features(split_windows(degrade(i, a), model.spec)[0].samples)
            inputs = model.inputs_from(features)
            depth.append(floor_depth_db(features["mfcc"], model.spec.n_mels, model.spec.top_db))
            clean.append(model.run(inputs)["members"][member_of[actors[i]]].argmax())
            noisy.append(model.run(inputs, noisy=True)["members"][member_of[actors[i]]])
        noisy_probs = np.array(noisy)
        rows[name] = {"depth": np.array(depth), "clean": np.array(clean), "noisy": noisy_probs.argmax(1),
                      "noisy_probs": noisy_probs}

    threshold, table = choose(rows, truth)
    routed = routed_accuracy(rows, truth, threshold)
    # The noisy model's temperature, on every window it would read (NLL, as calibrate_confidence).
    sent = [(r["noisy_probs"][r["depth"] < threshold], truth[r["depth"] < threshold]) for r in rows.values()]
    probs_sent, truth_sent = np.concatenate([p for p, _ in sent]), np.concatenate([t for _, t in sent])
    temperature = fit_temperature(probs_sent, truth_sent)
    calibrated = apply_temperature(probs_sent, temperature)
    report = {
        "run": run_stamp(),
        "command": "python -m training.fit_noise_router",
        "config": asdict(cfg),
        "clips": "RAVDESS (first 2.4 s) actors 1-20, every clip, one window (the first, zero-padded to 3 s); "
                 "each clip read by the member of each model that never heard its actor",
        "models": {"clean": f"{entry.file} sha256 {model_set.manifest.files[entry.file]}",
                   "noisy": f"{entry.noisy.file} sha256 {model_set.manifest.files[entry.noisy.file]}"},
        "rule": f"the threshold that keeps clean accuracy within {MAX_CLEAN_LOSS} points of the clean model "
                "alone and reads the noisy conditions best on average",
        "threshold_db": threshold,
        "noisy_model_temperature": {
            "temperature": temperature,
            "windows": int(truth_sent.size),
            "what": "fitted on every window the noisy model reads at the threshold, in every condition",
            "ece_before": ece(probs_sent, truth_sent), "ece_after": ece(calibrated, truth_sent),
            "mean_confidence_before": float(probs_sent.max(1).mean()),
            "mean_confidence_after": float(calibrated.max(1).mean()),
            "accuracy": float((probs_sent.argmax(1) == truth_sent).mean()),
        },
        "conditions": {
            name: {
                "accuracy_clean_model": float((r["clean"] == truth).mean()),
                "accuracy_noisy_model": float((r["noisy"] == truth).mean()),
                "accuracy_routed": routed[name],
                "share_to_noisy_model": float((r["depth"] < threshold).mean()),
                "floor_depth_db_percentiles_5_50_95": [float(v) for v in np.percentile(
                    np.minimum(r["depth"], 99.0), [5, 50, 95])],
            }
            for name, r in rows.items()
        },
        "candidates": table,
        "seconds": round(time.perf_counter() - started, 1),
    }
    results = Path(cfg.results)
    (results / "noise_router.json").write_text(json.dumps(report, indent=2) + "\n")
    figure(report, results / "noise_router.png")
    fitted = {"floor_within_db": threshold, "temperature": temperature,
              "source": f"training/results/noise_router.json ({report['run']})"}
    record("noise_router", {"speech": {"noisy": fitted}}, ("speech",))
    print(json.dumps({k: {m: round(v[m], 3) for m in ("accuracy_clean_model", "accuracy_noisy_model",
                                                     "accuracy_routed", "share_to_noisy_model")}
                      for k, v in report["conditions"].items()}, indent=1))
    print(f"threshold {threshold} dB, noisy model temperature {temperature:.3f}; {report['seconds']} s")


def figure(report: dict, out: Path) -> None:
    """Accuracy against SNR for each noise: the clean model, the noisy one, and the two routed."""
    fig = Figure(figsize=(9, 3.6), constrained_layout=True)
    FigureCanvasAgg(fig)
    rows = report["conditions"]
    for ax, kind in zip(fig.subplots(1, 2, sharey=True), ("white", "babble")):
        names = sorted((n for n in rows if n.startswith(kind)), key=lambda n: -float(n.split("_")[1][:-2]))
        snrs = ["clean"] + [n.split("_")[1] for n in names]
        for key, label, style in (("accuracy_clean_model", "clean model", "o-"),
                                  ("accuracy_noisy_model", "noisy model", "s-"),
                                  ("accuracy_routed", f"routed (< {report['threshold_db']:g} dB to noisy)", "k^--")):
            ax.plot(snrs, [100 * rows[n][key] for n in ["clean", *names]], style, label=label)
        ax.set_title(f"{kind} noise (SNR over the speech)")
        ax.set_xlabel("condition")
        ax.grid(alpha=0.3)
    fig.axes[0].set_ylabel("accuracy on held-out actors (%)")
    fig.axes[0].legend(fontsize=8)
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
