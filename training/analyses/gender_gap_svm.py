"""Cheap screen of ways to close the male-voice gap: the RBF SVM of svm_baseline on the statistics
our net sees (clean versions), on the same speaker-independent folds, one run per variant.

    python -m training.analyses.gender_gap_svm            # every variant (~1 min each on a quiet machine)
    python -m training.analyses.gender_gap_svm --only svm_gg_base,svm_gg_savee

Variants (svm_gg_base is svm_baseline's "svm_stats": TESS unweighted, no SAVEE):
  tess_half      TESS weighted 0.5 against RAVDESS (as the net trains)
  no_tess        without TESS (70 % of the clips, both female)
  balanced       weights so male and female clips carry equal total weight
  savee          + SAVEE (4 male speakers; speaker k held out with fold k and scored there)
  shifted        + a pitch/formant-shifted copy of every training clip (female down, male up)
  relpitch       without the absolute median pitch (log2 Hz): pitch only relative to the utterance
  no_abs_freq    also without the absolute spectral centroid and roll-off (log Hz)
  speaker_norm   each speaker's statistics z-scored over that speaker's clips (a diagnostic, NOT
                 servable: it needs a speaker's other recordings; shows what voice identity costs)
  gender_specific      one SVM per gender, trained on that gender's RAVDESS actors only (diagnostic:
                 is the male task harder even for a model that hears only male voices?)
  gender_specific_tess the same, the female SVM with TESS too
Writes runs/speech/<variant>/cv_fold<k>.npz (probabilities of RAVDESS, TESS and SAVEE held-out
clips); training/analyses/gender_gap.py turns them into the report.
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

# Statistics named by training/voice_frontend.stats_names: absolute pitch, centroid and roll-off.
LOG_F0 = "pitch_log2"
LOG_CENTROID = "centroid_log2"
LOG_ROLLOFF = "rolloff_log"

VARIANTS: dict[str, dict] = {
    "svm_gg_base": {},
    "svm_gg_tess_half": {"tess_weight": 0.5},
    "svm_gg_no_tess": {"tess": False},
    "svm_gg_balanced": {"balance": True},
    "svm_gg_savee": {"savee": True},
    "svm_gg_savee_balanced": {"savee": True, "balance": True},
    "svm_gg_shifted": {"shifted": True},
    "svm_gg_relpitch": {"drop": (LOG_F0,)},
    "svm_gg_no_abs_freq": {"drop": (LOG_F0, LOG_CENTROID, LOG_ROLLOFF)},
    "svm_gg_savee_relpitch": {"savee": True, "drop": (LOG_F0,)},
    "svm_gg_savee_shifted": {"savee": True, "shifted": True},
    "svm_gg_speaker_norm": {"speaker_norm": True},
    "svm_gg_gender_specific": {"tess": False, "gender_specific": True},
    "svm_gg_gender_specific_tess": {"gender_specific": True},
}


def speaker_ids(paths: np.ndarray, corpus: np.ndarray) -> np.ndarray:
    """A speaker key per clip: RAVDESS actor, TESS speaker (OAF/YAF), SAVEE speaker."""
    out = []
    for p, c in zip(paths, corpus):
        name = Path(str(p)).stem
        out.append(f"rav{name.split('-')[6]}" if c == "ravdess" else f"{c}_{name.split('_')[0]}")
    return np.array(out)


def run_variant(name: str, v: dict, caches: dict[str, str], out_root: Path) -> None:
    extra = ",".join(caches[k] for k in ("savee", "shifted") if v.get(k))
    data = SpeechData(caches["main"], extra)
    x = data.stats[:, 0].copy()
    if v.get("speaker_norm"):
        paths = np.concatenate([np.load(p)["path"] for p in [caches["main"], *filter(None, extra.split(","))]])
        spk = speaker_ids(paths, data.corpus)
        spk = np.where(data.scorable, spk, np.char.add(spk, "_shifted"))
        for s in np.unique(spk):
            m = spk == s
            x[m] = (x[m] - x[m].mean(0)) / (x[m].std(0) + 1e-6)
    if v.get("drop"):
        x = np.delete(x, [data.stats_names.index(n) for n in v["drop"]], axis=1)
    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    for fold in np.unique(data.fold[data.corpus == "ravdess"]):
        train = (data.fold != fold) & (v.get("tess", True) | (data.corpus != "tess"))
        train = np.flatnonzero(train)
        w = np.where(data.corpus[train] == "tess", v.get("tess_weight", 1.0), 1.0)
        if v.get("balance"):
            male = data.male[train]
            w = np.where(male, w / w[male].sum(), w / w[~male].sum())
        w = w / w.mean()
        test = data.held_out(fold)
        probs = np.zeros((test.size, len(LABELS)), dtype=np.float32)
        groups = [(data.male[train] == g, data.male[test] == g) for g in (True, False)] \
            if v.get("gender_specific") else [(np.ones(train.size, bool), np.ones(test.size, bool))]
        for tr, te in groups:
            clf = make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale", probability=True, random_state=0))
            clf.fit(x[train[tr]], data.label[train[tr]], svc__sample_weight=w[tr])
            probs[np.ix_(np.flatnonzero(te), clf.classes_)] = clf.predict_proba(x[test[te]])
        save_predictions(out / f"cv_fold{fold}.npz", data, test, probs=probs)
        hit = probs.argmax(1) == data.label[test]
        rav = data.corpus[test] == "ravdess"
        male = data.male[test]
        print(f"{name} fold {fold}: RAVDESS {hit[rav].mean():.3f} (male {hit[rav & male].mean():.3f}, "
              f"female {hit[rav & ~male].mean():.3f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default="cache/speech_features.npz")
    parser.add_argument("--savee-cache", default="cache/savee_features.npz")
    parser.add_argument("--shifted-cache", default="cache/speech_shifted.npz")
    parser.add_argument("--out", default="runs/speech")
    parser.add_argument("--only", default="", help="comma-separated variant names")
    args = parser.parse_args()
    caches = {"main": args.cache, "savee": args.savee_cache, "shifted": args.shifted_cache}
    names = args.only.split(",") if args.only else list(VARIANTS)
    for name in names:
        v = VARIANTS[name]
        if any(v.get(k) and not Path(caches[k]).exists() for k in ("savee", "shifted")):
            print(f"{name}: skipped, its cache is missing", flush=True)
            continue
        run_variant(name, v, caches, Path(args.out))


if __name__ == "__main__":
    main()
