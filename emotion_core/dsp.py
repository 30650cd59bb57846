"""The signal processing behind the speech features: librosa 0.11's routines, without numba.

librosa compiles about twenty numba kernels when it is imported, unless they are in numba's
on-disk cache; a fresh container (every start of a Space) has no cache, so importing librosa cost
some 18 s of CPU before the first answer. Serving needs a dozen of its routines, and only four of
those (zero crossings, local minima, parabolic interpolation, peak picking) use numba at all.
This module is librosa's own code for exactly the calls features.py makes (same numpy and scipy
calls, same dtypes, same array layouts, so the same rounding), with those four kernels written as
array operations that round the way the compiled ones do. tests/test_dsp.py checks that every
routine gives librosa's result bit for bit, so what a model learnt on and what it is fed stay the
same. librosa is ISC-licensed: Copyright (c) 2013--2023, librosa development team.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import as_strided
from scipy.linalg import lstsq
from scipy.ndimage import convolve1d

def tiny(x: np.ndarray) -> float:
    """The smallest positive normal number of x's floating type (float32 for other types)."""
    dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else np.float32
    return np.finfo(dtype).tiny


def frame(x: np.ndarray, *, frame_length: int, hop_length: int) -> np.ndarray:
    """Overlapping frames along the last axis as a view: (..., frame_length, n_frames)."""
    x = np.asarray(x)
    if x.shape[-1] < frame_length:
        raise ValueError(f"Input is too short (n={x.shape[-1]:d}) for frame_length={frame_length:d}")
    out_shape = (*x.shape[:-1], x.shape[-1] - frame_length + 1, frame_length)
    xw = as_strided(x, strides=x.strides + (x.strides[-1],), shape=out_shape, writeable=False)
    return np.moveaxis(xw, -1, -2)[..., ::hop_length]


@lru_cache(maxsize=8)
def hann(n: int) -> np.ndarray:
    """The periodic Hann window (scipy.signal.get_window("hann", n, fftbins=True), float64)."""
    fac = np.linspace(-np.pi, np.pi, n + 1)
    w = np.zeros(n + 1)
    for k, a in enumerate((0.5, 0.5)):
        w += a * np.cos(k * fac)
    return w[:-1]


def _stft_window(n_fft: int, win_length: int) -> np.ndarray:
    lpad = (n_fft - win_length) // 2
    return np.pad(hann(win_length), (lpad, n_fft - win_length - lpad)).reshape(-1, 1)


