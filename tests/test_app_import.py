"""Importing the app builds nothing: no worker process, no model, no page until start()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import multiprocessing, sys
import app
assert app.demo is None and app.POOL is None and app.ANALYZER is None, "built at import"
assert not multiprocessing.active_children(), "a process was started at import"
loaded = [m for m in ("mediapipe",) if m in sys.modules]  # imported by start(), before the fork
assert not loaded, f"imported at import time: {loaded}"
print("ok")
"""


def test_import_app_starts_no_process_and_loads_no_model():
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
