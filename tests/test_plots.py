"""The figures: right axes and one curve per label, without loading any model."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.features import FeatureSpec
from emotion_core.labels import LABELS
from emotion_core.results import AudioResult, WindowResult
from space.plots import mfcc_figure, timeline_figure


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    rng = np.random.default_rng(0)
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def _result(bounds: list[tuple[float, float]]) -> AudioResult:
    rng = np.random.default_rng(1)
    windows = []
    for start, end in bounds:
        p = rng.dirichlet(np.ones(len(LABELS)))
        windows.append(WindowResult(start, end, dict(zip(LABELS, p.tolist()))))
    mean = np.mean([list(w.probs.values()) for w in windows], axis=0)
    return AudioResult(probs=dict(zip(LABELS, mean.tolist())), windows=windows)


def _analysed(seconds: float, spec: FeatureSpec) -> AudioResult:
    """A result as the speech pipeline leaves it: samples and the front end's MFCCs over them."""
    frames = 1 + int(seconds * SAMPLE_RATE) // spec.hop_length
    coeffs = np.random.default_rng(2).standard_normal((spec.n_mfcc, frames)).astype(np.float32)
    return AudioResult(probs=None, samples=_tone(seconds), mfcc=coeffs)


def test_mfcc_figure_spans_the_whole_recording():
    spec = FeatureSpec()
    fig = mfcc_figure(_analysed(4.7, spec))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlim() == pytest.approx((0.0, 4.7), abs=1e-6)
    (image,) = ax.get_images()
    assert image.get_array().shape == (spec.n_mfcc - 1, 1 + int(4.7 * SAMPLE_RATE) // spec.hop_length)
    assert image.get_extent()[1] == pytest.approx(4.7)
    assert "MFCC" in ax.get_title()
    assert ax.get_xlabel() == "time (s)"


def test_timeline_has_one_line_per_label_over_the_recording():
    result = _result([(0.0, 3.0), (1.5, 4.5), (3.0, 6.0), (3.5, 6.5)])
    fig = timeline_figure(result)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(LABELS)
    assert list(lines[0].get_xdata()) == pytest.approx([1.5, 3.0, 4.5, 5.0])
    assert list(lines[2].get_ydata()) == pytest.approx([w.probs[LABELS[2]] for w in result.windows])
    assert ax.get_xlim() == pytest.approx((0.0, 6.5))
    assert ax.get_ylim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(LABELS)


def test_figures_are_not_registered_with_pyplot():
    """A server that renders a figure per request must not accumulate them in pyplot's registry."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    mfcc_figure(_analysed(1.0, FeatureSpec()))
    timeline_figure(_result([(0.0, 3.0), (1.5, 4.5)]))
    assert plt.get_fignums() == before
