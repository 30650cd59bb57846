"""The face preprocessing that training and serving share."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_core.face_crop import FACE_SIZE, crop, face_input, square_box, to_gray


def test_square_box_is_widened_by_the_margin_and_lifted():
    x, y, side, side2 = square_box((100, 50, 40, 60), margin=0.25, lift=0.1)
    assert side == side2 == 90  # the longer side, 60, plus 25 % on each side
    assert (x + side / 2, y + side / 2) == pytest.approx((120, 80 - 6), abs=0.5)


def test_crop_outside_the_image_repeats_the_edge_and_keeps_the_size():
    gray = np.arange(100, dtype=np.uint8).reshape(10, 10)
    piece = crop(gray, (-3, 7, 6, 6))  # rows 7..12, columns -3..2 of a 10 x 10 image
    assert piece.shape == (6, 6)
    assert (piece[:3, 3:] == gray[7:10, :3]).all()  # the part inside, in place
    assert (piece[3:] == piece[2]).all()  # rows past the bottom repeat the last row
    assert (piece[:, :3] == piece[:, 3:4]).all()  # columns before 0 repeat the first column


def test_face_input_is_standardised_and_sized_for_the_model():
    rng = np.random.default_rng(0)
    assert face_input(rng.integers(0, 256, (120, 90), dtype=np.uint8)).shape == (FACE_SIZE, FACE_SIZE, 1)
    x = face_input(rng.integers(0, 256, (FACE_SIZE, FACE_SIZE), dtype=np.uint8))
    assert x.dtype == np.float32
    assert abs(float(x.mean())) < 1e-4 and 0.85 < float(x.std()) < 1.0  # std / (std + 8), std ~ 74


def test_face_input_ignores_exposure_and_keeps_the_pattern_under_lower_contrast():
    rng = np.random.default_rng(1)
    face = rng.integers(60, 180, (FACE_SIZE, FACE_SIZE)).astype(np.uint8)
    brighter = face + np.uint8(50)
    assert np.abs(face_input(face) - face_input(brighter)).max() < 1e-4
    flatter = (face.astype(np.float32) * 0.5).astype(np.uint8)
    assert np.corrcoef(face_input(face).ravel(), face_input(flatter).ravel())[0, 1] > 0.99


def test_to_gray_accepts_gray_rgb_and_rgba_and_rejects_others():
    rgb = np.zeros((20, 20, 3), np.uint8)
    rgb[..., 1] = 200
    assert to_gray(rgb).shape == (20, 20) and to_gray(rgb)[0, 0] == round(0.587 * 200)
    assert (to_gray(np.dstack([rgb, np.zeros((20, 20), np.uint8)])) == to_gray(rgb)).all()
    assert (to_gray(rgb[..., 1]) == 200).all()
    with pytest.raises(ValueError):
        to_gray(np.zeros((20, 20, 2), np.uint8))
