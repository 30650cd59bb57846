"""The embedded model set: verified by checksum, small, full-integer, consistent with the features."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from emotion_core.audio import SAMPLE_RATE
from emotion_core.features import FeatureSpec, stats_size
from emotion_core.labels import LABELS
from emotion_core.model_set import MANIFEST, ModelSet, ModelSetError, load_model_set, sha256_of
from emotion_core.runtime import TFLiteModel

MAX_MODEL_BYTES = 1 << 20  # the "1 MB" target, read as 1 MiB


@pytest.fixture
def folder_copy(tmp_path: Path, model_set: ModelSet) -> Path:
    return Path(shutil.copytree(model_set.folder, tmp_path / "models"))


def test_embedded_set_verifies_and_lists_every_file_it_ships(model_set: ModelSet):
    assert model_set.source == "embedded"
    shipped = {p.name for p in model_set.folder.iterdir() if p.is_file()}
    assert shipped == {MANIFEST, *model_set.manifest["files"]}


def test_each_file_hashes_to_its_manifest_entry(model_set: ModelSet):
    for name, expected in model_set.manifest["files"].items():
        assert hashlib.sha256(model_set.path(name).read_bytes()).hexdigest() == expected
        assert sha256_of(model_set.path(name)) == expected


def test_speech_model_is_at_most_1_mb(model_set: ModelSet, speech_info: dict):
    assert model_set.path(speech_info["file"]).stat().st_size <= MAX_MODEL_BYTES


def test_manifest_lists_the_canonical_labels_in_order(speech_info: dict):
    assert tuple(speech_info["labels"]) == LABELS
    assert set(speech_info["emits"]) <= set(LABELS)


def test_manifest_tensors_match_the_feature_spec(speech_info: dict):
    model_input = speech_info["input"]
    spec = FeatureSpec(**model_input["features"])
    assert model_input["sample_rate"] == SAMPLE_RATE
    assert model_input["tensors"] == {
        "mfcc_image": [spec.n_mfcc, spec.n_frames, 3],
        "stats": [stats_size(spec)],
    }
    assert len(model_input["stats_mean"]) == len(model_input["stats_std"]) == stats_size(spec)
    assert min(model_input["stats_std"]) > 0


def test_tflite_is_full_integer_with_the_manifest_shapes(speech_info: dict, speech_tflite: TFLiteModel):
    tensors = speech_info["input"]["tensors"]
    inputs = speech_tflite.input_details
    assert {name: list(d["shape"]) for name, d in inputs.items()} == {
        name: [1, *shape] for name, shape in tensors.items()
    }
    details = [*inputs.values(), *speech_tflite.output_details.values()]
    assert all(d["dtype"] == np.int8 for d in details)


def test_outputs_are_the_members_and_their_average(speech_info: dict, speech_tflite: TFLiteModel):
    n_members = len(speech_info["member_held_out_ravdess_actors"])
    rng = np.random.default_rng(0)
    inputs = {name: rng.standard_normal(shape) for name, shape in speech_info["input"]["tensors"].items()}
    out = speech_tflite(**inputs)
    assert out["probs"].shape == (len(LABELS),)
    assert out["members"].shape == (n_members, len(LABELS))
    # Both outputs are int8 with a 1/256 step: allow a step of rounding on each side.
    np.testing.assert_allclose(out["probs"], out["members"].mean(axis=0), atol=2 / 256)


def test_members_hold_out_disjoint_ravdess_actors(speech_info: dict):
    held_out = speech_info["member_held_out_ravdess_actors"]
    assert sorted(held_out) == [str(i) for i in range(len(held_out))]
    actors = [a for group in held_out.values() for a in group]
    assert all(group for group in held_out.values())
    assert len(actors) == len(set(actors)) and set(actors) <= set(range(1, 21))


def test_a_flipped_byte_fails_the_checksum(folder_copy: Path, speech_info: dict):
    path = folder_copy / speech_info["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelSetError, match="fails its checksum"):
        load_model_set(folder_copy)


def test_a_missing_file_is_reported(folder_copy: Path, speech_info: dict):
    (folder_copy / speech_info["file"]).unlink()
    with pytest.raises(ModelSetError, match="is missing"):
        load_model_set(folder_copy)


def test_a_missing_manifest_is_reported(folder_copy: Path):
    (folder_copy / MANIFEST).unlink()
    with pytest.raises(ModelSetError, match=f"no usable {MANIFEST}"):
        load_model_set(folder_copy)


MAX_FACE_MODEL_BYTES = 3 * 1024 * 1024  # the "3 MB"


def test_face_detectors_ship_with_their_licence_and_provenance(model_set: ModelSet):
    detector = model_set.model_info("face_detector")
    files = model_set.manifest["files"]
    assert {detector["short_range"], detector["full_range"], "blazeface_LICENSE", "blazeface_README.md"} <= set(files)
    assert "Apache License" in model_set.path("blazeface_LICENSE").read_text()
    assert files[detector["short_range"]] == "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
    assert files[detector["full_range"]] == "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"


def test_face_model_is_small_full_integer_and_emits_no_calm(model_set: ModelSet):
    info = model_set.model_info("face")
    assert model_set.path(info["file"]).stat().st_size <= MAX_FACE_MODEL_BYTES
    assert info["labels"] == info["emits"] == [label for label in LABELS if label != "calm"]
    model = TFLiteModel(model_set.path(info["file"]))
    assert {name: list(d["shape"]) for name, d in model.input_details.items()} == {
        name: [1, *shape] for name, shape in info["input"]["tensors"].items()
    }
    assert all(d["dtype"] == np.int8 for d in [*model.input_details.values(), *model.output_details.values()])
