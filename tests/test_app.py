"""The running app through its public API, as a Space visitor's client sees it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.labels import LABELS
from emotion_core.timeline import COLUMNS

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def client(served_app) -> Client:
    return Client(served_app[1], verbose=False)


@pytest.fixture(scope="module")
def source(served_app) -> str:
    return served_app[0].ANALYZER.model_set.source


def _check_distribution(label: dict, report: dict, source: str) -> None:
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(confidences) == set(LABELS)
    assert sum(confidences.values()) == pytest.approx(1.0, abs=1e-4)
    assert label["label"] == max(confidences, key=confidences.get)
    assert report["kind"] == "audio"
    assert report["models"] == source
    assert set(report["audio"]["probs"]) == set(LABELS)
    assert report["audio"]["probs"] == pytest.approx(confidences)
    assert report["audio"]["label"] == label["label"]


def _png_size(path: str) -> tuple[int, int]:
    with Image.open(path) as figure:
        assert figure.format == "PNG"
        return figure.size


@pytest.mark.parametrize("api_name", ["/analyze_audio", "/analyze_microphone"])
def test_short_clip_gives_distribution_mfcc_and_no_timeline(client, source, clip_path, api_name):
    label, mfcc, timeline, report = client.predict(handle_file(str(clip_path)), api_name=api_name)
    _check_distribution(label, report, source)
    assert _png_size(mfcc) == (900, 320)  # the figure, drawn in a worker process and sent as a file
    assert len(report["audio"]["windows"]) == 1
    assert timeline["visible"] is False and timeline["value"] is None


def test_long_recording_shows_a_timeline(client, source, clip_path, tmp_path):
    """Four of the actor's sentences (happy, sad, angry, fearful) cut to 8 s: several windows."""
    paths = sorted(clip_path.parent.glob("03-01-0[3-6]-01-01-01-01.flac"))
    clips = [sf.read(p, dtype="float32")[0] for p in paths]
    assert len(clips) == 4
    long_wav = tmp_path / "long.wav"
    sf.write(long_wav, np.concatenate(clips)[: 8 * SAMPLE_RATE], SAMPLE_RATE)
    label, _, timeline, report = client.predict(handle_file(str(long_wav)), api_name="/analyze_audio")
    _check_distribution(label, report, source)
    windows = report["audio"]["windows"]
    assert len(windows) >= 4
    assert windows[0]["start"] == 0.0 and windows[-1]["end"] == pytest.approx(8.0, abs=1e-3)
    for window in windows:
        assert set(window["probs"]) == set(LABELS)
        assert sum(window["probs"].values()) == pytest.approx(1.0, abs=1e-4)
    assert timeline["visible"] is True
    assert _png_size(timeline["value"]) == (900, 260)  # compact: one channel as stacked bands


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("random_bytes", "not a readable audio"),
        ("too_short", "too short"),
        ("empty", "the file is empty"),
        ("no_audio_track", "no audio track"),
    ],
)
def test_bad_input_raises_a_clear_message(client, bad_inputs, kind, reason):
    with pytest.raises(AppError) as info:
        client.predict(handle_file(str(bad_inputs[kind])), api_name="/analyze_audio")
    message = str(info.value)
    assert reason in message
    assert "Traceback" not in message


def test_missing_audio_raises_a_clear_message(client):
    with pytest.raises(AppError, match="No audio yet"):
        client.predict(None, api_name="/analyze_microphone")


def _fail_in_the_worker(analyzer, path: str, folder: str):
    raise RuntimeError("internal detail /secret/path")


def test_unexpected_failure_shows_a_generic_message(client, served_app, clip_path, monkeypatch):
    """A failure of ours in a worker process reaches the visitor as a generic message only."""
    monkeypatch.setattr(served_app[0], "audio_view", _fail_in_the_worker)
    with pytest.raises(AppError) as info:
        client.predict(handle_file(str(clip_path)), api_name="/analyze_audio")
    assert "Something went wrong" in str(info.value)
    assert "secret" not in str(info.value) and "worker" not in str(info.value)


