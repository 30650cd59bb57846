"""Calibrate the speech and face models' probabilities and choose their "uncertain" thresholds.

    python -m training.calibrate_confidence    # ~2.5 min the first time (SAVEE, FER2013 test), then seconds
    python -m training.calibrate_confidence --target-precision 0.8
    python -m training.evaluate_fusion         # then: the fusion weights are fitted on calibrated channels

Temperature scaling (emotion_core/calibration.py): p -> softmax(log p / T), T fitted by maximum
likelihood on predictions the model never trained on. It never changes a top label.

Speech: RAVDESS actors 1-20 (first 2.4 s), each clip read by the member of the shipped 5-member
model that never heard its actor (training/heldout.py). T is cross-fitted over the members' folds
(fitted on four, ECE scored on the fifth, mean reported); the candidate to ship is fitted on all
five. Serving averages the 5 members, and no RAVDESS actor is unheard by all of them, so SAVEE
(4 male speakers no member heard) checks the served ensemble: every clip as served (the mean over
its windows with speech), uncalibrated, with T on the members' mean, and with T on each member
before the mean. SAVEE has no calm: ECE is scored on the 8-label distribution a user sees (a calm
top label counts as wrong) and, as a second figure, renormalised over its 7 labels. Rule: ship T
(on the members' mean) unless it makes the served ensemble's SAVEE calibration worse (the 95 %
bootstrap interval of the ECE difference above zero); then ship 1.
Face: T fitted on the FER2013 validation split, ECE before/after on the test set, each image one
whole crop through the model as served (its views).
"Uncertain": training/confidence.py's rule on the calibrated top probability: speech cross-fitted
over the folds (and checked on SAVEE as served), face chosen on validation and scored on test.

ECE: 15 equal-width bins of the top-label confidence. Writes training/results/calibration_metrics.json
and calibration_reliability.png, and the temperatures and thresholds into the embedded model
set's manifest (speech and face entries), which serving reads.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from tqdm import tqdm

from emotion_core.decode.audio import load_audio
from emotion_core.calibration import apply_temperature, fit_temperature
from emotion_core.voice.features import split_windows
from emotion_core.model_set import ModelSet, load_model_set
from emotion_core.voice.speech import SpeechModel
from emotion_core.voice.vad import VoiceActivity, holds_speech

from .confidence import N_BINS, TARGET_PRECISION, answered, ece, lowest_threshold, reliability, rule, top
from .config_cli import parse_config
from .data import savee_clips
from .heldout import cached, face_probs, served_speech, voice_probs
from .manifest import record
from .report import RESULTS, run_stamp


@dataclass
class Config:
    target_precision: float = TARGET_PRECISION  # of the readings answered (training/confidence.py)
    bootstrap: int = 2000  # resamples of the SAVEE clips for the ECE differences' intervals
    seed: int = 0
    cache: str = "cache"
    results: str = str(RESULTS)


WAYS = ("uncalibrated", "t_on_members_mean", "t_on_each_member")  # how serving could apply T


def nll(probs: np.ndarray, truth: np.ndarray) -> float:
    p = np.asarray(probs, dtype=np.float64)
    return float(-np.log(np.clip(p[np.arange(truth.size), truth] / p.sum(axis=1), 1e-12, None)).mean())


def normalised(probs: np.ndarray) -> np.ndarray:
    """An int8 model's outputs (sums off by a step) as distributions, as serving renormalises them."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 0.0, None)
    return p / p.sum(axis=-1, keepdims=True)


def scores(probs: np.ndarray, truth: np.ndarray) -> dict:
    return {"ece": ece(probs, truth), "nll": nll(probs, truth), "accuracy": float(top(probs, truth)[1].mean()),
            "mean_confidence": float(np.asarray(probs).max(axis=1).mean())}


def savee_windows(model_set: ModelSet, cache: Path) -> dict[str, np.ndarray]:
    """Every SAVEE clip's windows as served: whether each holds speech, the members' mean output
    and each member's, with the clip each belongs to."""
    clips = savee_clips()

    def compute() -> dict[str, np.ndarray]:
        model, vad = SpeechModel(model_set), VoiceActivity()
        rows = []
        for i, clip in enumerate(tqdm(clips, desc="SAVEE")):
            audio = load_audio(clip.path)
            chunks = vad.chunk_probs(audio)
            for w in split_windows(audio, model.spec):
                out = model.read(w.samples)
                rows.append((i, holds_speech(chunks, w.start, w.end), out["probs"], out["members"]))
        clip_of, speech, mean, members = zip(*rows)
        return {"clip": np.array(clip_of), "speech": np.array(speech), "mean": np.array(mean, np.float32),
                "members": np.array(members, np.float32)}

    sha = served_speech(model_set)
    z = cached(cache / "savee_windows.npz", sha, [c.path for c in clips], compute)
    return {**z, "truth": np.array([model_set.speech.labels.index(c.label) for c in clips]),
            "speaker": np.array([c.speaker for c in clips])}


