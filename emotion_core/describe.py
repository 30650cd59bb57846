"""A result in words, from its JSON line (report.py): what the app's verdict and the CLI's readable
output both say, so the two cannot tell a person different things."""

from __future__ import annotations

from .results import NO_FACE, NO_READING, NO_SPEECH, UNCERTAIN

# What each abstention means, in words a person reads before any number.
VERDICTS = {
    NO_SPEECH: "no speech detected, so no emotion is read from it",
    NO_FACE: "no face found",
    UNCERTAIN: "uncertain: no emotion stands out enough to name",  # followed by the top label it holds back
    NO_READING: "neither a voice nor a face to read",
}


def _reading(reading: dict | None, missing: str) -> str:
    if reading is None:
        return missing
    label = reading.get("label")
    if reading.get("abstain") == UNCERTAIN:
        return f"{VERDICTS[UNCERTAIN]} (top: {label}, {reading['probs'][label]:.0%})"
    if reading.get("abstain"):
        return VERDICTS[reading["abstain"]]
    return f"{label} ({reading['probs'][label]:.0%})"


def describe(line: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """(channel, its reading in words) for each channel of a result, and its notes.

    An error line gives [("Error", reason)]; an uncertain reading says so first, then the top
    label it holds back.
    """
    if "error" in line:
        return [("Error", line["error"])], []
    if line["kind"] == "audio":
        return [("Voice", _reading(line["audio"], "no audio"))], []
    if line["kind"] == "image":
        faces = line["faces"]
        if not faces:
            return [("Face", VERDICTS[NO_FACE])], []
        named = [("Main face" if len(faces) > 1 and i == 0 else f"Face {i + 1}" if len(faces) > 1 else "Face",
                  _reading(face, VERDICTS[NO_FACE])) for i, face in enumerate(faces)]
        return named, []
    return [
        ("Voice and face together", _reading(line["fused"], VERDICTS[NO_READING])),
        ("Voice", _reading(line["audio"], "no audio track")),
        ("Face", _reading(line["face"], VERDICTS[NO_FACE])),
    ], list(line["notes"])


def one_line(line: dict) -> str:
    """The whole result on one line: "path: Voice: happy (62 %); ..." (the CLI's readable output)."""
    readings, notes = describe(line)
    text = "; ".join(f"{channel}: {words}" for channel, words in readings)
    return f"{line.get('path', '')}: {text}" + "".join(f"; {note}" for note in notes)


def paragraphs(line: dict | None) -> str:
    """The result as Markdown, a paragraph per channel, then the notes (the app's verdict)."""
    if not line or ("kind" not in line and "error" not in line):
        return ""
    readings, notes = describe(line)
    return "\n\n".join([f"**{channel}:** {words}." for channel, words in readings]
                        + [f"_{note[0].upper() + note[1:]}._" for note in notes])
