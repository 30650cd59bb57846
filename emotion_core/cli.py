"""Command line: `python -m emotion_core predict [--json] [--whole-face] [--baseline NEUTRAL] PATH...`
and `python -m emotion_core batch INPUT... --out results.csv|.jsonl|.parquet` (emotion_core/batch.py).

Images (any extension Pillow reads) go to the face pipeline, files with a video stream to both
pipelines and their fusion, everything else to the speech one.
With --json, one JSON object per input on its own line, in input order; the evaluation harness
reads exactly this. An unreadable input gets an "error" line, the rest still run, and the exit
code is 1 if any input failed. --baseline reads every input relative to a recording, photo or
video of the same person being neutral (emotion_core/baseline.py); each JSON line then says so in
"baseline".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .analyzer import Analyzer, input_kind
from .describe import one_line
from .errors import InputError, user_message
from .model_set import ModelSetError
from .report import analyze_json


def _batch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .batch import FORMATS, expand, run, run_local

    if args.out.suffix not in FORMATS:
        parser.error(f"--out must end in {', '.join(FORMATS)}, not {args.out.name!r}")
    if args.out.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            parser.error("writing .parquet needs pyarrow: pip install pyarrow (or write .csv or .jsonl)")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    paths = expand(args.inputs)
    if not paths:
        print("error: no media files in the inputs", file=sys.stderr)
        return 2
    if args.engine == "ray":
        from .batch_ray import run_ray

        engine = lambda todo: run_ray(todo, args.workers, args.ray_address)  # noqa: E731
    else:
        engine = lambda todo: run_local(todo, args.workers)  # noqa: E731
    table = run(paths, args.out, engine, resume=args.resume, progress=not args.quiet)
    failed = sorted({row["path"] for row in table if row["error"]})
    print(f"{len(paths)} files, {len(table)} rows, {len(failed)} with errors -> {args.out}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emotion_core", description="Emotion from voice and face.")
    sub = parser.add_subparsers(dest="command", required=True)
    predict = sub.add_parser("predict", help="analyse audio files, images and videos")
    predict.add_argument("paths", nargs="+", metavar="PATH")
    predict.add_argument("--json", action="store_true", help="one JSON object per input line")
    predict.add_argument(
        "--whole-face", action="store_true",
        help="skip face detection: each image is one face crop (for cropped data sets such as FER2013)",
    )
    predict.add_argument(
        "--baseline", metavar="NEUTRAL",
        help="a recording, photo or video of the same person being neutral: readings are made relative to it",
    )
    batch = sub.add_parser("batch", help="analyse files, folders or globs into one table, a row per window")
    batch.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders (recursive) or globs")
    batch.add_argument("--out", required=True, type=Path, help="results.csv, .jsonl or .parquet")
    batch.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: the cores)")
    batch.add_argument("--resume", action="store_true", help="skip the files an interrupted run finished")
    batch.add_argument("--engine", choices=("local", "ray"), default="local")
    batch.add_argument("--ray-address", default=None, help="a Ray cluster to join (default: start one here)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "batch":
        return _batch(args, batch)

    try:
        analyzer = Analyzer()
        # Load now: a broken model set is one clear message, not a traceback per file.
        kinds = {input_kind(p) for p in args.paths}
        if kinds - {"image"}:
            analyzer.speech, analyzer.vad  # noqa: B018 (cached properties)
        if kinds - {"audio"}:
            analyzer.face  # noqa: B018
            if not args.whole_face or "video" in kinds:
                analyzer.face_detector  # noqa: B018
    except ModelSetError as exc:
        print(f"error: cannot load the models: {exc}", file=sys.stderr)
        return 2
    baseline = None
    if args.baseline:
        try:
            baseline = analyzer.baseline_from_file(args.baseline)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, InputError) else user_message(exc)
            print(f"error: cannot use {args.baseline} as a baseline: {reason}", file=sys.stderr)
            return 2
    failed = False
    for path in args.paths:
        line = analyze_json(analyzer, path, args.whole_face, baseline)
        failed |= "error" in line
        print(json.dumps(line) if args.json else one_line(line), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
