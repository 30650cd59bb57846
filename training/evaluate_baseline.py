"""The personal baseline on the held-out folds: does reading a person against their own neutral
voice help, and for whom?

    python -m training.evaluate_baseline

For every RAVDESS actor (1-20, first 2.4 s), the baseline is made from their neutral clips, and
only those; their other clips are scored with and without it. Every clip is read by the member of
the shipped model that never heard its actor (training/heldout.py), calibrated as served. The
shift's reference (what neutral clips of unheard people look like to the model) comes from the
other folds' actors, and the weight is cross-fitted too: chosen on the other four folds' actors,
scored on the fifth. The reference and weight fitted on all folds go into the manifest's speech
entry (emotion_core/baseline.py reads them).

The face model gets a reference (FER2013 validation faces labelled neutral, never trained on) but
no weight of its own: FER2013 has no identities, so no per-person check is possible here; the face
shift ships with the voice's weight, marked unvalidated.

Writes training/results/baseline_metrics.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion_core.baseline import fit_shift, relative
from emotion_core.calibration import PROB_FLOOR, apply_temperature
from emotion_core.model_set import DEFAULT_DIR, BaselineFit, load_model_set

from .config_cli import parse_config
from .data import ravdess_fold
from .heldout import face_probs, voice_probs
from .manifest import record
from .report import RESULTS, run_stamp

WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


@dataclass
class Config:
    cache: str = "cache"


def reference(probs: np.ndarray) -> np.ndarray:
    """Mean log-probabilities: what the model's reading of neutral input from unseen people is."""
    return np.log(np.clip(probs, PROB_FLOOR, None)).mean(axis=0)


def actor_rows(probs: np.ndarray, truth: np.ndarray, actor: np.ndarray, labels: tuple[str, ...],
               neutral: int, ref_by_fold: dict[int, np.ndarray], weight_by_fold: dict[int, float]) -> list[dict]:
    """Accuracy on each actor's non-neutral clips, before and after their own baseline."""
    rows = []
    for a in sorted(set(actor.tolist())):
        fold = ravdess_fold(a)
        base, scored = (actor == a) & (truth == neutral), (actor == a) & (truth != neutral)
        shift = fit_shift([dict(zip(labels, p)) for p in probs[base]], tuple(ref_by_fold[fold]), labels,
                          weight_by_fold[fold])
        after = np.array([[r[k] for k in labels] for r in (relative(dict(zip(labels, p)), shift) for p in probs[scored])])
        rows.append({
            "actor": a, "male": a % 2 == 1, "fold": fold, "weight": weight_by_fold[fold],
            "baseline_clips": int(base.sum()), "scored_clips": int(scored.sum()),
            "before": float((probs[scored].argmax(1) == truth[scored]).mean()),
            "after": float((after.argmax(1) == truth[scored]).mean()),
        })
    return rows


def summary(rows: list[dict]) -> dict:
    def group(chosen: list[dict]) -> dict:
        before = float(np.mean([r["before"] for r in chosen]))
        after = float(np.mean([r["after"] for r in chosen]))
        return {"actors": len(chosen), "accuracy_before": before, "accuracy_after": after,
                "gain_points": round(100 * (after - before), 2)}

    return {"male_actors": group([r for r in rows if r["male"]]),
            "female_actors": group([r for r in rows if not r["male"]]),
            "all_actors": group(rows)}


def main() -> None:
    cfg = parse_config(Config, __doc__)
    model_set = load_model_set(DEFAULT_DIR)
    entry = model_set.speech
    voice = voice_probs(model_set, Path(cfg.cache))
    probs = apply_temperature(voice["probs8"] / voice["probs8"].sum(1, keepdims=True), entry.temperature)
    truth, actor = voice["truth8"], voice["actor"]
    neutral = entry.labels.index("neutral")
    fold = np.array([ravdess_fold(a) for a in actor])
    folds = sorted(set(fold.tolist()))
    ref_by_fold = {k: reference(probs[(truth == neutral) & (fold != k)]) for k in folds}

    def rows_for(weights: dict[int, float]) -> list[dict]:
        return actor_rows(probs, truth, actor, entry.labels, neutral, ref_by_fold, weights)

    def gain(rows: list[dict], without_fold: int | None = None) -> float:
        """Mean gain over the actors, leaving out one fold's (the one the weight is for)."""
        return float(np.mean([r["after"] - r["before"] for r in rows if r["fold"] != without_fold]))

    by_weight = {w: rows_for(dict.fromkeys(folds, w)) for w in WEIGHTS}
    cross = {k: max(WEIGHTS, key=lambda w, k=k: gain(by_weight[w], k)) for k in folds}
    rows = rows_for(cross)
    weight = max(WEIGHTS, key=lambda w: gain(by_weight[w]))

    face = face_probs(model_set, Path(cfg.cache), "validation")
    face_p = apply_temperature(face["probs"], model_set.face.temperature)
    face_ref = reference(face_p[face["truth"] == model_set.face.labels.index("neutral")])

    report = {
        "run": run_stamp(),
        "model": f"{entry.file} sha256 {model_set.manifest.files[entry.file]}",
        "protocol": "RAVDESS actors 1-20 (first 2.4 s): each actor's neutral clips form their baseline, their other "
                    "clips are scored with and without it; each clip read by the member that never heard its actor, "
                    "calibrated as served; reference from the other folds' neutral clips; weight chosen on the other "
                    "four folds",
        "cross_fitted": summary(rows),
        "in_sample_by_weight": {str(w): summary(by_weight[w]) for w in WEIGHTS},
        "actors": rows,
        "shipped": {"weight": weight, "reference": [round(float(v), 5) for v in reference(probs[truth == neutral])]},
        "face": {"weight": weight, "reference": [round(float(v), 5) for v in face_ref], "validated": False,
                 "why": "FER2013 has no identities, so the face shift cannot be checked per person here; it ships "
                        "with the voice's weight and a reference from FER2013 validation faces labelled neutral"},
    }
    (RESULTS / "baseline_metrics.json").write_text(json.dumps(report, indent=2))
    source = "training/results/baseline_metrics.json"
    record("baseline", {
        "speech": {"baseline": BaselineFit(weight, tuple(report["shipped"]["reference"]), source).to_dict()},
        "face": {"baseline": BaselineFit(weight, tuple(report["face"]["reference"]),
                                         source + " (face: not validated per person)").to_dict()},
    }, ("speech", "face"))
    print(json.dumps(report["cross_fitted"], indent=2), f"\nshipped weight {weight}")


if __name__ == "__main__":
    main()
