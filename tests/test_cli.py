"""`python -m emotion_core predict`, run as the evaluation harness runs it: a separate process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.errors import INTERNAL_ERROR
from emotion_core.labels import LABELS

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def _predict(*args: str | Path) -> subprocess.CompletedProcess:
    return _run("-m", "emotion_core", "predict", *map(str, args))


def _assert_distribution(probs: dict[str, float]) -> None:
    assert list(probs) == list(LABELS)
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert all(0.0 <= p <= 1.0 for p in probs.values())


Run = tuple[list[Path], subprocess.CompletedProcess]


@pytest.fixture(scope="module")
def mixed(clip_path: Path, media: dict[str, Path], bad_inputs: dict[str, Path]) -> Run:
    """One --json run over good and bad inputs, shared by the tests that read its output."""
    paths = [clip_path, bad_inputs["missing"], media["mp3"], bad_inputs["random_bytes"]]
    return paths, _predict("--json", *paths)


def test_json_has_one_line_per_input_in_order_and_exit_code_1(mixed: Run):
    paths, run = mixed
    assert run.returncode == 1
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(p) for p in paths]


def test_json_error_lines_hold_only_path_and_message(mixed: Run):
    paths, run = mixed
    lines = run.stdout.splitlines()
    assert json.loads(lines[1]) == {"path": str(paths[1]), "error": "no such file"}  # the path is beside it
    assert set(json.loads(lines[3])) == {"path", "error"}
    assert json.loads(lines[3])["error"].startswith("not a readable audio or video file")


def test_json_audio_lines_hold_a_distribution_and_its_windows(mixed: Run, clip: np.ndarray):
    _, run = mixed
    lines = run.stdout.splitlines()
    for line in (json.loads(lines[0]), json.loads(lines[2])):
        assert line["kind"] == "audio"
        audio = line["audio"]
        _assert_distribution(audio["probs"])
        assert audio["label"] == max(audio["probs"], key=audio["probs"].get)
        (window,) = audio["windows"]  # a 2.4 s clip is one window
        assert window["start"] == 0.0
        assert window["end"] == pytest.approx(clip.size / SAMPLE_RATE, abs=0.05)
        _assert_distribution(window["probs"])


def test_json_all_readable_exits_0(clip_path: Path, media: dict[str, Path]):
    paths = [clip_path, media["webm_opus"], media["mp4_video_aac"]]
    run = _predict("--json", *paths)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(p) for p in paths]
    assert [line["kind"] for line in lines] == ["audio", "audio", "video"]
    # The mp4's picture is black: its sound is read, and the result says no face was seen.
    assert lines[2]["audio"]["label"] in LABELS and lines[2]["fused"]["channels"] == ["voice"]
    assert "no face in any sampled frame: the reading is the voice alone" in lines[2]["notes"]


def test_human_output_has_one_readable_line_per_input(clip_path: Path, bad_inputs: dict[str, Path]):
    missing = bad_inputs["missing"]
    run = _predict(clip_path, missing)
    assert run.returncode == 1
    good, bad = run.stdout.splitlines()
    reading = good.removeprefix(f"{clip_path}: Voice: ")
    label = reading.split("(top: ")[-1].split(" ")[0].rstrip(",")
    assert label in LABELS and reading.endswith("%)")
    assert bad == f"{missing}: Error: no such file"


def test_analysing_audio_never_imports_tensorflow_or_gradio(clip_path: Path, media: dict[str, Path]):
    code = (
        "import sys\n"
        "from emotion_core import Analyzer\n"
        "analyzer = Analyzer()\n"
        "for path in sys.argv[1:]:\n"
        "    analyzer.analyze_audio(path)\n"
        "heavy = {'tensorflow', 'keras', 'gradio'} & {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    run = _run("-c", code, str(clip_path), str(media["webm_opus"]))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_an_unexpected_failure_on_one_file_is_that_files_error_line(clip_path: Path, monkeypatch, capsys, caplog):
    """Our own failure is logged in full but reaches the output only as a generic message."""
    from emotion_core import cli

    real = cli.Analyzer.analyze_audio

    def flaky(self, source, baseline=None):
        if str(source).endswith("odd.wav"):
            raise IndexError("index 3 is out of bounds")
        return real(self, source, baseline)

    monkeypatch.setattr(cli.Analyzer, "analyze_audio", flaky)
    assert cli.main(["predict", "--json", "odd.wav", str(clip_path)]) == 1
    odd, good = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert odd == {"path": "odd.wav", "error": INTERNAL_ERROR}
    assert "index 3 is out of bounds" not in odd["error"] and "index 3 is out of bounds" in caplog.text
    assert good["kind"] == "audio" and good["audio"]["label"] in LABELS


def test_json_image_lines_hold_every_face_largest_first_and_a_note_when_none(face_images, clip_path: Path):
    paths = [face_images.files["two_faces"], face_images.files["no_face"], clip_path, face_images.files["random_bytes"]]
    run = _predict("--json", *paths)
    assert run.returncode == 1
    two, none, audio, broken = [json.loads(line) for line in run.stdout.splitlines()]
    assert two["kind"] == "image" and two["path"] == str(paths[0]) and "note" not in two
    assert len(two["faces"]) == 2
    assert two["faces"][0]["box"][2] > two["faces"][1]["box"][2]
    for face in two["faces"]:
        assert set(face) == {"box", "score", "label", "probs", "abstain"}
        assert len(face["box"]) == 4 and 0.5 <= face["score"] <= 1.0
        assert list(face["probs"]) == [label for label in LABELS if label != "calm"]
        assert face["label"] == max(face["probs"], key=face["probs"].get)
    assert none == {"path": str(paths[1]), "kind": "image", "faces": [], "abstain": "no face", "note": "no face found"}
    assert audio["kind"] == "audio"
    assert set(broken) == {"path", "error"} and broken["error"].startswith("cannot read this image")


def test_whole_face_takes_each_image_as_one_face_crop(fer_sample):
    paths = [path for path, _ in fer_sample[:3]]
    run = _predict("--json", "--whole-face", *paths)
    assert run.returncode == 0, run.stderr
    for line in map(json.loads, run.stdout.splitlines()):
        (face,) = line["faces"]
        assert face["box"] == [0, 0, 48, 48] and face["score"] == 1.0


def test_human_output_names_each_face(face_images):
    run = _predict(face_images.files["jpeg"], face_images.files["flat"])
    assert run.returncode == 0, run.stderr
    one, none = run.stdout.splitlines()
    assert one.startswith(f"{face_images.files['jpeg']}: Face: ") and one.endswith("%)")
    assert none == f"{face_images.files['flat']}: Face: no face found"
