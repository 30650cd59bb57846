"""How the shipped models hold up on degraded input, and whether the detectors still find speech and faces.

    python -m training.analyses.evaluate_robustness      # ~40 min the first time (1 core of a busy machine), then ~20 s (cache/robustness_*.npz)
    python -m training.analyses.evaluate_robustness --snrs 20,10,5 --noises white,babble --face-step 2 --seed 1

Speech: every RAVDESS clip (actors 1-20, first 2.4 s), scored by the one member that never heard
its actor of the shipped speech model serving lets read the window (the clean one, or the one for
steady noise: share_to_noisy_model), on the clip's single window (as training/heldout.py scores
the clean clips), after each degradation: white, babble or pink noise at each SNR (the
SNR is measured over the clip's speech: the samples the voice-activity detector marks as speech
in the clean clip, for the speech and the noise alike); a phone band (8 kHz round trip, 300-3400
Hz band-pass); lossy codecs (PyAV/FFmpeg encode and decode in memory). Babble for a clip of
actors 1-10 is built from clips of actors 11-20 and the other way round, so no voice in the
babble is the clip's own. Each condition also records what serving does first: whether the
voice-activity detector (emotion_core.voice.vad) still finds speech in the window; a window it rejects
gets no answer when served, so it is counted apart ("no_speech_rate"), and the accuracy is given
both over all clips (the model alone) and over the answered ones.

Face: the shipped face model on the FER2013 test set (every `face_step`-th image), each image one
whole crop, as served (its 10 views), after a Gaussian blur, low light (gamma darkening and
scaling to a fraction of the mean brightness, then shot and read noise, then 8-bit
quantisation), or shrinking to a small face (the served path upscales a small crop to 48 px
bilinearly, as it would a small face cut out of a webcam frame). Detection: the upright
astronaut of skimage.data and FER2013 test faces pasted into 640x480 frames (a real photo, with
no face in it, as the background) at each face size, and the share BlazeFace finds (a detection
with IoU >= `iou` with the pasted face), full range and short range: a face the detector misses
is never read, whatever the classifier would have said.

Writes training/results/robustness.json and robustness.png.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import f1_score, recall_score
from tqdm import tqdm

from emotion_core.decode.audio import SAMPLE_RATE, load_audio
from emotion_core.face.face import FaceModel
from emotion_core.face.face_crop import LIFT, MARGIN
from emotion_core.voice.features import split_windows
from emotion_core.model_set import ModelSet, load_model_set
from emotion_core.voice.speech import SpeechModel
from emotion_core.voice.vad import CHUNK_SAMPLES, VoiceActivity, holds_speech

from ..config_cli import parse_config
from ..data import ravdess_clips
from ..degrade import (
    CODECS,
    NOISE_KINDS,
    PHONE_BAND,
    PHONE_ORDER,
    PHONE_RATE,
    babble,
    codec_round_trip,
    mix_at_snr,
    phone_band,
    pink_noise,
    speech_mask,
    white_noise,
)
from ..face_data import FACE_LABELS, fer_images
from ..heldout import cached, served_speech
from ..report import RESULTS, run_stamp


@dataclass
class Config:
    seed: int = 0  # noise, babble talkers, low-light noise, detection placements
    clip_step: int = 1  # every n-th RAVDESS clip (1: all)
    noises: str = "white,pink,babble"  # any of white, pink, babble
    snrs: str = "30,20,10,5"  # dB, over the clip's speech
    babble_talkers: int = 6  # voices summed into one babble
    codecs: str = "opus:12,mp3:32"  # codec:kbit/s
    face_step: int = 1  # every n-th FER2013 test image (1: all)
    blur_sigmas: str = "1,2"  # px at 48 px
    brightness: str = "0.3,0.1"  # mean brightness after darkening, as a share of the original
    dark_gamma: float = 1.5  # the darkening curve before scaling: shadows sink faster than highlights
    electrons_per_level: float = 2.0  # shot noise: Poisson in electrons, this many per grey level
    read_noise: float = 2.0  # grey levels (standard deviation)
    small_sizes: str = "24,16"  # px the 48 px crop is shrunk to
    detect_sizes: str = "160,128,96,80,64,48,40,32,24"  # face (detector box) side in the 640x480 frame
    detect_placements: int = 50  # astronaut frames per size (random position)
    detect_fer_faces: int = 200  # FER2013 faces per size
    iou: float = 0.3  # a detection this close to the pasted face finds it
    # "speech,face", or one of them: the other's sections are kept from the last report, marked
    # with its run (when only one model changed, its figures are re-measured and the other's kept)
    channels: str = "speech,face"
    cache: str = "cache"
    results: str = str(RESULTS)


def every(step: int, item: str) -> str:
    return f"every {item}" if step == 1 else f"every {step}th {item}"


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


# ---------------------------------------------------------------- degradations: images

def blur(gray: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(gray, (0, 0), sigma)


def low_light(gray: np.ndarray, brightness: float, cfg: Config, rng: np.random.Generator) -> np.ndarray:
    """A darker exposure of a uint8 image: gamma darkening, scaled so its mean is `brightness` times
    the original's, then shot noise (Poisson in electrons) and read noise, quantised to 8 bits."""
    x = gray.astype(np.float64)
    dark = 255.0 * (x / 255.0) ** cfg.dark_gamma
    dark *= brightness * x.mean() / max(dark.mean(), 1e-6)
    electrons = rng.poisson(dark * cfg.electrons_per_level)
    noisy = electrons / cfg.electrons_per_level + rng.normal(0.0, cfg.read_noise, x.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def small_face(gray: np.ndarray, size: int) -> np.ndarray:
    """The crop a face of `size` px gives: the served path upscales it to 48 px (bilinear)."""
    return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)