def _batch_rows(path: Path) -> list[dict]:
    """The rows `python -m emotion_core batch` writes for one file."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.jsonl"
        subprocess.run([sys.executable, "-m", "emotion_core", "batch", str(path), "--out", str(out), "--quiet"],
                       cwd=ROOT, check=True, capture_output=True, timeout=300)
        return [json.loads(line) for line in out.read_text().splitlines()]


def _without_path(table: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "path"} for r in table]


AUDIO_ENDPOINTS = {"/analyze_audio", "/analyze_microphone"}
IMAGE_ENDPOINTS = {"/analyze_image", "/analyze_webcam"}
VIDEO_ENDPOINTS = {"/analyze_video", "/analyze_recording"}


def test_api_lists_exactly_the_analysis_endpoints(client):
    """The live streams and the show/hide steps stay out of the API."""
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == AUDIO_ENDPOINTS | IMAGE_ENDPOINTS | VIDEO_ENDPOINTS | {"/set_baseline"}
    assert api["unnamed_endpoints"] == {}
    returns = {
        "/set_baseline": ["Json", "Markdown"],
        **dict.fromkeys(AUDIO_ENDPOINTS, ["Label", "Image", "Image", "Json"]),
        **dict.fromkeys(IMAGE_ENDPOINTS, ["Image", "Label", "Json"]),
        **dict.fromkeys(VIDEO_ENDPOINTS, ["Label", "Label", "Label", "Image", "Image", "Image", "Json", "File"]),
    }
    for name, endpoint in api["named_endpoints"].items():
        assert [r["component"] for r in endpoint["returns"]] == returns[name]


# A photo goes to the full-range detector, which finds both faces; a webcam snapshot to the
# short-range one, made for one face close to the camera.
@pytest.mark.parametrize(("api_name", "image", "n_faces"), [("/analyze_image", "two_faces", 2), ("/analyze_webcam", "jpeg", 1)])
def test_an_image_comes_back_boxed_with_the_main_face_and_every_face(client, source, face_images, api_name, image, n_faces):
    boxed, label, report = client.predict(handle_file(str(face_images.files[image])), api_name=api_name)
    assert report["kind"] == "image" and report["models"] == source
    faces = report["faces"]
    assert len(faces) == n_faces
    assert faces[0]["box"][2] >= faces[-1]["box"][2]
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert confidences == pytest.approx(faces[0]["probs"])
    assert "calm" not in confidences and len(confidences) == 7

    with Image.open(boxed) as picture:
        drawn = np.asarray(picture.convert("RGB"))
    with Image.open(face_images.files[image]) as picture:
        sent = np.asarray(picture.convert("RGB"))
    assert drawn.shape == sent.shape
    assert np.abs(drawn.astype(int) - sent).max() > 100  # boxes were drawn


def test_a_photo_without_a_face_says_so_and_shows_no_emotion(client, face_images):
    """The verdict is in the result's "abstain", never passed off as a label."""
    _, label, report = client.predict(handle_file(str(face_images.files["no_face"])), api_name="/analyze_image")
    assert report["faces"] == [] and report["abstain"] == "no face" and report["note"] == "no face found"
    assert label is None or label.get("label") is None


@pytest.mark.parametrize("api_name", sorted(VIDEO_ENDPOINTS))
def test_a_video_returns_both_channels_fused_and_a_timeline(client, source, videos, api_name):
    fused, voice, face, frame, mfcc, timeline, report, downloads = client.predict(
        handle_file(str(videos["normal"])), api_name=api_name)
    assert report["kind"] == "video" and report["models"] == source
    assert report["fused"]["channels"] == ["voice", "face"]
    assert fused["label"] == report["fused"]["label"] and voice["label"] == report["audio"]["label"]
    assert face["label"] == report["face"]["label"]
    assert {c["label"] for c in fused["confidences"]} == {label for label in LABELS if label != "calm"}
    assert Image.open(frame).size == (640, 480)
    assert _png_size(mfcc) == (900, 320)
    assert timeline["visible"] is True and _png_size(timeline["value"]) == (900, 480)  # fused on top, voice and face below
    # The timeline to take away: the CLI's rows for the same file (timeline.py), as CSV and JSON.
    csv_file, json_file = (Path(f) for f in downloads["value"])
    stem = Path(videos["normal"]).stem
    assert (csv_file.name, json_file.name) == (f"{stem}-timeline.csv", f"{stem}-timeline.json")  # named after the upload
    table = json.loads(json_file.read_text())["rows"]
    cli = _batch_rows(videos["normal"])
    assert _without_path(table) == _without_path(cli)
    assert csv_file.read_text().splitlines()[0] == ",".join(COLUMNS)


def test_a_video_without_sound_says_the_face_read_alone(client, videos):
    fused, voice, face, _, mfcc, _, report, _ = client.predict(handle_file(str(videos["no_audio"])), api_name="/analyze_video")
    assert report["audio"] is None and report["fused"]["channels"] == ["face"]
    assert voice is None or voice.get("label") is None
    assert fused["label"] == face["label"]
    assert mfcc["visible"] is False


@pytest.mark.parametrize(("name", "reason"), [("corrupt", "not a readable video file")])
def test_a_bad_video_raises_a_clear_message(client, videos, name, reason):
    with pytest.raises(AppError) as info:
        client.predict(handle_file(str(videos[name])), api_name="/analyze_video")
    assert reason in str(info.value) and "Traceback" not in str(info.value)


def test_a_video_over_the_duration_cap_is_refused(videos):
    """The cap as a Space sets it, in the environment: the worker processes that decode apply it."""
    from bench.serve import client as new_client
    from bench.serve import launched

    with launched(workers=1, env={"EMOTION_MAX_VIDEO_SECONDS": "2"}) as server:
        with pytest.raises(AppError, match="the limit is 2 s"):
            new_client(server.url).predict(handle_file(str(videos["normal"])), api_name="/analyze_video")


