"""Figures that show a person what the speech model saw and how its reading changed over time.

Figures are built as bare `matplotlib.figure.Figure` objects on the Agg canvas, never through
pyplot: pyplot keeps a global registry of open figures that is not thread-safe and leaks every
figure a server forgets to close, whereas a bare Figure is freed as soon as nobody refers to it.

Margins are fixed, in inches, rather than left to matplotlib's constrained layout: the layout
engine measures every tick label on each draw and took 40 % of a figure's cost, and drawing
figures was most of the server's work per request (bench/load.py).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.labels import LABELS
from emotion_core.results import AudioResult, VideoResult

# One colour per label in every panel, so "sad" is the same line in voice, face and fused.
COLOURS = dict(zip(LABELS, ("#7f7f7f", "#17becf", "#ff7f0e", "#1f77b4", "#d62728", "#9467bd", "#8c564b", "#e377c2")))


# Room around the axes, in inches: tick labels and axis label on the left and at the bottom, the
# title at the top; on the right, a legend when the figure has one.
MARGIN = {"left": 0.75, "bottom": 0.55, "top": 0.4, "right": 0.2}
LEGEND_WIDTH = 1.2
# Titles sit at a fixed height: left to find it, matplotlib measures the tick labels on every
# draw to lift a title clear of them (7 % of a worker's time under load). With three probability
# ticks instead of six as well, the video timeline took 118 ms instead of 150.
TITLE = {"y": 1.0, "pad": 6.0}
PROBABILITY_TICKS = (0.0, 0.5, 1.0)


def _new_figure(width: float, height: float, right: float = MARGIN["right"], hspace: float = 0.0) -> Figure:
    """A pyplot-free figure with an Agg canvas attached, its axes area inside fixed margins."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=MARGIN["left"] / width,
        right=1.0 - right / width,
        bottom=MARGIN["bottom"] / height,
        top=1.0 - MARGIN["top"] / height,
        hspace=hspace,
    )
    return fig


def mfcc_figure(result: AudioResult) -> Figure:
    """The MFCCs of the whole recording, as the model's front end computed them (result.mfcc).

    c0 (overall loudness) is left out: it is an order of magnitude larger than the rest and would
    flatten the colour scale into one tone.
    """
    coeffs = result.mfcc[1:]
    duration = result.samples.shape[0] / SAMPLE_RATE
    fig = _new_figure(9.0, 3.2)
    ax = fig.add_subplot()
    ax.imshow(
        coeffs,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0.0, duration, 0.5, coeffs.shape[0] + 0.5),
        interpolation="nearest",
    )
    ax.set_xlim(0.0, duration)
    ax.set_title(f"MFCC of the recording (coefficients 1-{coeffs.shape[0]}, brighter is higher; c0, the loudness, left out)",
                 **TITLE)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("coefficient")
    return fig


def timeline_figure(result: AudioResult) -> Figure:
    """The voice's reading per analysis window, as stacked bands (at the window centres): at each
    moment the bands fill the height, and the widest is the top emotion. Windows without speech
    are shaded.

    Meant for recordings longer than one window, where it shows how the reading changes.
    """
    fig = _new_figure(9.0, 2.6, right=LEGEND_WIDTH)
    ax = fig.add_subplot()
    _stack_windows(ax, [(w.start, w.end, w.probs) for w in result.windows])
    ax.set_xlim(0.0, result.duration)
    ax.set_title("Emotion in the voice over time (the widest band is the top emotion)", **TITLE)
    ax.set_xlabel("time (s), window centre")
    ax.legend(*_legend_entries(ax), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return fig


def video_timeline_figure(result: VideoResult) -> Figure:
    """A video's readings on one time axis: the fused reading on top, taller, and the voice and
    the face below it, each as stacked bands, with one legend for all three.

    Stacked bands instead of a line per label: eight crossing lines in three panels could not be
    read at a glance, while the widest band is the top emotion at every moment. Voice and fused
    readings are per window (at its centre); the face reading is per sampled frame (the main
    face). Stretches where a channel said nothing are shaded.
    """
    fig = _new_figure(9.0, 4.8, right=LEGEND_WIDTH, hspace=0.45)
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": (2, 1, 1)})
    _stack_windows(axes[0], [(w.start, w.end, w.probs) for w in result.fused.windows])
    axes[0].set_title("Voice and face together (per window; the widest band is the top emotion)", **TITLE)
    voice = [(w.start, w.end, w.probs) for w in result.audio.windows] if result.audio else []
    _stack_windows(axes[1], voice)
    axes[1].set_title("Voice (per window)" if voice else "Voice: no audio track", **TITLE)
    frames = [(f.t, f.faces[0].probs if f.faces else None) for f in result.frames]
    step = float(np.median(np.diff([t for t, _ in frames]))) if len(frames) > 1 else 0.2
    _stack(axes[2], [t for t, _ in frames], [p for _, p in frames],
           [(t - step / 2, t + step / 2) for t, _ in frames])
    axes[2].set_title("Face (main face, per sampled frame; shaded: no face)", **TITLE)
    for ax in axes[1:]:
        ax.set_yticks((0.0, 1.0))
    axes[0].set_xlim(0.0, max(result.duration, 1e-3))
    axes[2].set_xlabel("time (s)")
    fig.legend(*_legend_entries(*axes), loc="upper right", fontsize="small")
    return fig


def _stack_windows(ax, windows: list[tuple[float, float, dict[str, float] | None]]) -> None:
    _stack(ax, [(start + end) / 2.0 for start, end, _ in windows], [p for _, _, p in windows],
           [(start, end) for start, end, _ in windows])


def _stack(ax, times: list[float], readings: list[dict[str, float] | None],
           spans: list[tuple[float, float]]) -> None:
    """Each label's probability stacked at `times` (a label no reading has is left out); where a
    reading is missing the bands drop to nothing and its span is shaded. A lone reading fills its
    span (a stack needs two points)."""
    if len(times) == 1:
        times, readings = list(spans[0]), readings * 2
    labels = [label for label in LABELS if any(p and label in p for p in readings)]
    if labels:
        ys = [[(p or {}).get(label, 0.0) for p in readings] for label in labels]
        ax.stackplot(times, ys, labels=labels, colors=[COLOURS[label] for label in labels], alpha=0.85, lw=0)
    for (start, end), p in zip(spans, readings):
        if p is None:
            ax.axvspan(start, end, color="0.9", lw=0)
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks(PROBABILITY_TICKS)
    ax.set_ylabel("probability")
    ax.grid(alpha=0.3)


def _legend_entries(*axes) -> tuple[list, list[str]]:
    """One entry per label drawn in any of `axes`, in the labels' order."""
    handles = {c.get_label(): c for ax in axes for c in ax.collections if c.get_label() in COLOURS}
    order = [label for label in LABELS if label in handles]
    return [handles[label] for label in order], order