# ---------------------------------------------------------------- conditions

@dataclass(frozen=True)
class Condition:
    name: str  # key in the report
    what: str  # what was done (in the report and the cache key)
    apply: Callable[[int, np.ndarray], np.ndarray]  # (item index, input) -> degraded input
    seeded: bool = False


CLEAN = Condition("clean", "unchanged", lambda i, x: x)


def seeded_rng(cfg: Config, *stream: int) -> np.random.Generator:
    return np.random.default_rng([cfg.seed, *stream])


def speech_conditions(cfg: Config, audio: list[np.ndarray], masks: list[np.ndarray], actors: np.ndarray) -> list[Condition]:
    by_actor = {int(a): np.flatnonzero(actors == a) for a in np.unique(actors)}

    def noise(kind: str, i: int) -> np.ndarray:
        # The same noise for a clip at every SNR (the conditions differ in level only).
        rng = seeded_rng(cfg, i, NOISE_KINDS.index(kind))
        n = audio[i].size
        if kind == "white":
            return white_noise(n, rng)
        if kind == "pink":
            return pink_noise(n, rng)
        others = [a for a in by_actor if (a > 10) != (actors[i] > 10)]
        picks = [rng.choice(by_actor[a]) for a in rng.choice(others, cfg.babble_talkers, replace=False)]
        return babble(n, [audio[j] for j in picks], [masks[j] for j in picks], rng)

    conditions = [CLEAN]
    for kind in cfg.noises.split(","):
        what = {"white": "white noise", "pink": "pink (1/f) noise",
                "babble": f"babble of {cfg.babble_talkers} RAVDESS voices of the other half of the actors"}[kind]
        for snr in floats(cfg.snrs):
            conditions.append(Condition(
                f"{kind}_{snr:g}dB", f"{what} at {snr:g} dB SNR over the clip's speech",
                lambda i, a, kind=kind, snr=snr: mix_at_snr(a, noise(kind, i), snr, masks[i]), seeded=True,
            ))
    conditions.append(Condition(
        "phone", f"{PHONE_RATE} Hz round trip, {PHONE_BAND[0]:g}-{PHONE_BAND[1]:g} Hz Butterworth band-pass "
        f"(order {PHONE_ORDER})", lambda i, a: phone_band(a),
    ))
    for item in cfg.codecs.split(","):
        codec, kbps = item.split(":")
        conditions.append(Condition(
            f"{codec}_{kbps}k", f"{CODECS[codec][0]} at {kbps} kbit/s in {CODECS[codec][1]}, decoded again",
            lambda i, a, codec=codec, kbps=float(kbps): codec_round_trip(a, codec, kbps),
        ))
    return conditions


