"""A browser-recorded clip gets its duration, without being re-encoded; a file it cannot copy is left as it is."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from space.recording import with_duration

FPS, FRAMES = 15, 30


class _Pipe(io.RawIOBase):
    """An output that cannot seek, as MediaRecorder's is: the muxer cannot go back to write the length."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, b) -> int:
        self.data += b
        return len(b)


@pytest.fixture
def live_webm(tmp_path: Path) -> Path:
    pipe = _Pipe()
    with av.open(pipe, "w", format="webm") as out:
        stream = out.add_stream("libvpx-vp9", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    path = tmp_path / "sample.webm"
    path.write_bytes(pipe.data)
    return path


def _packets(path: str) -> list[bytes]:
    with av.open(path) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def test_the_copy_knows_its_length_and_holds_the_same_packets(live_webm: Path, tmp_path: Path) -> None:
    with av.open(str(live_webm)) as c:
        assert c.duration is None  # what the player showed as "Infinity:NaN"
    copy = with_duration(str(live_webm), str(tmp_path))
    assert copy != str(live_webm) and Path(copy).name == "sample.webm"
    with av.open(copy) as c:
        assert c.duration / 1e6 == pytest.approx(FRAMES / FPS, abs=0.1)
    assert _packets(copy) == _packets(str(live_webm))


def test_a_file_it_cannot_read_is_given_back_unchanged(tmp_path: Path) -> None:
    junk = tmp_path / "junk.webm"
    junk.write_bytes(b"\x1a\x45\xdf\xa3 not really webm")
    assert with_duration(str(junk), str(tmp_path)) == str(junk)
    assert sorted(tmp_path.iterdir()) == [junk]  # and no half-written copy is left behind
