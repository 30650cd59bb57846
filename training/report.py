"""What the metrics reports share: where they go, when a run was, and the rows an earlier run left behind."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"  # every metrics report and figure training/ writes


def run_stamp() -> str:
    """Now, in UTC to the second: the "run" of a metrics report and the "date" of a benchmark."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def keep_earlier_rows(report: dict, previous: dict) -> dict:
    """Add to `report` the rows of the `previous` report it has not scored again (their model's
    files were not on the machine), each marked with the run it comes from, so a partial re-run
    never silently drops a comparison."""
    earlier = previous.get("run", "an earlier run")
    for key, row in previous.items():
        if isinstance(row, dict) and key not in report:
            report[key] = {**row, "from_run": row.get("from_run", earlier)}
    return report
