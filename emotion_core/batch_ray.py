"""The batch on Ray Data: the file list as a dataset, `map_batches` over actors that each hold a
set of models, rows streamed back to the driver as files finish (which keeps the partial file).

Optional: `pip install -r requirements-cluster.txt`. With no address, Ray starts on this machine;
`--ray-address auto` (or ray://head:10001) joins a running cluster, whose nodes need this project
and its requirements at the same path, and the media at paths every node can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .timeline import Row


class _Analyse:
    """One actor: its models load once, then it reads one file per batch."""

    def __init__(self):
        from .analyzer import Analyzer
        from .batch import lift_duration_caps

        lift_duration_caps()
        self.analyzer = Analyzer()

    def __call__(self, batch: dict) -> dict:
        from .batch import file_rows

        done = [file_rows(str(p), self.analyzer) for p in batch["path"]]
        return {"path": [p for p, _ in done], "rows": [json.dumps(r) for _, r in done]}


def run_ray(paths: list[str], workers: int, address: str | None = None) -> Iterator[tuple[str, list[Row]]]:
    """(path, rows) as files finish, on `workers` Ray actors of one CPU each."""
    try:
        import ray
    except ImportError as exc:
        raise SystemExit("--engine ray needs Ray: pip install -r requirements-cluster.txt") from exc
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        ds = ray.data.from_items([{"path": p} for p in paths], override_num_blocks=max(1, len(paths)))
        out = ds.map_batches(_Analyse, batch_size=1, concurrency=workers, num_cpus=1, batch_format="numpy")
        for row in out.iter_rows():
            yield str(row["path"]), json.loads(row["rows"])
    finally:
        if started:
            ray.shutdown()
