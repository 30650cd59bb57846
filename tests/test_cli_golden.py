"""The CLI's JSON on fixed inputs equals what was recorded (tests/golden/cli_predict.json): moving
code around must not change a reading, a key or a threshold.

The photos' lines were recorded before the core and the Space were split (commit f8454c7, the
face model unchanged since); the voice's and the video's when the GRU net became the voice model,
since when they too must stay as recorded. To record again, knowingly:

    EMOTION_RECORD_GOLDEN=photo,two_faces python -m pytest tests/test_cli_golden.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests/golden/cli_predict.json"
CREMA_VIDEO = ROOT.parent / "shared/data/crema_d_samples/1001_DFA_HAP_XX.flv"
DIGITS = 5  # probabilities agree to 1e-5: the same models on the same machine


def _inputs(clip_path: Path, face_images) -> dict[str, Path]:
    return {"voice": clip_path, "photo": face_images.files["jpeg"], "two_faces": face_images.files["two_faces"],
            "video": CREMA_VIDEO}


def _comparable(value):
    """The line without its path, floats rounded to DIGITS."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k != "path"}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return round(value, DIGITS) if isinstance(value, float) else value


def _predict(paths: list[Path]) -> list[dict]:
    run = subprocess.run([sys.executable, "-m", "emotion_core", "predict", "--json", *map(str, paths)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    return [json.loads(line) for line in run.stdout.splitlines()]


@pytest.mark.slow
def test_the_cli_json_on_fixed_inputs_is_the_recorded_one(clip_path, face_images):
    inputs = _inputs(clip_path, face_images)
    lines = dict(zip(inputs, (_comparable(line) for line in _predict(list(inputs.values())))))
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if record := [name for name in os.environ.get("EMOTION_RECORD_GOLDEN", "").split(",") if name]:
        golden.update({name: lines[name] for name in record})
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    assert set(golden) == set(inputs)
    for name in inputs:
        assert lines[name] == golden[name], name
