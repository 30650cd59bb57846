"""Held-out probabilities of the shipped speech model, shared by every evaluation that needs them.

The shipped model averages 5 members; member k was trained without fold k, so the member that
never heard a RAVDESS actor gives that actor's held-out probabilities. `voice_probs` scores every
RAVDESS clip (first 2.4 s, one window, exactly as served) that way and caches the result in
cache/fusion_voice_oof.npz, keyed by the model file's hash (recomputed when the model changes).
`face_probs` does the same for the shipped face model on the FER2013 validation split (never
trained on) or the test set, each image one whole crop. Both are the models' raw outputs;
`calibrated` applies the temperatures the set ships, as serving does.
Used by training/evaluate_fusion.py, training/calibrate_confidence.py and training/analyses/gender_gap.py.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from emotion_core.decode.audio import load_audio
from emotion_core.calibration import apply_temperature
from emotion_core.face.face import FaceModel
from emotion_core.voice.features import split_windows
from emotion_core.fusion import FUSED_LABELS, VOICE_TO_FUSED, to_fused
from emotion_core.model_set import ModelSet
from emotion_core.voice.speech import SpeechModel

from .data import ravdess_clips
from .face_data import FACE_LABELS, fer_images, is_validation

FACE_CACHE = {"validation": "fusion_face_val.npz", "test": "face_test.npz"}  # split -> cache file


def served_speech(model_set: ModelSet) -> str:
    """What decides a served voice reading, as a cache key: the speech model file's sha256 and,
    where the set routes windows with steady noise to a second model, that file's and the threshold."""
    entry = model_set.speech
    key = model_set.manifest.files[entry.file]
    if entry.noisy and entry.noisy.floor_within_db is not None:
        key += (f" noisy {model_set.manifest.files[entry.noisy.file]} below {entry.noisy.floor_within_db} dB"
                f" at temperature {entry.noisy.temperature}")
    return key


def cached(path: Path, sha: str, keys: list[str], compute) -> dict[str, np.ndarray]:
    """The arrays cached at `path` for this model file and these inputs, else compute() saved there."""
    if path.exists():
        z = np.load(path)
        if str(z["sha"]) == sha and z["keys"].tolist() == keys:
            return {k: z[k] for k in z.files}
    arrays = {**compute(), "sha": np.array(sha), "keys": np.array(keys)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def voice_probs(model_set: ModelSet, cache: Path) -> dict[str, np.ndarray]:
    """Every RAVDESS clip's out-of-fold probabilities over FUSED_LABELS (8-class ones kept too)."""
    entry = model_set.speech
    member_of = {a: int(k) for k, actors in entry.member_held_out_ravdess_actors.items() for a in actors}
    clips = ravdess_clips()

    def compute() -> dict[str, np.ndarray]:
        model = SpeechModel(model_set)
        probs8 = []
        for clip in tqdm(clips, desc="voice"):
            window = split_windows(load_audio(clip.path), model.spec)[0].samples
            probs8.append(model.read(window)["members"][member_of[int(clip.speaker[1:])]])
        return {
            "probs8": np.array(probs8, dtype=np.float32),
            "probs": fused_rows(model.labels, probs8).astype(np.float32),
        }

    sha = served_speech(model_set)
    z = cached(cache / "fusion_voice_oof.npz", sha, [c.path for c in clips], compute)
    return {
        **z,
        "truth8": np.array([entry.labels.index(c.label) for c in clips]),
        "truth": np.array([FUSED_LABELS.index(VOICE_TO_FUSED[c.label]) for c in clips]),
        "actor": np.array([int(c.speaker[1:]) for c in clips]),
    }


def fused_rows(labels: tuple[str, ...], probs: np.ndarray) -> np.ndarray:
    """(n, len(labels)) distributions as (n, len(FUSED_LABELS)): calm folded into neutral."""
    return np.stack([to_fused(dict(zip(labels, p))) for p in probs])


def face_probs(model_set: ModelSet, cache: Path, split: str = "validation") -> dict[str, np.ndarray]:
    """Every FER2013 validation (or "test") image's probabilities over FUSED_LABELS (the face
    model's own labels, in order), as one whole crop; "half" is a stable hash-half of each image."""
    items = [(path, label) for path, label in fer_images("train" if split == "validation" else split)
             if split != "validation" or is_validation(path)]

    def compute() -> dict[str, np.ndarray]:
        model = FaceModel(model_set)
        return {"probs": np.stack([
            to_fused(dict(zip(model.labels, model.probs(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)))))
            for path, _ in tqdm(items, desc=f"face ({split})")
        ]).astype(np.float32)}

    sha = model_set.manifest.files[model_set.face.file]
    z = cached(cache / FACE_CACHE[split], sha, [f"{p.parent.name}/{p.name}" for p, _ in items], compute)
    return {
        **z,
        "truth": np.array([FUSED_LABELS.index(FACE_LABELS[label]) for _, label in items]),
        "half": np.array([zlib.crc32(b"fusion-half/" + p.name.encode()) % 2 for p, _ in items]),
    }


def calibrated(model_set: ModelSet, voice: dict, face: dict) -> tuple[dict, dict]:
    """`voice_probs` and `face_probs` as serving gives them: each model's shipped temperature
    applied (the voice's to its 8 labels, before calm is folded into neutral)."""
    probs8 = apply_temperature(voice["probs8"], model_set.speech.temperature)
    return (
        {**voice, "probs8": probs8, "probs": fused_rows(model_set.speech.labels, probs8)},
        {**face, "probs": apply_temperature(face["probs"], model_set.face.temperature)},
    )
