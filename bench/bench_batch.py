"""Throughput of `python -m emotion_core batch` on a folder of videos, and its memory per worker.

    python bench/bench_batch.py [--videos 20] [--seconds 30] [--long-seconds 600]

Makes --videos MP4s of --seconds each (640x360, 25 frames/s, speech) by looping the real CREMA-D
clips in ../shared/data/crema_d_samples, then times the batch over the folder with 1 and 2 local
worker processes and with 2 actors on a local Ray. Reports files/s, the real-time factor (wall
seconds per second of video) and each worker's peak resident memory (VmHWM, sampled from /proc
while it runs). Then one video of --long-seconds against one of --seconds, one worker: memory
must stay flat in video length (frames are read one at a time, never held). Writes
bench/results/batch_speed.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_json  # noqa: E402
from bench.serve import child_pids, load_average  # noqa: E402
from training.report import run_stamp  # noqa: E402

CLIPS = sorted((ROOT.parent / "shared/data/crema_d_samples").glob("*.flv"))
FPS, WIDTH, HEIGHT, RATE = 25, 640, 360, 16000


def _decode(clip: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """A clip's frames (RGB, resized) and its 16 kHz mono sound."""
    frames, sound = [], []
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0, audio=0):
            if isinstance(frame, av.VideoFrame):
                frames.append(frame.reformat(width=WIDTH, height=HEIGHT, format="rgb24").to_ndarray())
            else:
                sound += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
    return frames, np.concatenate(sound)


def make_video(path: Path, clip: Path, seconds: float) -> None:
    """`clip` looped to `seconds`, H.264 and AAC."""
    frames, sound = _decode(clip)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = out.add_stream("aac", rate=RATE)
        audio.layout = "mono"
        for i in range(int(seconds * FPS)):
            out.mux(video.encode(av.VideoFrame.from_ndarray(frames[i % len(frames)], format="rgb24")))
        looped = np.resize(sound, int(seconds * RATE)).astype(np.int16)
        for start in range(0, looped.size, 1024):
            chunk = av.AudioFrame.from_ndarray(looped[None, start : start + 1024], format="s16", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = RATE, start, Fraction(1, RATE)
            out.mux(audio.encode(chunk))
        out.mux(video.encode())
        out.mux(audio.encode())


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = child_pids(todo.pop())
        out += kids
        todo += kids
    return out


def _status(pid: int) -> tuple[str, float]:
    """(command line, peak resident MB) of a process; ("", 0) once it has gone."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return cmd, int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return "", 0.0


def run_batch(inputs: list[Path], out: Path, args: list[str], is_worker) -> dict:
    """Time one batch run, sampling every worker's peak memory while it runs."""
    peaks: dict[int, float] = {}
    process = subprocess.Popen(
        [sys.executable, "-m", "emotion_core", "batch", *map(str, inputs), "--out", str(out), "--quiet", *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    started = time.perf_counter()

    def sample() -> None:
        while process.poll() is None:
            for pid in [process.pid, *_descendants(process.pid)]:
                cmd, peak = _status(pid)
                if cmd and is_worker(pid == process.pid, cmd):
                    peaks[pid] = max(peaks.get(pid, 0.0), peak)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"batch failed ({process.returncode}): {err[-2000:]}")
    return {"seconds": round(wall, 2), "workers_seen": len(peaks),
            "peak_rss_mb_per_worker": round(max(peaks.values()), 1) if peaks else None}


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--videos", type=int, default=20)
    cli.add_argument("--seconds", type=float, default=30.0)
    cli.add_argument("--long-seconds", type=float, default=600.0)
    cli.add_argument("--out", type=Path, default=ROOT / "bench/results/batch_speed.json")
    args = cli.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "videos"
        folder.mkdir()
        for i in range(args.videos):
            make_video(folder / f"video_{i:02d}.mp4", CLIPS[i % len(CLIPS)], args.seconds)
        total = args.videos * args.seconds
        runs = {}
        engines = {
            "local_1_worker": (["--workers", "1"], lambda main, cmd: main),
            "local_2_workers": (["--workers", "2"], lambda main, cmd: not main and "resource_tracker" not in cmd),
            "ray_2_actors": (["--workers", "2", "--engine", "ray"], lambda main, cmd: cmd.startswith("ray::") and "_Analyse" in cmd),
        }
        for name, (extra, is_worker) in engines.items():
            result = run_batch([folder], Path(tmp) / f"{name}.csv", extra, is_worker)
            result["files_per_second"] = round(args.videos / result["seconds"], 3)
            result["real_time_factor"] = round(result["seconds"] / total, 4)
            runs[name] = result
            print(name, result, flush=True)
        long_video = Path(tmp) / "long.mp4"
        make_video(long_video, CLIPS[0], args.long_seconds)
        length = {}
        for label, path in (("short", folder / "video_00.mp4"), ("long", long_video)):
            result = run_batch([path], Path(tmp) / f"{label}.csv", ["--workers", "1"], lambda main, cmd: main)
            length[label] = {"video_seconds": args.seconds if label == "short" else args.long_seconds, **result}
            print(label, length[label], flush=True)
    write_json({
        "folder": {"videos": args.videos, "seconds_each": args.seconds, "size": f"{WIDTH}x{HEIGHT}", "fps": FPS,
                   "made_from": "CREMA-D samples (real speaking faces) looped, H.264 + AAC"},
        "runs": runs,
        "memory_by_video_length": length,
        "load_average_after": load_average(),
        "machine": machine(),
        "date": run_stamp(),
    }, args.out)


if __name__ == "__main__":
    main()
