"""Command line: `python -m emotion_core predict [--json] PATH...`.

With --json, one JSON object per input on its own line, in input order; the evaluation harness
reads exactly this. An unreadable input gets an "error" line, the rest still run, and the exit
code is 1 if any input failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from .analyzer import Analyzer
from .audio import AudioError
from .model_set import ModelSetError


def predict_one(analyzer: Analyzer, path: str) -> dict:
    """One input's JSON line; any failure stays this input's error line, so the others still run."""
    try:
        result = analyzer.analyze_audio(path)
    except AudioError as exc:
        return {"path": path, "error": str(exc)}
    except Exception as exc:  # an unforeseen decoder or feature failure on one odd file
        return {"path": path, "error": f"could not analyse this file ({type(exc).__name__}: {exc})"}
    return {"path": path, "kind": "audio", "audio": result.to_dict()}


def _human(line: dict) -> str:
    if "error" in line:
        return f"{line['path']}: error: {line['error']}"
    audio = line["audio"]
    top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(audio["probs"].items(), key=lambda kv: -kv[1])[:3])
    return f"{line['path']}: {audio['label']} ({top}; {len(audio['windows'])} window(s))"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emotion_core", description="Emotion from voice.")
    sub = parser.add_subparsers(dest="command", required=True)
    predict = sub.add_parser("predict", help="analyse audio files")
    predict.add_argument("paths", nargs="+", metavar="PATH")
    predict.add_argument("--json", action="store_true", help="one JSON object per input line")
    args = parser.parse_args(argv)

    try:
        analyzer = Analyzer()
        analyzer.speech  # load now: a broken model set is one clear message, not a traceback per file
    except ModelSetError as exc:
        print(f"error: cannot load the models: {exc}", file=sys.stderr)
        return 2
    failed = False
    for path in args.paths:
        line = predict_one(analyzer, path)
        failed |= "error" in line
        print(json.dumps(line) if args.json else _human(line), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