def face_conditions(cfg: Config) -> list[Condition]:
    conditions = [CLEAN]
    for sigma in floats(cfg.blur_sigmas):
        conditions.append(Condition(f"blur_{sigma:g}px", f"Gaussian blur, sigma {sigma:g} px at 48 px",
                                    lambda i, g, s=sigma: blur(g, s)))
    for share in floats(cfg.brightness):
        what = (f"gamma {cfg.dark_gamma:g} darkening scaled to {share:.0%} of the mean brightness, shot noise "
                f"({cfg.electrons_per_level:g} e-/level) and read noise ({cfg.read_noise:g} levels), 8 bits")
        conditions.append(Condition(
            f"low_light_{share * 100:.0f}pct", what,
            lambda i, g, s=share: low_light(g, s, cfg, seeded_rng(cfg, i, round(s * 1000))), seeded=True,
        ))
    for size in floats(cfg.small_sizes):
        conditions.append(Condition(f"small_{size:g}px", f"shrunk to {size:g} px (area), served path upscales to 48",
                                    lambda i, g, s=int(size): small_face(g, s)))
    return conditions


def cache_keys(cfg: Config, condition: Condition, items: list[str]) -> list[str]:
    return [condition.what, f"seed {cfg.seed}" if condition.seeded else "unseeded", *items]


# ---------------------------------------------------------------- scoring

def scores(pred: np.ndarray, truth: np.ndarray, labels: tuple[str, ...]) -> dict:
    """Accuracy, macro-F1 and per-class recall over all of `labels`."""
    ids = range(len(labels))
    recall = recall_score(truth, pred, labels=ids, average=None, zero_division=0)
    return {
        "accuracy": float((pred == truth).mean()) if truth.size else float("nan"),
        "macro_f1": float(f1_score(truth, pred, labels=ids, average="macro", zero_division=0)),
        "per_class_recall": {label: float(r) for label, r in zip(labels, recall)},
    }


def speech_report(cfg: Config, model_set: ModelSet, cache: Path) -> dict:
    entry = model_set.speech
    member_of = {a: int(k) for k, actors in entry.member_held_out_ravdess_actors.items() for a in actors}
    clips = ravdess_clips()[:: cfg.clip_step]
    paths = [c.path for c in clips]
    actors = np.array([int(c.speaker[1:]) for c in clips])
    truth = np.array([entry.labels.index(c.label) for c in clips])
    male = actors % 2 == 1
    sha = served_speech(model_set)
    model, vad = SpeechModel(model_set), VoiceActivity()
    audio = [load_audio(p) for p in tqdm(paths, desc="load RAVDESS")]
    n_chunks = max(a.size for a in audio) // CHUNK_SAMPLES

    def score(condition: Condition) -> dict[str, np.ndarray]:
        def compute() -> dict[str, np.ndarray]:
            probs, speech, noisy = [], [], []
            chunks = np.full((len(audio), n_chunks), -1.0, np.float32)
            for i, clean in enumerate(tqdm(audio, desc=f"speech {condition.name}")):
                x = condition.apply(i, clean)
                p = vad.chunk_probs(x)
                window = split_windows(x, model.spec)[0]
                chunks[i, : p.size] = p[:n_chunks]
                speech.append(holds_speech(p, window.start, window.end))
                features = model.features(window.samples)
                noisy.append(model.is_noisy(features))
                probs.append(model.read_features(features)["members"][member_of[actors[i]]])
            return {"probs": np.array(probs, np.float32), "speech": np.array(speech), "chunks": chunks,
                    "noisy": np.array(noisy)}

        z = dict(cached(cache / f"robustness_speech_{condition.name}.npz", sha, cache_keys(cfg, condition, paths), compute))
        # Speech is decided again from the cached chunk probabilities, so a change of the
        # detector's rule (emotion_core.voice.vad) is reflected without scoring everything again.
        z["speech"] = np.array([
            holds_speech(c[c >= 0], 0.0, min(a.size, model.spec.window_samples) / SAMPLE_RATE)
            for c, a in zip(z["chunks"], audio)
        ])
        return z

    clean = score(CLEAN)
    masks = [speech_mask(clean["chunks"][i][clean["chunks"][i] >= 0], a.size) for i, a in enumerate(audio)]
    rows = {}
    for condition in speech_conditions(cfg, audio, masks, actors):
        z = score(condition)
        pred, answered = z["probs"].argmax(1), z["speech"].astype(bool)
        rows[condition.name] = {
            "what": condition.what,
            **scores(pred, truth, entry.labels),
            "accuracy_male_actors": float((pred[male] == truth[male]).mean()),
            "accuracy_female_actors": float((pred[~male] == truth[~male]).mean()),
            "no_speech_rate": float(1 - answered.mean()),
            "no_speech_clips": int((~answered).sum()),
            "accuracy_answered": float((pred[answered] == truth[answered]).mean()) if answered.any() else None,
            "answered_and_right": float(((pred == truth) & answered).mean()),
            "share_to_noisy_model": float(z["noisy"].mean()),
        }
    return {
        "n_clips": len(clips),
        "clips": f"RAVDESS (first 2.4 s) actors 1-20, {every(cfg.clip_step, 'clip')}, one window (the first, zero-padded to 3 s)",
        "model": f"{entry.file} sha256 {sha}: per clip the member that never heard its actor, of the model serving lets read the window",
        "labels": list(entry.labels),
        "speech_share_of_clean_clips": float(np.mean([m.mean() for m in masks])),
        "conditions": rows,
    }


