"""Shared fixtures: one real RAVDESS clip, re-encoded with PyAV into every format users send us,
a few broken inputs, and the embedded model set.

Everything is generated once per session in a temporary folder (no ffmpeg binary needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
import soxr

from emotion_core.decode.audio import SAMPLE_RATE
from emotion_core.model_set import ModelSet, SpeechEntry, load_model_set
from emotion_core.runtime import TFLiteModel

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLIP = SHARED / "data/ravdess/Actor_01/03-01-05-02-01-01-01.flac"

# The right channel is the left at half level, so a correct mono mix is 0.75 x the clip.
RIGHT_GAIN = 0.5
MONO_GAIN = (1.0 + RIGHT_GAIN) / 2


@dataclass(frozen=True)
class Encoding:
    file: str
    codec: str
    rate: int
    container: str | None = None  # None: FFmpeg guesses it from the file name
    video: bool = False


ENCODINGS = {
    "wav_s16_44k": Encoding("clip.wav", "pcm_s16le", 44_100),
    "flac_48k": Encoding("clip.flac", "flac", 48_000),
    "mp3": Encoding("clip.mp3", "libmp3lame", 44_100),
    "ogg_opus": Encoding("clip.opus.ogg", "libopus", 48_000, container="ogg"),
    "webm_opus": Encoding("clip.webm", "libopus", 48_000),
    "m4a_aac": Encoding("clip.m4a", "aac", 44_100, container="ipod"),
    "mp4_video_aac": Encoding("clip.mp4", "aac", 44_100, video=True),
}
# FFmpeg's own Vorbis encoder is experimental and writes broken granule positions; libsndfile
# links the reference libvorbis, so that one file is written with soundfile.
VORBIS = "ogg_vorbis"
FORMATS = sorted([*ENCODINGS, VORBIS])


def _stereo(samples: np.ndarray, rate: int) -> np.ndarray:
    """(frames, 2) float32 at `rate`: the clip on the left, the clip at RIGHT_GAIN on the right."""
    up = soxr.resample(samples, SAMPLE_RATE, rate).astype(np.float32)
    return np.stack([up, RIGHT_GAIN * up], axis=1)


def _black_video_stream(container: av.container.OutputContainer) -> av.VideoStream:
    stream = container.add_stream("libx264", rate=10)
    stream.width = stream.height = 64
    stream.pix_fmt = "yuv420p"
    return stream


def _write_black_frames(
    container: av.container.OutputContainer, stream: av.VideoStream, seconds: float
) -> None:
    black = np.zeros((64, 64, 3), dtype=np.uint8)
    for _ in range(max(1, round(seconds * 10))):
        container.mux(stream.encode(av.VideoFrame.from_ndarray(black, format="rgb24")))
    container.mux(stream.encode(None))


def _encode(path: Path, samples: np.ndarray, enc: Encoding) -> None:
    stereo = _stereo(samples, enc.rate)
    with av.open(str(path), "w", format=enc.container) as container:
        # Like a phone recording, the video (when there is one) is the first stream.
        video = _black_video_stream(container) if enc.video else None
        audio = container.add_stream(enc.codec, rate=enc.rate, layout="stereo")
        if video is not None:
            _write_black_frames(container, video, stereo.shape[0] / enc.rate)
        # One packed float frame; the encoder converts its format and re-chunks it to its frame size.
        frame = av.AudioFrame.from_ndarray(stereo.reshape(1, -1), format="flt", layout="stereo")
        frame.sample_rate = enc.rate
        container.mux(audio.encode(frame))
        container.mux(audio.encode(None))


@pytest.fixture(scope="session")
def clip_path() -> Path:
    """A real RAVDESS recording (2.39 s, 16 kHz mono FLAC), read-only."""
    assert CLIP.is_file(), f"test data missing: {CLIP}"
    return CLIP


@pytest.fixture(scope="session")
def clip(clip_path: Path) -> np.ndarray:
    """The reference samples, read directly with soundfile."""
    samples, rate = sf.read(clip_path, dtype="float32")
    assert rate == SAMPLE_RATE and samples.ndim == 1
    return samples


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory, clip: np.ndarray) -> dict[str, Path]:
    """Format name -> the clip encoded in that format, as stereo at the encoding's own rate."""
    folder = tmp_path_factory.mktemp("media")
    files = {}
    for name, enc in ENCODINGS.items():
        files[name] = folder / enc.file
        _encode(files[name], clip, enc)
    files[VORBIS] = folder / "clip.vorbis.ogg"
    sf.write(files[VORBIS], _stereo(clip, 44_100), 44_100, format="OGG", subtype="VORBIS")
    return files


@pytest.fixture(scope="session")
def mono_gain() -> float:
    """What a correct mono mix of the encoded stereo files is, relative to the clip."""
    return MONO_GAIN


