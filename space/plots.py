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
    """Each label's probability per analysis window, plotted at the window's centre; windows
    without speech are shaded and have no points.

    Meant for recordings longer than one window, where it shows how the reading changes.
    """
    fig = _new_figure(9.0, 3.6, right=LEGEND_WIDTH)
    ax = fig.add_subplot()
    _plot_windows(ax, [(w.start, w.end, w.probs) for w in result.windows])
    ax.set_xlim(0.0, result.duration)
    ax.set_title("Emotion probabilities over time (one point per analysis window)", **TITLE)
    ax.set_xlabel("time (s), window centre")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return fig


def video_timeline_figure(result: VideoResult) -> Figure:
    """Voice, face and fused readings of a video on one time axis, one panel each.

    Voice and fused readings are per window (at its centre); the face reading is per sampled
    frame (the main face). Stretches where a channel said nothing are shaded.
    """
    fig = _new_figure(9.0, 7.0, right=LEGEND_WIDTH, hspace=0.35)
    axes = fig.subplots(3, 1, sharex=True)
    voice = [(w.start, w.end, w.probs) for w in result.audio.windows] if result.audio else []
    _plot_windows(axes[0], voice)
    axes[0].set_title("Voice (per window)" if voice else "Voice: no audio track", **TITLE)
    frames = [(f.t, f.faces[0].probs if f.faces else None) for f in result.frames]
    for label in LABELS:
        ys = [p[label] if p and label in p else np.nan for _, p in frames]
        if any(p and label in p for _, p in frames):
            axes[1].plot([t for t, _ in frames], ys, color=COLOURS[label], marker=".", markersize=3, label=label)
    step = float(np.median(np.diff([t for t, _ in frames]))) if len(frames) > 1 else 0.2
    for t, p in frames:
        if p is None:
            axes[1].axvspan(t - step / 2, t + step / 2, color="0.9", lw=0)
    axes[1].set_title("Face (main face, per sampled frame; shaded: no face)", **TITLE)
    _plot_windows(axes[2], [(w.start, w.end, w.probs) for w in result.fused.windows])
    axes[2].set_title("Voice and face fused (per window)", **TITLE)
    for ax in axes:
        ax.set_ylim(0.0, 1.0)
        ax.set_yticks(PROBABILITY_TICKS)
        ax.set_ylabel("probability")
        ax.grid(alpha=0.3)
    axes[0].set_xlim(0.0, max(result.duration, 1e-3))
    axes[2].set_xlabel("time (s)")
    handles = {h.get_label(): h for ax in axes for h in ax.get_lines()}
    fig.legend(list(handles.values()), list(handles), loc="upper right", fontsize="small")
    return fig


def _plot_windows(ax, windows: list[tuple[float, float, dict[str, float] | None]]) -> None:
    """Lines of each label's probability at the window centres; windows without a reading shaded."""
    centres = [(start + end) / 2.0 for start, end, _ in windows]
    for label in LABELS:
        if any(p and label in p for _, _, p in windows):
            ys = [p[label] if p else np.nan for _, _, p in windows]
            ax.plot(centres, ys, color=COLOURS[label], marker="o", markersize=3, label=label)
    for start, end, p in windows:
        if p is None:
            ax.axvspan(start, end, color="0.9", lw=0)
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks(PROBABILITY_TICKS)
    ax.set_ylabel("probability")
    ax.grid(alpha=0.3)
