"""Publishing and fetching the model set through the real huggingface_hub client, against the
Hub-compatible server of tests/hub_server.py on 127.0.0.1: nothing here reaches the network.

Each test gets a fresh server and a fresh HF cache (HF_HOME in a temporary folder).
"""

from __future__ import annotations

import ast
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from huggingface_hub import HfApi, ModelCard

from emotion_core import Analyzer
from emotion_core.model_set import MANIFEST, FusionEntry, Manifest, ModelSet, load_model_set, sha256_of
from emotion_core.voice.speech import SpeechModel
from hub import publish as publish_cli
from hub.card import model_card
from hub.fetch import resolve_model_set
from hub.publish import CARD, plan_upload, publish
from hub_server import TOKEN, HubServer, free_port

ROOT = Path(__file__).resolve().parents[1]
REPO = "emotion-stream/models"


@pytest.fixture(scope="module")
def source_set(tmp_path_factory: pytest.TempPathFactory, model_set: ModelSet) -> Path:
    """A verified copy of the embedded set, so a re-export of the defaults cannot change it mid-test."""
    folder = Path(shutil.copytree(model_set.folder, tmp_path_factory.mktemp("set") / "models"))
    load_model_set(folder)
    return folder


@pytest.fixture
def hub():
    with HubServer() as server:
        yield server


@pytest.fixture
def env(hub: HubServer, tmp_path: Path) -> dict[str, str]:
    """What a Space sets, with a fresh cache; resolve_model_set reads only this mapping."""
    return {
        "EMOTION_MODEL_REPO": REPO,
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_TOKEN": TOKEN,
        "EMOTION_MODEL_TIMEOUT": "3",
    }


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="hub.fetch")
    return caplog


def _fetch_lines(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "hub.fetch")


def _publish(hub: HubServer, folder: Path, **kwargs) -> str:
    api = HfApi(endpoint=hub.url, token=TOKEN)
    return publish(api, REPO, plan_upload(folder, REPO), create=True, **kwargs)


def _push(hub: HubServer, folder: Path) -> str:
    """Every file of `folder` as one commit, past the checks publish makes (for sets it refuses)."""
    return hub.commit(REPO, {name: (folder / name).read_bytes() for name in os.listdir(folder)})


