"""How a recording is cut into the speech model's windows, and the settings of its features.

The features themselves are computed inside the model set, by the front-end graph that training
exported with the model (training/voice_frontend.py; speech_frontend.tflite): serving feeds it raw
16 kHz windows, so what a model learnt on and what it is fed cannot drift. A model's manifest
stores its FeatureSpec; serving rebuilds the spec from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..decode.audio import SAMPLE_RATE


@dataclass(frozen=True)
class FeatureSpec:
    """Every parameter that shapes the model input; stored verbatim in the model manifest.

    Frames of `win_length` samples every `hop_length`, centred, FFT of `n_fft`; `n_mels` mel bands
    from `fmin` to `fmax` in dB from the window's peak, floored `top_db` below it; `n_mfcc` of their
    cepstral coefficients; pitch searched from `pitch_fmin` to `pitch_fmax`.
    """

    window_seconds: float = 3.0
    hop_seconds: float = 1.5
    n_fft: int = 512
    win_length: int = 400
    hop_length: int = 320
    n_mels: int = 64
    n_mfcc: int = 40
    fmin: float = 50.0
    fmax: float = 8000.0
    top_db: float = 80.0
    pitch_fmin: float = 65.0
    pitch_fmax: float = 500.0

    @property
    def window_samples(self) -> int:
        return int(round(self.window_seconds * SAMPLE_RATE))

    @property
    def hop_samples(self) -> int:
        return int(round(self.hop_seconds * SAMPLE_RATE))

    @property
    def n_frames(self) -> int:
        return 1 + self.window_samples // self.hop_length

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Window:
    """One fixed-length slice of a recording; `samples` is zero-padded to the window length."""

    start: float
    end: float
    samples: np.ndarray


def window_bounds(n_samples: int, spec: FeatureSpec) -> list[tuple[int, int]]:
    """(start, end) sample of each overlapping fixed window; the last one ends where the audio ends."""
    size, hop = spec.window_samples, spec.hop_samples
    if n_samples <= size:
        return [(0, n_samples)]
    starts = list(range(0, n_samples - size + 1, hop))
    if starts[-1] + size < n_samples:
        starts.append(n_samples - size)
    return [(s, s + size) for s in starts]


def split_windows(audio: np.ndarray, spec: FeatureSpec) -> list[Window]:
    """Cut a recording into its windows (window_bounds), zero-padding one shorter than a window."""
    windows = []
    for s, end in window_bounds(audio.shape[0], spec):
        chunk = audio[s:end]
        if chunk.shape[0] < spec.window_samples:
            chunk = np.pad(chunk, (0, spec.window_samples - chunk.shape[0]))
        windows.append(Window(start=s / SAMPLE_RATE, end=end / SAMPLE_RATE, samples=chunk))
    return windows


def stitch_frames(windows: list[Window], frames: list[np.ndarray], spec: FeatureSpec) -> np.ndarray:
    """One (rows, frames) matrix over the whole recording from each window's own (rows, n_frames):
    each window contributes its frames up to where the next one starts, and a padded window only
    the frames that hold audio. What the MFCC plot shows, with no second computation."""
    per_second = SAMPLE_RATE / spec.hop_length
    pieces = []
    for i, (w, f) in enumerate(zip(windows, frames)):
        first = int(round(w.start * per_second))
        upto = windows[i + 1].start if i + 1 < len(windows) else w.end
        count = int(round(upto * per_second)) - first + (1 if i + 1 == len(windows) else 0)
        pieces.append(f[:, : max(1, min(count, f.shape[1]))])
    return np.concatenate(pieces, axis=1)
