"""Driving the app in a real browser: Debian's headless Chromium through selenium, with a fake camera
and microphone that play files (see the `fake_media` fixture in conftest.py).

Test support, not product code. The selectors are Gradio 6's own markup, checked with Gradio
6.31 and Chromium 150:
  tab                     //button[@role='tab' and normalize-space()='NAME']
  camera (Image or Video) #ID button "Click to Access Webcam", then #ID button.capture-button
                          (Record / Stop; for a Video its aria-label is "start recording")
  microphone              #ID button.record-button, later #ID button.stop-button
  gr.Label's top label    #ID [data-testid='label-output-value']
  gr.Image's picture      #ID img (each new streamed frame gets a new src; a snapshot's src is a
                          /gradio_api/file= link once it reached the server)
  file upload             #ID input[type=file] (hidden; selenium's send_keys still fills it), for
                          gr.File, gr.Audio, gr.Image and gr.Video alike
  uploaded or recorded    #ID a[data-testid='download-link'], whose href is the server's copy
  shown or hidden         a component or gr.Column with visible=False is not in the page at all,
                          so "shown" means present with a layout box (#ID getClientRects())

Without Chromium or chromedriver the tests skip, except in CI (CI set and not 0/false), where a
missing browser is a failure: .ci/run installs both.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

FLAGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",  # grant camera and microphone without a prompt
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1400,1600",
]


def artifacts_dir() -> Path:
    """Where screenshots are kept for people and CI to look at: $TEST_ARTIFACTS when set, else
    test-artifacts/ at the repository root (git-ignored)."""
    folder = os.environ.get("TEST_ARTIFACTS", "").strip()
    return Path(folder) if folder else Path(__file__).resolve().parents[1] / "test-artifacts"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_browser() -> None:
    """Skip (fail in CI) unless selenium, Chromium and chromedriver are all there."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if in_ci():
            pytest.fail(f"{reason}: .ci/run should have installed it", pytrace=False)
        pytest.skip(reason)


