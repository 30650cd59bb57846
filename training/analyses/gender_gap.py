"""The male-voice gap of the speech model: where it is, why, and what each remedy tried did.

    python -m training.analyses.gender_gap                      # the report (seconds once the caches exist)
    python -m training.analyses.gender_gap --int8 runs/speech/gg_savee   # int8 twins of a cv run's fold
                                                                # ensembles, scored (int8_fold<k>.npz)
    python -m training.analyses.gender_gap --per-seed runs/speech/gg_savee,runs/speech/gg_balanced  # each seed alone
    python -m training.analyses.gender_gap --variants-only               # re-score the variants, keep the rest

Shipped model: every RAVDESS (first 2.4 s) clip scored by the one member of the shipped int8 model
that never heard its actor (training/heldout.py; cached in cache/fusion_voice_oof.npz), per actor,
per gender, per class and gender. Causes, each with a figure (training/results/gender_gap_*.png):
who the training clips are, where male pitch lies against the training distribution, what in the
statistics encodes gender, how far male clips sit from their training neighbours, recording level,
and the confusions by gender. Variants: every run under runs/speech whose name starts "svm_gg_"
(training/analyses/gender_gap_svm.py) or "gg_" (train_speech --stage cv, int8 via --int8), with their overall
and per-gender held-out figures, and SAVEE held-out speakers where their models never heard them.
Writes training/results/speech_gender_gap.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emotion_core.decode.audio import load_audio
from emotion_core.labels import LABELS

from ..data import ravdess_fold
from ..report import RESULTS, run_stamp
from ..speech_report import SHIPPED

N_MFCC_STATS = 4 * 40 - 1  # the statistics open with the MFCC means (c1..), stds, delta stds and spreads
PITCH = "pitch_log2"  # log2 of the window's mean voiced pitch in Hz (training/voice_frontend.py)


def acc(pred: np.ndarray, truth: np.ndarray) -> float:
    return float((pred == truth).mean()) if truth.size else float("nan")


def pct(x: float) -> float:
    return round(100.0 * x, 1)


# ----------------------------------------------------------------------------- shipped model
def shipped_section(cache: Path, out: Path) -> tuple[dict, dict]:
    from emotion_core.model_set import load_model_set

    from ..heldout import voice_probs

    v = voice_probs(load_model_set(), cache)
    pred, truth, actor = v["probs8"].argmax(1), v["truth8"], v["actor"]
    male = actor % 2 == 1
    per_actor = {
        int(a): {"gender": "male" if a % 2 else "female", "fold": ravdess_fold(int(a)),
                 "accuracy": pct(acc(pred[actor == a], truth[actor == a])), "n_clips": int((actor == a).sum())}
        for a in np.unique(actor)
    }
    per_fold = {}
    for k in range(5):
        f = np.array([ravdess_fold(int(a)) == k for a in actor])
        per_fold[str(k)] = {"all": pct(acc(pred[f], truth[f])), "male": pct(acc(pred[f & male], truth[f & male])),
                            "female": pct(acc(pred[f & ~male], truth[f & ~male]))}
    recall = {
        g: {LABELS[c]: pct(acc(pred[sel & (truth == c)], truth[sel & (truth == c)])) for c in range(len(LABELS))}
        for g, sel in (("male", male), ("female", ~male))
    }
    predicted_share = {
        g: {LABELS[c]: pct(float((pred[sel] == c).mean())) for c in range(len(LABELS))}
        for g, sel in (("male", male), ("female", ~male))
    }
    cm = {g: confusion_matrix(truth[sel], pred[sel], labels=range(len(LABELS)), normalize="true")
          for g, sel in (("male", male), ("female", ~male))}
    male_actor_acc = [per_actor[a]["accuracy"] for a in per_actor if a % 2]
    female_actor_acc = [per_actor[a]["accuracy"] for a in per_actor if a % 2 == 0]
    # How sure the gap is: actors resampled within each gender (the unit that varies), and the
    # sign of the gap in each fold (each fold holds 2 male and 2 female actors).
    rng = np.random.default_rng(0)
    m_acc, f_acc = np.array(male_actor_acc), np.array(female_actor_acc)
    boot = np.array([rng.choice(f_acc, f_acc.size).mean() - rng.choice(m_acc, m_acc.size).mean()
                     for _ in range(5000)])
    fold_gaps = [round(per_fold[k]["female"] - per_fold[k]["male"], 1) for k in per_fold]
    section = {
        "what": ("the shipped int8 model (emotion_core/defaults/speech_int8.tflite), each RAVDESS clip "
                 "(first 2.4 s, first window, as served) scored by the one member that never heard its "
                 "actor (member k held out fold k); a single member per clip, so lower than the "
                 "cross-validation figures in speech_metrics.json, which average 3 seeds per fold"),
        "model_sha256": str(v["sha"]),
        "accuracy_all": pct(acc(pred, truth)),
        "accuracy_male_actors": pct(acc(pred[male], truth[male])),
        "accuracy_female_actors": pct(acc(pred[~male], truth[~male])),
        "fold_accuracy_mean": pct(np.mean([acc(pred[np.array([ravdess_fold(int(a)) == k for a in actor])],
                                               truth[np.array([ravdess_fold(int(a)) == k for a in actor])])
                                           for k in range(5)])),
        "male_actor_accuracy_mean_sd": [round(float(np.mean(male_actor_acc)), 1), round(float(np.std(male_actor_acc)), 1)],
        "female_actor_accuracy_mean_sd": [round(float(np.mean(female_actor_acc)), 1),
                                          round(float(np.std(female_actor_acc)), 1)],
        "gap_female_minus_male_actor_bootstrap_95": [round(float(np.percentile(boot, q)), 1) for q in (2.5, 97.5)],
        "gap_female_minus_male_per_fold": fold_gaps,
        "per_fold": per_fold,
        "per_actor": per_actor,
        "per_class_recall_by_gender": recall,
        "predicted_label_share_by_gender": predicted_share,
        "macro_f1_by_gender": {g: pct(f1_score(truth[s], pred[s], average="macro")) for g, s in
                               (("male", male), ("female", ~male))},
    }
    metrics_path = RESULTS / "speech_metrics.json"
    if metrics_path.exists():
        m = json.loads(metrics_path.read_text())
        rows = {}
        for key in (SHIPPED, SHIPPED.replace("_int8", "_float"), "svm_utterance_stats"):
            if key in m:
                r = m[key]["ravdess_held_out_actors"]
                rows[key] = {"fold_accuracy_mean": pct(r["fold_accuracy_mean"]),
                             "male": pct(r["accuracy_male_actors"]), "female": pct(r["accuracy_female_actors"]),
                             "per_class_recall": {k: pct(x) for k, x in r["per_class_recall"].items()}}
        section["cross_validation_reference_speech_metrics_json"] = {"run": m.get("run"), **rows}
    confusion_figure(cm, recall, out / "gender_gap_confusion.png")
    return section, {"pred": pred, "truth": truth, "actor": actor, "male": male, "paths": v["keys"]}


def confusion_figure(cm: dict, recall: dict, path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw={"width_ratios": [1, 1, 1.1]})
    for ax, g in zip(axes[:2], ("male", "female")):
        ax.imshow(cm[g], cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(LABELS)), LABELS, fontsize=8)
        for i in range(len(LABELS)):
            for j in range(len(LABELS)):
                ax.text(j, i, f"{cm[g][i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if cm[g][i, j] > 0.5 else "black")
        ax.set_title(f"{g} actors (recall-normalised)", fontsize=9)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    ax = axes[2]
    diff = cm["male"] - cm["female"]
    lim = np.abs(diff).max()
    ax.imshow(diff, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, f"{diff[i, j]:+.2f}", ha="center", va="center", fontsize=6.5)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(LABELS)), [f"{c} ({recall['male'][c]:.0f}/{recall['female'][c]:.0f})" for c in LABELS],
                  fontsize=8)
    ax.set_title("male minus female (row label: recall % male/female)", fontsize=9)
    fig.suptitle("Shipped int8 speech model, RAVDESS held-out actors (each clip by the member that never "
                 "heard its actor)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------- causes
def load_cache(path: str, savee: str) -> dict:
    from ..speech_data import SpeechData

    extra = savee if Path(savee).exists() else ""
    data = SpeechData(path, extra)
    paths = np.concatenate([np.load(p)["path"] for p in [path, *filter(None, [extra])]])
    return {"data": data, "paths": paths}


def training_share(data) -> dict:
    """Who the shipped net trains on, per fold: clips and loss weight (TESS 0.5) by gender."""
    rows = {}
    main = data.source == 0
    for k in range(5):
        train = main & (data.fold != k)
        w = np.where(data.corpus == "tess", 0.5, 1.0)
        rows[str(k)] = {
            "clips_male_share": pct(float(data.male[train].mean())),
            "loss_weight_male_share": pct(float(w[train & data.male].sum() / w[train].sum())),
            "tess_share_of_clips": pct(float((data.corpus[train] == "tess").mean())),
        }
    return rows


def causes_section(shipped: dict, cache: dict, out: Path, manifest_norm: tuple[np.ndarray, np.ndarray]) -> dict:
    data, paths = cache["data"], cache["paths"]
    clean = data.stats[:, 0]
    main = data.source == 0
    rav, tess, savee = main & (data.corpus == "ravdess"), main & (data.corpus == "tess"), data.corpus == "savee"
    f0 = 2.0 ** data.stats[:, 0, data.stats_names.index(PITCH)]
    groups = {"RAVDESS male": rav & data.male, "RAVDESS female": rav & ~data.male, "TESS (female)": tess}
    if savee.any():
        groups["SAVEE (male)"] = savee

    # 1. training composition
    share = training_share(data)

    # 2. pitch: where each group's median F0 lies against the (loss-weighted) training distribution
    w = np.where(data.corpus == "tess", 0.5, 1.0)
    pitch = {}
    for g, sel in groups.items():
        pitch[g] = {"median_f0_hz": round(float(np.median(f0[sel])), 1),
                    "p10_p90_hz": [round(float(np.percentile(f0[sel], q)), 1) for q in (10, 90)]}
    below = []
    for k in range(5):
        train = main & (data.fold != k)
        order = np.argsort(f0[train])
        cum = np.cumsum(w[train][order]) / w[train].sum()
        p5 = f0[train][order][np.searchsorted(cum, 0.05)]
        p20 = f0[train][order][np.searchsorted(cum, 0.20)]
        test = rav & (data.fold == k)
        below.append((np.sum(f0[test & data.male] < p5), np.sum(test & data.male),
                      np.sum(f0[test & ~data.male] < p5), np.sum(test & ~data.male), p5, p20))
    below = np.array(below, dtype=float)
    pitch["held_out_clips_below_training_p5"] = {
        "male": pct(below[:, 0].sum() / below[:, 1].sum()), "female": pct(below[:, 2].sum() / below[:, 3].sum()),
        "training_p5_hz_per_fold": [round(x, 1) for x in below[:, 4]],
        "training_p20_hz_per_fold": [round(x, 1) for x in below[:, 5]],
    }
    mean, std = manifest_norm
    at = data.stats_names.index(PITCH)
    z0 = (data.stats[:, 0, at] - mean[at]) / std[at]
    pitch["normalised_log_f0_as_fed_mean"] = {g: round(float(z0[sel].mean()), 2) for g, sel in groups.items()}
    per_actor_f0 = {}
    for a, row in shipped["per_actor"].items():
        sel = rav & np.array([Path(str(p)).stem.endswith(f"-{a:02d}") for p in paths])
        per_actor_f0[a] = float(np.median(f0[sel]))
    acc_a = np.array([shipped["per_actor"][a]["accuracy"] for a in per_actor_f0])
    f0_a = np.array(list(per_actor_f0.values()))
    rho = float(np.corrcoef(np.argsort(np.argsort(f0_a)), np.argsort(np.argsort(acc_a)))[0, 1])
    pitch["actor_median_f0_vs_accuracy_spearman"] = round(rho, 2)
    male_a = np.array([a % 2 == 1 for a in per_actor_f0])
    rho_within = {}
    for g, sel in (("male", male_a), ("female", ~male_a)):
        r = np.corrcoef(np.argsort(np.argsort(f0_a[sel])), np.argsort(np.argsort(acc_a[sel])))[0, 1]
        rho_within[g] = round(float(r), 2)
    pitch["actor_median_f0_vs_accuracy_spearman_within_gender"] = rho_within

    # 3. what in the statistics encodes gender: speaker-independent gender classifier, and effect sizes
    names = data.stats_names
    mel0 = names.index("mel0_std")
    xr, yr, fr = clean[rav], data.male[rav], data.fold[rav]
    d = (xr[yr].mean(0) - xr[~yr].mean(0)) / np.sqrt((xr[yr].var(0) + xr[~yr].var(0)) / 2 + 1e-12)
    top = np.argsort(-np.abs(d))[:15]
    blocks = {"MFCC means": slice(0, 39), "MFCC spreads": slice(39, N_MFCC_STATS),
              "mel band movement": slice(mel0, mel0 + 64), "loudness, spectrum and pitch": slice(mel0 + 64, None)}
    gender_acc = {}
    for bname, sl in [("all statistics", slice(None)), *blocks.items()]:
        hits = []
        for k in range(5):
            clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
            clf.fit(xr[fr != k][:, sl], yr[fr != k])
            hits.append(clf.predict(xr[fr == k][:, sl]) == yr[fr == k])
        gender_acc[bname] = pct(float(np.concatenate(hits).mean()))
    encode = {
        "gender_from_statistics_speaker_independent_accuracy": gender_acc,
        "largest_male_female_effect_sizes_cohen_d": {names[i]: round(float(d[i]), 2) for i in top},
        "mean_abs_cohen_d_by_block": {b: round(float(np.abs(d[sl]).mean()), 2) for b, sl in blocks.items()},
    }

    # 4. distance of held-out clips to their training neighbours (standardised statistics)
    dist = {"male": [], "female": []}
    tess_neigh = {"male": [], "female": []}
    near_male = {"male": [], "female": []}
    for g, _, train, dd, ii in held_out_neighbours(data, clean, main, rav):
        dist[g].append(dd.mean(1))
        tess_neigh[g].append((data.corpus[train][ii] == "tess").mean(1))
        near_male[g].append(data.male[train][ii].mean(1))
    dist = {g: np.concatenate(v) for g, v in dist.items()}
    tess_neigh = {g: np.concatenate(v) for g, v in tess_neigh.items()}
    neighbours = {
        "mean_distance_to_10_nearest_training_clips": {g: round(float(v.mean()), 2) for g, v in dist.items()},
        "tess_share_of_10_nearest_training_clips": {g: pct(float(v.mean())) for g, v in tess_neigh.items()},
        "male_share_of_10_nearest_training_clips": {g: pct(float(np.concatenate(v).mean()))
                                                    for g, v in near_male.items()},
        "label_agreement_of_10_nearest": knn_label_agreement(data, clean, main, rav),
    }

    # 5. recording level (the features are level-independent by design: dB relative to the window's peak)
    level = {}
    lv = {g: [] for g in groups}
    for g, sel in groups.items():
        for p in paths[np.flatnonzero(sel)]:
            a = load_audio(str(p))[:48000]
            frames = a[: len(a) // 320 * 320].reshape(-1, 320)
            rms = 20 * np.log10(np.sqrt((frames**2).mean(1)) + 1e-9)
            rms = rms[rms > -100.0]  # digital silence (zero padding, cut starts) is not the noise floor
            lv[g].append((20 * np.log10(np.sqrt((a**2).mean()) + 1e-9), np.percentile(rms, 95),
                          np.percentile(rms, 95) - np.percentile(rms, 10)))
        arr = np.array(lv[g])
        level[g] = {"rms_dbfs_median": round(float(np.median(arr[:, 0])), 1),
                    "loud_frames_p95_dbfs_median": round(float(np.median(arr[:, 1])), 1),
                    "dynamic_range_p95_p10_db_median": round(float(np.median(arr[:, 2])), 1)}
    causes_figures(data, f0, groups, share, per_actor_f0, shipped, d, names, top, dist, tess_neigh, lv, out)
    return {
        "training_composition_per_fold": share,
        "pitch": pitch,
        "statistics_encode_gender": encode,
        "held_out_clips_vs_training_neighbours": neighbours,
        "recording_level": level,
    }


def held_out_neighbours(data, clean, main, rav):
    """For each fold and gender: (gender, held-out selection, training selection, distances and
    indices of each held-out clip's 10 nearest training clips in standardised statistics)."""
    for k in range(5):
        train = main & (data.fold != k)
        sc = StandardScaler().fit(clean[train])
        nn = NearestNeighbors(n_neighbors=10).fit(sc.transform(clean[train]))
        for g, sel in (("male", rav & (data.fold == k) & data.male), ("female", rav & (data.fold == k) & ~data.male)):
            dd, ii = nn.kneighbors(sc.transform(clean[sel]))
            yield g, sel, train, dd, ii


def knn_label_agreement(data, clean, main, rav) -> dict:
    """How often a held-out clip's 10 nearest training clips carry its own label (by gender): how
    well the training data covers each gender's emotions in statistics space."""
    out = {"male": [], "female": []}
    for g, sel, train, _, ii in held_out_neighbours(data, clean, main, rav):
        out[g].append((data.label[train][ii] == data.label[sel][:, None]).mean(1))
    return {g: pct(float(np.concatenate(v).mean())) for g, v in out.items()}


def causes_figures(data, f0, groups, share, per_actor_f0, shipped, d, names, top, dist, tess_neigh, lv, out):
    colors = {"RAVDESS male": "tab:blue", "RAVDESS female": "tab:red", "TESS (female)": "tab:orange",
              "SAVEE (male)": "tab:cyan"}
    fig, axes = plt.subplots(2, 3, figsize=(18, 9.5))
    # (a) who the training clips are
    ax = axes[0, 0]
    k = list(share)
    ax.bar(np.arange(5) - 0.2, [share[f]["clips_male_share"] for f in k], 0.4, label="share of clips")
    ax.bar(np.arange(5) + 0.2, [share[f]["loss_weight_male_share"] for f in k], 0.4,
           label="share of loss weight (TESS x0.5)")
    ax.axhline(50, color="k", lw=0.8, ls="--")
    ax.set_xticks(range(5), [f"without fold {f}" for f in k], fontsize=8)
    ax.set_ylabel("% male")
    ax.set_ylim(0, 60)
    ax.set_title("(a) male share of the shipped net's training data", fontsize=9)
    ax.legend(fontsize=8)
    # (b) median F0 per clip
    ax = axes[0, 1]
    bins = np.geomspace(65, 500, 45)
    for g, sel in groups.items():
        ax.hist(f0[sel], bins=bins, histtype="step", lw=1.6, density=True, label=g, color=colors[g])
    ax.set_xscale("log")
    ax.set_xticks([70, 100, 150, 200, 300, 450], ["70", "100", "150", "200", "300", "450"])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("median F0 of the window (Hz, fed to the net as log2 Hz)")
    ax.set_title("(b) absolute pitch: male voices sit below most training clips", fontsize=9)
    ax.legend(fontsize=8)
    # (c) per actor: accuracy against median F0
    ax = axes[0, 2]
    for a, f in per_actor_f0.items():
        c = "tab:blue" if a % 2 else "tab:red"
        ax.scatter(f, shipped["per_actor"][a]["accuracy"], color=c)
        ax.annotate(str(a), (f, shipped["per_actor"][a]["accuracy"]), fontsize=7, xytext=(3, 2),
                    textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xticks([100, 150, 200, 250, 300], ["100", "150", "200", "250", "300"])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("actor's median F0 (Hz)")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title("(c) per actor (blue male, red female): accuracy vs pitch", fontsize=9)
    # (d) statistics most different between genders
    ax = axes[1, 0]
    ax.barh(range(len(top)), d[top][::-1], color=["tab:blue" if x > 0 else "tab:red" for x in d[top][::-1]])
    ax.set_yticks(range(len(top)), [names[i] for i in top][::-1], fontsize=7)
    ax.set_xlabel("Cohen's d, male minus female (RAVDESS)")
    ax.set_title("(d) statistics that differ most between genders", fontsize=9)
    # (e) held-out clips' distance to their 10 nearest training clips, and TESS share among them
    ax = axes[1, 1]
    parts = ax.violinplot([dist["male"], dist["female"]], showmedians=True)
    for body, c in zip(parts["bodies"], ("tab:blue", "tab:red")):
        body.set_facecolor(c)
    ax.set_xticks([1, 2], [f"male\n(TESS among neighbours {100 * tess_neigh['male'].mean():.0f} %)",
                           f"female\n(TESS among neighbours {100 * tess_neigh['female'].mean():.0f} %)"], fontsize=8)
    ax.set_ylabel("mean distance to 10 nearest training clips (z-scored stats)")
    ax.set_title("(e) held-out RAVDESS clips vs their training neighbours", fontsize=9)
    # (f) recording level
    ax = axes[1, 2]
    for i, (g, v) in enumerate(lv.items()):
        arr = np.array(v)
        ax.boxplot([arr[:, 1]], positions=[i], widths=0.5, patch_artist=True,
                   boxprops={"facecolor": colors[g], "alpha": 0.6})
    ax.set_xticks(range(len(lv)), list(lv), fontsize=8)
    ax.set_ylabel("loud frames (95th pct RMS), dBFS")
    ax.set_title("(f) recording level (features are relative to each window's peak)", fontsize=9)
    fig.suptitle("Why male voices score lower: training composition, pitch, what encodes gender, "
                 "neighbours, level", fontsize=11)
    fig.tight_layout()
    fig.savefig(out / "gender_gap_causes.png", dpi=100)
    plt.close(fig)


# ----------------------------------------------------------------------------- variants
def load_run(run: Path, pattern: str) -> dict | None:
    parts = [np.load(f) for f in sorted(run.glob(pattern))]
    if len(parts) < 5:
        return None
    return {k: np.concatenate([p[k] for p in parts]) for k in ("probs", "label", "fold", "corpus", "male")}


def score(z: dict) -> dict:
    pred, label, corpus, fold, male = z["probs"].argmax(1), z["label"], z["corpus"], z["fold"], z["male"]
    rav = corpus == "ravdess"
    hit = pred == label
    per_fold = [float(hit[rav & (fold == k)].mean()) for k in range(5)]
    row = {
        "fold_accuracy_mean": pct(np.mean(per_fold)),
        "fold_accuracy_std": pct(np.std(per_fold)),
        "fold_accuracy": [pct(x) for x in per_fold],
        "male": pct(hit[rav & male].mean()),
        "female": pct(hit[rav & ~male].mean()),
        "macro_f1": pct(f1_score(label[rav], pred[rav], average="macro")),
        "tess_held_out_words": pct(hit[corpus == "tess"].mean()),
    }
    row["gap_female_minus_male"] = round(row["female"] - row["male"], 1)
    row["per_class_recall_male"] = {LABELS[c]: pct(hit[rav & male & (label == c)].mean()) for c in range(8)}
    if (corpus == "savee").any():
        s = corpus == "savee"
        row["savee_held_out_speakers"] = pct(hit[s].mean())
        row["savee_per_speaker"] = [pct(hit[s & (fold == k)].mean()) for k in range(4)]
    return row


VARIANT_NOTES = {
    "svm_gg_base": "RBF SVM on our statistics (= svm_baseline's svm_stats): TESS unweighted",
    "svm_gg_tess_half": "TESS weighted 0.5 (as the net)",
    "svm_gg_no_tess": "without TESS",
    "svm_gg_balanced": "male and female clips weighted to equal totals",
    "svm_gg_savee": "+ SAVEE (4 male speakers; speaker k held out with fold k)",
    "svm_gg_savee_balanced": "+ SAVEE, gender-balanced weights",
    "svm_gg_shifted": "+ a pitch/formant-shifted copy of each training clip (female -3..-6 st, male +3..+6 st)",
    "svm_gg_relpitch": "absolute median pitch (log2 Hz) removed: pitch only relative to the utterance",
    "svm_gg_no_abs_freq": "absolute pitch, spectral centroid and roll-off (log Hz) removed",
    "svm_gg_savee_relpitch": "+ SAVEE, absolute pitch removed",
    "svm_gg_savee_shifted": "+ SAVEE, + shifted copies",
    "svm_gg_speaker_norm": "statistics z-scored per speaker (diagnostic only: needs a speaker's other clips)",
    "svm_gg_gender_specific": "one SVM per gender on that gender's RAVDESS actors only (diagnostic)",
    "svm_gg_gender_specific_tess": "one SVM per gender; the female one with TESS too (diagnostic)",
    "gg_savee": "net (train_speech cv, 3 seeds per fold) + SAVEE, SAVEE speaker k held out with fold k",
    "gg_savee_1seed": "the same, first seed only (1 model per fold: compare with the shipped members)",
    "gg_balanced": "net, 1 seed per fold, male and female clips weighted to equal totals",
}


def variants_section(runs: Path) -> dict:
    rows = {}
    for run in sorted(runs.glob("svm_gg_*")) + sorted(runs.glob("gg_*")):
        for kind, pattern in (("", "cv_fold*.npz"), ("_int8", "int8_fold*.npz")):
            z = load_run(run, pattern)
            if z is None:
                continue
            row = score(z)
            cfg = run / "config.json"
            if cfg.exists():
                c = json.loads(cfg.read_text())
                row["config"] = {k: c[k] for k in ("extra_cache", "extra_weight", "gender_balance", "tess_weight",
                                                   "seeds", "epochs") if k in c}
                row["command"] = c.get("_command", "")
            row["note"] = VARIANT_NOTES.get(run.name, "")
            rows[run.name + (kind or ("_float" if run.name.startswith("gg_") else ""))] = row
    return rows


def variants_figure(rows: dict, ref: dict, path: Path) -> None:
    names = list(rows)
    if not names:
        return
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(names) + 3), 5))
    x = np.arange(len(names))
    ax.bar(x - 0.27, [rows[n]["fold_accuracy_mean"] for n in names], 0.27, label="overall (fold mean)", color="gray")
    ax.bar(x, [rows[n]["male"] for n in names], 0.27, label="male actors", color="tab:blue")
    ax.bar(x + 0.27, [rows[n]["female"] for n in names], 0.27, label="female actors", color="tab:red")
    if ref:
        ax.axhline(ref["fold_accuracy_mean"], color="k", ls="--", lw=0.8,
                   label=f"shipped int8 (CV): {ref['fold_accuracy_mean']} % ({ref['male']} / {ref['female']})")
    ax.set_xticks(x, [n.replace("svm_gg_", "svm: ").replace("gg_", "net: ") for n in names], rotation=35,
                  ha="right", fontsize=8)
    ax.set_ylim(30, 65)
    ax.set_ylabel("RAVDESS held-out accuracy (%)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Male-voice gap: every variant tried, same speaker-independent folds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------- int8
def int8_twins(run: Path, cache: str, folds: str = "", calibration: int = 500) -> None:
    """As export_speech does for the shipped run, without touching emotion_core/defaults or
    speech_metrics.json: the int8 twin of each fold's seed ensemble, scored on its held-out clips."""
    import keras

    from ..speech_data import SpeechData, held_out_inputs, representative, save_predictions
    from ..speech_models import fold_ensemble
    from ..tflite_export import tflite_predict, to_tflite

    config = json.loads((run / "config.json").read_text())
    data = SpeechData(cache, config.get("extra_cache", ""))
    done = sorted(int(p.stem[7:]) for p in run.glob("cv_fold*.npz"))
    for k in [int(f) for f in folds.split(",")] if folds else done:
        members = [keras.saving.load_model(p) for p in sorted(run.glob(f"cv{k}_seed*.keras"))]
        train, test = np.flatnonzero(data.fold != k), data.held_out(k)
        path = run / f"cv{k}_int8.tflite"
        path.write_bytes(to_tflite(fold_ensemble(members), representative(data, train, calibration, k)))
        probs = tflite_predict(str(path), held_out_inputs(data, test))
        save_predictions(run / f"int8_fold{k}.npz", data, test, probs=probs)
        print(f"{run.name} fold {k}: int8 scored", flush=True)


def per_seed(runs: list[Path], cache: str) -> dict:
    """Each seed's models of a cv run alone (1 model per fold, float): the seed-to-seed spread."""
    import keras

    from ..speech_data import SpeechData

    out = {}
    for run in runs:
        config = json.loads((run / "config.json").read_text())
        data = SpeechData(cache, config.get("extra_cache", ""))
        out[run.name] = {}
        for s in range(config["seeds"]):
            hits, male, folds = [], [], []
            for k in range(5):
                model = keras.saving.load_model(run / f"cv{k}_seed{s}.keras")
                clips = np.flatnonzero((data.fold == k) & (data.corpus == "ravdess"))
                probs = model.predict(data.inputs("net", clips, np.zeros(clips.size, dtype=int)), batch_size=256,
                                      verbose=0)["probs"]
                hit = probs.argmax(1) == data.label[clips]
                hits.append(hit), male.append(data.male[clips]), folds.append(hit.mean())
            hit, m = np.concatenate(hits), np.concatenate(male)
            out[run.name][f"seed{s}"] = {"fold_accuracy_mean": pct(np.mean(folds)), "male": pct(hit[m].mean()),
                                         "female": pct(hit[~m].mean())}
            print(run.name, s, out[run.name][f"seed{s}"], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default="cache/speech_features.npz")
    parser.add_argument("--savee-cache", default="cache/savee_features.npz")
    parser.add_argument("--runs", default="runs/speech")
    parser.add_argument("--int8", default="", help="a cv run folder: score the int8 twins of its fold ensembles")
    parser.add_argument("--folds", default="", help="with --int8: only these folds (default: every scored one)")
    parser.add_argument("--per-seed", default="", help="comma-separated cv run folders: score each seed alone "
                        "into runs/speech/gg_per_seed.json")
    parser.add_argument("--variants-only", action="store_true",
                        help="re-score the variants only; keep the last report's shipped and causes sections")
    args = parser.parse_args()
    if args.int8:
        int8_twins(Path(args.int8), args.cache, args.folds)
        return
    if args.per_seed:
        rows = per_seed([Path(r) for r in args.per_seed.split(",")], args.cache)
        (Path(args.runs) / "gg_per_seed.json").write_text(json.dumps(rows, indent=1))
        return
    from emotion_core.model_set import load_model_set

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "speech_gender_gap.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    if args.variants_only and previous:
        shipped, causes = previous["shipped_model_held_out"], previous["causes"]
    else:
        shipped, _ = shipped_section(Path("cache"), RESULTS)
        entry = load_model_set().speech
        norm = (np.asarray(entry.input.stats_mean), np.asarray(entry.input.stats_std))
        causes = causes_section(shipped, load_cache(args.cache, args.savee_cache), RESULTS, norm)
    variants = variants_section(Path(args.runs))
    ref = shipped.get("cross_validation_reference_speech_metrics_json", {}).get(SHIPPED, {})
    variants_figure(variants, ref, RESULTS / "gender_gap_variants.png")
    report = {
        "run": run_stamp(),
        "command": " ".join(["python -m training.analyses.gender_gap", *sys.argv[1:]]),
        "shipped_model_held_out": shipped,
        "causes": causes,
        "variants": variants,
        "figures": ["training/results/gender_gap_confusion.png", "training/results/gender_gap_causes.png",
                    "training/results/gender_gap_variants.png"],
        "variants_single_models_per_seed": {
            "what": ("each seed's models alone (1 model per fold, float, RAVDESS held-out actors): the "
                     "seed-to-seed spread of a single-model figure"),
            **(json.loads((Path(args.runs) / "gg_per_seed.json").read_text())
               if (Path(args.runs) / "gg_per_seed.json").exists() else {}),
        },
        "notes": previous.get("notes", ""),
        "recommendation": previous.get("recommendation", ""),
    }
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps({"shipped": {k: shipped[k] for k in ("accuracy_all", "accuracy_male_actors",
                                                          "accuracy_female_actors")},
                      "variants": {n: {k: r[k] for k in ("fold_accuracy_mean", "male", "female")}
                                   for n, r in variants.items()}}, indent=1))


if __name__ == "__main__":
    main()
