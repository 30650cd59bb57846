"""The speech model's front end as a TensorFlow graph: one 16 kHz window in, the model's features out.

It is exported on its own as a float LiteRT model (speech_frontend.tflite) that serving runs on
raw samples, so training (which runs this same graph over the cached audio) and serving compute
the features with the same code and cannot drift apart. It stays float: the dB scale and the
statistics do not survive int8, whereas the model behind it does.

Outputs per window (T frames of HOP_LENGTH samples, centred):
  mfcc        (n_mfcc, T)     MFCCs of the log-mel spectrogram in dB from the window's peak (the plot)
  mfcc_image  (n_mfcc, T, 3)  MFCC, delta, delta-delta, each normalised per coefficient over the window
  stats       (len(STATS),)   utterance statistics of envelope, loudness, spectrum and pitch

Everything is relative: dB from the window's own peak, pitch in semitones from its own median
register, so neither the recording level nor the microphone's gain moves a feature.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import tensorflow as tf

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.features import FeatureSpec

ACTIVE_DB = -40.0  # a frame is active when its loudest mel band is within this of the window's peak
PITCH_FRAME = 768  # samples per pitch frame: three periods of the lowest pitch
PITCH_FFT = 1024  # > PITCH_FRAME + the longest lag, so the autocorrelation does not wrap
VOICED = 0.35  # normalised autocorrelation above which an active frame counts as voiced
DELTA_REACH = 2  # frames each side in the regression behind a delta
SMOOTH = 7  # frames (140 ms) the loudness contour is averaged over before its peaks are counted

_EPS = 1e-6
_TINY = 1e-10


def stats_names(spec: FeatureSpec) -> tuple[str, ...]:
    """The name of every entry of the "stats" output, in order (stored in the manifest)."""
    c = range(spec.n_mfcc)
    return (
        *(f"mfcc{i}_mean" for i in c if i > 0),  # c0's mean is the level: left out
        *(f"mfcc{i}_std" for i in c),
        *(f"mfcc{i}_delta_std" for i in c),
        *(f"mfcc{i}_spread" for i in c),  # 90th minus 10th percentile
        *(f"mel{i}_std" for i in range(spec.n_mels)),  # how much each band moves, active frames
        "loudness_std", "loudness_step", "loudness_peak_over_mean", "active_fraction",
        "loudness_slope", "loudness_peak_position", "loudness_skew", "syllable_rate",
        "centroid_log2", "centroid_cv", "rolloff_log", "rolloff_cv", "flatness_mean", "flatness_std",
        "zcr_mean", "zcr_std",
        "pitch_log2", "pitch_semitone_std", "pitch_semitone_step", "voiced_fraction", "periodicity",
    )


def _hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


def _frames(samples: tf.Tensor, length: int, hop: int, n_frames: int) -> tf.Tensor:
    """(B, n_frames, length) frames centred on multiples of `hop`, zeros beyond the ends."""
    need = (n_frames - 1) * hop + length
    left = length // 2
    padded = tf.pad(samples, [[0, 0], [left, need - left - samples.shape[-1]]])
    return tf.signal.frame(padded, length, hop)


def _weighted(x: tf.Tensor, w: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Mean and standard deviation of x (B, T[, ...]) over T with weights w (B, T)."""
    if len(x.shape) == 3:
        w = w[..., None]
    total = tf.reduce_sum(w, axis=1) + _EPS
    mean = tf.reduce_sum(w * x, axis=1) / total
    var = tf.reduce_sum(w * tf.square(x - tf.expand_dims(mean, 1)), axis=1) / total
    return mean, tf.sqrt(var + _EPS)


def _delta(x: tf.Tensor) -> tf.Tensor:
    """Regression slope over ±DELTA_REACH frames of (B, T, C), edges held: the usual speech delta."""
    n = DELTA_REACH
    padded = tf.concat([tf.repeat(x[:, :1], n, axis=1), x, tf.repeat(x[:, -1:], n, axis=1)], axis=1)
    t = x.shape[1]
    num = sum(k * (padded[:, n + k : n + k + t] - padded[:, n - k : n - k + t]) for k in range(1, n + 1))
    return num / (2.0 * sum(k * k for k in range(1, n + 1)))


def _percentile(sorted_x: tf.Tensor, q: float) -> tf.Tensor:
    """Nearest-rank percentile along the last axis of an ascending tensor."""
    return sorted_x[..., int(round(q * (sorted_x.shape[-1] - 1)))]


