"""Voice + face fusion (emotion_core.fusion) on paired held-out material, cross-fitted.

    python -m training.evaluate_fusion     # ~3.5 min the first time (scoring every clip and face), then ~15 s
    python -m training.evaluate_fusion --faces-per-clip 5 --seed 1

No data set films one person's voice and face with labels, so pairs are built: a RAVDESS clip
(first 2.4 s) with a FER2013 face. Voice: for every clip, the probabilities of the one member of
the shipped speech model that never heard its actor (one window, the clip's first). Face: the
shipped face model on the FER2013 validation split (never trained on), each image one whole crop.
Both channels are calibrated with the temperatures the model set ships, as serving fuses them
(run training.calibrate_confidence first; the weights fitted here depend on them).
"Agreeing" pairs give each clip `faces_per_clip` faces of its own fused label (calm -> neutral);
"disagreeing" pairs give it faces of other labels, chosen uniformly among the other six.

Cross-fitting: half 0 is actors 1-10 with one hash-half of the faces, half 1 actors 11-20 with the
other; the weights fitted on one half's agreeing pairs are scored on the other half, so no figure
comes from pairs the weights saw. The weights fitted on all agreeing pairs are the ones to ship:
they are written into the embedded model set's manifest (its "fusion" entry), which serving reads.
The fused reading's "uncertain" threshold follows training/confidence.py's rule on agreeing pairs:
chosen on one half (with that half's weights), scored on the other; the one chosen on all agreeing
pairs with the shipped weights ships in the same entry.
Writes training/results/fusion_metrics.json and fusion_accuracy.png; the channels' probabilities
are cached in cache/fusion_*.npz (recomputed when a model file changes).
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

from emotion_core.fusion import DEFAULT_WEIGHTS, FUSED_LABELS, FusionWeights, fit_weights, pool
from emotion_core.model_set import FusionEntry, load_model_set

from .confidence import TARGET_PRECISION, answered, lowest_threshold, rule, top
from .config_cli import parse_config
from .face_data import FACE_LABELS
from .heldout import calibrated, face_probs, voice_probs
from .manifest import fields_of, record
from .report import RESULTS, run_stamp


@dataclass
class Config:
    faces_per_clip: int = 3  # faces paired with each clip, in each pair set
    seed: int = 0  # pair sampling
    bootstrap: int = 2000  # resamples of the evaluation clips for the margin's interval
    target_precision: float = TARGET_PRECISION  # of the fused readings answered (training/confidence.py)
    cache: str = "cache"
    results: str = str(RESULTS)


N = len(FUSED_LABELS)
CHANNELS = ("voice", "face", "fused", "fused_equal_weights")


class FaceCycle:
    """One label's faces in a shuffled order, reshuffled once all are used: no face is reused in a
    pair set before every face of its label has been."""

    def __init__(self, faces: np.ndarray, rng: np.random.Generator):
        self.faces, self.rng, self.order = faces, rng, []

    def next(self) -> int:
        if not self.order:
            self.order = self.rng.permutation(self.faces).tolist()
        return self.order.pop()


def make_pairs(clips: np.ndarray, clip_truth: np.ndarray, faces: np.ndarray, face_truth: np.ndarray,
               k: int, agree: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(clip index, face index) pairs: k per clip, each face of the clip's label (agree) or of a
    label drawn uniformly from the other six."""
    cycles = [FaceCycle(faces[face_truth[faces] == c], rng) for c in range(N)]
    pairs = []
    for clip in clips:
        for _ in range(k):
            label = clip_truth[clip]
            if not agree:
                label = rng.choice([c for c in range(N) if c != clip_truth[clip]])
            pairs.append((clip, cycles[label].next()))
    clip_idx, face_idx = np.array(pairs).T
    return clip_idx, face_idx


def reuse(face_idx: np.ndarray) -> dict:
    counts = np.unique(face_idx, return_counts=True)[1]
    return {"faces_used": int(counts.size), "max_uses_of_a_face": int(counts.max())}


def accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    return float((pred == truth).mean())


