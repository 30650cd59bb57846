"""Score every speech model's held-out predictions under the one protocol (training/speech_report.py).

    python -m training.evaluate_speech

Writes training/results/speech_metrics.json and speech_confusion.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .speech_report import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default="runs/speech")
    args = parser.parse_args()
    report = write_report(Path(args.runs))
    for name, m in report.items():
        if isinstance(m, dict):
            r = m["ravdess_held_out_actors"]
            print(f"{name:26s} RAVDESS {r['fold_accuracy_mean']:.3f} ± {r['fold_accuracy_std']:.3f} "
                  f"macro-F1 {r['macro_f1']:.3f}  TESS {m['tess_held_out_words']['accuracy']:.3f}")


if __name__ == "__main__":
    main()
