"""Command line: `python -m emotion_core predict [--json] [--whole-face] [--baseline NEUTRAL] PATH...`.

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
import sys

from .analyzer import Analyzer, input_kind
from .errors import InputError, user_message
from .model_set import ModelSetError
from .report import analyze_json


def _top3(probs: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(probs.items(), key=lambda kv: -kv[1])[:3])


def _reading(reading: dict) -> str:
    """A reading's label, or its verdict and the top label it holds back, then its top three (the
    caller closes the parenthesis)."""
    head = f"{reading['abstain']}, top {reading['label']}" if reading["abstain"] else reading["label"]
    return f"{head} ({_top3(reading['probs'])}"


def _human(line: dict) -> str:
    if "error" in line:
        return f"{line['path']}: error: {line['error']}"
    if line["kind"] == "video":
        fused = line["fused"]
        reading = f"{_reading(fused)}; from {' and '.join(fused['channels'])})" if fused["probs"] else "no reading"
        notes = "".join(f"; {note}" for note in line["notes"])
        return f"{line['path']}: {reading}{notes}"
    if line["kind"] == "image":
        if not line["faces"]:
            return f"{line['path']}: {line['note']}"
        faces = "; ".join(f"face {i + 1} at {f['box']}: {_reading(f)})" for i, f in enumerate(line["faces"]))
        return f"{line['path']}: {faces}"
    audio = line["audio"]
    if audio["probs"] is None:
        return f"{line['path']}: {audio['abstain']} ({len(audio['windows'])} window(s))"
    return f"{line['path']}: {_reading(audio)}; {len(audio['windows'])} window(s))"


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
    args = parser.parse_args(argv)

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
        print(json.dumps(line) if args.json else _human(line), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