def recall(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {label: accuracy(pred[truth == c], c) for c, label in enumerate(FUSED_LABELS)}


def channel_preds(v: np.ndarray, f: np.ndarray, w: FusionWeights) -> dict[str, np.ndarray]:
    """Each channel's and each pool's predicted label of every pair."""
    return {
        "voice": v.argmax(1),
        "face": f.argmax(1),
        "fused": pool(v, f, w).argmax(1),
        "fused_equal_weights": pool(v, f, DEFAULT_WEIGHTS).argmax(1),
    }


def disagreement(preds: dict[str, np.ndarray], voice_truth: np.ndarray, face_truth: np.ndarray) -> dict:
    """Where each predictor lands on pairs whose channels show different emotions, and which
    channel's own prediction the pools side with."""
    out = {}
    for name, pred in preds.items():
        is_voice, is_face = pred == voice_truth, pred == face_truth
        out[name] = {
            "equals_voice_truth": float(is_voice.mean()),
            "equals_face_truth": float(is_face.mean()),
            "neither": float((~is_voice & ~is_face).mean()),
        }
        if name.startswith("fused"):
            out[name]["equals_voice_prediction"] = float((pred == preds["voice"]).mean())
            out[name]["equals_face_prediction"] = float((pred == preds["face"]).mean())
    return out


def main() -> None:
    started = time.perf_counter()
    cfg = parse_config(Config, __doc__)
    assert FACE_LABELS == FUSED_LABELS, "the face data's labels are the fused labels, in order"

    model_set = load_model_set()
    cache = Path(cfg.cache)
    voice, face = calibrated(model_set, voice_probs(model_set, cache), face_probs(model_set, cache))
    rng = np.random.default_rng(cfg.seed)
    halves = []
    for h in (0, 1):
        clips = np.flatnonzero((voice["actor"] > 10) == bool(h))
        faces = np.flatnonzero(face["half"] == h)
        sets = {}
        for name, agree in (("agreeing", True), ("disagreeing", False)):
            ci, fi = make_pairs(clips, voice["truth"], faces, face["truth"], cfg.faces_per_clip, agree, rng)
            sets[name] = {"clip": ci, "face": fi, "v": voice["probs"][ci], "f": face["probs"][fi],
                          "truth": voice["truth"][ci], "face_truth": face["truth"][fi]}
        per_label = dict(zip(FUSED_LABELS, np.bincount(face["truth"][faces], minlength=N).tolist()))
        halves.append({"actors": f"{10 * h + 1}-{10 * h + 10}", "n_clips": int(clips.size),
                       "n_faces": int(faces.size), "faces_per_label": per_label, **sets})
    for half in halves:
        a = half["agreeing"]
        half["weights"] = fit_weights(a["v"], a["f"], a["truth"])

    report_halves, pooled = [], {k: [] for k in ("truth", "male", *CHANNELS)}
    for h, half in enumerate(halves):
        w = halves[1 - h]["weights"]  # fitted on the other half's pairs
        a, d = half["agreeing"], half["disagreeing"]
        preds = channel_preds(a["v"], a["f"], w)
        acc = {name: accuracy(p, a["truth"]) for name, p in preds.items()}
        male = voice["actor"][a["clip"]] % 2 == 1
        for key, value in (("truth", a["truth"]), ("male", male), *preds.items()):
            pooled[key].append(value)
        d_preds = channel_preds(d["v"], d["f"], w)
        report_halves.append({
            "evaluated_on": {"actors": half["actors"], "face_hash_half": h, "n_clips": half["n_clips"],
                             "n_faces": half["n_faces"], "agreeing_pairs": int(a["truth"].size),
                             "disagreeing_pairs": int(d["truth"].size),
                             "faces_per_label": half["faces_per_label"],
                             "agreeing_face_reuse": reuse(a["face"])},
            "weights_fitted_on_other_half": asdict(w),
            "agreeing_accuracy": acc,
            "margin_fused_over_better_channel": acc["fused"] - max(acc["voice"], acc["face"]),
            "disagreeing": disagreement(d_preds, d["truth"], d["face_truth"]),
        })

    # The margin's interval: resample each evaluation half's clips (with all their pairs).
    boot = np.zeros(cfg.bootstrap)
    brng = np.random.default_rng(cfg.seed + 1)
    for h, half in enumerate(halves):
        clip, truth = half["agreeing"]["clip"], pooled["truth"][h]
        ids, inverse = np.unique(clip, return_inverse=True)
        hits = {name: np.bincount(inverse, pooled[name][h] == truth, ids.size) for name in CHANNELS[:3]}
        n_pairs = np.bincount(inverse, minlength=ids.size)
        draws = brng.integers(0, ids.size, (cfg.bootstrap, ids.size))
        acc = {name: hits[name][draws].sum(1) / n_pairs[draws].sum(1) for name in hits}
        boot += (acc["fused"] - np.maximum(acc["voice"], acc["face"])) / len(halves)

    truth, male = np.concatenate(pooled["truth"]), np.concatenate(pooled["male"])
    preds = {name: np.concatenate(pooled[name]) for name in CHANNELS}
    mean_acc = {
        name: float(np.mean([r["agreeing_accuracy"][name] for r in report_halves])) for name in CHANNELS
    }
    margin = float(np.mean([r["margin_fused_over_better_channel"] for r in report_halves]))
    everything = {k: np.concatenate([half["agreeing"][k] for half in halves]) for k in ("v", "f", "truth")}
    shipped = fit_weights(everything["v"], everything["f"], everything["truth"])
    shipped_threshold = lowest_threshold(*top(pool(everything["v"], everything["f"], shipped), everything["truth"]),
                                         cfg.target_precision)
    disagree_mean = {
        name: {k: float(np.mean([r["disagreeing"][name][k] for r in report_halves])) for k in row}
        for name, row in report_halves[0]["disagreeing"].items()
    }
    report = {
        "run": run_stamp(),
        "command": " ".join(["python -m training.evaluate_fusion", *sys.argv[1:]]),
        "config": asdict(cfg),
        "shipped_weights": asdict(shipped),
        "cross_fitted_weights": {
            f"fitted_on_actors_{halves[h]['actors']}": asdict(halves[h]["weights"]) for h in (0, 1)
        },
        "agreeing_accuracy_mean": mean_acc,
        "margin_fused_over_better_channel_mean": margin,
        "margin_bootstrap_95": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))],
        "bar_margin_at_least_5_points": margin >= 0.05,
        "disagreeing_mean": disagree_mean,
        "per_class_recall_agreeing": {name: recall(preds[name], truth) for name in CHANNELS},
        "accuracy_by_gender_agreeing": {
            group: {name: accuracy(preds[name][sel], truth[sel]) for name in ("voice", "fused")}
            for group, sel in (("male_actors", male), ("female_actors", ~male))
        },
        "halves": report_halves,
        "fused_uncertain": fused_uncertain(halves, everything, shipped, shipped_threshold, cfg.target_precision),
        "channels_alone": {
            "voice_out_of_fold_all_ravdess_8_labels": accuracy(voice["probs8"].argmax(1), voice["truth8"]),
            "voice_out_of_fold_all_ravdess_fused_labels": accuracy(voice["probs"].argmax(1), voice["truth"]),
            "face_fer2013_validation_fused_labels": accuracy(face["probs"].argmax(1), face["truth"]),
            "n_clips": int(voice["truth"].size), "n_faces": int(face["truth"].size),
        },
        "notes": (
            "Pairs are built, not filmed: a RAVDESS (first 2.4 s) clip with a FER2013 validation face of "
            "the clip's fused label (agreeing) or another (disagreeing), so the two channels' errors "
            "are independent given the label, which real video need not be. Voice: the shipped speech "
            "model's member that never heard the clip's actor, on the clip's single window (served "
            "audio gets the 5-member average, which is smoother). Face: the shipped model as served "
            "(its views were chosen on this validation split, so face figures are slightly "
            "optimistic). Cross-fitting: half h = actors of group h with face hash-half h; each half "
            "is scored with the weights fitted on the other half's agreeing pairs; 'mean' is the mean "
            "of the two halves. Per-class recall and gender use both evaluation halves pooled. "
            "shipped_weights: fitted on all agreeing pairs of both halves (not a held-out figure). "
            "margin_bootstrap_95: clips resampled within each half, faces held fixed."
        ),
    }
    results = Path(cfg.results)
    results.mkdir(parents=True, exist_ok=True)
    report["seconds_after_imports"] = round(time.perf_counter() - started, 1)
    (results / "fusion_metrics.json").write_text(json.dumps(report, indent=2))
    figure(report, results / "fusion_accuracy.png")
    fusion = FusionEntry(shipped.voice, shipped.face, "training/results/fusion_metrics.json (shipped_weights)",
                         uncertain_below=shipped_threshold)
    record("fusion", {fusion.task: fields_of(fusion)}, ("speech", "face"), model_set.folder)
    headline = ("shipped_weights", "agreeing_accuracy_mean", "margin_fused_over_better_channel_mean",
                "margin_bootstrap_95", "fused_uncertain", "seconds_after_imports")
    print(json.dumps({k: report[k] for k in headline}, indent=2))


