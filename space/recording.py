"""A webcam clip recorded in the browser, made playable with its length known.

Chromium's MediaRecorder writes WebM as a live stream: no duration in the header, so the page's
player showed "0:00 / Infinity:NaN" and could not seek. Copying the packets into a new WebM (PyAV,
no re-encoding) lets the muxer write the duration and the cues when it closes the file.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import av


def with_duration(path: str, folder: str) -> str:
    """A copy of the recording at `path` with its duration in the header (same streams, same
    packets), under a new folder in `folder`; `path` itself if it cannot be read or copied, so
    that a clip the remux does not understand is still analysed as recorded."""
    own = tempfile.mkdtemp(prefix="recording-", dir=folder)
    target = os.path.join(own, os.path.splitext(os.path.basename(path))[0] + ".webm")
    try:
        with av.open(path) as source, av.open(target, "w", format="webm") as copy:
            streams = {s.index: copy.add_stream_from_template(s) for s in source.streams if s.type in ("video", "audio")}
            for packet in source.demux(*(source.streams[i] for i in streams)):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = streams[packet.stream.index]
                copy.mux(packet)
    except (av.FFmpegError, ValueError, KeyError):
        shutil.rmtree(own, ignore_errors=True)
        return path
    return target
