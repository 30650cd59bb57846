"""Choose the model set at start-up: the Hub repo the environment names, else its cached snapshot,
else the embedded defaults, with one log line per step that says why.

    EMOTION_MODEL_REPO      owner/name of the model repo; unset: the embedded defaults, no network
    EMOTION_MODEL_REVISION  branch, tag or commit (default main); pin a commit for a reproducible Space
    EMOTION_MODEL_TIMEOUT   seconds the whole Hub step may take (default 5) before falling back;
                            not a positive number: the default, with a warning that says so
    HF_TOKEN                for a private repo
    HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE   as everywhere in huggingface_hub

Only the files the manifest lists are downloaded, into the standard HF cache, and load_model_set
verifies every one against its sha256 before anything uses it; a commit whose files fail is
removed from the cache so it cannot poison later starts. A manifest this version cannot read is
refused before any model file is downloaded. Nothing from the Hub is unpickled or executed:
the manifest is JSON and the models are TFLite flatbuffers read by the LiteRT interpreter.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from huggingface_hub import HfApi, hf_hub_download, scan_cache_dir, snapshot_download
from huggingface_hub.errors import (
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    RevisionResolutionError,
)

from emotion_core.limits import env_number
from emotion_core.model_set import MANIFEST, Manifest, ModelSet, ModelSetError, load_model_set

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
T = TypeVar("T")
Check = Callable[[ModelSet], object]  # raises (ModelSetError) when the caller cannot use a set

# What a start-up meets most, in plain words (huggingface_hub's own messages run to several lines).
PLAIN_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (RevisionNotFoundError, "no such branch, tag or commit"),
    (RepositoryNotFoundError, "no such repo, or a private one that HF_TOKEN does not open"),
    (RevisionResolutionError, "nothing cached for this revision"),
    (LocalEntryNotFoundError, "the cached snapshot lacks a file"),
)


@dataclass(frozen=True)
class HubConfig:
    """Where the model set comes from. Read from the environment at call time, because huggingface_hub
    reads HF_ENDPOINT and HF_HOME once, at import."""

    repo: str
    revision: str = "main"
    token: str | None = None
    endpoint: str | None = None
    cache_dir: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HubConfig | None:
        """None when no repo is configured: the app then runs on its embedded defaults."""
        repo = env.get("EMOTION_MODEL_REPO", "").strip()
        if not repo:
            return None
        hf_home = env.get("HF_HOME")
        return cls(
            repo=repo,
            revision=env.get("EMOTION_MODEL_REVISION", "").strip() or "main",
            token=env.get("HF_TOKEN") or None,
            endpoint=env.get("HF_ENDPOINT") or None,
            cache_dir=env.get("HF_HUB_CACHE") or (str(Path(hf_home) / "hub") if hf_home else None),
            timeout=env_number(env, "EMOTION_MODEL_TIMEOUT", DEFAULT_TIMEOUT),  # bad: the default, logged
        )

    @property
    def name(self) -> str:
        return f"{self.repo}@{self.revision}"

    def api(self) -> HfApi:
        return HfApi(endpoint=self.endpoint, token=self.token)


def _reason(exc: BaseException) -> str:
    """An exception as one short phrase for a log line."""
    plain = next((words for kind, words in PLAIN_REASONS if isinstance(exc, kind)), None)
    text = plain or " ".join(str(exc).split())[:400]  # room for a snapshot path and the manifest error after it
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _within(seconds: float, fn: Callable[[], T]) -> T:
    """fn(), or TimeoutError after `seconds`.

    huggingface_hub bounds single requests only: some of its calls retry with back-off or have no
    timeout at all. The abandoned daemon thread cannot hold up the app, and whatever it may still
    write to the cache is verified before any later use.
    """
    outcome: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            outcome.put((True, fn()))
        except BaseException as exc:  # handed to the caller's thread as is
            outcome.put((False, exc))

    threading.Thread(target=run, name="model-set-fetch", daemon=True).start()
    try:
        ok, value = outcome.get(timeout=seconds)
    except queue.Empty:
        raise TimeoutError(f"no complete answer within {seconds:g} s") from None
    if ok:
        return value  # type: ignore[return-value]
    raise value  # type: ignore[misc]


def _forget(config: HubConfig, commit: str) -> None:
    """Remove a commit that failed verification from the cache, so the next start downloads it afresh."""
    scan_cache_dir(config.cache_dir).delete_revisions(commit).execute()


def download(config: HubConfig, check: Check) -> ModelSet:
    """The set at config.revision, downloaded (or already cached at that commit), verified and checked."""
    api = config.api()
    # repo_info fails at once, without retries, when the endpoint is unreachable or the repo or revision
    # unknown, where hf_hub_download would retry for tens of seconds. Its sha pins every file to one commit.
    commit = api.repo_info(config.repo, revision=config.revision, timeout=config.timeout).sha
    common = {
        "repo_id": config.repo,
        "revision": commit,
        "cache_dir": config.cache_dir,
        "endpoint": config.endpoint,
        "token": config.token,
        "etag_timeout": config.timeout,
    }
    # Parsed, and refused if this version cannot read it, before any model file is downloaded.
    manifest = Manifest.read(Path(hf_hub_download(filename=MANIFEST, **common)).parent)
    folder = snapshot_download(allow_patterns=[MANIFEST, *manifest.files], **common)
    try:
        model_set = load_model_set(folder, source=f"{config.repo}@{commit}")
    except ModelSetError:
        _forget(config, commit)
        raise
    check(model_set)  # intact but not for this code (say, a newer format): kept, but not adopted
    # Map the revision to this commit in the cache only now that it verified, so an offline start
    # falls back to the last set that verified, never to one that failed.
    api.resolve_revision(config.repo, revision=config.revision, cache_dir=config.cache_dir)
    return model_set


def cached(config: HubConfig, check: Check) -> ModelSet:
    """The set the cache holds for config.revision, verified and checked, without any network access."""
    commit = config.api().resolve_revision(
        config.repo, revision=config.revision, cache_dir=config.cache_dir, local_files_only=True
    ).resolved
    manifest = hf_hub_download(
        config.repo, MANIFEST, revision=commit, cache_dir=config.cache_dir, local_files_only=True
    )
    model_set = load_model_set(Path(manifest).parent, source=f"{config.repo}@{commit}")
    check(model_set)
    return model_set


def _accept(model_set: ModelSet) -> None:
    """The default check: a set that verifies is usable."""


def resolve_model_set(env: Mapping[str, str] = os.environ, check: Check = _accept) -> ModelSet:
    """Hub -> cached snapshot -> embedded defaults: the first that verifies, never raising for the first two.

    Any failure of a step (unreachable, timeout, unknown repo or revision, refused token, bad
    manifest, checksum mismatch, or `check` raising) only moves on to the next, so the app always
    starts. `check` lets the caller reject a downloaded set its code cannot use, e.g. by loading
    its models, since a repo can be republished in a format this version does not read.
    """
    config = HubConfig.from_env(env)
    if config is None:
        logger.info("model set: embedded defaults (EMOTION_MODEL_REPO is not set)")
        return load_model_set()
    where = config.endpoint or "the Hub"
    try:
        model_set = _within(config.timeout, lambda: download(config, check))
        logger.info("model set: %s from %s, verified", model_set.source, where)
        return model_set
    except Exception as exc:
        logger.warning(
            "model set: cannot fetch %s from %s (%s); trying the cache", config.name, where, _reason(exc)
        )
    try:
        model_set = cached(config, check)
        logger.warning("model set: %s from the cache, verified", model_set.source)
        return model_set
    except Exception as exc:
        logger.warning(
            "model set: no usable cached snapshot of %s (%s); using the embedded defaults",
            config.name,
            _reason(exc),
        )
    return load_model_set()
