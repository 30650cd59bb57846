"""The embedded model set: verified by checksum, small, full-integer, consistent with the features."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.features import FeatureSpec
from emotion_core.labels import LABELS
from emotion_core.model_set import (
    MANIFEST,
    FusionEntry,
    Manifest,
    ModelSet,
    ModelSetError,
    SpeechEntry,
    load_model_set,
    sha256_of,
)
from emotion_core.runtime import TFLiteModel
from training.manifest import build, record

ROOT = Path(__file__).resolve().parents[1]

# The first speech model's target was 1 MB (1 MiB); the GRU net that replaced it is unrolled over its
# 37 steps for int8 (its weights are about 1.1 MB, the unrolled graph's ops, tensors and their
# quantisation the rest): 5 MiB keeps a download and a Space's memory small.
MAX_MODEL_BYTES = 5 << 20


@pytest.fixture
def folder_copy(tmp_path: Path, model_set: ModelSet) -> Path:
    return Path(shutil.copytree(model_set.folder, tmp_path / "models"))


def test_embedded_set_verifies_and_lists_every_file_it_ships(model_set: ModelSet):
    assert model_set.source == "embedded"
    shipped = {p.name for p in model_set.folder.iterdir() if p.is_file()}
    assert shipped == {MANIFEST, *model_set.manifest.files}


def test_each_file_hashes_to_its_manifest_entry(model_set: ModelSet):
    for name, expected in model_set.manifest.files.items():
        assert hashlib.sha256(model_set.path(name).read_bytes()).hexdigest() == expected
        assert sha256_of(model_set.path(name)) == expected


def test_speech_models_are_at_most_5_mib_each(model_set: ModelSet, speech_info: SpeechEntry):
    assert speech_info.noisy is not None
    for name in (speech_info.file, speech_info.noisy.file):
        assert model_set.path(name).stat().st_size <= MAX_MODEL_BYTES


def test_the_noisy_model_is_the_clean_one_s_twin(model_set: ModelSet, speech_info: SpeechEntry):
    """Same inputs and outputs, so serving can hand it any window the clean model takes."""
    clean, noisy = (TFLiteModel(model_set.path(n)) for n in (speech_info.file, speech_info.noisy.file))
    def shapes(details: dict) -> dict:
        return {name: (tuple(d["shape"]), np.dtype(d["dtype"]).name) for name, d in details.items()}

    assert shapes(clean.input_details) == shapes(noisy.input_details)
    assert shapes(clean.output_details) == shapes(noisy.output_details)


def test_manifest_lists_the_canonical_labels_in_order(speech_info: SpeechEntry):
    assert speech_info.labels == LABELS
    assert set(speech_info.emits) <= set(LABELS)


def test_manifest_tensors_match_the_feature_spec(speech_info: SpeechEntry):
    model_input = speech_info.input
    spec = FeatureSpec(**model_input.features)
    assert model_input.sample_rate == SAMPLE_RATE
    assert model_input.tensors == {
        "mfcc_image": (spec.n_mfcc, spec.n_frames, 3),
        "stats": (len(model_input.stats_names),),
    }
    assert len(model_input.stats_mean) == len(model_input.stats_std) == len(model_input.stats_names)
    assert min(model_input.stats_std) > 0


def test_tflite_is_full_integer_with_the_manifest_shapes(
    speech_info: SpeechEntry, speech_tflite: TFLiteModel
):
    tensors = speech_info.input.tensors
    inputs = speech_tflite.input_details
    assert {name: list(d["shape"]) for name, d in inputs.items()} == {
        name: [1, *shape] for name, shape in tensors.items()
    }
    details = [*inputs.values(), *speech_tflite.output_details.values()]
    assert all(d["dtype"] == np.int8 for d in details)


def test_outputs_are_the_members_and_their_average(speech_info: SpeechEntry, speech_tflite: TFLiteModel):
    n_members = len(speech_info.member_held_out_ravdess_actors)
    rng = np.random.default_rng(0)
    inputs = {name: rng.standard_normal(shape) for name, shape in speech_info.input.tensors.items()}
    out = speech_tflite(**inputs)
    assert out["probs"].shape == (len(LABELS),)
    assert out["members"].shape == (n_members, len(LABELS))
    # Both outputs are int8 with a 1/256 step: allow a step of rounding on each side.
    np.testing.assert_allclose(out["probs"], out["members"].mean(axis=0), atol=2 / 256)


def test_members_hold_out_disjoint_ravdess_actors(speech_info: SpeechEntry):
    held_out = speech_info.member_held_out_ravdess_actors
    assert sorted(held_out) == [str(i) for i in range(len(held_out))]
    actors = [a for group in held_out.values() for a in group]
    assert all(group for group in held_out.values())
    assert len(actors) == len(set(actors)) and set(actors) <= set(range(1, 21))


def test_a_flipped_byte_fails_the_checksum(folder_copy: Path, speech_info: SpeechEntry):
    path = folder_copy / speech_info.file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelSetError, match="fails its checksum"):
        load_model_set(folder_copy)


def test_a_missing_file_is_reported(folder_copy: Path, speech_info: SpeechEntry):
    (folder_copy / speech_info.file).unlink()
    with pytest.raises(ModelSetError, match="is missing"):
        load_model_set(folder_copy)


def test_a_missing_manifest_is_reported(folder_copy: Path):
    (folder_copy / MANIFEST).unlink()
    with pytest.raises(ModelSetError, match=f"no usable {MANIFEST}"):
        load_model_set(folder_copy)


MAX_FACE_MODEL_BYTES = 3 * 1024 * 1024  # the "3 MB"


def test_face_detectors_ship_with_their_licence_and_provenance(model_set: ModelSet):
    detector = model_set.face_detector
    files = model_set.manifest.files
    assert {*detector.files, "blazeface_LICENSE", "blazeface_README.md"} <= set(files)
    assert "Apache License" in model_set.path("blazeface_LICENSE").read_text()
    assert files[detector.short_range] == "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
    assert files[detector.full_range] == "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"


def test_face_model_is_small_full_integer_and_emits_no_calm(model_set: ModelSet):
    info = model_set.face
    assert model_set.path(info.file).stat().st_size <= MAX_FACE_MODEL_BYTES
    assert info.labels == info.emits == tuple(label for label in LABELS if label != "calm")
    model = TFLiteModel(model_set.path(info.file))
    assert {name: list(d["shape"]) for name, d in model.input_details.items()} == {
        name: [1, *shape] for name, shape in info.input.tensors.items()
    }
    assert all(d["dtype"] == np.int8 for d in [*model.input_details.values(), *model.output_details.values()])


# The typed manifest.


def _edited(folder: Path, change: Callable[[dict], object]) -> Path:
    """`folder` with its manifest.json changed as plain JSON, every file left as it is."""
    data = json.loads((folder / MANIFEST).read_text())
    change(data)
    (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n")
    return folder


def test_reading_and_writing_the_manifest_changes_no_byte(folder_copy: Path, model_set: ModelSet):
    original = (folder_copy / MANIFEST).read_bytes()
    assert Manifest.from_dict(json.loads(original)).to_dict() == json.loads(original)
    assert Manifest.read(folder_copy).write(folder_copy) == model_set.manifest
    assert (folder_copy / MANIFEST).read_bytes() == original


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m["models"]["speech"]["input"].pop("stats_std"), "models.speech.input.stats_std is missing"),
    (lambda m: m["models"]["speech"]["labels"].append(3), "models.speech.labels[8] is not a string: 3"),
    (lambda m: m["models"]["face"]["input"]["warps"].append([1.0]),
     "models.face.input.warps[5] is not an array of 2"),
    (lambda m: m["models"]["face"].update(metrics=[]), "models.face.metrics is not an object"),
    (lambda m: m["models"]["face_detector"].update(notes="x"),
     "models.face_detector has keys this version does not know: ['notes']"),
    (lambda m: m["models"].update(gait={}), "models has model kinds this version does not know: ['gait']"),
    (lambda m: m["models"].update(fusion={"voice_weight": 1, "face_weight": "1", "source": "x"}),
     'models.fusion.face_weight is not a number: "1"'),
    (lambda m: m.update(format=2), "format 2 is not the one this version reads (1)"),
])
def test_a_manifest_this_version_cannot_read_is_refused_naming_the_field(folder_copy: Path, change, message):
    with pytest.raises(ModelSetError, match=re.escape(f"no usable {MANIFEST} in {folder_copy}: {message}")):
        load_model_set(_edited(folder_copy, change))


def test_a_manifest_that_lists_no_files_is_refused(folder_copy: Path):
    """Such a manifest once 'verified', and the models it names then loaded unchecked."""
    names = "['speech_int8.tflite', 'speech_frontend.tflite', 'speech_noisy_int8.tflite']"
    with pytest.raises(ModelSetError, match=re.escape(f"models.speech names {names}, which")):
        load_model_set(_edited(folder_copy, lambda m: m["files"].clear()))


def test_a_model_file_left_out_of_the_listing_is_refused(folder_copy: Path, model_set: ModelSet):
    name = model_set.face_detector.full_range
    with pytest.raises(ModelSetError, match=re.escape(f"models.face_detector names ['{name}'], which files")):
        load_model_set(_edited(folder_copy, lambda m: m["files"].pop(name)))


@pytest.mark.parametrize("name", ["../speech_int8.tflite", "/etc/hostname", "*.tflite", ".hidden"])
def test_a_listed_name_that_is_a_path_or_a_pattern_is_refused(folder_copy: Path, name: str):
    with pytest.raises(ModelSetError, match="not plain file names"):
        load_model_set(_edited(folder_copy, lambda m: m["files"].update({name: "0" * 64})))


def test_a_set_without_a_model_says_so_when_asked_for_it(folder_copy: Path):
    model_set = load_model_set(_edited(folder_copy, lambda m: m["models"].pop("face")))
    assert model_set.speech.file
    with pytest.raises(ModelSetError, match="has no 'face' model"):
        model_set.face


def test_the_committed_parts_build_the_shipped_manifest_byte_for_byte(folder_copy: Path):
    """training/results/manifest/ holds what every step recorded; the one writer rebuilds from it."""
    before = (folder_copy / MANIFEST).read_bytes()
    (folder_copy / MANIFEST).unlink()
    build(folder_copy, ROOT / "training/results/manifest")
    assert (folder_copy / MANIFEST).read_bytes() == before


def _parts(tmp_path: Path) -> Path:
    parts = tmp_path / "parts"
    shutil.copytree(ROOT / "training/results/manifest", parts)
    return parts


def test_a_recorded_part_changes_its_fields_and_keeps_the_rest(folder_copy: Path, model_set: ModelSet, tmp_path: Path):
    fusion = FusionEntry(voice_weight=1.3, face_weight=0.7, source="training/results/fusion_metrics.json")
    assert model_set.manifest.fusion != fusion
    record("fusion", {"fusion": fusion.to_dict()}, ("speech", "face"), folder_copy, parts=_parts(tmp_path))
    manifest = load_model_set(folder_copy).manifest
    assert manifest.fusion == fusion
    others = {task: entry for task, entry in manifest.models.items() if task != "fusion"}
    assert others == {task: entry for task, entry in model_set.manifest.models.items() if task != "fusion"}
    assert manifest.files == model_set.manifest.files


def test_a_part_may_set_the_noisy_model_s_threshold_alone(folder_copy: Path, model_set: ModelSet, tmp_path: Path):
    """fit_noise_router records the threshold; the file and architecture stay export_speech's."""
    record("noise_router", {"speech": {"noisy": {"floor_within_db": 12.5, "source": "a test"}}}, ("speech",),
           folder_copy, parts=_parts(tmp_path))
    noisy = load_model_set(folder_copy).speech.noisy
    assert (noisy.floor_within_db, noisy.source) == (12.5, "a test")
    assert (noisy.file, noisy.architecture) == (model_set.speech.noisy.file, model_set.speech.noisy.architecture)


