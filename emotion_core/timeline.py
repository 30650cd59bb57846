"""A result as timeline rows: one per window and channel, what the downloads and `batch` write.

    path, start, end, channel (voice | face | fused), label, abstain, face, x, y, w, h,
    one column per emotion (LABELS), error

Voice and fused rows are analysis windows; a face row is one face in one sampled frame (start ==
end == its time), `face` its rank by size in that frame (0: the largest, the one fusion uses)
with its box in pixels. A photo's faces have start == end == 0. A reading without an answer keeps
its row: `abstain` says why ("no speech", "uncertain", ...), and the probabilities are empty when
there are none. An input that could not be read is one row with only `path` and `error`.
The same rows come from the app (CSV/JSON downloads), the CLI's batch command and Ray.
"""

from __future__ import annotations

import csv
import io
import json

from .labels import LABELS
from .results import (
    NO_FACE,
    NO_READING,
    NO_SPEECH,
    AudioResult,
    FaceResult,
    ImageResult,
    Result,
    VideoResult,
    top_label,
    verdict,
)

COLUMNS: tuple[str, ...] = (
    "path", "start", "end", "channel", "label", "abstain", "face", "x", "y", "w", "h", *LABELS, "error",
)
Row = dict[str, object]


def row(path: str | None, start: float, end: float, channel: str, probs: dict[str, float] | None,
         abstain: str | None, face: int | None = None, box: tuple[int, ...] | None = None) -> Row:
    """One row of the table: a reading of `channel` from `start` to `end` seconds."""
    out: Row = dict.fromkeys(COLUMNS)
    out.update(path=path, start=round(start, 3), end=round(end, 3), channel=channel,
               label=top_label(probs), abstain=abstain, face=face)
    if box is not None:
        out.update(zip(("x", "y", "w", "h"), (int(v) for v in box)))
    for label, p in (probs or {}).items():
        out[label] = round(float(p), 6)
    return out


def _voice_rows(audio: AudioResult, path: str | None) -> list[Row]:
    return [row(path, w.start, w.end, "voice", w.probs, verdict(w.probs, audio.uncertain_below, NO_SPEECH))
            for w in audio.windows]


def face_rows(faces: list[FaceResult], t: float, path: str | None = None) -> list[Row]:
    """The faces of one frame (or photo) at `t`, largest first; one "no face" row for none."""
    if not faces:
        return [row(path, t, t, "face", None, NO_FACE)]
    return [row(path, t, t, "face", f.probs, verdict(f.probs, f.uncertain_below, NO_FACE), i, f.box)
            for i, f in enumerate(faces)]


def rows(result: Result, path: str | None = None) -> list[Row]:
    """Every row of one result, in time order within each channel: voice, face, then fused."""
    if isinstance(result, AudioResult):
        return _voice_rows(result, path)
    if isinstance(result, ImageResult):
        return face_rows(result.faces, 0.0, path)
    if isinstance(result, VideoResult):
        out = _voice_rows(result.audio, path) if result.audio else []
        for frame in result.frames:
            out += face_rows(frame.faces, frame.t, path)
        threshold = result.fused.uncertain_below
        out += [row(path, w.start, w.end, "fused", w.probs, verdict(w.probs, threshold, NO_READING))
                for w in result.fused.windows]
        return out
    raise TypeError(f"no timeline rows for {type(result).__name__}")


def error_row(path: str, error: str) -> Row:
    out: Row = dict.fromkeys(COLUMNS)
    out.update(path=path, error=error)
    return out


def to_csv(table: list[Row]) -> str:
    """CSV text with the header; empty cells for what a row does not have."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in table)
    return out.getvalue()


def to_json(table: list[Row]) -> str:
    """{"columns": [...], "rows": [{column: value}]}, nulls for what a row does not have."""
    return json.dumps({"columns": list(COLUMNS), "rows": table}, indent=1)
