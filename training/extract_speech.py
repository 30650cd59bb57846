"""Cache the speech model's features (clean + augmented copies of every clip) once, for every run.

    python -m training.extract_speech --copies 8 --out cache/speech_features.npz
    python -m training.extract_speech --corpus savee --out cache/savee_features.npz   # extra training data
    python -m training.extract_speech --shift 3,5 --copies 0 --out cache/speech_shifted.npz

Each clip is cut as serving cuts a recording of its length (its first window); the copies are
speed-perturbed, noisy (white, pink, or babble of TESS voices, 5-35 dB SNR) and shifted in time
(training/augment.py). The features come from the front-end graph that ships with the model
(training/voice_frontend.py), so what the model learns on is what serving computes.

--corpus savee caches SAVEE (4 male speakers) alone, in the same format, for train_speech --extra-cache.
--shift LO,HI caches a pitch/formant-shifted copy of every clip instead (training material only): a
female voice lowered, a male one raised, by a uniform LO..HI semitones (librosa's pitch_shift).
"""

from __future__ import annotations

import argparse
import json
from multiprocessing import Pool
from pathlib import Path

import librosa
import numpy as np
from tqdm import tqdm

from emotion_core.decode.audio import SAMPLE_RATE, load_audio
from emotion_core.voice.features import FeatureSpec, split_windows

from .augment import augment
from .data import savee_clips, speech_clips, tess_clips
from .voice_frontend import FrontEnd, run, stats_names

SPEC = FeatureSpec()
BABBLE_BANK = 200  # TESS clips that babble noise is drawn from
_bank: list[np.ndarray] = []


def _load_bank(paths: list[str]) -> None:
    _bank.extend(load_audio(p) for p in paths)


def _clip_windows(args: tuple[int, str, int, float]) -> np.ndarray:
    """(1 + copies, window_samples): the clean window, then the augmented ones."""
    index, path, copies, semitones = args
    audio = load_audio(path)
    if semitones:
        audio = librosa.effects.pitch_shift(audio, sr=SAMPLE_RATE, n_steps=semitones, res_type="soxr_hq")
    rng = np.random.default_rng(index)
    out = [split_windows(audio, SPEC)[0].samples]
    out += [augment(audio, SPEC.window_samples, rng, _bank) for _ in range(copies)]
    return np.stack(out).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # 8 copies: about a point over 3 in the five-fold mean, ahead on three folds (training/results/history.md)
    parser.add_argument("--copies", type=int, default=8, help="augmented copies per clip")
    parser.add_argument("--out", default="cache/speech_features.npz")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", choices=("ravdess+tess", "savee"), default="ravdess+tess")
    parser.add_argument("--shift", default="", help="LO,HI semitones: cache shifted copies instead")
    args = parser.parse_args()

    clips = speech_clips() if args.corpus == "ravdess+tess" else savee_clips()
    semitones = np.zeros(len(clips))
    if args.shift:
        lo, hi = (float(v) for v in args.shift.split(","))
        rng = np.random.default_rng(12345)
        semitones = rng.uniform(lo, hi, len(clips)) * np.array([1.0 if c.male else -1.0 for c in clips])
    bank = [c.path for c in np.random.default_rng(7).permutation(tess_clips())[:BABBLE_BANK]]
    jobs = [(i, c.path, args.copies, float(semitones[i])) for i, c in enumerate(clips)]
    versions = args.copies + 1
    parts: dict[str, list[np.ndarray]] = {"image": [], "mfcc": [], "stats": []}
    chunk = 64
    with Pool(args.workers, initializer=_load_bank, initargs=(bank,)) as pool, tqdm(total=len(jobs)) as bar:
        front = FrontEnd(SPEC)  # after the fork: the workers never touch TensorFlow
        pending: list[np.ndarray] = []
        for windows in pool.imap(_clip_windows, jobs, chunksize=4):
            pending.append(windows)
            if len(pending) == chunk or bar.n + len(pending) == len(jobs):
                feats = run(front, np.concatenate(pending))
                for key, value in (("image", feats["mfcc_image"]), ("mfcc", feats["mfcc"]), ("stats", feats["stats"])):
                    parts[key].append(value.reshape(len(pending), versions, *value.shape[1:]).astype(
                        np.float16 if key != "stats" else np.float32))
                bar.update(len(pending))
                pending = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        out,
        image=np.concatenate(parts["image"]),  # (clips, versions, n_mfcc, frames, 3); version 0 is clean
        mfcc=np.concatenate(parts["mfcc"]),  # (clips, versions, n_mfcc, frames), unnormalised
        stats=np.concatenate(parts["stats"]),  # (clips, versions, len(stats_names))
        stats_names=np.array(stats_names(SPEC)),
        label=np.array([c.label_index for c in clips]),
        fold=np.array([c.fold for c in clips]),
        corpus=np.array([c.corpus for c in clips]),
        speaker=np.array([c.speaker for c in clips]),
        male=np.array([c.male for c in clips]),
        path=np.array([c.path for c in clips]),
        spec=json.dumps(SPEC.to_dict()),
        **({"shifted": semitones.astype(np.float32)} if args.shift else {}),
    )
    print(f"wrote {out}: {len(clips)} clips x {versions} versions")


if __name__ == "__main__":
    main()
