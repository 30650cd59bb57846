"""Write a model's entry into a model folder's manifest.json, with fresh sha256s of every file."""

from __future__ import annotations

import json
from pathlib import Path

from emotion_core.model_set import MANIFEST, sha256_of


def update_manifest(folder: Path, task: str, filename: str, info: dict, extra_files: tuple[str, ...] = ()) -> dict:
    """Replace `task`'s entry and re-hash every listed file, keeping the other tasks' entries."""
    path = folder / MANIFEST
    manifest = json.loads(path.read_text()) if path.exists() else {"format": 1, "files": {}, "models": {}}
    manifest["models"][task] = {"file": filename, **info}
    names = set(manifest["files"]) | {filename, *extra_files}
    manifest["files"] = {name: sha256_of(folder / name) for name in sorted(names)}
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
