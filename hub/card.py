"""The model card (README.md) of a published model set, and the app's "About the models" page.

The models' own facts and headline figures come from manifest.json, which training/ writes from
measured results; the detailed figures (spread, per gender, per class, calibration, failure
modes) from the results files training/ writes (hub/card_figures.py). No figure is typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from huggingface_hub import EvalResult, ModelCardData

from emotion_core.model_set import DetectorEntry, FaceEntry, FusionEntry, Manifest, SpeechEntry

from .card_figures import evaluation_sections

# The weights derive from RAVDESS, whose ShareAlike licence carries over to them.
DEFAULT_LICENSE = "cc-by-nc-sa-4.0"

# Hub task ids of the manifest's model kinds.
TASK_TYPES = {"speech": "audio-classification", "face": "image-classification", "face_detector": "object-detection"}


@dataclass(frozen=True)
class Corpus:
    citation: str
    licence: str
    people: str  # who is in it, as its authors describe it


# The corpora training/ can read (see ../shared/data/README.md); a model's "training_data" names them.
CORPORA = {
    "RAVDESS": Corpus(
        "Livingstone & Russo (2018), PLoS ONE 13(5): e0196391", "CC BY-NC-SA 4.0",
        "professional actors with North-American accents (actors 1-20 here: 10 male, 10 female) "
        "reading two fixed sentences in eight acted emotions",
    ),
    "TESS": Corpus(
        "Pichora-Fuller & Dupuis (2020), University of Toronto", "CC BY-NC-ND 4.0",
        "two female speakers from Toronto, one younger and one older, saying single words in a carrier phrase",
    ),
    "SAVEE": Corpus(
        "Haq & Jackson (2009/2010), University of Surrey", "research use, non-commercial",
        "four male British English speakers in one studio",
    ),
    "FER2013": Corpus(
        "Goodfellow et al. (2013), Challenges in Representation Learning", "research use",
        "faces found by web image search, 48x48 grayscale, many posed; ages, skin tones and "
        "cultures are not balanced and not recorded",
    ),
}


def _models(manifest: Manifest) -> dict[str, SpeechEntry | FaceEntry | DetectorEntry]:
    """The entries with model files: the fusion entry is two weights, described apart."""
    return {task: entry for task, entry in manifest.models.items() if not isinstance(entry, FusionEntry)}


def _corpora(manifest: Manifest) -> list[str]:
    """The corpora some model of the set was trained on, by the names its training_data uses."""
    texts = " ".join(entry.training_data for entry in _models(manifest).values())
    return [name for name in CORPORA if name in texts]


def _figures(entry: SpeechEntry | FaceEntry | DetectorEntry) -> dict[str, Real]:
    """The numeric entries of a model's "metrics" (the rest, such as "source", describes them)."""
    metrics = {} if isinstance(entry, DetectorEntry) else entry.metrics
    return {k: v for k, v in metrics.items() if isinstance(v, Real) and not isinstance(v, bool)}


def _metadata(manifest: Manifest, repo: str, license: str) -> ModelCardData:
    results = [
        EvalResult(
            task_type=TASK_TYPES[task],
            task_name=f"{task} emotion recognition",
            dataset_type="custom",
            dataset_name=info.training_data,
            dataset_split="held-out folds",
            metric_type=key,
            metric_name=key.replace("_", " "),
            metric_value=value,
        )
        for task, info in _models(manifest).items()
        for key, value in _figures(info).items()
    ]
    return ModelCardData(
        license=license,
        language="en",
        datasets=_corpora(manifest),
        tags=["emotion-recognition", "tflite", "litert", "int8", "emotion-stream"]
        + [TASK_TYPES[task] for task in _models(manifest)],
        model_name=repo,
        eval_results=results or None,
    )


def _model_section(task: str, info: SpeechEntry | FaceEntry | DetectorEntry) -> str:
    lines = [
        f"### {task}",
        "",
        "- File: " + ", ".join(f"`{name}`" for name in info.files),
        f"- Architecture: {info.architecture}",
    ]
    if isinstance(info, SpeechEntry) and info.noisy and info.noisy.floor_within_db is not None:
        lines.append(f"- Windows whose pauses lie less than {info.noisy.floor_within_db:g} dB below their loudest "
                     f"frame (steady noise) are read by `{info.noisy.file}`: {info.noisy.architecture} "
                     f"(threshold from {info.noisy.source})")
    if isinstance(info, DetectorEntry):
        return "\n".join([*lines, f"- Training data: {info.training_data}"])
    tensors = ", ".join(f"`{name}` {list(shape)}" for name, shape in info.input.tensors.items())
    lines += [
        f"- Labels ({len(info.labels)}): {', '.join(info.labels)}",
        f"- Training data: {info.training_data}",
        f"- Input tensors: {tensors}",
    ]
    if figures := _figures(info):
        lines += ["", "| metric | value |", "| --- | --- |"]
        lines += [f"| {key.replace('_', ' ')} | {value:.4f} |" for key, value in figures.items()]
        lines += ["", f"Source: {info.metrics.get('source', 'not recorded')}."]
        lines.append(f"A uniform guess over the {len(info.labels)} labels scores {1 / len(info.labels):.4f}.")
    return "\n".join(lines)