class Browser:
    """One headless Chromium window and the few page actions the tests use."""

    def __init__(self, driver) -> None:
        self.driver = driver

    # -- finding and waiting -------------------------------------------------------------------

    def wait_for(
        self, what: Callable[[], object], timeout: float, message: str | Callable[[], str], poll: float = 0.25
    ):
        """`what()` once it is truthy (exceptions count as not yet), else AssertionError after `timeout`
        with `message` (or what `message()` says then)."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                value = what()
                if value:
                    return value
            except Exception as exc:  # stale or not-yet-rendered elements
                last_error = exc
            if time.monotonic() > deadline:
                text = message() if callable(message) else message
                cause = f" (last error: {last_error!r})" if last_error else ""
                raise AssertionError(f"after {timeout:.0f} s: {text}{cause}")
            time.sleep(poll)

    def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def click(self, xpath_or_css: str, timeout: float = 15) -> None:
        """Click the first visible, enabled element (an XPath if it starts with '/', else CSS)."""
        from selenium.webdriver.common.by import By

        by = By.XPATH if xpath_or_css.startswith("/") else By.CSS_SELECTOR

        def ready():
            for element in self.driver.find_elements(by, xpath_or_css):
                if element.is_displayed() and element.is_enabled():
                    return element
            return None

        element = self.wait_for(ready, timeout, f"nothing clickable at {xpath_or_css}")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def text(self, selector: str) -> str:
        return self.css(selector).text.strip()

    def wait_text(self, selector: str, pattern: str, timeout: float = 30) -> str:
        """The element's text once it fully matches the regular expression `pattern`."""
        regex = re.compile(pattern)
        seen: list[str] = []

        def matches():
            text = self.text(selector)
            if not seen or seen[-1] != text:
                seen.append(text)
            return text if regex.fullmatch(text) else None

        return self.wait_for(matches, timeout, lambda: f"{selector} never read {pattern!r}: {seen[-5:]!r}")

    # -- Gradio components ---------------------------------------------------------------------

    def open(self, url: str, timeout: float = 60) -> None:
        self.driver.get(url)
        tabs = lambda: self.driver.find_elements("css selector", "button[role='tab']")  # noqa: E731
        self.wait_for(tabs, timeout, "no tabs on the page")

    def open_tab(self, name: str) -> None:
        self.click(f"//button[@role='tab' and normalize-space()='{name}']")

    def access_webcam(self, elem_id: str) -> None:
        """Press the camera component's "Click to Access Webcam" and wait for its Record button."""
        self.click(f"//*[@id='{elem_id}']//button[contains(., 'Click to Access Webcam')]")
        started = lambda: self.css(f"#{elem_id} button.capture-button").is_displayed()  # noqa: E731
        self.wait_for(started, 15, f"#{elem_id}: the camera never started")

    def press_capture(self, elem_id: str) -> None:
        """The camera's capture button: Record (stream or video), Stop, or take a snapshot."""
        self.click(f"#{elem_id} button.capture-button")

    def start_microphone(self, elem_id: str) -> None:
        self.click(f"#{elem_id} button.record-button")

    def stop_microphone(self, elem_id: str) -> None:
        self.click(f"#{elem_id} button.stop-button")

    def upload(self, elem_id: str, path: Path, timeout: float = 30) -> str:
        """Choose `path` in the component's file picker; the server's link to it once uploaded."""
        self.css(f"#{elem_id} input[type='file']").send_keys(str(path))
        return self.wait_uploaded(elem_id, path.name, timeout)

    def wait_uploaded(self, elem_id: str, name: str = "", timeout: float = 30) -> str:
        """The component's download link (the server's copy of what was uploaded or recorded), once
        there is one ending in `name`."""

        def link() -> str | None:
            for a in self.driver.find_elements("css selector", f"#{elem_id} a[data-testid='download-link']"):
                href = a.get_attribute("href") or ""
                if "/gradio_api/file=" in href and href.endswith(name):
                    return href
            return None

        return self.wait_for(link, timeout, f"#{elem_id}: no uploaded file {name!r} came back")

    def shown(self, elem_id: str) -> bool:
        """Whether the component or column is on the page and laid out (hidden ones are not in the page)."""
        return self.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return !!e && e.getClientRects().length > 0;",
            elem_id,
        )

    def wait_shown(self, expected: dict[str, bool], timeout: float = 15) -> None:
        """Until each element id is shown (True) or hidden (False) as `expected`."""
        state: dict[str, bool] = {}

        def matches() -> bool:
            state.update({elem_id: self.shown(elem_id) for elem_id in expected})
            return state == expected

        self.wait_for(matches, timeout, lambda: f"expected shown {expected}, the page has {state}")

    def label(self, elem_id: str) -> str:
        """A gr.Label's top label text ('' while it is empty)."""
        found = self.driver.find_elements("css selector", f"#{elem_id} [data-testid='label-output-value']")
        return found[0].text.strip() if found else ""

    def wait_label(self, elem_id: str, labels: tuple[str, ...] | None = None, timeout: float = 40) -> str:
        """A gr.Label's top label once it shows one of `labels` (any non-empty text when None)."""
        pattern = "|".join(map(re.escape, labels)) if labels else r".+"
        try:
            return self.wait_text(f"#{elem_id} [data-testid='label-output-value']", pattern, timeout)
        except AssertionError as exc:  # say what the component shows instead: its title, a queue or an error
            shown = " | ".join(self.driver.find_element("id", elem_id).text.split("\n"))
            raise AssertionError(f"{exc}; #{elem_id} shows {shown!r}") from None

    def image_src(self, elem_id: str) -> str | None:
        return self.driver.execute_script(
            "const img = document.querySelector(arguments[0]); return img ? img.src : null;",
            f"#{elem_id} img",
        )

    def image_updates(self, elem_id: str, seconds: float) -> list[float]:
        """The page times (s) at which the image in #elem_id changed to a new picture over the next
        `seconds`, watched in the page itself: what a person sees, not what the server sent."""
        self.driver.execute_script("""
            const root = document.getElementById(arguments[0]);
            window.__updates = []; window.__last = null;
            const seen = () => {
                const img = root.querySelector('img');
                if (img && img.src && img.src !== window.__last && img.complete) {
                    window.__last = img.src; window.__updates.push(performance.now() / 1000);
                }
            };
            window.__watch = new MutationObserver(seen);
            window.__watch.observe(root, {subtree: true, attributes: true, childList: true});
            root.addEventListener('load', seen, true);
        """, elem_id)
        time.sleep(seconds)
        return self.driver.execute_script("window.__watch.disconnect(); return window.__updates;")

    def watch_progress(self, elem_id: str) -> None:
        """Start recording every progress text ("Reading the voice - 35.0%") shown in #elem_id."""
        self.driver.execute_script("""
            const root = document.getElementById(arguments[0]);
            window.__progress = [];
            const seen = () => {
                const m = root.innerText.match(/([^\\n]*?) - (\\d+(?:\\.\\d+)?)%/);
                const last = window.__progress[window.__progress.length - 1];
                if (m && (!last || last[1] !== Number(m[2]))) window.__progress.push([m[1].trim(), Number(m[2])]);
            };
            window.__progressWatch = new MutationObserver(seen);
            window.__progressWatch.observe(root, {subtree: true, childList: true, characterData: true});
        """, elem_id)

    def progress_seen(self) -> list[tuple[str, float]]:
        """(stage, percent) of every progress step shown since watch_progress, in order."""
        steps = self.driver.execute_script("window.__progressWatch.disconnect(); return window.__progress;")
        return [(stage, percent) for stage, percent in steps]

    def height(self, elem_id: str, last_id: str) -> float:
        """Pixels from the top of #elem_id to the bottom of #last_id, as laid out now."""
        return self.driver.execute_script(
            "return document.getElementById(arguments[1]).getBoundingClientRect().bottom"
            " - document.getElementById(arguments[0]).getBoundingClientRect().top;", elem_id, last_id)

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page, not only the window (Chromium's DevTools capture)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
            )
            path.write_bytes(base64.b64decode(shot["data"]))
        except Exception:  # the window alone is still worth having
            self.driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    def wait_image_file(self, elem_id: str, timeout: float = 30) -> str:
        """The component's picture once it is a file on the server (a snapshot that was uploaded)."""
        on_server = lambda: (src := self.image_src(elem_id)) and "/gradio_api/file=" in src and src  # noqa: E731
        return self.wait_for(on_server, timeout, lambda: f"#{elem_id} img is {self.image_src(elem_id)!r}")

    def console(self) -> list[str]:
        """The page's console messages since the last call."""
        try:
            return [f"{e['level']} {e['message']}" for e in self.driver.get_log("browser")]
        except Exception:
            return []


def download(url: str, folder: Path) -> Path:
    """A file the app serves (an upload's or recording's server copy), saved into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / url.rsplit("/", 1)[-1]
    with urllib.request.urlopen(url, timeout=30) as response:
        path.write_bytes(response.read())
    return path


@contextmanager
def chromium(wav: Path, y4m: Path) -> Iterator[Browser]:
    """Headless Chromium whose camera plays `y4m` and microphone plays `wav`, with a fresh profile."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [
        *FLAGS,
        f"--use-file-for-fake-audio-capture={wav}",
        f"--use-file-for-fake-video-capture={y4m}",
        f"--user-data-dir={profile}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(60)
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
