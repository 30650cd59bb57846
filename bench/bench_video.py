"""Speed of the video path and of the Live tab, on this machine.

    python bench/bench_video.py [--runs 5]

1. A 30 s 640x480 30 fps H.264/AAC video with speech (the six real CREMA-D clips of a speaking
   face with its own voice, one after another, looped and scaled to 640x480) analysed from file
   to fused result: seconds of processing per second of video (real-time factor), split by stage,
   at several frame-sampling rates (the default rate is the one the app uses).
2. The Live tab's per-frame work for one face in a 640x480 frame (short-range detection, the
   face model, the boxed frame, the fused reading: app.live_frame), alone and with Gradio's
   encoding of what it returns (what the server does per frame besides the network), as frames
   per second; and the same for a microphone chunk (the last 3 s of speech: app.live_sound).

Writes bench/results/video_speed.json and prints a short table. Medians over --runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from emotion_core import Analyzer  # noqa: E402
from emotion_core.decode.audio import SAMPLE_RATE, load_audio  # noqa: E402
from emotion_core.decode.video import FRAMES_PER_SECOND  # noqa: E402

from bench.common import machine, parser, save, time_stages  # noqa: E402
from training.report import run_stamp  # noqa: E402
from videos import mux  # noqa: E402

CREMA = ROOT.parent / "shared/data/crema_d_samples"
SECONDS, FPS, SIZE = 30.0, 30, (640, 480)
RATES = (2.0, FRAMES_PER_SECOND, 10.0)


def crema_frames() -> tuple[list[np.ndarray], np.ndarray]:
    """Every frame of the six clips at 640x480 and their sound, one clip after another."""
    frames, sound = [], []
    for path in sorted(CREMA.glob("*.flv")):
        with av.open(str(path)) as container:
            frames += [cv2.resize(f.to_ndarray(format="rgb24"), SIZE, interpolation=cv2.INTER_LINEAR)
                       for f in container.decode(video=0)]
        sound.append(load_audio(path))
    return frames, np.concatenate(sound)


def build_clip(folder: Path) -> Path:
    """The 30 s benchmark video: the clips looped, at 30 fps, sound and picture together."""
    frames, sound = crema_frames()
    n = int(SECONDS * FPS)
    audio = np.resize(sound, int(SECONDS * SAMPLE_RATE))
    return mux(folder / "speech_30s.mp4", (frames[i % len(frames)] for i in range(n)), audio, fps=FPS, size=SIZE)


def bench_video(analyzer: Analyzer, clip: Path, runs: int) -> dict:
    """Per rate: the median of `runs` full analyses, in total and per stage, as real-time factors."""
    analyzer.analyze_video(clip)  # warm-up
    rates = {}
    for fps in RATES:
        totals, stages = [], []
        for _ in range(runs):
            start = time.perf_counter()
            result = analyzer.analyze_video(clip, fps=fps)
            totals.append(time.perf_counter() - start)
            stages.append(result.timings)
        seconds = float(np.median(totals))
        rates[str(fps)] = {
            "frames_analysed": len(result.frames),
            "median_seconds": seconds,
            "real_time_factor": seconds / result.duration,
            "stage_real_time_factor": {k: float(np.median([s[k] for s in stages])) / result.duration for k in stages[0]},
            "runs": runs,
        }
    return {"clip": {"seconds": result.duration, "size": list(SIZE), "fps": FPS, "speech_windows":
                     sum(w.speech for w in result.audio.windows), "windows": len(result.audio.windows)},
            "default_fps": FRAMES_PER_SECOND, "by_fps": rates}


def bench_live(clip: Path, runs: int, warmup: int) -> dict:
    """The Live tab's server-side work per webcam frame and per microphone chunk: the app's own
    handlers, and Gradio's encoding of what they return (the outputs' postprocess)."""
    import app  # the served handlers and components, on the app's own Analyzer

    app.start()

    with av.open(str(clip)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    sound = load_audio(clip)
    session = app.new_live_session()
    assert session.add_frame(frame), "the benchmark frame must hold a face"
    half = SAMPLE_RATE // 2
    for i in range(6):  # fill the 3 s window
        app.live_sound((SAMPLE_RATE, sound[i * half : (i + 1) * half]), session)
    components = {b.elem_id: b for b in app.demo.blocks.values() if getattr(b, "elem_id", None)}
    frame_outputs = [components[i] for i in ("live_faces", "live_face_label", "live_fused_label", "live_status")]
    sound_outputs = [components[i] for i in ("live_voice_label", "live_fused_label", "live_status")]

    def served(handler, value, outputs) -> None:
        for component, out in zip(outputs, handler(value, session)):
            if isinstance(out, dict) and out.get("__type__") == "update":  # gr.skip(): Gradio encodes nothing
                continue
            component.postprocess(out)

    webp, jpeg = app.gr.Image(format="webp"), app.gr.Image(format="jpeg")
    stages = {
        "encode_frame_webp": lambda: webp.postprocess(frame),  # Gradio's default format for images
        "encode_frame_jpeg": lambda: jpeg.postprocess(frame),  # the live output's format
        "frame": lambda: app.live_frame(frame, session),
        "frame_with_gradio_encoding": lambda: served(app.live_frame, frame, frame_outputs),
        "sound_chunk_with_gradio_encoding": lambda: served(app.live_sound, (SAMPLE_RATE, sound[:half]), sound_outputs),
    }
    timings = time_stages(stages, runs, warmup)
    return {
        "frame_size": [frame.shape[1], frame.shape[0]],
        "stages": timings,
        "frames_per_second": 1000.0 / timings["frame"]["median_ms"],
        "frames_per_second_with_gradio_encoding": 1000.0 / timings["frame_with_gradio_encoding"]["median_ms"],
    }


def main() -> None:
    args = parser(__doc__, runs=5, out=ROOT / "bench/results/video_speed.json").parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clip = build_clip(Path(folder))
        video = bench_video(Analyzer().load(), clip, args.runs)
        live = bench_live(clip, runs=200, warmup=args.warmup)
    report = {"video": video, "live": live, "stages": live["stages"], "models": {}, "machine": machine(), "date": run_stamp()}
    save(report, args.out)
    for fps, r in video["by_fps"].items():
        print(f"video at {fps} frames/s: real-time factor {r['real_time_factor']:.3f} "
              f"({', '.join(f'{k} {v:.3f}' for k, v in r['stage_real_time_factor'].items())})")
    print(f"live: {live['frames_per_second']:.1f} frames/s for one face at 640x480 "
          f"({live['frames_per_second_with_gradio_encoding']:.1f} with Gradio's encoding of the frame)")


if __name__ == "__main__":
    main()
