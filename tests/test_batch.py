"""`python -m emotion_core batch`: folders of good, corrupt and silent files into one table, a
progress bar, resuming after an interruption, and Ray giving the local rows."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emotion_core import batch
from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.labels import LABELS
from emotion_core.timeline import COLUMNS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, clip_path: Path, face_images, videos) -> Path:
    """A folder as people have them: speech, a photo, a video, a silent and a corrupt recording,
    a nested folder, and files that are not media at all (skipped)."""
    root = tmp_path_factory.mktemp("archive")
    shutil.copy(clip_path, root / "speech.flac")
    shutil.copy(face_images.files["jpeg"], root / "photo.jpg")
    (root / "nested").mkdir()
    shutil.copy(videos["normal"], root / "nested" / "interview.mp4")
    sf.write(root / "silent.wav", np.zeros(2 * SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    (root / "corrupt.wav").write_bytes(np.random.default_rng(1).bytes(30_000))
    (root / "notes.txt").write_text("not media\n")
    (root / ".hidden.wav").write_bytes(b"")
    return root


def _batch(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emotion_core", "batch", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_expand_takes_media_by_content_and_extension_recursively(folder: Path):
    found = [Path(p).relative_to(folder).as_posix() for p in batch.expand([str(folder)])]
    assert found == ["corrupt.wav", "nested/interview.mp4", "photo.jpg", "silent.wav", "speech.flac"]
    assert batch.expand([str(folder / "*.flac")]) == [str(folder / "speech.flac")]
    assert batch.expand([str(folder / "missing.wav")]) == [str(folder / "missing.wav")]  # its own error row


@pytest.fixture(scope="module")
def table(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("out") / "results.csv"
    return _batch(folder, "--out", out, "--workers", "2"), out


def test_a_folder_becomes_one_complete_table_with_error_rows(table, folder: Path):
    run, out = table
    assert run.returncode == 1, run.stderr  # one file failed
    rows = _read_csv(out)
    assert list(rows[0]) == list(COLUMNS)
    by_path: dict[str, list[dict]] = {}
    for row in rows:
        by_path.setdefault(Path(row["path"]).name, []).append(row)
    assert set(by_path) == {"corrupt.wav", "interview.mp4", "photo.jpg", "silent.wav", "speech.flac"}
    (corrupt,) = by_path["corrupt.wav"]
    assert corrupt["error"] and not corrupt["channel"]
    assert all(r["channel"] == "voice" and r["abstain"] == "no speech" and not r["angry"] for r in by_path["silent.wav"])
    (voice,) = by_path["speech.flac"]
    assert voice["label"] in LABELS and sum(float(voice[k]) for k in LABELS) == pytest.approx(1.0, abs=1e-4)
    assert {r["channel"] for r in by_path["interview.mp4"]} == {"voice", "face", "fused"}
    face = next(r for r in by_path["photo.jpg"])
    assert face["channel"] == "face" and face["face"] == "0" and int(face["w"]) > 0
    assert not out.with_name(out.name + ".partial.jsonl").exists()
    assert "5/5" in run.stderr and "file/s" in run.stderr  # tqdm's bar: files and their rate


def test_output_rows_are_the_cli_s_for_each_file(table, folder: Path):
    """The batch's rows of a file equal the timeline of that file's own analysis (as the app's download)."""
    from emotion_core.analyzer import Analyzer
    from emotion_core.timeline import rows, to_csv

    _, out = table
    path = str(folder / "speech.flac")
    expected = list(csv.DictReader(to_csv(rows(Analyzer().analyze_file(path), path)).splitlines()))
    assert [r for r in _read_csv(out) if r["path"] == path] == expected


def test_resume_skips_finished_files_and_an_interrupted_run_leaves_no_output(folder: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "results.jsonl"
    paths = batch.expand([str(folder)])
    calls: list[str] = []

    def interrupted(todo):
        for path in todo:
            if len(calls) == 2:
                raise KeyboardInterrupt
            calls.append(path)
            yield path, [dict.fromkeys(COLUMNS) | {"path": path, "channel": "voice"}]

    with pytest.raises(KeyboardInterrupt):
        batch.run(paths, out, interrupted, progress=False)
    assert not out.exists()  # never half written
    assert list(batch.read_partial(batch.partial_path(out))) == paths[:2]

    seen: list[str] = []

    def rest(todo):
        seen.extend(todo)
        yield from ((p, [dict.fromkeys(COLUMNS) | {"path": p, "channel": "voice"}]) for p in todo)

    table = batch.run(paths, out, rest, resume=True, progress=False)
    assert seen == paths[2:]
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["path"] for r in written] == paths == [r["path"] for r in table]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_other_formats_hold_the_same_rows(table, folder: Path, tmp_path: Path, suffix: str):
    _, csv_out = table
    out = tmp_path / f"results{suffix}"
    if suffix == ".parquet":
        pq = pytest.importorskip("pyarrow.parquet")
    run = _batch(folder / "speech.flac", folder / "corrupt.wav", "--out", out, "--workers", "1", "--quiet")
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr  # the summary line alone
    got = pq.read_table(out).to_pylist() if suffix == ".parquet" else [json.loads(l) for l in out.read_text().splitlines()]
    expected = [r for r in _read_csv(csv_out) if Path(r["path"]).name in ("speech.flac", "corrupt.wav")]
    assert sorted(Path(r["path"]).name for r in got) == sorted(Path(r["path"]).name for r in expected)
    for row in got:
        twin = next(r for r in expected if Path(r["path"]).name == Path(row["path"]).name)
        for k in LABELS:
            assert (row[k] is None) == (twin[k] == "") and (row[k] is None or row[k] == pytest.approx(float(twin[k])))


def test_bad_arguments_are_one_clear_line(tmp_path: Path):
    run = _batch(tmp_path, "--out", tmp_path / "results.xlsx")
    assert run.returncode == 2 and "--out must end in .csv, .jsonl, .parquet" in run.stderr
    run = _batch(tmp_path, "--out", tmp_path / "results.csv")
    assert run.returncode == 2 and "no media files" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_ray_gives_the_local_rows(table, folder: Path, tmp_path: Path):
    pytest.importorskip("ray")
    _, local = table
    out = tmp_path / "ray.csv"
    run = _batch(folder, "--out", out, "--engine", "ray", "--workers", "2", "--quiet")
    assert run.returncode == 1, run.stderr
    assert _read_csv(out) == _read_csv(local)
