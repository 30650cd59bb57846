"""Latency of the speech pipeline on a 3 s WAV: decode, voice activity (chunks scored until every
window is decided), features (the front-end graph), inference, and file -> distribution.

    python bench/bench_speech.py [--runs 50] [--float-model path/to/speech_float.tflite]

Writes bench/results/speech_latency.json (median and p95 per stage in ms, model sizes, machine) and
prints a short table. The int8 model is the embedded one; a float model is timed only if given.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion_core import Analyzer  # noqa: E402
from emotion_core.decode.audio import SAMPLE_RATE, load_audio  # noqa: E402
from emotion_core.voice.features import split_windows  # noqa: E402
from emotion_core.runtime import TFLiteModel  # noqa: E402

from bench.common import machine, model_file, parser, save, time_stages  # noqa: E402
from training.report import run_stamp  # noqa: E402

CLIP = ROOT.parent / "shared/data/ravdess/Actor_01/03-01-05-02-01-01-01.flac"
CLIP_SECONDS = 3.0


def write_clip(path: Path) -> None:
    """The RAVDESS clip repeated and cut to exactly CLIP_SECONDS, as 16-bit WAV."""
    samples, rate = sf.read(CLIP, dtype="float32")
    size = int(CLIP_SECONDS * rate)
    sf.write(path, np.resize(samples, size), rate, subtype="PCM_16")


def bench(wav: Path, runs: int, warmup: int, float_model: Path | None) -> dict:
    analyzer = Analyzer()
    speech = analyzer.speech
    audio = load_audio(wav)
    windows = split_windows(audio, speech.spec)
    features_of = [speech.features(w.samples) for w in windows]
    inputs = [speech.inputs_from(f) for f in features_of]

    def features() -> None:
        for w in split_windows(audio, speech.spec):
            speech.model_inputs(w.samples)

    def inference(run: Callable[[dict[str, np.ndarray]], object]) -> Callable[[], None]:
        return lambda: [run(x) for x in inputs]

    int8_path = analyzer.model_set.path(analyzer.model_set.speech.file)
    stages = {
        "decode": lambda: load_audio(wav),
        "voice_activity": lambda: analyzer.vad.speech_windows(audio, [(w.start, w.end) for w in windows]),
        "features": features,
        # which of the two models reads each window (emotion_core/voice/noise.py)
        "noise_test": lambda: [speech.is_noisy(f) for f in features_of],
        "inference_int8": inference(speech.run),
        # what a window with a steady noise floor costs instead (emotion_core/voice/noise.py)
        "inference_noisy_int8": inference(lambda x: speech.run(x, noisy=True)),
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
        "machine": machine(),
        "date": run_stamp(),
    }


def main() -> None:
    cli = parser(__doc__, runs=50, out=ROOT / "bench/results/speech_latency.json")
    cli.add_argument("--float-model", type=Path, help="a float .tflite with the same inputs, to compare")
    args = cli.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "clip_3s.wav"
        write_clip(wav)
        save(bench(wav, args.runs, args.warmup, args.float_model), args.out)

if __name__ == "__main__":
    main()
