"""Video files through the core and the CLI: real faces and real speech muxed into every shape a
user's video can take (tests/videos.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emotion_core import Analyzer
from emotion_core.fusion import FUSED_LABELS, fuse, to_fused
from emotion_core.labels import LABELS
from emotion_core.decode.video import VideoError, read_video
from videos import FACE_BOX, HEIGHT, SECONDS, WIDTH

FACE_LABELS = [label for label in LABELS if label != "calm"]


@pytest.fixture(scope="module")
def analyzer(model_set) -> Analyzer:
    return Analyzer(model_set).load()


@pytest.fixture(scope="module")
def results(analyzer, videos) -> dict:
    """Each readable test video's result."""
    return {name: analyzer.analyze_video(path) for name, path in videos.items() if name != "corrupt"}


def _distribution(probs: dict, labels) -> None:
    assert list(probs) == list(labels)
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)


def test_a_normal_clip_reads_both_channels_on_one_timeline(results):
    result = results["normal"]
    assert result.duration == pytest.approx(SECONDS, abs=0.1)
    assert result.notes == []
    # 5 frames a second, each with the one face inside the photo where it was pasted.
    assert [f.t for f in result.frames] == pytest.approx(np.arange(0, SECONDS, 0.2), abs=1e-3)
    px, py, pw, ph = FACE_BOX
    for frame in result.frames:
        (face,) = frame.faces
        x, y, w, h = face.box
        assert px <= x and x + w <= px + pw and py <= y and y + h <= py + ph
    assert all(w.speech for w in result.audio.windows)
    assert result.fused.channels == ("voice", "face")
    _distribution(result.fused.probs, FUSED_LABELS)
    windows = result.fused.windows
    assert [(w.start, w.end) for w in windows] == [(a.start, a.end) for a in result.audio.windows]
    assert all(w.channels == ("voice", "face") for w in windows)
    assert result.keyframe.rgb.shape == (HEIGHT, WIDTH, 3) and result.keyframe.faces


def test_when_voice_and_face_agree_the_fused_label_is_theirs(results, analyzer):
    """The log-linear pool with non-negative weights keeps a label both channels rank first. The
    video's own face reading, with its top label swapped for the voice's, is a face that agrees."""
    result = results["normal"]
    voice = dict(zip(FUSED_LABELS, to_fused(result.audio.probs).tolist()))
    top = max(voice, key=voice.get)
    face = result.face_probs
    own = max(face, key=face.get)
    agreeing = {**face, top: face[own], own: face[top]}
    probs, channels = fuse(result.audio.probs, agreeing, analyzer.fusion_weights)
    assert channels == ("voice", "face")
    assert max(probs, key=probs.get) == top


def test_no_audio_track_reads_the_face_alone_and_says_so(results):
    result = results["no_audio"]
    assert result.audio is None
    assert result.fused.channels == ("face",) and all(w.channels == ("face",) for w in result.fused.windows)
    assert result.fused.windows[-1].end == pytest.approx(result.duration, abs=0.1)
    assert "no audio track: the reading is the face alone" in result.notes
    assert result.to_dict()["audio"] is None


def test_silent_audio_is_no_speech_and_drops_out_of_the_fusion(results):
    result = results["silent_audio"]
    assert result.audio.probs is None and result.audio.abstain == "no speech"
    assert not any(w.speech for w in result.audio.windows)
    assert result.fused.channels == ("face",)
    assert result.fused.probs == pytest.approx(dict(zip(FUSED_LABELS, [result.face_probs[k] for k in FUSED_LABELS])))
    assert "no speech in the audio: the reading is the face alone" in result.notes


def test_no_face_reads_the_voice_alone_and_says_so(results):
    result = results["no_face"]
    assert all(f.faces == [] for f in result.frames)
    assert result.face_probs is None
    assert result.fused.channels == ("voice",)
    # calm folds into neutral: the fused distribution is the voice's over the 7 shared labels.
    voice = result.audio.probs
    expected = {**{k: voice[k] for k in FUSED_LABELS}, "neutral": voice["neutral"] + voice["calm"]}
    assert result.fused.probs == pytest.approx(expected)
    assert "no face in any sampled frame: the reading is the voice alone" in result.notes


