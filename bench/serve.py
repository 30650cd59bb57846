"""The app as the load, soak and cold-start benchmarks meet it: started by the script on 127.0.0.1
in a process of its own (`python app.py`), and called through gradio_client as a visitor would,
with a mixed workload of real inputs and inputs that must be refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from emotion_core.decode.audio import SAMPLE_RATE  # noqa: E402
from hub_server import free_port  # noqa: E402

RAVDESS = ROOT.parent / "shared/data/ravdess/Actor_01"
CLIP = RAVDESS / "03-01-05-02-01-01-01.flac"  # 2.4 s, angry


@dataclass(frozen=True)
class Request:
    """One kind of request of the mix: an endpoint and its input; `bad` ones must be refused."""

    name: str
    api_name: str
    path: Path
    bad: bool = False


# How often each kind comes up in the mix (one cycle through it).
MIX = ("short audio", "photo", "short audio", "webcam snapshot", "long audio", "small video",
       "short audio", "photo", "broken audio", "broken image", "broken video", "webcam snapshot")


def workload(folder: Path) -> dict[str, Request]:
    """The mix's inputs, written into `folder`: real speech (RAVDESS actor 1) and a real face
    (skimage's astronaut), as files a visitor uploads, and three broken files."""
    import cv2
    import skimage.data
    from PIL import Image

    from videos import face_frame, mux, speech

    sentences = sorted(RAVDESS.glob("03-01-0[3-6]-01-01-01-01.flac"))  # happy, sad, angry, fearful
    long_audio = folder / "long.wav"
    sf.write(long_audio, speech(sentences, 12.0), SAMPLE_RATE)
    astronaut = skimage.data.astronaut()
    photo, snapshot = folder / "photo.jpg", folder / "snapshot.jpg"
    Image.fromarray(astronaut).save(photo, quality=90)
    Image.fromarray(face_frame(astronaut)).save(snapshot, quality=85)
    small = [cv2.resize(face_frame(astronaut), (320, 240), interpolation=cv2.INTER_AREA)] * 45
    video = mux(folder / "small.mp4", small, speech(sentences, 3.0), size=(320, 240))
    broken_audio, broken_image, broken_video = folder / "noise.wav", folder / "notes.jpg", folder / "cut.mp4"
    broken_audio.write_bytes(np.random.default_rng(0).bytes(20_000))
    broken_image.write_text("These are meeting notes, not a photo.\n" * 20)
    broken_video.write_bytes(video.read_bytes()[:3000])
    return {r.name: r for r in [
        Request("short audio", "/analyze_audio", CLIP),
        Request("long audio", "/analyze_microphone", long_audio),
        Request("photo", "/analyze_image", photo),
        Request("webcam snapshot", "/analyze_webcam", snapshot),
        Request("small video", "/analyze_video", video),
        Request("broken audio", "/analyze_audio", broken_audio, bad=True),
        Request("broken image", "/analyze_image", broken_image, bad=True),
        Request("broken video", "/analyze_video", broken_video, bad=True),
    ]}


@dataclass(frozen=True)
class Answer:
    seconds: float
    result: object  # the full result (the JSON output), or "refused: <message>"
    error: str | None = None  # what went wrong: a bad input answered, a good one refused or failed


def ask(client: Client, request: Request) -> Answer:
    """One request, timed from upload to result."""
    start = time.perf_counter()
    try:
        outputs = client.predict(handle_file(str(request.path)), api_name=request.api_name)
    except AppError as exc:
        seconds = time.perf_counter() - start
        return Answer(seconds, f"refused: {exc}", None if request.bad else f"refused: {exc}")
    except Exception as exc:  # a failure of the server or the connection: counted, not fatal
        return Answer(time.perf_counter() - start, None, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    report = next(o for o in outputs if isinstance(o, dict) and "kind" in o)  # the full result, among labels and files
    return Answer(seconds, report, "a broken input was answered" if request.bad else None)


def client(url: str, attempts: int = 5) -> Client:
    """A client of the app at `url`; connecting is retried, since a busy server may time out.

    ssl_verify=False, although the app is plain HTTP on 127.0.0.1: gradio_client opens three
    HTTP clients per request, and with verification on each one loads the CA bundle, which made
    up 70 % of a client's CPU time. The clients share the server's two cores here, whereas a
    real visitor spends that time on their own machine."""
    for attempt in range(attempts):
        try:
            return Client(url, verbose=False, download_files=False, ssl_verify=False)
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0 + attempt)
    raise AssertionError("unreachable")


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() when the process was started

    def pids(self) -> list[int]:
        """The server's process and its worker processes (and theirs)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(child_pids(pid))
        return found

    def rss_mb(self) -> float:
        """The resident memory (VmRSS) of the server and its workers together, MB. Pages the
        workers share with the server since they were forked count once per process."""
        total = 0
        for pid in self.pids():
            total += next((int(line.split()[1]) for line in _read(f"/proc/{pid}/status").splitlines()
                           if line.startswith("VmRSS:")), 0)
        return total / 1024

    def cpu_seconds(self) -> float:
        """User and system CPU time the server and its workers have used so far."""
        total = 0
        for pid in self.pids():
            stat = _read(f"/proc/{pid}/stat")
            if stat:
                fields = stat.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes that `pid` started and that still run (from /proc, so Linux only)."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [int(child) for children in tasks for child in _read(children).split()]


def _read(path: str | Path) -> str:
    """A /proc file's text; empty when the process has just ended."""
    try:
        return Path(path).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ""


@contextmanager
def launched(
    workers: int | None = None, env: dict[str, str] | None = None, timeout: float = 300.0, log: Path | None = None
) -> Iterator[Server]:
    """`python app.py` on a free port of 127.0.0.1, up and answering; stopped on exit. `workers`
    sets EMOTION_WORKERS (None: the app's default); its log goes to `log` (appended), or nowhere."""
    port = free_port()
    extra = {"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    if workers is not None:
        extra["EMOTION_WORKERS"] = str(workers)
    url = f"http://127.0.0.1:{port}/"
    with open(log, "ab+") if log else tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env={**os.environ, **extra, **(env or {})},
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(url, process, out, started + timeout)
            yield Server(url, process, started)
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen, log, deadline: float) -> None:
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the app exited with {process.returncode}:\n{log.read().decode()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "gradio_api/info", timeout=2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"the app did not answer at {url} in time")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of latencies, in seconds."""
    if not seconds:
        return {}
    return {"p50": float(np.percentile(seconds, 50)), "p95": float(np.percentile(seconds, 95)), "max": max(seconds)}
