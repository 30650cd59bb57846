"""Many files at once: `python -m emotion_core batch INPUT... --out results.csv|.jsonl|.parquet`.

Inputs are files, folders (searched recursively) and globs. Every finished file's rows
(emotion_core/timeline.py) are appended at once to `<out>.partial.jsonl`, so an interrupted run
loses nothing and `--resume` skips what it already holds; the output itself is written whole to a
temporary file and renamed over `<out>` only when every file is done, so it is never half written.
A file that cannot be read is one row with its error, never a stopped run.

Engines: "local" (processes on this machine, each with its models loaded once) and "ray" (Ray
Data over a local or remote cluster, emotion_core/batch_ray.py).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from . import limits
from .decode.image import is_image_file
from .decode.video import VIDEO_EXTENSIONS
from .errors import user_message
from .native_log import quiet_stderr
from .timeline import COLUMNS, Row, error_row, rows, to_csv

FORMATS = (".csv", ".jsonl", ".parquet")
# In a folder, files with these extensions are taken even when their content is unreadable (so a
# corrupt recording gets its error row); any other file only when its content is media.
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".webm", ".wma", ".aiff"})


def _is_media(path: Path) -> bool:
    """A file of a folder worth analysing: a known media extension, or content PyAV can decode."""
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS or suffix in VIDEO_EXTENSIONS or is_image_file(path):
        return True
    import av  # only for the odd file without a media extension

    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio or container.streams.video)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        return False


def expand(inputs: Iterable[str]) -> list[str]:
    """Every file to analyse, each once, in the order given (a folder's files sorted): a named
    file always (it gets an error row if unreadable), a folder's or a glob's files when media."""
    found: dict[str, None] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            found.update((str(p), None) for p in candidates if _is_media(p))
        elif path.exists():
            found[str(path)] = None
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if matches:
                found.update((m, None) for m in matches if Path(m).is_file() and _is_media(Path(m)))
            else:
                found[item] = None  # a missing file: its own error row
    return list(found)


# ----------------------------------------------------------------------------- one file
_analyzer = None
# An archive's recordings are as long as they are: the batch reads up to this many seconds of a
# recording or video, not the public Space's caps (limits.py), unless the environment sets them.
BATCH_MAX_SECONDS = 10 * 3600.0


def lift_duration_caps() -> None:
    names = {"max_audio_seconds": "EMOTION_MAX_AUDIO_SECONDS", "max_video_seconds": "EMOTION_MAX_VIDEO_SECONDS"}
    lifted = {field: BATCH_MAX_SECONDS for field, env in names.items() if not os.environ.get(env)}
    limits.LIMITS = replace(limits.LIMITS, **lifted)


def _worker_init() -> None:
    """Each worker process loads its own models, once."""
    global _analyzer
    from .analyzer import Analyzer

    lift_duration_caps()
    _analyzer = Analyzer()


def file_rows(path: str, analyzer=None) -> tuple[str, list[Row]]:
    """One file's rows, or its one error row."""
    analyzer = analyzer or _analyzer
    try:
        return path, rows(analyzer.analyze_file(path), path)
    except Exception as exc:  # one bad file is a row, never a stopped run
        return path, [error_row(path, user_message(exc))]


def run_local(paths: list[str], workers: int) -> Iterator[tuple[str, list[Row]]]:
    """(path, rows) as files finish, in `workers` processes (1: in this process)."""
    if workers <= 1:
        _worker_init()
        for path in paths:
            yield file_rows(path)
        return
    with get_context("spawn").Pool(workers, initializer=_worker_init) as pool:  # (spawned: no state shared)
        yield from pool.imap_unordered(file_rows, paths)


# ----------------------------------------------------------------------------- output
def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial.jsonl")


def read_partial(path: Path) -> dict[str, list[Row]]:
    """The files a partial run finished (a last line cut off by the interruption is ignored)."""
    done: dict[str, list[Row]] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[record["path"]] = record["rows"]
    return done


def write_table(table: list[Row], out: Path) -> None:
    """The whole table to `out` in its format, through a temporary file renamed over it."""
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix == ".csv":
        tmp.write_text(to_csv(table), encoding="utf-8")
    elif out.suffix == ".jsonl":
        tmp.write_text("".join(json.dumps(r) + "\n" for r in table), encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(table, schema=_arrow_schema(pa)), tmp)
    os.replace(tmp, out)


def _arrow_schema(pa):
    text = {"path", "channel", "label", "abstain", "error"}
    ints = {"face", "x", "y", "w", "h"}
    return pa.schema([(c, pa.string() if c in text else pa.int64() if c in ints else pa.float64()) for c in COLUMNS])


def run(paths: list[str], out: Path, engine: Callable[[list[str]], Iterator[tuple[str, list[Row]]]],
        resume: bool = False, progress: bool = True) -> list[Row]:
    """Analyse `paths` with `engine`, keeping every finished file in the partial file, then write
    `out` whole; returns the table (rows in input order)."""
    partial = partial_path(out)
    done = read_partial(partial) if resume else {}
    if not resume:
        partial.unlink(missing_ok=True)
    todo = [p for p in paths if p not in done]
    with quiet_stderr() as stderr, tqdm(
        total=len(paths), initial=len(paths) - len(todo), unit="file", desc="batch", disable=not progress,
        file=stderr, dynamic_ncols=True,
    ) as bar, partial.open("a", encoding="utf-8") as log:
        for path, file_table in engine(todo) if todo else ():
            done[path] = file_table
            log.write(json.dumps({"path": path, "rows": file_table}) + "\n")
            log.flush()
            bar.update(1)
    table = [row for p in paths for row in done[p]]
    write_table(table, out)
    partial.unlink()
    return table
