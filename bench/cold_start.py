"""How soon a fresh server answers: process start to the first answer, and the first requests
against the next ones.

    python bench/cold_start.py [--runs 3]

Each run starts `python app.py` on 127.0.0.1 with an empty numba cache (NUMBA_CACHE_DIR set to a
new temporary folder, as on a fresh container), then through gradio_client sends a short
recording to /analyze_audio twice and a photo to /analyze_image twice. Reports, per run: seconds
from process start to the server answering HTTP and to the first answer, each request's latency,
and the server's CPU seconds by its first answer (what the wall time would be on an idle core:
the machine is shared). Writes bench/results/cold_start.json and prints a table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, write_json  # noqa: E402
from bench.serve import ROOT, ask, client, launched, load_average, workload  # noqa: E402
from training.report import run_stamp  # noqa: E402

SEQUENCE = ("short audio", "short audio", "photo", "photo")


def one_start(requests) -> dict:
    with tempfile.TemporaryDirectory() as jit_cache, launched(env={"NUMBA_CACHE_DIR": jit_cache}) as server:
        up = time.perf_counter() - server.started
        c = client(server.url)
        answers = []
        for name in SEQUENCE:
            answer = ask(c, requests[name])
            if answer.error:
                raise RuntimeError(f"{name}: {answer.error}")
            answers.append({"request": name, "seconds": answer.seconds,
                            "answered_at": time.perf_counter() - server.started,
                            "server_cpu_seconds": server.cpu_seconds()})
    return {"server_up_seconds": up, "first_answer_seconds": answers[0]["answered_at"],
            "server_cpu_seconds_at_first_answer": answers[0]["server_cpu_seconds"], "requests": answers,
            "load_average": load_average()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/cold_start.json")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        requests = workload(Path(folder))
        runs = [one_start(requests) for _ in range(args.runs)]
    summary = {key: float(np.median([r[key] for r in runs]))
               for key in ("server_up_seconds", "first_answer_seconds", "server_cpu_seconds_at_first_answer")}
    for i, name in enumerate(SEQUENCE):
        seconds = [r["requests"][i]["seconds"] for r in runs]
        summary[f"request_{i + 1}_{name.replace(' ', '_')}_seconds"] = float(np.median(seconds))
    write_json({"summary_median": summary, "runs": runs, "machine": machine(), "date": run_stamp()}, args.out)
    for key, value in summary.items():
        print(f"{key:<45}{value:>8.2f}")
    print(f"load average during the runs: {[r['load_average'][0] for r in runs]}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
