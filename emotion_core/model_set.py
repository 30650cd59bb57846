"""A verified folder of model files and its manifest: the only thing pipelines load models from.

The embedded defaults live in emotion_core/defaults; hub/ may supply another folder of the same
shape. The manifest is read into typed entries, so a field that is missing or of the wrong type
is refused once, here, with its path; and every file an entry names must be listed with its
sha256, which is checked before anything uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from types import NoneType, UnionType
from typing import Callable, ClassVar, TypeVar, get_args, get_origin, get_type_hints

DEFAULT_DIR = Path(__file__).resolve().parent / "defaults"
MANIFEST = "manifest.json"
FORMAT = 1  # the manifest format this version reads and writes
# A listed file is a plain name in the folder: no path (it could point outside) and no glob
# characters (hub/fetch passes the names to the download as patterns).
FILE_NAME = re.compile(r"\w[\w.-]*")

JSON_NAMES = {
    dict: "an object",
    tuple: "an array",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    NoneType: "null",
}
OMIT_AT_DEFAULT = "omit_at_default"  # field metadata: see added_field

R = TypeVar("R")


class ModelSetError(RuntimeError):
    """A model folder is missing a file, has a corrupted one, or has no usable manifest."""


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _parse(value: object, hint: object, where: str) -> object:
    """`value` from JSON checked against `hint`; JSON arrays become tuples. Numbers stay as JSON
    wrote them (an int where a float is expected is kept), so writing them back changes nothing."""
    origin, args = get_origin(hint), get_args(hint)
    if is_dataclass(hint):
        return hint.from_dict(value, where)
    if origin is UnionType and value is None and NoneType in args:
        return None
    if origin is UnionType and len(kinds := [a for a in args if a is not NoneType]) == 1 and value is not None:
        return _parse(value, kinds[0], where)
    if hint is object:
        return value
    if origin is dict and isinstance(value, dict):
        return {k: _parse(v, args[1], _at(where, k)) for k, v in value.items()}
    if origin is tuple and isinstance(value, list):
        kinds = [args[0]] * len(value) if args[-1] is Ellipsis else args
        if len(kinds) == len(value):
            return tuple(_parse(v, kind, f"{where}[{i}]") for i, (v, kind) in enumerate(zip(value, kinds)))
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise ModelSetError(f"{where} is not {_json_name(hint)}: {json.dumps(value)[:40]}")


def _json_name(hint: object) -> str:
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple and args[-1] is not Ellipsis:
        return f"an array of {len(args)}"
    if origin is UnionType:
        return " or ".join(_json_name(arg) for arg in args)
    return JSON_NAMES.get(origin or hint, str(hint))


def _plain(value: object) -> object:
    """The JSON form of a parsed value."""
    if isinstance(value, Record):
        return {
            f.name: _plain(getattr(value, f.name)) for f in fields(value)
            if not (f.metadata.get(OMIT_AT_DEFAULT) and getattr(value, f.name) == f.default)
        }
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _read_fields(cls: type[R], data: object, where: str, special: dict[str, Callable] | None = None) -> R:
    """An instance of the dataclass `cls` from a JSON object; `special` parses the fields it
    names itself, as (value, where) -> field value."""
    if not isinstance(data, dict):
        raise ModelSetError(f"{where or 'the manifest'} is not an object")
    names = [f.name for f in fields(cls)]
    if unknown := [key for key in data if key not in names]:
        raise ModelSetError(f"{where or 'the manifest'} has keys this version does not know: {unknown}")
    hints = get_type_hints(cls)
    values = {}
    for f in fields(cls):
        at = _at(where, f.name)
        if f.name in data:
            parse = (special or {}).get(f.name)
            values[f.name] = parse(data[f.name], at) if parse else _parse(data[f.name], hints[f.name], at)
        elif f.default is MISSING:
            raise ModelSetError(f"{at} is missing")
    return cls(**values)


def added_field(default: object):
    """A field this format gained after manifests were written without it: it reads as `default`
    when absent and is left out of the JSON while it holds `default`, so such a manifest reads and
    writes back byte for byte. (One that spells the default out loses it on writing: same meaning.)"""
    return field(default=default, metadata={OMIT_AT_DEFAULT: True})


class Record:
    """A frozen dataclass read from and written to a JSON object, keys in field order. Unknown
    keys are refused rather than dropped, so writing one back never loses what another version wrote."""

    @classmethod
    def from_dict(cls: type[R], data: object, where: str = "") -> R:
        """Raises ModelSetError naming the first field (by its path `where`.field) that is missing
        or of the wrong type."""
        return _read_fields(cls, data, where)

    def to_dict(self) -> dict:
        return _plain(self)


@dataclass(frozen=True)
class SpeechInput(Record):
    tensors: dict[str, tuple[int, ...]]  # input name -> shape without the batch axis
    features: dict[str, float]  # FeatureSpec(**features): the settings the model was trained with
    stats_mean: tuple[float, ...]  # the utterance statistics are fed as (stats - mean) / std
    stats_std: tuple[float, ...]
    sample_rate: int
    stats_names: tuple[str, ...] = ()  # what each entry of the statistics is (training/voice_frontend.py)


@dataclass(frozen=True)
class BaselineFit(Record):
    """How a personal baseline shifts this model's readings (emotion_core/baseline.py)."""

    weight: float  # the shift is weight x (person's neutral log-probabilities - reference)
    reference: tuple[float, ...]  # mean log-probabilities of neutral input from unseen people, per label
    source: str  # where both were fitted


