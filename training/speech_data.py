"""The cached speech features (training/extract_speech.py) as arrays, shared by every script that
trains, scores or exports a speech model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class SpeechData:
    """The cached features, with the statistics normaliser shared by every fold and by serving."""

    def __init__(self, path: str, extra: str = ""):
        parts = [np.load(path)] + [np.load(p) for p in extra.split(",") if p]
        versions = parts[0]["image"].shape[1]

        def cat(key: str) -> np.ndarray:
            arrays = []
            for z in parts:
                a = z[key]
                if a.ndim > 1 and a.shape[1] < versions:  # fewer versions: repeat the clean one
                    a = np.concatenate([a, np.repeat(a[:, :1], versions - a.shape[1], axis=1)], axis=1)
                arrays.append(a)
            return np.concatenate(arrays)

        self.image = cat("image")
        self.mfcc = cat("mfcc")
        self.stats = cat("stats")
        self.stats_names = tuple(str(n) for n in parts[0]["stats_names"])
        self.label = cat("label")
        self.fold = cat("fold")
        self.corpus = cat("corpus")
        self.male = cat("male")
        self.speaker = cat("speaker")
        # 0: the main cache; i: the i-th extra cache. Shifted copies ("shifted" in the cache) are
        # training material only and never scored.
        self.source = np.concatenate([np.full(len(z["label"]), i) for i, z in enumerate(parts)])
        self.scorable = np.concatenate([np.full(len(z["label"]), "shifted" not in z.files) for z in parts])
        self.spec = json.loads(str(parts[0]["spec"]))
        assert all(json.loads(str(z["spec"])) == self.spec for z in parts), "caches of different feature specs"
        flat = self.stats.reshape(-1, self.stats.shape[-1])
        self.stats_mean = flat.mean(axis=0)
        self.stats_std = flat.std(axis=0) + 1e-6

    def held_out(self, fold: int) -> np.ndarray:
        """Fold k's clips to score: its RAVDESS actors, TESS words and SAVEE speaker, never a
        shifted copy."""
        return np.flatnonzero((self.fold == fold) & self.scorable)

    def inputs(
        self, model: str, clips: np.ndarray, versions: np.ndarray, stats_versions: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Model inputs of `clips` in the given versions (0 = clean); the statistics may come from
        other versions than the image (augmented statistics were measured to hurt)."""
        if model == "seed":
            return [self.mfcc[clips, versions][..., None].astype(np.float32)]
        stats_versions = versions if stats_versions is None else stats_versions
        stats = (self.stats[clips, stats_versions] - self.stats_mean) / self.stats_std
        return [self.image[clips, versions].astype(np.float32), stats.astype(np.float32)]


def save_predictions(path: Path, data: SpeechData, clips: np.ndarray, **heads: np.ndarray) -> None:
    """Held-out probabilities of one fold (at least "probs"), with what evaluation needs to slice them."""
    np.savez(path, clips=clips, label=data.label[clips], fold=data.fold[clips],
             corpus=data.corpus[clips], male=data.male[clips], **heads)


def representative(data: SpeechData, clips: np.ndarray, n: int, seed: int = 0):
    """Calibration samples drawn from the training clips, clean and augmented alike."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(clips, size=min(n, clips.size), replace=False)
    versions = rng.integers(0, data.image.shape[1], size=chosen.size)
    image, stats = data.inputs("net", chosen, versions)

    def gen():
        for i in range(chosen.size):
            yield [image[i : i + 1], stats[i : i + 1]]

    return gen


def held_out_inputs(data: SpeechData, clips: np.ndarray) -> dict[str, np.ndarray]:
    image, stats = data.inputs("net", clips, np.zeros(clips.size, dtype=int))
    return {"mfcc_image": image, "stats": stats}