class FrontEnd(tf.Module):
    """The features of a batch of windows (B, window_samples) of 16 kHz audio."""

    def __init__(self, spec: FeatureSpec):
        super().__init__()
        self.spec = spec
        self.n_frames = spec.n_frames
        bins = spec.n_fft // 2 + 1
        self.window = tf.constant(np.pad(_hann(spec.win_length), (0, spec.n_fft - spec.win_length)))
        self.mel = tf.constant(tf.signal.linear_to_mel_weight_matrix(
            spec.n_mels, bins, SAMPLE_RATE, spec.fmin, spec.fmax).numpy())
        # DCT-II (orthonormal) of the mel axis, first n_mfcc rows: mfcc = mel_db @ dct.
        self.dct = tf.constant(scipy.fft.dct(np.eye(spec.n_mels), norm="ortho", axis=0)[: spec.n_mfcc].T
                               .astype(np.float32))
        self.freqs = tf.constant((np.arange(bins) * SAMPLE_RATE / spec.n_fft).astype(np.float32))
        # Autocorrelation at every lag of the pitch range from the power spectrum (Wiener-Khinchin),
        # as one matrix product: r(lag) = sum_k w_k P_k cos(2 pi k lag / PITCH_FFT).
        self.lags = np.arange(int(SAMPLE_RATE // spec.pitch_fmax), int(np.ceil(SAMPLE_RATE / spec.pitch_fmin)) + 1)
        k = np.arange(PITCH_FFT // 2 + 1)
        weight = np.where((k == 0) | (k == PITCH_FFT // 2), 1.0, 2.0) / PITCH_FFT
        self.autocorr = tf.constant((weight[:, None] * np.cos(2 * np.pi * np.outer(k, self.lags) / PITCH_FFT))
                                    .astype(np.float32))
        self.r0 = tf.constant(weight.astype(np.float32)[:, None])
        # Left biased (a lag sums over fewer samples of the windowed frame, so longer lags score
        # lower): that is what keeps a period's multiples from winning, the usual octave error.
        self.pitch_window = tf.constant(_hann(PITCH_FRAME))
        self.lag_hz = tf.constant((SAMPLE_RATE / self.lags).astype(np.float32))

    def __call__(self, samples: tf.Tensor) -> dict[str, tf.Tensor]:
        spec, t = self.spec, self.n_frames
        samples = tf.convert_to_tensor(samples, tf.float32)
        frames = _frames(samples, spec.win_length, spec.hop_length, t)  # (B, T, win)
        padded = tf.pad(frames * self.window[: spec.win_length], [[0, 0], [0, 0], [0, spec.n_fft - spec.win_length]])
        spectrum = tf.signal.rfft(padded)
        power = tf.square(tf.math.real(spectrum)) + tf.square(tf.math.imag(spectrum))
        magnitude = tf.sqrt(power + _TINY)
        mel = tf.matmul(power, self.mel)  # (B, T, n_mels)
        peak = tf.maximum(tf.reduce_max(mel, axis=[1, 2], keepdims=True), 1e-20)
        floor = 10.0 ** (-spec.top_db / 10.0)
        mel_db = 10.0 * tf.math.log(tf.maximum(mel / peak, floor)) / np.log(10.0)
        mfcc = tf.matmul(mel_db, self.dct)  # (B, T, n_mfcc)
        d1 = _delta(mfcc)
        d2 = _delta(d1)
        image = tf.stack([mfcc, d1, d2], axis=-1)  # (B, T, n_mfcc, 3)
        mean = tf.reduce_mean(image, axis=1, keepdims=True)
        std = tf.sqrt(tf.reduce_mean(tf.square(image - mean), axis=1, keepdims=True))
        image = tf.transpose((image - mean) / (std + _EPS), [0, 2, 1, 3])

        # Active frames: the rest is silence or room tone around the utterance.
        frame_db = tf.reduce_max(mel_db, axis=2)
        active = tf.cast(frame_db > ACTIVE_DB, tf.float32)
        few = tf.cast(tf.reduce_sum(active, axis=1, keepdims=True) <= 4.0, tf.float32)
        active = tf.maximum(active, few)
        n_active = tf.reduce_sum(active, axis=1)

        coeffs = tf.transpose(mfcc, [0, 2, 1])  # (B, n_mfcc, T)
        ordered = tf.sort(coeffs, axis=-1)
        c_mean = tf.reduce_mean(coeffs, axis=-1)
        c_std = tf.math.reduce_std(coeffs, axis=-1)
        d_std = tf.math.reduce_std(d1, axis=1)
        spread = _percentile(ordered, 0.9) - _percentile(ordered, 0.1)
        _, band_std = _weighted(mel_db, active)

        loudness = 10.0 * tf.math.log(tf.reduce_sum(tf.pow(10.0, mel_db / 10.0), axis=2)) / np.log(10.0)
        l_mean, l_std = _weighted(loudness, active)
        pairs = active[:, 1:] * active[:, :-1]
        step = tf.reduce_sum(pairs * tf.abs(loudness[:, 1:] - loudness[:, :-1]), axis=1) / (tf.reduce_sum(pairs, axis=1) + _EPS)
        masked = loudness * active - 1e3 * (1.0 - active)
        l_peak = tf.reduce_max(masked, axis=1)
        time = tf.constant(np.linspace(0.0, 1.0, t).astype(np.float32))[None]
        t_mean, t_std = _weighted(tf.broadcast_to(time, tf.shape(loudness)), active)
        cov = tf.reduce_sum(active * (time - t_mean[:, None]) * (loudness - l_mean[:, None]), axis=1) / (n_active + _EPS)
        slope = cov / (tf.square(t_std) + _EPS)
        peak_at = tf.cast(tf.argmax(masked, axis=1), tf.float32) / (t - 1)
        skew = tf.reduce_sum(active * tf.pow((loudness - l_mean[:, None]) / l_std[:, None], 3.0), axis=1) / (n_active + _EPS)
        # Syllables: rises of the loudness contour, smoothed over SMOOTH frames (a syllable's
        # length), through its mean; unsmoothed, every flicker of noise would count.
        smooth = tf.nn.avg_pool1d(tf.pad(loudness, [[0, 0], [SMOOTH // 2, SMOOTH // 2]], mode="SYMMETRIC")[..., None],
                                  SMOOTH, 1, "VALID")[..., 0]
        above = tf.cast(smooth > l_mean[:, None], tf.float32)
        peaks = tf.nn.relu(above[:, 1:] - above[:, :-1]) * active[:, 1:]
        seconds = tf.maximum(n_active * spec.hop_length / SAMPLE_RATE, 0.2)
        syllables = tf.reduce_sum(peaks, axis=1) / seconds

        total = tf.reduce_sum(magnitude, axis=2) + _TINY
        centroid = tf.reduce_sum(magnitude * self.freqs, axis=2) / total
        below = tf.cumsum(magnitude, axis=2) < 0.85 * total[..., None]
        rolloff = tf.reduce_sum(tf.cast(below, tf.float32), axis=2) * (SAMPLE_RATE / spec.n_fft)
        flatness = tf.exp(tf.reduce_mean(tf.math.log(power + _TINY), axis=2)) / (tf.reduce_mean(power, axis=2) + _TINY)
        signs = tf.cast(frames >= 0.0, tf.float32)
        zcr = tf.reduce_mean(tf.abs(signs[:, :, 1:] - signs[:, :, :-1]), axis=2)
        cen_mean, cen_std = _weighted(centroid, active)
        roll_mean, roll_std = _weighted(rolloff, active)
        flat_mean, flat_std = _weighted(flatness, active)
        zcr_mean, zcr_std = _weighted(zcr, active)

        pitch_frames = _frames(samples, PITCH_FRAME, spec.hop_length, t) * self.pitch_window
        pitch_power = tf.signal.rfft(tf.pad(pitch_frames, [[0, 0], [0, 0], [0, PITCH_FFT - PITCH_FRAME]]))
        pitch_power = tf.square(tf.math.real(pitch_power)) + tf.square(tf.math.imag(pitch_power))
        r0 = tf.matmul(pitch_power, self.r0)  # (B, T, 1)
        rho = tf.matmul(pitch_power, self.autocorr) / (r0 + _TINY)  # (B, T, lags)
        best = tf.argmax(rho, axis=2)
        strength = tf.reduce_max(rho, axis=2)
        f0 = tf.gather(self.lag_hz, best)
        voiced = active * tf.cast(strength > VOICED, tf.float32)
        log_f0 = tf.math.log(f0) / np.log(2.0)
        register, semitone_std = _weighted(12.0 * log_f0, voiced)
        both = voiced[:, 1:] * voiced[:, :-1]
        semitone_step = tf.reduce_sum(both * 12.0 * tf.abs(log_f0[:, 1:] - log_f0[:, :-1]), axis=1) / (tf.reduce_sum(both, axis=1) + _EPS)
        voiced_fraction = tf.reduce_sum(voiced, axis=1) / (n_active + _EPS)
        periodicity, _ = _weighted(strength, active)

        scalars = tf.stack([
            l_std, step, l_peak - l_mean, n_active / t, slope, peak_at, skew, syllables,
            tf.math.log(cen_mean + 1.0) / np.log(2.0), cen_std / (cen_mean + 1.0),
            tf.math.log(roll_mean + 1.0), roll_std / (roll_mean + 1.0), flat_mean, flat_std,
            zcr_mean, zcr_std,
            register / 12.0, semitone_std, semitone_step, voiced_fraction, periodicity,
        ], axis=1)
        stats = tf.concat([c_mean[:, 1:], c_std, d_std, spread, band_std, scalars], axis=1)
        return {"mfcc": coeffs, "mfcc_image": image, "stats": stats}


def run(front: FrontEnd, windows: np.ndarray, batch: int = 256) -> dict[str, np.ndarray]:
    """The front end over many windows (N, window_samples), in batches: the training cache."""
    fn = tf.function(front.__call__, input_signature=[tf.TensorSpec([None, windows.shape[1]], tf.float32)])
    parts = [fn(windows[i : i + batch]) for i in range(0, windows.shape[0], batch)]
    return {k: np.concatenate([p[k].numpy() for p in parts]) for k in parts[0]}


def to_tflite(front: FrontEnd) -> bytes:
    """The front end of one window as a float LiteRT model: input "samples", outputs as above."""
    spec = front.spec

    @tf.function(input_signature=[tf.TensorSpec([1, spec.window_samples], tf.float32, name="samples")])
    def serve(samples):
        return front(samples)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], front)
    return converter.convert()