def stft(y: np.ndarray, *, n_fft: int, hop_length: int, win_length: int | None = None) -> np.ndarray:
    """librosa.stft of a 1-D signal: Hann window, centred frames, zero padding."""
    fft_window = _stft_window(n_fft, win_length or n_fft)
    start_k = int(np.ceil(n_fft // 2 / hop_length))
    tail_k = (y.shape[-1] + n_fft // 2 - n_fft) // hop_length + 1
    dtype = np.result_type(y.dtype, np.complex64)
    if tail_k <= start_k:
        start, extra = 0, 0
        y = np.pad(y, (n_fft // 2, n_fft // 2))
        pre = post = None
    else:
        start = start_k * hop_length - n_fft // 2
        y_pre = np.pad(y[: (start_k - 1) * hop_length - n_fft // 2 + n_fft + 1], (n_fft // 2, 0))
        pre = frame(y_pre, frame_length=n_fft, hop_length=hop_length)[..., :start_k]
        extra = pre.shape[-1]
        if tail_k * hop_length - n_fft // 2 + n_fft <= y.shape[-1] + n_fft // 2:
            y_post = np.pad(y[tail_k * hop_length - n_fft // 2 :], (0, n_fft // 2))
            post = frame(y_post, frame_length=n_fft, hop_length=hop_length)
            extra += post.shape[-1]
        else:
            post = None
    frames = frame(y[start:], frame_length=n_fft, hop_length=hop_length)
    out = np.zeros((1 + n_fft // 2, frames.shape[-1] + extra), dtype=dtype, order="F")
    off_start = 0
    if pre is not None:
        off_start = pre.shape[-1]
        out[:, :off_start] = scipy.fft.rfft(fft_window * pre, axis=-2)
        if post is not None and post.shape[-1] > 0:
            out[:, -post.shape[-1] :] = scipy.fft.rfft(fft_window * post, axis=-2)
    # librosa transforms in blocks of at most 256 kB of frames (util.MAX_MEM_BLOCK)
    n_columns = max(int(2**8 * 2**10 // (np.prod(frames.shape[:-1]) * frames.itemsize)), 1)
    for bl_s in range(0, frames.shape[-1], n_columns):
        bl_t = min(bl_s + n_columns, frames.shape[-1])
        out[:, bl_s + off_start : bl_t + off_start] = scipy.fft.rfft(fft_window * frames[:, bl_s:bl_t], axis=-2)
    return out


def _hz_to_mel(frequencies) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    frequencies = np.asanyarray(frequencies)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    mels = frequencies / f_sp
    if frequencies.ndim:
        log_t = frequencies >= min_log_hz
        mels[log_t] = min_log_mel + np.log(frequencies[log_t] / min_log_hz) / logstep
    elif frequencies >= min_log_hz:
        mels = min_log_mel + np.log(frequencies / min_log_hz) / logstep
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    freqs = 0.0 + f_sp * mels
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * np.exp(logstep * (mels[log_t] - min_log_mel))
    return freqs


def fft_frequencies(sr: float, n_fft: int) -> np.ndarray:
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sr)


@lru_cache(maxsize=8)
def mel_filters(sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """librosa.filters.mel: Slaney-normalised triangles on the Slaney mel scale, float32."""
    weights = np.zeros((n_mels, int(1 + n_fft // 2)), dtype=np.float32)
    fftfreqs = fft_frequencies(sr, n_fft)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, np.newaxis]
    weights.flags.writeable = False
    return weights


def melspectrogram(*, S: np.ndarray, sr: float, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """librosa.feature.melspectrogram of a power spectrogram S."""
    basis = mel_filters(sr, 2 * (S.shape[-2] - 1), n_mels, fmin, fmax)
    return np.einsum("...ft,mf->...mt", S, basis, optimize=True)


def mfcc(*, S: np.ndarray, n_mfcc: int) -> np.ndarray:
    """librosa.feature.mfcc of a log-mel spectrogram S: DCT-II, orthonormal, no liftering."""
    return scipy.fft.dct(S, axis=-2, type=2, norm="ortho")[..., :n_mfcc, :]


def _lstsq_fit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    rcond = np.finfo(a.dtype).eps * max(a.shape[-1], a.shape[-2])
    return lstsq(a, b, cond=rcond)[0]


@lru_cache(maxsize=8)
def _savgol_coeffs(window_length: int, polyorder: int, deriv: int) -> np.ndarray:
    """scipy.signal.savgol_coeffs(window_length, polyorder, deriv) for convolution."""
    halflen = window_length // 2
    x = np.flip(np.arange(-halflen, window_length - halflen, dtype=np.float64))
    a = x ** np.arange(polyorder + 1, dtype=np.float64).reshape(-1, 1)
    y = np.zeros(polyorder + 1, dtype=np.float64)
    y[deriv] = float(np.prod(np.arange(1, deriv + 1)))
    return _lstsq_fit(a, y)


def _polyfit(x: np.ndarray, y: np.ndarray, deg: int) -> np.ndarray:
    """scipy.signal's polyfit: least squares on a column-scaled Vandermonde matrix."""
    powers = np.flip(np.arange(deg + 1, dtype=x.dtype))
    lhs = x[:, None] ** powers[None, :]
    scale = np.sqrt(np.sum(lhs * lhs, axis=0))
    lhs /= scale
    rcond = x.shape[0] * np.finfo(x.dtype).eps
    c = lstsq(lhs, y, cond=rcond)[0]
    return (c.T / scale).T


def _fit_edge(x: np.ndarray, window_start: int, window_stop: int, interp_start: int, interp_stop: int,
              polyorder: int, deriv: int, y: np.ndarray) -> None:
    """savgol_filter's "interp" edge: a polynomial fitted to the edge window, differentiated."""
    xx_edge = np.swapaxes(x[..., window_start:window_stop], -1, 0) if x.ndim > 1 else x[window_start:window_stop]
    xx_edge = xx_edge.reshape(xx_edge.shape[0], -1)
    p = _polyfit(np.arange(0, window_stop - window_start, dtype=x.dtype), xx_edge, polyorder)
    n = p.shape[0]
    if n <= deriv:
        p = np.zeros_like(p[:1, ...])
    else:
        dp = np.asarray(p[:-deriv, ...], copy=True)
        for k in range(deriv):
            dp *= np.arange(n - k - 1, deriv - k - 1, -1, dtype=p.dtype).reshape((n - deriv,) + (1,) * (p.ndim - 1))
        p = dp
    i = np.arange(interp_start - window_start, interp_stop - window_start, dtype=p.dtype).reshape(-1, 1)
    values = np.zeros_like(i)
    for j in range(p.shape[0]):
        values = values * i + p[j, ...]
    values = values / (1.0**deriv)
    shape = list(y.shape)
    shape[0], shape[-1] = shape[-1], shape[0]
    values = values.reshape((interp_stop - interp_start, *shape[1:]))
    if x.ndim > 1:
        values = np.swapaxes(values, 0, -1)
    y[..., interp_start:interp_stop] = values


def delta(data: np.ndarray, *, order: int = 1, axis: int = -1, width: int = 9) -> np.ndarray:
    """librosa.feature.delta along the last axis: a Savitzky-Golay derivative with polynomial edges."""
    if axis not in (-1, data.ndim - 1):
        raise ValueError("delta works along the last axis")
    x = np.asarray(data)
    if x.dtype != np.float64 and x.dtype != np.float32:
        x = x.astype(np.float64)
    if width > x.shape[-1]:
        raise ValueError(f"when mode='interp', width={width} cannot exceed data.shape[axis]={x.shape[-1]}")
    y = convolve1d(x, _savgol_coeffs(width, order, order), axis=-1, mode="constant")
    half, n = width // 2, x.shape[-1]
    _fit_edge(x, 0, width, 0, half, order, order, y)
    _fit_edge(x, n - width, n, n - half, n, order, order, y)
    return y


def rms(*, y: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """librosa.feature.rms of a signal: centred frames, zero padding, (1, n_frames) float32."""
    y = np.pad(y, (frame_length // 2, frame_length // 2))
    x = frame(y, frame_length=frame_length, hop_length=hop_length)
    return np.sqrt(np.mean(np.square(x, dtype=np.float32), axis=-2, keepdims=True))


def _abs2(x: np.ndarray) -> np.ndarray:
    """|x|^2 of complex x, in x's own precision (librosa's compiled _cabs2)."""
    return x.real**2 + x.imag**2


def _autocorrelate(y: np.ndarray, max_size: int) -> np.ndarray:
    """librosa.autocorrelate along axis -2 (frames in columns)."""
    max_size = int(min(max_size, y.shape[-2]))
    n_pad = scipy.fft.next_fast_len(2 * y.shape[-2] - 1, real=True)
    powspec = _abs2(scipy.fft.rfft(y, n=n_pad, axis=-2))
    return scipy.fft.irfft(powspec, n=n_pad, axis=-2)[..., :max_size, :]


def _cumulative_mean_normalized_difference(y_frames: np.ndarray, min_period: int, max_period: int) -> np.ndarray:
    acf_frames = _autocorrelate(y_frames, max_period + 1)
    yin_frames = np.square(y_frames)
    np.cumsum(yin_frames, out=yin_frames, axis=-2)
    k = slice(1, max_period + 1)
    yin_frames[..., 0, :] = 0
    yin_frames[..., k, :] = 2 * (acf_frames[..., 0:1, :] - acf_frames[..., k, :]) - yin_frames[..., : k.stop - 1, :]
    yin_numerator = yin_frames[..., min_period : max_period + 1, :]
    k_range = np.r_[k].reshape(-1, 1)
    cumulative_mean = np.cumsum(yin_frames[..., k, :], axis=-2) / k_range
    yin_denominator = cumulative_mean[..., min_period - 1 : max_period, :]
    return yin_numerator / (yin_denominator + tiny(yin_denominator))


def _parabolic_shifts(x: np.ndarray) -> np.ndarray:
    """Parabolic-interpolation shift of each interior point along axis -2, 0 at the ends. librosa's
    numba stencil computes a and b in float64 from float32 sums, then stores in x's type."""
    prev, here, nxt = x[:-2], x[1:-1], x[2:]
    a = (nxt + prev).astype(np.float64) - 2 * here.astype(np.float64)
    b = (nxt - prev).astype(np.float64) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(np.abs(b) >= np.abs(a), 0.0, -b / a)
    shifts = np.zeros_like(x)
    shifts[1:-1] = inner
    return shifts


def yin(y: np.ndarray, *, fmin: float, fmax: float, sr: float, frame_length: int, hop_length: int,
        trough_threshold: float = 0.1) -> np.ndarray:
    """librosa.yin of a 1-D signal: the fundamental frequency of each centred frame, Hz."""
    y = np.pad(y, (frame_length // 2, frame_length // 2))
    y_frames = frame(y, frame_length=frame_length, hop_length=hop_length)
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), frame_length - 1)
    yin_frames = _cumulative_mean_normalized_difference(y_frames, min_period, max_period)
    parabolic_shifts = _parabolic_shifts(yin_frames)
    # local minima along axis -2: below the previous value, not above the next; the last one
    # only against its predecessor, the first one against its successor
    is_trough = np.zeros(yin_frames.shape, dtype=bool)
    is_trough[1:-1] = (yin_frames[1:-1] < yin_frames[:-2]) & (yin_frames[1:-1] <= yin_frames[2:])
    is_trough[-1] = yin_frames[-1] < yin_frames[-2]
    is_trough[0] = yin_frames[0] < yin_frames[1]
    is_threshold_trough = np.logical_and(is_trough, yin_frames < trough_threshold)
    global_min = np.argmin(yin_frames, axis=-2).reshape(1, -1)
    yin_period = np.argmax(is_threshold_trough, axis=-2).reshape(1, -1)
    no_trough_below_threshold = np.all(~is_threshold_trough, axis=-2, keepdims=True)
    yin_period[no_trough_below_threshold] = global_min[no_trough_below_threshold]
    yin_period = (min_period + yin_period + np.take_along_axis(parabolic_shifts, yin_period, axis=-2))[0, :]
    return sr / yin_period


def zero_crossing_rate(y: np.ndarray, *, frame_length: int, hop_length: int, threshold: float = 1e-10) -> np.ndarray:
    """librosa.feature.zero_crossing_rate: edge-padded centred frames; a sample within
    `threshold` of zero counts as +0; (1, n_frames)."""
    y = np.pad(y, (frame_length // 2, frame_length // 2), mode="edge")
    frames = frame(y, frame_length=frame_length, hop_length=hop_length)
    threshold = frames.dtype.type(threshold)
    zeroed = np.where((frames >= -threshold) & (frames <= threshold), 0.0, frames)
    crossings = np.zeros(frames.shape, dtype=bool)
    crossings[1:] = np.signbit(zeroed[1:]) != np.signbit(zeroed[:-1])
    return np.mean(crossings, axis=-2, keepdims=True)


def _normalize_l1(S: np.ndarray) -> np.ndarray:
    """librosa.util.normalize(S, norm=1, axis=-2): columns of (near-)zero sum left as they are."""
    mag = np.abs(S).astype(float)
    length = np.sum(mag**1, axis=-2, keepdims=True) ** (1.0 / 1)
    length[length < tiny(S)] = 1.0
    Snorm = np.empty_like(S)
    Snorm[:] = S / length
    return Snorm


def spectral_centroid(*, y: np.ndarray, sr: float, n_fft: int, hop_length: int) -> np.ndarray:
    """librosa.feature.spectral_centroid of a signal (its own n_fft-long Hann STFT), (1, n_frames)."""
    S = np.abs(stft(y, n_fft=n_fft, hop_length=hop_length)) ** 1
    freq = fft_frequencies(sr, n_fft).reshape(-1, 1)
    return np.sum(freq * _normalize_l1(S), axis=-2, keepdims=True)


def power_to_db(S: np.ndarray, amin: float = 1e-10, top_db: float = 80.0) -> np.ndarray:
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    log_spec -= 10.0 * np.log10(np.maximum(amin, 1.0))
    return np.maximum(log_spec, log_spec.max() - top_db)


def spectral_contrast(*, S: np.ndarray, sr: float, n_bands: int = 6, fmin: float = 200.0,
                      quantile: float = 0.02) -> np.ndarray:
    """librosa.feature.spectral_contrast of a magnitude spectrogram: (n_bands + 1, n_frames) dB."""
    freq = fft_frequencies(sr, 2 * (S.shape[-2] - 1))
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    shape = list(S.shape)
    shape[-2] = n_bands + 1
    valley = np.zeros(shape)
    peak = np.zeros_like(valley)
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):
        current_band = np.logical_and(freq >= f_low, freq <= f_high)
        idx = np.flatnonzero(current_band)
        if k > 0:
            current_band[idx[0] - 1] = True
        if k == n_bands:
            current_band[idx[-1] + 1 :] = True
        sub_band = S[..., current_band, :]
        if k < n_bands:
            sub_band = sub_band[..., :-1, :]
        idx = int(np.maximum(np.rint(quantile * np.sum(current_band)), 1))
        sortedr = np.sort(sub_band, axis=-2)
        valley[..., k, :] = np.mean(sortedr[..., :idx, :], axis=-2)
        peak[..., k, :] = np.mean(sortedr[..., -idx:, :], axis=-2)
    return power_to_db(peak) - power_to_db(valley)


def spectral_flatness(*, S: np.ndarray, amin: float = 1e-10, power: float = 2.0) -> np.ndarray:
    """librosa.feature.spectral_flatness of a magnitude spectrogram, (1, n_frames)."""
    S_thresh = np.maximum(amin, S**power)
    gmean = np.exp(np.mean(np.log(S_thresh), axis=-2, keepdims=True))
    return gmean / np.mean(S_thresh, axis=-2, keepdims=True)


def spectral_rolloff(*, S: np.ndarray, sr: float, roll_percent: float = 0.85) -> np.ndarray:
    """librosa.feature.spectral_rolloff of a magnitude spectrogram, (1, n_frames) Hz."""
    freq = fft_frequencies(sr, 2 * (S.shape[-2] - 1)).reshape(-1, 1)
    total_energy = np.cumsum(S, axis=-2)
    threshold = np.expand_dims(roll_percent * total_energy[..., -1, :], axis=-2)
    ind = np.where(total_energy < threshold, np.nan, 1)
    return np.nanmin(ind * freq, axis=-2, keepdims=True)


def onset_strength(*, S: np.ndarray, sr: float, hop_length: int, n_fft: int = 2048) -> np.ndarray:
    """librosa.onset.onset_strength of a log-mel spectrogram S (lag 1, mean over bands)."""
    S = np.atleast_2d(S)
    onset_env = np.maximum(0.0, S[..., 1:] - S[..., :-1])
    agg = np.empty((1, onset_env.shape[-1]), order="F" if np.isfortran(onset_env) else "C", dtype=onset_env.dtype)
    agg[0] = np.mean(onset_env, axis=-2)
    pad_width = 1 + n_fft // (2 * hop_length)
    return np.pad(agg, ((0, 0), (int(pad_width), 0)), mode="constant")[..., : S.shape[-1]][0]


def _compiled_mean(x: np.ndarray) -> np.floating:
    """numba's np.mean: a running sum in x's own type, divided in float64, returned in x's type."""
    return x.dtype.type(np.float64(np.cumsum(x, dtype=x.dtype)[-1]) / x.size)


def peak_pick(x: np.ndarray, *, pre_max: int, post_max: int, pre_avg: int, post_avg: int, delta: float,
              wait: int) -> np.ndarray:
    """librosa.util.peak_pick of a 1-D float32 signal: indices of its peaks."""
    n_x = x.shape[0]
    delta = np.float32(delta)
    peaks = np.zeros(n_x, dtype=bool)
    peaks[0] = x[0] >= np.max(x[: min(post_max, n_x)])
    peaks[0] &= x[0] >= _compiled_mean(x[: min(post_avg, n_x)]) + delta
    n = wait + 1 if peaks[0] else 1
    while n < n_x:
        if x[n] == np.max(x[max(0, n - pre_max) : min(n + post_max, n_x)]) and (
            x[n] >= _compiled_mean(x[max(0, n - pre_avg) : min(n + post_avg, n_x)]) + delta
        ):
            peaks[n] = True
            n += wait + 1
        else:
            n += 1
    return np.flatnonzero(peaks)


def onset_detect(*, onset_envelope: np.ndarray, sr: float, hop_length: int) -> np.ndarray:
    """librosa.onset.onset_detect of an onset envelope: the frames of its onsets."""
    onset_envelope = onset_envelope - np.min(onset_envelope, keepdims=True, axis=-1)
    onset_envelope /= np.max(onset_envelope, keepdims=True, axis=-1) + tiny(onset_envelope)
    if not onset_envelope.any() or not np.all(np.isfinite(onset_envelope)):
        return np.array([], dtype=int)
    return peak_pick(
        onset_envelope,
        pre_max=int(np.ceil(0.03 * sr // hop_length)), post_max=int(np.ceil(0.00 * sr // hop_length + 1)),
        pre_avg=int(np.ceil(0.10 * sr // hop_length)), post_avg=int(np.ceil(0.10 * sr // hop_length + 1)),
        delta=0.07, wait=int(np.ceil(0.03 * sr // hop_length)),
    )
