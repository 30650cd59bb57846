"""Extract and cache speech features (clean + augmented copies) once, for every training run.

    python -m training.extract_speech --copies 3 --out cache/speech_features.npz
    python -m training.extract_speech --corpus savee --out cache/savee_features.npz   # extra training data

    python -m training.extract_speech --shift 3,5 --copies 0 --out cache/speech_shifted.npz

--corpus savee caches SAVEE (4 male speakers) alone, in the same format, for train_speech --extra-cache.
--shift LO,HI caches a pitch/formant-shifted copy of every clip instead (training material only): a
female voice lowered, a male one raised, by a uniform LO..HI semitones (librosa's pitch_shift keeps
the tempo and moves pitch and spectral envelope together, so a female clip moves towards a male
register and vocal tract, a crude vocal-tract-length perturbation).
"""

from __future__ import annotations

import argparse
import json
from multiprocessing import Pool
from pathlib import Path

import librosa
import numpy as np
from tqdm import tqdm

from emotion_core.audio import SAMPLE_RATE, load_audio
from emotion_core.features import FeatureSpec, mfcc_image, split_windows, window_features

from .augment import augment
from .data import savee_clips, speech_clips

SPEC = FeatureSpec()


def _features(samples: np.ndarray) -> tuple[np.ndarray, ...]:
    f = window_features(samples, SPEC)
    return mfcc_image(f.coeffs), f.coeffs.astype(np.float32), f.prosody, f.spectral


def _clip_features(args: tuple[int, str, int, float]) -> list[tuple[np.ndarray, ...]]:
    index, path, copies, semitones = args
    audio = load_audio(path)
    if semitones:
        audio = librosa.effects.pitch_shift(audio, sr=SAMPLE_RATE, n_steps=semitones, res_type="soxr_hq")
    # A clip's first window, exactly as serving cuts a recording of the same length.
    out = [_features(split_windows(audio, SPEC)[0].samples)]
    rng = np.random.default_rng(index)
    for _ in range(copies):
        out.append(_features(augment(audio, SPEC.window_samples, rng)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=3, help="augmented copies per clip")
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
    jobs = [(i, c.path, args.copies, float(semitones[i])) for i, c in enumerate(clips)]
    with Pool(args.workers) as pool:
        results = list(tqdm(pool.imap(_clip_features, jobs, chunksize=8), total=len(jobs)))
    versions = args.copies + 1
    image, raw, pros, spectral = (np.stack([[r[v][k] for v in range(versions)] for r in results]) for k in range(4))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        out,
        image=image,  # (clips, versions, n_mfcc, frames, 3); version 0 is the clean clip
        mfcc=raw,  # (clips, versions, n_mfcc, frames), unnormalised, for the seed baseline
        prosody=pros,  # (clips, versions, PROSODY_SIZE)
        spectral=spectral,  # (clips, versions, spectral_size(SPEC))
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
