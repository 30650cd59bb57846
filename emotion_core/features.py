"""Analysis windows and the features the speech model sees, shared by training and serving.

Training imports these same functions, so what a model learnt on and what it is fed can't drift.
A model's manifest stores its FeatureSpec; serving rebuilds the spec from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import dsp
from .audio import SAMPLE_RATE

_EPS = 1e-6
# Mel power below this counts as digital silence (so an all-zero window has a defined peak).
_SILENCE = 1e-20


@dataclass(frozen=True)
class FeatureSpec:
    """Every parameter that shapes the model input; stored verbatim in the model manifest."""

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


def spectrogram(samples: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """STFT magnitude, (1 + n_fft // 2, n_frames): computed once per window, since the log-mel,
    the MFCCs and the spectral shape all derive from it."""
    return np.abs(
        dsp.stft(samples, n_fft=spec.n_fft, hop_length=spec.hop_length, win_length=spec.win_length)
    )


def log_mel(magnitude: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Log-mel power in dB relative to the window's peak, floored TOP_DB below it, (n_mels, n_frames).

    A floor relative to the peak (not an absolute one) makes every feature independent of the
    recording level: a quiet microphone and a loud one give the same input.
    """
    mel = dsp.melspectrogram(
        S=magnitude**2, sr=SAMPLE_RATE, n_mels=spec.n_mels, fmin=spec.fmin, fmax=spec.fmax
    )
    peak = max(float(mel.max()), _SILENCE)
    return 10.0 * np.log10(np.maximum(mel / peak, 10.0 ** (-spec.top_db / 10.0)))


def mfcc_of(mel_db: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """MFCCs, shape (n_mfcc, n_frames), of a log-mel spectrogram."""
    return dsp.mfcc(S=mel_db, n_mfcc=spec.n_mfcc)


def mfcc(samples: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """MFCCs of samples, exactly as the model's features take them (what the plots show)."""
    return mfcc_of(log_mel(spectrogram(samples, spec), spec), spec)


def mfcc_image(coeffs: np.ndarray) -> np.ndarray:
    """The CNN input: MFCC, delta and delta-delta, each normalised per coefficient over the window.

    Per-window normalisation removes the speaker's and the microphone's constant colouring, which
    otherwise lets a model recognise voices instead of emotions. Shape (n_mfcc, n_frames, 3).
    """
    stack = np.stack(
        [coeffs, dsp.delta(coeffs, order=1), dsp.delta(coeffs, order=2)],
        axis=-1,
    )
    mean = stack.mean(axis=1, keepdims=True)
    std = stack.std(axis=1, keepdims=True)
    return ((stack - mean) / (std + _EPS)).astype(np.float32)


def mfcc_statistics(coeffs: np.ndarray) -> np.ndarray:
    """Utterance statistics of MFCCs (..., n_mfcc, frames) -> (..., 4 * n_mfcc - 1).

    The spectral envelope (means) and its spread and motion, which the per-window normalised
    image no longer holds. c0's mean is left out: it tracks overall level, not voice quality.
    """
    delta = dsp.delta(coeffs, axis=-1)
    spread = np.percentile(coeffs, 90, axis=-1) - np.percentile(coeffs, 10, axis=-1)
    return np.concatenate(
        [coeffs.mean(axis=-1)[..., 1:], coeffs.std(axis=-1), delta.std(axis=-1), spread], axis=-1
    ).astype(np.float32)


def prosody(samples: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Window-level pitch, energy and spectral statistics: prosodic cues the MFCC image lacks.

    Frames within 40 dB of the window's loudest count as active. Besides the median pitch, pitch
    is measured in semitones from that median, so its spread describes intonation rather than the
    speaker's register; energy is in dB from the peak, so nothing depends on the recording level.
    """
    frame = dict(frame_length=spec.n_fft, hop_length=spec.hop_length)
    rms = dsp.rms(y=samples, **frame)[0]
    db = 20.0 * np.log10(np.maximum(rms / max(float(rms.max()), _SILENCE), 10.0 ** (-spec.top_db / 20.0)))
    active = db > db.max() - 40.0
    f0 = dsp.yin(
        samples, fmin=spec.pitch_fmin, fmax=spec.pitch_fmax, sr=SAMPLE_RATE, frame_length=1024,
        hop_length=spec.hop_length,
    )
    n = min(f0.shape[0], active.shape[0])
    voiced = f0[:n][active[:n]]
    semis = 12.0 * np.log2(voiced / np.median(voiced)) if voiced.size else np.zeros(1)
    log_f0 = np.log2(np.median(voiced)) if voiced.size else 0.0
    zcr = dsp.zero_crossing_rate(samples, **frame)[0][active]
    centroid = dsp.spectral_centroid(
        y=samples, sr=SAMPLE_RATE, n_fft=spec.n_fft, hop_length=spec.hop_length
    )[0][active]
    act_db = db[active]
    stats = [
        log_f0,
        semis.std(),
        np.percentile(semis, 90) - np.percentile(semis, 10),
        np.abs(np.diff(semis)).mean() if semis.size > 1 else 0.0,
        act_db.max() - np.median(act_db),
        act_db.std(),
        np.abs(np.diff(act_db)).mean() if act_db.size > 1 else 0.0,
        active.mean(),
        zcr.mean(),
        zcr.std(),
        np.log2(centroid.mean() + 1.0),
        centroid.std() / (centroid.mean() + 1.0),
    ]
    return np.asarray(stats, dtype=np.float32)


PROSODY_SIZE = 12
CONTRAST_BANDS = 6  # librosa's spectral contrast: this many octave bands and the valley floor
ACTIVE_DB = -40.0  # frames whose loudest mel band is within this many dB of the window's peak


def spectral_shape(magnitude: np.ndarray, mel_db: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Voice-quality and tempo statistics over the window's active frames, all level-independent.

    How much each mel band moves (its spread in dB), how peaky the spectrum is (octave-band
    contrast, flatness), where its energy tails off (roll-off), how often a new syllable starts
    (onsets per active second) and how loudness runs over the utterance. Measured (SVM on the
    same folds, training/svm_baseline.py) to add several points to the MFCC statistics, which
    describe the envelope's average but not its movement, clarity or course.
    """
    active = mel_db.max(axis=0) > ACTIVE_DB
    if active.sum() <= 4:
        active = np.ones_like(active)
    contrast = dsp.spectral_contrast(S=magnitude, sr=SAMPLE_RATE, n_bands=CONTRAST_BANDS)[:, active]
    flatness = dsp.spectral_flatness(S=magnitude)[0][active]
    rolloff = dsp.spectral_rolloff(S=magnitude, sr=SAMPLE_RATE)[0][active]
    onsets = dsp.onset_detect(
        onset_envelope=dsp.onset_strength(S=mel_db, sr=SAMPLE_RATE, hop_length=spec.hop_length),
        sr=SAMPLE_RATE, hop_length=spec.hop_length,
    )
    active_seconds = max(active.sum() * spec.hop_length / SAMPLE_RATE, 0.2)
    # The loudness contour of the active frames (dB from the peak): its trend over the
    # utterance, where its peak falls, and its spread and skew.
    energy = 10.0 * np.log10(np.sum(10.0 ** (mel_db[:, active] / 10.0), axis=0))
    spread = energy.std()
    return np.concatenate([
        mel_db[:, active].std(axis=1),
        contrast.mean(axis=1),
        contrast.std(axis=1),
        [
            flatness.mean(),
            flatness.std(),
            np.log(rolloff.mean() + 1.0),
            rolloff.std() / (rolloff.mean() + 1.0),
            len(onsets) / active_seconds,
            np.polyfit(np.linspace(0.0, 1.0, energy.size), energy, 1)[0],
            np.argmax(energy) / (energy.size - 1),
            np.mean((energy - energy.mean()) ** 3) / spread**3 if spread > 0 else 0.0,
            spread,
        ],
    ]).astype(np.float32)


def spectral_size(spec: FeatureSpec) -> int:
    """Length of spectral_shape's vector for a spec."""
    return spec.n_mels + 2 * (CONTRAST_BANDS + 1) + 9


def stats_size(spec: FeatureSpec) -> int:
    """Length of utterance_stats' vector for a spec (what the model's "stats" input expects)."""
    return 4 * spec.n_mfcc - 1 + PROSODY_SIZE + spectral_size(spec)


@dataclass(frozen=True)
class WindowFeatures:
    """What the speech model is fed for one window, before stacking and normalising."""

    coeffs: np.ndarray  # MFCC (n_mfcc, n_frames), unnormalised
    prosody: np.ndarray  # (PROSODY_SIZE,)
    spectral: np.ndarray  # (spectral_size(spec),)


def window_features(samples: np.ndarray, spec: FeatureSpec) -> WindowFeatures:
    """Every feature of one window, from a single STFT; serving and the training cache both call it."""
    magnitude = spectrogram(samples, spec)
    mel_db = log_mel(magnitude, spec)
    return WindowFeatures(
        coeffs=mfcc_of(mel_db, spec),
        prosody=prosody(samples, spec),
        spectral=spectral_shape(magnitude, mel_db, spec),
    )


def utterance_stats(coeffs: np.ndarray, prosody_vector: np.ndarray, spectral_vector: np.ndarray) -> np.ndarray:
    """The model's second input: MFCC statistics, prosody, spectral shape (works on batches too)."""
    return np.concatenate([mfcc_statistics(coeffs), prosody_vector, spectral_vector], axis=-1)
