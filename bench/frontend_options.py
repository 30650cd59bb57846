"""The speech front-end options the project chose between, timed on one 3 s window.

    python bench/frontend_options.py   # in the training environment (librosa, opensmile)

- librosa itself: the first STFT in a fresh process with an empty numba cache (as on a new Space
  container), whether it runs at all with numba's JIT turned off, and the later calls of the
  routines the old features used;
- openSMILE's Python wheel: eGeMAPS and ComParE functionals of one window;
- the front-end graph that ships (emotion_core/defaults/speech_frontend.tflite).
Medians of --runs calls. Writes bench/results/frontend_options.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_json  # noqa: E402
from training.report import run_stamp  # noqa: E402

CLIP = ROOT.parent / "shared/data/ravdess/Actor_01/03-01-05-02-01-01-01.flac"

LIBROSA_COLD = """
import json, time
import numpy as np
t = time.perf_counter()
import librosa
y = np.random.default_rng(0).standard_normal(48000).astype(np.float32)
librosa.stft(y, n_fft=512, hop_length=320, win_length=400)
print(json.dumps({"seconds_to_first_stft": time.perf_counter() - t}))
"""


def _median_ms(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(float(np.median(times)) * 1e3, 2)


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--runs", type=int, default=20)
    cli.add_argument("--out", type=Path, default=ROOT / "bench/results/frontend_options.json")
    args = cli.parse_args()
    from emotion_core.decode.audio import load_audio
    from emotion_core.voice.features import FeatureSpec, split_windows
    from emotion_core.model_set import load_model_set
    from emotion_core.runtime import TFLiteModel

    spec = FeatureSpec()
    window = split_windows(load_audio(CLIP), spec)[0].samples
    report: dict = {}
    with tempfile.TemporaryDirectory() as cache:
        cold = subprocess.run([sys.executable, "-c", LIBROSA_COLD], env={"NUMBA_CACHE_DIR": cache, "PATH": "/usr/bin"},
                              capture_output=True, text=True, check=True)
        disabled = subprocess.run([sys.executable, "-c", LIBROSA_COLD], capture_output=True, text=True, check=False,
                                  env={"NUMBA_CACHE_DIR": cache, "NUMBA_DISABLE_JIT": "1", "PATH": "/usr/bin"})
    import librosa

    stft = lambda: np.abs(librosa.stft(window, n_fft=spec.n_fft, hop_length=spec.hop_length, win_length=spec.win_length))  # noqa: E731
    magnitude = stft()
    report["librosa"] = {
        **json.loads(cold.stdout.strip().splitlines()[-1]),
        "runs_with_NUMBA_DISABLE_JIT": disabled.returncode == 0,
        "error_with_NUMBA_DISABLE_JIT": (disabled.stderr.strip().splitlines() or [""])[-1][:200],
        "warm_ms": {
            "stft": _median_ms(stft, args.runs),
            "mfcc_from_mel": _median_ms(lambda: librosa.feature.mfcc(S=librosa.power_to_db(librosa.feature.melspectrogram(
                S=magnitude**2, sr=16000, n_mels=spec.n_mels)), n_mfcc=spec.n_mfcc), args.runs),
            "yin": _median_ms(lambda: librosa.yin(window, fmin=spec.pitch_fmin, fmax=spec.pitch_fmax, sr=16000,
                                                  frame_length=1024, hop_length=spec.hop_length), args.runs),
        },
    }
    import opensmile

    report["opensmile"] = {}
    for name in ("eGeMAPSv02", "ComParE_2016"):
        smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, name),
                                feature_level=opensmile.FeatureLevel.Functionals)
        report["opensmile"][f"{name}_functionals_ms"] = _median_ms(lambda: smile.process_signal(window, 16000), args.runs)
    model_set = load_model_set()
    front = TFLiteModel(model_set.path(model_set.speech.frontend))
    report["graph_front_end_ms"] = _median_ms(lambda: front(samples=window), args.runs)
    write_json({"window_seconds": spec.window_seconds, "runs": args.runs, **report, "machine": machine(),
                "date": run_stamp()}, args.out)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