def face_report(cfg: Config, model_set: ModelSet, cache: Path) -> dict:
    items = fer_images("test")[:: cfg.face_step]
    names = [f"{p.parent.name}/{p.name}" for p, _ in items]
    truth = np.array([label for _, label in items])
    sha = model_set.manifest.files[model_set.face.file]
    model = FaceModel(model_set)
    assert model.labels == FACE_LABELS, "the face model emits the data set's labels, in order"
    images = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in items]
    rows = {}
    for condition in face_conditions(cfg):
        def compute(condition=condition) -> dict[str, np.ndarray]:
            return {"probs": np.stack([model.probs(condition.apply(i, g))
                                       for i, g in enumerate(tqdm(images, desc=f"face {condition.name}"))])}

        z = cached(cache / f"robustness_face_{condition.name}.npz", sha, cache_keys(cfg, condition, names), compute)
        rows[condition.name] = {"what": condition.what, **scores(z["probs"].argmax(1), truth, FACE_LABELS)}
    return {
        "n_images": len(items),
        "images": f"FER2013 test, {every(cfg.face_step, 'image')} in name order ({len(items)} of "
                  f"{len(fer_images('test'))}), each one whole crop through FaceModel.probs (10 views, as served)",
        "model": f"{model_set.face.file} sha256 {sha}",
        "per_label": dict(zip(FACE_LABELS, np.bincount(truth, minlength=len(FACE_LABELS)).tolist())),
        "conditions": rows,
    }


# ---------------------------------------------------------------- detection

FRAME = (480, 640)  # height, width
RANGES = ("full_range", "short_range")


def iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)


def paste(frame: np.ndarray, image: np.ndarray, x: int, y: int) -> np.ndarray:
    """frame with image's top-left corner at (x, y); what falls outside the frame is cut off."""
    out = frame.copy()
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(frame.shape[1], x + image.shape[1]), min(frame.shape[0], y + image.shape[0])
    out[y0:y1, x0:x1] = image[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


def resized(image: np.ndarray, scale: float) -> np.ndarray:
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)


