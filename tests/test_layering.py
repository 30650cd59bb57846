"""One direction of flow: emotion_core never imports the Space's plumbing, Gradio, TensorFlow or training."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("space", "app", "gradio", "tensorflow", "keras", "training", "hub", "librosa")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_emotion_core_imports_nothing_of_the_space_or_training():
    offenders = {p.name: sorted(_imports(p) & set(FORBIDDEN)) for p in (ROOT / "emotion_core").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
