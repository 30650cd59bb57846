"""The Gradio app (Hugging Face Space entry point): emotion from a voice and from faces.

All analysis lives in emotion_core; this module only wires components to it and turns failures
into messages a person can act on.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

# One BLAS thread, set before numpy loads: the server runs several requests at once, and OpenBLAS's
# second thread only spun beside the first, doubling the CPU time of an audio analysis and of its
# figures without making either faster.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gradio as gr
import numpy as np
import pandas as pd
from gradio import processing_utils

from emotion_core import Analyzer, limits
from emotion_core.baseline import Baseline
from emotion_core.describe import paragraphs
from emotion_core.errors import InputError, log_failure, user_message
from emotion_core.face.face import import_mediapipe
from emotion_core.labels import LABELS
from emotion_core.limits import duration_text
from emotion_core.live import LiveSession
from emotion_core.model_set import ModelSet
from hub.card import model_card_text
from hub.fetch import resolve_model_set
from space.overlay import annotate
from space.pacing import Pacer
from space.processes import WorkerPool
from space.recording import with_duration
from space.views import (
    AudioView,
    ImageView,
    VideoView,
    audio_view,
    baseline_of,
    image_view,
    save_timeline,
    video_view,
)

# Space logs show every model-set step (hub/ logs at INFO) and this app's warnings, not the
# per-request INFO chatter of the HTTP libraries.
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("hub").setLevel(logging.INFO)
logger = logging.getLogger(__name__)

# How many analyses of files and recordings run at once, each in a worker process of its own
# (space/processes.py), and how many events the analysis queue lets through together.
# Chosen by measurement on the Space's 2 cores (bench/load.py; README "How it holds up").
# A value that is not a positive number falls back to 2, with a logged reason.
ANALYSIS_WORKERS = limits.env_number(os.environ, "EMOTION_WORKERS", 2, int)
# The Live tab's frames and sound chunks are analysed in this process, by threads that each take
# one of these workers' models per call: a frame is too small a job to send to another process.
LIVE_WORKERS = 2

# Set by start(), once: importing this module starts no process and loads no model.
POOL: WorkerPool | None = None
ANALYZER: Analyzer | None = None
demo: gr.Blocks | None = None


def _models_and_workers() -> tuple[WorkerPool, Analyzer]:
    """Fork the workers, then load the models every request shares.

    The workers are forked first, before any model, server or download starts a thread; MediaPipe
    is imported before that, so that they share the import instead of each paying for it
    (bench/cold_start.py). The set comes from the Hub repo in EMOTION_MODEL_REPO when it verifies
    and all its models load, else from the cache, else the embedded defaults (hub/fetch.py), and
    everything loads here, so a broken embedded set stops the app at start-up instead of failing
    the first visitor.
    """
    import_mediapipe()
    pool = WorkerPool(ANALYSIS_WORKERS)
    checked: dict[Path, Analyzer] = {}

    def load_all(model_set: ModelSet) -> None:
        """The check a fetched set must pass: every model loads. The loaded models are kept for use."""
        checked[model_set.folder] = Analyzer(model_set, workers=LIVE_WORKERS).load()

    model_set = resolve_model_set(check=load_all)
    pool.load(model_set.folder, model_set.source)  # the workers load while this process does
    analyzer = checked.get(model_set.folder) or Analyzer(model_set, workers=LIVE_WORKERS).load()
    pool.wait_ready()
    return pool, analyzer


# Where the workers write figures and boxed images: Gradio's own cache, which it serves without
# copying and from which delete_cache removes them (see build()).
FIGURES = Path(gr.utils.get_upload_folder())
FIGURES.mkdir(parents=True, exist_ok=True)

# Analyses of files and recordings share one queue of ANALYSIS_WORKERS slots, one per worker
# process. Live streams are not in that queue: a stream holds its slot for as long as it runs, so
# it would lock everyone else out.
ANALYSIS_QUEUE = "analysis"

# Caps on what one visitor may send (a public Space shares its two cores) are all in
# emotion_core/limits.py, read from EMOTION_MAX_* variables; read there at call time, never copied.
LIVE_FRAME_SECONDS = 0.05  # how often the Live tab's webcam sends a frame
LIVE_SOUND_SECONDS = 0.5  # how often the Live tab's microphone sends a chunk

# Real media the project may ship: NASA's portrait of astronaut Eileen Collins (public domain), as
# scikit-image bundles it. The data sets' recordings may not be published in a Space, so there is no
# voice example.
EXAMPLE_PHOTOS = [Path(__file__).parent / "examples" / "astronaut.jpg"]
EXAMPLE_CREDIT = "astronaut Eileen Collins (NASA, public domain)"

TOP_SHOWN = 3  # emotions listed under each result's label; the endpoints still return every one
FACES_HEIGHT = 320  # px, the annotated picture in the result

VIDEO_TYPES = ["video", ".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v"]


def _fail(what: str, path: str | None, exc: Exception) -> gr.Error:
    """The message a visitor sees: the reason for bad input, nothing internal. Both are logged: a
    rejection as one WARNING line, a failure of ours with its traceback."""
    log_failure(logger, f"{what} {path or ''}".strip(), exc)
    if isinstance(exc, InputError):
        # Kept on screen until closed: it is the only place that says what was wrong with the file.
        return gr.Error(f"Cannot analyse this {what}: {exc}.", print_exception=False, duration=None)
    return gr.Error(f"{user_message(exc).capitalize()}.", print_exception=False)


def _check_size(path: str) -> None:
    """Refuse a file over the upload limit (Gradio refuses larger uploads; this covers the rest)."""
    size, limit = os.path.getsize(path), limits.LIMITS.max_upload_mb
    if size > limits.LIMITS.max_upload_bytes:
        raise InputError(f"the file is {size / 1e6:.1f} MB; the limit is {limit:g} MB")


def undecoded(component: gr.components.Component) -> gr.components.Component:
    """`component`, made to hand the app the file it received as sent, as gr.File does uploads.

    gr.Image.preprocess (Gradio 6.31, image_utils.preprocess_image) opens every file with Pillow
    and, with type="filepath", still decodes and converts any image whose mode is not image_mode:
    an unreadable snapshot failed with Gradio's generic message, a 20 KB PNG declaring a huge image
    was decoded (0.7 GB) before the app could check its size, and a 16-bit image was clipped to
    white and lost its face. gr.Video.preprocess re-encodes every webcam clip with the ffmpeg
    binary to mirror it, which a reading does not need. The app's own loaders (emotion_core) check,
    decode and report instead, with the messages uploads get. An instance attribute, not a
    subclass: Gradio writes a .pyi stub beside the module of every component subclass.
    """

    def preprocess(payload) -> str | None:
        if payload is None:
            return None
        if payload.path is None and payload.url and payload.url.startswith("data:"):  # base64: saved as is
            return processing_utils.save_base64_to_cache(payload.url, component.GRADIO_CACHE)
        return payload.path

    component.preprocess = preprocess
    return component


def _baseline(value: dict | None) -> Baseline | None:
    """The visitor's personal baseline from the page (or an API caller's JSON); a malformed one
    is refused with a message, never used half-read."""
    try:
        return Baseline.from_dict(value)
    except ValueError as exc:
        raise gr.Error(f"The personal baseline is not usable: {exc}. Clear it and set it again.",
                       print_exception=False) from exc


# A reading under its "uncertain" threshold keeps its distribution (the API's value is unchanged) but
# says so in its heading and is drawn faded, so it never looks like a confident answer.
FUSED_TITLE, VOICE_TITLE, FACE_TITLE = ("Voice and face together", "Emotion in the voice",
                                       "Emotion of the main (largest) face")
# The result labels list their top TOP_SHOWN emotions on the page (CSS, so that the endpoints' values,
# which gr.Label's num_top_classes would cut, keep the whole distribution).
TOP_CLASS = "top-few"
CSS = (".uncertain [data-testid='label-output-value'] {opacity: 0.5; font-style: italic;}\n"
       f".{TOP_CLASS} .container > button:nth-of-type(n+{TOP_SHOWN + 1}) {{display: none;}}")


def _heading(channel: dict | None, title: str) -> gr.Label:
    """A heading-only update of one channel's label (`channel`: its part of the full result)."""
    if channel and channel.get("abstain") == "uncertain":
        return gr.Label(label=f"{title}: uncertain, the top emotion is only a lean", elem_classes=["uncertain", TOP_CLASS])
    return gr.Label(label=title, elem_classes=[TOP_CLASS])


