"""The one writer of a model folder's manifest.json.

Each training step records what it made or fitted as a *part* (training/results/manifest/<part>.json:
fields per task, and the sha256 of every model file those fields were fitted on); `build` assembles
the manifest from the parts in a fixed order, so the steps need no order of their own for its sake.
A part fitted on a model file that has since changed (a re-exported model, a stale calibration) is
left out with a warning naming the step to re-run, and the entry keeps its defaults.

    python -m training.build_manifest    # rebuild emotion_core/defaults/manifest.json from the parts
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from emotion_core.model_set import DEFAULT_DIR, FORMAT, KINDS, Manifest, ModelEntry, ModelSetError, sha256_of

from .report import RESULTS

log = logging.getLogger(__name__)

PARTS = RESULTS / "manifest"
# part -> the step that records it; the manifest applies the parts in this order.
STEPS = {
    "speech": "training.export_speech",
    "noise_router": "training.fit_noise_router",
    "face_detector": "training.add_face_detector",
    "face": "training.export_face",
    "face_views": "training.calibrate_views",
    "confidence": "training.calibrate_confidence",
    "baseline": "training.evaluate_baseline",
    "fusion": "training.evaluate_fusion",
}


# Fields a part may set in part: the rest of the object is kept from the earlier parts.
PARTIAL_FIELDS = ("input", "noisy")


def parts_of(folder: Path) -> Path:
    """Where a folder's parts live: the shipped set's beside the results, another folder's inside it."""
    return PARTS if folder.resolve() == DEFAULT_DIR.resolve() else folder / "manifest_parts"


def record(part: str, models: dict[str, dict], depends_on: tuple[str, ...], folder: Path = DEFAULT_DIR,
           extra_files: tuple[str, ...] = (), parts: Path | None = None) -> Manifest:
    """Save a step's fields (task -> field -> value, merged into the entries the earlier parts made)
    with the sha256 of the model files of the tasks in `depends_on` as they are in `folder` now,
    then rebuild the manifest."""
    parts = parts or parts_of(folder)
    if part not in STEPS:
        raise ValueError(f"unknown manifest part {part!r}; known: {list(STEPS)}")
    entries, _ = _merge(folder, parts, quiet=True)
    files = _entry_files(_apply(entries, models), depends_on)
    payload = {"step": f"python -m {STEPS[part]}", "depends_on": list(depends_on),
               "fitted_on": {f: sha256_of(folder / f) for f in files},
               "extra_files": list(extra_files), "models": models}
    parts.mkdir(parents=True, exist_ok=True)
    path = parts / f"{part}.json"
    before = path.read_text() if path.exists() else None
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=2) + "\n")
    temporary.replace(path)
    try:
        return build(folder, parts)
    except Exception:  # a part the manifest cannot hold: the parts stay as they were, like the manifest
        if before is None:
            path.unlink()
        else:
            path.write_text(before)
        raise


def build(folder: Path = DEFAULT_DIR, parts: Path | None = None) -> Manifest:
    """Write `folder`'s manifest from the parts that still hold for its files; return it."""
    entries, listed = _merge(folder, parts or parts_of(folder))
    for task, fields in entries.items():
        listed.update(KINDS[task].from_dict(fields, f"models.{task}").files)
    return Manifest.from_dict({"format": FORMAT, "files": dict.fromkeys(sorted(listed), ""),
                               "models": entries}).write(folder)


def _merge(folder: Path, parts: Path, quiet: bool = False) -> tuple[dict[str, dict], set[str]]:
    """The entries the parts make, in STEPS order, and the extra files they list."""
    entries: dict[str, dict] = {}
    listed: set[str] = set()
    for part, step in STEPS.items():
        path = parts / f"{part}.json"
        if not path.exists():
            continue
        saved = json.loads(path.read_text())
        if changed := _changed(folder, _apply(entries, saved["models"]), saved):
            if quiet:
                continue
            log.warning("%s was fitted on other versions of %s: left out; run python -m %s again",
                        path.name, ", ".join(changed), step)
            continue
        entries = _apply(entries, saved["models"])
        listed.update(saved["extra_files"])
    return entries, listed


def _changed(folder: Path, entries: dict[str, dict], saved: dict) -> list[str]:
    """The model files a part depends on that are not the ones it was fitted on: another file named
    by the entry now, or the same name with other bytes."""
    try:
        now = _entry_files(entries, tuple(saved["depends_on"]))
    except (ValueError, ModelSetError):  # an entry it depends on is missing, or only this part's patch
        return list(saved["fitted_on"])
    fitted = saved["fitted_on"]
    return [f for f in dict.fromkeys([*now, *fitted])
            if f not in now or f not in fitted or not (folder / f).exists() or sha256_of(folder / f) != fitted[f]]


def _apply(entries: dict[str, dict], models: dict[str, dict]) -> dict[str, dict]:
    """`entries` with a part's fields set; a part may set some of an entry's input (or of its noisy
    model) and keep the rest."""
    out = {task: dict(entry) for task, entry in entries.items()}
    for task, fields in models.items():
        entry = out.setdefault(task, {})
        for name, value in fields.items():
            partial = name in PARTIAL_FIELDS and isinstance(entry.get(name), dict)
            entry[name] = {**entry[name], **value} if partial else value
    return out


def _entry_files(entries: dict[str, dict], tasks: tuple[str, ...]) -> list[str]:
    """The model files of `tasks`, as their entries name them."""
    files: list[str] = []
    for task in tasks:
        if task not in entries:
            raise ValueError(f"no {task} entry to fit on: run python -m {STEPS[task]} first")
        files += KINDS[task].from_dict(entries[task], f"models.{task}").files
    return list(dict.fromkeys(files))


def fields_of(entry: ModelEntry, *names: str) -> dict:
    """Some of an entry's fields as the manifest writes them (all of them without names)."""
    data = entry.to_dict()
    return {name: data[name] for name in names} if names else data
