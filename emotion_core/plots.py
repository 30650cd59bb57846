"""Figures that show a person what the speech model saw and how its reading changed over time.

Figures are built as bare `matplotlib.figure.Figure` objects on the Agg canvas, never through
pyplot: pyplot keeps a global registry of open figures that is not thread-safe and leaks every
figure a server forgets to close, whereas a bare Figure is freed as soon as nobody refers to it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .audio import SAMPLE_RATE
from .features import FeatureSpec, mfcc
from .results import AudioResult


def _new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with an Agg canvas attached, so it can render and be saved anywhere."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def mfcc_figure(audio: np.ndarray, spec: FeatureSpec) -> Figure:
    """The MFCCs of the whole recording, computed exactly as the model's features are.

    c0 (overall loudness) is left out: it is an order of magnitude larger than the rest and would
    flatten the colour scale into one tone.
    """
    coeffs = mfcc(audio, spec)[1:]
    duration = audio.shape[0] / SAMPLE_RATE
    fig = _new_figure(9.0, 3.2)
    ax = fig.add_subplot()
    image = ax.imshow(
        coeffs,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0.0, duration, 0.5, coeffs.shape[0] + 0.5),
        interpolation="nearest",
    )
    ax.set_xlim(0.0, duration)
    ax.set_title(f"MFCC of the recording (coefficients 1-{coeffs.shape[0]}; c0, the loudness, left out)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("coefficient")
    fig.colorbar(image, ax=ax, label="value")
    return fig


def timeline_figure(result: AudioResult) -> Figure:
    """Each label's probability per analysis window, plotted at the window's centre.

    Meant for recordings longer than one window, where it shows how the reading changes.
    """
    centres = [(w.start + w.end) / 2.0 for w in result.windows]
    fig = _new_figure(9.0, 3.6)
    ax = fig.add_subplot()
    for label in result.probs:
        ax.plot(centres, [w.probs[label] for w in result.windows], marker="o", markersize=3, label=label)
    ax.set_xlim(0.0, result.duration)
    ax.set_ylim(0.0, 1.0)
    ax.set_title("Emotion probabilities over time (one point per analysis window)")
    ax.set_xlabel("time (s), window centre")
    ax.set_ylabel("probability")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return fig
