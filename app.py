"""The Gradio app (Hugging Face Space entry point): emotion from a voice and from faces.

All analysis lives in emotion_core; this module only wires components to it and turns failures
into messages a person can act on.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import gradio as gr
import numpy as np
from matplotlib.figure import Figure

from emotion_core import Analyzer
from emotion_core.errors import InputError, user_message
from emotion_core.live import LiveSession
from emotion_core.model_set import ModelSet
from emotion_core.overlay import annotate
from emotion_core.plots import mfcc_figure, timeline_figure, video_timeline_figure
from emotion_core.report import result_json
from emotion_core.results import ImageResult, VideoResult
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

# Analyses of files and recordings take turns in one queue slot (the Analyzer also serialises
# model calls, since the interpreters are not thread-safe). Live streams are not in that queue:
# a stream holds its slot for as long as it runs, so it would lock everyone else out.
ANALYSIS_QUEUE = "analysis"

# Caps on what one visitor may send as a video: a public Space shares its two cores.
MAX_VIDEO_MB = 200
MAX_VIDEO_SECONDS = 120.0
LIVE_FRAME_SECONDS = 0.1  # how often the Live tab's webcam sends a frame
LIVE_SOUND_SECONDS = 0.5  # how often the Live tab's microphone sends a chunk

VIDEO_TYPES = ["video", ".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v"]


def _fail(what: str, path: str | None, exc: Exception) -> gr.Error:
    """The message a visitor sees: the reason for bad input, nothing internal (which is logged)."""
    if isinstance(exc, InputError):
        logger.info("rejected %s %s: %s", what, path, exc)
        return gr.Error(f"Cannot analyse this {what}: {exc}.", print_exception=False)
    logger.error("%s analysis failed for %s", what, path, exc_info=exc)
    return gr.Error(f"{user_message(exc).capitalize()}.", print_exception=False)


def _warn(notes: list[str]) -> None:
    for note in notes:
        gr.Warning(note[0].upper() + note[1:] + ".")


def analyze(path: str | None, progress: gr.Progress = gr.Progress()) -> tuple[dict | None, Figure, gr.Plot, dict]:
    """Distribution, MFCC figure, timeline (visible only for several windows) and the full result."""
    if path is None:
        raise gr.Error("No audio yet: record something or choose a file, then press Analyze.", print_exception=False)
    try:
        progress(0.0, desc="Decoding and reading the voice")
        result = ANALYZER.analyze_audio(path)
        progress(0.8, desc="Drawing plots")
        mfcc_plot = mfcc_figure(result.samples, SPEC)
        several = len(result.windows) > 1
        timeline = gr.Plot(value=timeline_figure(result) if several else None, visible=several)
    except Exception as exc:
        raise _fail("audio", path, exc) from exc
    if result.abstain:
        gr.Warning("No speech detected: the recording holds no voice to read, so it gets no emotion.")
    return result.probs, mfcc_plot, timeline, result_json(result, models=ANALYZER.model_set.source)


def analyze_image(path: str | None, webcam: bool) -> tuple[np.ndarray, dict | None, dict]:
    """The image with every face boxed, the main (largest) face's distribution and the full result."""
    if path is None:
        source = "take a snapshot" if webcam else "choose an image"
        raise gr.Error(f"No image yet: {source}, then press Analyze.", print_exception=False)
    try:
        result: ImageResult = ANALYZER.analyze_image(path, webcam=webcam)
    except Exception as exc:
        raise _fail("image", path, exc) from exc
    report = result_json(result, models=ANALYZER.model_set.source)
    if not result.faces:
        gr.Warning("No face found: face the camera, with your whole face in the frame and in good light.")
        return result.rgb, None, report
    return annotate(result.rgb, result.faces), result.faces[0].probs, report


def analyze_webcam(path: str | None) -> tuple[np.ndarray, dict | None, dict]:
    return analyze_image(path, webcam=True)


def analyze_uploaded_image(path: str | None) -> tuple[np.ndarray, dict | None, dict]:
    return analyze_image(path, webcam=False)


