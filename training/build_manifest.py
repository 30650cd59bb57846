"""Rebuild a model folder's manifest.json from its parts (training/manifest.py), with fresh sha256s.

    python -m training.build_manifest                    # emotion_core/defaults from training/results/manifest
    python -m training.build_manifest --folder some/set  # a folder with its own manifest_parts/
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from emotion_core.model_set import DEFAULT_DIR

from .manifest import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--parts", type=Path, default=None, help="default: training/results/manifest for the shipped set")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    manifest = build(args.folder, args.parts)
    print(f"wrote {args.folder / 'manifest.json'}: {', '.join(manifest.models)}")


if __name__ == "__main__":
    main()
