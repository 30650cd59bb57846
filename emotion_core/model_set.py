"""A verified folder of model files and its manifest: the only thing pipelines load models from.

The embedded defaults live in emotion_core/defaults; hub/ may supply another folder of the same
shape. Every file the manifest lists is checked against its sha256 before anything uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent / "defaults"
MANIFEST = "manifest.json"


class ModelSetError(RuntimeError):
    """A model folder is missing a file, has a corrupted one, or has no usable manifest."""


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelSet:
    folder: Path
    manifest: dict
    source: str  # "embedded", or where hub/ fetched it from (repo@revision)

    def path(self, name: str) -> Path:
        return self.folder / name

    def model_info(self, task: str) -> dict:
        """The manifest entry of one model ("speech", later "face")."""
        try:
            return self.manifest["models"][task]
        except KeyError:
            raise ModelSetError(f"the model set from {self.source} has no {task!r} model") from None


def load_model_set(folder: str | os.PathLike = DEFAULT_DIR, source: str = "embedded") -> ModelSet:
    """Read a folder's manifest and verify every listed file; raise ModelSetError on any mismatch."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelSetError(f"no usable {MANIFEST} in {folder}: {exc}") from exc
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise ModelSetError(f"{name} is missing from {folder}")
        actual = sha256_of(path)
        if actual != expected:
            raise ModelSetError(f"{name} in {folder} fails its checksum ({actual[:12]} != {expected[:12]})")
    return ModelSet(folder=folder, manifest=manifest, source=source)