def analyze_video(path: str | None, progress: gr.Progress = gr.Progress()) -> tuple:
    """Fused, voice and face distributions, the frame to show, the MFCC plot, the timeline, the result."""
    if path is None:
        raise gr.Error("No video yet: record a clip or choose a file, then press Analyze.", print_exception=False)
    try:
        if os.path.getsize(path) > MAX_VIDEO_MB * 1_000_000:
            raise InputError(f"the file is {os.path.getsize(path) / 1e6:.1f} MB; the limit is {MAX_VIDEO_MB} MB")
        result: VideoResult = ANALYZER.analyze_video(
            path, max_seconds=MAX_VIDEO_SECONDS, progress=lambda fraction, stage: progress(fraction, desc=stage)
        )
        progress(0.97, desc="Drawing plots")
        timeline = gr.Plot(value=video_timeline_figure(result), visible=True)
        audio = result.audio
        mfcc_plot = mfcc_figure(audio.samples, SPEC) if audio else gr.Plot(value=None, visible=False)
    except Exception as exc:
        raise _fail("video", path, exc) from exc
    _warn(result.notes)
    frame = result.keyframe
    shown = annotate(frame.rgb, frame.faces) if frame and frame.faces else (frame.rgb if frame else None)
    return (
        result.fused.probs,
        audio.probs if audio else None,
        result.face_probs,
        shown,
        mfcc_plot,
        timeline,
        result_json(result, models=ANALYZER.model_set.source),
    )


def new_live_session() -> LiveSession:
    return LiveSession(ANALYZER)


def _live_fused(session: LiveSession) -> tuple[dict | None, str]:
    return session.fused()[0], session.status()


def live_frame(frame: np.ndarray | None, session: LiveSession) -> tuple:
    """One webcam frame of the Live tab: boxed and labelled, with the face and fused readings."""
    if frame is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    try:
        faces = session.add_frame(frame)
    except Exception as exc:
        raise _fail("webcam frame", None, exc) from exc
    return (annotate(frame, faces), faces[0].probs if faces else None, *_live_fused(session))


def live_sound(chunk: tuple[int, np.ndarray] | None, session: LiveSession) -> tuple:
    """One microphone chunk of the Live tab: the voice over the last window, and the fused reading."""
    if chunk is None:
        return gr.skip(), gr.skip(), gr.skip()
    try:
        voice = session.add_sound(*chunk)
    except Exception as exc:
        raise _fail("microphone sound", None, exc) from exc
    return (voice, *_live_fused(session))


def _show(voice: bool, face: bool, fused: bool):
    """Only the outputs of the chosen input are shown; the timeline waits for the analysis."""
    return lambda: (
        gr.Column(visible=voice), gr.Column(visible=face), gr.Column(visible=fused), gr.Plot(visible=False), gr.Plot(visible=voice)
    )


