"""Analyses in worker processes, so that a server's cores serve that many visitors at once.

Threads could not: most of an analysis, and of drawing its figures, runs in Python under one
interpreter lock, and with three threads the server kept about one of its two cores busy under
load (bench/results/history.md). Each worker here is a process with an Analyzer of its own, running one call at a
time; a call is a function of views.py (or any module-level function taking the Analyzer first).

Workers are forked, not spawned: a spawned worker re-runs the app's main file (multiprocessing's
rule for the main module) and pays for every import again. A fork copies no thread but the
caller's, and a lock another thread held at that moment stays held in the child, so the app
forks its workers as soon as its imports are done, before any model, server or download starts
a thread (MediaPipe's import leaves two native threads, idle). A worker that dies in a call (a
crash of a native decoder on a hostile file) is replaced by a fork of the serving process, which
has threads by then: its new models are loaded from files, not inherited from them. The call
that killed it fails with WorkerCrashed; other calls go on.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emotion_core.analyzer import Analyzer

logger = logging.getLogger(__name__)

READY_SECONDS = 120.0  # a worker must have loaded its models by then (they load in about a second)
PARENT_CHECK_SECONDS = 2.0  # how often an idle worker checks that the app is still there


class WorkerCrashed(RuntimeError):
    """A worker process died during a call (it has been replaced)."""


class _Worker:
    """One forked process and the parent's end of its pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, self.conn, os.getpid()), daemon=True, name="emotion-worker"
        )
        self.process.start()
        child.close()

    def load(self, folder: Path, source: str) -> None:
        self.conn.send(("load", (str(folder), source)))

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            raise TimeoutError(f"a worker did not load its models in {timeout:g} s")
        kind, value = self.conn.recv()
        if kind == "error":
            raise value

    def stop(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.join(5)


class WorkerPool:
    """`size` worker processes; `run` hands a call to an idle one, or waits for one to be free."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f"a worker pool needs at least one worker, not {size}")
        if threading.active_count() > 1:
            logger.warning("forking %d workers while %d threads run", size, threading.active_count())
        self._workers = [_Worker() for _ in range(size)]
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._model_set: tuple[Path, str] | None = None

    @property
    def size(self) -> int:
        return len(self._workers)

    def load(self, folder: str | os.PathLike, source: str) -> None:
        """Have every worker load the model set in `folder`, all at once; wait_ready() waits for them."""
        self._model_set = (Path(folder), source)
        for worker in self._workers:
            worker.load(*self._model_set)

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Wait until every worker has loaded its models; raise the first one's failure."""
        for worker in self._workers:
            worker.wait_ready(timeout)
            self._idle.put(worker)

    def run(self, fn: Callable[..., Any], *args: Any, progress: Callable[[float, str], None] | None = None) -> Any:
        """fn(analyzer, *args) in a worker, with progress=`progress` if given: its result, or the
        exception it raised. Waits while every worker is busy."""
        if self._model_set is None:
            raise RuntimeError("load() a model set before run()")
        worker = self._idle.get()
        try:
            kind, value = _call(worker.conn, fn, args, progress)
        except (EOFError, OSError) as exc:  # the pipe broke: the worker died
            logger.error("a worker died during %s; starting another", fn.__name__)
            self._idle.put(self._replace(worker))
            raise WorkerCrashed("the analysis stopped unexpectedly") from exc
        except BaseException:  # e.g. `progress` failed: the worker's answer is unread, start afresh
            self._idle.put(self._replace(worker))
            raise
        self._idle.put(worker)
        if kind == "error":
            raise value
        return value

    def _replace(self, worker: _Worker) -> _Worker:
        """A new worker in `worker`'s place. One that cannot load is stopped: its first call then
        fails as a crash and replaces it again, so a slot is never lost."""
        worker.stop()
        new = _Worker()
        try:
            new.load(*self._model_set)
            new.wait_ready(READY_SECONDS)
        except Exception:
            logger.exception("a replacement worker could not load its models")
            new.stop()
        self._workers[self._workers.index(worker)] = new
        return new

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()


def _call(conn: Connection, fn: Callable, args: tuple, progress: Callable[[float, str], None] | None) -> tuple[str, Any]:
    conn.send(("call", (fn, args, progress is not None)))
    while True:
        kind, value = conn.recv()
        if kind != "progress":
            return kind, value
        progress(*value)


def _serve(conn: Connection, parents_end: Connection, parent: int) -> None:
    """A worker's life: load a model set when told, then answer calls until the parent is gone.

    The fork copied the parent's end of the pipe too: closed here, so that the pipe ends when the
    parent does. A parent killed outright leaves its other workers holding each other's ends, so
    an idle worker also checks that its parent is still there."""
    parents_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the app, which stops its workers
    analyzer = None
    while True:
        try:
            while not conn.poll(PARENT_CHECK_SECONDS):
                if os.getppid() != parent:
                    return
            kind, value = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "load":
                analyzer = _load(*value)
                conn.send(("ready", None))
            else:
                fn, args, wants_progress = value
                options = {"progress": lambda fraction, stage: conn.send(("progress", (fraction, stage)))}
                conn.send(("done", fn(analyzer, *args, **(options if wants_progress else {}))))
        except Exception as exc:
            conn.send(("error", _portable(exc)))
        _give_back_free_memory()


def _give_back_free_memory() -> None:
    """Return the heap's free pages to the system after each call (glibc's malloc_trim). Calls
    allocate blocks of every size (recordings, frames, figures); without this, a worker's resident
    memory crept up as its heap fragmented (bench/soak.py)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (musl, macOS): nothing to trim
        return None


_LIBC = _glibc()


def _load(folder: str, source: str) -> Analyzer:
    from emotion_core import native_log
    from emotion_core.analyzer import Analyzer
    from emotion_core.model_set import load_model_set

    native_log.drop_all()
    return Analyzer(load_model_set(folder, source=source)).load()


def _portable(exc: Exception) -> Exception:
    """`exc` as it can cross to the parent, with the worker's traceback attached for the log."""
    exc.add_note("in a worker process:\n" + "".join(traceback.format_exception(exc)).rstrip())
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        plain = RuntimeError(f"{type(exc).__name__}: {exc}")
        plain.add_note(exc.__notes__[-1])
        return plain
    return exc
