"""The figures: right axes and one curve per label, without loading any model."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.voice.features import FeatureSpec
from emotion_core.labels import LABELS
from emotion_core.results import AudioResult, FaceResult, FrameFaces, FusedResult, FusedWindow, VideoResult, WindowResult
from space.plots import mfcc_figure, timeline_figure, video_timeline_figure


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


def _band_tops(band) -> np.ndarray:
    """The upper edge of a stackplot band at its x values (fill_between draws the lower edge
    forwards, then the upper one backwards)."""
    vertices = band.get_paths()[0].vertices
    n = (len(vertices) - 3) // 2
    return vertices[n + 2 : 2 * n + 2, 1][::-1]


def test_timeline_stacks_one_band_per_label_over_the_recording():
    result = _result([(0.0, 3.0), (1.5, 4.5), (3.0, 6.0), (3.5, 6.5)])
    fig = timeline_figure(result)
    ax = fig.axes[0]
    bands = ax.collections
    assert [band.get_label() for band in bands] == list(LABELS)
    assert list(bands[0].get_paths()[0].vertices[1:5, 0]) == pytest.approx([1.5, 3.0, 4.5, 5.0])
    assert list(_band_tops(bands[0])) == pytest.approx([w.probs[LABELS[0]] for w in result.windows])
    assert list(_band_tops(bands[-1])) == pytest.approx([1.0] * 4)  # the bands fill the height
    assert ax.get_xlim() == pytest.approx((0.0, 6.5))
    assert ax.get_ylim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(LABELS)


def _video(windows: list[tuple[float, float]], frame_times: list[float], faces: bool = True) -> VideoResult:
    audio = _result(windows)
    rng = np.random.default_rng(3)
    face_labels = [label for label in LABELS if label != "calm"]
    frames = [FrameFaces(t, [FaceResult((0, 0, 10, 10), 1.0, dict(zip(face_labels, rng.dirichlet(np.ones(7)))))]
                         if faces else []) for t in frame_times]
    windows = [FusedWindow(w.start, w.end, w.probs, ("audio", "face")) for w in audio.windows]
    fused = FusedResult(audio.probs, ("audio", "face"), windows)
    return VideoResult(duration=windows[-1].end, audio=audio, frames=frames, fused=fused, notes=[])


def test_video_timeline_puts_the_fused_reading_on_top_with_one_legend():
    fig = video_timeline_figure(_video([(0.0, 3.0), (1.5, 4.5)], [0.1 * i for i in range(40)]))
    fused, voice, face = fig.axes
    assert "together" in fused.get_title() and voice.get_title().startswith("Voice") and face.get_title().startswith("Face")
    assert fused.get_position().height > 1.5 * voice.get_position().height
    assert [band.get_label() for band in face.collections] == [label for label in LABELS if label != "calm"]
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == list(LABELS)  # every label once, for all panels


def test_a_lone_window_fills_its_span():
    fig = video_timeline_figure(_video([(0.0, 2.2)], [0.2 * i for i in range(10)]))
    band = fig.axes[0].collections[0]
    assert list(band.get_paths()[0].vertices[1:3, 0]) == pytest.approx([0.0, 2.2])


def test_figures_are_not_registered_with_pyplot():
    """A server that renders a figure per request must not accumulate them in pyplot's registry."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    mfcc_figure(_analysed(1.0, FeatureSpec()))
    timeline_figure(_result([(0.0, 3.0), (1.5, 4.5)]))
    assert plt.get_fignums() == before
