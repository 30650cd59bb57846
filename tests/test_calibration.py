"""Calibrated probabilities and the "uncertain" verdict: temperature scaling, the manifest fields
that ship it, how serving applies it, and the `abstain` every reading carries."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from emotion_core.analyzer import Analyzer
from emotion_core.calibration import apply_temperature, fit_temperature
from emotion_core.face.face import FaceModel
from emotion_core.labels import LABELS
from emotion_core.model_set import MANIFEST, Manifest, ModelSet, ModelSetError, load_model_set
from emotion_core.report import result_json
from emotion_core.results import (
    AudioResult,
    FaceResult,
    FrameFaces,
    FusedResult,
    ImageResult,
    VideoResult,
    WindowResult,
    distribution,
)
from training.confidence import answered, ece, lowest_threshold

FACE_LABELS = tuple(label for label in LABELS if label != "calm")
ADDED = ("temperature", "uncertain_below")


def _entropy(p: np.ndarray) -> float:
    return float(-(p * np.log(p)).sum())


def _probs(labels: tuple[str, ...], top: float) -> dict[str, float]:
    """A distribution whose first label has probability `top`, the rest sharing what is left."""
    rest = (1.0 - top) / (len(labels) - 1)
    return {label: top if i == 0 else rest for i, label in enumerate(labels)}


def _with(model_set: ModelSet, **entries) -> ModelSet:
    """`model_set` with some manifest entries changed (task -> fields to replace)."""
    models = {task: replace(model_set.manifest.models[task], **changes) for task, changes in entries.items()}
    manifest = replace(model_set.manifest, models={**model_set.manifest.models, **models})
    return replace(model_set, manifest=manifest)


# Temperature scaling.


def test_a_temperature_above_1_flattens_below_1_sharpens_and_never_moves_the_top_label():
    p = np.array([0.2, 0.15, 0.14, 0.13, 0.12, 0.1, 0.09, 0.07])
    flatter, sharper = apply_temperature(p, 2.0), apply_temperature(p, 0.5)
    assert _entropy(flatter) > _entropy(p) > _entropy(sharper)
    assert flatter.max() < p.max() < sharper.max()
    for q in (flatter, sharper):
        assert q.argmax() == p.argmax() and np.isclose(q.sum(), 1.0)
    np.testing.assert_array_equal(apply_temperature(p, 1.0), p)
    # An int8 model's exact zero stays finite and tiny; rows are scaled one by one.
    rows = apply_temperature(np.array([[0.5, 0.5, 0.0], [0.9, 0.1, 0.0]]), 2.0)
    assert np.all(np.isfinite(rows)) and np.allclose(rows.sum(axis=1), 1.0) and rows[:, 2].max() < 1e-2


def test_fit_temperature_recovers_the_overconfidence_it_was_given():
    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 1.5, (4000, 7))
    true = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(7, p=p) for p in true])
    overconfident = apply_temperature(true, 0.5)  # as sharp as logits x 2
    assert fit_temperature(overconfident, truth) == pytest.approx(2.0, rel=0.1)
    assert ece(apply_temperature(overconfident, 2.0), truth) < ece(overconfident, truth)


def test_the_threshold_rule_answers_only_readings_precise_overall_and_more_likely_right_than_wrong():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.2, 0.9, 4000)
    calibrated = rng.random(4000) < conf  # right as often as it says
    t = lowest_threshold(conf, calibrated, target=0.75)
    assert answered(conf, calibrated, t)["precision"] == pytest.approx(0.75, abs=0.01)  # the overall part binds
    assert 0.55 < t < 0.65
    # Right 90 % of the time above 0.3 and 20 % below: 75 % overall needs no threshold, yet the
    # flat readings are more likely wrong than right, so the threshold sits where that changes.
    mostly_right = np.where(conf > 0.3, rng.random(4000) < 0.9, rng.random(4000) < 0.2)
    assert answered(conf, mostly_right, None)["precision"] > 0.75
    assert lowest_threshold(conf, mostly_right, target=0.75) == pytest.approx(0.3, abs=0.02)
    assert lowest_threshold(conf, np.ones(4000, bool)) is None  # all right: never uncertain
    assert lowest_threshold(conf, np.zeros(4000, bool)) == 1.0  # never right: always uncertain


# The manifest fields.


@pytest.fixture
def folder_copy(tmp_path: Path, model_set: ModelSet) -> Path:
    return Path(shutil.copytree(model_set.folder, tmp_path / "models"))


def test_a_manifest_without_the_calibration_fields_reads_as_uncalibrated_and_writes_back_unchanged(folder_copy: Path):
    data = json.loads((folder_copy / MANIFEST).read_text())
    for entry in data["models"].values():
        for key in ADDED:
            entry.pop(key, None)
    (folder_copy / MANIFEST).write_text(json.dumps(data, indent=2) + "\n")
    before = (folder_copy / MANIFEST).read_bytes()
    model_set = load_model_set(folder_copy)
    assert model_set.speech.temperature == model_set.face.temperature == 1.0
    assert model_set.speech.uncertain_below is model_set.face.uncertain_below is None
    assert model_set.manifest.fusion is None or model_set.manifest.fusion.uncertain_below is None
    Manifest.read(folder_copy).write(folder_copy)
    assert (folder_copy / MANIFEST).read_bytes() == before


def test_temperatures_and_thresholds_round_trip_through_the_manifest(folder_copy: Path):
    model_set = load_model_set(folder_copy)
    model_set.manifest.with_entry(replace(model_set.speech, temperature=1.25, uncertain_below=0.5)).with_entry(
        replace(model_set.face, temperature=0.75, uncertain_below=None)).write(folder_copy)
    reloaded = load_model_set(folder_copy)
    assert (reloaded.speech.temperature, reloaded.speech.uncertain_below) == (1.25, 0.5)
    assert (reloaded.face.temperature, reloaded.face.uncertain_below) == (0.75, None)
    written = json.loads((folder_copy / MANIFEST).read_text())["models"]
    assert written["speech"]["uncertain_below"] == 0.5 and "uncertain_below" not in written["face"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("temperature", "hot", 'models.face.temperature is not a number: "hot"'),
    ("uncertain_below", [0.5], "models.face.uncertain_below is not a number"),
])
def test_a_calibration_field_of_the_wrong_type_is_refused(folder_copy: Path, key: str, value, message: str):
    data = json.loads((folder_copy / MANIFEST).read_text())
    data["models"]["face"][key] = value
    (folder_copy / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(ModelSetError, match=message):
        load_model_set(folder_copy)


# Serving applies them.


def test_the_face_model_serves_its_calibrated_distribution_with_the_same_top_label(model_set: ModelSet, fer_sample):
    crop = cv2.imread(str(fer_sample[0][0]), cv2.IMREAD_GRAYSCALE)
    hot = FaceModel(_with(model_set, face={"temperature": 3.0, "uncertain_below": 0.99}))
    raw = hot.probs(crop)
    result = hot.result((0, 0, 48, 48), 1.0, crop)
    assert result.probs == distribution(FACE_LABELS, apply_temperature(raw, 3.0))
    assert result.label == FACE_LABELS[int(raw.argmax())]
    assert max(result.probs.values()) < raw.max() / raw.sum()
    assert result.abstain == "uncertain"


def test_the_speech_model_serves_its_calibrated_distribution(model_set: ModelSet, clip: np.ndarray):
    from emotion_core.voice.speech import SpeechModel

    model = SpeechModel(_with(model_set, speech={"temperature": 0.5}))
    window = np.pad(clip, (0, model.spec.window_samples))[: model.spec.window_samples]
    raw = model.run(model.model_inputs(window))["probs"]
    np.testing.assert_allclose(model.window_probs(window), apply_temperature(raw, 0.5))
    assert model.window_probs(window).argmax() == raw.argmax()


# The verdict.


def test_a_recording_is_uncertain_under_its_threshold_and_keeps_its_distribution():
    probs = _probs(LABELS, 0.4)
    for threshold, verdict in ((0.5, "uncertain"), (0.3, None), (None, None)):
        result = AudioResult(probs=probs, windows=[WindowResult(0.0, 3.0, probs)], uncertain_below=threshold)
        line = result_json(result)["audio"]
        assert result.abstain == line["abstain"] == verdict
        assert line["probs"] == probs and line["label"] == "neutral"  # the top label, whatever the verdict
        assert list(line) == ["label", "probs", "abstain", "windows"]
    silent = AudioResult(probs=None, windows=[WindowResult(0.0, 3.0, None, speech=False)], uncertain_below=0.5)
    assert silent.abstain == "no speech" and silent.label is None


def test_each_face_carries_its_own_verdict_and_the_image_says_only_whether_a_face_was_found():
    faces = [FaceResult((0, 0, 90, 90), 0.9, _probs(FACE_LABELS, 0.8), 0.45),
             FaceResult((100, 0, 50, 50), 0.8, _probs(FACE_LABELS, 0.3), 0.45)]
    line = result_json(ImageResult(faces, 200, 100))
    assert line["abstain"] is None and [f["abstain"] for f in line["faces"]] == [None, "uncertain"]
    assert list(line["faces"][1]) == ["box", "score", "label", "probs", "abstain"]
    assert line["faces"][1]["label"] == "neutral"
    assert result_json(ImageResult([], 200, 100))["abstain"] == "no face"


def test_a_video_says_uncertain_per_channel_and_for_the_fused_reading(model_set: ModelSet):
    analyzer = Analyzer(_with(model_set, speech={"uncertain_below": 0.5}, face={"uncertain_below": 0.5},
                              fusion={"uncertain_below": 0.99}))
    voice = _probs(LABELS, 0.3)
    audio = AudioResult(probs=voice, windows=[WindowResult(0.0, 3.0, voice)], uncertain_below=0.5)
    frames = [FrameFaces(t, [FaceResult((0, 0, 50, 50), 0.9, _probs(FACE_LABELS, 0.9), 0.5)]) for t in (0.0, 1.0)]
    both = analyzer._fuse(audio, frames, 3.0)
    face_only = analyzer._fuse(None, frames, 3.0)
    assert both.channels == ("voice", "face") and both.abstain == "uncertain"  # the fusion's 0.99
    assert face_only.channels == ("face",) and face_only.abstain is None  # the face's own 0.5
    line = result_json(VideoResult(3.0, audio, frames, both, [], face_uncertain_below=0.5))
    assert line["audio"]["abstain"] == "uncertain" and line["face"]["abstain"] is None
    assert list(line["face"]) == ["label", "probs", "abstain"]
    assert list(line["fused"]) == ["label", "probs", "abstain", "channels", "windows"]
    assert line["fused"]["abstain"] == "uncertain" and line["fused"]["label"] == "neutral"
    nothing = result_json(VideoResult(3.0, None, [FrameFaces(0.0, [])], FusedResult(None, (), []), []))
    assert nothing["face"]["abstain"] == "no face" and nothing["fused"]["abstain"] == "no reading"


def test_the_shipped_set_is_calibrated(model_set: ModelSet):
    """What training/calibrate_confidence.py wrote: a temperature and a threshold for each channel
    (speech keeps T = 1: the fitted one made the unseen-corpus check worse)."""
    for entry in (model_set.speech, model_set.face):
        assert 0.2 < entry.temperature < 5.0
        assert entry.uncertain_below is not None and 0.0 < entry.uncertain_below < 1.0


def test_the_readable_line_says_uncertain_with_the_top_label_it_holds_back():
    from emotion_core.describe import one_line, paragraphs

    probs = _probs(LABELS, 0.4)
    line = result_json(AudioResult(probs=probs, windows=[WindowResult(0.0, 3.0, probs)], uncertain_below=0.5), "a.wav")
    assert one_line(line) == "a.wav: Voice: uncertain: no emotion stands out enough to name (top: neutral, 40%)"
    assert paragraphs(line) == "**Voice:** uncertain: no emotion stands out enough to name (top: neutral, 40%)."


def test_an_uncertain_face_is_drawn_with_its_top_label_marked():
    from space.overlay import annotate

    rgb = np.zeros((120, 160, 3), np.uint8)
    faces = [FaceResult((10, 40, 60, 60), 0.9, _probs(FACE_LABELS, 0.3), 0.45)]
    drawn = annotate(rgb, faces)
    assert drawn.shape == rgb.shape and drawn.any() and not rgb.any()
