"""One description of a result, for the page and the command line."""

from __future__ import annotations

from emotion_core.describe import describe, one_line, paragraphs


def _reading(label: str | None, p: float = 0.6, abstain: str | None = None) -> dict | None:
    return {"label": label, "probs": {label: p} if label else None, "abstain": abstain}


def test_a_video_is_described_channel_by_channel_with_its_notes():
    line = {"path": "v.mp4", "kind": "video", "fused": _reading("happy", 0.62), "audio": _reading(None, abstain="no speech"),
            "face": _reading("happy", 0.7), "notes": ["no speech in the audio: the reading is the face alone"]}
    readings, notes = describe(line)
    assert readings == [("Voice and face together", "happy (62%)"),
                        ("Voice", "no speech detected, so no emotion is read from it"), ("Face", "happy (70%)")]
    assert one_line(line).startswith("v.mp4: Voice and face together: happy (62%); Voice: no speech")
    assert paragraphs(line).endswith("_No speech in the audio: the reading is the face alone._")


def test_every_face_of_a_photo_is_named_and_an_error_is_one_line():
    line = {"path": "g.jpg", "kind": "image", "faces": [_reading("sad", 0.5), _reading("angry", 0.3, "uncertain")]}
    assert [c for c, _ in describe(line)[0]] == ["Main face", "Face 2"]
    assert "uncertain" in describe(line)[0][1][1] and "top: angry" in describe(line)[0][1][1]
    assert one_line({"path": "x.wav", "error": "no such file"}) == "x.wav: Error: no such file"
