"""The speech corpora in ../shared/data as plain records, and the speaker-independent folds."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from emotion_core.labels import LABELS, canonical

DATA_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data"
N_FOLDS = 5


@dataclass(frozen=True)
class Clip:
    path: str
    label: str
    corpus: str  # "ravdess", "tess" or "savee"
    speaker: str  # "A01".."A20" for RAVDESS, "OAF"/"YAF" for TESS, "DC"/"JE"/"JK"/"KL" for SAVEE
    word: str  # TESS target word; "" for RAVDESS and SAVEE
    fold: int  # RAVDESS: by actor; TESS: by word; SAVEE: by speaker; so no fold shares a speaker or a word

    @property
    def label_index(self) -> int:
        return LABELS.index(self.label)

    @property
    def male(self) -> bool:
        """RAVDESS odd actors are male; TESS speakers are both female; SAVEE speakers all male."""
        if self.corpus == "savee":
            return True
        return self.corpus == "ravdess" and int(self.speaker[1:]) % 2 == 1


def ravdess_fold(actor: int) -> int:
    """Actors 1-4 form fold 0, 5-8 fold 1, ...: each fold holds two male and two female actors."""
    return (actor - 1) // 4


def tess_fold(word: str) -> int:
    """A stable hash of the word, so every emotion of a held-out word is held out together."""
    return zlib.crc32(word.encode()) % N_FOLDS


def ravdess_clips(root: Path = DATA_ROOT / "ravdess") -> list[Clip]:
    clips = []
    for path in sorted(root.glob("Actor_*/*.flac")):
        parts = path.stem.split("-")
        actor = int(parts[6])
        label = LABELS[int(parts[2]) - 1]
        clips.append(Clip(str(path), label, "ravdess", f"A{actor:02d}", "", ravdess_fold(actor)))
    return clips


def tess_clips(root: Path = DATA_ROOT / "tess") -> list[Clip]:
    clips = []
    for path in sorted(root.glob("*/*.flac")):
        speaker, word, emotion = path.stem.split("_", 2)
        clips.append(Clip(str(path), canonical(emotion), "tess", speaker, word, tess_fold(word)))
    return clips


SAVEE_SPEAKERS = ("DC", "JE", "JK", "KL")
# SAVEE's emotion codes (after the speaker); "a" is anger, not happiness, whatever some copies say.
SAVEE_CODES = {"a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral", "sa": "sad",
               "su": "surprised"}


def savee_clips(root: Path = DATA_ROOT / "savee") -> list[Clip]:
    """SAVEE's 4 male speakers; speaker i forms fold i (fold 4 holds none), so a model trained
    without fold k has never heard SAVEE speaker k either, and SAVEE is scored speaker-independently
    on the same folds as RAVDESS."""
    clips = []
    for path in sorted(root.glob("*.flac")):
        speaker, rest = path.stem.split("_")
        code = rest.rstrip("0123456789")
        clips.append(Clip(str(path), SAVEE_CODES[code], "savee", speaker, "", SAVEE_SPEAKERS.index(speaker)))
    return clips


def speech_clips() -> list[Clip]:
    return ravdess_clips() + tess_clips()
