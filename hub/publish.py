"""Publish a model set to a Hub model repo: its manifest-listed files, manifest.json and a model
card generated from the manifest, in one commit.

    python -m hub.publish --repo owner/name [--create] [--private] [--dry-run]
                          [--folder emotion_core/defaults] [--revision-tag TAG]

The folder is verified against its manifest first, so a set that fails its checksums never
leaves the machine. Authenticates with HF_TOKEN (or a saved `hf auth login`); HF_ENDPOINT points
it at another Hub-compatible server. Pin the printed commit in the Space (EMOTION_MODEL_REVISION).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError

from emotion_core.model_set import DEFAULT_DIR, MANIFEST, ModelSetError, load_model_set

from .card import DEFAULT_LICENSE, model_card

CARD = "README.md"


def plan_upload(folder: Path, repo: str, license: str = DEFAULT_LICENSE) -> dict[str, Path | bytes]:
    """Path in the repo -> local file or content: exactly what the manifest lists, plus itself and the card.

    Only listed files go up, so stray files in the folder (caches, drafts) are never published.
    """
    model_set = load_model_set(folder, source=str(folder))
    files: dict[str, Path | bytes] = {name: model_set.path(name) for name in model_set.manifest.files}
    files[MANIFEST] = model_set.path(MANIFEST)
    files[CARD] = model_card(model_set.manifest, repo, license).encode()
    return files


def describe(files: dict[str, Path | bytes]) -> str:
    """One line per file with its size, for the dry run and the log of a real run."""
    sizes = {name: len(c) if isinstance(c, bytes) else c.stat().st_size for name, c in files.items()}
    return "\n".join(f"  {name:<40} {size:>10,} bytes" for name, size in sizes.items())


def publish(
    api: HfApi,
    repo: str,
    files: dict[str, Path | bytes],
    *,
    create: bool = False,
    private: bool = False,
    tag: str | None = None,
    message: str = "Publish model set",
) -> str:
    """Upload `files` as one commit (creating the repo if asked), tag it if asked; return the commit id."""
    if create:
        api.create_repo(repo, private=private, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=c) for name, c in files.items()]
    commit = api.create_commit(repo, operations=operations, commit_message=message)
    if tag:
        api.create_tag(repo, tag=tag, revision=commit.oid)
    return commit.oid


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", required=True, help="model repo id, owner/name")
    parser.add_argument("--folder", type=Path, default=DEFAULT_DIR, help="model set (default: embedded)")
    parser.add_argument("--create", action="store_true", help="create the repo if it does not exist")
    parser.add_argument("--private", action="store_true", help="with --create: make the new repo private")
    parser.add_argument("--revision-tag", metavar="TAG", help="tag the new commit, e.g. v2")
    parser.add_argument("--license", default=DEFAULT_LICENSE, help=f"card licence ({DEFAULT_LICENSE})")
    parser.add_argument("--message", default="Publish model set", help="commit message")
    parser.add_argument("--dry-run", action="store_true", help="print what would be uploaded, upload nothing")
    args = parser.parse_args(argv)
    if args.private and not args.create:
        parser.error("--private applies to a repo that --create makes")

    try:
        files = plan_upload(args.folder, args.repo, args.license)
    except ModelSetError as exc:
        sys.exit(f"not publishing: {exc}")
    print(f"{args.repo}: {len(files)} files from {args.folder}\n{describe(files)}")
    if args.dry_run:
        print(f"\nDry run: nothing uploaded. {CARD} would be:\n\n{files[CARD].decode()}")
        return
    # Read here rather than by huggingface_hub at import, so the environment at call time counts.
    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT"), token=os.environ.get("HF_TOKEN"))
    try:
        commit = publish(
            api, args.repo, files,
            create=args.create, private=args.private, tag=args.revision_tag, message=args.message,
        )
    except HfHubHTTPError as exc:
        sys.exit(f"publish failed: {exc}")
    print(f"published {args.repo}@{commit}")
    print(f"pin it: EMOTION_MODEL_REPO={args.repo} EMOTION_MODEL_REVISION={commit}")


if __name__ == "__main__":
    main()
