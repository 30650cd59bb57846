"""Latency of the speech pipeline on a 3 s WAV: decode, features, inference, and file -> distribution.

    python bench/bench_speech.py [--runs 50] [--float-model path/to/speech_float.tflite]

Writes bench/results/speech_latency.json (median and p95 per stage in ms, model sizes, machine) and
prints a short table. The int8 model is the embedded one; a float model is timed only if given.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion_core import Analyzer  # noqa: E402
from emotion_core.audio import SAMPLE_RATE, load_audio  # noqa: E402
from emotion_core.features import split_windows  # noqa: E402
from emotion_core.runtime import TFLiteModel  # noqa: E402

CLIP = ROOT.parent / "shared/data/ravdess/Actor_01/03-01-05-02-01-01-01.flac"
CLIP_SECONDS = 3.0


def write_clip(path: Path) -> None:
    """The RAVDESS clip repeated and cut to exactly CLIP_SECONDS, as 16-bit WAV."""
    samples, rate = sf.read(CLIP, dtype="float32")
    size = int(CLIP_SECONDS * rate)
    sf.write(path, np.resize(samples, size), rate, subtype="PCM_16")


def time_stages(stages: dict[str, Callable[[], object]], runs: int, warmup: int) -> dict[str, dict]:
    """Median and 95th percentile (ms) of each stage over `runs` rounds after `warmup` untimed ones.

    Each round times every stage in turn, so a change in machine load affects all stages alike.
    """
    for _ in range(warmup):
        for fn in stages.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(runs):
        for name, fn in stages.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000.0)
    return {
        name: {"median_ms": float(np.median(t)), "p95_ms": float(np.percentile(t, 95)), "runs": runs}
        for name, t in times.items()
    }


def model_file(path: Path) -> dict[str, int | str]:
    """Size, gzip size and sha256, so a result can be tied to the exact model it measured."""
    data = path.read_bytes()
    return {
        "bytes": len(data),
        "gzip_bytes": len(gzip.compress(data, compresslevel=9)),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def bench(wav: Path, runs: int, warmup: int, float_model: Path | None) -> dict:
    analyzer = Analyzer()
    speech = analyzer.speech
    audio = load_audio(wav)
    windows = split_windows(audio, speech.spec)
    inputs = [speech.model_inputs(w.samples) for w in windows]

    def features() -> None:
        for w in split_windows(audio, speech.spec):
            speech.model_inputs(w.samples)

    def inference(run: Callable[[dict[str, np.ndarray]], object]) -> Callable[[], None]:
        return lambda: [run(x) for x in inputs]

    int8_path = analyzer.model_set.path(analyzer.model_set.model_info("speech")["file"])
    stages = {
        "decode": lambda: load_audio(wav),
        "features": features,
        "inference_int8": inference(speech.run),
        "total": lambda: analyzer.analyze_audio(wav),
    }
    models = {"int8": model_file(int8_path), "float": None}
    if float_model is not None:
        model = TFLiteModel(float_model)
        stages["inference_float"] = inference(lambda x: model(**x))
        models["float"] = model_file(float_model)
    timings = time_stages(stages, runs, warmup)
    return {
        "clip": {
            "seconds": CLIP_SECONDS,
            "format": f"WAV PCM_16 mono {SAMPLE_RATE} Hz",
            "windows": len(windows),
        },
        "stages": {**timings, "inference_float": timings.get("inference_float")},
        "models": models,
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "ai_edge_litert": version("ai-edge-litert"),
        },
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def print_table(report: dict) -> None:
    print(f"{'stage':<16}{'median ms':>10}{'p95 ms':>10}")
    for stage, t in report["stages"].items():
        cells = f"{t['median_ms']:>10.2f}{t['p95_ms']:>10.2f}" if t else f"{'n/a':>10}{'n/a':>10}"
        print(f"{stage:<16}{cells}")
    for kind, size in report["models"].items():
        if size:
            print(f"{kind} model: {size['bytes']:,} bytes ({size['gzip_bytes']:,} gzipped)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--float-model", type=Path, help="a float .tflite with the same inputs, to compare")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/speech_latency.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "clip_3s.wav"
        write_clip(wav)
        report = bench(wav, args.runs, args.warmup, args.float_model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
