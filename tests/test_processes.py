"""Worker processes: calls in parallel give what the same calls give in this process, errors cross
with their type and message, progress comes back, and a worker that dies is replaced."""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emotion_core.decode.audio import AudioError
from space.processes import WorkerCrashed, WorkerPool
from space.views import audio_view, image_view, video_view

pytestmark = pytest.mark.slow


def _die(analyzer) -> None:
    os._exit(3)  # as a native crash would end the process: no exception, no answer


def _source(analyzer) -> str:
    return analyzer.model_set.source


@pytest.fixture(scope="module")
def pool(model_set):
    pool = WorkerPool(2)
    pool.load(model_set.folder, "embedded")
    pool.wait_ready()
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def calls(clip_path, face_images, videos, bad_inputs, tmp_path_factory):
    """Name -> (view function, its arguments after the analyzer) for a mix of the app's requests."""
    folder = str(tmp_path_factory.mktemp("views"))
    return {
        "audio": (audio_view, (str(clip_path), folder)),
        "photo": (image_view, (str(face_images.files["two_faces"]), folder)),
        "snapshot": (image_view, (str(face_images.files["jpeg"]), folder, True)),
        "video": (video_view, (str(videos["face_leaves"]), folder)),
        "broken audio": (audio_view, (str(bad_inputs["random_bytes"]), folder)),
    }


def _comparable(view) -> dict:
    """A view with every file it wrote replaced by what the file holds."""
    if isinstance(view, Exception):
        return {"error": f"{type(view).__name__}: {view}"}
    return {name: _contents(value) for name, value in vars(view).items()}


def _contents(value):
    """An image file's pixels, another file's bytes, each file of a tuple in turn; other values as they are."""
    if isinstance(value, tuple):
        return tuple(_contents(v) for v in value)
    if not (isinstance(value, str) and os.path.isfile(value)):
        return value
    if value.endswith((".csv", ".json")):
        return Path(value).read_bytes()
    with Image.open(value) as image:
        return np.asarray(image).tobytes()


def _answer(run, fn, args):
    try:
        return _comparable(run(fn, *args))
    except Exception as exc:
        return _comparable(exc)


def test_calls_in_parallel_workers_equal_the_same_calls_here(pool, calls, analyzer):
    here = {name: _answer(lambda fn, *args: fn(analyzer, *args), fn, args) for name, (fn, args) in calls.items()}
    names = [name for name in calls for _ in range(3)]
    random.Random(0).shuffle(names)
    with ThreadPoolExecutor(4) as threads:
        answers = list(threads.map(lambda name: _answer(pool.run, *calls[name]), names))
    assert sorted({name for name, answer in zip(names, answers) if answer != here[name]}) == []
    assert here["broken audio"]["error"].startswith("AudioError")


def test_an_input_error_crosses_with_its_type_and_message(pool, bad_inputs, tmp_path):
    with pytest.raises(AudioError, match="not a readable audio or video file") as info:
        pool.run(audio_view, str(bad_inputs["random_bytes"]), str(tmp_path))
    assert "in a worker process" in info.value.__notes__[-1]  # the worker's traceback, for the log


def test_progress_comes_back_from_the_worker(pool, videos, tmp_path):
    seen = []
    pool.run(video_view, str(videos["normal"]), str(tmp_path), progress=lambda fraction, stage: seen.append(fraction))
    assert seen[0] == 0.0 and seen == sorted(seen) and seen[-1] >= 0.97


def test_a_worker_that_dies_is_replaced_and_the_pool_goes_on(pool):
    before = {w.process.pid for w in pool._workers}
    with pytest.raises(WorkerCrashed):
        pool.run(_die)
    after = {w.process.pid for w in pool._workers}
    assert len(after) == pool.size == 2 and len(before - after) == 1
    assert [pool.run(_source) for _ in range(4)] == ["embedded"] * 4


def test_workers_end_when_the_app_is_killed(tmp_path):
    """A Space restart kills the app outright; its workers must not live on holding memory."""
    import signal
    import subprocess
    import sys
    import time

    from bench.serve import child_pids

    script = "from space.processes import WorkerPool; import time; pool = WorkerPool(2); time.sleep(60)"
    root = str(Path(__file__).resolve().parents[1])
    app = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, env={**os.environ, "PYTHONPATH": root})
    deadline = time.monotonic() + 30
    while len(child_pids(app.pid)) < 2:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)
    workers = child_pids(app.pid)
    app.send_signal(signal.SIGKILL)
    app.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid) for pid in workers):
        assert time.monotonic() < deadline, "workers outlived the app"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"