@dataclass(frozen=True)
class NoisyModel(Record):
    """A second speech model for windows with a steady noise floor (emotion_core/voice/noise.py):
    the same inputs, labels and members, trained on noisy statistics."""

    file: str
    architecture: str
    # A window whose pauses lie less than this many dB below its loudest frame goes to this model
    # (training/fit_noise_router.py); None: never.
    floor_within_db: float | None = None
    # Its readings are turned into softmax(log p / temperature) before anything else, so that they
    # are as calibrated as the clean model's (its own are flatter: it learnt on noisy copies).
    temperature: float = 1.0
    source: str = ""  # where floor_within_db and temperature were fitted


@dataclass(frozen=True)
class SpeechEntry(Record):
    task: ClassVar[str] = "speech"

    file: str
    frontend: str  # the features graph (raw 16 kHz window in, "mfcc", "mfcc_image", "stats" out)
    labels: tuple[str, ...]  # of the model's outputs, in order
    emits: tuple[str, ...]
    architecture: str
    member_held_out_ravdess_actors: dict[str, tuple[int, ...]]  # "members" output index -> actors
    input: SpeechInput
    training_data: str
    metrics: dict[str, object]  # figures and what they were measured on, as training/ reports them
    # Calibration (training/calibrate_confidence.py): serving turns the ensemble's mean p into
    # softmax(log p / temperature), and a reading whose top probability is under uncertain_below is
    # answered "uncertain" (None: never).
    temperature: float = added_field(1.0)
    uncertain_below: float | None = added_field(None)
    baseline: BaselineFit | None = added_field(None)
    noisy: NoisyModel | None = added_field(None)

    @property
    def files(self) -> tuple[str, ...]:
        return (self.file, self.frontend) + ((self.noisy.file,) if self.noisy else ())


@dataclass(frozen=True)
class FaceInput(Record):
    """The face model's input; the views serving averages default to the single plain crop."""

    tensor: str
    tensors: dict[str, tuple[int, ...]]
    crop: str  # how a detector box becomes the input, in words
    mirror_average: bool = False
    smoothing_sigma: float = 0.0
    warps: tuple[tuple[float, float], ...] = ((1.0, 0.0),)  # (zoom, degrees)


@dataclass(frozen=True)
class FaceEntry(Record):
    task: ClassVar[str] = "face"

    file: str
    labels: tuple[str, ...]
    emits: tuple[str, ...]
    architecture: str
    input: FaceInput
    training_data: str
    metrics: dict[str, object]
    temperature: float = added_field(1.0)  # as SpeechEntry's, on the mean over the views
    uncertain_below: float | None = added_field(None)
    baseline: BaselineFit | None = added_field(None)

    @property
    def files(self) -> tuple[str, ...]:
        return (self.file,)


@dataclass(frozen=True)
class DetectorEntry(Record):
    task: ClassVar[str] = "face_detector"

    file: str
    short_range: str  # faces within ~2 m: the webcam
    full_range: str  # smaller, farther faces: uploaded photos
    architecture: str
    training_data: str
    license: str
    provenance: str

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.file, self.short_range, self.full_range)))