def _variant(source: Path, dest: Path, change: Callable[[dict], object]) -> Path:
    """The same model files under a manifest changed as plain JSON (so a new commit): one this
    version reads, or one it refuses."""
    folder = Path(shutil.copytree(source, dest))
    manifest = json.loads((folder / MANIFEST).read_text())
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def _corrupt(hub: HubServer, source: Path) -> str:
    """A commit whose model file no longer matches the sha256 its manifest gives."""
    name = next(iter(Manifest.read(source).files))
    data = bytearray((source / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    return hub.commit(REPO, {MANIFEST: (source / MANIFEST).read_bytes(), name: bytes(data)})


def _downloaded(hub: HubServer) -> set[str]:
    """The names of the files the client downloaded."""
    return {r.rsplit("/", 1)[1] for r in hub.requests if r.startswith("GET") and "/resolve/" in r}


def _snapshots(env: dict[str, str]) -> set[str]:
    folder = Path(env["HF_HOME"], "hub", f"models--{REPO.replace('/', '--')}", "snapshots")
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


# Fetch at start-up.


def test_first_start_downloads_only_the_listed_files_and_verifies_them(hub, env, source_set, logs):
    commit = _publish(hub, source_set)
    model_set = resolve_model_set(env)
    assert model_set.source == f"{REPO}@{commit}"
    assert Path(env["HF_HOME"], "hub") in model_set.folder.parents
    manifest = Manifest.read(source_set)
    assert model_set.manifest == manifest
    for name, digest in manifest.files.items():
        assert sha256_of(model_set.path(name)) == digest
    assert _downloaded(hub) == {MANIFEST, *manifest.files}  # the card and anything else stay on the Hub
    assert f"{REPO}@{commit} from {hub.url}, verified" in _fetch_lines(logs)
    assert Analyzer(model_set).speech.labels  # LiteRT loads the model from the cache's snapshot


def test_second_start_uses_the_cache_once_the_server_is_gone(hub, env, source_set, logs):
    commit = _publish(hub, source_set)
    first = resolve_model_set(env)
    hub.stop()
    started = time.monotonic()
    second = resolve_model_set(env)
    assert time.monotonic() - started < 2
    assert second.source == f"{REPO}@{commit}"
    assert second.folder == first.folder
    lines = _fetch_lines(logs)
    assert "Connection refused" in lines or "ConnectError" in lines
    assert f"{REPO}@{commit} from the cache, verified" in lines


def test_corrupted_file_on_the_server_is_rejected_and_purged(hub, env, source_set, logs):
    hub.create_repo(REPO)
    bad = _corrupt(hub, source_set)
    model_set = resolve_model_set(env)
    assert model_set.source == "embedded"
    lines = _fetch_lines(logs)
    assert "fails its checksum" in lines
    assert "using the embedded defaults" in lines
    assert bad not in _snapshots(env)


def test_corrupted_new_commit_falls_back_to_the_last_set_that_verified(hub, env, source_set, logs):
    good = _publish(hub, source_set)
    assert resolve_model_set(env).source == f"{REPO}@{good}"
    bad = _corrupt(hub, source_set)
    model_set = resolve_model_set(env)
    assert model_set.source == f"{REPO}@{good}"
    assert "fails its checksum" in _fetch_lines(logs)
    assert _snapshots(env) == {good}
    assert bad != good


def test_file_corrupted_in_the_cache_is_downloaded_afresh_on_the_next_start(hub, env, source_set, logs):
    commit = _publish(hub, source_set)
    model_set = resolve_model_set(env)
    name = model_set.speech.file
    blob = model_set.path(name).resolve()
    blob.write_bytes(blob.read_bytes()[:-1])
    assert resolve_model_set(env).source == "embedded"  # rejected, and dropped from the cache
    assert "fails its checksum" in _fetch_lines(logs)
    assert resolve_model_set(env).source == f"{REPO}@{commit}"


@pytest.mark.parametrize("pin", ["commit", "tag"])
def test_pinned_revision_is_honoured(hub, env, source_set, tmp_path, pin):
    first = _publish(hub, source_set, tag="v1")
    note = lambda m: m["models"]["speech"]["metrics"].update(note="second")  # noqa: E731
    second = _publish(hub, _variant(source_set, tmp_path / "v2", note))
    assert first != second
    env["EMOTION_MODEL_REVISION"] = first if pin == "commit" else "v1"
    model_set = resolve_model_set(env)
    assert model_set.source == f"{REPO}@{first}"
    assert "note" not in model_set.speech.metrics
    del env["EMOTION_MODEL_REVISION"]
    assert resolve_model_set(env).speech.metrics["note"] == "second"


def test_set_this_code_cannot_use_is_not_adopted(hub, env, source_set, tmp_path, logs):
    """A republished set whose manifest reads and verifies, but whose features this version does
    not compute, fails the app's check."""
    newer = lambda m: m["models"]["speech"]["input"]["features"].update(n_chroma=12)  # noqa: E731
    _publish(hub, _variant(source_set, tmp_path / "next", newer))
    assert resolve_model_set(env, check=SpeechModel).source == "embedded"
    assert "is not usable" in _fetch_lines(logs)
    assert _snapshots(env)  # intact files stay cached; only checksum failures are purged


def test_manifest_this_code_cannot_read_is_refused_before_any_model_is_downloaded(
    hub, env, source_set, tmp_path, logs
):
    hub.create_repo(REPO)
    _push(hub, _variant(source_set, tmp_path / "next", lambda m: m["models"]["speech"].pop("input")))
    assert resolve_model_set(env).source == "embedded"
    assert "models.speech.input is missing" in _fetch_lines(logs)
    assert _downloaded(hub) == {MANIFEST}


def test_manifest_that_lists_no_files_is_refused_before_any_model_is_downloaded(
    hub, env, source_set, tmp_path, logs
):
    """Its models would otherwise be downloaded by name and load without any checksum."""
    hub.create_repo(REPO)
    _push(hub, _variant(source_set, tmp_path / "unlisted", lambda m: m["files"].clear()))
    assert resolve_model_set(env).source == "embedded"
    assert "which files does not list" in _fetch_lines(logs)
    assert _downloaded(hub) == {MANIFEST}


def test_unknown_revision_falls_back_with_a_clear_log_line(hub, env, source_set, logs):
    _publish(hub, source_set)
    env["EMOTION_MODEL_REVISION"] = "v9"
    assert resolve_model_set(env).source == "embedded"
    assert "RevisionNotFoundError" in _fetch_lines(logs)


def test_unknown_repo_falls_back_to_embedded_with_a_clear_log_line(hub, env, logs):
    env["EMOTION_MODEL_REPO"] = "nobody/missing"
    assert resolve_model_set(env).source == "embedded"
    lines = _fetch_lines(logs).splitlines()
    assert lines[0].startswith(
        f"model set: cannot fetch nobody/missing@main from {hub.url} (RepositoryNotFoundError"
    )
    assert lines[1].startswith("model set: no usable cached snapshot of nobody/missing@main")
    assert lines[1].endswith("using the embedded defaults")


def test_private_repo_needs_the_token(hub, env, source_set):
    hub.create_repo(REPO, private=True)
    commit = _push(hub, source_set)
    assert resolve_model_set({**env, "HF_TOKEN": "hf_wrong"}).source == "embedded"
    assert resolve_model_set(env).source == f"{REPO}@{commit}"


def test_unreachable_endpoint_falls_back_to_embedded_within_seconds(env, logs):
    env["HF_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    assert resolve_model_set(env).source == "embedded"
    assert time.monotonic() - started < 2
    assert "using the embedded defaults" in _fetch_lines(logs)


def test_hub_that_stops_answering_is_abandoned_after_the_timeout(hub, env, source_set, logs):
    _publish(hub, source_set)
    hub.stall_downloads = True
    env["EMOTION_MODEL_TIMEOUT"] = "1"
    started = time.monotonic()
    assert resolve_model_set(env).source == "embedded"
    assert 1 <= time.monotonic() - started < 3
    assert "TimeoutError" in _fetch_lines(logs)


def test_no_repo_configured_means_embedded_without_network(hub, env, logs):
    del env["EMOTION_MODEL_REPO"]
    assert resolve_model_set(env).source == "embedded"
    assert hub.requests == []
    assert "EMOTION_MODEL_REPO is not set" in _fetch_lines(logs)


def test_emotion_core_never_imports_hub():
    """hub/ hands emotion_core a verified folder; the core must run without it (CLI, bench, tests)."""
    for path in (ROOT / "emotion_core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        assert not {m for m in modules if m and m.split(".")[0] == "hub"}, path


# Publishing.


def test_publish_uploads_the_listed_files_manifest_and_card_then_tags(hub, source_set, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    publish_cli.main(["--repo", REPO, "--create", "--folder", str(source_set), "--revision-tag", "v1"])
    model_set = load_model_set(source_set)
    uploaded = hub.files(REPO, "v1")
    assert set(uploaded) == {*model_set.manifest.files, MANIFEST, CARD}
    for name in [*model_set.manifest.files, MANIFEST]:
        assert uploaded[name] == (source_set / name).read_bytes()
    commit = hub.repos[REPO].refs["main"]
    assert f"EMOTION_MODEL_REVISION={commit}" in capsys.readouterr().out

    card = ModelCard(uploaded[CARD].decode())
    assert card.data.license and card.data.tags
    figures = {r.metric_type: r.metric_value for r in card.data.eval_results}
    expected = {
        key: value
        for entry in (model_set.speech, model_set.face)
        for key, value in entry.metrics.items()
        if isinstance(value, (int, float))
    }
    assert figures == expected
    for section in ("## Intended use", "## Training data", "## Limitations", "## Third-party files"):
        assert section in card.text
    assert "Apache-2.0" in card.text and "blazeface_LICENSE" in card.text


def test_card_describes_the_fusion_weights_a_set_ships(source_set):
    manifest = Manifest.read(source_set)
    fusion = FusionEntry(voice_weight=1.25, face_weight=0.5, source="training/results/fusion_metrics.json")
    card = model_card(replace(manifest, models={**manifest.models, "fusion": fusion}), REPO)
    assert "### fusion" in card and "exponents 1.25 (voice) and 0.5 (face)" in card
    without = {task: entry for task, entry in manifest.models.items() if task != "fusion"}
    assert "fusion_metrics.json" in card and "### fusion" not in model_card(replace(manifest, models=without), REPO)


def test_publish_dry_run_prints_what_it_would_upload_and_sends_nothing(hub, source_set, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    publish_cli.main(["--repo", REPO, "--dry-run", "--folder", str(source_set)])
    out = capsys.readouterr().out
    for name in [*Manifest.read(source_set).files, MANIFEST, CARD]:
        assert name in out
    assert "Dry run: nothing uploaded" in out and "model-index:" in out
    assert hub.requests == []


def test_publish_refuses_a_set_that_fails_its_checksums(hub, source_set, tmp_path, monkeypatch):
    folder = Path(shutil.copytree(source_set, tmp_path / "broken"))
    name = next(iter(Manifest.read(folder).files))
    (folder / name).write_bytes(b"not a model")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    with pytest.raises(SystemExit, match="not publishing"):
        publish_cli.main(["--repo", REPO, "--create", "--folder", str(folder)])
    assert hub.requests == []


# The app itself.


HUB_MARGIN_SECONDS = 3.0  # what an unreachable Hub may add to the app's first answer


def _first_answer(env: dict, clip_path: Path, log: Path) -> tuple[float, str, dict]:
    """Seconds from `python app.py` to its first answer, its page, and that answer's full result."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.monotonic()
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        while True:
            assert app.poll() is None, f"app exited early:\n{log.read_text()}"
            assert time.monotonic() - started < 120, f"app not up within 120 s:\n{log.read_text()}"
            try:
                page = httpx.get(f"{url}config", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        client = Client(url, verbose=False)
        *_, report = client.predict(handle_file(str(clip_path)), api_name="/analyze_audio")
        return time.monotonic() - started, page.text, report
    finally:
        app.terminate()
        app.wait(timeout=10)


@pytest.mark.slow
def test_an_unreachable_hub_costs_the_first_answer_a_few_seconds_at_most(tmp_path, clip_path):
    """Against the same app with no Hub configured, started just before on the same machine: a
    ratio to what this machine takes now, so that a loaded machine does not fail the test."""
    plain = {k: v for k, v in os.environ.items() if k != "EMOTION_MODEL_REPO"}
    baseline, _, _ = _first_answer(plain, clip_path, tmp_path / "embedded.log")
    env = {**plain, "EMOTION_MODEL_REPO": REPO, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}",
           "HF_HOME": str(tmp_path / "hf")}
    log = tmp_path / "app.log"
    elapsed, page, report = _first_answer(env, clip_path, log)
    assert elapsed < baseline + HUB_MARGIN_SECONDS, f"first answer after {elapsed:.1f} s, {baseline:.1f} s without a Hub"
    assert report["models"] == "embedded"
    assert "Model set: **embedded**" in page
    assert "using the embedded defaults" in log.read_text()


def test_card_says_what_the_models_are_not_for_and_quotes_the_results_files(source_set):
    import json

    from hub.card_figures import RESULTS

    card = " ".join(model_card(Manifest.read(source_set), REPO).split())  # one line: phrases wrap
    for use in ("hiring", "surveillance", "policing", "clinical", "any decision about a person"):
        assert use in card
    metrics = json.loads((RESULTS / "speech_metrics.json").read_text())
    speech = metrics[metrics["shipped"]]["ravdess_held_out_actors"]
    assert f"{speech['fold_accuracy_mean'] * 100:.1f} % ± {speech['fold_accuracy_std'] * 100:.1f}" in card
    calibration = json.loads((RESULTS / "calibration_metrics.json").read_text())["face"]["test"]
    assert f"{calibration['before']['ece'] * 100:.1f} % → {calibration['after']['ece'] * 100:.1f} %" in card
    for source in ("speech_metrics.json", "face_metrics.json", "fusion_metrics.json", "calibration_metrics.json",
                   "speech_gender_gap.json", "robustness.json"):
        assert source in card


def test_card_leaves_out_a_section_whose_results_file_is_missing(tmp_path):
    from hub.card_figures import evaluation_sections

    assert evaluation_sections(tmp_path) == ""


def test_the_card_says_how_to_run_its_own_set(model_set: ModelSet):
    """The embedded set needs no variables; a Hub set's card names its repo and commit."""
    from hub.card import model_card_text

    embedded = model_card_text(model_set.manifest, "embedded")
    assert "EMOTION_MODEL_REPO=" not in embedded and "`python app.py` runs on it" in embedded
    pinned = model_card_text(model_set.manifest, "owner/models@0123abc")
    assert "EMOTION_MODEL_REPO=owner/models EMOTION_MODEL_REVISION=0123abc python app.py" in pinned