def test_a_face_that_leaves_is_in_the_early_windows_only(results):
    result = results["face_leaves"]
    seen = [bool(f.faces) for f in result.frames]
    assert all(seen[: len(seen) // 2 - 1]) and not any(seen[len(seen) // 2 + 1 :])
    assert f"a face was found in {sum(seen)} of {len(seen)} sampled frames" in result.notes
    assert result.fused.windows[0].channels == ("voice", "face")
    assert result.fused.windows[-1].channels == ("voice",)


def test_variable_frame_rate_frames_keep_their_own_times(results):
    result = results["vfr"]
    times = [f.t for f in result.frames]
    # The bunched first 0.67 s gives frames at 0, 0.2, 0.4, 0.6; the gap has none; then every frame.
    assert times[:4] == pytest.approx([0.0, 0.2, 0.4, 0.6], abs=0.04)
    assert not any(0.7 < t < 1.6 for t in times)
    assert times[4] == pytest.approx(1.67, abs=0.01)
    assert "variable frame rate: frames were sampled by their timestamps" in result.notes


def test_a_rotated_phone_clip_is_turned_upright(results, videos):
    shapes = []
    tracks = read_video(videos["rotated"], lambda t, rgb: shapes.append(rgb.shape))
    assert tracks.rotation == 90
    assert set(shapes) == {(HEIGHT, WIDTH, 3)}
    assert all(f.faces for f in results["rotated"].frames)


@pytest.mark.parametrize("name", ["corrupt", "missing", "empty", "not_video"])
def test_unreadable_videos_are_refused_with_a_reason(analyzer, videos, tmp_path, clip_path, name):
    path = {
        "corrupt": videos["corrupt"],
        "missing": tmp_path / "missing.mp4",
        "empty": tmp_path / "empty.mp4",
        "not_video": clip_path,
    }[name]
    if name == "empty":
        path.write_bytes(b"")
    with pytest.raises(VideoError) as info:
        analyzer.analyze_video(path)
    assert str(info.value).startswith(
        {"corrupt": "not a readable video", "missing": "no such file", "empty": "the file is empty",
         "not_video": "the file has no video stream"}[name]
    )


def test_a_video_over_the_cap_is_refused_before_it_is_decoded(analyzer, videos):
    with pytest.raises(VideoError, match="the limit is 3 s"):
        analyzer.analyze_video(videos["normal"], max_seconds=3.0)


def test_progress_goes_forward_through_each_stage(analyzer, videos):
    seen = []
    analyzer.analyze_video(videos["normal"], progress=lambda fraction, stage: seen.append((fraction, stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] < 1.0
    assert {"Decoding the video and reading faces", "Reading the voice", "Fusing voice and face"} <= {s for _, s in seen}


def test_cli_prints_the_video_contract(videos):
    paths = [videos["normal"], videos["no_audio"], videos["corrupt"]]
    run = subprocess.run(
        [sys.executable, "-m", "emotion_core", "predict", "--json", *map(str, paths)],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == 1  # the corrupt file
    normal, silent, corrupt = [json.loads(line) for line in run.stdout.splitlines()]
    assert set(normal) == {"path", "kind", "audio", "face", "faces_timeline", "fused", "notes"}
    assert normal["kind"] == "video" and normal["path"] == str(paths[0])
    assert {"label", "probs", "windows"} <= set(normal["audio"])
    _distribution(normal["audio"]["probs"], LABELS)
    frame = normal["faces_timeline"][0]
    assert set(frame) == {"t", "faces"} and set(frame["faces"][0]) == {"box", "score", "label", "probs", "abstain"}
    _distribution(frame["faces"][0]["probs"], FACE_LABELS)
    fused = normal["fused"]
    assert {"label", "probs", "abstain", "channels", "windows"} == set(fused)
    _distribution(fused["probs"], FUSED_LABELS)
    assert fused["label"] == max(fused["probs"], key=fused["probs"].get)
    assert set(fused["windows"][0]) == {"start", "end", "probs", "channels"}
    assert fused["windows"][0]["channels"] == ["voice", "face"]
    assert silent["audio"] is None and silent["fused"]["channels"] == ["face"] and silent["notes"]
    assert set(corrupt) == {"path", "error"} and corrupt["error"].startswith("not a readable video file")


def test_the_duration_limit_comes_from_the_limits(analyzer, videos, limit):
    limit(max_video_seconds=3.0)
    with pytest.raises(VideoError, match=r"^the video is 6 s long; the limit is 3 s$"):
        analyzer.analyze_video(videos["normal"])


def test_frames_over_the_pixel_limit_are_refused_before_any_is_decoded(videos, limit):
    limit(max_video_pixels=640 * 480 - 1)
    decoded = []
    with pytest.raises(VideoError, match=r"^the video's frames are too large \(640x480\); the limit is 0.307 MP$"):
        read_video(videos["normal"], lambda t, rgb: decoded.append(t))
    assert decoded == []


def test_a_reason_names_no_exception_class(analyzer, videos):
    with pytest.raises(VideoError) as info:
        analyzer.analyze_video(videos["corrupt"])
    assert str(info.value) == "not a readable video file"
