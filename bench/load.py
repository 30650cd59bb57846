"""How the app holds up under many visitors at once.

    python bench/load.py [--clients 32] [--requests 50] [--workers 2 ...] [--repeat 1] [--max-seconds 900]

For each worker count (the app's EMOTION_WORKERS: analyses at once, each in a worker process with
models of its own), --repeat times, the script starts the app on 127.0.0.1 and then:

1. one at a time: every kind of request of the mix (bench/serve.py: short and long audio, a
   photo, a webcam snapshot, a small video, and a broken audio file, image and video that must be
   refused) --rounds times after one untimed round, through one gradio_client client; the answers
   are the reference, and the mix's mean of each kind's median is the single-request time;
2. under load: --clients clients at once, each sending --requests requests of the mix in turn
   (bounded by --max-seconds), and checks every answer against the one-at-a-time answer.

Reports unexpected errors, answers that differ, p50/p95/max latency, throughput and whether
p95 <= 0.6 x clients x single-request time; writes bench/results/load.json and prints a table.
The machine's load average is recorded: other jobs on the two cores slow everything down.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sys

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, write_json  # noqa: E402
from bench.serve import (  # noqa: E402
    MIX, ROOT, Answer, Request, ask, client, launched, load_average, percentiles, workload,
)
from training.report import run_stamp  # noqa: E402

BOUND = 0.6  # p95 must stay within this fraction of clients x the single-request time


def one_at_a_time(url: str, requests: dict[str, Request], rounds: int) -> tuple[dict[str, object], dict[str, float]]:
    """Each kind's answer and its median latency, one request at a time after an untimed round."""
    c = client(url)
    answers = {name: ask(c, r) for name, r in requests.items()}
    times = {name: [ask(c, r).seconds for _ in range(rounds)] for name, r in requests.items()}
    broken = {name: a.error for name, a in answers.items() if a.error}
    if broken:
        raise RuntimeError(f"one at a time, these already fail: {broken}")
    return {name: a.result for name, a in answers.items()}, {name: float(np.median(t)) for name, t in times.items()}


def under_load(url: str, requests: dict[str, Request], reference: dict[str, object], clients: int, per_client: int,
               max_seconds: float) -> dict:
    """`clients` clients at once; every answer is checked against the one-at-a-time answer."""
    done: list[tuple[str, Answer]] = []
    lock = threading.Lock()
    visitors = [client(url) for _ in range(clients)]  # all connected before the first request
    deadline = time.perf_counter() + max_seconds

    def visitor(k: int) -> None:
        c = visitors[k]
        for i in range(per_client):
            if time.perf_counter() > deadline:
                return
            name = MIX[(7 * k + i) % len(MIX)]  # every client at its own place in the mix
            answer = ask(c, requests[name])
            with lock:
                done.append((name, answer))

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(visitor, range(clients)))
    wall = time.perf_counter() - start
    errors = Counter(f"{name}: {a.error}" for name, a in done if a.error)
    differing = Counter(name for name, a in done if not a.error and a.result != reference[name])
    latencies = [a.seconds for _, a in done]
    return {
        "clients": clients,
        "requests_per_client": per_client,
        "completed": len(done),
        "seconds": wall,
        "throughput_per_second": len(done) / wall,
        "latency_seconds": percentiles(latencies),
        "latency_seconds_by_kind": {name: percentiles([a.seconds for n, a in done if n == name]) for name in requests},
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(10)),
        "differing_from_one_at_a_time": sum(differing.values()),
        "differing_kinds": dict(differing),
        "all_equal_to_one_at_a_time": not errors and not differing,
    }


def run(workers: int, requests: dict[str, Request], args: argparse.Namespace) -> dict:
    with launched(workers, log=args.server_log) as server:
        load_before = load_average()
        reference, single = one_at_a_time(server.url, requests, args.rounds)
        single_mix = float(np.mean([single[name] for name in MIX]))
        cpu_before = server.cpu_seconds()
        loaded = under_load(server.url, requests, reference, args.clients, args.requests, args.max_seconds)
        loaded["server_cpu_share"] = (server.cpu_seconds() - cpu_before) / loaded["seconds"]
    bound = BOUND * args.clients * single_mix
    return {
        "workers": workers,
        "single_request_seconds": {"by_kind": single, "mix_mean": single_mix, "rounds": args.rounds},
        "load": loaded,
        "p95_bound_seconds": bound,
        "p95_within_bound": loaded["latency_seconds"]["p95"] <= bound,
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def print_table(runs: list[dict]) -> None:
    print(f"{'workers':>7}{'single s':>10}{'done':>6}{'errors':>7}{'differ':>7}{'p50 s':>8}{'p95 s':>8}"
          f"{'bound s':>9}{'req/s':>7}{'load avg':>10}")
    for r in runs:
        load = r["load"]
        print(f"{r['workers']:>7}{r['single_request_seconds']['mix_mean']:>10.3f}{load['completed']:>6}"
              f"{load['errors']:>7}{load['differing_from_one_at_a_time']:>7}{load['latency_seconds']['p50']:>8.2f}"
              f"{load['latency_seconds']['p95']:>8.2f}{r['p95_bound_seconds']:>9.2f}"
              f"{load['throughput_per_second']:>7.2f}{r['load_average_after'][0]:>10.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--requests", type=int, default=50, help="requests per client")
    p.add_argument("--workers", type=int, nargs="+", default=[2], help="EMOTION_WORKERS values to measure, in turn")
    p.add_argument("--repeat", type=int, default=1, help="measure each worker count this many times (timings are noisy)")
    p.add_argument("--rounds", type=int, default=5, help="timed one-at-a-time rounds of each kind")
    p.add_argument("--max-seconds", type=float, default=900.0, help="no client starts a request after this")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/load.json")
    p.add_argument("--server-log", type=Path, default=None, help="append the app's log here")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        requests = workload(Path(folder))
        runs = []
        for workers in args.workers:
            for _ in range(args.repeat):
                runs.append(run(workers, requests, args))
            write_json({"runs": runs, "mix": list(MIX), "machine": machine(), "date": run_stamp()}, args.out)
    print_table(runs)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
