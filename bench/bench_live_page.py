"""The Live tab as a person sees it: processed frames shown per second on the page, and how soon
the first voice reading appears after one click on "Go live".

    python bench/bench_live_page.py [--runs 3]

Runs the browser test of the Live tab (tests/test_browser.py, headless Chromium whose fake camera
and microphone play a real CREMA-D clip, against the app on 127.0.0.1) --runs times; each run
counts, in the page itself, the new boxed pictures shown over 5 s, and the handler's calls. Needs
Chromium and chromedriver (see .ci/run). Writes bench/results/live_page.json: medians and each run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_json  # noqa: E402
from training.report import run_stamp  # noqa: E402

KEYS = ("frames_shown_per_second", "handler_calls", "handler_median_ms", "first_voice_reading_seconds",
        "all_readings_seconds")


def one_run() -> dict:
    with tempfile.TemporaryDirectory() as artifacts:
        env = {**os.environ, "TEST_ARTIFACTS": artifacts}
        test = "tests/test_browser.py::test_live_tab_streams_camera_and_microphone"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=ROOT,
                              env=env, capture_output=True, text=True, check=False)
        rate = Path(artifacts) / "browser" / "live_rate.json"
        if not rate.exists():
            raise SystemExit(f"the Live browser test wrote no rates:\n{done.stdout[-3000:]}")
        return json.loads(rate.read_text())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/live_page.json")
    args = p.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    summary = {key: float(np.median([r[key] for r in runs if r[key] is not None])) for key in KEYS}
    write_json({"summary_median": summary, "runs": runs, "machine": machine(), "date": run_stamp()}, args.out)
    for key in KEYS:
        print(f"{key:<32}{summary[key]:>10.2f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