def savee_served(z: dict, temperature: float) -> dict[str, np.ndarray]:
    """Each clip with speech as served, by each way of applying `temperature` (WAYS): the mean over
    its speech windows of each window's distribution."""
    per_window = {
        "uncalibrated": normalised(z["mean"]),
        "t_on_members_mean": apply_temperature(z["mean"], temperature),
        "t_on_each_member": apply_temperature(z["members"], temperature).mean(axis=1),
    }
    clips = np.unique(z["clip"][z["speech"]])
    served = {way: np.stack([normalised(p[(z["clip"] == c) & z["speech"]].mean(axis=0)) for c in clips])
              for way, p in per_window.items()}
    return {**served, "truth": z["truth"][clips], "n_without_speech": z["truth"].size - clips.size}


def without(probs: np.ndarray, label: int) -> np.ndarray:
    """The distributions renormalised over the other labels (SAVEE has no calm)."""
    p = probs.copy()
    p[:, label] = 0.0
    return normalised(p)


def bootstrap_ece_differences(served: dict, cfg: Config) -> dict:
    """95 % intervals of ECE differences between ways, over resampled SAVEE clips."""
    rng = np.random.default_rng(cfg.seed)
    pairs = {"t_on_members_mean - uncalibrated": ("t_on_members_mean", "uncalibrated"),
             "t_on_each_member - uncalibrated": ("t_on_each_member", "uncalibrated"),
             "t_on_each_member - t_on_members_mean": ("t_on_each_member", "t_on_members_mean")}
    truth, n = served["truth"], served["truth"].size
    diffs = {name: [] for name in pairs}
    for _ in range(cfg.bootstrap):
        i = rng.integers(0, n, n)
        e = {way: ece(served[way][i], truth[i]) for way in WAYS}
        for name, (a, b) in pairs.items():
            diffs[name].append(e[a] - e[b])
    return {name: [float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))] for name, d in diffs.items()}


