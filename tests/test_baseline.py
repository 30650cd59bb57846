"""The personal baseline: readings made relative to a person's own neutral voice and face."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emotion_core import cli
from emotion_core.baseline import Baseline, fit_shift, relative
from emotion_core.errors import InputError
from emotion_core.labels import LABELS
from emotion_core.live import LiveSession

ACTOR_01 = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess" / "Actor_01"
NEUTRAL = ACTOR_01 / "03-01-01-01-01-01-01.flac"
ANGRY = ACTOR_01 / "03-01-05-02-01-01-01.flac"


def _uniform() -> dict[str, float]:
    return dict.fromkeys(LABELS, 1 / len(LABELS))


def test_without_a_shift_a_reading_is_unchanged():
    probs = dict(zip(LABELS, np.random.default_rng(0).dirichlet(np.ones(len(LABELS)))))
    assert relative(probs, None) is probs and relative(None, {"sad": 1.0}) is None


def test_a_shift_moves_probability_away_from_what_the_persons_neutral_looks_like():
    """A person whose neutral reads as sad: their later sad readings weigh less."""
    reference = tuple(np.log(_uniform()[k]) for k in LABELS)
    neutral_reads_sad = [{**dict.fromkeys(LABELS, 0.05), "sad": 0.65}]
    shift = fit_shift(neutral_reads_sad, reference, LABELS, weight=1.0)
    assert shift["sad"] > 0 > shift["neutral"]
    later = relative({**dict.fromkeys(LABELS, 0.1), "sad": 0.3}, shift)
    assert later["sad"] < 0.3 and sum(later.values()) == pytest.approx(1.0)


def test_a_weight_of_zero_or_no_readings_give_no_shift():
    reference = tuple(np.log(_uniform()[k]) for k in LABELS)
    assert fit_shift([], reference, LABELS, 0.3) is None
    assert fit_shift([_uniform()], reference, LABELS, 0.0) is None


def test_a_baseline_round_trips_through_json_and_refuses_anything_else():
    b = Baseline(voice={"sad": 0.2}, face=None, voice_windows=2)
    assert Baseline.from_dict(json.loads(json.dumps(b.to_dict()))) == b
    assert Baseline.from_dict(None) is None and Baseline.from_dict({}) is None
    for bad in ({"voice": {"sad": "x"}}, {"voice": [1]}, {"colour": {}}, {"voice": {"sad": float("nan")}}):
        with pytest.raises(ValueError):
            Baseline.from_dict(bad)


def test_the_shipped_set_carries_a_fitted_baseline_for_both_channels(model_set):
    for entry in (model_set.speech, model_set.face):
        assert entry.baseline is not None and 0 < entry.baseline.weight <= 1
        assert len(entry.baseline.reference) == len(entry.labels)


def test_a_baseline_from_a_neutral_clip_changes_another_clips_reading(analyzer):
    baseline = analyzer.baseline_from_file(NEUTRAL)
    assert baseline.voice and baseline.voice_windows == 1 and baseline.face is None
    plain, relative_to = analyzer.analyze_file(ANGRY), analyzer.analyze_file(ANGRY, baseline=baseline)
    assert relative_to.probs != plain.probs
    assert relative_to.probs == pytest.approx(relative(plain.probs, baseline.voice))


def test_a_baseline_from_a_photo_shifts_the_faces(analyzer, face_images):
    photo = face_images.files["jpeg"]
    baseline = analyzer.baseline_from_file(photo)
    assert baseline.face and baseline.face_frames == 1 and baseline.voice is None
    plain, shifted = analyzer.analyze_image(photo), analyzer.analyze_image(photo, baseline=baseline)
    assert shifted.faces[0].probs == pytest.approx(relative(plain.faces[0].probs, baseline.face))


def test_a_file_with_no_speech_and_no_face_gives_no_baseline(analyzer, tmp_path):
    import soundfile as sf

    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(32000, np.float32), 16000)
    with pytest.raises(InputError, match="no speech and no face"):
        analyzer.baseline_from_file(silent)


def test_the_cli_reads_relative_to_a_baseline_and_says_so(capsys):
    assert cli.main(["predict", "--json", "--baseline", str(NEUTRAL), str(ANGRY)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["baseline"] == {"voice_windows": 1, "face_frames": 0}
    assert cli.main(["predict", "--json", str(ANGRY)]) == 0
    assert json.loads(capsys.readouterr().out)["audio"]["probs"] != line["audio"]["probs"]


def test_the_cli_refuses_an_unusable_baseline_in_one_line(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    run = subprocess.run([sys.executable, "-m", "emotion_core", "predict", "--baseline", str(broken), str(ANGRY)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"error: cannot use {broken} as a baseline:") and "Traceback" not in run.stderr


def test_live_sets_a_baseline_from_its_last_seconds_and_uses_it(analyzer, clip):
    session = LiveSession(analyzer)
    assert session.fit_baseline() is None  # nothing heard yet
    plain = session.add_sound(16000, clip)
    baseline = session.fit_baseline()
    assert baseline is not None and baseline.voice
    assert session.add_sound(16000, np.zeros(1, np.float32), baseline) != plain
