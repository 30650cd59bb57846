"""Write docs/results.md and the README's headline figures from the results files, never by hand.

    python docs/generate.py           # rewrite both
    python docs/generate.py --check   # exit 1 if either is out of date (the tests run this)

Every figure comes from training/results/*.json (accuracy, calibration, robustness) or
bench/results/*.json (speed); a missing file leaves its part out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.card_figures import RESULTS, evaluation_sections  # noqa: E402

BENCH = ROOT / "bench" / "results"
RESULTS_PAGE = ROOT / "docs" / "results.md"
README = ROOT / "README.md"
START, END = "<!-- figures: written by docs/generate.py -->", "<!-- /figures -->"


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def variants_table(results: Path = RESULTS) -> str | None:
    """Every speech variant under the one protocol, as speech_metrics.json has it."""
    metrics = _load(results / "speech_metrics.json")
    if metrics is None:
        return None
    lines = ["| variant | accuracy, mean ± sd over folds | folds | male / female actors | macro-F1 | scored in |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, row in metrics.items():
        if not isinstance(row, dict) or "ravdess_held_out_actors" not in row:
            continue
        r = row["ravdess_held_out_actors"]
        lines.append(
            f"| `{name}` | {_pct(r['fold_accuracy_mean'])} ± {r['fold_accuracy_std'] * 100:.1f} | {len(r['fold_accuracy'])} "
            f"| {_pct(r['accuracy_male_actors'])} / {_pct(r['accuracy_female_actors'])} | {_pct(r['macro_f1'])} "
            f"| {row.get('from_run', metrics['run'])[:10]} |"
        )
    return ("### Every speech variant (from `training/results/speech_metrics.json`)\n\n"
            f"{metrics['notes']}\n\n" + "\n".join(lines))


def augmented_section(results: Path = RESULTS) -> str | None:
    """Clean against augmented held-out copies, per cv run (training/analyses/augmented_heldout.py)."""
    report = _load(results / "augmented_heldout.json")
    if report is None:
        return None
    lines = ["| cv run | in training, an augmented copy's own statistics | clean | augmented copies | drop |",
             "| --- | --- | --- | --- | --- |"]
    for name, row in report.items():
        if isinstance(row, dict):
            lines.append(f"| `{name}` | {row['augment_stats'] * 100:.0f} % of the time | {_pct(row['clean_accuracy_mean'])} "
                         f"| {_pct(row['augmented_accuracy_mean'])} | {row['drop_points']:.1f} points |")
    return ("### Noisy copies of held-out actors, by recipe (from `training/results/augmented_heldout.json`)\n\n"
            f"{report['what']}; the copies mix speed, white, pink or babble noise at 5-35 dB SNR and a time "
            "shift, as training's augmentation does (fold means, float).\n\n" + "\n".join(lines))


def noise_router_section(results: Path = RESULTS) -> str | None:
    """Both voice models and the two routed, clean and in noise (training/fit_noise_router.py)."""
    report = _load(results / "noise_router.json")
    if report is None:
        return None
    lines = ["| condition | clean model | noisy model | routed | windows to the noisy model |",
             "| --- | --- | --- | --- | --- |"]
    for name, row in report["conditions"].items():
        lines.append(f"| {name.replace('_', ' ')} | {_pct(row['accuracy_clean_model'])} | {_pct(row['accuracy_noisy_model'])} "
                     f"| {_pct(row['accuracy_routed'])} | {_pct(row['share_to_noisy_model'])} |")
    return ("### Which voice model reads a window (from `training/results/noise_router.json`)\n\n"
            "A window whose pauses lie less than "
            f"{report['threshold_db']:g} dB below its loudest frame (a steady noise floor: a fan, hiss, a noisy "
            "microphone) is read by the second voice model, trained on noisy statistics "
            "(`emotion_core/voice/noise.py`); the rest by the clean one. Chosen on out-of-fold readings: "
            f"{report['rule']}. {report['clips']}; noise at the SNR over the speech, seeds apart from the "
            f"robustness table's.{_noisy_temperature(report)}\n\n![accuracy against SNR](../training/results/noise_router.png)\n\n" + "\n".join(lines))


def _noisy_temperature(report: dict) -> str:
    t = report.get("noisy_model_temperature")
    if t is None:
        return ""
    return (f" The noisy model's readings are taken at temperature {t['temperature']:.3f}, fitted on the "
            f"{t['windows']:,} windows it reads here: calibration error {_pct(t['ece_before'])} before, "
            f"{_pct(t['ece_after'])} after (mean confidence {_pct(t['mean_confidence_after'])}, accuracy {_pct(t['accuracy'])}).")


def speed_section(bench: Path = BENCH) -> str | None:
    speech, face, video = (_load(bench / f"{n}.json") for n in ("speech_latency", "face_latency", "video_speed"))
    cold, soak, batch = (_load(bench / f"{n}.json") for n in ("cold_start", "soak", "batch_speed"))
    if speech is None:
        return None
    s = speech["stages"]
    lines = [
        "### Speed (from `bench/results/`, on this project's 2-core machine; medians)",
        "",
        f"- **A 3 s recording** (`bench/bench_speech.py`, `speech_latency.json`): {s['total']['median_ms']:.1f} ms from file to "
        f"distribution: decoding {s['decode']['median_ms']:.1f} ms, voice activity (Silero, 32 ms chunks, scored until every window is decided) "
        f"{s['voice_activity']['median_ms']:.1f} ms, the front end (features) {s['features']['median_ms']:.1f} ms, "
        + (f"the test that picks the model {s['noise_test']['median_ms']:.2f} ms, " if "noise_test" in s else "")
        + f"the int8 model {s['inference_int8']['median_ms']:.2f} ms"
        + (f" (the one for windows with a steady noise floor, run instead of it there, {s['inference_noisy_int8']['median_ms']:.2f} ms)"
           if "inference_noisy_int8" in s else "") + ".",
    ]
    if face:
        lines.append(f"- **A webcam frame** (`bench/bench_face.py`, `face_latency.json`): {face['stages']['total']['median_ms']:.1f} ms "
                     f"(detection {face['stages']['detection']['median_ms']:.1f} ms, the face model {face['stages']['classification']['median_ms']:.1f} ms).")
    if video:
        by = video["video"]["by_fps"][str(video["video"]["default_fps"])]
        lines.append(f"- **A 30 s video** (`bench/bench_video.py`, `video_speed.json`): real-time factor {by['real_time_factor']:.3f} "
                     f"at {video['video']['default_fps']:g} frames a second; the Live tab's frame handler "
                     f"{video['live']['frames_per_second_with_gradio_encoding']:.0f} frames a second in the server.")
    if page := _load(bench / "live_page.json"):
        m = page["summary_median"]
        lines.append(f"- **The Live tab in the browser** (`bench/bench_live_page.py`, `live_page.json`): "
                     f"{m['frames_shown_per_second']:.1f} processed frames a second shown on the page (the frame "
                     f"handler {m['handler_median_ms']:.0f} ms beside Chromium), the first voice reading "
                     f"{m['first_voice_reading_seconds']:.1f} s after one click on Go live.")
    if cold:
        c = cold["summary_median"]
        lines.append(f"- **Cold start** (`bench/cold_start.py`, `cold_start.json`): the first answer {c['first_answer_seconds']:.1f} s "
                     f"after the process starts.")
    if soak:
        lines.append(f"- **Soak** (`bench/soak.py`, `soak.json`): {soak['requests']} requests, {soak['errors']} errors, resident "
                     f"memory {soak['growth_mb']['baseline_to_end']:+.0f} MB from baseline to end.")
    if batch:
        runs = batch["runs"]
        f = batch["folder"]
        parts = ", ".join(f"{name.replace('_', ' ')} {r['files_per_second']:.2f} files/s (real-time factor "
                          f"{r['real_time_factor']:.3f}, {r['peak_rss_mb_per_worker']:.0f} MB per worker)" for name, r in runs.items())
        m = batch["memory_by_video_length"]
        lines.append(f"- **Batch** (`bench/bench_batch.py`, `batch_speed.json`): {f['videos']} videos of {f['seconds_each']:g} s: {parts}. "
                     f"Peak memory of one worker: {m['short']['peak_rss_mb_per_worker']:.0f} MB for a {m['short']['video_seconds']:g} s video, "
                     f"{m['long']['peak_rss_mb_per_worker']:.0f} MB for a {m['long']['video_seconds']:g} s one.")
    return "\n".join(lines)


def results_page() -> str:
    parts = [
        "# Results\n\n_Written by `python docs/generate.py` from the results files; do not edit by hand._",
        evaluation_sections(),
        variants_table(),
        augmented_section(),
        noise_router_section(),
        speed_section(),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def headline(results: Path = RESULTS, bench: Path = BENCH) -> str:
    """The README's few figures, each with the file it comes from."""
    metrics = _load(results / "speech_metrics.json")
    speech = metrics[metrics["shipped"]]["ravdess_held_out_actors"]
    face = _load(results / "face_metrics.json")
    fusion = _load(results / "fusion_metrics.json")
    latency = _load(bench / "speech_latency.json")
    video = _load(bench / "video_speed.json")
    shipped, fer = face["face_vgg_pruned_int8_served"], face["fer_25.10.3_mini_xception_int8"]
    acc = fusion["agreeing_accuracy_mean"]
    by = video["video"]["by_fps"][str(video["video"]["default_fps"])]
    return "\n".join([
        START,
        "| | figure | from |",
        "| --- | --- | --- |",
        f"| voice, 8 emotions, actors never heard (5 folds) | {_pct(speech['fold_accuracy_mean'])} ± {speech['fold_accuracy_std'] * 100:.1f}; "
        f"male {_pct(speech['accuracy_male_actors'])}, female {_pct(speech['accuracy_female_actors'])} | `training/results/speech_metrics.json` |",
        f"| face, 7 emotions, FER2013 test | {_pct(shipped['accuracy'])} (`fer` 25.10.3: {_pct(fer['accuracy'])}) | `training/results/face_metrics.json` |",
        *_noise_headline(results),
        f"| voice and face fused, built pairs | {_pct(acc['fused'])} (voice {_pct(acc['voice'])}, face {_pct(acc['face'])}) | `training/results/fusion_metrics.json` |",
        f"| a 3 s recording, file to answer | {latency['stages']['total']['median_ms']:.1f} ms | `bench/results/speech_latency.json` |",
        f"| a 30 s video | {by['median_seconds']:.1f} s (real-time factor {by['real_time_factor']:.2f}) | `bench/results/video_speed.json` |",
        *_live_headline(bench),
        *_batch_headline(bench),
        END,
    ])