def fused_uncertain(halves: list[dict], everything: dict, shipped: FusionWeights, threshold: float | None,
                    target: float) -> dict:
    """The fused "uncertain" threshold: what it buys and costs on agreeing pairs, cross-fitted (chosen
    on the other half with its weights), and how often it calls a disagreeing pair uncertain."""
    def fused_top(pairs: dict, w: FusionWeights) -> tuple[np.ndarray, np.ndarray]:
        return top(pool(pairs["v"], pairs["f"], w), pairs["truth"])

    rows = {}
    for h, half in enumerate(halves):
        other = halves[1 - h]
        t = lowest_threshold(*fused_top(other["agreeing"], other["weights"]), target)
        conf_disagreeing = fused_top(half["disagreeing"], other["weights"])[0]
        rows[f"actors_{half['actors']}"] = {
            **answered(*fused_top(half["agreeing"], other["weights"]), t),
            "disagreeing_pairs_uncertain": 0.0 if t is None else float((conf_disagreeing < t).mean()),
        }
    keys = ("precision", "coverage", "accuracy_of_all", "disagreeing_pairs_uncertain")
    return {
        "rule": f"{rule(target)}, on agreeing pairs",
        "cross_fitted": rows,
        "cross_fitted_mean": {k: float(np.mean([r[k] for r in rows.values()])) for k in keys},
        "shipped_threshold": threshold,
        "shipped_on_all_agreeing_pairs_in_sample": answered(*fused_top(everything, shipped), threshold),
    }