def detection_report(cfg: Config, model_set: ModelSet, cache: Path) -> dict:
    import skimage.data

    from emotion_core.face.face import FaceDetector

    sizes = [int(s) for s in floats(cfg.detect_sizes)]
    fer = fer_images("test")
    entry = model_set.face_detector
    sha = " ".join(model_set.manifest.files[f] for f in (entry.full_range, entry.short_range))
    background = cv2.resize(skimage.data.coffee(), FRAME[::-1], interpolation=cv2.INTER_AREA)
    astronaut = skimage.data.astronaut()
    detector = FaceDetector(model_set)
    reference = detector.detect(astronaut)[0].box  # the astronaut's face, full range at 512 px

    def best(frame: np.ndarray, face: tuple) -> list[float]:
        """Per detector range: the IoU of the detection closest to `face` (0 without one)."""
        return [max((iou(d.box, face) for d in detector.detect(frame, short_range=r == "short_range")), default=0.0)
                for r in RANGES]

    def compute() -> dict[str, np.ndarray]:
        ast, faces = [], []
        picks = seeded_rng(cfg, 1_000_000).choice(len(fer), cfg.detect_fer_faces, replace=False)
        for size in tqdm(sizes, desc="detection"):
            rng = seeded_rng(cfg, 1_000_000, size)  # the same frames for a size whatever the other sizes
            scale = size / reference[2]
            image = resized(astronaut, scale)
            rows = []
            for _ in range(cfg.detect_placements):
                cx, cy = rng.uniform(size / 2, FRAME[1] - size / 2), rng.uniform(size / 2, FRAME[0] - size / 2)
                x = int(round(cx - (reference[0] + reference[2] / 2) * scale))
                y = int(round(cy - (reference[1] + reference[3] / 2) * scale))
                face = (x + reference[0] * scale, y + reference[1] * scale, size, size)
                rows.append(best(paste(background, image, x, y), face))
            ast.append(rows)
            # A FER2013 crop is a detector box widened by MARGIN each side and lifted by LIFT.
            side = int(round(size * (1 + 2 * MARGIN)))
            rows = []
            for k in picks:
                gray = cv2.imread(str(fer[k][0]), cv2.IMREAD_GRAYSCALE)
                crop = cv2.cvtColor(cv2.resize(gray, (side, side), interpolation=cv2.INTER_AREA if side < 48
                                               else cv2.INTER_LINEAR), cv2.COLOR_GRAY2RGB)
                x, y = int(rng.integers(0, FRAME[1] - side)), int(rng.integers(0, FRAME[0] - side))
                face = (x + MARGIN * size, y + (MARGIN + LIFT) * size, size, size)
                rows.append(best(paste(background, crop, x, y), face))
            faces.append(rows)
        return {"astronaut": np.array(ast), "fer": np.array(faces), "background_alone": np.array(
            [len(detector.detect(background, short_range=r == "short_range")) for r in RANGES])}

    keys = [f"sizes {sizes}", f"placements {cfg.detect_placements}", f"fer {cfg.detect_fer_faces}",
            f"seed {cfg.seed}", f"reference {reference}"]
    z = cached(cache / "robustness_detection.npz", sha, keys, compute)
    detector.close()
    rates = {
        source: {r: {str(s): float((z[source][i, :, j] >= cfg.iou).mean()) for i, s in enumerate(sizes)}
                 for j, r in enumerate(RANGES)}
        for source in ("astronaut", "fer")
    }
    return {
        "frame": f"{FRAME[1]}x{FRAME[0]}, background skimage.data.coffee() (no face in it: see detections_in_background_alone)",
        "face_size": "side of the face's detector box in px (astronaut: BlazeFace's own box at 512 px, "
                     f"{reference}, scaled; FER2013: the 48 px crop pasted at size x {1 + 2 * MARGIN:.2f}, "
                     "the crop calibration's margin)",
        "hit": f"a detection with IoU >= {cfg.iou} with the pasted face's box",
        "sources": "astronaut: one real photo with its context (hair, neck, background), at random positions; "
                   "fer: FER2013 test faces, tight 48 px crops with hard edges and no hair or background, "
                   "which BlazeFace finds poorly at any size: a lower bound, the astronaut the fairer figure",
        "astronaut_frames_per_size": cfg.detect_placements,
        "fer_faces_per_size": cfg.detect_fer_faces,
        "detection_rate": rates,
        "detections_in_background_alone": dict(zip(RANGES, z["background_alone"].tolist())),
    }


# ---------------------------------------------------------------- report

def channel_reports(cfg: Config, model_set: ModelSet, cache: Path, previous: Path) -> dict:
    """The speech, face and detection sections: measured for the channels asked for, kept (and
    marked with their run) from the previous report for the others."""
    channels = set(cfg.channels.split(","))
    last = json.loads(previous.read_text()) if previous.exists() and channels != {"speech", "face"} else {}

    def kept(key: str) -> dict:
        if key not in last:
            raise SystemExit(f"no earlier {key} section in {previous} to keep: measure it (--channels speech,face)")
        return {**last[key], "from_run": last[key].get("from_run", last.get("run"))}

    return {
        "speech": speech_report(cfg, model_set, cache) if "speech" in channels else kept("speech"),
        "face": face_report(cfg, model_set, cache) if "face" in channels else kept("face"),
        "detection": detection_report(cfg, model_set, cache) if "face" in channels else kept("detection"),
    }


