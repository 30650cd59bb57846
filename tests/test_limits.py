"""The limits in one place (emotion_core/limits.py), configuration that cannot stop the app, and
start-up logs that stay readable."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emotion_core import limits
from emotion_core.limits import Limits, env_number
from emotion_core.native_log import collapse
from hub.fetch import DEFAULT_TIMEOUT, HubConfig

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_without_variables():
    assert Limits.from_env({}) == Limits()
    assert Limits().max_upload_bytes == 200_000_000


def test_every_limit_is_read_from_its_variable():
    env = {
        "EMOTION_MAX_AUDIO_SECONDS": "60",
        "EMOTION_MAX_VIDEO_SECONDS": "30.5",
        "EMOTION_MAX_UPLOAD_MB": "5",
        "EMOTION_MAX_IMAGE_PIXELS": "2e6",
        "EMOTION_MAX_VIDEO_PIXELS": "921600",
        "EMOTION_UPLOAD_TTL_MINUTES": "10",
    }
    assert Limits.from_env(env) == Limits(60.0, 30.5, 5.0, 2_000_000, 921_600, 10.0)


@pytest.mark.parametrize("raw", ["abc", "-5", "0", "inf", "nan", "1e999", "12 MB"])
def test_a_bad_value_falls_back_to_the_default_and_says_why(raw, caplog):
    with caplog.at_level(logging.WARNING, logger="emotion_core.limits"):
        assert Limits.from_env({"EMOTION_MAX_AUDIO_SECONDS": raw}).max_audio_seconds == Limits.max_audio_seconds
        assert env_number({"X": raw}, "X", 7, int) == 7
    assert f"EMOTION_MAX_AUDIO_SECONDS={raw!r}" in caplog.text and "using the default, 300.0" in caplog.text


def test_an_empty_value_is_the_default_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        assert env_number({"X": "  "}, "X", 5.0) == 5.0
    assert caplog.text == ""


def test_a_bad_hub_timeout_falls_back_instead_of_stopping_the_app(caplog):
    with caplog.at_level(logging.WARNING):
        config = HubConfig.from_env({"EMOTION_MODEL_REPO": "owner/models", "EMOTION_MODEL_TIMEOUT": "abc"})
    assert config.timeout == DEFAULT_TIMEOUT
    assert "EMOTION_MODEL_TIMEOUT='abc' is not a number; using the default, 5.0" in caplog.text
    assert HubConfig.from_env({"EMOTION_MODEL_REPO": "o/m", "EMOTION_MODEL_TIMEOUT": "2.5"}).timeout == 2.5


def test_the_code_reads_the_limits_at_call_time():
    assert limits.LIMITS == Limits.from_env(os.environ)


def test_repeated_native_lines_are_collapsed_in_order():
    lines = ["a", "sparse", "b", "sparse", "sparse"]
    assert collapse(lines) == ["a", "sparse (x3)", "b"]


def test_lines_equal_but_for_addresses_and_glog_stamps_are_one_message():
    lines = ["INFO: [registry.cc:54] Register: ptr=0x7fdbcc0048d0, name=GPU",
             "INFO: [registry.cc:54] Register: ptr=0x7fdbc8003ef0, name=GPU",
             "W0000 00:00:1796305044.910365     583 runner.cc:1418] not aligned",
             "W0000 00:00:1796305044.976723     591 runner.cc:1418] not aligned",
             "INFO: [registry.cc:54] Register: ptr=0x7fdbc8003ef0, name=CPU"]
    assert collapse(lines) == ["INFO: [registry.cc:54] Register: ptr=..., name=GPU (x2)", "W runner.cc:1418] not aligned (x2)",
                               "INFO: [registry.cc:54] Register: ptr=..., name=CPU"]


@pytest.mark.slow
def test_the_app_starts_with_bad_variables_and_a_readable_log():
    """Bad values in a Space's variables cost a warning each, not the start; LiteRT's 46 identical
    "Sparsity tensors" lines per face detector, and every other native message, come out as one line."""
    env = {
        **os.environ,
        "EMOTION_MODEL_REPO": "owner/models",
        "EMOTION_MODEL_TIMEOUT": "abc",
        "EMOTION_MAX_AUDIO_SECONDS": "ten minutes",
        "EMOTION_WORKERS": "abc",
        "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: the Hub step fails at once
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run(
        [sys.executable, "-c", "import app; app.start(); print(app.ANALYZER.model_set.source); app.POOL.close()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("embedded")
    log = run.stderr
    assert "EMOTION_MODEL_TIMEOUT='abc' is not a number; using the default, 5.0" in log
    assert "EMOTION_MAX_AUDIO_SECONDS='ten minutes' is not a number; using the default, 300.0" in log
    assert "EMOTION_WORKERS='abc' is not a number; using the default, 2" in log
    assert "model set: no usable cached snapshot of owner/models@main" in log
    sparsity = [line for line in log.splitlines() if "Sparsity tensors" in line]
    # once, with how often it came: 46 per face detector loaded
    assert len(sparsity) == 1 and int(sparsity[0].rsplit("(x", 1)[1].rstrip(")")) % 46 == 0, sparsity
    native = [line for line in log.splitlines() if line.startswith(("INFO: [", "WARNING: [", "INFO: Created"))]
    assert len(native) == len(set(native)), native  # every native message once, addresses aside