FACE_COLUMNS = ["face", "emotion", "probability", "reading", "box (x, y, width, height)"]


def faces_table(report: dict) -> gr.Dataframe:
    """Every face of a photo or snapshot with its own reading, numbered as on the picture; shown
    when there is more than one (the label above holds the main face's)."""
    faces = (report.get("faces") or []) if report.get("kind") == "image" else []
    rows = [[i + 1, f["label"], round(f["probs"][f["label"]], 2), f["abstain"] or "", ", ".join(map(str, f["box"]))]
            for i, f in enumerate(faces)]
    return gr.Dataframe(value=rows or None, headers=FACE_COLUMNS, visible=len(rows) > 1)


def mark_uncertain(report: dict) -> tuple[gr.Label, gr.Label, gr.Label]:
    """After an analysis (a private step, so the endpoints' values stay plain distributions): the
    fused, voice and face headings say when their reading is uncertain, and the label is faded."""
    faces = report.get("faces")
    face = report.get("face") or (faces[0] if faces else None)
    return (_heading(report.get("fused"), FUSED_TITLE), _heading(report.get("audio"), VOICE_TITLE),
            _heading(face, FACE_TITLE))


def analyze(path: str | None, baseline: dict | None = None, progress: gr.Progress = gr.Progress()) -> tuple:
    """Distribution, MFCC figure, timeline (shown only for several windows) and the full result."""
    if path is None:
        raise gr.Error("No audio yet: record something or choose a file, then press Analyze.", print_exception=False)
    relative_to = _baseline(baseline)
    try:
        _check_size(path)
        view: AudioView = POOL.run(audio_view, path, str(FIGURES), relative_to,
                                   progress=lambda fraction, stage: progress(fraction, desc=stage))
    except Exception as exc:
        raise _fail("audio", path, exc) from exc
    if view.no_speech:
        gr.Warning("No speech detected: the recording holds no voice to read, so it gets no emotion.")
    timeline = gr.Image(value=view.timeline, visible=view.timeline is not None)
    return view.probs, view.mfcc, timeline, view.report