def _noise_headline(results: Path) -> list[str]:
    report = _load(results / "robustness.json")
    if report is None:
        return []
    c = report["speech"]["conditions"]
    return [f"| voice in noise at 20 dB SNR, one member per actor never heard | white {_pct(c['white_20dB']['accuracy'])}, babble "
            f"{_pct(c['babble_20dB']['accuracy'])} (clean {_pct(c['clean']['accuracy'])}) | `training/results/robustness.json` |"]


def _live_headline(bench: Path) -> list[str]:
    page = _load(bench / "live_page.json")
    if page is None:
        return []
    m = page["summary_median"]
    return [f"| the Live tab in Chromium | {m['frames_shown_per_second']:.1f} processed frames a second shown; the first "
            f"voice reading {m['first_voice_reading_seconds']:.1f} s after Go live | `bench/results/live_page.json` |"]


def _batch_headline(bench: Path) -> list[str]:
    batch = _load(bench / "batch_speed.json")
    if batch is None:
        return []
    f, runs = batch["folder"], batch["runs"]
    rates = ", ".join(f"{name.replace('_', ' ')} {r['files_per_second']:.2f}" for name, r in runs.items())
    return [f"| batch, {f['videos']} videos of {f['seconds_each']:g} s, files/s | {rates} | `bench/results/batch_speed.json` |"]


def readme_with_headline(text: str) -> str:
    block = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not block.search(text):
        raise SystemExit(f"README.md has no {START} ... {END} block")
    return block.sub(lambda _: headline(), text)


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--check", action="store_true", help="only check that both are up to date")
    args = cli.parse_args()
    wanted = {RESULTS_PAGE: results_page(), README: readme_with_headline(README.read_text())}
    stale = [p for p, text in wanted.items() if not p.is_file() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of date: run python docs/generate.py", file=sys.stderr)
        sys.exit(1 if stale else 0)
    for p in stale:
        p.write_text(wanted[p])
        print(f"wrote {p.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
