"""emotion_core/dsp.py gives librosa's results bit for bit, and serving never imports librosa or
numba (whose kernels compile on a fresh container's first start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from emotion_core import dsp
from emotion_core.analyzer import warmup_signal
from emotion_core.audio import SAMPLE_RATE
from emotion_core.features import FeatureSpec, split_windows

SPEC = FeatureSpec()
FRAME = dict(frame_length=SPEC.n_fft, hop_length=SPEC.hop_length)
STFT = dict(n_fft=SPEC.n_fft, hop_length=SPEC.hop_length, win_length=SPEC.win_length)
MEL = dict(sr=SAMPLE_RATE, n_mels=SPEC.n_mels, fmin=SPEC.fmin, fmax=SPEC.fmax)
FRAME_FFT = dict(n_fft=SPEC.n_fft, hop_length=SPEC.hop_length)
PITCH = dict(fmin=SPEC.pitch_fmin, fmax=SPEC.pitch_fmax, sr=SAMPLE_RATE, frame_length=1024, hop_length=SPEC.hop_length)


@pytest.fixture(scope="module")
def windows(clip_path: Path) -> list[np.ndarray]:
    """Every window of four of actor 1's sentences, and silence, loud and faint noise, a tone."""
    rng = np.random.default_rng(0)
    n = SPEC.window_samples
    out = [np.zeros(n, np.float32), (0.3 * rng.normal(size=n)).astype(np.float32),
           (1e-4 * rng.normal(size=n)).astype(np.float32), warmup_signal()]
    for path in sorted(clip_path.parent.glob("03-01-0[2-5]-0*-01-01-01.flac")):
        out += [w.samples for w in split_windows(sf.read(path, dtype="float32")[0], SPEC)]
    return out


def _same(ours: np.ndarray, theirs: np.ndarray) -> bool:
    return ours.dtype == theirs.dtype and ours.shape == theirs.shape and np.array_equal(ours, theirs, equal_nan=True)


def _inputs(y: np.ndarray) -> dict[str, np.ndarray]:
    """What features.py hands each routine, computed with librosa: the window, its magnitude
    spectrogram, the log-mel spectrogram relative to its peak, and its onset envelope."""
    magnitude = np.abs(librosa.stft(y, **STFT))
    mel = librosa.feature.melspectrogram(S=magnitude**2, **MEL)
    mel_db = 10.0 * np.log10(np.maximum(mel / max(float(mel.max()), 1e-20), 1e-8))
    envelope = librosa.onset.onset_strength(S=mel_db, sr=SAMPLE_RATE, hop_length=SPEC.hop_length)
    return {"y": y, "magnitude": magnitude, "mel_db": mel_db, "envelope": envelope}


# dsp's name -> librosa's routine and the call features.py makes (f: either routine, x: _inputs)
ROUTINES = {
    "stft": (librosa.stft, lambda f, x: f(x["y"], **STFT)),
    "melspectrogram": (librosa.feature.melspectrogram, lambda f, x: f(S=x["magnitude"] ** 2, **MEL)),
    "mfcc": (librosa.feature.mfcc, lambda f, x: f(S=x["mel_db"], n_mfcc=SPEC.n_mfcc)),
    "delta": (librosa.feature.delta, lambda f, x: [f(x["mel_db"], order=1), f(x["mel_db"], order=2)]),
    "rms": (librosa.feature.rms, lambda f, x: f(y=x["y"], **FRAME)),
    "yin": (librosa.yin, lambda f, x: f(x["y"], **PITCH)),
    "zero_crossing_rate": (librosa.feature.zero_crossing_rate, lambda f, x: f(x["y"], **FRAME)),
    "spectral_centroid": (librosa.feature.spectral_centroid, lambda f, x: f(y=x["y"], sr=SAMPLE_RATE, **FRAME_FFT)),
    "spectral_contrast": (librosa.feature.spectral_contrast, lambda f, x: f(S=x["magnitude"], sr=SAMPLE_RATE)),
    "spectral_flatness": (librosa.feature.spectral_flatness, lambda f, x: f(S=x["magnitude"])),
    "spectral_rolloff": (librosa.feature.spectral_rolloff, lambda f, x: f(S=x["magnitude"], sr=SAMPLE_RATE)),
    "onset_strength": (librosa.onset.onset_strength,
                       lambda f, x: f(S=x["mel_db"], sr=SAMPLE_RATE, hop_length=SPEC.hop_length)),
    "onset_detect": (librosa.onset.onset_detect,
                     lambda f, x: f(onset_envelope=x["envelope"], sr=SAMPLE_RATE, hop_length=SPEC.hop_length)),
}


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_each_routine_equals_librosa_bit_for_bit(windows, name):
    theirs, call = ROUTINES[name]
    differing = []
    for i, y in enumerate(windows):
        x = _inputs(y)
        ours, expected = np.asarray(call(getattr(dsp, name), x)), np.asarray(call(theirs, x))
        if not _same(ours, expected):
            differing.append(i)
    assert differing == []


def test_the_window_a_batch_and_a_whole_recording_equal_librosa(windows):
    assert np.array_equal(dsp.hann(SPEC.win_length), scipy.signal.get_window("hann", SPEC.win_length, fftbins=True))
    batch = np.stack([librosa.feature.mfcc(S=_inputs(y)["mel_db"], n_mfcc=SPEC.n_mfcc) for y in windows[:6]])
    assert _same(dsp.delta(batch, axis=-1), librosa.feature.delta(batch, axis=-1))
    recording = np.concatenate(windows)
    assert _same(dsp.stft(recording, **STFT), librosa.stft(recording, **STFT))


def test_serving_imports_neither_librosa_nor_numba(clip_path):
    code = (
        "import sys; from emotion_core import Analyzer; from emotion_core.analyzer import warmup_signal; "
        f"a = Analyzer(); a.speech.window_probs(warmup_signal()); a.analyze_audio({str(clip_path)!r}); "
        "print(sorted(m for m in ('librosa', 'numba', 'scipy.signal') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
