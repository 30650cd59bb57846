"""Write a model's entry into a model folder's manifest.json, with fresh sha256s of every file.

Every exporter writes through here, so the manifest is only ever written from typed entries.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from emotion_core.model_set import FORMAT, MANIFEST, FusionEntry, Manifest, ModelEntry


def update_manifest(folder: Path, entry: ModelEntry, extra_files: tuple[str, ...] = ()) -> Manifest:
    """Replace the entry of `entry`'s task, keeping the other tasks' entries; list `extra_files`
    too (licences, notes), and re-hash every listed file."""
    manifest = Manifest.read(folder) if (folder / MANIFEST).exists() else Manifest(FORMAT, {}, {})
    files = {**manifest.files, **dict.fromkeys(extra_files, "")}  # hashed by write
    return replace(manifest, files=files, models={**manifest.models, entry.task: entry}).write(folder)


def set_fusion(folder: Path, fusion: FusionEntry) -> Manifest:
    """Record the voice and face weights the fusion script fitted (an entry without a model file)."""
    return update_manifest(folder, fusion)