def figure(report: dict, out: Path) -> None:
    """Accuracy on agreeing pairs by half, per-class recall, and where disagreeing pairs land."""
    fig = Figure(figsize=(15, 4.6))
    FigureCanvasAgg(fig)
    ax_acc, ax_rec, ax_dis = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.6, 1]})
    colors = dict(zip(CHANNELS, ("tab:blue", "tab:orange", "tab:green", "tab:gray")))
    groups = [f"actors {r['evaluated_on']['actors']}" for r in report["halves"]] + ["mean"]
    rows = [r["agreeing_accuracy"] for r in report["halves"]] + [report["agreeing_accuracy_mean"]]
    width = 0.2
    for i, name in enumerate(CHANNELS):
        x = np.arange(len(groups)) + (i - 1.5) * width
        ax_acc.bar(x, [row[name] for row in rows], width, label=name.replace("_", " "), color=colors[name])
    ax_acc.set_xticks(range(len(groups)), groups)
    ax_acc.set_ylim(0, 1.15)
    ax_acc.set_ylabel("accuracy, agreeing pairs")
    margin = report["margin_fused_over_better_channel_mean"]
    ax_acc.set_title(f"cross-fitted; fused - best channel = {margin * 100:+.1f} pts", fontsize=9)
    ax_acc.legend(fontsize=7, loc="upper center", ncol=2)
    for i, name in enumerate(("voice", "face", "fused")):
        x = np.arange(N) + (i - 1) * 0.27
        recall_row = list(report["per_class_recall_agreeing"][name].values())
        ax_rec.bar(x, recall_row, 0.27, label=name, color=colors[name])
    ax_rec.set_xticks(range(N), FUSED_LABELS, rotation=30, ha="right")
    ax_rec.set_ylim(0, 1)
    ax_rec.set_title("per-class recall, agreeing pairs (both evaluation halves)", fontsize=9)
    ax_rec.legend(fontsize=7)
    names = ("voice", "face", "fused")
    bottom = np.zeros(len(names))
    for key, color in (("equals_voice_truth", "tab:blue"), ("equals_face_truth", "tab:orange"),
                       ("neither", "lightgray")):
        share = np.array([report["disagreeing_mean"][n][key] for n in names])
        ax_dis.bar(names, share, 0.6, bottom=bottom, label=key.replace("_", " "), color=color)
        bottom += share
    ax_dis.set_ylim(0, 1)
    ax_dis.set_title("disagreeing pairs: predicted label is ...", fontsize=9)
    ax_dis.legend(fontsize=7)
    fig.suptitle("Voice (RAVDESS held-out actors) + face (FER2013 validation) fusion, "
                 "weights (voice / face) {voice:.2f} / {face:.2f}".format(**report["shipped_weights"]),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