@pytest.fixture(params=FORMATS)
def encoded(request: pytest.FixtureRequest, media: dict[str, Path]) -> Path:
    """Each encoded file in turn (tests using it run once per format)."""
    return media[request.param]


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory, clip: np.ndarray) -> dict[str, Path]:
    """Inputs that must be rejected, by kind: each exists on disk except "missing"."""
    folder = tmp_path_factory.mktemp("bad")
    files = {name: folder / file for name, file in [
        ("missing", "missing.wav"),
        ("empty", "empty.wav"),
        ("random_bytes", "noise.wav"),
        ("text", "notes.mp3"),
        ("too_short", "short.wav"),
        ("no_audio_track", "silent.mp4"),
    ]}
    files["empty"].write_bytes(b"")
    files["random_bytes"].write_bytes(np.random.default_rng(0).bytes(20_000))
    files["text"].write_text("These are meeting notes, not an MP3.\n" * 20)
    sf.write(files["too_short"], clip[8_000 : 8_000 + SAMPLE_RATE // 10], SAMPLE_RATE)
    with av.open(str(files["no_audio_track"]), "w") as container:
        _write_black_frames(container, _black_video_stream(container), 0.5)
    return files


@pytest.fixture(scope="session")
def model_set() -> ModelSet:
    return load_model_set()


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch):
    """limit(max_audio_seconds=1.0, ...): emotion_core/limits.py's limits changed for one test."""
    from dataclasses import replace

    from emotion_core import limits

    return lambda **changes: monkeypatch.setattr(limits, "LIMITS", replace(limits.LIMITS, **changes))


@pytest.fixture(scope="session")
def analyzer(model_set: ModelSet):
    """The embedded models, loaded once for the tests that analyse (a module may load its own)."""
    from emotion_core import Analyzer

    return Analyzer(model_set).load()


@pytest.fixture(scope="session")
def speech_info(model_set: ModelSet) -> SpeechEntry:
    """The speech model's manifest entry."""
    return model_set.speech


@pytest.fixture(scope="session")
def speech_tflite(model_set: ModelSet, speech_info: SpeechEntry) -> TFLiteModel:
    return TFLiteModel(model_set.path(speech_info.file))


@pytest.fixture(scope="session")
def served_app():
    """(app module, its URL): the app launched once on 127.0.0.1 for every test that calls it.

    `app` is imported here, not at the top, so that collecting the fast tests stays fast.
    """
    import app
    from hub_server import free_port

    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)  # with its upload limit
    yield app, f"http://127.0.0.1:{port}/"
    app.demo.close()


FER_TEST = SHARED / "data/fer2013/test"


@dataclass(frozen=True)
class FaceImages:
    """Image files with known faces, and the upright RGB one the others derive from."""

    astronaut: np.ndarray  # skimage's astronaut: one real face, upright RGB
    files: dict[str, Path]


