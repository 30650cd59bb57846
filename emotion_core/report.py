"""The JSON form of a result, one place for the app, the API and the CLI.

    {"path"?, "kind": "audio", "audio": {...}}
    {"path"?, "kind": "image", "faces": [...], "abstain", "note"?}
    {"path"?, "kind": "video", "audio", "face", "faces_timeline", "fused", "notes"}
    {"path", "error": "..."}
    and "baseline": {"voice_windows", "face_frames"} when read relative to a personal baseline

An input the user can fix (errors.InputError) gets its reason, and one WARNING line in the log;
anything else is logged here with its traceback and reaches the user only as a generic message.
"""

from __future__ import annotations

import logging
import os

from .baseline import Baseline
from .errors import log_failure, user_message
from .results import AudioResult, Result

logger = logging.getLogger(__name__)


def result_json(result: Result, path: str | None = None, models: str | None = None,
                baseline: Baseline | None = None) -> dict:
    """A result as JSON-ready data; `models` names the model set that answered (the app adds it);
    "baseline" appears only when the reading was made relative to a personal baseline."""
    line: dict = {} if path is None else {"path": path}
    line["kind"] = result.kind
    line.update({"audio": result.to_dict()} if isinstance(result, AudioResult) else result.to_dict())
    if models is not None:
        line["models"] = models
    if baseline is not None:
        line["baseline"] = {"voice_windows": baseline.voice_windows, "face_frames": baseline.face_frames}
    return line


def error_json(path: str, exc: BaseException) -> dict:
    """One input's failure: the reason for bad input, a generic message for ours; both logged."""
    log_failure(logger, path, exc)
    return {"path": path, "error": user_message(exc)}


def analyze_json(analyzer, path: str | os.PathLike, whole_face: bool = False, baseline: Baseline | None = None) -> dict:
    """One input's JSON line; any failure stays this input's error line, so other inputs still run."""
    path = str(path)
    try:
        return result_json(analyzer.analyze_file(path, whole_face=whole_face, baseline=baseline), path,
                           baseline=baseline)
    except Exception as exc:  # an unforeseen decoder or model failure on one odd file
        return error_json(path, exc)
