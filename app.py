"""The Gradio app (Hugging Face Space entry point): emotion from a recorded or uploaded voice.

All analysis lives in emotion_core; this module only wires components to it and turns failures
into messages a person can act on.
"""

from __future__ import annotations

import logging

import gradio as gr
from matplotlib.figure import Figure

from emotion_core import Analyzer, AudioError
from emotion_core.audio import SAMPLE_RATE, load_audio
from emotion_core.plots import mfcc_figure, timeline_figure
from emotion_core.speech import SpeechModel
from hub.fetch import resolve_model_set

# Space logs show every model-set step (hub/ logs at INFO) and this app's warnings, not the
# per-request INFO chatter of the HTTP libraries.
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("hub").setLevel(logging.INFO)
logger = logging.getLogger(__name__)

# Built once at import: every request shares the loaded models. The set comes from the Hub repo in
# EMOTION_MODEL_REPO when it verifies and its speech model loads, else from the cache, else the
# embedded defaults (hub/fetch.py). Touching `speech` here loads the model now, so a broken
# embedded set stops the app at start-up instead of failing the first visitor.
ANALYZER = Analyzer(resolve_model_set(check=SpeechModel))
SPEC = ANALYZER.speech.spec

# The LiteRT interpreter is not thread-safe, so both analysis events share one queue slot.
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


def build() -> gr.Blocks:
    """The page: one tab per input source, one shared set of outputs below them."""
    with gr.Blocks(title="emotion-stream", analytics_enabled=False) as demo:
        gr.Markdown(
            "# emotion-stream\nTells the emotion in a voice: record yourself or upload a recording.\n\n"
            f"Model set: **{ANALYZER.model_set.source}**. The outputs are estimates from a model trained "
            "on acted speech, so real, everyday emotion may read differently."
        )
        with gr.Tabs():
            with gr.Tab("Microphone"):
                mic = gr.Audio(sources=["microphone"], type="filepath", label="Record your voice")
                mic_button = gr.Button("Analyze", variant="primary")
            with gr.Tab("Upload"):
                upload = gr.Audio(
                    sources=["upload"],
                    type="filepath",
                    label="Audio file (wav, flac, mp3, ogg/opus, webm, m4a)",
                )
                upload_button = gr.Button("Analyze", variant="primary")
        distribution = gr.Label(num_top_classes=8, label="Emotion")
        mfcc_plot = gr.Plot(label="MFCC")
        timeline = gr.Plot(label="Timeline", visible=False)
        report = gr.JSON(label="Full result")
        outputs = [distribution, mfcc_plot, timeline, report]
        mic_button.click(
            analyze, inputs=mic, outputs=outputs, api_name="analyze_microphone", concurrency_id=ANALYSIS_QUEUE
        )
        upload_button.click(
            analyze, inputs=upload, outputs=outputs, api_name="analyze_audio", concurrency_id=ANALYSIS_QUEUE
        )
    return demo


demo = build()

if __name__ == "__main__":
    demo.launch()