def test_a_new_model_leaves_out_what_was_fitted_on_the_old_one(folder_copy: Path, model_set: ModelSet,
                                                               tmp_path: Path, caplog):
    """Re-exporting the voice model drops its calibration, baseline and the fusion weights (fitted on the
    old file) until their steps run again, whatever order the steps run in."""
    parts = _parts(tmp_path)
    (folder_copy / "speech_v2.tflite").write_bytes(model_set.path(model_set.speech.file).read_bytes() + b"\0")
    entry = replace(model_set.speech, file="speech_v2.tflite", temperature=1.0, uncertain_below=None, baseline=None)
    with caplog.at_level("WARNING"):
        record("speech", {"speech": entry.to_dict()}, ("speech",), folder_copy, parts=parts)
    reloaded = load_model_set(folder_copy)
    assert reloaded.speech == entry and reloaded.manifest.fusion is None
    assert reloaded.manifest.files["speech_v2.tflite"] != model_set.manifest.files[model_set.speech.file]
    for step in ("calibrate_confidence", "evaluate_baseline", "evaluate_fusion"):
        assert f"run python -m training.{step} again" in caplog.text


def test_a_new_face_model_leaves_out_the_parts_fitted_on_the_old_one(folder_copy: Path, model_set: ModelSet,
                                                                   tmp_path: Path, caplog):
    """Found by running the face recipe: the parts that patch the face entry (views, calibration,
    baseline) come after it, and must be left out, not break the build, when the face changed."""
    parts = _parts(tmp_path)
    face_file = folder_copy / model_set.face.file
    face_file.write_bytes(face_file.read_bytes() + b"\0")  # a re-exported face model
    with caplog.at_level("WARNING"):
        build(folder_copy, parts)  # the old face part no longer holds: no face entry at all
    assert "face" not in load_model_set(folder_copy).manifest.models
    entry = replace(model_set.face, temperature=1.0, uncertain_below=None, baseline=None)
    record("face", {"face": entry.to_dict()}, ("face",), folder_copy, parts=parts)
    reloaded = load_model_set(folder_copy)
    assert reloaded.face == entry and reloaded.manifest.fusion is None
    assert reloaded.speech.baseline is None  # the baseline part holds both channels' shifts, fitted together
    assert "run python -m training.calibrate_confidence again" in caplog.text


def test_nothing_is_written_that_reading_would_refuse(folder_copy: Path, tmp_path: Path):
    before = (folder_copy / MANIFEST).read_bytes()
    parts = _parts(tmp_path)
    fusion_part = (parts / "fusion.json").read_bytes()
    with pytest.raises(ModelSetError, match="fusion.face_weight is not a number"):
        record("fusion", {"fusion": {"voice_weight": 1.0, "face_weight": "heavy", "source": "a typo"}},
               ("speech", "face"), folder_copy, parts=parts)
    assert (parts / "fusion.json").read_bytes() == fusion_part  # the part file is kept as it was too
    assert (folder_copy / MANIFEST).read_bytes() == before
