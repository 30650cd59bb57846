"""The gradio_client examples of docs/usage.md and the README, run as written against the app on 127.0.0.1.

The examples are the ```python blocks right after a `<!-- gradio_client example -->` comment
(docs/usage.md) or `<!-- gradio_client quick example -->` (the README); only
the Space id given to Client(...) and the file given to handle_file(...) are swapped for the local
app and a real clip. What the comments in the examples promise is then checked on their variables.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from gradio_client import Client

from emotion_core.labels import LABELS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "docs" / "usage.md"
MARKER = "<!-- gradio_client example -->"
QUICK = re.compile(re.escape("<!-- gradio_client quick example -->") + r"\s*```python\n(.*?)```", re.DOTALL)
BLOCK = re.compile(re.escape(MARKER) + r"\s*```python\n(.*?)```", re.DOTALL)


@pytest.fixture(scope="module")
def examples() -> list[str]:
    assert README.is_file(), "docs/usage.md is missing"
    blocks = BLOCK.findall(README.read_text())
    assert blocks, f"docs/usage.md has no ```python block after {MARKER}"
    return blocks


def _localised(code: str, url: str, files: dict[str, Path]) -> str:
    """The examples pointed at the local app, each handle_file("x.<ext>") at the real file for <ext>."""
    code = re.sub(r'Client\("[^"]*"', f'Client("{url}"', code)
    return re.sub(r'handle_file\("[^"]*(\.\w+)"\)', lambda m: f'handle_file("{files[m.group(1)]}")', code)


def test_examples_cover_view_api_and_every_endpoint(examples, served_app):
    api = Client(served_app[1], verbose=False).view_api(print_info=False, return_format="dict")
    code = "\n".join(examples)
    assert "view_api()" in code
    assert set(re.findall(r'api_name="([^"]+)"', code)) == set(api["named_endpoints"])


def test_examples_run_and_return_what_they_say(examples, served_app, clip_path, face_images, videos):
    """The blocks run in order in one namespace, as a reader would paste them one after another."""
    app, url = served_app
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for code in examples:
            files = {".wav": clip_path, ".jpg": face_images.files["jpeg"], ".mp4": videos["normal"]}
            exec(compile(_localised(code, url, files), str(README), "exec"), namespace)
    output = printed.getvalue()
    assert "/analyze_audio" in output and "/analyze_microphone" in output  # view_api()
    label, report = namespace["label"], namespace["report"]
    assert label["label"] in LABELS
    probs = report["audio"]["probs"]
    assert set(probs) == set(LABELS) and sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
    assert report["models"] == app.ANALYZER.model_set.source
    windows = report["audio"]["windows"]
    assert windows and all(w["end"] > w["start"] for w in windows)
    assert max(windows[-1]["probs"], key=windows[-1]["probs"].get) in output
    face_report = namespace["face_report"]  # the webcam call's: one face, and the photo's printed
    assert face_report["kind"] == "image" and len(face_report["faces"]) == 1
    face_line = re.compile(r"^(" + "|".join(LABELS) + r") \[\d+, \d+, \d+, \d+\]$", re.MULTILINE)
    assert len(face_line.findall(output)) == 1
    assert namespace["relative"]["baseline"]["voice_windows"] >= 1 and "baseline in use" in namespace["status"]
    video_report = namespace["video_report"]  # the webcam clip's, the same video
    assert video_report["kind"] == "video" and video_report["fused"]["channels"] == ["voice", "face"]
    assert f"{video_report['fused']['label']} ['voice', 'face']" in output
    assert output.count("['voice', 'face']") >= 1 + len(video_report["fused"]["windows"])


def test_the_readme_s_quick_example_runs(served_app, clip_path):
    (code,) = QUICK.findall((ROOT / "README.md").read_text())
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(_localised(code, served_app[1], {".wav": clip_path}), "README.md", "exec"), {})
    label, abstain = printed.getvalue().splitlines()[-1].split()  # after the client's "Loaded as API" line
    assert label in LABELS and abstain in ("None", "uncertain")
