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


def _is_script(path: Path) -> bool:
    """A module run with `python -m`: it has an `if __name__ == "__main__":` block."""
    return any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
               for node in ast.parse(path.read_text()).body)


def _training_imports(path: Path) -> set[Path]:
    """The training/ modules `path` imports (relative or absolute), as files."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
            module = base.joinpath(*(node.module or "").split("."))
        elif node.module and node.module.split(".")[0] == "training":
            module = ROOT.joinpath(*node.module.split("."))
        else:
            continue
        candidates = [module.with_suffix(".py")] + [module / f"{a.name}.py" for a in node.names]
        found |= {c for c in candidates if c.is_file()}
    return found


def test_no_training_script_imports_another_script():
    """Shared code lives in library modules; a script is only ever run, never imported."""
    scripts = {p for p in (ROOT / "training").rglob("*.py") if _is_script(p)}
    assert len(scripts) > 10  # the check sees them
    offenders = {str(p.relative_to(ROOT)): sorted(str(m.relative_to(ROOT)) for m in _training_imports(p) & scripts)
                 for p in scripts}
    assert {k: v for k, v in offenders.items() if v} == {}
