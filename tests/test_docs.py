"""The README's figures and docs/results.md are what docs/generate.py writes from the results files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_figures_are_up_to_date():
    run = subprocess.run([sys.executable, "docs/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr


def test_the_readme_is_a_landing_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert "![" in readme and (ROOT / "docs" / "live.png").is_file()  # the Live tab, shot by the browser test
    for page in ("docs/usage.md", "docs/results.md", "docs/architecture.md", "docs/deployment.md", "training/README.md"):
        assert page in readme and (ROOT / page).is_file(), page
