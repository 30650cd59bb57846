"""Speaker-independent k-fold training of a speech model on the cached features.

    python -m training.train_speech --stage cv        # score the GRU net on every held-out fold
    python -m training.train_speech --stage release   # the 5 members of the shipped model
    python -m training.train_speech --stage score     # re-score the saved "cv" models (no training)
    python -m training.train_speech --model net --name net   # the pooled-convolution net (shipped before)
    python -m training.train_speech --model seed --name seed --seeds 1 --epochs 12 --clean-prob 1.0 --label-smoothing 0

"cv", fold k: `seeds` models trained on the other folds' RAVDESS actors and TESS words, for a
fixed number of epochs with a cosine schedule to zero (no early stopping, so nothing of fold k
steers training or model choice); their average is scored on fold k's actors and words.
"release", member k: one model trained on all folds but k; the shipped model averages them, and
member k can still be checked on fold k's actors, which it never heard.
Writes runs/speech/<name>/cv_fold<k>.npz (held-out probabilities of every head), cv<k>_seed<s>.keras
and release<k>.keras.

Male-voice gap variants (training/results/speech_gender_gap.json; the defaults train what ships):
  --gender-balance true   weights so that male and female clips carry equal total loss weight
  --extra-cache cache/savee_features.npz   SAVEE (4 male speakers; speaker i in fold i, so fold k's
                          models never heard SAVEE speaker k, who is scored with fold k)
  --extra-cache cache/speech_shifted.npz   pitch/formant-shifted copies of the RAVDESS and TESS
                          clips (training only: never scored)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from emotion_core.labels import LABELS

from .speech_data import SpeechData, save_predictions
from .speech_models import seed_cnn, speech_net, speech_sequence_net


@dataclass
class Config:
    # "gru" (what ships: a bidirectional GRU over the convolved frames), "attention" (one
    # self-attention block instead), "net" (pooled convolutions), "seed" (the prototype's CNN)
    model: str = "gru"
    clean_prob: float = 0.5  # chance of the clean version of a clip in an epoch, else an augmented one
    # chance that an augmented version's statistics come from that version too (else from the
    # clean one); 1: always, as the image does
    augment_stats: float = 0.0
    epochs: int = 25
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    mixup: float = 0.2  # Beta(a, a) mixing; 0 turns it off
    time_masks: int = 2
    time_mask_width: int = 15
    coef_mask_width: int = 6
    use_tess: bool = True
    tess_weight: float = 0.5  # loss weight of a TESS clip against a RAVDESS clip's 1
    stats_width: int = 192  # units of the statistics branch's first layer
    folds: str = "0,1,2,3,4"
    seeds: int = 3  # "cv": models per fold, differing only in their seed, averaged
    resume: bool = False  # "cv": keep a fold's seed models already saved (add seeds to a run)
    # "cv": train and score each fold; "score": re-score the saved "cv" models; "release": the
    # members of the shipped model
    stage: str = "cv"
    name: str = "gru"  # run folder under `out`
    seed: int = 0
    cache: str = "cache/speech_features.npz"
    # further caches (comma-separated) of the same format: SAVEE clips (trained on like RAVDESS,
    # scored speaker-independently with their fold) or shifted copies (training only)
    extra_cache: str = ""
    extra_weight: float = 1.0  # loss weight of a clip from an extra cache against a RAVDESS clip's 1
    gender_balance: bool = False  # reweight so male and female clips carry equal total loss weight
    out: str = "runs/speech"


def build(cfg: Config, data: SpeechData) -> keras.Model:
    n_mfcc, n_frames = data.mfcc.shape[2:4]
    if cfg.model == "seed":
        return seed_cnn(n_mfcc, n_frames)
    if cfg.model in ("gru", "attention"):
        return speech_sequence_net(n_mfcc, n_frames, data.stats.shape[-1], cfg.stats_width, cfg.model)
    return speech_net(n_mfcc, n_frames, data.stats.shape[-1], cfg.stats_width)


def spec_augment(images: np.ndarray, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """Zero random time spans and coefficient bands (the inputs are normalised, so 0 is the mean)."""
    images = images.copy()
    n, coefs, frames = images.shape[:3]
    for i in range(n):
        for _ in range(cfg.time_masks):
            w = rng.integers(0, cfg.time_mask_width + 1)
            t = rng.integers(0, frames - w + 1)
            images[i, :, t : t + w] = 0.0
        w = rng.integers(0, cfg.coef_mask_width + 1)
        c = rng.integers(1, coefs - w + 1)
        images[i, c : c + w] = 0.0
    return images


def mixup(inputs: list[np.ndarray], targets: np.ndarray, alpha: float, rng: np.random.Generator):
    lam = rng.beta(alpha, alpha, size=targets.shape[0]).astype(np.float32)
    lam = np.maximum(lam, 1.0 - lam)
    perm = rng.permutation(targets.shape[0])

    def mix(a: np.ndarray) -> np.ndarray:
        w = lam.reshape((-1,) + (1,) * (a.ndim - 1))
        return w * a + (1.0 - w) * a[perm]

    return [mix(a) for a in inputs], mix(targets)


def stats_versions(versions: np.ndarray, chance: float, rng: np.random.Generator) -> np.ndarray:
    """Which version each clip's statistics come from: its image's own with probability `chance`,
    else the clean one. The two ends draw no random numbers, so a run at 0 or 1 trains as it did
    before this was a probability."""
    if chance <= 0:
        return np.zeros_like(versions)
    if chance >= 1:
        return versions
    return np.where(rng.random(versions.size) < chance, versions, 0)


def train_model(data: SpeechData, held_out: int, cfg: Config, seed: int) -> keras.Model:
    """Train on every fold but `held_out` for the configured, fixed number of epochs."""
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    train = np.flatnonzero((data.fold != held_out) & ((data.corpus != "tess") | cfg.use_tess))
    model = build(cfg, data)
    heads = list(model.output)  # "probs" and, for speech_net, one training-only head per branch
    steps = cfg.epochs * int(np.ceil(train.size / cfg.batch_size))
    model.compile(
        optimizer=keras.optimizers.AdamW(
            keras.optimizers.schedules.CosineDecay(cfg.lr, steps), weight_decay=cfg.weight_decay
        ),
        loss={h: keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing) for h in heads},
    )
    n_versions = data.image.shape[1]
    weights = np.where(data.corpus[train] == "tess", cfg.tess_weight, 1.0).astype(np.float32)
    weights = np.where(data.source[train] > 0, weights * cfg.extra_weight, weights)
    if cfg.gender_balance:
        male = data.male[train]
        weights = np.where(male, weights / weights[male].sum(), weights / weights[~male].sum())
    weights /= weights.mean()
    for epoch in range(cfg.epochs):
        t0 = time.time()
        versions = np.where(
            rng.random(train.size) < cfg.clean_prob, 0, rng.integers(1, n_versions, size=train.size)
        )
        inputs = data.inputs(cfg.model, train, versions, stats_versions(versions, cfg.augment_stats, rng))
        if cfg.model != "seed":
            inputs[0] = spec_augment(inputs[0], cfg, rng)
        targets = keras.utils.to_categorical(data.label[train], len(LABELS)).astype(np.float32)
        if cfg.mixup > 0:
            inputs, targets = mixup(inputs, targets, cfg.mixup, rng)
        loss = model.fit(
            inputs, dict.fromkeys(heads, targets), sample_weight=weights, batch_size=cfg.batch_size, epochs=1,
            verbose=0,
        ).history["loss"][-1]
        print(f"  fold {held_out} seed {seed} epoch {epoch + 1}/{cfg.epochs} loss {loss:.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)
    return model


def score_fold(out: Path, data: SpeechData, fold: int, cfg: Config) -> float:
    """Average fold k's saved seed models on fold k's clips; write every head's held-out
    probabilities (the served "probs" and each branch's training-only head) and return the
    served head's RAVDESS accuracy."""
    members = [keras.saving.load_model(p) for p in sorted(out.glob(f"cv{fold}_seed*.keras"))]
    if not members:
        raise SystemExit(f"no saved models of fold {fold} under {out} (run --stage cv first)")
    clips = data.held_out(fold)
    inputs = data.inputs(cfg.model, clips, np.zeros(clips.size, dtype=int))
    outputs = [m.predict(inputs, batch_size=256, verbose=0) for m in members]
    heads = {h: np.mean([o[h] for o in outputs], axis=0) for h in outputs[0]}
    save_predictions(out / f"cv_fold{fold}.npz", data, clips, **heads)
    return float((heads["probs"].argmax(1) == data.label[clips])[data.corpus[clips] == "ravdess"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, value in asdict(Config()).items():
        kind = (lambda s: s.lower() in ("1", "true", "yes")) if isinstance(value, bool) else type(value)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)
    cfg = Config(**vars(parser.parse_args()))
    if cfg.stage not in ("cv", "score", "release"):
        parser.error(f"--stage must be cv, score or release, not {cfg.stage!r}")
    data = SpeechData(cfg.cache, cfg.extra_cache)
    out = Path(cfg.out) / cfg.name
    if cfg.stage != "score":  # scoring keeps the record of the run that trained the models
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
        (out / "stats_norm.json").write_text(
            json.dumps({"mean": data.stats_mean.tolist(), "std": data.stats_std.tolist()})
        )
    for fold in (int(f) for f in cfg.folds.split(",")):
        if cfg.stage == "release":
            train_model(data, fold, cfg, cfg.seed * 100 + fold).save(out / f"release{fold}.keras")
            continue
        if cfg.stage == "cv":
            for s in range(cfg.seeds):
                if cfg.resume and (out / f"cv{fold}_seed{s}.keras").exists():
                    continue
                model = train_model(data, fold, cfg, cfg.seed * 100 + fold * 10 + s)
                model.save(out / f"cv{fold}_seed{s}.keras")
        acc = score_fold(out, data, fold, cfg)
        print(f"fold {fold}: RAVDESS held-out accuracy {acc:.3f}", flush=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