def test_a_video_over_the_size_cap_is_refused(client, videos, limit):
    limit(max_upload_mb=0.01)
    with pytest.raises(AppError, match="MB; the limit is 0.01 MB"):
        client.predict(handle_file(str(videos["normal"])), api_name="/analyze_video")


@pytest.mark.parametrize(("kind", "reason"), [("random_bytes", "cannot read this image"), ("tiny", "too small")])
def test_a_bad_image_raises_a_clear_message(client, face_images, kind, reason):
    with pytest.raises(AppError) as info:
        client.predict(handle_file(str(face_images.files[kind])), api_name="/analyze_image")
    assert reason in str(info.value) and "Traceback" not in str(info.value)


def test_missing_snapshot_raises_a_clear_message(client):
    with pytest.raises(AppError, match="No image yet"):
        client.predict(None, api_name="/analyze_webcam")


def test_a_snapshot_reaches_the_app_undecoded_and_keeps_a_16_bit_face(client, served_app, face_images):
    """gr.Image decoded snapshots itself: a 16-bit one was clipped to white and lost its face."""
    from gradio.data_classes import ImageData

    snapshot = next(b for b in served_app[0].demo.blocks.values() if getattr(b, "elem_id", None) == "snapshot")
    path = str(face_images.files["png_16bit"])
    assert snapshot.preprocess(ImageData(path=path, orig_name="snapshot.png")) == path
    _, label, report = client.predict(handle_file(path), api_name="/analyze_webcam")
    assert len(report["faces"]) == 1 and label["label"] == report["faces"][0]["label"]


def test_every_recording_without_speech_is_answered_no_speech(client, tmp_path):
    """Silence, noise, hum and music at three levels (training/no_speech.py), as uploads: the
    verdict is in the result, and no emotion is shown."""
    from training import no_speech

    for name, path in no_speech.write(tmp_path).items():
        label, _, _, report = client.predict(handle_file(str(path)), api_name="/analyze_audio")
        assert report["audio"]["abstain"] == "no speech", name
        assert report["audio"]["label"] is None and report["audio"]["probs"] is None, name
        assert label is None or label.get("label") is None, name


def _neutral_and_angry() -> tuple[str, str]:
    """Two clips of one RAVDESS actor: neutral (the baseline) and angry (the reading)."""
    folder = DATA / "ravdess" / "Actor_01"
    return str(folder / "03-01-01-01-01-01-01.flac"), str(folder / "03-01-05-02-01-01-01.flac")


def test_a_personal_baseline_set_through_the_api_changes_the_reading(client):
    neutral, angry = _neutral_and_angry()
    baseline, status = client.predict(handle_file(neutral), api_name="/set_baseline")
    assert baseline["voice"] and baseline["voice_windows"] == 1 and "baseline in use" in status
    plain = client.predict(handle_file(angry), api_name="/analyze_audio")[3]
    relative = client.predict(handle_file(angry), baseline, api_name="/analyze_audio")[3]
    assert "baseline" not in plain and relative["baseline"] == {"voice_windows": 1, "face_frames": 0}
    assert relative["audio"]["probs"] != plain["audio"]["probs"]


def test_a_malformed_baseline_is_refused_with_a_message(client, clip_path):
    with pytest.raises(AppError, match="personal baseline is not usable"):
        client.predict(handle_file(str(clip_path)), {"voice": {"angry": "loud"}}, api_name="/analyze_audio")


def test_an_uncertain_reading_says_so_in_its_heading_and_a_clear_one_does_not():
    import app

    report = {"kind": "video", "fused": {"abstain": "uncertain"}, "audio": {"abstain": None},
              "face": {"abstain": "uncertain"}}
    fused, voice, face = (label.constructor_args for label in app.mark_uncertain(report))
    assert "uncertain" in fused["label"] and fused["elem_classes"] == ["uncertain", app.TOP_CLASS]
    assert voice == {"label": app.VOICE_TITLE, "elem_classes": [app.TOP_CLASS]}  # still its top few only
    assert "uncertain" in face["label"]
    assert all("value" not in args for args in (fused, voice, face))  # the distributions are left as they are
    photo = {"kind": "image", "faces": [{"abstain": "uncertain"}], "abstain": "uncertain"}
    assert "uncertain" in app.mark_uncertain(photo)[2].constructor_args["label"]


def test_every_face_of_a_photo_gets_its_reading_in_the_table(model_set, face_images):
    import app
    from emotion_core import Analyzer
    from emotion_core.report import result_json

    result = Analyzer(model_set).analyze_image(face_images.files["two_faces"])
    assert len(result.faces) == 2
    table = app.faces_table(result_json(result)).constructor_args
    assert table["visible"] is True and [row[0] for row in table["value"]] == [1, 2]
    for row, face in zip(table["value"], result.faces):
        assert row[1] == face.label and row[2] == round(face.probs[face.label], 2)
    single = Analyzer(model_set).analyze_image(face_images.files["jpeg"])
    assert app.faces_table(result_json(single)).constructor_args["visible"] is False
    assert app.faces_table({"kind": "audio"}).constructor_args["visible"] is False
