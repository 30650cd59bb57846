"""The bad-input matrix: every accepted format empty, cut after its header, truncated, corrupted,
and as text or random bytes under its extension; plus the odd files a public Space meets (SVG,
8 channels, 8 and 96 kHz, NaN samples, 0.1 s and 20 min of audio, a 1 Hz header, CMYK, 16-bit,
palette and animated images, 1x1 and 10000x10000 images, decompression bombs, a strip, videos
without streams or with a broken index, unicode and path-like names).

`build(folder, speech, face)` writes them all into `folder` (a temporary one: no media is ever
committed) from real speech and a real face, and returns name -> Case. Each case says what must
come back: a valid result ("ok"), a clear message ("error", with the words it must hold), or
either ("either": a cut file may still decode). tests/test_bad_inputs.py runs them through the
core, the CLI and the app.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr
from PIL import Image

from emotion_core.decode.audio import SAMPLE_RATE
from videos import mux

AUDIO = ("wav", "flac", "mp3", "ogg", "webm", "m4a")
VIDEO = ("mp4", "mov", "mkv", "avi")
IMAGE = ("jpg", "png", "webp")
FORMATS = AUDIO + VIDEO + IMAGE
DAMAGE = ("empty", "header", "truncated", "corrupt", "text", "random")

# Every message the app may give for a bad input: anything else is not a clear message.
CLEAR = re.compile(
    r"the file is empty|not a readable (audio or video|video) file|cannot read this image: "
    r"|the audio is empty|too short|no audio track|no video stream|no decodable frames"
    r"|too small \(|too large|too narrow \(|the sample rate is|invalid \(NaN or infinite\) samples"
    r"|long; the limit is|longer than .*, the limit|Invalid file type"
)
# What must never reach a user: a server path, an exception's class, a traceback, Gradio's own text.
LEAKS = re.compile(r"/tmp|/home|/root|gradio/|[A-Za-z]+(Error|Exception)\b|Traceback|verbose error")


@dataclass(frozen=True)
class Case:
    path: Path
    kind: str  # "audio", "image" or "video": the endpoint that takes it
    expect: str  # "ok", "error" or "either"
    words: str = ""  # for "error": what the message must say


def kind_of(extension: str) -> str:
    return "audio" if extension in AUDIO else "video" if extension in VIDEO else "image"


# --- valid files, one per format ---------------------------------------------------------------


def _encode_audio(path: Path, samples: np.ndarray, codec: str, rate: int, container: str | None = None) -> None:
    """16 kHz mono `samples` as stereo at `rate` in `codec`, muxed by PyAV."""
    up = soxr.resample(samples, SAMPLE_RATE, rate).astype(np.float32)
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.stack([up, up], axis=1).reshape(1, -1), format="flt", layout="stereo")
        frame.sample_rate = rate
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _face_frames(face: np.ndarray, seconds: float, fps: int = 10) -> list[np.ndarray]:
    frame = np.full((240, 320, 3), 110, np.uint8)
    frame[:, 40:280] = np.asarray(Image.fromarray(face).resize((240, 240)))
    return [frame] * round(seconds * fps)


def good_file(folder: Path, extension: str, speech: np.ndarray, face: np.ndarray, name: str = "good") -> Path:
    """A valid file of this format: 2.4 s of real speech, a real face, or both."""
    path = folder / f"{name}.{extension}"
    if extension in ("wav", "flac", "ogg"):
        sf.write(path, speech, SAMPLE_RATE, format={"wav": "WAV", "flac": "FLAC", "ogg": "OGG"}[extension])
    elif extension in ("mp3", "webm", "m4a"):
        codec, rate, container = {"mp3": ("libmp3lame", 44_100, None), "webm": ("libopus", 48_000, None),
                                  "m4a": ("aac", 44_100, "ipod")}[extension]
        _encode_audio(path, speech, codec, rate, container)
    elif extension in VIDEO:
        mux(path, _face_frames(face, 1.5), speech[: round(1.5 * SAMPLE_RATE)], fps=10, size=(320, 240))
    else:
        Image.fromarray(face).save(path, quality=90)
    return path


# --- damage ------------------------------------------------------------------------------------


def _damaged(good: Path, damage: str, folder: Path) -> Path:
    data = good.read_bytes()
    rng = np.random.default_rng(len(data))
    content = {
        "empty": b"",
        "header": data[:64],
        "truncated": data[: len(data) // 2],
        "corrupt": data[: len(data) * 3 // 10] + rng.bytes(len(data) * 3 // 10) + data[len(data) * 6 // 10 :],
        "text": b"These are meeting notes, not a recording or a picture.\n" * 40,
        "random": rng.bytes(20_000),
    }[damage]
    path = folder / f"{damage}{good.suffix}"
    path.write_bytes(content)
    return path


# --- odd files ---------------------------------------------------------------------------------


def _png(path: Path, width: int, height: int) -> Path:
    """A black 1-bit PNG of any size, written row by row: a few KB that declare width x height."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def _mp4_without_streams(path: Path) -> Path:
    """An MP4 whose index (moov) holds no track at all: 144 bytes that FFmpeg opens with 0 streams."""
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = box(b"mvhd", struct.pack(">5I", 0, 0, 0, 1000, 0) + struct.pack(">IH", 0x10000, 0x100) + bytes(10)
               + matrix + bytes(24) + struct.pack(">I", 1))
    path.write_bytes(box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41") + box(b"moov", mvhd))
    return path


def _replace(good: Path, path: Path, edit: Callable[[bytes], bytes] = bytes) -> Path:
    """A copy of `good` at `path`, edited."""
    path.write_bytes(edit(good.read_bytes()))
    return path


def _broken_chunk_offsets(data: bytes) -> bytes:
    """An MP4 whose chunk offsets (stco) all point past the end of the file."""
    at = data.index(b"stco") + 8  # after the box type, version/flags and entry count
    count = struct.unpack(">I", data[at - 4 : at])[0]
    return data[:at] + struct.pack(">I", 0x7FFFFFF0) * count + data[at + 4 * count :]


def _without_moov(data: bytes) -> bytes:
    """An MP4 cut just before its index (the moov box), as a recording that never finished."""
    return data[: data.index(b"moov") - 4]


def _streamed_webm(path: Path, speech: np.ndarray) -> Path:
    """Opus in WebM written as a browser's MediaRecorder writes it: no duration in the header."""
    class Pipe:
        def __init__(self):
            self.data = bytearray()

        def write(self, b):
            self.data += b
            return len(b)

    pipe = Pipe()
    with av.open(pipe, "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48_000, layout="mono")
        frame = av.AudioFrame.from_ndarray(soxr.resample(speech, SAMPLE_RATE, 48_000).astype(np.float32)[None], format="flt",
                                           layout="mono")
        frame.sample_rate, frame.time_base = 48_000, Fraction(1, 48_000)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    path.write_bytes(bytes(pipe.data))
    return path


def _image(path: Path, picture: Image.Image, **options) -> Path:
    picture.save(path, **options)
    return path


def _animated(path: Path, face: np.ndarray) -> Path:
    frames = [Image.fromarray(face), Image.fromarray(face[:, ::-1]), Image.fromarray(255 - face)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    return path


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle r="20"/></svg>'


def ok(path: Path, kind: str) -> Case:
    return Case(path, kind, "ok")


def refused(path: Path, kind: str, words: str) -> Case:
    return Case(path, kind, "error", words)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _without_avi_index(data: bytes) -> bytes:
    """An AVI whose index (idx1) is renamed to junk, as a recorder that stopped short leaves it."""
    return data.replace(b"idx1", b"JUNK")


def _wav(path: Path, samples: np.ndarray, rate: int, subtype: str = "PCM_16") -> Path:
    sf.write(path, samples, rate, subtype=subtype)
    return path


def odd_files(folder: Path, speech: np.ndarray, face: np.ndarray, good: dict[str, Path]) -> dict[str, Case]:
    up = {rate: soxr.resample(speech, SAMPLE_RATE, rate).astype(np.float32) for rate in (8_000, 96_000)}
    eight = np.tile(speech[:, None], (1, 8)) * np.linspace(0.2, 1.0, 8, dtype=np.float32)
    nan = speech.copy()
    nan[1000:1100] = np.nan
    silence = np.zeros(20 * 60 * 8_000, np.int16)
    lie = (speech[:10_000] * 3e4).astype(np.int16)
    rgb = Image.fromarray(face)
    gray16 = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    audio, image, video = "audio", "image", "video"
    return {
        "svg": refused(_write(folder / "drawing.svg", SVG), image, "cannot read this image"),
        "wav_8_channels": ok(_wav(folder / "eight_channels.wav", eight, SAMPLE_RATE), audio),
        "flac_8_channels": ok(_wav(folder / "eight_channels.flac", eight, SAMPLE_RATE), audio),
        "wav_8k": ok(_wav(folder / "telephone_8k.wav", up[8_000], 8_000), audio),
        "wav_96k": ok(_wav(folder / "studio_96k.wav", up[96_000], 96_000, "PCM_24"), audio),
        "wav_nan": refused(_wav(folder / "nan.wav", nan, SAMPLE_RATE, "FLOAT"), audio, "invalid (NaN or infinite)"),
        "wav_0.1s": refused(_wav(folder / "blip.wav", speech[8_000:9_600], SAMPLE_RATE), audio, "too short (0.10 s)"),
        "wav_20min": refused(_wav(folder / "twenty_minutes.wav", silence, 8_000), audio, "20.0 min long; the limit"),
        "flac_20min": refused(_wav(folder / "twenty_minutes.flac", silence, 8_000), audio, "20.0 min long; the limit"),
        # A 20 KB WAV whose header claims 1 sample a second: 10,000 s to resample into gigabytes.
        "wav_1hz": refused(_wav(folder / "one_hertz.wav", lie, 1), audio, "the sample rate is 1 Hz"),
        "webm_streamed": ok(_streamed_webm(folder / "browser_recording.webm", speech), audio),
        "jpg_cmyk": ok(_image(folder / "print_cmyk.jpg", rgb.convert("CMYK"), quality=90), image),
        "png_16bit": ok(_image(folder / "scan_16bit.png", Image.fromarray(gray16)), image),
        "png_palette": ok(_image(folder / "palette.png", rgb.convert("P", palette=Image.Palette.ADAPTIVE)), image),
        "gif_animated": ok(_animated(folder / "animated.gif", face), image),
        "webp_animated": ok(_animated(folder / "animated.webp", face), image),
        "png_1x1": refused(_image(folder / "pixel.png", Image.new("RGB", (1, 1))), image, "too small (1x1)"),
        "png_10000x10000": refused(_png(folder / "huge_10000.png", 10_000, 10_000), image, "too large (10000x10000)"),
        # 17 KB declaring 144 MP: Gradio's gr.Image decoded it before the app could look (0.7 GB, 5 s).
        "png_bomb": refused(_png(folder / "bomb_12000.png", 12_000, 12_000), image, "too large (12000x12000)"),
        # Over twice Pillow's own limit: Pillow refuses it at open.
        "png_bomb_pillow": refused(_png(folder / "bomb_30000.png", 30_000, 30_000), image, "too large"),
        "png_strip": refused(_png(folder / "strip.png", 60_000, 20), image, "too narrow (60000x20)"),
        "mp4_no_streams": refused(_mp4_without_streams(folder / "no_streams.mp4"), video, "no video stream"),
        # FFmpeg reads on past chunk offsets that point nowhere: a result, or a clear message.
        "mp4_broken_index": Case(_replace(good["mp4"], folder / "broken_index.mp4", _broken_chunk_offsets), video, "either"),
        "mp4_no_index": refused(_replace(good["mp4"], folder / "unfinished.mp4", _without_moov), video, "not a readable video"),
        "avi_broken_index": Case(_replace(good["avi"], folder / "broken_index.avi", _without_avi_index), video, "either"),
        # Sound only, named .mp4: the video endpoint refuses it; the CLI reads it as the recording it is.
        "mp4_audio_only": refused(_replace(good["m4a"], folder / "sound_only.mp4"), video, "no video stream"),
        "name_unicode": ok(_replace(good["wav"], folder / "émotion ✓ 😀 日本語.wav"), audio),
        "name_path_like": ok(_replace(good["wav"], folder / "..%2F..%2Fetc%2Fpasswd .wav"), audio),
        "name_dash_and_shell": ok(_replace(good["jpg"], folder / "-rf ; $(reboot) 'x'.jpg"), image),
        "name_backslashes": ok(_replace(good["mp4"], folder / r"..\..\windows\clip.mp4"), video),
    }


def build(folder: Path, speech: np.ndarray, face: np.ndarray) -> dict[str, Case]:
    """Every case, written into `folder`; `speech` is 16 kHz mono, `face` an RGB photo of a face."""
    goods = {}
    cases = {}
    for extension in FORMATS:
        sub = folder / extension
        sub.mkdir()
        goods[extension] = good_file(sub, extension, speech, face)
        for damage in DAMAGE:
            path, kind = _damaged(goods[extension], damage, sub), kind_of(extension)
            # A cut or garbled file may still decode; nothing, text or noise never does.
            expect = "either" if damage in ("header", "truncated", "corrupt") else "error"
            cases[f"{extension}_{damage}"] = Case(path, kind, expect, "the file is empty" if damage == "empty" else "")
    odd = folder / "odd"
    odd.mkdir()
    cases.update(odd_files(odd, speech, face, goods))
    return cases
