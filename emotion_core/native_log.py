"""Native libraries' repeated start-up chatter on stderr, collapsed to one line per message.

MediaPipe's bundled LiteRT writes "Sparsity tensors may not yet be fully supported" once per
sparse tensor (46 times for the full-range face detector) straight to file descriptor 2, from
C++, past Python's logging and past every log-level variable (TF_CPP_MIN_LOG_LEVEL,
GLOG_minloglevel: tried, no effect). `collapsed_stderr` captures descriptor 2 while a model
loads and writes each distinct line back once, with how often it came, and never again for a
later load (one per worker), so the lines that matter (the model set in use) stay visible in a
Space's log.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

# Descriptor 2 is one per process: two loads at once (one per worker) must not capture each other;
# a capture inside a capture (a face model loading while the analyzer loads) is the outer one's.
_LOCK = threading.RLock()
_DEPTH = 0
_SHOWN: set[str] = set()  # lines already written back in this process, as their keys
# What differs between two otherwise equal lines: an object's address, glog's time and thread.
_VARYING = [(re.compile(r"ptr=0x[0-9a-f]+"), "ptr=..."),
            (re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ "), r"\1 ")]
_DROP = False  # True in a worker process: the serving process has written the same lines


def drop_all() -> None:
    """Write nothing back from now on: for a worker process (processes.py), whose model loads say
    what the serving process's own load has already said once."""
    global _DROP
    _DROP = True


def key(line: str) -> str:
    """The line without what varies from one instance of the same message to the next."""
    for pattern, replacement in _VARYING:
        line = pattern.sub(replacement, line)
    return line


def collapse(lines: list[str]) -> list[str]:
    """Each distinct message once (lines equal but for addresses and glog stamps are one), in order
    of first appearance, with "(xN)" when it came N > 1 times."""
    counts = Counter(map(key, lines))
    return [k if counts[k] == 1 else f"{k} (x{counts[k]})" for k in dict.fromkeys(map(key, lines))]


@contextmanager
def collapsed_stderr() -> Iterator[None]:
    """Capture what native code writes to stderr inside the block; write it back collapsed."""
    global _DEPTH
    with _LOCK:
        if _DEPTH:
            yield
            return
        _DEPTH += 1
        try:
            with _captured():
                yield
        finally:
            _DEPTH -= 1


@contextmanager
def _captured() -> Iterator[None]:
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            written = sink.read().decode("utf-8", "replace").splitlines()
            lines = [] if _DROP else [line for line in written if key(line) not in _SHOWN]
            _SHOWN.update(map(key, lines))
            if lines:
                os.write(2, ("\n".join(collapse(lines)) + "\n").encode())


@contextmanager
def quiet_stderr() -> Iterator[object]:
    """Send descriptor 2 (native chatter, log lines) to /dev/null inside the block, and yield a
    text stream to the real stderr: for a batch run, whose errors are rows of its table and whose
    progress bar must stay readable."""
    sys.stderr.flush()
    saved = os.dup(2)
    real = os.fdopen(os.dup(saved), "w", buffering=1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield real
        finally:
            sys.stderr.flush()
            real.flush()
            os.dup2(saved, 2)
            os.close(saved)
            real.close()
