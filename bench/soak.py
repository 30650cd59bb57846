"""Whether the server's memory stays put over many requests.

    python bench/soak.py [--requests 1000] [--sample-every 25] [--max-seconds 1800]

Starts the app on 127.0.0.1, sends --requests requests of the load benchmark's mix
(bench/serve.py) one after another through one gradio_client client, samples the server's
resident memory (VmRSS from /proc) every --sample-every requests, and checks every answer against
the first answer of its kind. Reports the memory after the first mix cycles (the baseline: caches
and first-use allocations have settled by then), at the end and at its peak, the growth from the
baseline in all and over the second half; writes bench/results/soak.json and prints a table.
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
from bench.serve import MIX, ROOT, ask, client, launched, load_average, percentiles, workload  # noqa: E402
from training.report import run_stamp  # noqa: E402

BASELINE_CYCLES = 4  # mix cycles before the baseline sample


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--sample-every", type=int, default=25)
    p.add_argument("--workers", type=int, default=None, help="EMOTION_WORKERS (default: the app's)")
    p.add_argument("--max-seconds", type=float, default=1800.0, help="stop sending after this")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/soak.json")
    args = p.parse_args()
    baseline_at = BASELINE_CYCLES * len(MIX)
    with tempfile.TemporaryDirectory() as folder, launched(args.workers) as server:
        requests = workload(Path(folder))
        c = client(server.url)
        load_before = load_average()
        samples = [{"requests": 0, "rss_mb": server.rss_mb()}]
        first: dict[str, object] = {}
        errors, differing, latencies = 0, 0, []
        start = time.perf_counter()
        for i in range(args.requests):
            if time.perf_counter() - start > args.max_seconds:
                break
            name = MIX[i % len(MIX)]
            answer = ask(c, requests[name])
            latencies.append(answer.seconds)
            errors += answer.error is not None
            differing += answer.error is None and first.setdefault(name, answer.result) != answer.result
            if (i + 1) % args.sample_every == 0 or i + 1 == baseline_at:
                samples.append({"requests": i + 1, "rss_mb": server.rss_mb()})
        done, seconds = len(latencies), time.perf_counter() - start
        if samples[-1]["requests"] != done:
            samples.append({"requests": done, "rss_mb": server.rss_mb()})
    baseline = next(s["rss_mb"] for s in samples if s["requests"] >= min(baseline_at, done))
    half = next(s["rss_mb"] for s in samples if s["requests"] >= done // 2)
    end, peak = samples[-1]["rss_mb"], max(s["rss_mb"] for s in samples)
    report = {
        "requests": done,
        "seconds": seconds,
        "errors": errors,
        "differing_from_first_answer": differing,
        "latency_seconds": percentiles(latencies),
        "rss_mb": {"at_start": samples[0]["rss_mb"], "baseline": baseline, "baseline_after_requests": baseline_at,
                   "half_way": half, "end": end, "peak": peak},
        "growth_mb": {"baseline_to_end": end - baseline, "second_half": end - half,
                      "per_1000_requests_after_baseline": (end - baseline) / max(done - baseline_at, 1) * 1000},
        "samples": samples,
        "workers": args.workers,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "machine": machine(),
        "date": run_stamp(),
    }
    write_json(report, args.out)
    rss, growth = report["rss_mb"], report["growth_mb"]
    print(f"{'requests':>9}{'errors':>7}{'differ':>7}{'p50 s':>8}{'start MB':>10}{'base MB':>9}{'end MB':>8}"
          f"{'peak MB':>9}{'growth MB':>10}{'2nd half':>9}")
    print(f"{done:>9}{errors:>7}{differing:>7}{report['latency_seconds']['p50']:>8.3f}{rss['at_start']:>10.1f}"
          f"{baseline:>9.1f}{end:>8.1f}{peak:>9.1f}{growth['baseline_to_end']:>10.1f}{growth['second_half']:>9.1f}")
    print(f"rss every {args.sample_every} requests (MB): {np.round([s['rss_mb'] for s in samples], 1).tolist()}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