def build() -> gr.Blocks:
    """The page: one tab per input source; below them, the outputs of the input last analysed."""
    with gr.Blocks(title="emotion-stream", analytics_enabled=False) as demo:
        gr.Markdown(
            "# emotion-stream\nTells the emotion in a voice and in a face, and in both together: record "
            "yourself, take a webcam snapshot or clip, go live, or upload a recording, a photo or a video.\n\n"
            f"Model set: **{ANALYZER.model_set.source}**. The outputs are estimates from models trained "
            "on acted speech and posed faces, so real, everyday emotion may read differently."
        )
        with gr.Tabs():
            with gr.Tab("Live"):
                session = gr.State()
                with gr.Row():
                    with gr.Column():
                        live_cam = gr.Image(sources=["webcam"], streaming=True, label="Webcam", elem_id="live_cam")
                        live_mic = gr.Audio(sources=["microphone"], streaming=True, label="Microphone", elem_id="live_mic")
                    with gr.Column():
                        # JPEG: Gradio encodes every streamed frame, and WebP (its default) takes over ten
                        # times as long at 640x480 (encode_frame_* in bench/results/video_speed.json).
                        live_faces = gr.Image(label="Faces", interactive=False, format="jpeg", elem_id="live_faces")
                        live_status = gr.Markdown("Start the webcam and the microphone.", elem_id="live_status")
                        live_fused = gr.Label(num_top_classes=7, label="Voice and face together", elem_id="live_fused_label")
                        with gr.Row():
                            live_voice = gr.Label(num_top_classes=3, label="Voice (last 3 s)", elem_id="live_voice_label")
                            live_face = gr.Label(num_top_classes=3, label="Face", elem_id="live_face_label")
            with gr.Tab("Microphone"):
                mic = gr.Audio(sources=["microphone"], type="filepath", label="Record your voice")
                mic_button = gr.Button("Analyze", variant="primary")
            with gr.Tab("Webcam"):
                with gr.Row():
                    with gr.Column():
                        webcam = gr.Image(sources=["webcam"], type="filepath", label="Take a snapshot", elem_id="snapshot")
                        webcam_button = gr.Button("Analyze snapshot", variant="primary")
                    with gr.Column():
                        webcam_video = gr.Video(
                            sources=["webcam"], include_audio=True, label="Record a clip with sound", elem_id="webcam_video"
                        )
                        webcam_video_button = gr.Button("Analyze clip", variant="primary", elem_id="webcam_video_button")
            with gr.Tab("Upload"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.Audio(
                            sources=["upload"], type="filepath", label="Audio file (wav, flac, mp3, ogg/opus, webm, m4a)"
                        )
                        upload_button = gr.Button("Analyze audio", variant="primary")
                    with gr.Column():
                        # A file, not gr.Image: gr.Image decodes uploads itself and fails with a generic
                        # message on a broken file; emotion_core's loader gives a clear one.
                        image = gr.File(file_types=["image"], type="filepath", label="Photo (jpg, png, webp, bmp, tiff, ...)")
                        image_button = gr.Button("Analyze image", variant="primary")
                    with gr.Column():
                        # A file, not gr.Video: gr.Video converts what the browser cannot play before we see it.
                        video = gr.File(
                            file_types=VIDEO_TYPES, type="filepath",
                            label=f"Video (mp4, webm, mov, mkv, avi; up to {MAX_VIDEO_SECONDS / 60:.0f} min, {MAX_VIDEO_MB} MB)",
                        )
                        video_button = gr.Button("Analyze video", variant="primary")
        with gr.Column(visible=False) as fused_box:
            gr.Markdown("### Voice and face together")
            fused_label = gr.Label(num_top_classes=7, label="Voice and face together", elem_id="fused_label")
        with gr.Row():
            with gr.Column(visible=False) as voice_box:
                gr.Markdown("### Voice")
                voice_label = gr.Label(num_top_classes=8, label="Emotion in the voice", elem_id="voice_label")
                mfcc_plot = gr.Plot(label="MFCC")
            with gr.Column(visible=False) as face_box:
                gr.Markdown("### Face")
                faces_image = gr.Image(label="Faces found", interactive=False, format="png", elem_id="faces_image")
                face_label = gr.Label(num_top_classes=7, label="Emotion of the main (largest) face", elem_id="face_label")
        timeline = gr.Plot(label="Timeline", visible=False, elem_id="timeline")
        report = gr.JSON(label="Full result", elem_id="report")

        boxes = [voice_box, face_box, fused_box, timeline, mfcc_plot]
        audio_outputs = [voice_label, mfcc_plot, timeline, report]
        image_outputs = [faces_image, face_label, report]
        video_outputs = [fused_label, voice_label, face_label, faces_image, mfcc_plot, timeline, report]
        events = [
            (mic_button, analyze, mic, audio_outputs, "analyze_microphone", _show(True, False, False)),
            (upload_button, analyze, upload, audio_outputs, "analyze_audio", _show(True, False, False)),
            (webcam_button, analyze_webcam, webcam, image_outputs, "analyze_webcam", _show(False, True, False)),
            (image_button, analyze_uploaded_image, image, image_outputs, "analyze_image", _show(False, True, False)),
            (video_button, analyze_video, video, video_outputs, "analyze_video", _show(True, True, True)),
            (webcam_video_button, analyze_video, webcam_video, video_outputs, "analyze_recording", _show(True, True, True)),
        ]
        for button, fn, source, outputs, api_name, show in events:
            button.click(show, outputs=boxes, queue=False, api_visibility="private").then(
                fn, inputs=source, outputs=outputs, api_name=api_name, concurrency_id=ANALYSIS_QUEUE
            )
        live_cam.stream(
            live_frame, inputs=[live_cam, session], outputs=[live_faces, live_face, live_fused, live_status],
            stream_every=LIVE_FRAME_SECONDS, concurrency_limit=None, api_visibility="private",
        )
        live_mic.stream(
            live_sound, inputs=[live_mic, session], outputs=[live_voice, live_fused, live_status],
            stream_every=LIVE_SOUND_SECONDS, concurrency_limit=None, api_visibility="private",
        )
        demo.load(new_live_session, outputs=session, api_visibility="private")
    return demo


demo = build()

if __name__ == "__main__":
    demo.launch()
