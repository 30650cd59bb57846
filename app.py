"""The Gradio app (Hugging Face Space entry point): emotion from a voice and from faces.

All analysis lives in emotion_core; this module only wires components to it and turns failures
into messages a person can act on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr
import numpy as np
from matplotlib.figure import Figure

from emotion_core import Analyzer, AudioError
from emotion_core.audio import SAMPLE_RATE, load_audio
from emotion_core.image import ImageError, load_image
from emotion_core.model_set import ModelSet
from emotion_core.overlay import annotate
from emotion_core.plots import mfcc_figure, timeline_figure
from hub.fetch import resolve_model_set

# Space logs show every model-set step (hub/ logs at INFO) and this app's warnings, not the
# per-request INFO chatter of the HTTP libraries.
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("hub").setLevel(logging.INFO)
logger = logging.getLogger(__name__)

# Built once at import: every request shares the loaded models. The set comes from the Hub repo in
# EMOTION_MODEL_REPO when it verifies and all its models load, else from the cache, else the
# embedded defaults (hub/fetch.py). Loading everything here means a broken embedded set stops the
# app at start-up instead of failing the first visitor.
_CHECKED: dict[Path, Analyzer] = {}


def _load_all(model_set: ModelSet) -> None:
    """The check a fetched set must pass: every model loads. The loaded models are kept for use."""
    _CHECKED[model_set.folder] = Analyzer(model_set).load()


_MODEL_SET = resolve_model_set(check=_load_all)
ANALYZER = _CHECKED.get(_MODEL_SET.folder) or Analyzer(_MODEL_SET).load()
SPEC = ANALYZER.speech.spec

# The LiteRT interpreter and the MediaPipe detector are not thread-safe: all analysis events share one queue slot.
ANALYSIS_QUEUE = "analysis"


def analyze(path: str | None, progress: gr.Progress = gr.Progress()) -> tuple[dict, Figure, gr.Plot, dict]:
    """Distribution, MFCC figure, timeline (visible only for several windows) and the full result."""
    if path is None:
        raise gr.Error(
            "No audio yet: record something or choose a file, then press Analyze.", print_exception=False
        )
    try:
        progress(0.0, desc="Decoding audio")
        audio = load_audio(path)
        progress(0.2, desc=f"Analysing {audio.shape[0] / SAMPLE_RATE:.1f} s of audio")
        result = ANALYZER.analyze_audio((SAMPLE_RATE, audio))
        progress(0.8, desc="Drawing plots")
        mfcc_plot = mfcc_figure(audio, SPEC)
        several = len(result.windows) > 1
        timeline = gr.Plot(value=timeline_figure(result) if several else None, visible=several)
    except AudioError as exc:
        logger.info("rejected input %s: %s", path, exc)
        raise gr.Error(f"Cannot analyse this audio: {exc}.", print_exception=False) from exc
    except Exception as exc:  # anything else is our fault: log it, show no internals
        logger.exception("analysis failed for %s", path)
        message = "Something went wrong while analysing this audio; please try another file."
        raise gr.Error(message, print_exception=False) from exc
    report = {"kind": "audio", "audio": result.to_dict(), "models": ANALYZER.model_set.source}
    return result.probs, mfcc_plot, timeline, report


def analyze_image(path: str | None, webcam: bool) -> tuple[np.ndarray, dict | str, dict]:
    """The image with every face boxed, the main (largest) face's distribution and the full result."""
    if path is None:
        source = "take a snapshot" if webcam else "choose an image"
        raise gr.Error(f"No image yet: {source}, then press Analyze.", print_exception=False)
    try:
        rgb = load_image(path)
        result = ANALYZER.analyze_image(rgb, webcam=webcam)
    except ImageError as exc:
        logger.info("rejected image %s: %s", path, exc)
        raise gr.Error(f"Cannot analyse this image: {exc}.", print_exception=False) from exc
    except Exception as exc:
        logger.exception("face analysis failed for %s", path)
        raise gr.Error("Something went wrong while analysing this image; please try another one.", print_exception=False) from exc
    report = {"kind": "image", **result.to_dict(), "models": ANALYZER.model_set.source}
    if not result.faces:
        gr.Warning("No face found: face the camera, with your whole face in the frame and in good light.")
        return rgb, "No face found", report
    return annotate(rgb, result.faces), result.faces[0].probs, report


