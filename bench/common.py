"""What every benchmark shares: stage timing, model file facts, the machine, the printed table."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np


def time_stages(stages: dict[str, Callable[[], object]], runs: int, warmup: int) -> dict[str, dict]:
    """Median and 95th percentile (ms) of each stage over `runs` rounds after `warmup` untimed ones.

    Each round times every stage in turn, so a change in machine load affects all stages alike.
    """
    for _ in range(warmup):
        for fn in stages.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(runs):
        for name, fn in stages.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000.0)
    return {
        name: {"median_ms": float(np.median(t)), "p95_ms": float(np.percentile(t, 95)), "runs": runs}
        for name, t in times.items()
    }


def model_file(path: Path) -> dict[str, int | str]:
    """Size, gzip size and sha256, so a result can be tied to the exact model it measured."""
    data = path.read_bytes()
    return {
        "bytes": len(data),
        "gzip_bytes": len(gzip.compress(data, compresslevel=9)),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def machine() -> dict:
    """What the figures depend on; the load average says how busy the shared machine was."""
    return {
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "ai_edge_litert": version("ai-edge-litert"),
    }


def print_table(report: dict) -> None:
    print(f"{'stage':<20}{'median ms':>10}{'p95 ms':>10}")
    for stage, t in report["stages"].items():
        cells = f"{t['median_ms']:>10.2f}{t['p95_ms']:>10.2f}" if t else f"{'n/a':>10}{'n/a':>10}"
        print(f"{stage:<20}{cells}")
    for kind, size in report["models"].items():
        if size:
            print(f"{kind} model: {size['bytes']:,} bytes ({size['gzip_bytes']:,} gzipped)")


def parser(description: str, runs: int, out: Path) -> argparse.ArgumentParser:
    """--runs, --warmup and --out, the options every benchmark takes."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=runs)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--out", type=Path, default=out)
    return p


def write_json(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


def save(report: dict, out: Path) -> None:
    """Write the report as JSON and print its table."""
    write_json(report, out)
    print_table(report)
    print(f"wrote {out}")