def analyze_image(path: str | None, webcam: bool, baseline: dict | None = None) -> tuple[str, dict | None, dict]:
    """The image with every face boxed, the main (largest) face's distribution and the full result."""
    if path is None:
        source = "take a snapshot" if webcam else "choose an image"
        raise gr.Error(f"No image yet: {source}, then press Analyze.", print_exception=False)
    relative_to = _baseline(baseline)
    try:
        _check_size(path)
        view: ImageView = POOL.run(image_view, path, str(FIGURES), webcam, relative_to)
    except Exception as exc:
        raise _fail("image", path, exc) from exc
    if not view.faces:
        gr.Warning("No face found: face the camera, with your whole face in the frame and in good light.")
    return view.image, view.probs, view.report


def analyze_webcam(path: str | None, baseline: dict | None = None) -> tuple[str, dict | None, dict]:
    return analyze_image(path, True, baseline)


def analyze_uploaded_image(path: str | None, baseline: dict | None = None) -> tuple[str, dict | None, dict]:
    return analyze_image(path, False, baseline)


def analyze_video(path: str | None, baseline: dict | None = None, progress: gr.Progress = gr.Progress()) -> tuple:
    """Fused, voice and face distributions, the frame to show, the MFCC figure, the timeline, the result."""
    if path is None:
        raise gr.Error("No video yet: record a clip or choose a file, then press Analyze.", print_exception=False)
    relative_to = _baseline(baseline)
    try:
        _check_size(path)
        view: VideoView = POOL.run(video_view, path, str(FIGURES), relative_to,
                                   progress=lambda fraction, stage: progress(fraction, desc=stage))
    except Exception as exc:
        raise _fail("video", path, exc) from exc
    mfcc = view.mfcc if view.mfcc else gr.Image(value=None, visible=False)
    return (view.fused, view.voice, view.face, view.frame, mfcc, gr.Image(value=view.timeline, visible=True),
            view.report, gr.File(value=list(view.downloads), visible=True))


LIVE_PLOT_SECONDS = 60.0  # the Live tab's rolling plot shows the fused reading over this many seconds
LIVE_PLOT_STEP = 0.5  # one point per emotion this often
LIVE_PLOT_EVERY = 2.0  # the plot is redrawn at most this often (space/pacing.py)
LIVE_READINGS_EVERY = 0.3  # the labels and status under the Live picture, at most this often
READINGS_PACE, PLOT_PACE = Pacer(LIVE_READINGS_EVERY), Pacer(LIVE_PLOT_EVERY)


