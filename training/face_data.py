"""FER2013 from ../shared/data as model tensors, cached once (cache/fer2013.npz, about half a
minute, built by the first script that needs it), with a validation split kept out of train."""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from emotion_core.face.face_crop import face_input
from emotion_core.labels import LABELS, canonical

from .data import DATA_ROOT

FER_ROOT = DATA_ROOT / "fer2013"
FACE_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label != "calm")  # FER2013 has no calm
CACHE = Path("cache/fer2013.npz")
VAL_PERCENT = 10


def fer_images(split: str, root: Path = FER_ROOT) -> list[tuple[Path, int]]:
    """(path, index into FACE_LABELS) of every image of "train" or "test", in a stable order."""
    return [
        (path, FACE_LABELS.index(canonical(path.parent.name)))
        for path in sorted((root / split).glob("*/*.jpg"))
    ]


def is_validation(path: Path) -> bool:
    """A stable hash of the file name puts ~VAL_PERCENT % of train into validation."""
    return zlib.crc32(path.name.encode()) % 100 < VAL_PERCENT


def load_split(split: str) -> tuple[np.ndarray, np.ndarray, list[Path]]:
    items = fer_images(split)
    x = np.stack([face_input(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)) for p, _ in tqdm(items, desc=split)])
    return x, np.array([label for _, label in items], dtype=np.int64), [p for p, _ in items]


def build_cache(path: Path = CACHE) -> None:
    x, y, paths = load_split("train")
    val = np.array([is_validation(p) for p in paths])
    x_test, y_test, test_paths = load_split("test")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        x_train=x[~val], y_train=y[~val], x_val=x[val], y_val=y[val], x_test=x_test, y_test=y_test,
        test_names=np.array([f"{p.parent.name}/{p.name}" for p in test_paths]),
    )
    print(f"train {int((~val).sum())}, validation {int(val.sum())}, test {len(y_test)} -> {path}")



def load_cache(path: Path | str = CACHE) -> np.lib.npyio.NpzFile:
    """The cached tensors, built first if they are not there yet."""
    path = Path(path)
    if not path.exists():
        build_cache(path)
    return np.load(path)
