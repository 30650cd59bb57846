"""Analyses in parallel threads: every call runs on a worker's models of its own, and the results
are exactly those of the same requests analysed one at a time."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pytest

from emotion_core import Analyzer
from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.errors import InputError
from emotion_core.live import LiveSession
from emotion_core.report import result_json

WORKERS = 3
THREADS = 6
ROUNDS = 3  # each request this many times, all shuffled together


@pytest.fixture(scope="module")
def requests(clip, face_images, videos, bad_inputs) -> dict[str, Callable[[Analyzer], object]]:
    """Name -> one request of the app's mix: what it returns, as JSON-ready data."""
    long_audio = np.concatenate([clip, np.zeros(SAMPLE_RATE, np.float32), clip, clip])
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[40:440, 120:520] = face_images.astronaut[56:456, 56:456]
    return {
        "short audio": lambda a: a.analyze_audio((SAMPLE_RATE, clip)),
        "long audio": lambda a: a.analyze_audio((SAMPLE_RATE, long_audio)),
        "photo, two faces": lambda a: a.analyze_image(face_images.files["two_faces"]),
        "large photo": lambda a: a.analyze_image(face_images.files["huge"]),
        "webcam snapshot": lambda a: a.analyze_image(frame, webcam=True),
        "whole-face crop": lambda a: a.analyze_image(face_images.files["jpeg"], whole=True),
        "video": lambda a: a.analyze_video(videos["face_leaves"]),
        "live frame": lambda a: LiveSession(a).add_frame(frame),
        "broken audio": lambda a: a.analyze_audio(bad_inputs["random_bytes"]),
        "broken video": lambda a: a.analyze_video(videos["corrupt"]),
    }


def _answer(request: Callable[[Analyzer], object], analyzer: Analyzer) -> object:
    """A request's JSON form, or the message of the input error it raised."""
    try:
        result = request(analyzer)
    except InputError as exc:
        return f"error: {exc}"
    return [f.to_dict() for f in result] if isinstance(result, list) else result_json(result)


@pytest.fixture(scope="module")
def one_at_a_time(model_set, requests) -> dict[str, object]:
    """Every request's answer from a single-worker Analyzer, one request after another."""
    analyzer = Analyzer(model_set).load()
    return {name: _answer(request, analyzer) for name, request in requests.items()}


def test_parallel_mixed_requests_equal_one_at_a_time_exactly(model_set, requests, one_at_a_time, monkeypatch):
    analyzer = Analyzer(model_set, workers=WORKERS).load()
    busy, peak, lock = 0, 0, threading.Lock()
    checkout = analyzer.models

    @contextmanager
    def counted():
        nonlocal busy, peak
        with checkout() as models:
            with lock:
                busy += 1
                peak = max(peak, busy)
            try:
                yield models
            finally:
                with lock:
                    busy -= 1

    monkeypatch.setattr(analyzer, "models", counted)
    names = [name for name in requests for _ in range(ROUNDS)]
    random.Random(0).shuffle(names)
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda name: _answer(requests[name], analyzer), names))
    mismatched = sorted({name for name, answer in zip(names, answers) if answer != one_at_a_time[name]})
    assert mismatched == []
    assert all(isinstance(one_at_a_time[name], str) for name in ("broken audio", "broken video"))
    assert peak > 1, "the workers never ran at the same time"


def test_each_call_holding_models_has_its_own_and_a_call_waits_when_all_are_busy(model_set):
    analyzer = Analyzer(model_set, workers=2)
    got = []
    with analyzer.models() as first, analyzer.models() as second:
        assert first is not second
        waiting = threading.Thread(target=lambda: got.append(analyzer.models().__enter__()))
        waiting.start()
        waiting.join(0.2)
        assert waiting.is_alive() and not got
    waiting.join(5)
    assert got and got[0] in (first, second)


def test_models_load_once_per_worker(model_set):
    analyzer = Analyzer(model_set, workers=2).load()
    loaded = [(m.speech, m.face, m.face_detector, m.vad) for m in analyzer.workers]
    assert len({id(model) for models in loaded for model in models}) == 8
    analyzer.load()
    assert [(m.speech, m.face, m.face_detector, m.vad) for m in analyzer.workers] == loaded
    assert analyzer.speech is analyzer.workers[0].speech


def test_an_analyzer_needs_a_worker(model_set):
    with pytest.raises(ValueError, match="at least one worker"):
        Analyzer(model_set, workers=0)


@pytest.mark.slow
def test_the_served_app_answers_concurrent_clients_as_it_answers_one_at_a_time(served_app, tmp_path):
    from bench.load import one_at_a_time, under_load
    from bench.serve import workload

    app, url = served_app
    analyses = [fn for fn in app.demo.fns.values() if fn.concurrency_id == app.ANALYSIS_QUEUE]
    # six analyses and three ways to set a baseline, all in the analysis queue
    assert len(analyses) == 9 and {fn.concurrency_limit for fn in analyses} == {app.ANALYSIS_WORKERS}
    assert app.POOL.size == app.ANALYSIS_WORKERS
    requests = workload(tmp_path)
    reference, _ = one_at_a_time(url, requests, rounds=1)
    result = under_load(url, requests, reference, clients=6, per_client=4, max_seconds=300)
    assert result["completed"] == 24
    assert result["error_kinds"] == {} and result["differing_kinds"] == {}