def _save_with_orientation(rgb: np.ndarray, path: Path, orientation: int) -> None:
    """A JPEG stored rotated, with the EXIF tag that tells viewers to turn it upright, as phones save."""
    from PIL import Image

    turned = {6: np.rot90(rgb, 1), 8: np.rot90(rgb, -1), 3: np.rot90(rgb, 2)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(np.ascontiguousarray(turned)).save(path, exif=exif, quality=95)


@pytest.fixture(scope="session")
def face_images(tmp_path_factory: pytest.TempPathFactory) -> FaceImages:
    import cv2
    import skimage.data
    from PIL import Image

    folder = tmp_path_factory.mktemp("faces")
    rgb = skimage.data.astronaut()
    files = {
        "jpeg": folder / "astronaut.jpg",
        "png_gray": folder / "astronaut_gray.png",
        "png_rgba": folder / "astronaut_rgba.png",
        "png_16bit": folder / "astronaut_16bit.png",
        "webp": folder / "astronaut.webp",
        "exif_rotated": folder / "astronaut_exif6.jpg",
        "huge": folder / "huge.jpg",
        "two_faces": folder / "two_faces.png",
        "no_face": folder / "coffee.jpg",
        "flat": folder / "flat.png",
        "tiny": folder / "tiny.png",
        "random_bytes": folder / "noise.jpg",
    }
    Image.fromarray(rgb).save(files["jpeg"], quality=95)
    Image.fromarray(rgb).convert("L").save(files["png_gray"])
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])).save(files["png_rgba"])
    gray16 = (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257)
    cv2.imwrite(str(files["png_16bit"]), gray16)
    Image.fromarray(rgb).save(files["webp"], quality=90)
    _save_with_orientation(rgb, files["exif_rotated"], 6)
    # A 24 MP photo: the astronaut 4x larger near the bottom right of a grey frame.
    huge = np.full((4000, 6000, 3), 128, np.uint8)
    huge[1800:3848, 3500:5548] = cv2.resize(rgb, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    Image.fromarray(huge).save(files["huge"], quality=90)
    # Two real faces of different sizes: the larger must come first.
    two = np.full((520, 920, 3), 90, np.uint8)
    two[:512, :512] = rgb
    two[100:460, 540:900] = cv2.resize(rgb, (360, 360), interpolation=cv2.INTER_AREA)
    Image.fromarray(two).save(files["two_faces"])
    Image.fromarray(skimage.data.coffee()).save(files["no_face"], quality=95)
    Image.fromarray(np.full((480, 640, 3), 127, np.uint8)).save(files["flat"])
    Image.fromarray(rgb[:8, :8]).save(files["tiny"])
    files["random_bytes"].write_bytes(np.random.default_rng(1).bytes(5_000))
    return FaceImages(rgb, files)


@pytest.fixture(scope="session")
def fer_sample() -> list[tuple[Path, str]]:
    """A fixed sample of the FER2013 test set (every 8th image in sorted order) with canonical labels."""
    from emotion_core.labels import canonical

    paths = sorted(FER_TEST.glob("*/*.jpg"))
    assert paths, f"test data missing: {FER_TEST}"
    return [(p, canonical(p.parent.name)) for p in paths[::8]]


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory, face_images: FaceImages, clip_path: Path) -> dict[str, Path]:
    """Name -> a 6 s 640x480 video of a real face and real speech (tests/videos.py): normal,
    no_audio, silent_audio, no_face, face_leaves, vfr, rotated and corrupt."""
    from videos import build_videos
    from skimage.data import coffee

    sentences = sorted(clip_path.parent.glob("03-01-0[3-6]-01-01-01-01.flac"))  # happy, sad, angry, fearful
    return build_videos(tmp_path_factory.mktemp("videos"), face_images.astronaut, coffee(), sentences)


# Fake camera and microphone for the browser tests (tests/test_browser.py): a real CREMA-D clip
# (actor 1001 saying a sentence happily, 1.9 s, 480x360 at 29.97 fps with MP3 sound), looped
# into the files Chromium's fake capture devices play. Built with PyAV: no ffmpeg binary needed.
CREMA_CLIP = SHARED / "data/crema_d_samples/1001_DFA_HAP_XX.flv"
FAKE_MEDIA_SECONDS = 6.0
FAKE_VIDEO_FPS = 15
FAKE_AUDIO_RATE = 48_000


@dataclass(frozen=True)
class FakeMedia:
    """What Chromium's --use-file-for-fake-{video,audio}-capture play, each looped by the browser."""

    y4m: Path  # yuv420p, the clip's native 480x360, FAKE_VIDEO_FPS
    wav: Path  # mono FAKE_AUDIO_RATE Hz 16-bit PCM


def _clip_frames(path: Path, fps: int) -> list[av.VideoFrame]:
    """The clip's frames resampled to `fps` by timestamp (every other one of 29.97)."""
    frames, next_time = [], 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time + 1e-3 >= next_time:
                frames.append(frame.reformat(format="yuv420p"))
                next_time += 1 / fps
    return frames


def _clip_sound(path: Path, rate: int) -> np.ndarray:
    """The clip's sound as mono int16 at `rate`."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks)


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory: pytest.TempPathFactory) -> FakeMedia:
    assert CREMA_CLIP.is_file(), f"test data missing: {CREMA_CLIP}"
    folder = tmp_path_factory.mktemp("fake_media")
    media = FakeMedia(folder / "face.y4m", folder / "voice.wav")

    frames = _clip_frames(CREMA_CLIP, FAKE_VIDEO_FPS)
    assert len(frames) > FAKE_VIDEO_FPS, f"{CREMA_CLIP.name}: only {len(frames)} frames"
    with av.open(str(media.y4m), "w", format="yuv4mpegpipe") as container:
        stream = container.add_stream("rawvideo", rate=FAKE_VIDEO_FPS)
        stream.width, stream.height, stream.pix_fmt = frames[0].width, frames[0].height, "yuv420p"
        for i in range(round(FAKE_MEDIA_SECONDS * FAKE_VIDEO_FPS)):
            frame = frames[i % len(frames)]
            frame.pts = None  # the muxer numbers them
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    speech = _clip_sound(CREMA_CLIP, FAKE_AUDIO_RATE)
    assert np.abs(speech).max() > 1000, f"{CREMA_CLIP.name}: silent sound track"
    total = round(FAKE_MEDIA_SECONDS * FAKE_AUDIO_RATE)
    sf.write(media.wav, np.resize(speech, total), FAKE_AUDIO_RATE, subtype="PCM_16")
    return media
