"""Extract and cache speech features (clean + augmented copies) once, for every training run.

    python -m training.extract_speech --copies 3 --out cache/speech_features.npz
"""

from __future__ import annotations

import argparse
import json
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from tqdm import tqdm

from emotion_core.audio import load_audio
from emotion_core.features import FeatureSpec, mfcc_image, split_windows, window_features

from .augment import augment
from .data import speech_clips

SPEC = FeatureSpec()


def _features(samples: np.ndarray) -> tuple[np.ndarray, ...]:
    f = window_features(samples, SPEC)
    return mfcc_image(f.coeffs), f.coeffs.astype(np.float32), f.prosody, f.spectral


def _clip_features(args: tuple[int, str, int]) -> list[tuple[np.ndarray, ...]]:
    index, path, copies = args
    audio = load_audio(path)
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
    args = parser.parse_args()

    clips = speech_clips()
    jobs = [(i, c.path, args.copies) for i, c in enumerate(clips)]
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
    )
    print(f"wrote {out}: {len(clips)} clips x {versions} versions")


if __name__ == "__main__":
    main()