def _fusion_section(fusion: FusionEntry) -> str:
    return (
        "### fusion\n\n"
        "Where a recording has both, the voice and face distributions are pooled log-linearly (a "
        f"product of experts) with exponents {fusion.voice_weight:g} (voice) and {fusion.face_weight:g} "
        f"(face). Source: {fusion.source}."
    )


def _run_instruction(repo: str) -> str:
    """How to run the app on this set: a Hub repo ("owner/name" or "owner/name@commit") by its
    variables; the embedded set ("embedded") needs none."""
    if "/" not in repo:
        return "This is the set embedded in the app (`emotion_core/defaults`): `python app.py` runs on it."
    name, _, revision = repo.partition("@")
    return ("Run the app on this set:\n\n```bash\n"
            f"EMOTION_MODEL_REPO={name} EMOTION_MODEL_REVISION={revision or '<commit or tag>'} python app.py\n```")


def _body(manifest: Manifest, repo: str) -> str:
    run = _run_instruction(repo)
    files = "\n".join(f"| `{name}` | `{digest}` |" for name, digest in manifest.files.items())
    sections = [_model_section(task, info) for task, info in _models(manifest).items()]
    models = "\n\n".join(sections + ([_fusion_section(manifest.fusion)] if manifest.fusion else []))
    corpora = "\n".join(
        f"- **{name}**: {CORPORA[name].people}. {CORPORA[name].citation}. Licence: {CORPORA[name].licence}."
        for name in _corpora(manifest)
    )
    third_party = ""
    if detector := manifest.models.get(DetectorEntry.task):
        third_party = (
            "## Third-party files\n\n"
            f"`{detector.short_range}` and `{detector.full_range}` are MediaPipe's BlazeFace face "
            f"detectors: {detector.license}; {detector.provenance}. They are not covered by this "
            "repo's licence.\n\n"
        )
    return f"""# emotion-stream model set

The models behind the emotion-stream Space: int8 TFLite (LiteRT) models and the manifest that
lists every file with its sha256. The app downloads only the files the manifest lists, checks
each against its sha256 before use, and never unpickles or executes anything from this repo.

## Intended use

Demonstration and research: estimating which of a few emotion categories a short voice recording,
a face, or both together in a video are closest to, in the emotion-stream Space or with
`python -m emotion_core`. The output is an estimate of how a voice *sounds* and a face *looks* to
models trained on acted speech and on web photos of faces, not a measurement of how anyone feels.

**Not for**: hiring, admission or any assessment of a person; surveillance or monitoring of
people; policing, security or border control; clinical, mental-health or any medical use; any
decision about a person. The readings are not accurate enough for any of these, and acted
emotion is not felt emotion.

{run}

## Models

{models}

The speech figures come from training/ on held-out folds. RAVDESS folds hold out whole actors, so its
figures are speaker-independent; TESS has two speakers only, so its folds hold out words, not
voices, and its figures say little about new voices. The face figures are on the de-duplicated
FER2013 test images, which played no part in training or in choosing the model.

## Training data and who is in it

{corpora}

All of them are for non-commercial research use under their own licences.

## How accurate, how calibrated, where it fails

{evaluation_sections()}

{third_party}## Limitations

- Faces: FER2013 is 48x48 grayscale web photos, many posed; its labels are noisy and its people
  are not a balanced sample of ages, skin tones or cultures, so accuracy differs between groups
  in ways these figures do not show.
- Acted, read English sentences: spontaneous, everyday, accented, other-language or noisy speech
  may read very differently.
- A fixed set of categories: mixed or subtle emotions are forced onto one of them.
- Figures on so few speakers have wide error bars: compare them with a uniform guess.

## Files

| file | sha256 |
| --- | --- |
{files}
| `manifest.json` | (the list itself) |
"""


def model_card(manifest: Manifest, repo: str, license: str = DEFAULT_LICENSE) -> str:
    """README.md for the model repo: YAML metadata (licence, tags, datasets, metrics) and the card."""
    return f"---\n{_metadata(manifest, repo, license).to_yaml()}\n---\n\n{model_card_text(manifest, repo)}"


def model_card_text(manifest: Manifest, repo: str) -> str:
    """The card without its YAML metadata: what the app shows under "About the models"."""
    return _body(manifest, repo)
