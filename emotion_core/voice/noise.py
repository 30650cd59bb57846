"""How far a window's quietest frames lie below its loudest: the steady-noise test that decides
which of the shipped speech models reads it.

A recording made in a quiet room drops 35-60 dB between its loudest syllable and its pauses; with
a fan, hiss or a noisy microphone the pauses fill up and the drop shrinks (about 18 dB with white
noise 20 dB below the speech). The model trained on noisy statistics reads such windows
(SpeechEntry.noisy); the clean one, more accurate on clean speech, reads the rest. Babble
(other voices) fills the pauses unevenly and is mostly not caught by this test.

The level of a frame is the mean of its log-mel bands in dB from the window's peak, read off the
front end's first MFCC (the orthonormal DCT's first row is their sum over sqrt(n_mels)).
"""

from __future__ import annotations

import numpy as np

QUIET_QUANTILE = 0.03  # the pauses: the quietest 3 % of a window's frames (about 100 ms of 3 s)
MIN_FRAMES = 5  # fewer frames above the dB floor than this: too little to judge, read as clean


def frame_levels(mfcc: np.ndarray, n_mels: int) -> np.ndarray:
    """Each frame's mean log-mel level in dB from the window's peak, from MFCCs (n_mfcc, frames)."""
    return mfcc[0] / np.sqrt(n_mels)


def floor_depth_db(mfcc: np.ndarray, n_mels: int, top_db: float) -> float:
    """dB between the window's loudest frame and its pauses; inf when too few frames hold sound.

    Frames at the dB floor (zero padding, digital silence) are left out: they are no room's noise."""
    levels = frame_levels(mfcc, n_mels)
    heard = levels[levels > -top_db + 1.0]
    if heard.size < MIN_FRAMES:
        return float("inf")
    return float(heard.max() - np.quantile(heard, QUIET_QUANTILE))