def main() -> None:
    started = time.perf_counter()
    cfg = parse_config(Config, __doc__)
    cache, results = Path(cfg.cache), Path(cfg.results)
    model_set = load_model_set()
    report = {
        "run": run_stamp(),
        "command": " ".join(["python -m training.analyses.evaluate_robustness", *sys.argv[1:]]),
        "config": asdict(cfg),
        "seeds": {
            "audio_noise": "numpy default_rng([seed, clip index, kind]) (kind: 0 white, 1 pink, 2 babble): one "
                           "noise per clip and kind, the same at every SNR; babble talkers drawn from it too",
            "low_light": "numpy default_rng([seed, image index, brightness x 1000])",
            "detection": "numpy default_rng([seed, 1000000]): the FER faces; default_rng([seed, 1000000, size]): "
                         "positions at each size",
        },
        **channel_reports(cfg, model_set, cache, results / "robustness.json"),
        "notes": (
            "Speech: RAVDESS (first 2.4 s); accuracy is the held-out member on every clip, whether or not "
            "the voice-activity detector finds speech; no_speech_rate is the share of clips whose window "
            "serving would leave unanswered (no distribution), accuracy_answered the accuracy on the rest, "
            "answered_and_right the share served and right. The clean row is the single-member, "
            "single-window figure of training/heldout.py, not the fold-mean of speech_metrics.json. "
            "Face: FER2013 test subsampled (see face.images); whole-image crops, so no detector is involved "
            "there; the detection block says which face sizes would be found at all."
        ),
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    results.mkdir(parents=True, exist_ok=True)
    (results / "robustness.json").write_text(json.dumps(report, indent=2))
    figure(report, results / "robustness.png")
    print(json.dumps({channel: {name: {k: row[k] for k in ("accuracy", "macro_f1") if k in row}
                                for name, row in report[channel]["conditions"].items()}
                      for channel in ("speech", "face")}, indent=1))
    print(json.dumps(report["detection"]["detection_rate"]), f"\n{report['seconds']} s")


def bars(ax, rows: dict, keys: dict[str, str], title: str) -> None:
    """Grouped bars: one group per condition, one bar per key (label -> colour)."""
    names = list(rows)
    width = 0.8 / len(keys)
    for k, (key, color) in enumerate(keys.items()):
        x = np.arange(len(names)) + (k - (len(keys) - 1) / 2) * width
        ax.bar(x, [rows[n][key] for n in names], width, label=key.replace("_", " "), color=color)
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=7)
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)


def heatmap(fig, ax, rows: dict, title: str) -> None:
    """Per-class recall: conditions down, classes across."""
    labels = list(next(iter(rows.values()))["per_class_recall"])
    grid = np.array([[row["per_class_recall"][c] for c in labels] for row in rows.values()])
    im = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for (r, c), v in np.ndenumerate(grid):
        ax.text(c, r, f"{v * 100:.0f}", ha="center", va="center", fontsize=6, color="w" if v < 0.6 else "k")
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), list(rows), fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04)


def figure(report: dict, out: Path) -> None:
    fig = Figure(figsize=(16, 9.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3)
    speech, face = report["speech"]["conditions"], report["face"]["conditions"]
    bars(axes[0, 0], speech, {"accuracy": "tab:blue", "macro_f1": "tab:cyan", "no_speech_rate": "tab:red"},
         f"speech: RAVDESS held-out actors, {report['speech']['n_clips']} clips (chance 12.5 %)")
    bars(axes[0, 1], face, {"accuracy": "tab:orange", "macro_f1": "gold"},
         f"face: FER2013 test, {report['face']['n_images']} images, whole crops")
    ax = axes[0, 2]
    rates = report["detection"]["detection_rate"]
    for (source, style), (rng, color) in ((s, r) for s in (("astronaut", "-o"), ("fer", "--s"))
                                          for r in (("full_range", "tab:green"), ("short_range", "tab:purple"))):
        sizes = [int(s) for s in rates[source][rng]]
        ax.plot(sizes, list(rates[source][rng].values()), style, color=color, label=f"{source}, {rng.replace('_', ' ')}")
    ax.set_xticks(sizes, [str(s) for s in sizes], fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("face size in a 640x480 frame (px)")
    ax.set_ylabel("detection rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("BlazeFace: faces found (IoU >= {})".format(report["config"]["iou"]), fontsize=9)
    heatmap(fig, axes[1, 0], speech, "speech: per-class recall (%)")
    heatmap(fig, axes[1, 1], face, "face: per-class recall (%)")
    bars(axes[1, 2], speech, {"accuracy_male_actors": "tab:blue", "accuracy_female_actors": "tab:pink"},
         "speech accuracy by actor gender")
    fig.suptitle(f"Robustness of the shipped models (python -m training.analyses.evaluate_robustness, {report['run']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main()