def analyze_webcam(path: str | None) -> tuple[np.ndarray, dict | str, dict]:
    return analyze_image(path, webcam=True)


def analyze_uploaded_image(path: str | None) -> tuple[np.ndarray, dict | str, dict]:
    return analyze_image(path, webcam=False)


def build() -> gr.Blocks:
    """The page: one tab per input source; below them, the voice outputs beside the face outputs."""
    with gr.Blocks(title="emotion-stream", analytics_enabled=False) as demo:
        gr.Markdown(
            "# emotion-stream\nTells the emotion in a voice and in faces: record yourself, take a "
            "webcam snapshot, or upload a recording or a photo.\n\n"
            f"Model set: **{ANALYZER.model_set.source}**. The outputs are estimates from models trained "
            "on acted speech and posed faces, so real, everyday emotion may read differently."
        )
        with gr.Tabs():
            with gr.Tab("Microphone"):
                mic = gr.Audio(sources=["microphone"], type="filepath", label="Record your voice")
                mic_button = gr.Button("Analyze", variant="primary")
            with gr.Tab("Webcam"):
                webcam = gr.Image(sources=["webcam"], type="filepath", label="Take a snapshot")
                webcam_button = gr.Button("Analyze", variant="primary")
            with gr.Tab("Upload"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.Audio(
                            sources=["upload"],
                            type="filepath",
                            label="Audio file (wav, flac, mp3, ogg/opus, webm, m4a)",
                        )
                        upload_button = gr.Button("Analyze audio", variant="primary")
                    with gr.Column():
                        # A file, not gr.Image: gr.Image decodes uploads itself and fails with a generic
                        # message on a broken file; emotion_core's loader gives a clear one.
                        image = gr.File(file_types=["image"], type="filepath", label="Photo (jpg, png, webp, bmp, tiff, ...)")
                        image_button = gr.Button("Analyze image", variant="primary")
        with gr.Row():
            with gr.Column():
                gr.Markdown("### Voice")
                distribution = gr.Label(num_top_classes=8, label="Emotion in the voice")
                mfcc_plot = gr.Plot(label="MFCC")
                timeline = gr.Plot(label="Timeline", visible=False)
                report = gr.JSON(label="Full voice result")
            with gr.Column():
                gr.Markdown("### Faces")
                faces_image = gr.Image(label="Faces found", interactive=False, format="png")
                face_distribution = gr.Label(num_top_classes=7, label="Emotion of the main (largest) face")
                face_report = gr.JSON(label="Full face result (every face)")
        outputs = [distribution, mfcc_plot, timeline, report]
        face_outputs = [faces_image, face_distribution, face_report]
        mic_button.click(
            analyze, inputs=mic, outputs=outputs, api_name="analyze_microphone", concurrency_id=ANALYSIS_QUEUE
        )
        upload_button.click(
            analyze, inputs=upload, outputs=outputs, api_name="analyze_audio", concurrency_id=ANALYSIS_QUEUE
        )
        webcam_button.click(
            analyze_webcam, inputs=webcam, outputs=face_outputs, api_name="analyze_webcam", concurrency_id=ANALYSIS_QUEUE
        )
        image_button.click(
            analyze_uploaded_image, inputs=image, outputs=face_outputs, api_name="analyze_image",
            concurrency_id=ANALYSIS_QUEUE,
        )
    return demo


demo = build()

if __name__ == "__main__":
    demo.launch()