def _fused_rows(session: LiveSession) -> list[dict]:
    return [r for r in session.timeline() if r["channel"] == "fused"]


def _plot_frame(fused: list[dict]) -> pd.DataFrame:
    """The fused reading's probabilities over the last LIVE_PLOT_SECONDS, one point per emotion every
    LIVE_PLOT_STEP seconds (the step's last reading), long-form for gr.LinePlot: drawn in the
    browser, whose cost grows with the points."""
    last = fused[-1]["end"] if fused else 0.0
    steps = {int(r["end"] // LIVE_PLOT_STEP): r for r in fused if r["end"] >= last - LIVE_PLOT_SECONDS}
    points = [(r["end"], label, r[label]) for r in steps.values() for label in LABELS if r[label] is not None]
    return pd.DataFrame(points, columns=["seconds", "emotion", "probability"])


def live_timeline_plot(session: LiveSession) -> pd.DataFrame:
    return _plot_frame(_fused_rows(session))


def live_plot_tick(session: LiveSession):
    """The rolling plot on the timer, only when the session has new readings (its rows read once)."""
    fused = _fused_rows(session)
    if not PLOT_PACE.changed(session, (len(fused), fused[-1]["end"] if fused else None)):
        return gr.skip()
    return _plot_frame(fused)


# "Go live" and "Stop" press the webcam's and the microphone's own buttons in the page, so one
# click starts (or stops) both streams; the camera's Record appears once access is granted.
GO_LIVE_JS = """
async () => {
  const until = async (find, ms) => {
    for (const end = performance.now() + ms; performance.now() < end; await new Promise(r => setTimeout(r, 50))) {
      const found = find(); if (found) return found;
    }
    return null;
  };
  const cam = document.getElementById('live_cam'), mic = document.getElementById('live_mic');
  const button = (root, test) => [...root.querySelectorAll('button')].find(b => b.offsetParent && test(b));
  // The microphone first: it records at once, while the camera still asks for access.
  (await until(() => button(mic, b => b.classList.contains('record-button')), 5000))?.click();
  button(cam, b => b.textContent.includes('Access Webcam'))?.click();
  const record = await until(() => button(cam, b => b.classList.contains('capture-button')), 15000);
  if (record && !record.textContent.includes('Stop')) record.click();
}
"""
STOP_LIVE_JS = """
() => {
  const cam = document.getElementById('live_cam'), mic = document.getElementById('live_mic');
  const record = cam.querySelector('button.capture-button');
  if (record && record.textContent.includes('Stop')) record.click();
  mic.querySelector('button.stop-button')?.click();
}
"""


TAG_LEGEND = ("Tags on the picture: *face number: emotion probability* of that frame, largest face first; "
              "a **?** after the emotion means the reading is under the \"uncertain\" threshold. The labels "
              "below are updated a few times a second, so they can trail the picture by a frame or two.")


def start_live(session: LiveSession) -> str:
    session.start()
    return session.status()


def stop_live(session: LiveSession) -> tuple:
    """The state Stop leaves: the last readings, fused as they were, and the status saying so."""
    session.stop()
    return session.fused()[0], session.status()


def download_live_timeline(session: LiveSession) -> gr.File:
    """The session's timeline as CSV and JSON files."""
    table = session.timeline()
    if not table:
        raise gr.Error("Nothing to download yet: start the webcam or the microphone first.", print_exception=False)
    return gr.File(value=list(save_timeline(table, str(FIGURES), "live")), visible=True)


def clear_live_timeline(session: LiveSession) -> tuple:
    session.clear_timeline()
    return live_timeline_plot(session), gr.File(value=None, visible=False)


def new_live_session() -> LiveSession:
    return LiveSession(ANALYZER)


def _live_fused(session: LiveSession) -> tuple[dict | None, str]:
    return session.fused()[0], session.status()


def live_frame(frame: np.ndarray | None, session: LiveSession, baseline: dict | None = None) -> tuple:
    """One webcam frame of the Live tab: boxed and labelled, with the face and fused readings."""
    if frame is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    try:
        faces = session.add_frame(frame, Baseline.from_dict(baseline))
    except Exception as exc:
        raise _fail("webcam frame", None, exc) from exc
    if session.stopped:  # a frame sent before Stop: the page keeps the state Stop left
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    if not READINGS_PACE.due(session):  # the boxed picture every frame, the readings at their own pace
        return annotate(frame, faces), gr.skip(), gr.skip(), gr.skip()
    return (annotate(frame, faces), faces[0].probs if faces else None, *_live_fused(session))


def live_sound(chunk: tuple[int, np.ndarray] | None, session: LiveSession, baseline: dict | None = None) -> tuple:
    """One microphone chunk of the Live tab: the voice over the last window, and the fused reading."""
    if chunk is None:
        return gr.skip(), gr.skip(), gr.skip()
    try:
        voice = session.add_sound(*chunk, Baseline.from_dict(baseline))
    except Exception as exc:
        raise _fail("microphone sound", None, exc) from exc
    if session.stopped:
        return gr.skip(), gr.skip(), gr.skip()
    return (voice, *_live_fused(session))


NO_BASELINE = ("No personal baseline: readings compare you with the people the models learnt from. To read you "
               "against yourself, be neutral for a few seconds and press **Set my baseline** (Live tab, or under a "
               "webcam snapshot or clip).")


def _baseline_status(baseline: Baseline | None) -> str:
    return NO_BASELINE if baseline is None else baseline.describe() + " Press **Clear baseline** to stop using it."


def set_baseline_from_file(path: str | None) -> tuple[dict, str]:
    """A personal baseline from a snapshot, clip, recording or video of the visitor being neutral.
    It is kept in the visitor's page only (a hidden component), never written to disk."""
    if path is None:
        raise gr.Error("Nothing to learn a baseline from yet: take a snapshot or record a clip of yourself being "
                       "neutral first.", print_exception=False)
    try:
        _check_size(path)
        baseline: Baseline = POOL.run(baseline_of, path)
    except Exception as exc:
        raise _fail("baseline", path, exc) from exc
    return baseline.to_dict(), _baseline_status(baseline)


def set_baseline_live(session: LiveSession) -> tuple[dict, str]:
    """A personal baseline from the Live tab's last seconds of voice and face."""
    baseline = session.fit_baseline() if session is not None else None
    if baseline is None:
        raise gr.Error("Nothing to learn a baseline from yet: go live, then speak or face the camera for a few "
                       "seconds, being neutral, and press Set my baseline again.", print_exception=False)
    return baseline.to_dict(), _baseline_status(baseline)


def clear_baseline() -> tuple[None, str]:
    return None, NO_BASELINE


def _show(voice: bool, face: bool, fused: bool):
    """Only the outputs of the chosen input are shown; the timeline, its downloads and the verdict
    wait for the analysis."""
    return lambda: (
        gr.Column(visible=voice), gr.Column(visible=face), gr.Column(visible=fused), gr.Image(visible=False),
        gr.Image(visible=voice), "", gr.File(value=None, visible=False),
    )


def playable_recording(path: str | None):
    """The webcam clip just recorded, given back to its player with its length known (the
    browser's own recording has none, and the player read "Infinity:NaN")."""
    if path is None:
        return gr.skip()
    return with_duration(path, str(FIGURES))


def verdict(report: dict | None) -> str:
    """The result in plain words (emotion_core/describe.py, as the CLI says it)."""
    return paragraphs(report)


def build() -> gr.Blocks:
    """The page: one tab per input source; below them, the outputs of the input last analysed."""
    keep = limits.LIMITS.upload_ttl_minutes * 60  # uploads and results older than this are deleted
    with gr.Blocks(title="emotion-stream", analytics_enabled=False, delete_cache=(min(600, keep), keep)) as demo:
        gr.Markdown(
            "# emotion-stream\nTells the emotion in a voice and in a face, and in both together: record "
            "yourself, take a webcam snapshot or clip, go live, or upload a recording, a photo or a video.\n\n"
            f"Model set: **{ANALYZER.model_set.source}**. The outputs are estimates from models trained "
            "on acted speech and posed faces, so real, everyday emotion may read differently."
        )
        with gr.Accordion("About the models: intended use, who is in the data, figures, limits", open=False):
            gr.Markdown(model_card_text(ANALYZER.model_set.manifest, ANALYZER.model_set.source), elem_id="model_card")
        # The visitor's personal baseline (emotion_core/baseline.py): a few numbers kept in the page,
        # sent with each analysis, never stored by the server. API callers pass the same JSON.
        baseline = gr.JSON(value=None, visible=False, label="Personal baseline", elem_id="baseline")
        with gr.Row(equal_height=True):
            baseline_status = gr.Markdown(NO_BASELINE, elem_id="baseline_status")
            clear_button = gr.Button("Clear baseline", size="sm", scale=0, min_width=140, elem_id="clear_baseline")
        with gr.Accordion("Personal baseline from a file", open=False):
            with gr.Row():
                baseline_file = gr.File(type="filepath", label="A recording, photo or video of you being neutral",
                                        elem_id="baseline_file")
                file_baseline_button = gr.Button("Set my baseline from this file", elem_id="file_baseline")
        with gr.Tabs():
            with gr.Tab("Live"):
                session = gr.State()
                with gr.Row():
                    go_live_button = gr.Button("Go live: camera and microphone", variant="primary", elem_id="go_live")
                    stop_live_button = gr.Button("Stop", elem_id="stop_live")
                with gr.Row():
                    with gr.Column():
                        live_cam = gr.Image(sources=["webcam"], streaming=True, label="Webcam", elem_id="live_cam")
                        live_mic = gr.Audio(sources=["microphone"], streaming=True, label="Microphone", elem_id="live_mic")
                    with gr.Column():
                        # JPEG: Gradio encodes every streamed frame, and WebP (its default) takes over ten
                        # times as long at 640x480 (encode_frame_* in bench/results/video_speed.json).
                        live_faces = gr.Image(label="Faces", interactive=False, format="jpeg", elem_id="live_faces")
                        gr.Markdown(TAG_LEGEND, elem_id="tag_legend")
                        live_status = gr.Markdown("Press **Go live** to start the webcam and the microphone.",
                                                  elem_id="live_status")
                        live_baseline_button = gr.Button("Set my baseline (last 3 s, be neutral)", elem_id="live_baseline")
                        live_fused = gr.Label(num_top_classes=7, label="Voice and face together", elem_id="live_fused_label")
                        with gr.Row():
                            live_voice = gr.Label(num_top_classes=3, label="Voice (last 3 s)", elem_id="live_voice_label")
                            live_face = gr.Label(num_top_classes=3, label="Face (main face, a few times a second)",
                                                 elem_id="live_face_label")
                live_plot = gr.LinePlot(
                    x="seconds", y="probability", color="emotion", y_lim=[0.0, 1.0], height=220,
                    label=f"Voice and face together, the last {LIVE_PLOT_SECONDS:g} s", elem_id="live_plot",
                )
                with gr.Row():
                    live_download_button = gr.Button("Download the session's timeline (CSV, JSON)",
                                                     size="sm", elem_id="live_download")
                    live_clear_button = gr.Button("Clear the timeline", size="sm", elem_id="live_clear")
                live_downloads = gr.File(label="Session timeline", file_count="multiple", visible=False,
                                         interactive=False, elem_id="live_downloads")
            with gr.Tab("Microphone"):
                mic = gr.Audio(sources=["microphone"], type="filepath", label="Record your voice", elem_id="mic")
                mic_button = gr.Button("Analyze", variant="primary", elem_id="mic_button")
            with gr.Tab("Webcam"):
                with gr.Row():
                    with gr.Column():
                        webcam = undecoded(
                            gr.Image(sources=["webcam"], type="filepath", label="Take a snapshot", elem_id="snapshot")
                        )
                        webcam_button = gr.Button("Analyze snapshot", variant="primary", elem_id="snapshot_button")
                        snapshot_baseline_button = gr.Button("Set my baseline from this snapshot", elem_id="snapshot_baseline")
                    with gr.Column():
                        webcam_video = undecoded(gr.Video(
                            sources=["webcam"], include_audio=True, label="Record a clip with sound", elem_id="webcam_video"
                        ))
                        webcam_video_button = gr.Button("Analyze clip", variant="primary", elem_id="webcam_video_button")
                        clip_baseline_button = gr.Button("Set my baseline from this clip", elem_id="clip_baseline")
            with gr.Tab("Upload"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.Audio(
                            sources=["upload"], type="filepath",
                            label=f"Audio file (wav, flac, mp3, ogg/opus, webm, m4a; up to {duration_text(limits.LIMITS.max_audio_seconds)})",
                            elem_id="upload_audio",
                        )
                        upload_button = gr.Button("Analyze audio", variant="primary", elem_id="upload_audio_button")
                    with gr.Column():
                        # A file, not gr.Image: gr.Image decodes uploads itself and fails with a generic
                        # message on a broken file; emotion_core's loader gives a clear one.
                        image = gr.File(
                            file_types=["image"], type="filepath", label="Photo (jpg, png, webp, bmp, tiff, ...)",
                            elem_id="upload_image",
                        )
                        image_button = gr.Button("Analyze image", variant="primary", elem_id="upload_image_button")
                        gr.Examples([[str(path)] for path in EXAMPLE_PHOTOS], inputs=image, elem_id="photo_examples",
                                    label="Example (click, then Analyze image): " + EXAMPLE_CREDIT)
                    with gr.Column():
                        # A file, not gr.Video: gr.Video converts what the browser cannot play before we see it.
                        video = gr.File(
                            file_types=VIDEO_TYPES, type="filepath",
                            label=f"Video (mp4, webm, mov, mkv, avi; up to {duration_text(limits.LIMITS.max_video_seconds)}, "
                            f"{limits.LIMITS.max_upload_mb:g} MB)",
                            elem_id="upload_video",
                        )
                        video_button = gr.Button("Analyze video", variant="primary", elem_id="upload_video_button")
        verdict_box = gr.Markdown(elem_id="verdict")
        # The three readings side by side, each with its top three (the whole distribution is in the
        # timeline, its downloads and the full result): a video's result fits about two screens.
        with gr.Row():
            with gr.Column(visible=False, elem_id="fused_box") as fused_box:
                gr.Markdown("### Voice and face together")
                fused_label = gr.Label(num_top_classes=7, label=FUSED_TITLE, elem_id="fused_label",
                                       elem_classes=[TOP_CLASS])
            with gr.Column(visible=False, elem_id="voice_box") as voice_box:
                gr.Markdown("### Voice")
                voice_label = gr.Label(num_top_classes=8, label=VOICE_TITLE, elem_id="voice_label",
                                       elem_classes=[TOP_CLASS])
                mfcc_plot = gr.Image(label="MFCC", show_label=False, interactive=False, elem_id="mfcc")
            with gr.Column(visible=False, elem_id="face_box") as face_box:
                gr.Markdown("### Face")
                face_label = gr.Label(num_top_classes=7, label=FACE_TITLE, elem_id="face_label",
                                      elem_classes=[TOP_CLASS])
                faces_image = gr.Image(label="Faces found", interactive=False, height=FACES_HEIGHT, elem_id="faces_image")
                face_rows = gr.Dataframe(headers=FACE_COLUMNS, label="Every face, numbered as on the picture",
                                         interactive=False, visible=False, elem_id="faces_table")
        # The figures carry their own titles; a label would cover them.
        timeline = gr.Image(label="Timeline", show_label=False, visible=False, interactive=False, elem_id="timeline")
        downloads = gr.File(label="Timeline (CSV and JSON): a row per window and channel", file_count="multiple",
                            visible=False, interactive=False, elem_id="downloads")
        with gr.Accordion("Full result (JSON, as the API and the CLI give it)", open=False):
            report = gr.JSON(label="Full result", elem_id="report")

        boxes = [voice_box, face_box, fused_box, timeline, mfcc_plot, verdict_box, downloads]
        audio_outputs = [voice_label, mfcc_plot, timeline, report]
        image_outputs = [faces_image, face_label, report]
        video_outputs = [fused_label, voice_label, face_label, faces_image, mfcc_plot, timeline, report, downloads]
        events = [
            (mic_button, analyze, mic, audio_outputs, "analyze_microphone", _show(True, False, False)),
            (upload_button, analyze, upload, audio_outputs, "analyze_audio", _show(True, False, False)),
            (webcam_button, analyze_webcam, webcam, image_outputs, "analyze_webcam", _show(False, True, False)),
            (image_button, analyze_uploaded_image, image, image_outputs, "analyze_image", _show(False, True, False)),
            (video_button, analyze_video, video, video_outputs, "analyze_video", _show(True, True, True)),
            (webcam_video_button, analyze_video, webcam_video, video_outputs, "analyze_recording", _show(True, True, True)),
        ]
        for button, fn, source, outputs, api_name, show in events:
            # Progress and a failure's status show on the verdict's place only: on every output, one
            # bad file left a red "Error" in each box beside the one message that says why.
            analysis = button.click(show, outputs=boxes, queue=False, api_visibility="private").then(
                fn, inputs=[source, baseline], outputs=outputs, api_name=api_name, concurrency_id=ANALYSIS_QUEUE,
                concurrency_limit=ANALYSIS_WORKERS, show_progress_on=verdict_box,
            )
            analysis.success(verdict, inputs=report, outputs=verdict_box, queue=False, api_visibility="private").then(
                mark_uncertain, inputs=report, outputs=[fused_label, voice_label, face_label], queue=False,
                api_visibility="private").then(faces_table, inputs=report, outputs=face_rows, queue=False,
                                               api_visibility="private")
            # After a failure: no empty result boxes under the message that says what went wrong.
            analysis.failure(_show(False, False, False), outputs=boxes, queue=False, api_visibility="private")
        webcam_video.stop_recording(playable_recording, inputs=webcam_video, outputs=webcam_video, queue=False,
                                    api_visibility="private", show_progress="hidden")
        for button, source in ((file_baseline_button, baseline_file), (snapshot_baseline_button, webcam),
                               (clip_baseline_button, webcam_video)):
            private = {} if source is baseline_file else {"api_visibility": "private"}
            button.click(set_baseline_from_file, inputs=source, outputs=[baseline, baseline_status],
                         api_name="set_baseline" if not private else None, concurrency_id=ANALYSIS_QUEUE,
                         concurrency_limit=ANALYSIS_WORKERS, **private)
        live_baseline_button.click(set_baseline_live, inputs=session, outputs=[baseline, baseline_status],
                                   api_visibility="private")
        clear_button.click(clear_baseline, outputs=[baseline, baseline_status], queue=False, api_visibility="private")
        live_cam.stream(
            live_frame, inputs=[live_cam, session, baseline], outputs=[live_faces, live_face, live_fused, live_status],
            stream_every=LIVE_FRAME_SECONDS, concurrency_limit=None, api_visibility="private", show_progress="hidden",
        )
        live_mic.stream(
            live_sound, inputs=[live_mic, session, baseline], outputs=[live_voice, live_fused, live_status],
            stream_every=LIVE_SOUND_SECONDS, concurrency_limit=None, api_visibility="private", show_progress="hidden",
        )
        go_live_button.click(None, js=GO_LIVE_JS, api_visibility="private").then(
            start_live, inputs=session, outputs=live_status, api_visibility="private")
        stop_live_button.click(None, js=STOP_LIVE_JS, api_visibility="private").then(
            stop_live, inputs=session, outputs=[live_fused, live_status], api_visibility="private")
        plot_timer = gr.Timer(LIVE_PLOT_EVERY)
        plot_timer.tick(live_plot_tick, inputs=session, outputs=live_plot, concurrency_limit=None,
                        api_visibility="private", show_progress="hidden")
        live_download_button.click(download_live_timeline, inputs=session, outputs=live_downloads,
                                   api_visibility="private")
        live_clear_button.click(clear_live_timeline, inputs=session, outputs=[live_plot, live_downloads],
                                api_visibility="private")
        demo.load(new_live_session, outputs=session, api_visibility="private")
    # Visitors waiting in the queue get its position and expected wait once a second. By default
    # Gradio sends it to every one of them each time any analysis ends: with 32 waiting, that cost
    # the server and its clients more CPU per request than the updates were worth.
    demo.queue(status_update_rate=1.0)
    return demo


def start() -> gr.Blocks:
    """The workers, the models and the page, made once; what `python app.py` and the tests launch."""
    global POOL, ANALYZER, demo
    if demo is None:
        POOL, ANALYZER = _models_and_workers()
        demo = build()
    return demo


def launch(**options):
    """Start the app with the upload limit, which Gradio takes at launch only (not on the Blocks)."""
    return start().launch(max_file_size=limits.LIMITS.max_upload_bytes, css=CSS, **options)


if __name__ == "__main__":
    launch()