def speech_section(model_set: ModelSet, cfg: Config) -> tuple[dict, float, float | None, dict]:
    """Cross-fitted temperature and threshold on RAVDESS held-out actors, the SAVEE check of the
    served ensemble, and the decision. Returns the report, the temperature and threshold to ship,
    and the reliability rows for the figure."""
    entry = model_set.speech
    voice = voice_probs(model_set, Path(cfg.cache))
    probs, truth = normalised(voice["probs8"]), voice["truth8"]
    member_of = {a: int(k) for k, actors in entry.member_held_out_ravdess_actors.items() for a in actors}
    fold = np.array([member_of[a] for a in voice["actor"]])
    folds = sorted(set(fold.tolist()))
    fitted = {k: fit_temperature(probs[fold != k], truth[fold != k]) for k in folds}
    cross = np.zeros_like(probs)  # each clip calibrated with the T fitted without its fold
    for k in folds:
        cross[fold == k] = apply_temperature(probs[fold == k], fitted[k])
    rows = [{"actors": entry.member_held_out_ravdess_actors[str(k)], "temperature": fitted[k],
             "before": scores(probs[fold == k], truth[fold == k]), "after": scores(cross[fold == k], truth[fold == k])}
            for k in folds]
    t_all = fit_temperature(probs, truth)

    z = savee_windows(model_set, Path(cfg.cache))
    served = savee_served(z, t_all)
    calm = entry.labels.index("calm")
    intervals = bootstrap_ece_differences(served, cfg)
    heard = "savee" in entry.training_data.lower()  # then SAVEE is no held-out check of the ensemble
    worse = intervals["t_on_members_mean - uncalibrated"][0] > 0
    shipped_t = 1.0 if worse and not heard else t_all

    # The threshold, chosen as it would ship: on calibrated (or not) held-out readings.
    def calibrated(k: int | None, p: np.ndarray) -> np.ndarray:
        return p if shipped_t == 1.0 else apply_temperature(p, t_all if k is None else fitted[k])

    uncertain_rows = []
    for k in folds:
        t = lowest_threshold(*top(calibrated(k, probs[fold != k]), truth[fold != k]), cfg.target_precision)
        uncertain_rows.append({"actors": entry.member_held_out_ravdess_actors[str(k)],
                               **answered(*top(calibrated(k, probs[fold == k]), truth[fold == k]), t)})
    threshold = lowest_threshold(*top(calibrated(None, probs), truth), cfg.target_precision)
    savee_shipped = served["uncalibrated"] if shipped_t == 1.0 else served["t_on_members_mean"]
    report = {
        "held_out": "RAVDESS actors 1-20 (first 2.4 s), each clip's first window read by the member that never "
                    "heard its actor",
        "n_clips": int(truth.size),
        "cross_fitted": {"folds": rows, "mean": {
            side: {key: float(np.mean([r[side][key] for r in rows])) for key in rows[0][side]}
            for side in ("before", "after")}},
        "pooled_out_of_fold": {"before": scores(probs, truth), "after_cross_fitted": scores(cross, truth)},
        "temperature_fitted_on_all_folds": t_all,
        "savee_served_ensemble": {
            "scoring": "each clip as served: the mean over its windows with speech of the 5 members' mean; ECE "
                       "on the 8-label distribution (a calm top label is wrong); 'renormalised_7' drops calm",
            "model_heard_savee": heard,
            "n_clips": int(served["truth"].size), "n_clips_without_speech": int(served["n_without_speech"]),
            "temperature": t_all,
            **{way: {**scores(served[way], served["truth"]),
                     "ece_renormalised_7": ece(without(served[way], calm), served["truth"])} for way in WAYS},
            "ece_difference_bootstrap_95": intervals,
            "per_speaker_accuracy": {s: float(top(served["uncalibrated"][served_speakers(z, s)],
                                                  served["truth"][served_speakers(z, s)])[1].mean())
                                     for s in sorted(set(z["speaker"].tolist()))},
        },
        "shipped_temperature": shipped_t,
        "applied_to": "the members' mean (serving's 'probs' output), per window",
        "decision": (f"T = {t_all:.3f} on the members' mean makes SAVEE's served ECE worse (95 % interval of the "
                     "difference above zero): shipped T = 1" if shipped_t == 1.0 else
                     f"T = {t_all:.3f} fitted on all folds ships, on the members' mean"),
        "uncertain": {
            "rule": rule(cfg.target_precision),
            "cross_fitted": {"folds": uncertain_rows, "mean": {
                key: float(np.mean([r[key] for r in uncertain_rows]))
                for key in ("precision", "coverage", "accuracy_of_all")}},
            "shipped_threshold": threshold,
            "ravdess_all_folds_in_sample": answered(*top(calibrated(None, probs), truth), threshold),
            "savee_served_ensemble": answered(*top(savee_shipped, served["truth"]), threshold),
        },
    }
    figure_rows = {
        "RAVDESS held-out actors (one member)": {
            "before": reliability(probs, truth), "after": reliability(cross, truth),
            "ece": (ece(probs, truth), ece(cross, truth)),
            "after_is": f"T fitted on the other folds (all folds: {t_all:.3f})"},
        "SAVEE, served ensemble": {
            "before": reliability(served["uncalibrated"], served["truth"]),
            "after": reliability(served["t_on_members_mean"], served["truth"]),
            "ece": (ece(served["uncalibrated"], served["truth"]), ece(served["t_on_members_mean"], served["truth"])),
            "after_is": f"T = {t_all:.3f} on the members' mean; speech ships T = {shipped_t:.3g}"},
    }
    return report, shipped_t, threshold, figure_rows


def served_speakers(z: dict, speaker: str) -> np.ndarray:
    """Which of the served SAVEE clips (those with speech) are the speaker's."""
    return z["speaker"][np.unique(z["clip"][z["speech"]])] == speaker


