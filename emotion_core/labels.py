"""The canonical emotion labels and how each data set's names map onto them."""

from __future__ import annotations

# The RAVDESS set, in RAVDESS code order (01..08); every model output and every result uses it.
LABELS: tuple[str, ...] = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
)

# Names used by other data sets (TESS folders, FER2013 folders) for the same emotions.
ALIASES: dict[str, str] = {
    "fear": "fearful",
    "surprise": "surprised",
    "pleasant_surprise": "surprised",
    "ps": "surprised",
}


def canonical(name: str) -> str:
    """Map a data set's emotion name onto the canonical set, or raise for an unknown one."""
    key = name.strip().lower()
    label = ALIASES.get(key, key)
    if label not in LABELS:
        raise ValueError(f"unknown emotion label {name!r}")
    return label
