"""The app in a real browser: headless Chromium whose fake camera and microphone play a real CREMA-D
clip (a man saying a sentence, looped), driven by selenium against the launched app.

Live tab: the streamed camera and microphone must yield a face, a voice and a fused reading, and a
processed picture that keeps changing. Webcam tab: a clip recorded with the video recorder (video
and sound) must yield all three readings. Skipped without Chromium/chromedriver, except in CI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from browser import Browser, chromium, require_browser

pytestmark = pytest.mark.slow

FACE_LABELS = ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised")
VOICE_LABELS = (*FACE_LABELS, "calm")
READING_TIMEOUT = 40  # s, from pressing Record to a reading on every label


@pytest.fixture
def browser(request: pytest.FixtureRequest, fake_media) -> Iterator[Browser]:
    """A fresh Chromium on the app's page (its camera plays face.y4m, its microphone voice.wav)."""
    require_browser()  # before launching the app, so a skip costs nothing
    _, url = request.getfixturevalue("served_app")
    with chromium(fake_media.wav, fake_media.y4m) as browser:
        browser.open(url)
        yield browser
        errors = [line for line in browser.console() if line.startswith("SEVERE")]
        if errors:
            print("browser console errors:", *errors[-10:], sep="\n  ")


def test_live_tab_streams_camera_and_microphone(browser: Browser, tmp_path) -> None:
    start = time.monotonic()
    try:
        browser.open_tab("Live")
        browser.access_webcam("live_cam")
        browser.press_capture("live_cam")  # Record: frames stream to the server
        browser.start_microphone("live_mic")
        recording = time.monotonic()

        def left() -> float:
            return READING_TIMEOUT - (time.monotonic() - recording)

        face = browser.wait_label("live_face_label", FACE_LABELS, left())
        voice = browser.wait_label("live_voice_label", VOICE_LABELS, left())
        fused = browser.wait_label("live_fused_label", VOICE_LABELS, left())
        first_readings = time.monotonic() - recording

        # Each processed frame comes back as a new file: the picture must keep changing.
        sources: list[str] = []

        def three_frames() -> bool:
            src = browser.image_src("live_faces")
            if src and src not in sources:
                sources.append(src)
            return len(sources) >= 3

        browser.wait_for(three_frames, 20, lambda: f"#live_faces showed {len(sources)} distinct frames", 0.1)
        status = browser.text("#live_status")
        print(
            f"live: face {face!r}, voice {voice!r}, fused {fused!r}, status {status!r}; "
            f"all three readings {first_readings:.1f} s after Record"
        )
    finally:
        browser.screenshot(tmp_path / "live.png")
        print(f"live test: {time.monotonic() - start:.1f} s in the browser")


def test_webcam_recording_is_analysed(browser: Browser, tmp_path) -> None:
    start = time.monotonic()
    try:
        browser.open_tab("Webcam")
        browser.access_webcam("webcam_video")
        browser.press_capture("webcam_video")  # start recording
        time.sleep(4)
        browser.press_capture("webcam_video")  # stop: the clip is uploaded and shown in a player
        recorded = lambda: browser.css("#webcam_video video").get_attribute("src")  # noqa: E731
        browser.wait_for(recorded, 30, "the recording never came back to the player")
        browser.click("#webcam_video_button")
        clicked = time.monotonic()

        fused = browser.wait_label("fused_label", VOICE_LABELS, 60)
        voice = browser.wait_label("voice_label", VOICE_LABELS, 10)
        face = browser.wait_label("face_label", FACE_LABELS, 10)
        took = time.monotonic() - clicked
        print(f"webcam clip: fused {fused!r}, voice {voice!r}, face {face!r}; {took:.1f} s after Analyze")
    finally:
        browser.screenshot(tmp_path / "webcam_clip.png")
        print(f"webcam test: {time.monotonic() - start:.1f} s in the browser")