def face_section(model_set: ModelSet, cfg: Config) -> tuple[dict, float, float | None, dict]:
    """T and threshold fitted on FER2013 validation, scored on the test set."""
    val, test = (face_probs(model_set, Path(cfg.cache), split) for split in ("validation", "test"))
    t = fit_temperature(val["probs"], val["truth"])
    cal = {name: apply_temperature(d["probs"], t) for name, d in (("validation", val), ("test", test))}
    threshold = lowest_threshold(*top(cal["validation"], val["truth"]), cfg.target_precision)
    report = {
        "fitted_on": f"FER2013 validation split ({val['truth'].size} images), each one whole crop, as served",
        "temperature": t,
        **{name: {"n": int(d["truth"].size), "before": scores(normalised(d["probs"]), d["truth"]),
                  "after": scores(cal[name], d["truth"])} for name, d in (("validation", val), ("test", test))},
        "uncertain": {
            "rule": rule(cfg.target_precision),
            "shipped_threshold": threshold,
            "validation_in_sample": answered(*top(cal["validation"], val["truth"]), threshold),
            "test": answered(*top(cal["test"], test["truth"]), threshold),
        },
    }
    figure_rows = {"FER2013 test": {"before": reliability(normalised(test["probs"]), test["truth"]),
                                    "after": reliability(cal["test"], test["truth"]),
                                    "ece": (report["test"]["before"]["ece"], report["test"]["after"]["ece"]),
                                    "after_is": f"T = {t:.3f} fitted on validation, shipped"}}
    return report, t, threshold, figure_rows


def figure(panels: dict[str, dict], out: Path) -> None:
    """One reliability diagram per held-out set: accuracy against confidence per bin, before and after."""
    fig = Figure(figsize=(5 * len(panels), 5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels))
    edges = np.linspace(0, 1, N_BINS + 1)
    for ax, (title, panel) in zip(axes, panels.items()):
        ax.plot([0, 1], [0, 1], color="lightgray", lw=1)
        for side, color, shift in (("before", "tab:red", -0.25), ("after", "tab:blue", 0.25)):
            rows = panel[side]
            acc = [a if a is not None else np.nan for a in rows["accuracy"]]
            width = (edges[1] - edges[0]) / 2
            ax.bar(edges[:-1] + width * (1 + shift), acc, width, color=color, alpha=0.6,
                   label=f"{side}: ECE {panel['ece'][side == 'after'] * 100:.1f} %")
            conf = [c if c is not None else np.nan for c in rows["confidence"]]
            ax.plot(conf, acc, "o", color=color, ms=3)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("top-label confidence (15 bins)")
        ax.set_ylabel("accuracy")
        ax.set_title(f"{title}\nafter: {panel['after_is']}", fontsize=9)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Reliability before and after temperature scaling: accuracy per confidence bin "
                 "(dots at the bin's mean confidence; calibrated = on the diagonal)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    started = time.perf_counter()
    cfg = parse_config(Config, __doc__)

    model_set = load_model_set()
    speech, speech_t, speech_threshold, speech_panels = speech_section(model_set, cfg)
    face, face_t, face_threshold, face_panels = face_section(model_set, cfg)
    report = {
        "run": run_stamp(),
        "command": " ".join(["python -m training.calibrate_confidence", *sys.argv[1:]]),
        "config": asdict(cfg),
        "method": "temperature scaling, T by maximum likelihood (emotion_core/calibration.py); ECE over "
                  f"{N_BINS} equal-width bins of the top-label confidence",
        "speech": speech,
        "face": face,
        "shipped": {"speech": {"temperature": speech_t, "uncertain_below": speech_threshold},
                    "face": {"temperature": face_t, "uncertain_below": face_threshold}},
    }
    results = Path(cfg.results)
    results.mkdir(parents=True, exist_ok=True)
    report["seconds_after_imports"] = round(time.perf_counter() - started, 1)
    (results / "calibration_metrics.json").write_text(json.dumps(report, indent=2))
    figure({**speech_panels, **face_panels}, results / "calibration_reliability.png")
    # Written into the entries as they are now, and only if their model files are the ones calibrated.
    current = load_model_set(model_set.folder)
    for entry, t, threshold in ((current.speech, speech_t, speech_threshold), (current.face, face_t, face_threshold)):
        if current.manifest.files[entry.file] != model_set.manifest.files[model_set.manifest.models[entry.task].file]:
            raise SystemExit(f"the {entry.task} model changed while this ran: not writing its calibration")
    record("confidence", {task: {"temperature": t, "uncertain_below": threshold} for task, t, threshold in (
        ("speech", speech_t, speech_threshold), ("face", face_t, face_threshold))}, ("speech", "face"), model_set.folder)
    print(json.dumps(report["shipped"], indent=2))
    print("The fusion weights depend on the channels' temperatures: run python -m training.evaluate_fusion next.")


if __name__ == "__main__":
    main()