@dataclass(frozen=True)
class FusionEntry(Record):
    """The exponents of the log-linear pool of voice and face (emotion_core/fusion.py), fitted by
    training/; weights, not a model file."""

    task: ClassVar[str] = "fusion"

    voice_weight: float
    face_weight: float
    source: str  # where the weights were fitted
    uncertain_below: float | None = added_field(None)  # for a reading of both channels, as SpeechEntry's

    @property
    def files(self) -> tuple[str, ...]:
        return ()


ModelEntry = SpeechEntry | FaceEntry | DetectorEntry | FusionEntry
KINDS: dict[str, type[ModelEntry]] = {
    kind.task: kind for kind in (SpeechEntry, FaceEntry, DetectorEntry, FusionEntry)
}


def _models(value: object, where: str) -> dict[str, ModelEntry]:
    """Each entry read as the kind its key names."""
    entries = _parse(value, dict[str, object], where)
    if unknown := [task for task in entries if task not in KINDS]:
        raise ModelSetError(f"{where} has model kinds this version does not know: {unknown}")
    return {task: KINDS[task].from_dict(entry, _at(where, task)) for task, entry in entries.items()}


@dataclass(frozen=True)
class Manifest(Record):
    format: int
    files: dict[str, str]  # every file of the set -> its sha256
    models: dict[str, ModelEntry]  # task -> entry, the task naming its kind (KINDS)

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> Manifest:
        """The manifest, refused if this version cannot read it or if an entry names a file that
        `files` does not list: that file would load unverified."""
        manifest = _read_fields(cls, data, where, {"models": _models})
        if manifest.format != FORMAT:
            raise ModelSetError(f"format {manifest.format} is not the one this version reads ({FORMAT})")
        if odd := [name for name in manifest.files if not FILE_NAME.fullmatch(name)]:
            raise ModelSetError(f"files lists names that are not plain file names: {odd}")
        for task, entry in manifest.models.items():
            if unlisted := [name for name in entry.files if name not in manifest.files]:
                raise ModelSetError(f"models.{task} names {unlisted}, which files does not list")
        return manifest

    @property
    def fusion(self) -> FusionEntry | None:
        return self.models.get(FusionEntry.task)

    def with_entry(self, entry: ModelEntry) -> Manifest:
        """This manifest with `entry` in place of its task's entry (the others kept)."""
        return replace(self, models={**self.models, entry.task: entry})

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            return cls.from_dict(json.loads((folder / MANIFEST).read_text()))
        except (OSError, ValueError, ModelSetError) as exc:
            raise ModelSetError(f"no usable {MANIFEST} in {folder}: {exc}") from exc

    def write(self, folder: Path) -> Manifest:
        """Write it with fresh sha256s of every listed file and of every file an entry names; return
        what was written. What it writes is parsed first, so nothing is written that reading would refuse."""
        names = sorted({*self.files, *(name for entry in self.models.values() for name in entry.files)})
        data = replace(self, files={name: sha256_of(folder / name) for name in names}).to_dict()
        written = Manifest.from_dict(data)
        (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n")
        return written


E = TypeVar("E", SpeechEntry, FaceEntry, DetectorEntry)


@dataclass(frozen=True)
class ModelSet:
    folder: Path
    manifest: Manifest
    source: str  # "embedded", or where hub/ fetched it from (repo@revision)

    def path(self, name: str) -> Path:
        return self.folder / name

    @property
    def speech(self) -> SpeechEntry:
        return self._entry(SpeechEntry)

    @property
    def face(self) -> FaceEntry:
        return self._entry(FaceEntry)

    @property
    def face_detector(self) -> DetectorEntry:
        return self._entry(DetectorEntry)

    def _entry(self, kind: type[E]) -> E:
        try:
            return self.manifest.models[kind.task]
        except KeyError:
            raise ModelSetError(f"the model set from {self.source} has no {kind.task!r} model") from None


def load_model_set(folder: str | os.PathLike = DEFAULT_DIR, source: str = "embedded") -> ModelSet:
    """Read a folder's manifest and verify every listed file; raise ModelSetError on any mismatch."""
    folder = Path(folder)
    manifest = Manifest.read(folder)
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise ModelSetError(f"{name} is missing from {folder}")
        actual = sha256_of(path)
        if actual != expected:
            raise ModelSetError(f"{name} in {folder} fails its checksum ({actual[:12]} != {expected[:12]})")
    return ModelSet(folder=folder, manifest=manifest, source=source)
