"""A training script's command line, read off its Config dataclass (moved out of training/evaluate_fusion.py)."""

from __future__ import annotations

import argparse
from dataclasses import asdict


def parse_config(config_class, description: str | None, argv: list[str] | None = None):
    """An instance of `config_class` (a dataclass whose fields all have defaults) from the command
    line: one --option per field (underscores written as dashes), of its default's type; a bool
    option takes 1/true/yes or anything else for False."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, value in asdict(config_class()).items():
        kind = (lambda s: s.lower() in ("1", "true", "yes")) if isinstance(value, bool) else type(value)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value)
    return config_class(**vars(parser.parse_args(argv)))
